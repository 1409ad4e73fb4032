#include "actorhost/client/endpoint.hpp"

#include "actorhost/codec/ascii.hpp"

#include <charconv>
#include <stdexcept>

namespace actorhost::client {

namespace {

[[noreturn]] void refuse(std::string_view url, std::string_view why) {
  throw std::invalid_argument("client endpoint \"" + std::string(url) + "\": " + std::string(why));
}

bool valid_port(std::string_view port) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return !port.empty() && ec == std::errc() && end == port.data() + port.size() && value > 0 && value <= 65535;
}

} // namespace

endpoint parse_endpoint(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.size() < scheme.size() || !codec::iequals(url.substr(0, scheme.size()), scheme)) {
    if (url.size() >= 8 && codec::iequals(url.substr(0, 8), "https://")) refuse(url, "https is not supported");
    refuse(url, "not an http:// URL");
  }
  std::string_view rest = url.substr(scheme.size());
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view path = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.empty()) refuse(url, "no host");
  if (authority.find('@') != std::string_view::npos) refuse(url, "user information is not supported");
  if (path.find_first_of("?#") != std::string_view::npos) refuse(url, "a query or fragment is not supported");

  endpoint ep;
  ep.host_header = std::string(authority);
  std::string_view port;
  if (authority.front() == '[') { // an IPv6 literal (RFC 3986 §3.2.2)
    const auto close = authority.find(']');
    if (close == std::string_view::npos) refuse(url, "unterminated IPv6 address");
    ep.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') refuse(url, "malformed authority");
      port = after.substr(1);
      if (port.empty()) refuse(url, "empty port");
    }
  } else {
    const auto colon = authority.rfind(':');
    ep.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) refuse(url, "empty port");
    }
  }
  if (ep.host.empty()) refuse(url, "no host");
  if (!port.empty() && !valid_port(port)) refuse(url, "invalid port");
  ep.port = port.empty() ? "80" : std::string(port);

  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  ep.base_path = std::string(path);
  if (!path.ends_with("/registry")) ep.base_path += "/registry";
  return ep;
}

} // namespace actorhost::client
