#include "actorhost/client/outgoing_request.hpp"

#include <charconv>
#include <stdexcept>

namespace actorhost::client {

namespace {

bool framing_field(std::string_view name) noexcept {
  return http::iequals(name, "host") || http::iequals(name, "content-length") ||
         http::iequals(name, "transfer-encoding") || http::iequals(name, "connection");
}

// Methods that carry a body by definition get Content-Length: 0 when it is empty, as browsers
// send it (RFC 9110 §8.6).
bool body_method(std::string_view method) noexcept { return method == "POST" || method == "PUT" || method == "PATCH"; }

bool valid_target(std::string_view target) noexcept {
  if (target.empty()) return false;
  for (const char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

} // namespace

bool outgoing_request::idempotent() const noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" || method == "PUT" ||
         method == "DELETE";
}

void serialize_request(std::string& out, const outgoing_request& r, std::string_view host) {
  if (!http::valid_field_name(r.method)) throw std::invalid_argument("invalid HTTP method: " + r.method);
  if (!valid_target(r.target)) throw std::invalid_argument("invalid request target: " + r.target);
  out += r.method;
  out += ' ';
  out += r.target;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\n";
  for (const auto& f : r.headers) {
    if (framing_field(f.name)) continue;
    out += f.name;
    out += ": ";
    out += f.value;
    out += "\r\n";
  }
  if (!r.body.empty() || body_method(r.method)) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, r.body.size());
    out += "Content-Length: ";
    out.append(digits, end);
    out += "\r\n";
  }
  if (r.upgrade) out += "Connection: Upgrade\r\n";
  out += "\r\n";
  out += r.body;
}

} // namespace actorhost::client
