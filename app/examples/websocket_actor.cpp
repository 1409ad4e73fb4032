// websocketActor: the seed page's raw onWebSocket example.
//
//   on open                      {"type":"welcome","connectionCount":n}
//   text {"type":"ping"}         {"type":"pong","timestamp":<ms since the epoch>}
//   any other text               {"type":"echo","data":<the message: its JSON, or the text>}
//   binary                       the same bytes back
//   GET /stats (onFetch)         {"connectionCount":n,"messageCount":m}
//   action getStats()            the same
//
// connectionCount counts every connection ever opened and is saved (saveState) before the
// welcome goes out; messageCount is left to the periodic flush and the save on close, as the
// seed describes for state changed in message handlers.
#include "examples.hpp"

#include "messages.hpp"

#include <rapidjson/writer.h>

#include <chrono>

namespace examples {

namespace {

using actorhost::http::request;
using actorhost::http::response;
using actorhost::http::websocket;
using actorhost::http::websocket_message;

struct socket_stats {
  std::int64_t connection_count = 0;
  std::int64_t message_count = 0;
};

void to_json(actorhost::json_writer& w, const socket_stats& s) {
  w.StartObject();
  w.Key("connectionCount");
  w.Int64(s.connection_count);
  w.Key("messageCount");
  w.Int64(s.message_count);
  w.EndObject();
}

void from_json(const rapidjson::Value& v, socket_stats& s) {
  if (!v.IsObject()) return;
  if (v.HasMember("connectionCount") && v["connectionCount"].IsInt64()) s.connection_count = v["connectionCount"].GetInt64();
  if (v.HasMember("messageCount") && v["messageCount"].IsInt64()) s.message_count = v["messageCount"].GetInt64();
}

using socket_context = actorhost::context<socket_stats>;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

asio::awaitable<void> on_websocket(socket_context ctx, std::shared_ptr<websocket> ws, request) {
  const auto n = ++ctx.state().connection_count;
  co_await ctx.save_state();
  co_await ws->send_text(R"({"type":"welcome","connectionCount":)" + std::to_string(n) + "}");
  while (auto msg = co_await ws->receive()) {
    ++ctx.state().message_count;
    if (msg->binary) {
      co_await ws->send(std::move(*msg));
    } else if (auto reply = websocket_answer(msg->text(), now_ms())) {
      co_await ws->send_text(std::move(*reply));
    } else {
      ws->close(1009, "JSON nested too deeply");
    }
  }
}

std::string stats_json(const socket_stats& s) {
  rapidjson::StringBuffer buffer;
  actorhost::json_writer w(buffer);
  to_json(w, s);
  return {buffer.GetString(), buffer.GetSize()};
}

asio::awaitable<std::optional<response>> on_fetch(socket_context ctx, request req) {
  if (req.url().pathname() == "/stats" && req.method() == "GET") co_return response::json(stats_json(ctx.read_state()));
  co_return response("Not Found", 404);
}

asio::awaitable<rapidjson::Document> get_stats(socket_context ctx, rapidjson::Document) {
  const auto& s = ctx.read_state();
  rapidjson::Document out(rapidjson::kObjectType);
  out.AddMember("connectionCount", s.connection_count, out.GetAllocator());
  out.AddMember("messageCount", s.message_count, out.GetAllocator());
  co_return out;
}

} // namespace

void add_websocket_actor(actorhost::registry& reg) {
  reg.add(actorhost::actor<socket_stats>{
      .name = "websocketActor",
      .on_auth = actorhost::allow_all,
      .on_fetch = on_fetch,
      .on_websocket = on_websocket,
      .actions = {{"getStats", get_stats}},
  });
}

} // namespace examples
