#include "actorhost/client/routes.hpp"

#include "actorhost/codec/uri.hpp"
#include "actorhost/http/headers.hpp"

#include <stdexcept>

namespace actorhost::client {

namespace {

bool needs_escape(unsigned char c) noexcept {
  if (c <= 0x20 || c >= 0x7f) return true;
  return std::string_view("\"<>\\^`{|}").find(static_cast<char>(c)) != std::string_view::npos;
}

void append_escaped(std::string& out, unsigned char c) {
  constexpr char hex[] = "0123456789ABCDEF";
  out += '%';
  out += hex[c >> 4];
  out += hex[c & 0xf];
}

std::string actor_target(std::string_view base, std::string_view name, std::string_view route, std::string_view path) {
  std::string out(base);
  out += "/actors/";
  out += codec::encode_component(name);
  out += '/';
  out += route;
  out += '/';
  out += actor_path(path);
  return out;
}

// encodeURIComponent, and '(' and ')' too: a subprotocol must be a token (RFC 6455 §4.1 item
// 10, RFC 9110 §5.6.2), and encodeURIComponent leaves those two as they are.
std::string protocol_component(std::string_view json) {
  std::string out;
  for (const char c : codec::encode_component(json)) {
    if (c == '(') out += "%28";
    else if (c == ')') out += "%29";
    else out += c;
  }
  return out;
}

} // namespace

std::string actor_path(std::string_view path) {
  if (const auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::string out;
  out.reserve(path.size());
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) append_escaped(out, c);
    else out += ch;
  }
  return out;
}

std::string raw_http_target(std::string_view base, std::string_view name, std::string_view path) {
  return actor_target(base, name, "raw/http", path);
}

std::string websocket_target(std::string_view base, std::string_view name, std::string_view path) {
  return actor_target(base, name, "ws", path);
}

std::string resolve_target(std::string_view base) { return std::string(base) + "/actors/resolve"; }

std::string action_target(std::string_view base, std::string_view action) {
  return std::string(base) + "/actors/actions/" + codec::encode_component(action);
}

std::vector<std::string> websocket_protocols(std::string_view query_json, const std::optional<std::string>& params_json,
                                             std::span<const std::string> own) {
  std::vector<std::string> out;
  out.reserve(4 + own.size());
  out.push_back("query." + protocol_component(query_json));
  out.emplace_back("encoding.json");
  if (params_json) out.push_back("conn_params." + protocol_component(*params_json));
  out.emplace_back("rivetkit");
  for (const auto& p : own) {
    if (!http::valid_field_name(p)) throw std::invalid_argument("WebSocket subprotocol is not a token: " + p);
    if (p == "rivetkit" || p.starts_with("query.") || p.starts_with("encoding.") || p.starts_with("conn_params."))
      throw std::invalid_argument("WebSocket subprotocol is reserved for the actor protocol: " + p);
    out.push_back(p);
  }
  return out;
}

} // namespace actorhost::client
