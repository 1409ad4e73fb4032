// scheduler: where each actor instance lives and how a call reaches it.
//
// Every instance has a home worker, chosen from its id (id hash mod worker count), and lives
// in that worker's shard table. All access to an instance, from creation through every
// handler, happens on its home worker's thread: that makes it a strand without a lock, and
// makes "one instance per key" trivial, because concurrent first requests for one key all
// queue on the same thread and the first one creates it. A call from a connection on another
// worker hops there and back (two posts); a call on the home worker runs inline.
#pragma once

#include "actorhost/actor/errors.hpp"
#include "actorhost/actor/instance.hpp"
#include "actorhost/actor/query.hpp"
#include "actorhost/actor/registry.hpp"
#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"
#include "actorhost/net/worker_pool.hpp"

#include <asio/awaitable.hpp>

#include <cstdint>
#include <memory>
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

class scheduler {
public:
  scheduler(const registry& reg, net::worker_pool& pool);
  ~scheduler();

  // Locates (creating if the query says so) and runs onFetch; errors become error responses.
  asio::awaitable<http::response> fetch(target t, http::request req, std::string auth_json);

  // Locates (creating if the query says so) and returns the actor's id.
  asio::awaitable<std::variant<std::string, actor_error>> resolve(target t);

  // The class name of the actor with this id, if it exists.
  asio::awaitable<std::optional<std::string>> name_of(std::string id);

  std::size_t shard_count() const noexcept { return shards_.size(); }

private:
  struct shard {
    explicit shard(asio::io_context::executor_type ex) : executor(std::move(ex)) {}
    asio::io_context::executor_type executor;
    std::unordered_map<std::uint64_t, std::unique_ptr<instance_base>> instances;
  };

  shard& home_of(std::string_view id) noexcept;
  // On the home worker: find or create as the query says.
  std::variant<instance_base*, actor_error> locate(shard& s, const target& t);

  asio::awaitable<http::response> fetch_on(shard& s, target t, http::request req, std::string auth_json);
  asio::awaitable<std::variant<std::string, actor_error>> resolve_on(shard& s, target t);
  asio::awaitable<std::optional<std::string>> name_on(shard& s, std::string id);

  const registry& registry_;
  std::vector<std::unique_ptr<shard>> shards_;
};

} // namespace actorhost
