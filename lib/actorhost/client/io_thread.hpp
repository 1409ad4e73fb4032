// io_thread: an io_context with one thread of its own, for a client created without an
// executor (and for blocking_client).
//
// The context runs until its owner is destroyed; then it finishes what is queued and the
// thread ends. Destroying the owner on the context's own thread (the last reference to a
// client can well be dropped in a completion handler there) cannot join: the thread is
// detached instead, and it destroys the context itself once run() has returned.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <memory>
#include <optional>
#include <thread>

namespace actorhost::client {

class io_thread {
public:
  io_thread();
  ~io_thread();
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  asio::any_io_executor executor() const { return context_->get_executor(); }
  // True on the context's own thread, where blocking on the context would deadlock.
  bool on_this_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }

private:
  std::shared_ptr<asio::io_context> context_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
};

} // namespace actorhost::client
