#include "actorhost/net/worker_pool.hpp"

namespace actorhost::net {

worker::worker() : context_(1) {}

worker_pool::worker_pool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<worker>());
    guards_.emplace_back(asio::make_work_guard(workers_.back()->context()));
  }
}

worker_pool::~worker_pool() { stop(); }

std::size_t worker_pool::current() noexcept {
  for (std::size_t i = 0; i < workers_.size(); ++i)
    if (workers_[i]->running_in_this_thread()) return i;
  return workers_.size();
}

void worker_pool::run() {
  std::vector<std::thread> threads;
  threads.reserve(workers_.size() - 1);
  for (std::size_t i = 1; i < workers_.size(); ++i)
    threads.emplace_back([this, i] { workers_[i]->context().run(); });
  workers_[0]->context().run();
  for (auto& t : threads) t.join();
}

void worker_pool::release() {
  for (auto& g : guards_) g.reset();
}

void worker_pool::stop() {
  release();
  for (auto& w : workers_) w->context().stop();
}

} // namespace actorhost::net
