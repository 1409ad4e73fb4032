// websocket_connection: the server's end of one WebSocket, after the 101 (RFC 6455).
//
// It lives on one worker (the actor's home worker, so that the actor's handlers and the socket
// share a thread and nothing crosses threads per message), is counted in that worker's slot so
// that shutdown can close it with 1001, and serves the socket as a websocket_stream in the
// server role: pings after `ping_interval` of silence, a write may stall for `io_timeout`.
#pragma once

#include "actorhost/net/server_options.hpp"
#include "actorhost/net/task_group.hpp"
#include "actorhost/net/websocket_stream.hpp"
#include "actorhost/net/worker_slot.hpp"

#include <string>
#include <string_view>

namespace actorhost::net {

class websocket_connection final : public websocket_stream {
public:
  websocket_connection(asio::ip::tcp::socket socket, worker_slot& slot, const server_options& options,
                       std::string protocol, std::string_view already_read);
  ~websocket_connection() override;

  // Starts `session` beside the connection and serves the socket until it is closed.
  asio::awaitable<void> run(http::websocket_session session, task_group& tasks);

  // Server shutdown: close with 1001 (going away).
  void going_away();

private:
  worker_slot& slot_;
};

} // namespace actorhost::net
