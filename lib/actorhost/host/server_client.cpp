#include "actorhost/host/server_client.hpp"

#include "actorhost/actor/actor_id.hpp"
#include "actorhost/codec/json.hpp"
#include "actorhost/http/websocket_pair.hpp"

#include <asio/co_spawn.hpp>
#include <asio/this_coro.hpp>
#include <spdlog/spdlog.h>

namespace actorhost {

namespace {

// The actor's view of a path: http://actor/{path}, the leading slash optional.
http::url actor_url(std::string_view path) {
  if (path.starts_with('/')) path.remove_prefix(1);
  return http::url("http://actor/" + std::string(path));
}

// A handler's output as JSON text, parsed back for the caller.
rapidjson::Document parse(const std::string& json) { return codec::parse_json_document(json); }

} // namespace

server_client::handle server_client::make(query_kind kind, std::string_view name, std::vector<std::string> key,
                                          std::string input_json, std::string id) const {
  const definition* def = registry_.find(name);
  if (def == nullptr) throw errors::actor_not_found(name);
  for (const auto& part : key)
    if (part.size() > max_key_part_bytes) throw errors::invalid_request("a key part is over 128 bytes");
  if (!input_json.empty()) {
    rapidjson::Document input;
    if (const auto parsed = codec::parse_json(input, input_json); !parsed)
      throw errors::invalid_request(std::string("the actor's input is not valid JSON: ") + parsed.reason);
  }
  auto q = std::make_shared<actor_query>();
  q->kind = kind;
  q->name = std::string(name);
  q->key = std::move(key);
  q->input_json = std::move(input_json);
  q->id = std::move(id);
  if (kind == query_kind::get_for_id) {
    if (!valid_actor_id(q->id)) throw errors::actor_not_found(q->id);
  } else if (auto err = resolve_name(*q, name)) {
    throw *err;
  }
  return handle(scheduler_, target{std::move(q), def});
}

server_client::handle server_client::get(std::string_view name, std::vector<std::string> key) const {
  return make(query_kind::get_for_key, name, std::move(key), {});
}

server_client::handle server_client::get_or_create(std::string_view name, std::vector<std::string> key,
                                                   std::string input_json) const {
  return make(query_kind::get_or_create_for_key, name, std::move(key), std::move(input_json));
}

server_client::handle server_client::create(std::string_view name, std::vector<std::string> key,
                                            std::string input_json) const {
  return make(query_kind::create, name, std::move(key), std::move(input_json));
}

server_client::handle server_client::get_for_id(std::string_view name, std::string id) const {
  return make(query_kind::get_for_id, name, {}, {}, std::move(id));
}

asio::awaitable<http::response> server_client::handle::fetch(http::request req) const {
  // No onAuth: the in-process caller is trusted, and its auth data is null.
  co_return co_await scheduler_->fetch(target_, std::move(req), "null");
}

asio::awaitable<http::response> server_client::handle::fetch(std::string_view path, std::string method,
                                                             http::headers headers, std::string body) const {
  co_return co_await fetch(http::request(std::move(method), actor_url(path), std::move(headers), std::move(body)));
}

asio::awaitable<std::shared_ptr<http::websocket>> server_client::handle::websocket(std::string_view path,
                                                                                  http::request upgrade) const {
  auto mine = co_await asio::this_coro::executor;
  auto home = scheduler_->home_executor(target_.query->id);
  auto [client_end, actor_end] = http::make_websocket_pair(mine, home);
  upgrade.set_url(actor_url(path));
  // The actor's end is served on the actor's worker, as a public socket would be.
  asio::co_spawn(home, scheduler_->connect(target_, std::move(upgrade), "null", actor_end),
                 [](std::exception_ptr e) {
                   if (e) spdlog::error("in-process WebSocket ended with an exception");
                 });
  co_return client_end;
}

asio::awaitable<rapidjson::Document> server_client::handle::action(std::string name, rapidjson::Document args) const {
  auto result = co_await scheduler_->act(target_, std::move(name), std::move(args), "null");
  if (auto* err = std::get_if<actor_error>(&result)) throw *err;
  co_return parse(std::get<std::string>(result));
}

asio::awaitable<std::string> server_client::handle::resolve() const {
  auto result = co_await scheduler_->resolve(target_);
  if (auto* err = std::get_if<actor_error>(&result)) throw *err;
  co_return std::get<std::string>(result);
}

} // namespace actorhost
