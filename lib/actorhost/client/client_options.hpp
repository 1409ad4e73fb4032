// client_options: the limits and deadlines of a client, with defaults that suit a backend
// talking to one actorhost.
//
// Connections: fetches, resolves and actions share a keep-alive pool of at most
// `max_connections` connections; a request that finds them all busy waits for one (within its
// request_timeout). At most `max_idle_connections` stay open between requests, each for at
// most `idle_timeout`, which is kept below the host's own keep-alive timeout (60 s) so that
// the client, not the server, is normally the one that lets a connection go. WebSockets each
// have a connection of their own, outside the pool.
#pragma once

#include "actorhost/http/websocket.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace actorhost::client {

struct websocket_options {
  // The largest message accepted from the server; a larger one fails the socket with 1009.
  std::uint64_t max_message_size = 16 * 1024 * 1024;
  // Send and receive backpressure marks (http/websocket.hpp).
  http::websocket_limits limits;
  // How long the close handshake may take before the connection is dropped.
  std::chrono::milliseconds close_timeout{5000};
  // After this long without a byte from the server, a ping; as long again without one, the
  // socket is dropped (close code 1006), so a server that vanished without a word (a network
  // cut, a half-open TCP connection) is noticed. Zero: no pings.
  std::chrono::milliseconds ping_interval{30'000};
};

struct client_options {
  // Resolving the host name and opening the TCP connection.
  std::chrono::milliseconds connect_timeout{10'000};
  // A whole request: waiting for a pooled connection, connecting, writing, reading the
  // response (for a WebSocket: its opening handshake).
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_connections = 64;
  std::size_t max_idle_connections = 16;
  std::chrono::milliseconds idle_timeout{30'000};
  std::uint64_t max_response_body = 64 * 1024 * 1024;
  websocket_options websocket;
};

} // namespace actorhost::client
