// honoActor: httpActor's routes served through the host's path router (built once per wake
// in createVars, as the seed's Hono example builds its app), plus a small users REST API:
//
//   GET    /users       [user...]
//   POST   /users       201 {"id":n,...body}   (400 unless the body is a JSON object)
//   GET    /users/:id   200 user | 404
//   PUT    /users/:id   200 user (fields replaced, id kept) | 404
//   DELETE /users/:id   204 | 404
#include "examples.hpp"
#include "messages.hpp"
#include "request_json.hpp"

#include "actorhost/http/router.hpp"


#include <charconv>
#include <map>

namespace examples {

namespace {

using actorhost::http::request;
using actorhost::http::response;
using actorhost::http::route_params;

struct hono_state {
  std::int64_t request_count = 0;
  std::int64_t next_user_id = 1;
  std::map<std::int64_t, std::string> users; // id -> user as JSON text
};

void to_json(actorhost::json_writer& w, const hono_state& s) {
  w.StartObject();
  w.Key("requestCount");
  w.Int64(s.request_count);
  w.Key("nextUserId");
  w.Int64(s.next_user_id);
  w.Key("users");
  w.StartArray();
  for (const auto& [id, user] : s.users) w.RawValue(user.data(), user.size(), rapidjson::kObjectType);
  w.EndArray();
  w.EndObject();
}

void from_json(const rapidjson::Value& v, hono_state& s) {
  if (!v.IsObject()) return;
  if (v.HasMember("requestCount") && v["requestCount"].IsInt64()) s.request_count = v["requestCount"].GetInt64();
  if (v.HasMember("nextUserId") && v["nextUserId"].IsInt64()) s.next_user_id = v["nextUserId"].GetInt64();
  if (v.HasMember("users") && v["users"].IsArray()) {
    for (const auto& u : v["users"].GetArray())
      if (u.IsObject() && u.HasMember("id") && u["id"].IsInt64()) s.users[u["id"].GetInt64()] = actorhost::http::to_json(u);
  }
}

struct hono_vars;
using hono_context = actorhost::context<hono_state, hono_vars>;
struct hono_vars {
  actorhost::http::router<hono_context> app;
};

response json_error(std::string_view message, int status) {
  return response::json(R"({"error":")" + std::string(message) + R"("})", status);
}

std::optional<std::int64_t> user_id(const route_params& p) {
  const auto s = p["id"];
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return id;
}

asio::awaitable<std::optional<response>> hello(hono_context, request, route_params) {
  co_return response::json(R"({"message":"Hello from actor!"})");
}

asio::awaitable<std::optional<response>> echo(hono_context, request req, route_params) {
  co_return co_await echo_body(std::move(req));
}

asio::awaitable<std::optional<response>> stats(hono_context ctx, request, route_params) {
  co_return response::json(request_count_json(ctx.read_state().request_count));
}

asio::awaitable<std::optional<response>> describe(hono_context, request req, route_params) {
  co_return response::json(describe_request(req));
}

asio::awaitable<std::optional<response>> list_users(hono_context ctx, request, route_params) {
  std::string out = "[";
  for (const auto& [id, user] : ctx.read_state().users) {
    if (out.size() > 1) out += ',';
    out += user;
  }
  out += ']';
  co_return response::json(std::move(out));
}

asio::awaitable<std::optional<response>> create_user(hono_context ctx, request req, route_params) {
  const auto id = ctx.read_state().next_user_id;
  auto user = hono_user(id, req.text());
  if (!user) co_return json_error("Body must be a JSON object", 400);
  auto& state = ctx.state();
  ++state.next_user_id;
  state.users[id] = *user;
  co_return response::json(std::move(*user), 201);
}

asio::awaitable<std::optional<response>> get_user(hono_context ctx, request, route_params p) {
  const auto id = user_id(p);
  const auto& users = ctx.read_state().users;
  const auto it = id ? users.find(*id) : users.end();
  if (it == users.end()) co_return json_error("User not found", 404);
  co_return response::json(it->second);
}

asio::awaitable<std::optional<response>> update_user(hono_context ctx, request req, route_params p) {
  const auto id = user_id(p);
  if (!id || !ctx.read_state().users.contains(*id)) co_return json_error("User not found", 404);
  auto user = hono_user(*id, req.text());
  if (!user) co_return json_error("Body must be a JSON object", 400);
  ctx.state().users[*id] = *user;
  co_return response::json(std::move(*user));
}

asio::awaitable<std::optional<response>> delete_user(hono_context ctx, request, route_params p) {
  const auto id = user_id(p);
  if (!id || !ctx.read_state().users.contains(*id)) co_return json_error("User not found", 404);
  ctx.state().users.erase(*id);
  co_return response::empty(204);
}

hono_vars build_router(hono_context) {
  hono_vars v;
  v.app.get("/api/hello", hello)
      .post("/api/echo", echo)
      .get("/api/stats", stats)
      .get("/api/state", stats)
      .all("/api/request", describe)
      .get("/users", list_users)
      .post("/users", create_user)
      .get("/users/:id", get_user)
      .put("/users/:id", update_user)
      .del("/users/:id", delete_user);
  return v;
}

asio::awaitable<std::optional<response>> on_fetch(hono_context ctx, request req) {
  ++ctx.state(actorhost::allow_unconfirmed).request_count;
  co_return co_await ctx.vars().app.handle(ctx, std::move(req));
}

} // namespace

void add_hono_actor(actorhost::registry& reg) {
  reg.add(actorhost::actor<hono_state, hono_vars>{
      .name = "honoActor",
      .create_vars = build_router,
      .on_auth = actorhost::allow_all,
      .on_fetch = on_fetch,
  });
}

} // namespace examples
