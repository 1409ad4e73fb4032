// group_committer: many small state writes, few LMDB transactions, one fsync each.
//
// submit() may be called from any thread. The committer takes everything queued so far and
// writes it in one transaction; writes that arrive meanwhile form the next batch, so the cost
// of durability is shared by everyone waiting on it. Writes are committed in the order they
// were submitted; a batch commits whole or fails whole, and each write's completion then runs
// with the batch's outcome, in submission order.
//
// One fsync per batch: the store syncs a batch's pages before it writes the batch's meta page
// and leaves that meta page to the next sync (see lmdb_store). So a committed batch is held
// until it is durable: the next batch's sync makes it so, or, when nothing is queued behind it,
// a sync of its own (also when the next batch fails). Under load each batch costs one fsync,
// not two, and a reply never leaves before its write would survive a power loss. A failed sync
// fails the held batch and stops the store (lmdb_store::failure): every later write fails.
//
// Each write carries the whole state of one incarnation (epoch) of an actor, so once a write of
// an incarnation has failed, every later write of that incarnation fails too without being
// written: a later write would otherwise store the failed one's changes, whose reply said they
// were lost. Completions run on the committer's thread: a caller posts onward to wherever it
// waits.
//
// With a thread (the default) batches run on their own; without one, the caller steps it
// (run_once, or commit_batch and flush), which is how the tests step it deterministically.
#pragma once

#include "actorhost/store/lmdb_store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace actorhost::store {

class group_committer {
public:
  using completion = std::function<void(std::error_code)>;

  struct stats {
    std::uint64_t batches = 0;
    std::uint64_t writes = 0;
    std::uint64_t failures = 0;
  };

  // sync_interval: how often the relaxed (non-durable) mode flushes to disk.
  group_committer(lmdb_store& store, bool own_thread = true,
                  std::chrono::milliseconds sync_interval = std::chrono::milliseconds(1000));
  ~group_committer();
  group_committer(const group_committer&) = delete;
  group_committer& operator=(const group_committer&) = delete;

  void submit(actor_write write, completion done);

  // For use without a thread. run_once() commits what is queued as one batch and, when nothing
  // is queued behind it, makes it durable and completes it; false when there was nothing to do.
  bool run_once();
  // Commits what is queued as one batch, completing the batch held before it (now durable);
  // this one is held until the next commit_batch() or flush(). False when nothing was queued.
  bool commit_batch();
  // Syncs and completes the held batch, if any.
  void flush();
  // Commits everything queued, then ends the thread. Later submits fail, each after the
  // writes submitted before it.
  void stop();

  stats counters() const;
  std::size_t queued() const;
  // Committed writes waiting for a sync. Committer side only, like commit_batch().
  std::size_t held() const noexcept { return held_.size(); }

private:
  struct item {
    actor_write write;
    completion done;
    std::error_code outcome;
  };
  void loop();
  bool take(std::vector<item>& batch);
  void commit(std::vector<item>& batch);
  void sync_held();
  static void complete(std::vector<item>& batch, std::error_code ec = {});

  lmdb_store& store_;
  std::chrono::milliseconds sync_interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<item> queue_;
  bool stopping_ = false; // stop() has begun: new writes are refused (in order)
  bool stopped_ = false;  // and everything before them has completed
  stats stats_;
  // Committer side only (the committer's thread, or the stepping caller):
  std::vector<item> held_; // committed, waiting for a sync
  std::set<std::pair<std::uint64_t, std::uint64_t>> failed_; // (id, epoch)
  std::thread thread_;
};

} // namespace actorhost::store
