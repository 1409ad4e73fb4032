// chatRoom: the actor behind the demo page (GET /), one instance per room.
//
//   WebSocket, on open            {"type":"history","messages":[{"from","text","at"}...]}
//   WebSocket {"type":"say","from","text"}  the message is made durable, then every socket of
//                                 the room gets {"type":"message","message":{"from","text","at"}}
//   GET /stats                    {"messageCount":n}
//   GET /messages                 {"messages":[...]}
//   action say(from, text)        the same as a socket's say; returns the message
//   action history()              the messages
//
// The room keeps its last 100 messages. Its open sockets live in vars (they are not state: a
// woken room has none). A socket too slow to take a broadcast is closed rather than buffered.
#include "examples.hpp"

#include "messages.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <deque>

namespace examples {

namespace {

using actorhost::http::request;
using actorhost::http::response;
using actorhost::http::websocket;

constexpr std::size_t kept_messages = 100;
constexpr std::size_t max_name_bytes = 64;
constexpr std::size_t max_text_bytes = 2000;

struct chat_message {
  std::string from;
  std::string text;
  std::int64_t at = 0; // ms since the epoch
};

struct room_state {
  std::deque<chat_message> messages;
  std::int64_t message_count = 0;
};

struct room_vars {
  std::vector<std::shared_ptr<websocket>> sockets;
};

void write_message(actorhost::json_writer& w, const chat_message& m) {
  w.StartObject();
  w.Key("from");
  w.String(m.from.data(), static_cast<rapidjson::SizeType>(m.from.size()));
  w.Key("text");
  w.String(m.text.data(), static_cast<rapidjson::SizeType>(m.text.size()));
  w.Key("at");
  w.Int64(m.at);
  w.EndObject();
}

void write_messages(actorhost::json_writer& w, const std::deque<chat_message>& messages) {
  w.StartArray();
  for (const auto& m : messages) write_message(w, m);
  w.EndArray();
}

void to_json(actorhost::json_writer& w, const room_state& s) {
  w.StartObject();
  w.Key("messages");
  write_messages(w, s.messages);
  w.Key("messageCount");
  w.Int64(s.message_count);
  w.EndObject();
}

void from_json(const rapidjson::Value& v, room_state& s) {
  if (!v.IsObject()) return;
  if (v.HasMember("messageCount") && v["messageCount"].IsInt64()) s.message_count = v["messageCount"].GetInt64();
  if (!v.HasMember("messages") || !v["messages"].IsArray()) return;
  for (const auto& m : v["messages"].GetArray()) {
    if (!m.IsObject() || !m.HasMember("from") || !m["from"].IsString() || !m.HasMember("text") || !m["text"].IsString())
      continue;
    s.messages.push_back({m["from"].GetString(), m["text"].GetString(), m.HasMember("at") && m["at"].IsInt64() ? m["at"].GetInt64() : 0});
  }
}

using room_context = actorhost::context<room_state, room_vars>;

// Serializes with `write` into JSON text.
template <class F>
std::string json_text(F write) {
  rapidjson::StringBuffer buffer;
  actorhost::json_writer w(buffer);
  write(w);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string history_event(const room_state& s) {
  return json_text([&](actorhost::json_writer& w) {
    w.StartObject();
    w.Key("type");
    w.String("history");
    w.Key("messages");
    write_messages(w, s.messages);
    w.EndObject();
  });
}

// Checks and adds a message; throws user_error for a bad one.
const chat_message& add_message(room_context& ctx, std::string_view from, std::string_view text) {
  if (text.empty() || text.size() > max_text_bytes)
    throw actorhost::user_error("invalid_message", "a message has 1 to 2000 bytes of text");
  if (from.size() > max_name_bytes) throw actorhost::user_error("invalid_message", "a name has at most 64 bytes");
  using namespace std::chrono;
  auto& s = ctx.state();
  s.messages.push_back({from.empty() ? "anonymous" : std::string(from), std::string(text),
                        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()});
  if (s.messages.size() > kept_messages) s.messages.pop_front();
  ++s.message_count;
  return s.messages.back();
}

// Makes the new message durable, then tells every socket of the room.
asio::awaitable<chat_message> say(room_context ctx, std::string_view from, std::string_view text) {
  chat_message m = add_message(ctx, from, text);
  co_await ctx.save_state();
  const std::string event = json_text([&](actorhost::json_writer& w) {
    w.StartObject();
    w.Key("type");
    w.String("message");
    w.Key("message");
    write_message(w, m);
    w.EndObject();
  });
  for (const auto& socket : ctx.vars().sockets) {
    if (!socket->try_send(actorhost::http::websocket_message::make_text(event)) && socket->is_open())
      socket->close(1008, "too slow");
  }
  co_return m;
}

asio::awaitable<void> on_websocket(room_context ctx, std::shared_ptr<websocket> ws, request) {
  auto& sockets = ctx.vars().sockets;
  sockets.push_back(ws);
  ws->try_send(actorhost::http::websocket_message::make_text(history_event(ctx.read_state())));
  while (auto msg = co_await ws->receive()) {
    if (msg->binary) continue;
    const chat_command command = read_chat_command(msg->data);
    if (std::holds_alternative<chat_too_deep>(command)) {
      ws->close(1009, "JSON nested too deeply");
      break;
    }
    const auto* said = std::get_if<chat_say>(&command);
    if (said == nullptr) continue;
    std::string refusal;
    try {
      co_await say(ctx, said->from, said->text);
    } catch (const actorhost::actor_error& e) {
      refusal = R"({"type":"error","code":")" + e.code() + "\"}";
    }
    if (!refusal.empty()) co_await ws->send_text(std::move(refusal));
  }
  std::erase(ctx.vars().sockets, ws);
}

asio::awaitable<std::optional<response>> on_fetch(room_context ctx, request req) {
  const auto path = req.url().pathname();
  if (path == "/stats" && req.method() == "GET")
    co_return response::json(R"({"messageCount":)" + std::to_string(ctx.read_state().message_count) + "}");
  if (path == "/messages" && req.method() == "GET") {
    co_return response::json(json_text([&](actorhost::json_writer& w) {
      w.StartObject();
      w.Key("messages");
      write_messages(w, ctx.read_state().messages);
      w.EndObject();
    }));
  }
  co_return response("Not Found", 404);
}

// A message as a JSON value, for an action's result.
void set_message(rapidjson::Value& v, const chat_message& m, rapidjson::Document::AllocatorType& a) {
  const auto string = [&](const std::string& text) {
    return rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), a);
  };
  v.SetObject();
  v.AddMember("from", string(m.from), a);
  v.AddMember("text", string(m.text), a);
  v.AddMember("at", rapidjson::Value(static_cast<std::int64_t>(m.at)), a);
}

asio::awaitable<rapidjson::Document> say_action(room_context ctx, rapidjson::Document args) {
  if (args.Size() < 2 || !args[0].IsString() || !args[1].IsString())
    throw actorhost::user_error("invalid_message", "say takes (from, text)");
  const chat_message m =
      co_await say(ctx, {args[0].GetString(), args[0].GetStringLength()}, {args[1].GetString(), args[1].GetStringLength()});
  rapidjson::Document out;
  set_message(out, m, out.GetAllocator());
  co_return out;
}

asio::awaitable<rapidjson::Document> history_action(room_context ctx, rapidjson::Document) {
  rapidjson::Document out;
  auto& a = out.GetAllocator();
  out.SetArray();
  for (const auto& m : ctx.read_state().messages) {
    rapidjson::Value v;
    set_message(v, m, a);
    out.PushBack(v, a);
  }
  co_return out;
}

} // namespace

void add_chat_room(actorhost::registry& reg) {
  reg.add(actorhost::actor<room_state, room_vars>{
      .name = "chatRoom",
      .on_auth = actorhost::allow_all,
      .on_fetch = on_fetch,
      .on_websocket = on_websocket,
      .actions = {{"say", say_action}, {"history", history_action}},
  });
}

} // namespace examples
