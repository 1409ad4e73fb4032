#include "actorhost/client/client.hpp"

#include "actorhost/client/client_core.hpp"
#include "actorhost/client/routes.hpp"
#include "actorhost/codec/json.hpp"

#include <stdexcept>

namespace actorhost::client {

struct actor_handle::state {
  actor_query query;
  std::string query_json;
  std::optional<std::string> params_json;
};

namespace {

using handle_state = std::shared_ptr<const actor_handle::state>;

// The fields every request of a handle carries (SPEC §3).
void add_actor_fields(http::headers& h, const actor_handle::state& s) {
  h.set("X-RivetKit-Query", s.query_json);
  if (s.params_json) h.set("X-RivetKit-Conn-Params", *s.params_json);
  else h.remove("X-RivetKit-Conn-Params");
}

void check_open(const client_core& core) {
  if (core.disposed()) throw std::system_error(client_error::disposed);
}

asio::awaitable<http::response> fetch_on_core(std::shared_ptr<client_core> core, handle_state s, outgoing_request req) {
  check_open(*core);
  add_actor_fields(req.headers, *s);
  const bool may_repeat = req.idempotent();
  co_return co_await core->pool().send(std::move(req), may_repeat);
}

// A POST of the host's own protocol (resolve, actions): JSON both ways, errors thrown.
asio::awaitable<rapidjson::Document> call_on_core(std::shared_ptr<client_core> core, handle_state s, std::string target,
                                                 std::string body, bool may_repeat) {
  check_open(*core);
  outgoing_request req;
  req.method = "POST";
  req.target = std::move(target);
  add_actor_fields(req.headers, *s);
  req.headers.set("X-RivetKit-Encoding", "json");
  if (!body.empty()) req.headers.set("Content-Type", "application/json");
  req.body = std::move(body);
  http::response res = co_await core->pool().send(std::move(req), may_repeat);
  throw_if_error(res);
  rapidjson::Document doc;
  const bool parsed = static_cast<bool>(codec::parse_json(doc, res.body(), codec::json_stored_max_depth));
  if (!parsed || !doc.IsObject())
    throw std::system_error(client_error::invalid_response, "answer is not a JSON object");
  co_return doc;
}

asio::awaitable<std::string> resolve_on_core(std::shared_ptr<client_core> core, handle_state s) {
  const std::string target = resolve_target(core->where().base_path);
  const bool may_repeat = repeatable(s->query);
  rapidjson::Document doc = co_await call_on_core(core, s, target, std::string(), may_repeat);
  if (!doc.HasMember("i") || !doc["i"].IsString())
    throw std::system_error(client_error::invalid_response, "resolve answer without \"i\"");
  co_return std::string(doc["i"].GetString(), doc["i"].GetStringLength());
}

asio::awaitable<rapidjson::Document> action_on_core(std::shared_ptr<client_core> core, handle_state s,
                                                   std::string name, std::string args) {
  const std::string target = action_target(core->where().base_path, name);
  std::string body = R"({"a":)" + args + "}";
  rapidjson::Document doc = co_await call_on_core(core, s, target, std::move(body), false);
  // An action that returned undefined comes back as {} (JSON.stringify drops the member): null.
  rapidjson::Document out;
  if (doc.HasMember("o")) out.CopyFrom(doc["o"], out.GetAllocator());
  co_return out;
}

asio::awaitable<std::shared_ptr<http::websocket>> websocket_on_core(std::shared_ptr<client_core> core, handle_state s,
                                                                    std::string path,
                                                                    std::vector<std::string> protocols) {
  check_open(*core);
  const auto& options = core->options();
  const auto deadline = client_connection::clock::now() + options.request_timeout;
  const auto offered = websocket_protocols(s->query_json, s->params_json, protocols);
  outgoing_request req;
  req.target = websocket_target(core->where().base_path, s->query.name, path);
  auto connection = co_await core->pool().connect(deadline);
  auto ws = co_await client_websocket::handshake(std::move(connection), std::move(req), offered,
                                                 core->where().host_header, deadline, options.websocket);
  core->start(ws);
  co_return ws;
}

} // namespace

// --- actor_handle ---

actor_handle::actor_handle(std::shared_ptr<client_core> core, std::shared_ptr<const state> s)
    : core_(std::move(core)), state_(std::move(s)) {}

const actor_query& actor_handle::query() const noexcept { return state_->query; }
const std::string& actor_handle::query_json() const noexcept { return state_->query_json; }

asio::awaitable<http::response> actor_handle::fetch(std::string path) const { return fetch(std::move(path), fetch_init()); }

asio::awaitable<http::response> actor_handle::fetch(std::string path, fetch_init init) const {
  outgoing_request req;
  req.method = std::move(init.method);
  req.target = raw_http_target(core_->where().base_path, state_->query.name, path);
  req.headers = std::move(init.headers);
  req.body = std::move(init.body);
  return on_core(core_, fetch_on_core(core_, state_, std::move(req)));
}

asio::awaitable<http::response> actor_handle::fetch(http::request request) const {
  if (request.streamed()) throw std::invalid_argument("fetch: a streamed request body cannot be sent");
  std::string path(request.url().pathname());
  path += request.url().search();
  fetch_init init;
  init.method = request.method();
  init.headers = std::move(request.headers());
  init.body = std::move(request.body());
  return fetch(std::move(path), std::move(init));
}

asio::awaitable<std::shared_ptr<http::websocket>> actor_handle::websocket() const {
  return websocket("/", std::vector<std::string>());
}

asio::awaitable<std::shared_ptr<http::websocket>> actor_handle::websocket(std::string path) const {
  return websocket(std::move(path), std::vector<std::string>());
}

asio::awaitable<std::shared_ptr<http::websocket>> actor_handle::websocket(std::string path,
                                                                         std::vector<std::string> protocols) const {
  return on_core(core_, websocket_on_core(core_, state_, std::move(path), std::move(protocols)));
}

asio::awaitable<std::string> actor_handle::resolve() const { return on_core(core_, resolve_on_core(core_, state_)); }

asio::awaitable<rapidjson::Document> actor_handle::action(std::string name) const {
  return action(std::move(name), std::string("[]"));
}

asio::awaitable<rapidjson::Document> actor_handle::action(std::string name, std::string args_json) const {
  std::string args = compact_json(args_json, "action arguments");
  if (args.empty() || args.front() != '[') throw std::invalid_argument("action arguments must be a JSON array");
  return on_core(core_, action_on_core(core_, state_, std::move(name), std::move(args)));
}

// --- actor_accessor ---

actor_handle actor_accessor::make(actor_query q, handle_options options) const {
  auto s = std::make_shared<actor_handle::state>();
  if (options.params) s->params_json = compact_json(*options.params, "connection parameters");
  if (q.input_json) q.input_json = compact_json(*q.input_json, "actor input");
  s->query_json = to_json(q);
  s->query = std::move(q);
  return actor_handle(core_, std::move(s));
}

actor_handle actor_accessor::get(std::vector<std::string> key) const { return get(std::move(key), handle_options()); }

actor_handle actor_accessor::get(std::vector<std::string> key, handle_options options) const {
  return make({query_kind::get_for_key, name_, std::move(key), {}, std::nullopt}, std::move(options));
}

actor_handle actor_accessor::get_or_create(std::vector<std::string> key) const {
  return get_or_create(std::move(key), std::string(), handle_options());
}

actor_handle actor_accessor::get_or_create(std::vector<std::string> key, std::string input_json) const {
  return get_or_create(std::move(key), std::move(input_json), handle_options());
}

actor_handle actor_accessor::get_or_create(std::vector<std::string> key, std::string input_json,
                                           handle_options options) const {
  std::optional<std::string> input;
  if (!input_json.empty()) input = std::move(input_json);
  return make({query_kind::get_or_create_for_key, name_, std::move(key), {}, std::move(input)}, std::move(options));
}

actor_handle actor_accessor::create(std::vector<std::string> key) const {
  return create(std::move(key), std::string(), handle_options());
}

actor_handle actor_accessor::create(std::vector<std::string> key, std::string input_json) const {
  return create(std::move(key), std::move(input_json), handle_options());
}

actor_handle actor_accessor::create(std::vector<std::string> key, std::string input_json, handle_options options) const {
  std::optional<std::string> input;
  if (!input_json.empty()) input = std::move(input_json);
  return make({query_kind::create, name_, std::move(key), {}, std::move(input)}, std::move(options));
}

actor_handle actor_accessor::get_for_id(std::string actor_id) const {
  return get_for_id(std::move(actor_id), handle_options());
}

actor_handle actor_accessor::get_for_id(std::string actor_id, handle_options options) const {
  return make({query_kind::get_for_id, name_, {}, std::move(actor_id), std::nullopt}, std::move(options));
}

// --- client ---

actor_accessor client::get(std::string name) const {
  if (name.empty()) throw std::invalid_argument("actor name is empty");
  return actor_accessor(core_, std::move(name));
}

asio::any_io_executor client::executor() const { return core_->executor(); }
const endpoint& client::where() const noexcept { return core_->where(); }
pool_stats client::stats() const noexcept { return core_->pool().stats(); }
void client::dispose() const { core_->dispose(); }

client create_client(std::string_view url, asio::any_io_executor executor, client_options options) {
  return client(std::make_shared<client_core>(parse_endpoint(url), std::move(executor), options, nullptr));
}

client create_client(std::string_view url, client_options options) {
  auto where = parse_endpoint(url);
  auto thread = std::make_unique<io_thread>();
  auto executor = thread->executor();
  return client(std::make_shared<client_core>(std::move(where), std::move(executor), options, std::move(thread)));
}

} // namespace actorhost::client
