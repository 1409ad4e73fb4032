#include "actorhost/codec/js_json.hpp"

namespace actorhost::codec {

void append_js_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

std::string js_json_name_and_key(std::string_view name, std::span<const std::string> key) {
  std::string out;
  out.reserve(8 + name.size() + key.size() * 8);
  out.push_back('[');
  append_js_json_string(out, name);
  out += ",[";
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (i != 0) out.push_back(',');
    append_js_json_string(out, key[i]);
  }
  out += "]]";
  return out;
}

} // namespace actorhost::codec
