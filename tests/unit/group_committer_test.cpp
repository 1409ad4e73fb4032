// group_committer: stepped by hand (own_thread = false, run_once() on the test's thread) so
// that which writes share a batch is decided by the test, not by timing. One test runs the
// committer's own thread and waits on futures (no sleeps).
#include "actorhost/store/group_committer.hpp"

#include <lmdb.h>
#include <unistd.h>

#include "sync_fault.hpp"
#include "temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using actorhost::store::actor_record;
using actorhost::store::actor_write;
using actorhost::store::encode_meta;
using actorhost::store::group_committer;
using actorhost::store::lmdb_error;
using actorhost::store::lmdb_store;
using actorhost::store::store_options;

namespace {

constexpr std::size_t mib = std::size_t{1} << 20;

using actorhost::testing::temp_dir;

// A store in its own temporary directory (the directory outlives the store).
struct store_fixture {
  explicit store_fixture(std::size_t map_bytes = 64 * mib, std::size_t max_map_bytes = 1024 * mib, bool durable = true)
      : dir("committer"), store([&] {
          store_options o;
          o.dir = dir.path();
          o.map_bytes = map_bytes;
          o.max_map_bytes = max_map_bytes;
          o.durable = durable;
          return o;
        }()) {}
  temp_dir dir;
  lmdb_store store;
};

actor_write new_actor(std::uint64_t id, std::string state) {
  actor_write w;
  w.id = id;
  w.meta_json = encode_meta("counter", std::vector<std::string>{std::to_string(id)}, "");
  w.state_json = std::move(state);
  return w;
}

actor_write update(std::uint64_t id, std::string state) {
  actor_write w;
  w.id = id;
  w.state_json = std::move(state);
  return w;
}

// What each completion saw, in the order completions ran.
struct outcome_log {
  struct entry {
    int tag;
    std::error_code ec;
  };
  std::vector<entry> entries;
  group_committer::completion record(int tag) {
    return [this, tag](std::error_code ec) { entries.push_back({tag, ec}); };
  }
  std::vector<int> tags() const {
    std::vector<int> out;
    for (const auto& e : entries) out.push_back(e.tag);
    return out;
  }
};

std::string state_of(const lmdb_store& store, std::uint64_t id) {
  return store.load(id).value_or(actor_record{}).state_json;
}

} // namespace

BOOST_AUTO_TEST_SUITE(group_committer_suite)

BOOST_AUTO_TEST_CASE(nothing_queued_commits_nothing) {
  store_fixture f;
  group_committer committer(f.store, false);
  BOOST_TEST(!committer.run_once());
  BOOST_TEST(committer.queued() == 0u);
  const auto c = committer.counters();
  BOOST_TEST(c.batches == 0u);
  BOOST_TEST(c.writes == 0u);
  BOOST_TEST(c.failures == 0u);
}

BOOST_AUTO_TEST_CASE(queued_writes_commit_as_one_batch) {
  store_fixture f;
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "a1"), log.record(1));
  committer.submit(new_actor(2, "b1"), log.record(2));
  committer.submit(new_actor(3, "c1"), log.record(3));

  // Queued, not yet written, nobody told anything.
  BOOST_TEST(committer.queued() == 3u);
  BOOST_TEST(log.entries.empty());
  BOOST_TEST(!f.store.exists(1));

  BOOST_TEST(committer.run_once());
  BOOST_TEST(committer.queued() == 0u);
  BOOST_TEST(log.tags() == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  for (const auto& e : log.entries) BOOST_TEST(!e.ec);
  BOOST_TEST(state_of(f.store, 1) == "a1");
  BOOST_TEST(state_of(f.store, 2) == "b1");
  BOOST_TEST(state_of(f.store, 3) == "c1");

  const auto c = committer.counters();
  BOOST_TEST(c.batches == 1u);
  BOOST_TEST(c.writes == 3u);
  BOOST_TEST(c.failures == 0u);
  BOOST_TEST(!committer.run_once());
}

BOOST_AUTO_TEST_CASE(data_is_durable_before_completion_runs) {
  // A completion is the signal to release a reply: by then another reader sees the write.
  store_fixture f;
  group_committer committer(f.store, false);
  std::optional<std::string> seen;
  committer.submit(new_actor(8, "visible"), [&](std::error_code ec) {
    BOOST_TEST(!ec);
    seen = state_of(f.store, 8);
  });
  committer.run_once();
  BOOST_TEST(seen.value_or("<not run>") == "visible");
}

BOOST_AUTO_TEST_CASE(writes_keep_submission_order) {
  store_fixture f;
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(5, "1"), log.record(1));
  committer.submit(update(5, "2"), log.record(2));
  committer.submit(update(5, "3"), log.record(3));
  committer.run_once();
  BOOST_TEST(state_of(f.store, 5) == "3"); // the last submitted wins within a batch

  committer.submit(update(5, "4"), log.record(4));
  committer.run_once();
  committer.submit(update(5, "5"), log.record(5));
  committer.submit(update(5, "6"), log.record(6));
  committer.run_once();
  BOOST_TEST(state_of(f.store, 5) == "6");
  BOOST_TEST(log.tags() == (std::vector<int>{1, 2, 3, 4, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(committer.counters().batches == 3u);
  BOOST_TEST(committer.counters().writes == 6u);
}

BOOST_AUTO_TEST_CASE(writes_submitted_during_a_commit_form_the_next_batch) {
  store_fixture f;
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "first"), [&](std::error_code ec) {
    log.entries.push_back({1, ec});
    // Submitted from a completion, i.e. while this batch is still being finished.
    committer.submit(update(1, "second"), log.record(2));
  });
  BOOST_TEST(committer.run_once());
  BOOST_TEST(log.tags() == (std::vector<int>{1}), boost::test_tools::per_element());
  BOOST_TEST(committer.queued() == 1u);
  BOOST_TEST(state_of(f.store, 1) == "first");

  BOOST_TEST(committer.run_once());
  BOOST_TEST(log.tags() == (std::vector<int>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(state_of(f.store, 1) == "second");
  BOOST_TEST(committer.counters().batches == 2u);
}

// One fsync per batch: a committed batch's meta page reaches the disk with the next batch's
// sync, so its completions wait for that batch (or for flush() when nothing follows it).
BOOST_AUTO_TEST_CASE(a_committed_batch_is_held_until_the_next_sync) {
  store_fixture f;
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "a"), log.record(1));
  BOOST_TEST(committer.commit_batch());
  BOOST_TEST(log.entries.empty()); // committed, not yet durable: nobody is told
  BOOST_TEST(committer.held() == 1u);
  BOOST_TEST(state_of(f.store, 1) == "a");

  committer.submit(update(1, "b"), log.record(2));
  committer.submit(new_actor(2, "c"), log.record(3));
  BOOST_TEST(committer.commit_batch()); // its sync carries the first batch to disk
  BOOST_TEST(log.tags() == (std::vector<int>{1}), boost::test_tools::per_element());
  BOOST_TEST(committer.held() == 2u);

  BOOST_TEST(!committer.commit_batch()); // nothing queued: nothing committed, nothing released
  BOOST_TEST(committer.held() == 2u);
  committer.flush();
  BOOST_TEST(log.tags() == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  for (const auto& e : log.entries) BOOST_TEST(!e.ec);
  BOOST_TEST(committer.held() == 0u);
  BOOST_TEST(committer.counters().batches == 2u);
}

BOOST_AUTO_TEST_CASE(run_once_holds_a_batch_only_while_more_is_queued) {
  store_fixture f;
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "a"), log.record(1));
  committer.submit(update(1, "b"), log.record(2));
  BOOST_TEST(committer.run_once()); // nothing behind it: synced and completed at once
  BOOST_TEST(log.tags() == (std::vector<int>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(committer.held() == 0u);
  BOOST_TEST(!committer.run_once());
}

BOOST_AUTO_TEST_CASE(a_failed_batch_still_releases_the_held_one_first) {
  // The held batch committed; the next one fails before syncing anything. The held one is
  // synced on its own and succeeds, and completions keep submission order.
  store_fixture f(mib, mib);
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "held"), log.record(1));
  BOOST_TEST(committer.commit_batch());
  committer.submit(new_actor(2, std::string(2 * mib, 'x')), log.record(2)); // map full
  BOOST_TEST(committer.commit_batch());
  BOOST_TEST_REQUIRE(log.entries.size() == 2u);
  BOOST_TEST(log.entries[0].tag == 1);
  BOOST_TEST(!log.entries[0].ec);
  BOOST_TEST(log.entries[1].ec == lmdb_error(MDB_MAP_FULL));
  BOOST_TEST(committer.held() == 0u);
  BOOST_TEST(state_of(f.store, 1) == "held");
  BOOST_TEST(!f.store.exists(2));
}

BOOST_AUTO_TEST_CASE(a_batch_of_refused_writes_does_not_overtake_the_held_one) {
  store_fixture f(mib, mib);
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, std::string(2 * mib, 'x')), log.record(1)); // fails: map full
  committer.run_once();
  committer.submit(new_actor(2, "held"), log.record(2));
  BOOST_TEST(committer.commit_batch());
  committer.submit(update(1, "refused"), log.record(3)); // same incarnation as the failed write
  BOOST_TEST(committer.commit_batch());
  BOOST_TEST(log.tags() == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(log.entries.size() == 3u);
  BOOST_TEST(!log.entries[1].ec);
  BOOST_TEST(log.entries[2].ec == std::make_error_code(std::errc::operation_canceled));
  BOOST_TEST(committer.held() == 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_sync_fails_the_held_batch_and_every_later_one) {
  store_fixture f;
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "a"), log.record(1));
  BOOST_TEST(committer.commit_batch()); // committed, held for a sync
  BOOST_TEST_REQUIRE(actorhost::testing::break_sync(f.dir.path()));
  committer.flush();
  const auto failed = std::make_error_code(std::errc::invalid_argument);
  BOOST_TEST_REQUIRE(log.entries.size() == 1u);
  BOOST_TEST(log.entries[0].ec == failed);

  committer.submit(new_actor(2, "b"), log.record(2));
  committer.run_once();
  BOOST_TEST_REQUIRE(log.entries.size() == 2u);
  BOOST_TEST(log.entries[1].ec == failed);
  BOOST_TEST(f.store.failure() == failed);
}

BOOST_AUTO_TEST_CASE(a_failed_commit_is_followed_by_a_sync) {
  // A commit can fail in LMDB's own fdatasync, whose error Linux reports there only; the
  // committer then syncs through the store's descriptor, which sees the error too, even with
  // no batch held. Here the commit fails for a full map and the sync is the one that breaks.
  store_fixture f(mib, mib);
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "ok"), log.record(1));
  committer.run_once();
  BOOST_TEST_REQUIRE(actorhost::testing::break_sync(f.dir.path()));
  committer.submit(new_actor(2, std::string(2 * mib, 'x')), log.record(2));
  BOOST_TEST(committer.commit_batch());
  BOOST_TEST_REQUIRE(log.entries.size() == 2u);
  BOOST_TEST(log.entries[1].ec == lmdb_error(MDB_MAP_FULL));
  BOOST_TEST(f.store.failure() == std::make_error_code(std::errc::invalid_argument));
}

BOOST_AUTO_TEST_CASE(submit_from_many_threads) {
  store_fixture f;
  group_committer committer(f.store, false);
  constexpr int threads = 4;
  constexpr int per_thread = 50;
  std::mutex m;
  std::vector<std::vector<int>> done(threads); // per submitting thread, in completion order
  {
    std::vector<std::thread> submitters;
    for (int t = 0; t < threads; ++t)
      submitters.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          const auto id = static_cast<std::uint64_t>(t);
          committer.submit(i == 0 ? new_actor(id, std::to_string(i)) : update(id, std::to_string(i)),
                           [&, t, i](std::error_code ec) {
                             BOOST_TEST(!ec);
                             std::lock_guard lock(m);
                             done[t].push_back(i);
                           });
        }
      });
    for (auto& s : submitters) s.join();
  }
  BOOST_TEST(committer.queued() == static_cast<std::size_t>(threads * per_thread));
  BOOST_TEST(committer.run_once()); // everything queued is one batch
  BOOST_TEST(!committer.run_once());
  const auto c = committer.counters();
  BOOST_TEST(c.batches == 1u);
  BOOST_TEST(c.writes == static_cast<std::uint64_t>(threads * per_thread));
  for (int t = 0; t < threads; ++t) {
    BOOST_TEST_REQUIRE(done[t].size() == static_cast<std::size_t>(per_thread));
    for (int i = 0; i < per_thread; ++i) BOOST_TEST(done[t][i] == i);
    // Each thread's last write is what the store holds.
    BOOST_TEST(state_of(f.store, static_cast<std::uint64_t>(t)) == std::to_string(per_thread - 1));
  }
}

// A write carries the whole state of its incarnation, so after one of its writes failed, a
// later write of the same incarnation would store the lost changes: it is refused unwritten,
// while other actors and newer incarnations commit.
BOOST_AUTO_TEST_CASE(later_writes_of_a_failed_incarnation_are_refused) {
  store_fixture f(mib, mib);
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "base"), log.record(1));
  committer.run_once();
  committer.submit(update(1, std::string(2 * mib, 'x')), log.record(2)); // fails: map full
  committer.run_once();
  committer.submit(update(1, "includes the lost change"), log.record(3));
  committer.submit(new_actor(2, "bystander"), log.record(4));
  auto fresh = update(1, "fresh incarnation");
  fresh.epoch = 7;
  committer.submit(std::move(fresh), log.record(5));
  committer.run_once();

  BOOST_TEST_REQUIRE(log.entries.size() == 5u);
  BOOST_TEST(log.entries[1].ec == lmdb_error(MDB_MAP_FULL));
  BOOST_TEST(log.entries[2].ec == std::make_error_code(std::errc::operation_canceled));
  BOOST_TEST(!log.entries[3].ec);
  BOOST_TEST(!log.entries[4].ec);
  BOOST_TEST(state_of(f.store, 1) == "fresh incarnation");
  BOOST_TEST(state_of(f.store, 2) == "bystander");
}

BOOST_AUTO_TEST_CASE(failed_batch_fails_every_write_in_it) {
  // A 1 MiB map that may not grow: one write too large for it sinks its whole batch.
  store_fixture f(mib, mib);
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "ok"), log.record(1));
  committer.run_once();

  committer.submit(update(1, "lost"), log.record(2));
  committer.submit(new_actor(2, std::string(2 * mib, 'x')), log.record(3));
  committer.submit(new_actor(3, "small"), log.record(4));
  committer.run_once();

  BOOST_TEST_REQUIRE(log.entries.size() == 4u);
  BOOST_TEST(!log.entries[0].ec);
  for (std::size_t i = 1; i < 4; ++i) BOOST_TEST(log.entries[i].ec == lmdb_error(MDB_MAP_FULL));
  BOOST_TEST(state_of(f.store, 1) == "ok");
  BOOST_TEST(!f.store.exists(2));
  BOOST_TEST(!f.store.exists(3));

  auto c = committer.counters();
  BOOST_TEST(c.batches == 2u);
  BOOST_TEST(c.writes == 4u);
  BOOST_TEST(c.failures == 1u);

  // The next batch is judged on its own; actor 3 comes back as a new incarnation (the
  // scheduler wakes a fresh instance after a failure).
  auto again = new_actor(3, "small");
  again.epoch = 1;
  committer.submit(std::move(again), log.record(5));
  committer.run_once();
  BOOST_TEST(!log.entries.back().ec);
  BOOST_TEST(state_of(f.store, 3) == "small");
  c = committer.counters();
  BOOST_TEST(c.batches == 3u);
  BOOST_TEST(c.failures == 1u);
}

BOOST_AUTO_TEST_CASE(stop_drains_then_refuses) {
  store_fixture f;
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "a"), log.record(1));
  committer.submit(new_actor(2, "b"), log.record(2));
  committer.stop();
  BOOST_TEST(log.tags() == (std::vector<int>{1, 2}), boost::test_tools::per_element());
  for (const auto& e : log.entries) BOOST_TEST(!e.ec);
  BOOST_TEST(f.store.exists(1));
  BOOST_TEST(f.store.exists(2));

  // After stop, a submit completes at once, cancelled, and writes nothing.
  committer.submit(new_actor(3, "late"), log.record(3));
  BOOST_TEST_REQUIRE(log.entries.size() == 3u);
  BOOST_TEST(log.entries[2].ec == std::make_error_code(std::errc::operation_canceled));
  BOOST_TEST(committer.queued() == 0u);
  BOOST_TEST(!committer.run_once());
  BOOST_TEST(!f.store.exists(3));
  BOOST_TEST(committer.counters().writes == 2u);
  committer.stop(); // twice is harmless
}

BOOST_AUTO_TEST_CASE(a_write_submitted_while_stopping_is_refused_after_the_writes_before_it) {
  // The output gate needs completions in submission order, refusals included.
  store_fixture f;
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "a"), [&](std::error_code ec) {
    log.entries.push_back({1, ec});
    committer.submit(update(1, "late"), log.record(3)); // while stop() drains
  });
  committer.submit(new_actor(2, "b"), log.record(2));
  committer.stop();
  BOOST_TEST(log.tags() == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(log.entries.size() == 3u);
  BOOST_TEST(!log.entries[0].ec);
  BOOST_TEST(!log.entries[1].ec);
  BOOST_TEST(log.entries[2].ec == std::make_error_code(std::errc::operation_canceled));
  BOOST_TEST(state_of(f.store, 1) == "a"); // the refused write was not written
}

BOOST_AUTO_TEST_CASE(destructor_drains) {
  store_fixture f;
  outcome_log log;
  {
    group_committer committer(f.store, false);
    committer.submit(new_actor(1, "a"), log.record(1));
  }
  BOOST_TEST_REQUIRE(log.entries.size() == 1u);
  BOOST_TEST(!log.entries[0].ec);
  BOOST_TEST(state_of(f.store, 1) == "a");
}

BOOST_AUTO_TEST_CASE(relaxed_store_commits_the_same_way) {
  store_fixture f(64 * mib, 1024 * mib, false);
  group_committer committer(f.store, false);
  outcome_log log;
  committer.submit(new_actor(1, "relaxed"), log.record(1));
  committer.run_once();
  BOOST_TEST_REQUIRE(log.entries.size() == 1u);
  BOOST_TEST(!log.entries[0].ec);
  BOOST_TEST(state_of(f.store, 1) == "relaxed");
  committer.stop();
}

BOOST_AUTO_TEST_CASE(own_thread_commits_and_completes) {
  // With its own thread the committer needs no stepping; the test blocks on futures.
  store_fixture f;
  group_committer committer(f.store);
  std::vector<std::future<std::error_code>> results;
  std::vector<std::promise<std::error_code>> promises(20);
  for (std::size_t i = 0; i < promises.size(); ++i) {
    results.push_back(promises[i].get_future());
    committer.submit(i == 0 ? new_actor(1, "0") : update(1, std::to_string(i)),
                     [&p = promises[i]](std::error_code ec) { p.set_value(ec); });
  }
  for (auto& r : results) BOOST_TEST(!r.get());
  BOOST_TEST(state_of(f.store, 1) == "19");
  const auto c = committer.counters();
  BOOST_TEST(c.writes == 20u);
  BOOST_TEST(c.batches >= 1u);
  BOOST_TEST(c.batches <= 20u);
  BOOST_TEST(c.failures == 0u);

  // stop() drains what is queued when it is called.
  std::promise<std::error_code> last;
  auto last_result = last.get_future();
  committer.submit(update(1, "last"), [&last](std::error_code ec) { last.set_value(ec); });
  committer.stop();
  BOOST_TEST((last_result.wait_for(std::chrono::seconds(0)) == std::future_status::ready), "stop() returned before the last completion ran");
  BOOST_TEST(!last_result.get());
  BOOST_TEST(state_of(f.store, 1) == "last");
}

BOOST_AUTO_TEST_SUITE_END()
