#include "actorhost/client/client_core.hpp"

#include <asio/post.hpp>
#include <asio/strand.hpp>

#include <algorithm>

namespace actorhost::client {

client_core::client_core(endpoint where, asio::any_io_executor executor, client_options options,
                         std::unique_ptr<io_thread> thread)
    : thread_(std::move(thread)),
      executor_(asio::make_strand(std::move(executor))),
      options_(options),
      pool_(executor_, std::move(where), options_) {}

client_core::~client_core() = default;

void client_core::start(std::shared_ptr<client_websocket> ws) {
  std::erase_if(sockets_, [](const std::weak_ptr<client_websocket>& w) { return w.expired(); });
  sockets_.push_back(ws);
  if (disposed()) ws->going_away();
  auto serve = ws->run();
  // The handler holds the core and the socket until the socket's coroutines have ended.
  asio::co_spawn(executor_, std::move(serve), [core = shared_from_this(), ws](std::exception_ptr) {});
}

void client_core::dispose() {
  disposed_.store(true, std::memory_order_release);
  asio::post(executor_, [core = shared_from_this()] { core->dispose_now(); });
}

void client_core::dispose_now() {
  pool_.dispose();
  for (auto& w : sockets_)
    if (auto ws = w.lock()) ws->going_away();
  sockets_.clear();
}

} // namespace actorhost::client
