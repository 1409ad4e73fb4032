#include "actorhost/codec/websocket_handshake.hpp"

#include "actorhost/codec/ascii.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

namespace actorhost::codec {

namespace {

class websocket_handshake_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "actorhost.websocket_handshake"; }
  std::string message(int ev) const override {
    switch (static_cast<websocket_handshake_error>(ev)) {
      case websocket_handshake_error::method_not_get: return "WebSocket upgrade method is not GET";
      case websocket_handshake_error::version_not_http11: return "WebSocket upgrade needs HTTP/1.1";
      case websocket_handshake_error::missing_host: return "WebSocket upgrade without Host";
      case websocket_handshake_error::not_websocket: return "no Upgrade: websocket";
      case websocket_handshake_error::missing_connection_upgrade: return "Connection field lacks the upgrade token";
      case websocket_handshake_error::missing_key: return "missing Sec-WebSocket-Key";
      case websocket_handshake_error::bad_key: return "Sec-WebSocket-Key is not base64 of 16 bytes";
      case websocket_handshake_error::missing_version: return "missing Sec-WebSocket-Version";
      case websocket_handshake_error::unsupported_version: return "Sec-WebSocket-Version is not 13";
    }
    return "unknown WebSocket handshake error";
  }
};

bool base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// The digest is fetched once: an implicit fetch per call would take OpenSSL's lock each time.
const EVP_MD* sha1() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  if (md == nullptr) throw std::runtime_error("OpenSSL has no SHA1");
  return md;
}

// §1.3: the GUID every server appends to the key.
constexpr std::string_view accept_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

} // namespace

const std::error_category& websocket_handshake_category() noexcept {
  static const websocket_handshake_category_impl category;
  return category;
}

std::error_code make_error_code(websocket_handshake_error e) noexcept {
  return {static_cast<int>(e), websocket_handshake_category()};
}

int websocket_handshake_status(std::error_code ec) noexcept {
  if (ec.category() != websocket_handshake_category()) return 400;
  switch (static_cast<websocket_handshake_error>(ec.value())) {
    case websocket_handshake_error::method_not_get: return 405;
    case websocket_handshake_error::not_websocket:
    case websocket_handshake_error::missing_version:
    case websocket_handshake_error::unsupported_version: return 426;
    default: return 400;
  }
}

bool valid_websocket_key(std::string_view key) noexcept {
  // 16 bytes are 128 bits: 21 full sextets, a 22nd holding the last 2 bits, then "==".
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  return std::all_of(key.begin(), key.begin() + 22, base64_char);
}

std::error_code check_websocket_upgrade(std::string_view method, int version_minor,
                                        std::span<const header_field> fields, websocket_upgrade& out) {
  using e = websocket_handshake_error;
  if (method != "GET") return e::method_not_get;   // §4.2.1 item 1
  if (version_minor < 1) return e::version_not_http11; // §4.2.1 item 1
  bool host = false, upgrade = false, connection = false;
  int keys = 0, versions = 0;
  std::string_view key, version;
  for (const auto& f : fields) {
    if (iequals(f.name, "host")) host = true;
    else if (iequals(f.name, "upgrade")) upgrade = upgrade || list_has_token(f.value, "websocket");
    else if (iequals(f.name, "connection")) connection = connection || list_has_token(f.value, "upgrade");
    else if (iequals(f.name, "sec-websocket-key")) {
      ++keys;
      key = trim_ows(f.value);
    } else if (iequals(f.name, "sec-websocket-version")) {
      ++versions;
      version = trim_ows(f.value);
    }
  }
  if (!host) return e::missing_host;                        // §4.2.1 item 2
  if (!upgrade) return e::not_websocket;                    // §4.2.1 item 3
  if (!connection) return e::missing_connection_upgrade;    // §4.2.1 item 4
  if (keys == 0) return e::missing_key;                     // §4.2.1 item 5
  if (keys > 1 || !valid_websocket_key(key)) return e::bad_key; // §11.3.1: only once
  if (versions == 0) return e::missing_version;             // §4.2.1 item 6
  if (versions > 1 || version != websocket_version) return e::unsupported_version; // §11.3.5
  out.key.assign(key);
  out.protocols = parse_websocket_protocols(fields);
  return {};
}

std::error_code check_websocket_upgrade(const request_head& head, websocket_upgrade& out) {
  return check_websocket_upgrade(head.method, head.version_minor, head.fields, out);
}

std::string websocket_accept(std::string_view key) {
  std::string input;
  input.reserve(key.size() + accept_guid.size());
  input.append(key).append(accept_guid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &size, sha1(), nullptr) != 1 || size != 20)
    throw std::runtime_error("SHA1 failed");
  unsigned char encoded[4 * ((20 + 2) / 3) + 1]; // 28 characters and EVP_EncodeBlock's NUL
  const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

std::vector<std::string> parse_websocket_protocols(std::span<const header_field> fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) {
    if (!iequals(f.name, "sec-websocket-protocol")) continue;
    any_list_element(f.value, [&](std::string_view e) {
      out.emplace_back(e);
      return false;
    });
  }
  return out;
}

} // namespace actorhost::codec
