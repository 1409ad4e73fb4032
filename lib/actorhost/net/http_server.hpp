// http_server: accepts TCP connections on every worker and serves HTTP/1.1 on them.
//
// Each worker has its own listening socket on the same port (SO_REUSEPORT), so the kernel
// spreads connections over the workers and a connection never leaves the worker that
// accepted it. shutdown() stops accepting, closes idle keep-alive connections, lets requests
// in flight finish within a grace period, then closes whatever is left.
#pragma once

#include "actorhost/net/http_handler.hpp"
#include "actorhost/net/server_options.hpp"
#include "actorhost/net/task_group.hpp"
#include "actorhost/net/worker_pool.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace actorhost::net {

class http_connection;
struct worker_slot;

class http_server {
public:
  http_server(worker_pool& pool, http_handler& handler, server_options options);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds every worker's socket and starts accepting; throws std::system_error on failure.
  void start();
  // The bound port (useful with port 0).
  std::uint16_t port() const noexcept { return port_; }

  // May be called from any thread; `done` runs on worker 0 once every connection has ended
  // or `grace` has passed (whatever remains is then closed first).
  void shutdown(std::chrono::milliseconds grace, std::function<void()> done);

  std::size_t live_connections() const noexcept { return tasks_.live(); }

private:
  asio::awaitable<void> accept_loop(worker_slot& slot);
  asio::awaitable<void> drain(std::chrono::steady_clock::time_point deadline, std::function<void()> done);

  worker_pool& pool_;
  http_handler& handler_;
  server_options options_;
  std::vector<std::unique_ptr<worker_slot>> slots_;
  task_group tasks_;
  std::uint16_t port_ = 0;
};

} // namespace actorhost::net
