// worker_pool: one io_context per thread, each run by exactly one thread.
//
// Nothing is shared between workers on the hot path: a connection lives on the worker that
// accepted it, and an actor lives on the worker its id hashes to (see actor/scheduler.hpp).
// Work moves between workers only by posting to the other worker's executor.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace actorhost::net {

class worker {
public:
  worker();
  asio::io_context& context() noexcept { return context_; }
  asio::io_context::executor_type executor() noexcept { return context_.get_executor(); }
  bool running_in_this_thread() noexcept { return context_.get_executor().running_in_this_thread(); }

private:
  asio::io_context context_;
};

class worker_pool {
public:
  // threads == 0 means one per hardware thread.
  explicit worker_pool(unsigned threads);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  std::size_t size() const noexcept { return workers_.size(); }
  worker& at(std::size_t i) noexcept { return *workers_[i]; }
  // The index of the worker whose thread calls this, or size() on any other thread.
  std::size_t current() noexcept;

  // Runs every worker, the calling thread being worker 0, until stop() and all of them return.
  void run();
  // Lets run() return once the workers are out of work; stop() ends them at once.
  void release();
  void stop();

private:
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::optional<asio::executor_work_guard<asio::io_context::executor_type>>> guards_;
};

} // namespace actorhost::net
