#include "actorhost/actor/scheduler.hpp"

#include "actorhost/actor/actor_id.hpp"
#include "actorhost/actor/definition.hpp"
#include "actorhost/codec/http_parser.hpp"

#include <asio/co_spawn.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace actorhost {

namespace {

// Runs `task` on `ex` and resumes the caller on its own executor; inline when already there.
// (Not a coroutine itself: the caller awaits the task or the hop directly.)
template <class T, class Executor>
asio::awaitable<T> run_on(const Executor& ex, asio::awaitable<T> task) {
  if (ex.running_in_this_thread()) return task;
  return asio::co_spawn(ex, std::move(task), asio::use_awaitable);
}

// A streamed body's producer touches the actor, so it runs on the actor's home worker.
asio::awaitable<void> produce_on(asio::any_io_executor ex, http::body_producer producer, http::body_writer writer) {
  co_await asio::co_spawn(ex, producer(std::move(writer)), asio::use_awaitable);
}

} // namespace

scheduler::scheduler(const registry& reg, net::worker_pool& pool) : registry_(reg) {
  for (std::size_t i = 0; i < pool.size(); ++i) {
    shards_.push_back(std::make_unique<shard>(pool.at(i).executor()));
  }
}

scheduler::~scheduler() = default;

scheduler::shard& scheduler::home_of(std::string_view id) noexcept {
  return *shards_[actor_id_hash(id) % shards_.size()];
}

std::variant<instance_base*, actor_error> scheduler::locate(shard& s, const target& t) {
  const actor_query& q = *t.query;
  const auto key = actor_id_hash(q.id);
  const auto it = s.instances.find(key);
  if (it != s.instances.end()) {
    if (q.kind == query_kind::create) return errors::actor_already_exists(q.name + " " + q.id);
    if (!q.name.empty() && it->second->name() != q.name) return errors::actor_not_found(q.id);
    return it->second.get();
  }
  if (q.kind == query_kind::get_for_id || q.kind == query_kind::get_for_key)
    return errors::actor_not_found(q.kind == query_kind::get_for_id ? q.id : q.name + " " + q.id);
  try {
    auto inst = t.def->instantiate(q.id, q.key, q.input_json, s.executor);
    auto* raw = inst.get();
    s.instances.emplace(key, std::move(inst));
    return raw;
  } catch (const actor_error& e) {
    return e;
  } catch (const std::exception& e) {
    spdlog::error("createState of {} failed: {}", q.name, e.what());
    return errors::internal_error();
  }
}

asio::awaitable<http::response> scheduler::fetch(target t, http::request req, std::string auth_json) {
  auto& s = home_of(t.query->id);
  return run_on(s.executor, fetch_on(s, std::move(t), std::move(req), std::move(auth_json)));
}

asio::awaitable<http::response> scheduler::fetch_on(shard& s, target t, http::request req, std::string auth_json) {
  auto located = locate(s, t);
  if (auto* err = std::get_if<actor_error>(&located)) co_return error_response(*err);
  instance_base& inst = *std::get<instance_base*>(located);
  const definition& def = inst.def();
  if (!def.has_fetch()) co_return error_response(errors::fetch_handler_not_defined());

  std::optional<http::response> res;
  try {
    res = co_await def.fetch(inst, std::move(req), std::move(auth_json));
  } catch (const actor_error& e) {
    co_return error_response(e);
  } catch (const std::system_error& e) {
    // A streamed body that broke off while the handler read it.
    if (e.code() == codec::http_error::body_too_large) co_return error_response(errors::payload_too_large());
    spdlog::warn("onFetch of {} ({}) failed: {}", def.name(), inst.id(), e.what());
    co_return error_response(errors::internal_error());
  } catch (const std::exception& e) {
    spdlog::error("onFetch of {} ({}) threw: {}", def.name(), inst.id(), e.what());
    co_return error_response(errors::internal_error());
  }
  if (!res) co_return error_response(errors::invalid_fetch_response());
  // State is kept in memory here; durable commits hook in at this point.
  inst.clear_touched();
  if (res->streaming()) {
    auto& producer = res->producer();
    producer = [ex = s.executor, p = std::move(producer)](http::body_writer w) { return produce_on(ex, p, std::move(w)); };
  }
  co_return std::move(*res);
}

asio::awaitable<std::variant<std::string, actor_error>> scheduler::resolve(target t) {
  auto& s = home_of(t.query->id);
  return run_on(s.executor, resolve_on(s, std::move(t)));
}

asio::awaitable<std::variant<std::string, actor_error>> scheduler::resolve_on(shard& s, target t) {
  auto located = locate(s, t);
  if (auto* err = std::get_if<actor_error>(&located)) co_return std::move(*err);
  std::get<instance_base*>(located)->clear_touched();
  co_return std::get<instance_base*>(located)->id();
}

asio::awaitable<std::optional<std::string>> scheduler::name_of(std::string id) {
  if (!valid_actor_id(id)) co_return std::nullopt;
  auto& s = home_of(id);
  co_return co_await run_on(s.executor, name_on(s, std::move(id)));
}

asio::awaitable<std::optional<std::string>> scheduler::name_on(shard& s, std::string id) {
  const auto it = s.instances.find(actor_id_hash(id));
  if (it == s.instances.end()) co_return std::nullopt;
  co_return std::string(it->second->name());
}

} // namespace actorhost
