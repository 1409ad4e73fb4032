// task_group: the owner of coroutines that run on their own (connections, accept loops,
// streamed bodies), so that shutdown can wait for every one of them.
//
// spawn() starts a coroutine on an executor and counts it until it ends, however it ends;
// an exception that escapes a task is logged, never rethrown into the event loop.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <string_view>

namespace actorhost::net {

void log_task_failure(std::string_view what, std::exception_ptr e) noexcept;

class task_group {
public:
  template <class Executor>
  void spawn(const Executor& ex, asio::awaitable<void> task, std::string_view what = "task") {
    live_.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(ex, std::move(task), [this, what](std::exception_ptr e) {
      if (e) log_task_failure(what, e);
      live_.fetch_sub(1, std::memory_order_acq_rel);
    });
  }

  std::size_t live() const noexcept { return live_.load(std::memory_order_acquire); }

private:
  std::atomic<std::size_t> live_{0};
};

} // namespace actorhost::net
