#include "actorhost/store/lmdb_store.hpp"

#include "actorhost/codec/js_json.hpp"

#include <lmdb.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

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

std::system_error open_error(int rc, const std::filesystem::path& dir, const char* what) {
  return {lmdb_error(rc), std::string(what) + " (data directory " + dir.string() + ")"};
}

} // namespace

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
  ~env() {
    if (handle != nullptr) mdb_env_close(handle);
  }
};

lmdb_store::lmdb_store(store_options options) : options_(std::move(options)), env_(std::make_unique<env>()) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) throw std::system_error(ec, "cannot create data directory " + options_.dir.string());

  const auto lock_path = options_.dir / "actorhost.lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + lock_path.string());
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
  // Data an earlier run wrote may need more than the configured size: start from what is used.
  MDB_envinfo info;
  mdb_env_info(env_->handle, &info);
  if (info.me_mapsize > options_.map_bytes) options_.map_bytes = info.me_mapsize;

  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(env_->handle, nullptr, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &env_->meta);
  if (rc == 0) rc = mdb_dbi_open(txn, "state", MDB_CREATE, &env_->state);
  if (rc == 0) rc = mdb_txn_commit(txn);
  else if (txn != nullptr) mdb_txn_abort(txn);
  if (rc != 0) throw open_error(rc, options_.dir, "cannot open the actor tables");
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

// Only LMDB's MDB_NOTFOUND means "no such actor". Any other failure, or a record that does not
// parse, throws: taken for a missing actor, it would let getOrCreate overwrite the stored one.
std::optional<actor_record> lmdb_store::load(std::uint64_t id) const {
  check_readable();
  std::shared_lock lock(resize_);
  read_txn txn(env_->handle);
  check_read(txn.rc());
  id_key key(id);
  MDB_val k = key.val();
  MDB_val meta;
  if (const int rc = mdb_get(txn.get(), env_->meta, &k, &meta); rc == MDB_NOTFOUND) return std::nullopt;
  else check_read(rc);

  actor_record rec;
  rapidjson::Document doc;
  doc.Parse(static_cast<const char*>(meta.mv_data), meta.mv_size);
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("name") || !doc["name"].IsString())
    throw std::runtime_error("the stored record of actor " + std::to_string(id) + " in " + options_.dir.string() +
                             " is not valid");
  rec.name.assign(doc["name"].GetString(), doc["name"].GetStringLength());
  if (doc.HasMember("key") && doc["key"].IsArray())
    for (const auto& part : doc["key"].GetArray())
      if (part.IsString()) rec.key.emplace_back(part.GetString(), part.GetStringLength());
  if (doc.HasMember("input") && !doc["input"].IsNull()) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    doc["input"].Accept(writer);
    rec.input_json.assign(buffer.GetString(), buffer.GetSize());
  }
  MDB_val state;
  k = key.val();
  if (const int rc = mdb_get(txn.get(), env_->state, &k, &state); rc == 0)
    rec.state_json.assign(static_cast<const char*>(state.mv_data), state.mv_size);
  else if (rc != MDB_NOTFOUND)
    check_read(rc);
  return rec;
}

bool lmdb_store::exists(std::uint64_t id) const {
  check_readable();
  std::shared_lock lock(resize_);
  read_txn txn(env_->handle);
  check_read(txn.rc());
  id_key key(id);
  MDB_val k = key.val();
  MDB_val v;
  const int rc = mdb_get(txn.get(), env_->meta, &k, &v);
  if (rc == MDB_NOTFOUND) return false;
  check_read(rc);
  return true;
}

std::optional<std::string> lmdb_store::name_of(std::uint64_t id) const {
  auto rec = load(id);
  if (!rec) return std::nullopt;
  return std::move(rec->name);
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

  for (;;) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_->handle, nullptr, 0, &txn);
    if (rc != 0) return lmdb_error(rc);
    for (const auto& w : batch) {
      id_key key(w.id);
      MDB_val k = key.val();
      if (!w.meta_json.empty()) {
        MDB_val v{w.meta_json.size(), const_cast<char*>(w.meta_json.data())};
        if ((rc = mdb_put(txn, env_->meta, &k, &v, 0)) != 0) break;
      }
      MDB_val v{w.state_json.size(), const_cast<char*>(w.state_json.data())};
      if ((rc = mdb_put(txn, env_->state, &k, &v, 0)) != 0) break;
    }
    if (rc == 0) rc = mdb_txn_commit(txn); // commit frees the transaction either way
    else mdb_txn_abort(txn);
    if (rc == MDB_MAP_FULL && options_.map_bytes < options_.max_map_bytes) {
      if (auto ec = grow()) return ec;
      continue;
    }
    return rc == 0 ? std::error_code{} : lmdb_error(rc);
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
