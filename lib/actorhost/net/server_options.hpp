// server_options: where the HTTP server listens and the limits that protect it.
#pragma once

#include "actorhost/codec/http_parser.hpp"
#include "actorhost/http/websocket.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace actorhost::net {

struct websocket_options {
  // The largest message (all its fragments) a peer may send; larger ones close with 1009.
  std::uint64_t max_message_size = 16 * 1024 * 1024;
  // After this long without a byte from the peer the server pings it; after as long again
  // with no answer the connection is dropped.
  std::chrono::milliseconds ping_interval{30'000};
  // How long to wait for the peer's Close after sending ours.
  std::chrono::milliseconds close_timeout{5'000};
  http::websocket_limits limits;
};

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080; // 0 picks a free port
  codec::http_parser_limits limits;
  // Until a request head is complete once its first byte has come.
  std::chrono::milliseconds header_timeout{10'000};
  // Between requests on a keep-alive connection.
  std::chrono::milliseconds idle_timeout{60'000};
  // For each read of a request body and each write of a response.
  std::chrono::milliseconds io_timeout{30'000};
  // Request bodies larger than this reach the handler as a stream (see http/request.hpp).
  std::size_t stream_threshold = 1024 * 1024;
  // Large response bodies held for peers that have not read them, over all connections: past
  // it, a connection whose reader has taken nothing for a second is dropped.
  std::size_t max_pending_output = 64 * 1024 * 1024;
  int listen_backlog = 4096;
  websocket_options websocket;
};

} // namespace actorhost::net
