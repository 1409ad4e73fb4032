// client_core: what every copy of a client, and every handle and socket it gave out, shares.
//
// The core owns the connection pool and knows the open WebSockets; all of it lives on one
// strand (`executor()`), and the client's coroutines hop there for their work and back to
// the caller's executor for the result. A WebSocket's serving coroutine holds the core, so
// the core (and the io_thread, when the client has its own) lives as long as any socket is
// open. dispose() closes idle connections, refuses new requests and says goodbye (1001) on
// every open socket.
#pragma once

#include "actorhost/client/client_options.hpp"
#include "actorhost/client/client_websocket.hpp"
#include "actorhost/client/connection_pool.hpp"
#include "actorhost/client/endpoint.hpp"
#include "actorhost/client/io_thread.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <memory>
#include <vector>

namespace actorhost::client {

class client_core : public std::enable_shared_from_this<client_core> {
public:
  // `thread` is the client's own io_thread, or null when `executor` is the caller's.
  client_core(endpoint where, asio::any_io_executor executor, client_options options,
              std::unique_ptr<io_thread> thread);
  ~client_core();
  client_core(const client_core&) = delete;
  client_core& operator=(const client_core&) = delete;

  const asio::any_io_executor& executor() const noexcept { return executor_; }
  connection_pool& pool() noexcept { return pool_; }
  const client_options& options() const noexcept { return options_; }
  const endpoint& where() const noexcept { return pool_.where(); }
  // The client's own thread, if it has one.
  const io_thread* thread() const noexcept { return thread_.get(); }

  // On the strand: serves `ws` until it closes, keeping the core alive meanwhile.
  void start(std::shared_ptr<client_websocket> ws);
  // From any thread: see above. Requests fail with client_error::disposed from the moment it
  // returns; the connections and sockets are closed on the strand.
  void dispose();
  bool disposed() const noexcept { return disposed_.load(std::memory_order_acquire); }

private:
  void dispose_now();

  std::unique_ptr<io_thread> thread_; // first, so that it is destroyed last
  asio::any_io_executor executor_;
  client_options options_;
  connection_pool pool_;
  std::vector<std::weak_ptr<client_websocket>> sockets_;
  std::atomic<bool> disposed_{false};
};

// Runs `work` on the core's strand and resumes the caller on its own executor with the result.
template <class T>
asio::awaitable<T> on_core(std::shared_ptr<client_core> core, asio::awaitable<T> work) {
  co_return co_await asio::co_spawn(core->executor(), std::move(work), asio::use_awaitable);
}

} // namespace actorhost::client
