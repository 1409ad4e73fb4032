#include "actorhost/store/lmdb_store.hpp"

#include "actorhost/codec/js_json.hpp"
#include "actorhost/codec/json.hpp"

#include <lmdb.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <csetjmp>
#include <csignal>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace actorhost::store {

namespace {

class lmdb_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "lmdb"; }
  std::string message(int ev) const override { return mdb_strerror(ev); }
};

struct id_key {
  explicit id_key(std::uint64_t id) {
    for (int i = 7; i >= 0; --i) {
      bytes[i] = static_cast<unsigned char>(id & 0xff);
      id >>= 8;
    }
  }
  MDB_val val() { return {sizeof bytes, bytes}; }
  unsigned char bytes[8];
};

// A read-only transaction that always ends.
class read_txn {
public:
  explicit read_txn(MDB_env* env) { rc_ = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_); }
  ~read_txn() {
    if (rc_ == 0) mdb_txn_abort(txn_);
  }
  read_txn(const read_txn&) = delete;
  read_txn& operator=(const read_txn&) = delete;
  bool ok() const noexcept { return rc_ == 0; }
  int rc() const noexcept { return rc_; }
  MDB_txn* get() const noexcept { return txn_; }

private:
  MDB_txn* txn_ = nullptr;
  int rc_ = 0;
};

// One read: the shared side of the map-growth lock, and a read-only transaction.
class read_view {
public:
  read_view(MDB_env* env, std::shared_mutex& resize) : lock_(resize), txn_(env) {}
  int rc() const noexcept { return txn_.rc(); }
  int get(MDB_dbi table, std::uint64_t id, MDB_val& value) const {
    id_key key(id);
    MDB_val k = key.val();
    return mdb_get(txn_.get(), table, &k, &value);
  }

private:
  std::shared_lock<std::shared_mutex> lock_;
  read_txn txn_;
};

std::system_error open_error(int rc, const std::filesystem::path& dir, const char* what) {
  return {lmdb_error(rc), std::string(what) + " (data directory " + dir.string() + ")"};
}

constexpr char record_format = 1;
constexpr std::size_t record_header = 5;

std::uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
  return static_cast<std::uint32_t>(crc);
}

// The format byte, the CRC-32 of `payload` (little-endian) and the payload, into `out`, which
// has room for record_header + payload.size() bytes.
void write_record(char* out, std::string_view payload) {
  out[0] = record_format;
  const std::uint32_t crc = crc32_of(payload);
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  if (!payload.empty()) std::memcpy(out + record_header, payload.data(), payload.size());
}

std::string_view as_view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

// The class name in a meta record ({"name":...}), or nullopt.
std::optional<std::string> name_in_meta(std::string_view meta) {
  rapidjson::Document doc;
  if (!codec::parse_json(doc, meta, codec::json_stored_max_depth) || !doc.IsObject()) return std::nullopt;
  const auto it = doc.FindMember("name");
  if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// A full disk shows up in LMDB as a short write, which it reports as EIO; say what it was.
std::error_code explain(int rc, const std::filesystem::path& dir) {
  if (rc == EIO) {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) == 0 && st.f_bavail * st.f_frsize < std::uint64_t{1} << 20)
      return std::make_error_code(std::errc::no_space_on_device);
  }
  return lmdb_error(rc);
}

thread_local sigjmp_buf* fault_jump = nullptr;

extern "C" void on_page_fault(int sig) {
  if (fault_jump != nullptr) siglongjmp(*fault_jump, 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Where the process maps `file` (LMDB reports the address only for a fixed map), from
// /proc/self/maps; null when it cannot be found.
const char* mapping_of(const std::filesystem::path& file) {
  std::FILE* maps = std::fopen("/proc/self/maps", "re");
  if (maps == nullptr) return nullptr;
  const std::string wanted = std::filesystem::weakly_canonical(file).string();
  char line[4096];
  const char* found = nullptr;
  while (found == nullptr && std::fgets(line, sizeof line, maps) != nullptr) {
    std::string_view l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == ' ')) l.remove_suffix(1);
    const auto slash = l.find('/');
    if (slash == std::string_view::npos || l.substr(slash) != wanted) continue;
    found = reinterpret_cast<const char*>(std::strtoull(line, nullptr, 16));
  }
  std::fclose(maps);
  return found;
}

// Reads every branch and leaf page of LMDB's free list, its table of tables and our tables,
// and checks that every large value (pages of its own, not read here) lies within the file
// (when the map's address is known). False when a page is missing: the fault a missing page
// raises is caught, not fatal. (Only plain C state lives across the jump.)
bool every_page_present(MDB_env* env, const char* map, std::uint64_t file_size) {
  struct sigaction act {};
  struct sigaction old_bus {};
  struct sigaction old_segv {};
  act.sa_handler = on_page_fault;
  sigemptyset(&act.sa_mask);
  ::sigaction(SIGBUS, &act, &old_bus);
  ::sigaction(SIGSEGV, &act, &old_segv);
  sigjmp_buf jump;
  MDB_txn* volatile txn = nullptr;
  MDB_cursor* volatile cursor = nullptr;
  volatile bool present = true;
  if (sigsetjmp(jump, 1) == 0) {
    fault_jump = &jump;
    MDB_txn* t = nullptr;
    if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &t) == 0) {
      txn = t;
      MDB_dbi tables[5] = {0, 1, 0, 0, 0}; // LMDB's free list and its table of tables
      int count = 2;
      for (const char* name : {"meta", "state", "names"})
        if (mdb_dbi_open(t, name, 0, &tables[count]) == 0) ++count;
      for (int i = 0; i < count && present; ++i) {
        MDB_cursor* c = nullptr;
        if (mdb_cursor_open(t, tables[i], &c) != 0) continue;
        cursor = c;
        MDB_val k;
        MDB_val v;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
          const char* end = static_cast<const char*>(v.mv_data) + v.mv_size;
          if (map != nullptr && end > map + file_size) {
            present = false;
            break;
          }
        }
        cursor = nullptr;
        mdb_cursor_close(c);
      }
    }
  } else {
    present = false;
  }
  fault_jump = nullptr;
  ::sigaction(SIGBUS, &old_bus, nullptr);
  ::sigaction(SIGSEGV, &old_segv, nullptr);
  if (cursor != nullptr) mdb_cursor_close(cursor);
  if (txn != nullptr) mdb_txn_abort(txn);
  return present;
}

} // namespace

std::string frame_record(std::string_view payload) {
  std::string out(record_header + payload.size(), '\0');
  write_record(out.data(), payload);
  return out;
}

std::optional<std::string_view> unframe_record(std::string_view stored) noexcept {
  if (stored.empty() || stored.front() != record_format) return stored; // before checksums
  if (stored.size() < record_header) return std::nullopt;
  std::uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= static_cast<std::uint32_t>(static_cast<unsigned char>(stored[1 + i])) << (8 * i);
  const auto payload = stored.substr(record_header);
  if (crc32_of(payload) != crc) return std::nullopt;
  return payload;
}

const std::error_category& lmdb_category() noexcept {
  static const lmdb_category_impl category;
  return category;
}

std::error_code lmdb_error(int rc) noexcept {
  if (rc > 0) return {rc, std::generic_category()};
  return {rc, lmdb_category()};
}

std::string encode_meta(std::string_view name, std::span<const std::string> key, std::string_view input_json) {
  std::string out = R"({"name":)";
  codec::append_js_json_string(out, name);
  out += R"(,"key":[)";
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (i != 0) out.push_back(',');
    codec::append_js_json_string(out, key[i]);
  }
  out += R"(],"input":)";
  out += input_json.empty() ? std::string_view("null") : input_json;
  out.push_back('}');
  return out;
}

struct lmdb_store::env {
  MDB_env* handle = nullptr;
  MDB_dbi meta = 0;
  MDB_dbi state = 0;
  MDB_dbi names = 0;
  ~env() {
    if (handle != nullptr) mdb_env_close(handle);
  }
};

lmdb_store::lmdb_store(store_options options) : options_(std::move(options)), env_(std::make_unique<env>()) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) throw std::system_error(ec, "cannot create data directory " + options_.dir.string());

  // The directory itself is locked: a lock file could be deleted from under a running host,
  // and a second host would then open the same data and lose acknowledged writes.
  lock_fd_ = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + options_.dir.string());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw std::system_error(err, std::generic_category(),
                            "data directory " + options_.dir.string() + " is in use by another actorhost");
  }
  try {
    open_environment();
  } catch (...) {
    env_.reset();
    if (sync_fd_ >= 0) ::close(sync_fd_);
    ::close(lock_fd_); // releases the flock, so that the directory can be opened again
    throw;
  }
}

void lmdb_store::open_environment() {
  int rc = mdb_env_create(&env_->handle);
  if (rc != 0) throw open_error(rc, options_.dir, "mdb_env_create");
  mdb_env_set_maxdbs(env_->handle, 4);
  mdb_env_set_mapsize(env_->handle, options_.map_bytes);
  // Durable: each commit syncs its pages, then writes its meta page without a sync of its own;
  // the next commit's sync (or sync()) carries it to disk. Relaxed: no syncs but sync().
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | MDB_NOMETASYNC;
  if (!options_.durable) flags |= MDB_NOSYNC;
  rc = mdb_env_open(env_->handle, options_.dir.c_str(), flags, 0644);
  if (rc != 0) throw open_error(rc, options_.dir, "cannot open the LMDB environment");
  const auto data_path = options_.dir / "data.mdb";
  sync_fd_ = ::open(data_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (sync_fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + data_path.string());
  check_file_size();
  // Data an earlier run wrote may need more than the configured size: start from what is used.
  MDB_envinfo info;
  mdb_env_info(env_->handle, &info);
  if (info.me_mapsize > options_.map_bytes) options_.map_bytes = info.me_mapsize;

  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env_->handle, nullptr, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &env_->meta);
  if (rc == 0) rc = mdb_dbi_open(txn, "state", MDB_CREATE, &env_->state);
  if (rc == 0) rc = mdb_dbi_open(txn, "names", MDB_CREATE, &env_->names);
  if (rc == 0) rc = mdb_txn_commit(txn);
  else if (txn != nullptr) mdb_txn_abort(txn);
  if (rc != 0) throw open_error(rc, options_.dir, "cannot open the actor tables");
}

// LMDB maps the file and trusts it to hold every page its tables reference; a shorter file
// (truncated by a failed copy or restore) would end in SIGBUS at the first read past its end.
// Usually the file reaches LMDB's last page, and that settles it. It may legitimately stop
// short, by pages the last commit allocated and freed again (LMDB writes no page that is free),
// so then every page the tables use is read once, under a handler that turns the fault of a
// missing one into a refusal.
void lmdb_store::check_file_size() const {
  MDB_envinfo info;
  MDB_stat st;
  mdb_env_info(env_->handle, &info);
  mdb_env_stat(env_->handle, &st);
  struct stat file {};
  if (::fstat(sync_fd_, &file) != 0) throw std::system_error(errno, std::generic_category(), "cannot stat data.mdb");
  const auto needed = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
  const auto size = static_cast<std::uint64_t>(file.st_size);
  if (size >= needed) return;
  if (every_page_present(env_->handle, mapping_of(options_.dir / "data.mdb"), size)) {
    spdlog::debug("data.mdb ends {} byte(s) before LMDB's last page: free pages, never written", needed - size);
    return;
  }
  throw std::runtime_error("data directory " + options_.dir.string() + ": data.mdb is truncated (" +
                           std::to_string(size) + " bytes, and its tables use pages past the end); restore it "
                                                  "from a backup");
}

void lmdb_store::corrupt(std::uint64_t id, std::string_view what) const {
  throw std::runtime_error(fmt::format("the stored record of actor {:016x} in {} is corrupt: {}", id,
                                       options_.dir.string(), what));
}

lmdb_store::~lmdb_store() {
  // Whatever was committed is on disk before the directory is released.
  if (auto ec = sync()) spdlog::error("syncing {} on close failed: {}", options_.dir.string(), ec.message());
  env_.reset();
  ::close(sync_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_); // releases the flock
}

std::error_code lmdb_store::failure() const noexcept {
  const int e = failed_errno_.load(std::memory_order_acquire);
  return e == 0 ? std::error_code{} : std::error_code{e, std::generic_category()};
}

void lmdb_store::check_readable() const {
  if (auto ec = failure()) throw std::system_error(ec, "the data directory " + options_.dir.string() + " failed a sync");
}

void lmdb_store::check_read(int rc) const {
  if (rc != 0) throw std::system_error(lmdb_error(rc), "cannot read the data directory " + options_.dir.string());
}

// Only LMDB's MDB_NOTFOUND in every table means "no such actor". Any other failure, a record
// whose checksum or JSON is wrong, or one table holding the actor while another does not,
// throws: taken for a missing actor, it would let getOrCreate create the actor afresh over it.
std::optional<actor_record> lmdb_store::load(std::uint64_t id) const {
  check_readable();
  read_view view(env_->handle, resize_);
  check_read(view.rc());
  MDB_val meta;
  MDB_val state;
  const int meta_rc = view.get(env_->meta, id, meta);
  if (meta_rc != MDB_NOTFOUND) check_read(meta_rc);
  const int state_rc = view.get(env_->state, id, state);
  if (state_rc != MDB_NOTFOUND) check_read(state_rc);
  if (meta_rc == MDB_NOTFOUND && state_rc == MDB_NOTFOUND) return std::nullopt;
  if (meta_rc == MDB_NOTFOUND) corrupt(id, "its state is stored but its meta record is missing");
  if (state_rc == MDB_NOTFOUND) corrupt(id, "its meta record is stored but its state is missing");

  const auto meta_text = unframe_record(as_view(meta));
  if (!meta_text) corrupt(id, "the meta record's checksum does not match");
  const auto state_text = unframe_record(as_view(state));
  if (!state_text) corrupt(id, "the state's checksum does not match");

  actor_record rec;
  rapidjson::Document doc;
  const bool parsed = static_cast<bool>(codec::parse_json(doc, *meta_text, codec::json_stored_max_depth));
  if (!parsed || !doc.IsObject() || !doc.HasMember("name") || !doc["name"].IsString())
    corrupt(id, "the meta record is not valid");
  rec.name.assign(doc["name"].GetString(), doc["name"].GetStringLength());
  if (doc.HasMember("key") && doc["key"].IsArray())
    for (const auto& part : doc["key"].GetArray())
      if (part.IsString()) rec.key.emplace_back(part.GetString(), part.GetStringLength());
  if (doc.HasMember("input") && !doc["input"].IsNull()) codec::write_json(rec.input_json, doc["input"]);
  rec.state_json.assign(state_text->data(), state_text->size());
  return rec;
}

bool lmdb_store::exists(std::uint64_t id) const {
  check_readable();
  read_view view(env_->handle, resize_);
  check_read(view.rc());
  MDB_val v;
  const int rc = view.get(env_->meta, id, v);
  if (rc == MDB_NOTFOUND) return false;
  check_read(rc);
  return true;
}

std::optional<std::string> lmdb_store::name_of(std::uint64_t id) const {
  check_readable();
  read_view view(env_->handle, resize_);
  check_read(view.rc());
  MDB_val v;
  if (const int rc = view.get(env_->names, id, v); rc == 0) {
    const auto name = unframe_record(as_view(v));
    if (!name) corrupt(id, "the name record's checksum does not match");
    return std::string(*name);
  } else if (rc != MDB_NOTFOUND) {
    check_read(rc);
  }
  // Not in `names`: an actor stored before that table (its meta holds the name), or none.
  const int meta_rc = view.get(env_->meta, id, v);
  if (meta_rc == MDB_NOTFOUND) {
    MDB_val state;
    const int state_rc = view.get(env_->state, id, state);
    if (state_rc == 0) corrupt(id, "its state is stored but its meta record is missing");
    if (state_rc != MDB_NOTFOUND) check_read(state_rc);
    return std::nullopt;
  }
  check_read(meta_rc);
  const auto meta = unframe_record(as_view(v));
  if (!meta) corrupt(id, "the meta record's checksum does not match");
  auto name = name_in_meta(*meta);
  if (!name) corrupt(id, "the meta record is not valid");
  return name;
}

std::size_t lmdb_store::map_bytes() const noexcept { return options_.map_bytes; }

std::uint64_t lmdb_store::actor_count() const {
  std::shared_lock lock(resize_);
  read_txn txn(env_->handle);
  MDB_stat st;
  if (!txn.ok() || mdb_stat(txn.get(), env_->meta, &st) != 0) return 0;
  return st.ms_entries;
}

std::error_code lmdb_store::grow() {
  if (options_.map_bytes >= options_.max_map_bytes) return lmdb_error(MDB_MAP_FULL);
  const std::size_t next = std::min(options_.map_bytes * 2, options_.max_map_bytes);
  std::unique_lock lock(resize_);
  const int rc = mdb_env_set_mapsize(env_->handle, next);
  if (rc != 0) return lmdb_error(rc);
  options_.map_bytes = next;
  return {};
}

std::error_code lmdb_store::grow_if_needed(std::size_t incoming_bytes) {
  MDB_envinfo info;
  MDB_stat st;
  mdb_env_info(env_->handle, &info);
  mdb_env_stat(env_->handle, &st);
  // Pages in use, plus a generous allowance for what this batch adds (B-tree copies on write).
  const std::size_t used = (info.me_last_pgno + 1) * st.ms_psize + 4 * incoming_bytes;
  while (used * 4 > options_.map_bytes * 3 && options_.map_bytes < options_.max_map_bytes)
    if (auto ec = grow()) return ec;
  return {};
}

std::error_code lmdb_store::write(std::span<const actor_write> batch) {
  if (auto ec = failure()) return ec;
  std::size_t bytes = 0;
  for (const auto& w : batch) bytes += 64 + w.meta_json.size() + w.state_json.size();
  if (auto ec = grow_if_needed(bytes)) return ec;

  // The class name of each new actor, for the names table.
  std::vector<std::string> names(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& w = batch[i];
    if (w.meta_json.empty()) continue;
    if (!w.name.empty()) names[i] = w.name;
    else if (auto name = name_in_meta(w.meta_json)) names[i] = std::move(*name);
  }

  for (;;) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_->handle, nullptr, 0, &txn);
    if (rc != 0) return lmdb_error(rc);
    // Each record is framed in place (MDB_RESERVE): no copy of the state on its way in.
    auto put = [&](MDB_dbi dbi, std::uint64_t id, std::string_view payload) {
      id_key key(id);
      MDB_val k = key.val();
      MDB_val v{record_header + payload.size(), nullptr};
      const int r = mdb_put(txn, dbi, &k, &v, MDB_RESERVE);
      if (r == 0) write_record(static_cast<char*>(v.mv_data), payload);
      return r;
    };
    for (std::size_t i = 0; i < batch.size() && rc == 0; ++i) {
      const auto& w = batch[i];
      if (!w.meta_json.empty()) rc = put(env_->meta, w.id, w.meta_json);
      if (rc == 0 && !names[i].empty()) rc = put(env_->names, w.id, names[i]);
      if (rc == 0) rc = put(env_->state, w.id, w.state_json);
    }
    if (rc == 0) rc = mdb_txn_commit(txn); // commit frees the transaction either way
    else mdb_txn_abort(txn);
    if (rc == MDB_MAP_FULL && options_.map_bytes < options_.max_map_bytes) {
      if (auto ec = grow()) return ec;
      continue;
    }
    return rc == 0 ? std::error_code{} : explain(rc, options_.dir);
  }
}

std::error_code lmdb_store::sync() {
  if (auto ec = failure()) return ec; // a sync after a failed one may report success wrongly
  if (::fdatasync(sync_fd_) == 0) return {};
  const int err = errno;
  failed_errno_.store(err, std::memory_order_release);
  spdlog::critical("syncing {} failed ({}): committed state may not be on disk; the store now refuses "
                   "writes and wakes until actorhost restarts",
                   options_.dir.string(), std::strerror(err));
  return {err, std::generic_category()};
}

} // namespace actorhost::store
