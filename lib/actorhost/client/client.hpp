// client: the C++ client for actors on an actorhost (SPEC §8 option A), shaped after
// RivetKit's createClient.
//
//   auto client = actorhost::client::create_client("http://127.0.0.1:8080", executor);
//   auto counter = client.get("counter").get_or_create({"a"});
//   actorhost::client::fetch_init post{.method = "POST"};
//   http::response r = co_await counter.fetch("/increment", std::move(post));
//   std::shared_ptr<http::websocket> ws = co_await counter.websocket("/");
//   std::string id = co_await counter.resolve();
//   rapidjson::Document out = co_await counter.action("getCount", "[]");
//
// A handle names an actor by a query (actor_query.hpp) and sends it with every request, so a
// handle is cheap to make, to copy and to keep; it holds no connection. fetch() returns the
// actor's response as it came, error statuses included: raw HTTP belongs to the actor, and the
// host's own errors ({"c","m","md"}, e.g. 404 actor_not_found) arrive as responses too.
// resolve() and action() are the host's protocol, so their errors throw actor_error_response.
// Network failures, timeouts and malformed responses throw std::system_error (client_error.hpp).
//
// Executors: the client does its work on a strand of the executor it was created with (or of
// an io_context with a thread of its own, when none was given), and each awaitable resumes the
// caller on the caller's executor. The WebSocket a handle opens lives on that strand too: like
// every http::websocket its members must be called there (the usual case, an io_context run by
// one thread for both the caller and the client, needs no care). blocking_client.hpp wraps all
// of this for plain threads.
//
// Member functions are not coroutines: each copies what it needs into a coroutine that takes
// it by value, so a handle may go away while a request it started is under way.
//
// GCC 12 miscompiles aggregate temporaries and braced lists inside a co_await expression
// (`co_await h.fetch("/x", {.method = "POST"})` frees memory it does not own; `co_await
// c.get("a").get({"k"}).fetch("/")` does not compile). With GCC 12, make the fetch_init, the
// key and the handle in statements of their own and await the call with named arguments; that
// is why the defaults here are overloads rather than default arguments. Clang has no such bug.
#pragma once

#include "actorhost/client/actor_error_response.hpp"
#include "actorhost/client/actor_query.hpp"
#include "actorhost/client/client_error.hpp"
#include "actorhost/client/client_options.hpp"
#include "actorhost/client/connection_pool.hpp"
#include "actorhost/client/endpoint.hpp"
#include "actorhost/http/headers.hpp"
#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"
#include "actorhost/http/websocket.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::client {

class client_core;

struct handle_options {
  // Connection parameters for the actor's onAuth, as JSON text (X-RivetKit-Conn-Params, or
  // the conn_params subprotocol of a WebSocket).
  std::optional<std::string> params;
};

// The W3C RequestInit subset a fetch takes.
struct fetch_init {
  std::string method = "GET";
  http::headers headers;
  std::string body;
};

class actor_handle {
public:
  // `path` is the actor's own path ("/api/hello?x=1"); the host routes it to onFetch.
  asio::awaitable<http::response> fetch(std::string path) const;
  asio::awaitable<http::response> fetch(std::string path, fetch_init init) const;
  // The request's pathname and search, method, headers and body; its origin is ignored.
  asio::awaitable<http::response> fetch(http::request request) const;
  // Opens a WebSocket to the actor's onWebSocket, offering `protocols` after the actor
  // protocol's own. Setup errors the host finds after the upgrade (an unknown actor, a refused
  // onAuth) close the socket at once, with 1011 or 1008 and the error's code as the reason.
  asio::awaitable<std::shared_ptr<http::websocket>> websocket() const;
  asio::awaitable<std::shared_ptr<http::websocket>> websocket(std::string path) const;
  asio::awaitable<std::shared_ptr<http::websocket>> websocket(std::string path, std::vector<std::string> protocols) const;
  // The actor's id (creating the actor if the query says so).
  asio::awaitable<std::string> resolve() const;
  // Calls an action with `args_json` (a JSON array; none: no arguments) and returns its output
  // (null when the action returned nothing).
  asio::awaitable<rapidjson::Document> action(std::string name) const;
  asio::awaitable<rapidjson::Document> action(std::string name, std::string args_json) const;

  const actor_query& query() const noexcept;
  // The query as it is sent.
  const std::string& query_json() const noexcept;

  struct state;

private:
  friend class actor_accessor;
  actor_handle(std::shared_ptr<client_core> core, std::shared_ptr<const state> s);

  std::shared_ptr<client_core> core_;
  std::shared_ptr<const state> state_;
};

// client.get(name): makes handles to actors of one class.
class actor_accessor {
public:
  // An actor that must exist (getForKey).
  actor_handle get(std::vector<std::string> key) const;
  actor_handle get(std::vector<std::string> key, handle_options options) const;
  // An actor created on first use with `input_json` for createState ("" sends no input).
  actor_handle get_or_create(std::vector<std::string> key) const;
  actor_handle get_or_create(std::vector<std::string> key, std::string input_json) const;
  actor_handle get_or_create(std::vector<std::string> key, std::string input_json, handle_options options) const;
  // A new actor; requests fail with actor_already_exists if the key is taken.
  actor_handle create(std::vector<std::string> key) const;
  actor_handle create(std::vector<std::string> key, std::string input_json) const;
  actor_handle create(std::vector<std::string> key, std::string input_json, handle_options options) const;
  // An actor by its id (resolve() tells it).
  actor_handle get_for_id(std::string actor_id) const;
  actor_handle get_for_id(std::string actor_id, handle_options options) const;

  const std::string& name() const noexcept { return name_; }

private:
  friend class client;
  actor_accessor(std::shared_ptr<client_core> core, std::string name) : core_(std::move(core)), name_(std::move(name)) {}
  actor_handle make(actor_query q, handle_options options) const;

  std::shared_ptr<client_core> core_;
  std::string name_;
};

class client {
public:
  actor_accessor get(std::string name) const;

  // The strand the client works on (where its WebSockets must be used).
  asio::any_io_executor executor() const;
  const endpoint& where() const noexcept;
  pool_stats stats() const noexcept;
  // Closes idle connections and open WebSockets (1001) and refuses new requests
  // (client_error::disposed). Safe from any thread.
  void dispose() const;

  const std::shared_ptr<client_core>& core() const noexcept { return core_; }

private:
  friend client create_client(std::string_view, asio::any_io_executor, client_options);
  friend client create_client(std::string_view, client_options);
  explicit client(std::shared_ptr<client_core> core) : core_(std::move(core)) {}

  std::shared_ptr<client_core> core_;
};

// A client of the actorhost at `url` (endpoint.hpp), working on `executor`.
client create_client(std::string_view url, asio::any_io_executor executor, client_options options = {});
// A client with an io_context and a thread of its own.
client create_client(std::string_view url, client_options options = {});

} // namespace actorhost::client
