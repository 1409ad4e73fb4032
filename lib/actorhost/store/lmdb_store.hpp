// lmdb_store: actor records in one LMDB environment per data directory.
//
// Three tables are keyed by the actor id's 8 bytes (big-endian): `meta` holds
// {"name","key","input"} and `names` the class name alone, both written once with the actor's
// first commit, and `state` holds the state JSON of the last commit. Writes come only from
// the group committer, in batches of one transaction each; reads (waking an actor) come from
// any worker, each in its own read-only transaction. The map grows before it fills: a batch
// that would take the map past 3/4 full doubles it first, up to max_map_bytes. Growing waits
// for readers to leave (a shared mutex that only waking actors take).
//
// What the disk holds is checked, never trusted: every record carries a CRC-32 of its bytes,
// an actor is in all its tables or in none (a record found without its partner is corruption,
// never a missing actor that getOrCreate could recreate empty), and a data file shorter than
// LMDB's last committed page (which would end in SIGBUS at the first read past its end) is
// refused at open. Records written before checksums (a leading '{' or other JSON byte instead
// of the format byte) are read as they are.
//
// A second process on the same directory is refused: the store holds an exclusive flock on
// the directory itself for as long as it is open, which no file deletion inside it can undo.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace actorhost::store {

const std::error_category& lmdb_category() noexcept;
// An LMDB return code as an error_code (system errors keep their errno).
std::error_code lmdb_error(int rc) noexcept;

struct store_options {
  std::filesystem::path dir;
  std::size_t map_bytes = std::size_t{64} << 20;
  std::size_t max_map_bytes = std::size_t{1} << 40;
  // false: no fsync per commit (MDB_NOSYNC); durability then rests on sync() alone.
  bool durable = true;
};

struct actor_record {
  std::string name;
  std::vector<std::string> key;
  std::string input_json; // empty when the actor was created without input
  std::string state_json;
};

struct actor_write {
  std::uint64_t id = 0;
  // Which incarnation of the actor in memory wrote it (see group_committer).
  std::uint64_t epoch = 0;
  std::string meta_json; // set only with the actor's first write
  std::string name;      // the class name, with meta_json (read from it when left empty)
  std::string state_json;
};

// The meta value of a new actor.
std::string encode_meta(std::string_view name, std::span<const std::string> key, std::string_view input_json);

// A value as stored: a format byte (1), the CRC-32 of the payload (little-endian), the payload.
std::string frame_record(std::string_view payload);
// The payload of a stored value, or nullopt when its checksum does not match. A value without
// the format byte predates checksums and is its own payload.
std::optional<std::string_view> unframe_record(std::string_view stored) noexcept;

class lmdb_store {
public:
  // Opens (creating) the environment; throws std::system_error with a message that names the
  // directory, e.g. when another process holds it.
  explicit lmdb_store(store_options options);
  ~lmdb_store();
  lmdb_store(const lmdb_store&) = delete;
  lmdb_store& operator=(const lmdb_store&) = delete;

  // nullopt (false) only when LMDB has no such actor. Reads throw when LMDB fails, when a
  // stored record is corrupt (its checksum, its JSON, or its partner record missing), and once
  // the store has failed (see failure()).
  std::optional<actor_record> load(std::uint64_t id) const;
  bool exists(std::uint64_t id) const;
  // The class name alone: one small record, read before onAuth decides on a getForId call.
  std::optional<std::string> name_of(std::uint64_t id) const;

  // Writes the batch in one transaction; all or nothing. On return the batch is committed:
  // readers see it and it survives the process's crash. When durable, the transaction's pages
  // are synced before its meta page is written, and that meta page is synced by the next
  // write() or sync(): only then does the batch survive a power loss (the group committer
  // holds replies until then). A power loss before it undoes the batch whole.
  std::error_code write(std::span<const actor_write> batch);
  // Flushes everything committed to disk (the store also does when it closes). It syncs
  // through a descriptor of its own: Linux reports a write-back error once to each open file,
  // so an error LMDB's own sync already took is still reported here.
  std::error_code sync();

  // The error of the first failed sync, else none. A failed sync means committed pages may not
  // be on disk, and a later sync may not say so again (the kernel reports a write-back error
  // once): what LMDB shows can no longer be trusted to match the disk. The store then refuses
  // every write and read with that error, and the host keeps serving everything else; after a
  // restart LMDB opens at its last durable commit.
  std::error_code failure() const noexcept;

  std::size_t map_bytes() const noexcept;
  std::uint64_t actor_count() const;
  bool durable() const noexcept { return options_.durable; }
  const std::filesystem::path& dir() const noexcept { return options_.dir; }

private:
  struct env;
  void open_environment(); // the constructor's part after the directory lock
  std::error_code grow_if_needed(std::size_t incoming_bytes);
  std::error_code grow();
  void check_readable() const;
  void check_read(int rc) const;

  void check_file_size() const;
  [[noreturn]] void corrupt(std::uint64_t id, std::string_view what) const;

  store_options options_;
  std::unique_ptr<env> env_;
  mutable std::shared_mutex resize_; // readers shared, map growth exclusive
  int lock_fd_ = -1; // the data directory, flocked
  int sync_fd_ = -1; // data.mdb, for sync()
  std::atomic<int> failed_errno_{0};
};

} // namespace actorhost::store
