// websocket_client_handshake: the client's side of the RFC 6455 opening handshake (§4.1).
//
// make_websocket_key() draws the Sec-WebSocket-Key a client sends (§4.1 item 7: 16 random bytes,
// base64); check_websocket_response() decides whether the server's answer opens the
// connection, as §4.1 lists it after "the client MUST validate the server's response": status
// 101, `Upgrade: websocket`, a Connection field with the upgrade token, the Accept value that
// proves the server read this key, no extension and no subprotocol that was not offered. It
// writes no request and touches no socket: the client connection does that and fails the
// connection on any error returned here.
//
// Invariants: header names and the Upgrade and Connection tokens compare ASCII
// case-insensitively, the Accept value and the subprotocol exactly (§4.1, §11.3.4); a field that
// may appear only once (§11.3.3, §11.3.4) fails the handshake when repeated.
#pragma once

#include "actorhost/codec/http_parser.hpp"

#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace actorhost::codec {

enum class websocket_client_handshake_error {
  not_switching_protocols = 1, // §4.1: the status is not 101 (the answer is plain HTTP)
  not_websocket,               // §4.1 item 2: no Upgrade field with the token "websocket"
  missing_connection_upgrade,  // §4.1 item 3: no Connection field with the token "upgrade"
  bad_accept,                  // §4.1 item 4: Sec-WebSocket-Accept missing, repeated or wrong
  unrequested_extension,       // §4.1 item 5: an extension, though none was offered
  unrequested_protocol,        // §4.1 item 6: a subprotocol that was not offered, or several
};

const std::error_category& websocket_client_handshake_category() noexcept;
std::error_code make_error_code(websocket_client_handshake_error e) noexcept;

// A fresh Sec-WebSocket-Key: base64 of 16 bytes from OpenSSL's RAND_bytes (§4.1 item 7).
std::string make_websocket_key();

// Checks the server's answer to an upgrade request that sent `key` and offered `protocols`.
// On success sets `protocol` to the subprotocol the server chose ("" for none).
std::error_code check_websocket_response(int status, std::span<const header_field> fields, std::string_view key,
                                         std::span<const std::string> protocols, std::string& protocol);

} // namespace actorhost::codec

template <>
struct std::is_error_code_enum<actorhost::codec::websocket_client_handshake_error> : std::true_type {};
