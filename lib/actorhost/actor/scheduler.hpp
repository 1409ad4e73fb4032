// scheduler: where each actor instance lives, how a call reaches it, and when its state is
// saved and it sleeps.
//
// Every instance has a home worker, chosen from its id (id hash mod worker count), and lives
// in that worker's shard. All access to an instance, from creation through every handler,
// happens on its home worker's thread: that makes it a strand without a lock, and makes "one
// instance per key" trivial, because concurrent first requests for one key all queue on the
// same thread and the first one creates (or wakes) it. A call from a connection on another
// worker hops there and back (two posts); a call on the home worker runs inline.
//
// Durability (SPEC §5): after each onFetch the state is encoded and, if its bytes changed,
// committed through the group committer; the reply leaves only when the output gate says
// every write before it is durable. A failed commit turns the reply into 500 and resets the
// actor (it is dropped from memory and woken again from the store). Each shard sweeps its
// actors periodically: state changed outside a handler is committed, and actors idle for
// `idle_timeout` (nothing in flight, nothing unsaved) go to sleep.
#pragma once

#include "actorhost/actor/errors.hpp"
#include "actorhost/actor/instance.hpp"
#include "actorhost/actor/query.hpp"
#include "actorhost/actor/registry.hpp"
#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"
#include "actorhost/net/task_group.hpp"
#include "actorhost/net/worker_pool.hpp"
#include "actorhost/store/group_committer.hpp"
#include "actorhost/store/lmdb_store.hpp"

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace actorhost {

// A query the host has checked: key-based ones carry their id and definition. The query is
// shared and immutable, so the host can hand the same parsed query to many requests.
struct target {
  std::shared_ptr<const actor_query> query;
  const definition* def = nullptr; // null for getForId until located
};

struct scheduler_options {
  // An actor with nothing in flight sleeps after this long without a request.
  std::chrono::milliseconds idle_timeout{30'000};
  // How often each shard commits changes made outside handlers and puts idle actors to sleep.
  std::chrono::milliseconds sweep_interval{1'000};
  // Awake actors per worker beyond which idle ones sleep at once, oldest first.
  std::size_t max_awake_per_worker = 1'000'000;
  // Hold replies until their state is durable (off only in the relaxed mode).
  bool hold_replies = true;
  // New actors of one name per second, in a burst of as many (429 rate_limited beyond), so a
  // caller cannot fill the store with getOrCreate on fresh keys as fast as it can send. 0: no
  // limit. Waking a stored actor is not a creation.
  double max_creates_per_second = 0;
};

class scheduler final : public state_saver {
public:
  // Without a store and committer, state lives in memory only.
  scheduler(const registry& reg, net::worker_pool& pool, store::lmdb_store* store = nullptr,
            store::group_committer* committer = nullptr, scheduler_options options = {});
  ~scheduler() override;

  // Starts each shard's sweeper in `tasks`.
  void start(net::task_group& tasks);
  // Commits every unsaved change, waits until durable, and stops the sweepers.
  asio::awaitable<void> shutdown();

  // Locates (creating or waking if the query says so) and runs onFetch.
  asio::awaitable<http::response> fetch(target t, http::request req, std::string auth_json);
  // Locates (creating or waking if the query says so) and serves `ws` with onWebSocket until it
  // closes. Must run on the actor's home worker (home_index), where `ws` lives. Setup errors
  // close the socket with 1011 and the error's code as the reason (SPEC §3).
  asio::awaitable<void> connect(target t, http::request req, std::string auth_json, std::shared_ptr<http::websocket> ws);
  // Locates (creating or waking if the query says so) and runs an action; its output as JSON
  // text once the state it changed is durable.
  asio::awaitable<std::variant<std::string, actor_error>> act(target t, std::string name, rapidjson::Document args,
                                                               std::string auth_json);
  // Locates (creating or waking if the query says so) and returns the actor's id.
  asio::awaitable<std::variant<std::string, actor_error>> resolve(target t);
  // The class name of the actor with this id, if it exists (awake or asleep).
  asio::awaitable<std::optional<std::string>> name_of(std::string id);

  asio::awaitable<bool> save_now(instance_base& inst) override;

  std::size_t shard_count() const noexcept { return shards_.size(); }
  // The worker an actor id lives on.
  std::size_t home_index(std::string_view id) const noexcept;
  // The executor of that worker.
  asio::any_io_executor home_executor(std::string_view id) noexcept { return home_of(id).executor; }
  // Awake actors over all shards (approximate while workers run).
  std::size_t awake() const noexcept;

private:
  struct shard {
    explicit shard(asio::io_context::executor_type ex) : executor(ex), sweep_timer(ex) {}
    asio::io_context::executor_type executor;
    std::unordered_map<std::uint64_t, std::shared_ptr<instance_base>> instances;
    std::list<instance_base*> lru; // most recently used first
    asio::steady_timer sweep_timer;
    std::uint64_t next_epoch = 1;
    bool stopping = false;
    // Commit outcomes arrive from the committer's thread; one post drains all that arrived.
    struct outcome {
      std::shared_ptr<instance_base> inst;
      std::uint64_t ticket;
      bool ok;
    };
    std::mutex outcomes_mutex;
    std::vector<outcome> outcomes;
    bool drain_posted = false;
  };

  shard& home_of(std::string_view id) noexcept;
  std::variant<std::shared_ptr<instance_base>, actor_error> locate(shard& s, const target& t);
  std::variant<std::shared_ptr<instance_base>, actor_error> wake(shard& s, const target& t);
  void adopt(shard& s, std::shared_ptr<instance_base> inst);
  void touch(shard& s, instance_base& inst);
  void evict(shard& s, instance_base& inst);
  // Starts a commit when the state changed since the last one.
  void save(shard& s, instance_base& inst);
  // On the committer's thread: hands one commit outcome to the shard.
  void deliver(shard& s, std::shared_ptr<instance_base> inst, std::uint64_t ticket, bool ok);
  void drain_outcomes(shard& s);
  // After a handler: commits what it changed and waits for the gate. False when the reply must
  // not leave (a commit failed; the instance has been reset).
  asio::awaitable<bool> after_handler(shard& s, std::shared_ptr<instance_base> inst);
  // Waits for the gate; on failure resets the instance. False when the reply must not leave.
  asio::awaitable<bool> pass_gate(shard& s, std::shared_ptr<instance_base> inst);

  asio::awaitable<http::response> fetch_on(shard& s, target t, http::request req, std::string auth_json);
  asio::awaitable<std::variant<std::string, actor_error>> act_on(shard& s, target t, std::string name,
                                                                  rapidjson::Document args, std::string auth_json);
  asio::awaitable<std::variant<std::string, actor_error>> resolve_on(shard& s, target t);
  asio::awaitable<std::optional<std::string>> name_on(shard& s, std::string id);
  asio::awaitable<void> sweep_loop(shard& s);
  void sweep(shard& s);
  asio::awaitable<void> shutdown_on(shard& s);

  // A token bucket per actor name for max_creates_per_second; creations are rare next to
  // requests, so one mutex over all shards costs nothing on the request path.
  bool may_create(std::string_view name);
  struct create_bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last{};
  };
  std::mutex create_mutex_;
  std::unordered_map<std::string, create_bucket> create_buckets_;

  const registry& registry_;
  store::lmdb_store* store_;
  store::group_committer* committer_;
  scheduler_options options_;
  std::vector<std::unique_ptr<shard>> shards_;
};

} // namespace actorhost
