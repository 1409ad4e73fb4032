#include "messages.hpp"

#include "actorhost/codec/js_json.hpp"
#include "actorhost/codec/json.hpp"

namespace examples {

namespace codec = actorhost::codec;

namespace {

std::string_view string_member(const rapidjson::Value& v, const char* name) {
  const auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

} // namespace

std::optional<std::string> websocket_answer(std::string_view text, std::int64_t now_ms) {
  rapidjson::Document doc;
  const auto parsed = codec::parse_json(doc, text);
  if (parsed.error == codec::json_error::too_deep) return std::nullopt;
  if (parsed && doc.IsObject() && string_member(doc, "type") == "ping")
    return R"({"type":"pong","timestamp":)" + std::to_string(now_ms) + "}";
  std::string out = R"({"type":"echo","data":)";
  if (!parsed) codec::append_js_json_string(out, text);
  else codec::write_json(out, doc); // parsed within the limit, so written within it
  out += '}';
  return out;
}

chat_command read_chat_command(std::string_view text) {
  rapidjson::Document doc;
  const auto parsed = codec::parse_json(doc, text);
  if (parsed.error == codec::json_error::too_deep) return chat_too_deep{};
  if (!parsed || !doc.IsObject() || string_member(doc, "type") != "say") return chat_ignored{};
  return chat_say{std::string(string_member(doc, "from")), std::string(string_member(doc, "text"))};
}

std::optional<std::string> hono_user(std::int64_t id, std::string_view body) {
  rapidjson::Document doc;
  if (!codec::parse_json(doc, body) || !doc.IsObject()) return std::nullopt;
  std::string out = R"({"id":)" + std::to_string(id);
  for (const auto& m : doc.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "id") continue;
    out += ',';
    codec::append_js_json_string(out, name);
    out += ':';
    codec::write_json(out, m.value);
  }
  out += '}';
  return out;
}

} // namespace examples
