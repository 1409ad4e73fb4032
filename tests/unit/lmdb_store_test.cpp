// lmdb_store: records round-trip, a batch is all or nothing, one store per directory, and
// the faults SPEC §5 names: a map that cannot grow any further (MDB_MAP_FULL) and a full
// filesystem (ENOSPC, on a 1 MiB tmpfs the test mounts when it may). Every test works in its
// own temporary directory and removes it.
#include "actorhost/store/lmdb_store.hpp"

#include <lmdb.h>
#include <sys/mount.h>
#include <unistd.h>

#include "sync_fault.hpp"
#include "temp_dir.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;
using actorhost::store::actor_record;
using actorhost::store::actor_write;
using actorhost::store::encode_meta;
using actorhost::store::lmdb_error;
using actorhost::store::lmdb_store;
using actorhost::store::store_options;

namespace {

constexpr std::size_t mib = std::size_t{1} << 20;

using actorhost::testing::temp_dir;

store_options options_for(const fs::path& dir, std::size_t map_bytes = 64 * mib, std::size_t max_map_bytes = 1024 * mib,
                          bool durable = true) {
  store_options o;
  o.dir = dir;
  o.map_bytes = map_bytes;
  o.max_map_bytes = max_map_bytes;
  o.durable = durable;
  return o;
}

actor_write first_write(std::uint64_t id, std::string name, std::vector<std::string> key, std::string input,
                        std::string state) {
  actor_write w;
  w.id = id;
  w.meta_json = encode_meta(name, key, input);
  w.state_json = std::move(state);
  return w;
}

actor_write state_write(std::uint64_t id, std::string state) {
  actor_write w;
  w.id = id;
  w.state_json = std::move(state);
  return w;
}

// A state of `bytes` bytes that says which actor and which round wrote it.
std::string filler_state(std::uint64_t id, std::size_t bytes, char fill = 'x') {
  std::string s = "{\"id\":" + std::to_string(id) + ",\"pad\":\"";
  if (s.size() + 2 < bytes) s.append(bytes - s.size() - 2, fill);
  s += "\"}";
  return s;
}

const std::error_code map_full = lmdb_error(MDB_MAP_FULL);

// What a damaged disk or a careless hand does to the environment, done with LMDB directly
// while no store has it open.
class raw_env {
public:
  explicit raw_env(const fs::path& dir) {
    BOOST_REQUIRE(mdb_env_create(&env_) == 0);
    mdb_env_set_maxdbs(env_, 4);
    BOOST_REQUIRE(mdb_env_open(env_, dir.c_str(), 0, 0644) == 0);
    BOOST_REQUIRE(mdb_txn_begin(env_, nullptr, 0, &txn_) == 0);
  }
  ~raw_env() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    mdb_env_close(env_);
  }
  MDB_dbi table(const char* name) {
    MDB_dbi dbi = 0;
    BOOST_REQUIRE(mdb_dbi_open(txn_, name, 0, &dbi) == 0);
    return dbi;
  }
  static MDB_val key(std::uint64_t id, unsigned char (&bytes)[8]) {
    for (int i = 7; i >= 0; --i, id >>= 8) bytes[i] = static_cast<unsigned char>(id & 0xff);
    return {8, bytes};
  }
  void erase(const char* name, std::uint64_t id) {
    unsigned char b[8];
    MDB_val k = key(id, b);
    BOOST_REQUIRE(mdb_del(txn_, table(name), &k, nullptr) == 0);
  }
  std::string get(const char* name, std::uint64_t id) {
    unsigned char b[8];
    MDB_val k = key(id, b);
    MDB_val v;
    BOOST_REQUIRE(mdb_get(txn_, table(name), &k, &v) == 0);
    return {static_cast<const char*>(v.mv_data), v.mv_size};
  }
  void put(const char* name, std::uint64_t id, const std::string& value) {
    unsigned char b[8];
    MDB_val k = key(id, b);
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    BOOST_REQUIRE(mdb_put(txn_, table(name), &k, &v, 0) == 0);
  }
  void commit() {
    BOOST_REQUIRE(mdb_txn_commit(txn_) == 0);
    txn_ = nullptr;
  }

private:
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
};

bool says(const std::exception& e, std::string_view what) {
  return std::string_view(e.what()).find(what) != std::string_view::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(lmdb_store_suite)

BOOST_AUTO_TEST_CASE(encode_meta_is_js_json) {
  const std::vector<std::string> key{"a", "b c"};
  BOOST_TEST(encode_meta("counter", key, "") == R"({"name":"counter","key":["a","b c"],"input":null})");
  BOOST_TEST(encode_meta("counter", {}, R"({"n":1})") == R"({"name":"counter","key":[],"input":{"n":1}})");
  const std::vector<std::string> odd{"q\"uote", "back\\slash", std::string("nul\0x", 5), "tab\t"};
  BOOST_TEST(encode_meta("n\nl", odd, "") ==
             R"({"name":"n\nl","key":["q\"uote","back\\slash","nul\u0000x","tab\t"],"input":null})");
}

BOOST_AUTO_TEST_CASE(empty_store_finds_nothing) {
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  BOOST_TEST(!store.load(1).has_value());
  BOOST_TEST(!store.exists(1));
  BOOST_TEST(!store.name_of(1).has_value());
  BOOST_TEST(store.actor_count() == 0u);
  BOOST_TEST(store.durable());
  BOOST_TEST(store.dir() == dir.path());
}

BOOST_AUTO_TEST_CASE(creates_missing_data_directory) {
  temp_dir dir("lmdb");
  const auto nested = dir.path() / "a" / "b";
  lmdb_store store(options_for(nested));
  BOOST_TEST(fs::is_directory(nested));
  BOOST_TEST(!store.write(std::vector{first_write(7, "c", {"k"}, "", "1")}));
  BOOST_TEST(store.exists(7));
}

BOOST_AUTO_TEST_CASE(unusable_directory_throws_naming_it) {
  temp_dir dir("lmdb");
  const auto file = dir.path() / "not-a-dir";
  std::ofstream(file) << "x";
  try {
    lmdb_store store(options_for(file / "data"));
    BOOST_FAIL("a data directory under a regular file opened");
  } catch (const std::system_error& e) {
    BOOST_TEST_MESSAGE("refused: " << e.what());
    BOOST_TEST(std::string(e.what()).find((file / "data").string()) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_store_that_fails_to_open_lets_the_directory_go) {
  // LMDB cannot open a data file that is a directory. The failed store must not keep the
  // directory's lock: a second try reports the same problem, not "in use".
  temp_dir dir("lmdb");
  fs::create_directories(dir.path() / "data.mdb");
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      lmdb_store store(options_for(dir.path()));
      BOOST_FAIL("a store with a directory for its data file opened");
    } catch (const std::system_error& e) {
      BOOST_TEST(std::string(e.what()).find("in use") == std::string::npos, e.what());
    }
  }
}

BOOST_AUTO_TEST_CASE(write_then_load_round_trips) {
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  const std::vector batch{
      first_write(1, "counter", {"a", "b"}, R"({ "start" : 5 })", R"({"count":5})"),
      first_write(2, "chat", {}, "", R"({"messages":[]})"),
      first_write(3, "q\"uote", {std::string("nul\0byte", 8), "tab\t"}, R"("text")", "{}"),
  };
  BOOST_TEST(!store.write(batch));

  auto one = store.load(1);
  BOOST_TEST_REQUIRE(one.has_value());
  BOOST_TEST(one->name == "counter");
  BOOST_TEST(one->key == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(one->input_json == R"({"start":5})"); // re-serialized compactly
  BOOST_TEST(one->state_json == R"({"count":5})");

  auto two = store.load(2);
  BOOST_TEST_REQUIRE(two.has_value());
  BOOST_TEST(two->name == "chat");
  BOOST_TEST(two->key.empty());
  BOOST_TEST(two->input_json.empty()); // created without input
  BOOST_TEST(two->state_json == R"({"messages":[]})");

  auto three = store.load(3);
  BOOST_TEST_REQUIRE(three.has_value());
  BOOST_TEST(three->name == "q\"uote");
  BOOST_TEST_REQUIRE(three->key.size() == 2u);
  BOOST_TEST(three->key[0] == std::string("nul\0byte", 8));
  BOOST_TEST(three->key[1] == "tab\t");
  BOOST_TEST(three->input_json == R"("text")");

  BOOST_TEST(store.exists(1));
  BOOST_TEST(store.exists(3));
  BOOST_TEST(!store.exists(4));
  BOOST_TEST(store.name_of(2).value_or("") == "chat");
  BOOST_TEST(store.actor_count() == 3u);
}

BOOST_AUTO_TEST_CASE(state_write_keeps_meta) {
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  BOOST_TEST(!store.write(std::vector{first_write(9, "counter", {"k"}, R"({"x":1})", R"({"count":0})")}));
  BOOST_TEST(!store.write(std::vector{state_write(9, R"({"count":1})")}));
  BOOST_TEST(!store.write(std::vector{state_write(9, R"({"count":2})")}));
  auto rec = store.load(9);
  BOOST_TEST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->name == "counter");
  BOOST_TEST(rec->key == (std::vector<std::string>{"k"}), boost::test_tools::per_element());
  BOOST_TEST(rec->input_json == R"({"x":1})");
  BOOST_TEST(rec->state_json == R"({"count":2})");
  BOOST_TEST(store.actor_count() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_sync_stops_the_store) {
  // After a failed sync the disk may lack committed pages, and a later sync may not say so
  // again: the store refuses writes and reads from then on (the host answers 500) until a
  // restart opens LMDB at its last durable commit.
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  BOOST_TEST(!store.write(std::vector{first_write(3, "counter", {"k"}, "", "1")}));
  BOOST_TEST(!store.sync());
  BOOST_TEST(!store.failure());
  BOOST_TEST_REQUIRE(actorhost::testing::break_sync(dir.path()));

  const auto failed = store.sync();
  BOOST_TEST(failed == std::make_error_code(std::errc::invalid_argument)); // fdatasync on a pipe
  BOOST_TEST(store.failure() == failed);
  BOOST_TEST(store.sync() == failed);
  BOOST_TEST(store.write(std::vector{state_write(3, "2")}) == failed);
  BOOST_CHECK_THROW(store.load(3), std::system_error);
  BOOST_CHECK_THROW(store.exists(3), std::system_error);
}

BOOST_AUTO_TEST_CASE(later_write_in_a_batch_wins) {
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  const std::vector batch{first_write(5, "counter", {}, "", "1"), state_write(5, "2"), state_write(5, "3")};
  BOOST_TEST(!store.write(batch));
  BOOST_TEST(store.load(5).value_or(actor_record{}).state_json == "3");
}

BOOST_AUTO_TEST_CASE(state_without_meta_is_not_an_actor) {
  // Only the meta record makes an actor exist; a stray state write does not create one, and
  // reading it is an error (corruption), never a missing actor getOrCreate could write over.
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  BOOST_TEST(!store.write(std::vector{state_write(11, "{}")}));
  BOOST_TEST(!store.exists(11));
  BOOST_CHECK_THROW(store.load(11), std::runtime_error);
  BOOST_TEST(store.actor_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_record_that_does_not_parse_is_an_error_not_a_missing_actor) {
  // Taken for a missing actor, it would let getOrCreate create the actor afresh over it.
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  actor_write w = state_write(12, "{}");
  w.meta_json = "not json";
  BOOST_TEST(!store.write(std::vector{w}));
  BOOST_CHECK_THROW(store.load(12), std::runtime_error);
  BOOST_TEST(store.exists(12)); // the record is there, only unreadable
}

BOOST_AUTO_TEST_CASE(ids_are_distinct_keys) {
  // Keys are the id's 8 bytes big-endian: ids that share low or high bytes stay apart.
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  const std::vector<std::uint64_t> ids{0, 1, 0x100, 0x0100000000000000ull, 0xff, 0xff00000000000000ull,
                                       std::numeric_limits<std::uint64_t>::max()};
  std::vector<actor_write> batch;
  for (auto id : ids) batch.push_back(first_write(id, "a" + std::to_string(id), {}, "", std::to_string(id)));
  BOOST_TEST(!store.write(batch));
  BOOST_TEST(store.actor_count() == ids.size());
  for (auto id : ids) {
    auto rec = store.load(id);
    BOOST_TEST_REQUIRE(rec.has_value());
    BOOST_TEST(rec->name == "a" + std::to_string(id));
    BOOST_TEST(rec->state_json == std::to_string(id));
  }
  BOOST_TEST(!store.exists(2));
}

BOOST_AUTO_TEST_CASE(empty_batch_is_fine) {
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path()));
  BOOST_TEST(!store.write(std::vector<actor_write>{}));
  BOOST_TEST(store.actor_count() == 0u);
}

BOOST_AUTO_TEST_CASE(data_survives_reopen) {
  temp_dir dir("lmdb");
  {
    lmdb_store store(options_for(dir.path()));
    BOOST_TEST(!store.write(std::vector{first_write(42, "counter", {"x"}, "", R"({"count":41})")}));
    BOOST_TEST(!store.write(std::vector{state_write(42, R"({"count":42})")}));
  }
  lmdb_store store(options_for(dir.path()));
  auto rec = store.load(42);
  BOOST_TEST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->name == "counter");
  BOOST_TEST(rec->state_json == R"({"count":42})");
  BOOST_TEST(store.actor_count() == 1u);
}

BOOST_AUTO_TEST_CASE(second_store_on_same_directory_is_refused) {
  temp_dir dir("lmdb");
  {
    lmdb_store first(options_for(dir.path()));
    BOOST_TEST(!first.write(std::vector{first_write(1, "c", {}, "", "1")}));
    try {
      lmdb_store second(options_for(dir.path()));
      BOOST_FAIL("a second store opened a directory that is in use");
    } catch (const std::system_error& e) {
      BOOST_TEST_MESSAGE("refused: " << e.what());
      const std::string what = e.what();
      BOOST_TEST(what.find("in use") != std::string::npos);
      BOOST_TEST(what.find(dir.path().string()) != std::string::npos);
      BOOST_TEST(e.code() == std::make_error_code(std::errc::resource_unavailable_try_again)); // flock's EWOULDBLOCK
    }
    // The refused attempt left the first store working.
    BOOST_TEST(!first.write(std::vector{state_write(1, "2")}));
    BOOST_TEST(first.load(1).value_or(actor_record{}).state_json == "2");
  }
  // Closing the first releases the directory.
  lmdb_store again(options_for(dir.path()));
  BOOST_TEST(again.load(1).value_or(actor_record{}).state_json == "2");
}

BOOST_AUTO_TEST_CASE(relaxed_mode_writes_and_syncs) {
  temp_dir dir("lmdb");
  {
    lmdb_store store(options_for(dir.path(), 64 * mib, 1024 * mib, false));
    BOOST_TEST(!store.durable());
    BOOST_TEST(!store.write(std::vector{first_write(3, "c", {}, "", "relaxed")}));
    BOOST_TEST(store.load(3).value_or(actor_record{}).state_json == "relaxed");
    BOOST_TEST(!store.sync());
  }
  lmdb_store store(options_for(dir.path()));
  BOOST_TEST(store.load(3).value_or(actor_record{}).state_json == "relaxed");
  BOOST_TEST(!store.sync()); // also harmless when durable
}

BOOST_AUTO_TEST_CASE(lmdb_errors_have_a_category) {
  BOOST_TEST(std::string(map_full.category().name()) == "lmdb");
  BOOST_TEST(map_full.value() == MDB_MAP_FULL);
  BOOST_TEST(map_full.message().find("MDB_MAP_FULL") != std::string::npos);
  // System errors keep their errno.
  BOOST_TEST(lmdb_error(ENOSPC) == std::make_error_code(std::errc::no_space_on_device));
}

// A map of 1 MiB that may not grow: batches of new actors (each also updating actor 0) until
// one fails. It must fail with MDB_MAP_FULL and leave nothing of itself behind.
BOOST_AUTO_TEST_CASE(tiny_map_fills_and_fails_whole_batches) {
  temp_dir dir("lmdb");
  std::uint64_t next_id = 1;
  std::size_t good_rounds = 0;
  std::vector<std::uint64_t> failed_ids;
  {
    lmdb_store store(options_for(dir.path(), mib, mib));
    BOOST_TEST_REQUIRE(!store.write(std::vector{first_write(0, "marker", {}, "", "round-0")}));

    std::error_code ec;
    for (int round = 1; round <= 10'000; ++round) {
      std::vector<actor_write> batch{state_write(0, "round-" + std::to_string(round))};
      std::vector<std::uint64_t> ids;
      for (int i = 0; i < 8; ++i) {
        ids.push_back(next_id);
        batch.push_back(first_write(next_id, "filler", {std::to_string(next_id)}, "", filler_state(next_id, 1500)));
        ++next_id;
      }
      ec = store.write(batch);
      if (ec) {
        failed_ids = ids;
        break;
      }
      good_rounds = round;
    }
    BOOST_TEST_MESSAGE("1 MiB map took " << good_rounds << " batches before: " << ec.message());
    BOOST_TEST_REQUIRE(!failed_ids.empty());
    BOOST_TEST(ec == map_full);
    BOOST_TEST(good_rounds > 10u); // the map did hold data before it filled
    BOOST_TEST(store.map_bytes() == mib);

    // Nothing of the failed batch is visible, the marker update included.
    for (auto id : failed_ids) BOOST_TEST(!store.exists(id), "actor " << id << " of the failed batch exists");
    BOOST_TEST(store.load(0).value_or(actor_record{}).state_json == "round-" + std::to_string(good_rounds));
    // Everything before it is intact.
    BOOST_TEST(store.actor_count() == 1 + good_rounds * 8);
    for (std::uint64_t id = 1; id < failed_ids.front(); ++id) {
      auto rec = store.load(id);
      BOOST_TEST_REQUIRE(rec.has_value());
      BOOST_TEST(rec->key.front() == std::to_string(id));
      BOOST_TEST(rec->state_json == filler_state(id, 1500));
    }
    // A failure is not sticky: a batch far larger than the map fails the same way.
    BOOST_TEST(store.write(std::vector{first_write(next_id, "huge", {}, "", filler_state(next_id, 2 * mib))}) ==
               map_full);
    BOOST_TEST(!store.exists(next_id));
  }
  // Reopened with room to grow, the full store takes the failed batch.
  lmdb_store store(options_for(dir.path(), mib, 4 * mib));
  BOOST_TEST(store.actor_count() == 1 + good_rounds * 8);
  std::vector<actor_write> retry{state_write(0, "after-reopen")};
  for (auto id : failed_ids) retry.push_back(first_write(id, "filler", {std::to_string(id)}, "", filler_state(id, 1500)));
  BOOST_TEST(!store.write(retry));
  BOOST_TEST(store.map_bytes() > mib);
  for (auto id : failed_ids) BOOST_TEST(store.exists(id));
  BOOST_TEST(store.load(0).value_or(actor_record{}).state_json == "after-reopen");
}

// A map that starts at 1 MiB and may double to 4 MiB: it grows before it fills (no write
// fails on the way), stops at the maximum, and only then does a write fail.
BOOST_AUTO_TEST_CASE(map_grows_up_to_its_maximum) {
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path(), mib, 4 * mib, false));
  std::uint64_t id = 0;
  std::size_t last_map = store.map_bytes();
  std::vector<std::size_t> sizes{last_map};
  std::error_code ec;
  for (int round = 0; round < 10'000 && !ec; ++round) {
    std::vector<actor_write> batch;
    for (int i = 0; i < 16; ++i, ++id) batch.push_back(first_write(id, "g", {}, "", filler_state(id, 1500)));
    ec = store.write(batch);
    if (!ec) {
      BOOST_TEST(store.map_bytes() >= last_map);
      if (store.map_bytes() != last_map) sizes.push_back(last_map = store.map_bytes());
    }
  }
  BOOST_TEST_MESSAGE("map sizes: " << sizes.size() << " steps up to " << store.map_bytes() << "; then " << ec.message());
  BOOST_TEST(ec == map_full);
  BOOST_TEST((sizes == std::vector<std::size_t>{mib, 2 * mib, 4 * mib}), "the map doubled from 1 MiB to 4 MiB");
  BOOST_TEST(store.map_bytes() == 4 * mib);
  // More went in than a 1 MiB map could ever hold: 256 pages, at most two 1500-byte states each.
  BOOST_TEST(store.actor_count() > 2 * mib / 4096);
  const auto committed = store.actor_count();
  BOOST_TEST(committed % 16 == 0u); // whole batches only
  for (std::uint64_t i = 0; i < committed; ++i) BOOST_TEST_REQUIRE(store.exists(i));
  BOOST_TEST(!store.exists(committed));
  BOOST_TEST(!store.sync());
}

// One batch larger than twice the current map, under a maximum with plenty of room: the map
// should grow as far as the batch needs ("the map grows on its own before it fills").
BOOST_AUTO_TEST_CASE(one_large_batch_grows_the_map_enough) {
  temp_dir dir("lmdb");
  lmdb_store store(options_for(dir.path(), mib, 64 * mib, false));
  std::vector<actor_write> batch;
  for (std::uint64_t id = 0; id < 96; ++id) batch.push_back(first_write(id, "big", {}, "", filler_state(id, 64 * 1024)));
  const auto ec = store.write(batch); // ~6 MiB, a tenth of the maximum
  BOOST_TEST_MESSAGE("6 MiB batch into a 1 MiB map (max 64 MiB): " << (ec ? ec.message() : "ok") << ", map now "
                                                                    << store.map_bytes());
  // grow_if_needed() doubles for as long as the batch needs, and write() grows again on each
  // MDB_MAP_FULL, up to max_map_bytes.
  BOOST_TEST(!ec);
  BOOST_TEST(store.actor_count() == (ec ? 0u : 96u));
}

// A full disk: a batch that needs new pages fails with ENOSPC; the store stays readable, the
// batch left nothing, and once space is freed the same batch commits. Here through fault_shim (tests/integration/fault_shim.c, preloaded by meson): writes past
// the end of data.mdb fail with ENOSPC while a switch file exists. No mount needed, so this one
// never skips; the tmpfs case below runs where it can, for the real filesystem's behaviour.
BOOST_AUTO_TEST_CASE(full_disk_through_the_fault_shim_fails_the_batch) {
  const char* preload = std::getenv("LD_PRELOAD");
  BOOST_TEST_REQUIRE((preload != nullptr && std::strstr(preload, "fault_shim") != nullptr),
                     "unit_tests must run with the fault shim preloaded (meson test does it)");
  temp_dir dir("lmdb-shim-full");
  const auto flag = dir.path() / "disk-full";
  ::setenv("ACTORHOST_SHIM_DISK_FULL", flag.c_str(), 1);
  struct unset_at_exit {
    ~unset_at_exit() { ::unsetenv("ACTORHOST_SHIM_DISK_FULL"); }
  } unset;

  lmdb_store store(options_for(dir.path() / "data", 8 * mib, 8 * mib));
  BOOST_TEST_REQUIRE(!store.write(std::vector{first_write(1, "kept", {"k"}, "", R"({"count":1})")}));
  std::ofstream(flag) << "full";

  std::vector<actor_write> batch{state_write(1, R"({"count":2})")};
  for (std::uint64_t id = 100; id < 164; ++id) batch.push_back(first_write(id, "new", {}, "", filler_state(id, 1500)));
  const auto ec = store.write(batch);
  BOOST_TEST(ec == std::make_error_code(std::errc::no_space_on_device), ec.message());
  auto rec = store.load(1);
  BOOST_TEST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->state_json == R"({"count":1})");
  BOOST_TEST(!store.exists(100));

  fs::remove(flag);
  BOOST_TEST(!store.write(batch));
  BOOST_TEST(store.load(1).value_or(actor_record{}).state_json == R"({"count":2})");
  BOOST_TEST(store.actor_count() == 65u);
}

// The same on a real filesystem: the store lives on a 1 MiB tmpfs and a filler file takes the
// rest of it.
BOOST_AUTO_TEST_CASE(full_filesystem_fails_the_batch) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped full_filesystem_fails_the_batch: not root, cannot mount a small tmpfs "
                       "(full_disk_through_the_fault_shim_fails_the_batch covers the fault)");
    return;
  }
  temp_dir dir("lmdb-enospc");
  const auto mnt = dir.path() / "mnt";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") != 0) {
    const int err = errno;
    BOOST_TEST_MESSAGE("skipped full_filesystem_fails_the_batch: cannot mount a tmpfs on " << mnt.string() << ": "
                                                                                             << std::strerror(err));
    return;
  }
  struct unmount_at_exit {
    fs::path path;
    ~unmount_at_exit() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};

  const auto data = mnt / "data";
  lmdb_store store(options_for(data, 8 * mib, 8 * mib));
  BOOST_TEST_REQUIRE(!store.write(std::vector{first_write(1, "kept", {"k"}, "", R"({"count":1})")}));

  // Take every byte left.
  const auto filler = mnt / "filler";
  {
    std::FILE* f = std::fopen(filler.c_str(), "wb");
    BOOST_TEST_REQUIRE(f != nullptr);
    const std::string chunk(4096, 'f');
    std::setvbuf(f, nullptr, _IONBF, 0);
    while (std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
    }
    std::fwrite(chunk.data(), 1, 1, f); // the last partial page, if any
    std::fclose(f);
  }
  BOOST_TEST_MESSAGE("tmpfs free after filling: " << fs::space(mnt).available << " bytes");

  std::vector<actor_write> batch{state_write(1, R"({"count":2})")};
  for (std::uint64_t id = 100; id < 164; ++id) batch.push_back(first_write(id, "new", {}, "", filler_state(id, 1500)));
  const auto ec = store.write(batch);
  BOOST_TEST_MESSAGE("write on a full tmpfs: " << ec.message());
  BOOST_TEST(ec == std::make_error_code(std::errc::no_space_on_device));

  // Readable, unchanged, and nothing of the failed batch is there.
  auto rec = store.load(1);
  BOOST_TEST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->name == "kept");
  BOOST_TEST(rec->state_json == R"({"count":1})");
  BOOST_TEST(!store.exists(100));
  BOOST_TEST(store.actor_count() == 1u);

  // Space comes back: the store works again.
  fs::remove(filler);
  BOOST_TEST(!store.write(batch));
  BOOST_TEST(store.load(1).value_or(actor_record{}).state_json == R"({"count":2})");
  BOOST_TEST(store.actor_count() == 65u);
}

// Finding: deleting a lock file let a second host open a directory in use and lose acknowledged
// writes. The lock is the directory's own, which nothing inside it can remove.
BOOST_AUTO_TEST_CASE(a_directory_in_use_stays_locked_whatever_is_deleted_inside) {
  temp_dir dir("lmdb");
  lmdb_store first(options_for(dir.path()));
  BOOST_TEST(!first.write(std::vector{first_write(1, "c", {"k"}, "", "1")}));
  for (const auto& entry : fs::directory_iterator(dir.path()))
    if (entry.path().filename() != "data.mdb") fs::remove(entry.path());
  try {
    lmdb_store second(options_for(dir.path()));
    BOOST_FAIL("a second store opened a directory in use");
  } catch (const std::system_error& e) {
    BOOST_TEST(says(e, "in use by another actorhost"), e.what());
  }
  BOOST_TEST(first.load(1).has_value());
}

// Finding: a truncated data.mdb opened, then died with SIGBUS at the first page past its end.
BOOST_AUTO_TEST_CASE(a_truncated_data_file_is_refused_at_open) {
  temp_dir dir("lmdb");
  {
    lmdb_store store(options_for(dir.path()));
    std::vector<actor_write> batch;
    for (std::uint64_t id = 0; id < 200; ++id) batch.push_back(first_write(id, "c", {}, "", filler_state(id, 2000)));
    BOOST_TEST_REQUIRE(!store.write(batch));
  }
  const auto data = dir.path() / "data.mdb";
  fs::resize_file(data, fs::file_size(data) / 2);
  try {
    lmdb_store store(options_for(dir.path()));
    BOOST_FAIL("a truncated data file opened");
  } catch (const std::exception& e) {
    BOOST_TEST(says(e, "truncated"), e.what());
  }
}

// Finding: corruption could make a stored actor read as missing, which getOrCreate would then
// recreate empty. A record without its partner, or with a wrong checksum, is an error.
BOOST_AUTO_TEST_CASE(a_record_without_its_partner_is_corrupt_not_missing) {
  temp_dir dir("lmdb");
  {
    lmdb_store store(options_for(dir.path()));
    BOOST_TEST_REQUIRE(!store.write(std::vector{first_write(1, "a", {"k"}, "", "1"), first_write(2, "b", {"k"}, "", "2")}));
  }
  {
    raw_env raw(dir.path());
    raw.erase("meta", 1);
    raw.erase("names", 1);
    raw.erase("state", 2);
    raw.commit();
  }
  lmdb_store store(options_for(dir.path()));
  try {
    store.load(1);
    BOOST_FAIL("state without meta read as a missing actor");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(says(e, "0000000000000001"), e.what()); // the id in hex, as everywhere else
    BOOST_TEST(says(e, "meta record is missing"), e.what());
  }
  BOOST_CHECK_THROW(store.name_of(1), std::runtime_error);
  BOOST_CHECK_THROW(store.load(2), std::runtime_error);
  BOOST_TEST(!store.load(3).has_value()); // in no table: missing indeed
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_fails_the_checksum) {
  temp_dir dir("lmdb");
  {
    lmdb_store store(options_for(dir.path()));
    BOOST_TEST_REQUIRE(!store.write(std::vector{first_write(1, "counter", {"k"}, "", R"({"count":5})")}));
  }
  {
    raw_env raw(dir.path());
    std::string state = raw.get("state", 1);
    BOOST_TEST_REQUIRE(state.find('5', 5) != std::string::npos);
    state[state.find('5', 5)] = '7'; // still valid JSON: only the checksum can tell
    raw.put("state", 1, state);
    std::string name = raw.get("names", 1);
    name.back() = 'X';
    raw.put("names", 1, name);
    raw.commit();
  }
  lmdb_store store(options_for(dir.path()));
  BOOST_CHECK_THROW(store.load(1), std::runtime_error);
  BOOST_CHECK_THROW(store.name_of(1), std::runtime_error);
}

// Records written before checksums, and actors stored before the names table, still read.
BOOST_AUTO_TEST_CASE(records_from_before_checksums_read_as_they_are) {
  temp_dir dir("lmdb");
  { lmdb_store store(options_for(dir.path())); }
  {
    raw_env raw(dir.path());
    raw.put("meta", 9, encode_meta("old", std::vector<std::string>{"k"}, R"({"in":1})"));
    raw.put("state", 9, R"({"count":3})");
    raw.commit();
  }
  lmdb_store store(options_for(dir.path()));
  auto rec = store.load(9);
  BOOST_TEST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->name == "old");
  BOOST_TEST(rec->input_json == R"({"in":1})");
  BOOST_TEST(rec->state_json == R"({"count":3})");
  BOOST_TEST(store.name_of(9).value_or("") == "old");
  // A new commit of it is written with checksums and reads back the same.
  BOOST_TEST(!store.write(std::vector{state_write(9, R"({"count":4})")}));
  BOOST_TEST(store.load(9)->state_json == R"({"count":4})");
}

BOOST_AUTO_TEST_CASE(records_are_framed_with_a_checksum) {
  using actorhost::store::frame_record;
  using actorhost::store::unframe_record;
  for (const std::string& payload : std::vector<std::string>{"", "{}", R"({"count":1})", std::string(70'000, 'x')}) {
    const auto framed = frame_record(payload);
    BOOST_TEST(framed.size() == payload.size() + 5);
    BOOST_TEST(unframe_record(framed).value_or("?") == payload);
    for (std::size_t i = 1; i < std::min<std::size_t>(framed.size(), 64); ++i) {
      std::string broken = framed;
      broken[i] = static_cast<char>(broken[i] ^ 0x20);
      BOOST_TEST(!unframe_record(broken).has_value(), "byte " << i);
    }
  }
  BOOST_TEST(unframe_record(R"({"a":1})").value_or("?") == R"({"a":1})"); // unframed: as it is
  BOOST_TEST(!unframe_record(std::string("\x01\x00", 2)).has_value());    // too short to be framed
}

BOOST_AUTO_TEST_SUITE_END()
