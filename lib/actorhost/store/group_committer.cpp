#include "actorhost/store/group_committer.hpp"

#include <spdlog/spdlog.h>

namespace actorhost::store {

group_committer::group_committer(lmdb_store& store, bool own_thread, std::chrono::milliseconds sync_interval)
    : store_(store), sync_interval_(sync_interval) {
  if (own_thread) thread_ = std::thread([this] { loop(); });
}

group_committer::~group_committer() { stop(); }

void group_committer::submit(actor_write write, completion done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(item{std::move(write), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(std::make_error_code(std::errc::operation_canceled));
}

bool group_committer::run_once() {
  std::vector<item> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
  }
  if (batch.empty()) return false;
  commit(batch);
  return true;
}

void group_committer::commit(std::vector<item>& batch) {
  // Writes of an incarnation that already lost a write are refused, not written.
  std::vector<bool> refused(batch.size(), false);
  std::vector<actor_write> writes;
  writes.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& w = batch[i].write;
    if (!failed_.empty() && failed_.contains({w.id, w.epoch})) refused[i] = true;
    else writes.push_back(w);
  }
  std::error_code ec;
  if (!writes.empty()) {
    ec = store_.write(writes);
    if (ec) {
      spdlog::error("state commit of {} write(s) failed: {}", writes.size(), ec.message());
      for (const auto& w : writes) failed_.insert({w.id, w.epoch});
    }
  }
  {
    std::lock_guard lock(mutex_);
    ++stats_.batches;
    stats_.writes += writes.size();
    if (ec) ++stats_.failures;
  }
  // Completions run in submission order.
  for (std::size_t i = 0; i < batch.size(); ++i)
    batch[i].done(refused[i] ? std::make_error_code(std::errc::operation_canceled) : ec);
}

void group_committer::loop() {
  auto next_sync = std::chrono::steady_clock::now() + sync_interval_;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (queue_.empty() && !stopping_) {
      if (store_.durable()) wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      else wake_.wait_until(lock, next_sync, [&] { return !queue_.empty() || stopping_; });
    }
    if (queue_.empty() && stopping_) break;
    std::vector<item> batch;
    batch.swap(queue_);
    lock.unlock();
    if (!batch.empty()) commit(batch);
    if (!store_.durable() && std::chrono::steady_clock::now() >= next_sync) {
      if (auto ec = store_.sync()) spdlog::error("periodic sync failed: {}", ec.message());
      next_sync = std::chrono::steady_clock::now() + sync_interval_;
    }
    lock.lock();
  }
  lock.unlock();
  if (!store_.durable()) store_.sync();
}

void group_committer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  while (run_once()) {
  }
}

group_committer::stats group_committer::counters() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::size_t group_committer::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

} // namespace actorhost::store
