#include "actorhost/client/io_thread.hpp"

namespace actorhost::client {

io_thread::io_thread()
    : context_(std::make_shared<asio::io_context>(1)), work_(context_->get_executor()) {
  // The thread shares the context, so that a detached thread still owns what it runs.
  thread_ = std::thread([context = context_] {
    // Completion handlers of the client never throw; should one ever do, the thread goes on
    // rather than taking the process down.
    for (;;) {
      try {
        context->run();
        return;
      } catch (...) {
      }
    }
  });
}

io_thread::~io_thread() {
  work_.reset();
  if (on_this_thread()) thread_.detach();
  else thread_.join();
}

} // namespace actorhost::client
