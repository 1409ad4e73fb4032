#include "actorhost/net/websocket_connection.hpp"

#include <spdlog/spdlog.h>

namespace actorhost::net {

namespace {

websocket_stream_options stream_options(const server_options& options) {
  websocket_stream_options o;
  o.role = codec::websocket_role::server;
  o.max_message_size = options.websocket.max_message_size;
  o.ping_interval = options.websocket.ping_interval;
  o.close_timeout = options.websocket.close_timeout;
  o.write_timeout = options.io_timeout;
  o.limits = options.websocket.limits;
  return o;
}

asio::awaitable<void> run_session(http::websocket_session session, std::shared_ptr<http::websocket> ws) {
  try {
    co_await session(ws);
  } catch (const std::exception& e) {
    spdlog::error("WebSocket handler failed: {}", e.what());
    if (ws->is_open()) ws->close(codec::websocket_close::internal_error, "internal_error");
  }
}

} // namespace

websocket_connection::websocket_connection(asio::ip::tcp::socket socket, worker_slot& slot,
                                           const server_options& options, std::string protocol,
                                           std::string_view already_read)
    : websocket_stream(std::move(socket), std::move(protocol), already_read, stream_options(options)), slot_(slot) {
  slot_.websockets.insert(this);
}

websocket_connection::~websocket_connection() { slot_.websockets.erase(this); }

void websocket_connection::going_away() {
  if (is_open()) close(codec::websocket_close::going_away, "server shutting down");
}

asio::awaitable<void> websocket_connection::run(http::websocket_session session, task_group& tasks) {
  tasks.spawn(executor(), run_session(std::move(session), shared_from_this()), "WebSocket handler");
  co_await serve();
}

} // namespace actorhost::net
