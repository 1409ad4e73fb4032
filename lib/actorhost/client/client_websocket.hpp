// client_websocket: the client's end of one WebSocket to an actor (RFC 6455), the mirror of
// net::websocket_connection in the client role.
//
// handshake() turns a fresh connection into a WebSocket: it sends the upgrade request with a
// new key and the offered subprotocols, and accepts only a 101 that codec's client handshake
// check passes (§4.1); an error status throws actor_error_response (the host's {"c","m","md"}
// body), any other refusal std::system_error. The bytes that came after the 101's head are
// the first frames and are parsed before anything new is read.
//
// After the handshake the socket is a net::websocket_stream in the client role: the server's
// frames must be unmasked (§5.1), every frame sent is masked with a fresh key (§5.3), no pings
// are sent, and after the Close frames the client waits for the server to close TCP (§7.1.1),
// closing it itself only when the server does not within close_timeout.
#pragma once

#include "actorhost/client/client_connection.hpp"
#include "actorhost/client/client_options.hpp"
#include "actorhost/client/outgoing_request.hpp"
#include "actorhost/net/websocket_stream.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::client {

class client_websocket final : public net::websocket_stream {
public:
  using clock = std::chrono::steady_clock;

  client_websocket(asio::ip::tcp::socket socket, std::string protocol, std::string_view already_read,
                   const websocket_options& options);

  // Upgrades `connection` with `request` (a GET to a WebSocket route; the handshake fields
  // are added here), offering `protocols`, before `deadline`.
  static asio::awaitable<std::shared_ptr<client_websocket>> handshake(std::unique_ptr<client_connection> connection,
                                                                      outgoing_request request,
                                                                      std::vector<std::string> protocols,
                                                                      std::string host,
                                                                      clock::time_point deadline,
                                                                      websocket_options options);

  // Serves the socket until it is closed; runs on executor().
  asio::awaitable<void> run() { return serve(); }

  // Closes with 1001 (going away) if open.
  void going_away();
};

} // namespace actorhost::client
