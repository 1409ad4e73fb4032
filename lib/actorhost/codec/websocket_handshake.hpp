// websocket_handshake: the server's side of the RFC 6455 opening handshake (§4.2).
//
// check_websocket_upgrade() decides whether a parsed HTTP request is a valid WebSocket
// upgrade (§4.2.1) and, when it is, hands back the client's key and offered subprotocols;
// websocket_accept() computes the Sec-WebSocket-Accept value of the 101 answer (§4.2.2 item
// 5.4). Nothing here writes a response or touches a socket: the connection layer answers 101
// with the accept value and the chosen subprotocol, or the status that
// websocket_handshake_status() gives for a refusal.
//
// Invariants: a request passes only with every field §4.2.1 requires, each present once where
// §11.3 says it may appear only once; header names and the Upgrade and Connection tokens are
// compared ASCII case-insensitively, the key and the version exactly. No extension is ever
// negotiated, so Sec-WebSocket-Extensions is read by nobody here (§9.1: the server answers
// without the field and the client then uses none).
#pragma once

#include "actorhost/codec/http_parser.hpp"

#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace actorhost::codec {

enum class websocket_handshake_error {
  method_not_get = 1,  // §4.2.1 item 1: the method must be GET (405)
  version_not_http11,  // §4.2.1 item 1: HTTP/1.1 or higher (400)
  missing_host,        // §4.2.1 item 2 (400)
  not_websocket,       // §4.2.1 item 3: no Upgrade field with the token "websocket" (426)
  missing_connection_upgrade, // §4.2.1 item 4: Connection without the token "upgrade" (400)
  missing_key,         // §4.2.1 item 5 (400)
  bad_key,             // §4.2.1 item 5: not base64 of 16 bytes, or repeated (400)
  missing_version,     // §4.2.1 item 6 (426, with Sec-WebSocket-Version: 13)
  unsupported_version, // §4.2.1 item 6 / §4.4: not exactly 13, or repeated (426, ditto)
};

const std::error_category& websocket_handshake_category() noexcept;
std::error_code make_error_code(websocket_handshake_error e) noexcept;

// The status a server answers a refused upgrade with: 405 for a method other than GET, 426
// (with `Upgrade: websocket` and, §4.4, `Sec-WebSocket-Version: 13`) when the request is no
// WebSocket upgrade or asks for another version, 400 otherwise.
int websocket_handshake_status(std::error_code ec) noexcept;

// The version this server speaks, for Sec-WebSocket-Version in a 426 answer (§4.4).
inline constexpr std::string_view websocket_version = "13";

// What a valid upgrade request offers.
struct websocket_upgrade {
  std::string key;                    // Sec-WebSocket-Key, exactly as sent (24 characters)
  std::vector<std::string> protocols; // Sec-WebSocket-Protocol, in the client's order
};

// Checks an upgrade request (§4.2.1) given its method, its HTTP/1.x minor version and its
// fields. On success fills `out` and returns no error; on failure `out` is unspecified.
std::error_code check_websocket_upgrade(std::string_view method, int version_minor,
                                        std::span<const header_field> fields, websocket_upgrade& out);
// The same for a head from http_parser.
std::error_code check_websocket_upgrade(const request_head& head, websocket_upgrade& out);

// True when `key` is the base64 encoding of 16 bytes: 22 alphabet characters and "==" (§4.1
// item 7, §4.2.1 item 5).
bool valid_websocket_key(std::string_view key) noexcept;

// Sec-WebSocket-Accept for a key: base64(SHA-1(key + the §1.3 GUID)) (§4.2.2 item 5.4).
// Throws std::runtime_error only if OpenSSL cannot compute SHA-1.
std::string websocket_accept(std::string_view key);

// Every Sec-WebSocket-Protocol value among `fields` (§4.1 item 10, §11.3.4): comma-separated
// lists, elements trimmed of spaces and tabs, empty elements dropped, repeated fields taken
// in order as one list (RFC 9110 §5.3).
std::vector<std::string> parse_websocket_protocols(std::span<const header_field> fields);

} // namespace actorhost::codec

template <>
struct std::is_error_code_enum<actorhost::codec::websocket_handshake_error> : std::true_type {};
