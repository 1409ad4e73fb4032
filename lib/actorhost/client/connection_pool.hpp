// connection_pool: the keep-alive connections a client sends its HTTP requests over.
//
// send() takes the most recently used idle connection, or opens one while fewer than
// max_connections are open, or waits (first come, first served) for one to come back; the
// request's deadline covers the wait, the connect and the exchange. A connection comes back
// to the pool when its response allowed keep-alive, unless max_idle_connections are idle
// already. An idle connection is checked before it is used again: one idle past idle_timeout,
// or one the server has closed, is dropped and another is taken. Should the server close a
// reused connection anyway before answering (it may have closed it just as the request went
// out, RFC 9112 §9.3.1), a request that may be repeated is sent once more on a new connection.
//
// Everything here runs on one executor (the client's strand): no member is safe to call from
// another thread, except stats().
#pragma once

#include "actorhost/client/client_connection.hpp"
#include "actorhost/client/client_options.hpp"
#include "actorhost/client/endpoint.hpp"
#include "actorhost/client/outgoing_request.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

namespace actorhost::client {

struct pool_stats {
  std::size_t opened = 0;  // connections opened for requests
  std::size_t reused = 0;  // requests sent over a connection that had carried one before
  std::size_t retried = 0; // requests sent again after the server closed a reused connection
  std::size_t idle = 0;    // connections idle in the pool now
  std::size_t busy = 0;    // connections carrying a request (or connecting) now
};

class connection_pool {
public:
  using clock = std::chrono::steady_clock;

  connection_pool(asio::any_io_executor executor, endpoint where, const client_options& options);
  ~connection_pool();
  connection_pool(const connection_pool&) = delete;
  connection_pool& operator=(const connection_pool&) = delete;

  // Sends `request` and returns the response, whatever its status. `may_repeat` allows the one
  // retry described above (for idempotent methods, and requests the caller knows to be safe).
  asio::awaitable<http::response> send(outgoing_request request, bool may_repeat);

  // A new connection of its own (not counted in the pool), for a WebSocket.
  asio::awaitable<std::unique_ptr<client_connection>> connect(clock::time_point deadline);

  // Closes the idle connections, wakes every waiter (they fail with client_error::disposed)
  // and refuses later requests; requests under way finish, and their connections close.
  void dispose();

  pool_stats stats() const noexcept;
  const endpoint& where() const noexcept { return where_; }
  const client_options& options() const noexcept { return options_; }

private:
  class lease;

  // A connection slot: an idle connection, unless `fresh` asks for a new one.
  asio::awaitable<lease> acquire(clock::time_point deadline, bool fresh);
  asio::awaitable<std::vector<asio::ip::tcp::endpoint>> resolve(clock::time_point deadline);
  asio::awaitable<void> wait_for_slot(clock::time_point deadline);
  // A lease ends: the connection goes back to the pool when `reusable`, else it is closed.
  void give_back(std::unique_ptr<client_connection> connection, bool reusable);
  void notify_one();
  codec::http_response_limits limits() const noexcept;

  asio::any_io_executor executor_;
  endpoint where_;
  client_options options_;
  std::vector<asio::ip::tcp::endpoint> resolved_;
  std::vector<std::unique_ptr<client_connection>> idle_; // most recently used last
  std::size_t busy_ = 0;
  std::deque<std::shared_ptr<asio::steady_timer>> waiters_;
  bool disposed_ = false;
  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> reused_{0};
  std::atomic<std::size_t> retried_{0};
  std::atomic<std::size_t> idle_count_{0};
  std::atomic<std::size_t> busy_count_{0};
};

} // namespace actorhost::client
