// host: the public routes of SPEC §3 in front of the actor runtime.
//
//   GET  /health                                  -> "ok"; 503 once the store has failed
//   ANY  [/registry]/actors/{name}/raw/http/{path} (the seed's form)
//   ANY  [/registry]/actors/raw/http/{path}        (RivetKit 0.9's wire form)
//   GET  [/registry]/actors/{name}/ws/{path}       WebSocket upgrade (the seed's form)
//   GET  [/registry]/actors/raw/websocket/{path}   WebSocket upgrade (0.9's form)
//   POST [/registry]/actors/resolve                -> {"i":"<actorId>"}
//   POST [/registry]/actors/actions/{action}       {"a":[args]} -> {"o":<output>}
//   OPTIONS anything                               -> CORS preflight, never reaches an actor
//
// For actor routes the host reads the query, runs the class's onAuth on the connection's own
// worker (so a refused caller never reaches the actor's worker, its state or the store), then
// hands the request to the scheduler. Errors are answered as {"c","m","md"} with their status.
// A WebSocket upgrade is answered 101 once the handshake is valid; the socket then moves to
// the actor's home worker, and setup errors close it (1008 for auth, 1011 otherwise, the
// error's code as the reason).
#pragma once

#include "actorhost/actor/registry.hpp"
#include "actorhost/actor/scheduler.hpp"
#include "actorhost/host/query_memo.hpp"
#include "actorhost/net/http_handler.hpp"
#include "actorhost/store/lmdb_store.hpp"

#include <functional>
#include <optional>
#include <string>

namespace actorhost {

struct cors_options {
  bool enabled = true;
  // "*": any origin may read answers, never with credentials. Otherwise a comma-separated list
  // of the origins allowed, with credentials; the list also gates browsers' WebSockets.
  std::string allow_origins = "*";
  int max_age_seconds = 86400;
};

// A user's own routes in front of the registry's (the seed's Hono app): asked for every path
// outside /health and [/registry]/actors/; nullopt falls through to 404.
using user_routes = std::function<asio::awaitable<std::optional<http::response>>(http::request& req)>;

struct host_options {
  cors_options cors;
  user_routes routes;
  // When set, /health answers 503 once this store has failed a sync (lmdb_store::failure):
  // the host then needs a restart, and a supervisor polling /health should give it one.
  const store::lmdb_store* store = nullptr;
};

// The answer to a WebSocket upgrade in `req`: 101, handing the socket to `session` (with
// `protocol` as the subprotocol when the client offered it), or the refusal of an invalid
// handshake (405, 426 or 400, as RFC 6455 §4.2.1 says).
http::response accept_websocket(const http::request& req, http::websocket_session session,
                                std::string_view protocol = {});

class host final : public net::http_handler {
public:
  host(const registry& reg, scheduler& sched, net::worker_pool& pool, host_options options = {});

  asio::awaitable<http::response> handle(http::request req, net::affinity* hint) override;

private:
  asio::awaitable<http::response> route(http::request req, net::affinity* hint);
  http::response health() const;
  asio::awaitable<http::response> raw_http(http::request req, std::string route_name, std::string actor_href,
                                           net::affinity* hint);
  asio::awaitable<http::response> websocket(http::request req, std::string route_name, std::string actor_href,
                                            net::affinity* hint);
  asio::awaitable<http::response> resolve(http::request req);
  asio::awaitable<http::response> action(http::request req, std::string name, net::affinity* hint);
  static std::optional<std::string_view> query_header(const http::request& req);
  static std::optional<std::string_view> conn_params_header(const http::request& req);
  // A query, checked against the route's actor name, from the worker's memo when it can be.
  // A getForId query without a name comes back with no definition.
  std::variant<target, actor_error> read_target(std::optional<std::string_view> query, std::string_view route_name);
  // Who calls, as the route found it.
  struct caller {
    std::optional<std::string_view> query;
    std::optional<std::string_view> conn_params;
    std::string_view route_name;
    bool action = false;
  };
  // Query, name and auth: everything up to handing over to the scheduler.
  struct admitted;
  struct refusal {
    actor_error error;
    bool by_auth = false; // onAuth (or its absence) refused the caller
  };
  asio::awaitable<std::variant<admitted, refusal>> admit(const http::request& req, caller who);
  http::response preflight(const http::request& req) const;
  void add_cors(const std::optional<std::string>& origin, http::response& res) const;
  bool origin_allowed(std::string_view origin) const;
  bool any_origin() const noexcept;

  const registry& registry_;
  scheduler& scheduler_;
  net::worker_pool& pool_;
  host_options options_;
  std::vector<query_memo> memos_; // one per worker
};

} // namespace actorhost
