#include "actorhost/codec/websocket_client_handshake.hpp"

#include "actorhost/codec/ascii.hpp"
#include "actorhost/codec/websocket_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace actorhost::codec {

namespace {

class websocket_client_handshake_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "actorhost.websocket_client_handshake"; }
  std::string message(int ev) const override {
    using e = websocket_client_handshake_error;
    switch (static_cast<e>(ev)) {
      case e::not_switching_protocols: return "the server did not switch to the WebSocket protocol";
      case e::not_websocket: return "WebSocket answer without Upgrade: websocket";
      case e::missing_connection_upgrade: return "WebSocket answer whose Connection field lacks the upgrade token";
      case e::bad_accept: return "WebSocket answer with a missing or wrong Sec-WebSocket-Accept";
      case e::unrequested_extension: return "WebSocket answer with an extension that was not offered";
      case e::unrequested_protocol: return "WebSocket answer with a subprotocol that was not offered";
    }
    return "unknown WebSocket client handshake error";
  }
};

} // namespace

const std::error_category& websocket_client_handshake_category() noexcept {
  static const websocket_client_handshake_category_impl category;
  return category;
}

std::error_code make_error_code(websocket_client_handshake_error e) noexcept {
  return {static_cast<int>(e), websocket_client_handshake_category()};
}

std::string make_websocket_key() {
  std::array<unsigned char, 16> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  unsigned char encoded[4 * ((16 + 2) / 3) + 1]; // 24 characters and EVP_EncodeBlock's NUL
  const int n = EVP_EncodeBlock(encoded, nonce.data(), static_cast<int>(nonce.size()));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

std::error_code check_websocket_response(int status, std::span<const header_field> fields, std::string_view key,
                                         std::span<const std::string> protocols, std::string& protocol) {
  using e = websocket_client_handshake_error;
  if (status != 101) return e::not_switching_protocols; // §4.1: handled as HTTP
  bool upgrade = false, connection = false, extension = false;
  int accepts = 0;
  std::string_view accept;
  for (const auto& f : fields) {
    if (iequals(f.name, "upgrade")) upgrade = upgrade || list_has_token(f.value, "websocket");
    else if (iequals(f.name, "connection")) connection = connection || list_has_token(f.value, "upgrade");
    else if (iequals(f.name, "sec-websocket-accept")) {
      ++accepts;
      accept = trim_ows(f.value);
    } else if (iequals(f.name, "sec-websocket-extensions")) {
      extension = extension || any_list_element(f.value, [](std::string_view) { return true; });
    }
  }
  if (!upgrade) return e::not_websocket;                 // §4.1 item 2
  if (!connection) return e::missing_connection_upgrade; // §4.1 item 3
  if (accepts != 1 || accept != websocket_accept(key)) return e::bad_accept; // §4.1 item 4
  if (extension) return e::unrequested_extension;        // §4.1 item 5
  const auto chosen = parse_websocket_protocols(fields);
  if (chosen.size() > 1) return e::unrequested_protocol; // §4.1 item 6: one of those offered
  if (chosen.size() == 1 && std::find(protocols.begin(), protocols.end(), chosen[0]) == protocols.end())
    return e::unrequested_protocol;
  protocol = chosen.empty() ? std::string() : chosen[0];
  return {};
}

} // namespace actorhost::codec
