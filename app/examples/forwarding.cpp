// The seed's option A: a user's own router in front of the actors, forwarding through the
// in-process client (no socket, no onAuth), as its Hono sample does:
//
//   ANY /forward/{key}/{path}   -> httpActor [key], its onFetch seeing /{path}?{query}
//   GET /ws/{key}               -> websocketActor [key], the WebSocket bridged both ways
//
// This is the code a user copies for their own routes: take a handle from the client, call
// fetch() with the request, or accept the upgrade and pipe each side's messages to the other,
// closing each side when the other closes.
#include "examples.hpp"

#include "actorhost/codec/websocket_frame.hpp"

#include "actorhost/codec/uri.hpp"
#include "actorhost/host/host.hpp"

#include <asio/experimental/awaitable_operators.hpp>

namespace examples {

namespace {

using actorhost::http::request;
using actorhost::http::response;
using actorhost::http::websocket;

// "/prefix/{key}/rest": the decoded key and "rest" (nullopt unless the path has that shape).
std::optional<std::pair<std::string, std::string_view>> key_and_rest(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  const auto slash = path.find('/');
  auto key = actorhost::codec::decode_component(path.substr(0, slash));
  if (!key || key->empty()) return std::nullopt;
  return std::pair{std::move(*key), slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1)};
}

// Everything `from` receives goes to `to`; when `from` closes, `to` is closed with its code.
asio::awaitable<void> pipe(std::shared_ptr<websocket> from, std::shared_ptr<websocket> to) {
  while (auto message = co_await from->receive()) {
    if (!co_await to->send(std::move(*message))) co_return;
  }
  // The same code and reason, unless it is one that may not be sent (1005, 1006, 1015: the
  // other side's connection broke rather than closed), which becomes a plain 1000.
  const auto code = from->close_code();
  const bool sendable = actorhost::codec::valid_close_code(code);
  if (to->is_open()) to->close(sendable ? code : 1000, sendable ? from->close_reason() : "");
}

asio::awaitable<void> bridge(std::shared_ptr<websocket> outer, std::shared_ptr<websocket> inner) {
  using namespace asio::experimental::awaitable_operators;
  co_await (pipe(outer, inner) && pipe(inner, outer));
}

asio::awaitable<std::optional<response>> forward_fetch(actorhost::server_client& client, request& req,
                                                       std::string key, std::string_view rest) {
  req.set_url(actorhost::http::url("http://actor/" + std::string(rest) + std::string(req.url().search())));
  std::vector<std::string> actor_key{std::move(key)};
  const auto actor = client.get_or_create("httpActor", std::move(actor_key));
  co_return co_await actor.fetch(std::move(req));
}

asio::awaitable<std::optional<response>> route(actorhost::server_client& client, request& req) {
  const std::string_view path = req.url().pathname();
  std::optional<response> res;
  try {
    if (auto fwd = key_and_rest(path, "/forward/")) {
      res = co_await forward_fetch(client, req, std::move(fwd->first), fwd->second);
    } else if (auto ws = key_and_rest(path, "/ws/"); ws && ws->second.empty()) {
      std::vector<std::string> actor_key{std::move(ws->first)};
      auto actor = client.get_or_create("websocketActor", std::move(actor_key));
      request upgrade = req;
      res = actorhost::accept_websocket(req, [actor, upgrade](std::shared_ptr<websocket> outer) -> asio::awaitable<void> {
        auto inner = co_await actor.websocket("/", upgrade);
        co_await bridge(std::move(outer), std::move(inner));
      });
    }
  } catch (const actorhost::actor_error& e) {
    res = actorhost::error_response(e);
  }
  co_return res;
}

} // namespace

actorhost::user_routes forwarding_routes(actorhost::server_client& client) {
  return [&client](request& req) { return route(client, req); };
}

} // namespace examples
