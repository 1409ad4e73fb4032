// server_client: the seed's `registry.createServer()` client, for a user's own routes in the
// same process. It reaches actors with no socket, no HTTP encoding and no onAuth (SPEC §4: the
// in-process client is trusted), through the same scheduler, output gate and handlers as the
// public routes.
//
//   auto room = client.get_or_create("chatRoom", {"lobby"});
//   http::response r = co_await room.fetch("/stats");
//   auto ws = co_await room.websocket("/");          // an in-process WebSocket to onWebSocket
//   rapidjson::Document out = co_await room.action("history", args);
//
// Handles are cheap to copy and usable from any worker. Errors (actor_not_found,
// actor_already_exists, action_not_found, the author's own) come back as the error responses
// the public routes would give, from fetch(), and are thrown as actor_error elsewhere.
#pragma once

#include "actorhost/actor/registry.hpp"
#include "actorhost/actor/scheduler.hpp"
#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"
#include "actorhost/http/websocket.hpp"

#include <asio/awaitable.hpp>
#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost {

class server_client {
public:
  server_client(const registry& reg, scheduler& sched) : registry_(reg), scheduler_(sched) {}

  class handle {
  public:
    // The actor's onFetch with `req` as is; its URL should be http://actor/{path}?{query}.
    asio::awaitable<http::response> fetch(http::request req) const;
    // The same for a path (with its query string) relative to the actor.
    asio::awaitable<http::response> fetch(std::string_view path, std::string method = "GET",
                                          http::headers headers = {}, std::string body = {}) const;
    // Opens an in-process WebSocket to the actor's onWebSocket; `upgrade` is the request the
    // handler sees (its URL is set to http://actor/{path}). Resolves once the actor's side is
    // being served; setup errors close it with 1011 as the public route does.
    asio::awaitable<std::shared_ptr<http::websocket>> websocket(std::string_view path = "/",
                                                                http::request upgrade = {}) const;
    // Runs an action; `args` is the argument array.
    asio::awaitable<rapidjson::Document> action(std::string name, rapidjson::Document args) const;
    // The actor's id (creating it if the handle's query says so).
    asio::awaitable<std::string> resolve() const;

  private:
    friend class server_client;
    handle(scheduler& sched, target t) : scheduler_(&sched), target_(std::move(t)) {}
    scheduler* scheduler_;
    target target_;
  };

  // Throw actor_error: actor_not_found for a name not in the registry, invalid_request for a
  // bad key.
  handle get(std::string_view name, std::vector<std::string> key) const;
  handle get_or_create(std::string_view name, std::vector<std::string> key, std::string input_json = {}) const;
  handle create(std::string_view name, std::vector<std::string> key, std::string input_json = {}) const;
  handle get_for_id(std::string_view name, std::string id) const;

private:
  handle make(query_kind kind, std::string_view name, std::vector<std::string> key, std::string input_json,
              std::string id = {}) const;

  const registry& registry_;
  scheduler& scheduler_;
};

} // namespace actorhost
