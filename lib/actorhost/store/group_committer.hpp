// group_committer: many small state writes, few LMDB transactions.
//
// submit() may be called from any thread. The committer takes everything queued so far and
// writes it in one transaction with one fsync; writes that arrive while that fsync runs form
// the next batch, so the cost of durability is shared by everyone waiting on it. Writes are
// committed in the order they were submitted; a batch commits whole or fails whole, and each
// write's completion then runs with the batch's outcome. Each write carries the whole state of
// one incarnation (epoch) of an actor, so once a write of an incarnation has failed, every
// later write of that incarnation fails too without being written: a later write would
// otherwise store the failed one's changes, whose reply said they were lost. Completions run on the committer's
// thread: a caller posts onward to wherever it waits.
//
// With a thread (the default) batches run on their own; without one, run_once() commits one
// batch on the caller's thread, which is how the tests step it deterministically.
#pragma once

#include "actorhost/store/lmdb_store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <utility>
#include <thread>
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
  // Commits one batch of what is queued; false when nothing was. For use without a thread.
  bool run_once();
  // Commits everything queued, then ends the thread. Later submits fail.
  void stop();

  stats counters() const;
  std::size_t queued() const;

private:
  struct item {
    actor_write write;
    completion done;
  };
  void loop();
  void commit(std::vector<item>& batch);

  lmdb_store& store_;
  std::chrono::milliseconds sync_interval_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<item> queue_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> failed_; // (id, epoch); committer side only
  bool stopping_ = false;
  stats stats_;
  std::thread thread_;
};

} // namespace actorhost::store
