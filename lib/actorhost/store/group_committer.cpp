#include "actorhost/store/group_committer.hpp"

#include <spdlog/spdlog.h>

namespace actorhost::store {

group_committer::group_committer(lmdb_store& store, bool own_thread, std::chrono::milliseconds sync_interval)
    : store_(store), sync_interval_(sync_interval) {
  if (own_thread) thread_ = std::thread([this] { loop(); });
}

group_committer::~group_committer() { stop(); }

void group_committer::submit(actor_write write, completion done) {
  const auto refused = std::make_error_code(std::errc::operation_canceled);
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      // While stopping, a write is refused but still queued, so that it completes after the
      // writes before it.
      queue_.push_back(item{std::move(write), std::move(done), stopping_ ? refused : std::error_code{}});
      wake_.notify_one();
      return;
    }
  }
  done(refused); // nothing is left to complete before it
}

bool group_committer::take(std::vector<item>& batch) {
  std::lock_guard lock(mutex_);
  batch.swap(queue_);
  return !batch.empty();
}

bool group_committer::run_once() {
  const bool had_held = !held_.empty();
  const bool committed = commit_batch();
  if (queued() == 0) flush();
  return committed || had_held;
}

bool group_committer::commit_batch() {
  std::vector<item> batch;
  if (!take(batch)) return false;
  commit(batch);
  return true;
}

void group_committer::complete(std::vector<item>& batch, std::error_code ec) {
  for (auto& i : batch) i.done(ec ? ec : i.outcome);
  batch.clear();
}

void group_committer::flush() {
  if (!held_.empty()) sync_held();
}

void group_committer::sync_held() {
  const std::error_code ec = store_.sync();
  if (ec && !held_.empty()) {
    spdlog::error("syncing {} committed write(s) failed: {}", held_.size(), ec.message());
    // Committed but not known to be on disk: a later write of these incarnations would carry
    // their changes, so it is refused like the writes of a failed batch.
    for (const auto& i : held_) failed_.insert({i.write.id, i.write.epoch});
  }
  complete(held_, ec);
}

void group_committer::commit(std::vector<item>& batch) {
  // Writes of an incarnation that already lost a write are refused, not written.
  std::vector<actor_write> writes;
  writes.reserve(batch.size());
  for (auto& i : batch) {
    const auto& w = i.write;
    if (i.outcome) continue; // refused when submitted
    if (!failed_.empty() && failed_.contains({w.id, w.epoch})) i.outcome = std::make_error_code(std::errc::operation_canceled);
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
  if (!store_.durable()) {
    complete(batch, ec);
    return;
  }
  if (writes.empty() || ec) {
    // Nothing may have been synced for the held batch: it gets a sync of its own. So does a
    // failure with nothing held, since a failed commit may hide a write-back error that this
    // sync reports (lmdb_store::sync). A full disk often shows as EIO here, LMDB's word for a
    // short write: the held batch is intact then, and the sync succeeds.
    if (ec) sync_held();
    else flush();
    complete(batch, ec);
    return;
  }
  // This batch's sync made the held one's meta page durable; this one waits for the next sync.
  complete(held_);
  held_.swap(batch);
}

void group_committer::loop() {
  auto next_sync = std::chrono::steady_clock::now() + sync_interval_;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (queue_.empty() && !stopping_ && held_.empty()) {
        if (store_.durable()) wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        else wake_.wait_until(lock, next_sync, [&] { return !queue_.empty() || stopping_; });
      }
      if (queue_.empty() && stopping_) break;
    }
    run_once();
    if (!store_.durable() && std::chrono::steady_clock::now() >= next_sync) {
      if (auto ec = store_.sync()) spdlog::error("periodic sync failed: {}", ec.message());
      next_sync = std::chrono::steady_clock::now() + sync_interval_;
    }
  }
  flush();
  if (!store_.durable()) store_.sync();
}

void group_committer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty() && held_.empty()) {
        stopped_ = true;
        return;
      }
    }
    run_once();
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
