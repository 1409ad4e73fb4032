// libFuzzer target for what the example actors read from their peers (app/examples/messages):
// websocketActor's text messages, chatRoom's socket commands and honoActor's user bodies.
// The first byte picks the entry point; the rest is the message.
//
// Invariants checked: websocketActor answers every text with a pong or an echo that is valid
// JSON (deeper than a peer may send by at most its own two levels), and declines (closing the
// socket) exactly the texts nested too deeply; chatRoom takes a command only from a JSON object
// of type "say"; honoActor's user is a JSON object whose first member is the id it was given.
#include "fuzz_check.hpp"
#include "actorhost/codec/json.hpp"
#include "actorhost/codec/utf8.hpp"
#include "messages.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace codec = actorhost::codec;
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const bool too_deep = codec::scan_json(text).depth > codec::json_max_depth;
  // A WebSocket text message is valid UTF-8 (the frame parser refuses anything else).
  if (data[0] % 3 != 2 && !codec::valid_utf8(text)) return 0;
  switch (data[0] % 3) {
    case 0: {
      const auto answer = examples::websocket_answer(text, 1234);
      FUZZ_CHECK(answer.has_value() == !too_deep);
      if (!answer) break;
      rapidjson::Document doc;
      FUZZ_CHECK(static_cast<bool>(codec::parse_json(doc, *answer, codec::json_max_depth + 2)));
      FUZZ_CHECK(doc.IsObject() && doc.HasMember("type") && doc["type"].IsString());
      break;
    }
    case 1: {
      const auto command = examples::read_chat_command(text);
      FUZZ_CHECK(std::holds_alternative<examples::chat_too_deep>(command) == too_deep);
      if (std::holds_alternative<examples::chat_say>(command)) {
        rapidjson::Document doc;
        FUZZ_CHECK(static_cast<bool>(codec::parse_json(doc, text)));
        FUZZ_CHECK(doc.IsObject() && doc["type"] == "say");
      }
      break;
    }
    default: {
      const auto user = examples::hono_user(42, text);
      if (too_deep) FUZZ_CHECK(!user);
      if (!user) break;
      rapidjson::Document doc;
      FUZZ_CHECK(static_cast<bool>(codec::parse_json(doc, *user, codec::json_max_depth + 1)));
      FUZZ_CHECK(doc.IsObject() && doc.MemberBegin()->name == "id" && doc["id"] == 42);
      break;
    }
  }
  return 0;
}
