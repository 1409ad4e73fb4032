// What the example actors make of the JSON their peers send: one function per entry point, so
// that each handler and its fuzz target (tests/fuzz/json_entry_fuzz.cpp) run the same code.
// Every text goes through codec::parse_json (bounded depth, last duplicate member wins, UTF-8
// checked); nothing here touches an actor or a socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace examples {

// websocketActor's answer to a text message: {"type":"pong","timestamp":now_ms} for
// {"type":"ping"}, else {"type":"echo","data":<the message as JSON, or as a string>}.
// nullopt for JSON nested past the host's limit: the socket closes with 1009.
std::optional<std::string> websocket_answer(std::string_view text, std::int64_t now_ms);

// chatRoom's socket commands: {"type":"say","from":...,"text":...}.
struct chat_say {
  std::string from;
  std::string text;
};
struct chat_ignored {};   // not a command: the room ignores it
struct chat_too_deep {};  // JSON nested past the limit: the socket closes with 1009
using chat_command = std::variant<chat_ignored, chat_say, chat_too_deep>;
chat_command read_chat_command(std::string_view text);

// honoActor's user record from a POST/PUT body: the body's members with "id" first (the one
// given, replacing any the client sent); nullopt when the body is not a JSON object.
std::optional<std::string> hono_user(std::int64_t id, std::string_view body);

} // namespace examples
