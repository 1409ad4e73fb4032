// definition: an actor class as the runtime sees it, with its author's types erased.
//
// actor.hpp turns an author's actor<State, Vars> into a definition; the registry holds them
// by name and the scheduler calls them. Nothing here runs on a particular thread except
// fetch() and websocket(), which run on the instance's home worker.
#pragma once

#include "actorhost/actor/instance.hpp"
#include "actorhost/actor/query.hpp"
#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"
#include "actorhost/http/websocket.hpp"

#include <asio/awaitable.hpp>
#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace actorhost {

// What onAuth sees (SPEC §4).
struct auth_params {
  const http::request& request;
  std::span<const intent> intents;
  // The parsed X-RivetKit-Conn-Params (or conn_params subprotocol); Null when absent.
  const rapidjson::Value& conn_params;

  bool has_intent(intent i) const noexcept {
    for (auto x : intents)
      if (x == i) return true;
    return false;
  }
};

class definition {
public:
  virtual ~definition() = default;

  virtual std::string_view name() const noexcept = 0;
  virtual bool has_auth() const noexcept = 0;
  virtual bool has_fetch() const noexcept = 0;
  virtual bool has_websocket() const noexcept = 0;
  virtual bool has_action(std::string_view name) const noexcept = 0;

  // Runs onAuth; the result is the auth data as JSON text. Throws actor_error to refuse.
  virtual asio::awaitable<std::string> authenticate(auth_params params) const = 0;

  // Builds a new instance: createState(input), then createVars. Throws actor_error.
  virtual std::unique_ptr<instance_base> instantiate(std::string id, std::vector<std::string> key,
                                                     std::string input_json, asio::any_io_executor executor) const = 0;

  // Wakes an instance saved earlier: its state from JSON, then createVars. Throws when the
  // saved state cannot be read.
  virtual std::unique_ptr<instance_base> wake(std::string id, std::vector<std::string> key, std::string input_json,
                                              std::string_view state_json, asio::any_io_executor executor) const = 0;

  // Runs onFetch on `inst` (on its home worker).
  virtual asio::awaitable<std::optional<http::response>> fetch(instance_base& inst, http::request req,
                                                               std::string auth_json) const = 0;

  // Runs the action `name` (has_action) on `inst` with `args` (a JSON array); returns its
  // output as JSON text. Throws actor_error to refuse.
  virtual asio::awaitable<std::string> act(instance_base& inst, std::string_view name, rapidjson::Document args,
                                           std::string auth_json) const = 0;

  // Runs onWebSocket on `inst` (on its home worker, where `ws` lives too).
  virtual asio::awaitable<void> websocket(instance_base& inst, std::shared_ptr<http::websocket> ws,
                                          http::request req, std::string auth_json) const = 0;
};

inline std::string_view instance_base::name() const noexcept { return def_.name(); }

} // namespace actorhost
