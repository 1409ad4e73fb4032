#include "actorhost/actor/scheduler.hpp"

#include "actorhost/actor/actor_id.hpp"
#include "actorhost/actor/definition.hpp"
#include "actorhost/codec/http_parser.hpp"
#include "actorhost/codec/websocket_frame.hpp"

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace actorhost {

namespace {

using clock = std::chrono::steady_clock;

// Runs `task` on `ex` and resumes the caller on its own executor; inline when already there.
// (Not a coroutine itself: the caller awaits the task or the hop directly.)
template <class T, class Executor>
asio::awaitable<T> run_on(const Executor& ex, asio::awaitable<T> task) {
  if (ex.running_in_this_thread()) return task;
  return asio::co_spawn(ex, std::move(task), asio::use_awaitable);
}

// Keeps an instance counted as busy (it will not sleep) while a handler or stream runs.
class busy_guard {
public:
  explicit busy_guard(std::shared_ptr<instance_base> inst) : inst_(std::move(inst)) { ++inst_->in_flight; }
  ~busy_guard() {
    --inst_->in_flight;
    inst_->last_active = clock::now();
  }
  busy_guard(const busy_guard&) = delete;
  busy_guard& operator=(const busy_guard&) = delete;

private:
  std::shared_ptr<instance_base> inst_;
};

// What stops a producer whose client has gone; touched only on the actor's home worker.
struct producer_stop {
  asio::cancellation_signal signal;
  bool done = false; // the producer has ended: nothing to cancel
};

// On the actor's home worker: the producer, which touches the actor, with the actor kept awake
// (busy) until it ends, and cancelled when its client goes (the connection says so from its
// own thread, so the cancellation is posted here).
asio::awaitable<void> produce_here(std::shared_ptr<instance_base> inst, http::body_producer producer,
                                   http::body_writer writer) {
  busy_guard busy(inst);
  auto stop = std::make_shared<producer_stop>();
  writer.on_gone([stop, ex = inst->executor()] {
    asio::post(ex, [stop] {
      if (!stop->done) stop->signal.emit(asio::cancellation_type::terminal);
    });
  });
  struct mark_done {
    producer_stop& s;
    ~mark_done() { s.done = true; }
  } mark{*stop};
  co_await asio::co_spawn(inst->executor(), producer(std::move(writer)),
                          asio::bind_cancellation_slot(stop->signal.slot(), asio::use_awaitable));
}

asio::awaitable<void> produce_on(std::shared_ptr<instance_base> inst, http::body_producer producer,
                                 http::body_writer writer) {
  auto home = inst->executor();
  co_await asio::co_spawn(home, produce_here(std::move(inst), std::move(producer), std::move(writer)),
                          asio::use_awaitable);
}

} // namespace

scheduler::scheduler(const registry& reg, net::worker_pool& pool, store::lmdb_store* store,
                     store::group_committer* committer, scheduler_options options)
    : registry_(reg), store_(store), committer_(committer), options_(options) {
  for (std::size_t i = 0; i < pool.size(); ++i) shards_.push_back(std::make_unique<shard>(pool.at(i).executor()));
}

scheduler::~scheduler() = default;

void scheduler::start(net::task_group& tasks) {
  for (auto& s : shards_) tasks.spawn(s->executor, sweep_loop(*s), "actor sweeper");
}

std::size_t scheduler::awake() const noexcept {
  std::size_t n = 0;
  for (const auto& s : shards_) n += s->lru.size();
  return n;
}

std::size_t scheduler::home_index(std::string_view id) const noexcept { return actor_id_hash(id) % shards_.size(); }

scheduler::shard& scheduler::home_of(std::string_view id) noexcept { return *shards_[home_index(id)]; }

void scheduler::adopt(shard& s, std::shared_ptr<instance_base> inst) {
  inst->saver = this;
  inst->epoch = s.next_epoch++;
  inst->last_active = clock::now();
  s.lru.push_front(inst.get());
  inst->lru = s.lru.begin();
  s.instances[actor_id_hash(inst->id())] = std::move(inst);
}

void scheduler::touch(shard& s, instance_base& inst) {
  inst.last_active = clock::now();
  if (inst.lru != s.lru.begin()) s.lru.splice(s.lru.begin(), s.lru, inst.lru);
}

void scheduler::evict(shard& s, instance_base& inst) {
  const auto it = s.instances.find(actor_id_hash(inst.id()));
  if (it == s.instances.end() || it->second.get() != &inst) return;
  s.lru.erase(inst.lru);
  s.instances.erase(it); // in-flight work keeps the object alive until it ends
}

std::variant<std::shared_ptr<instance_base>, actor_error> scheduler::locate(shard& s, const target& t) {
  const actor_query& q = *t.query;
  auto it = s.instances.find(actor_id_hash(q.id));
  if (it != s.instances.end() && it->second->gate().failed()) {
    // A commit of this incarnation failed: no new work starts on it; wake a fresh one.
    it->second->broken = true;
    evict(s, *it->second);
    it = s.instances.end();
  }
  if (it != s.instances.end()) {
    if (q.kind == query_kind::create) return errors::actor_already_exists(q.name + " " + q.id);
    if (!q.name.empty() && it->second->name() != q.name) return errors::actor_not_found(q.id);
    touch(s, *it->second);
    return it->second;
  }
  return wake(s, t);
}

bool scheduler::may_create(std::string_view name) {
  const double rate = options_.max_creates_per_second;
  if (rate <= 0) return true;
  std::lock_guard lock(create_mutex_);
  auto [it, fresh] = create_buckets_.try_emplace(std::string(name));
  auto& b = it->second;
  const auto now = clock::now();
  if (fresh) b.tokens = std::max(1.0, rate);
  else b.tokens = std::min(std::max(1.0, rate), b.tokens + rate * std::chrono::duration<double>(now - b.last).count());
  b.last = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

std::variant<std::shared_ptr<instance_base>, actor_error> scheduler::wake(shard& s, const target& t) {
  const actor_query& q = *t.query;
  const auto key = actor_id_hash(q.id);
  std::unique_ptr<instance_base> inst;
  try {
    if (auto rec = store_ != nullptr ? store_->load(key) : std::nullopt) {
      if (q.kind == query_kind::create) return errors::actor_already_exists(q.name + " " + q.id);
      if (!q.name.empty() && rec->name != q.name) return errors::actor_not_found(q.id);
      const definition* def = t.def != nullptr ? t.def : registry_.find(rec->name);
      if (def == nullptr) return errors::actor_not_found(rec->name);
      inst = def->wake(q.id, std::move(rec->key), std::move(rec->input_json), rec->state_json, s.executor);
      inst->saved_state = std::move(rec->state_json);
      inst->saved_meta = true;
      spdlog::debug("actor {} {} wakes", inst->name(), inst->id());
    } else {
      if (q.kind == query_kind::get_for_id || q.kind == query_kind::get_for_key)
        return errors::actor_not_found(q.kind == query_kind::get_for_id ? q.id : q.name + " " + q.id);
      if (!may_create(q.name)) return errors::rate_limited("too many new " + q.name + " actors; try again shortly");
      inst = t.def->instantiate(q.id, q.key, q.input_json, s.executor); // touched: saved after the handler
    }
  } catch (const actor_error& e) {
    return e;
  } catch (const std::exception& e) {
    spdlog::error("waking or creating {} {} failed: {}", q.name, q.id, e.what());
    return errors::internal_error();
  }
  std::shared_ptr<instance_base> shared = std::move(inst);
  adopt(s, shared);
  return shared;
}

void scheduler::save(shard& s, instance_base& inst) {
  if (!inst.unsaved() || inst.broken || inst.gate().failed()) return;
  inst.clear_touched();
  std::string bytes = inst.encode_state();
  if (bytes == inst.saved_state && inst.saved_meta) return; // unchanged: nothing to write
  if (committer_ == nullptr) {
    inst.saved_state = std::move(bytes);
    inst.saved_meta = true;
    return;
  }
  store::actor_write w;
  w.id = actor_id_hash(inst.id());
  w.epoch = inst.epoch;
  if (!inst.saved_meta) {
    w.meta_json = store::encode_meta(inst.name(), inst.key(), inst.input_json());
    w.name = inst.name();
  }
  w.state_json = bytes;
  inst.saved_state = std::move(bytes);
  inst.saved_meta = true;
  const auto ticket = inst.gate().begin_write();
  committer_->submit(std::move(w), [this, &s, self = inst.shared_from_this(), ticket](std::error_code ec) {
    deliver(s, self, ticket, !ec);
  });
}

void scheduler::deliver(shard& s, std::shared_ptr<instance_base> inst, std::uint64_t ticket, bool ok) {
  bool post = false;
  {
    std::lock_guard lock(s.outcomes_mutex);
    s.outcomes.push_back({std::move(inst), ticket, ok});
    post = !std::exchange(s.drain_posted, true);
  }
  // A whole commit group's outcomes for this worker take one post.
  if (post) asio::post(s.executor, [this, &s] { drain_outcomes(s); });
}

void scheduler::drain_outcomes(shard& s) {
  std::vector<shard::outcome> ready;
  {
    std::lock_guard lock(s.outcomes_mutex);
    ready.swap(s.outcomes);
    s.drain_posted = false;
  }
  for (auto& o : ready) o.inst->gate().complete(o.ticket, o.ok);
}

asio::awaitable<bool> scheduler::pass_gate(shard& s, std::shared_ptr<instance_base> inst) {
  bool ok = !inst->gate().failed();
  if (ok && options_.hold_replies && !inst->gate().idle()) ok = co_await inst->gate().wait();
  if (!ok && !inst->broken) {
    // Nothing the failed commit held may be shown: drop the instance; the next request wakes
    // it from what the store holds.
    spdlog::warn("resetting {} {} after a failed commit", inst->name(), inst->id());
    inst->broken = true;
    evict(s, *inst);
  }
  co_return ok;
}

asio::awaitable<bool> scheduler::save_now(instance_base& inst) {
  auto& s = home_of(inst.id());
  save(s, inst);
  co_return co_await pass_gate(s, inst.shared_from_this());
}

asio::awaitable<http::response> scheduler::fetch(target t, http::request req, std::string auth_json) {
  auto& s = home_of(t.query->id);
  return run_on(s.executor, fetch_on(s, std::move(t), std::move(req), std::move(auth_json)));
}

asio::awaitable<http::response> scheduler::fetch_on(shard& s, target t, http::request req, std::string auth_json) {
  auto located = locate(s, t);
  if (auto* err = std::get_if<actor_error>(&located)) co_return error_response(*err);
  auto inst = std::get<std::shared_ptr<instance_base>>(std::move(located));
  const definition& def = inst->def();
  if (!def.has_fetch()) co_return error_response(errors::fetch_handler_not_defined());

  busy_guard busy(inst);
  std::optional<http::response> res;
  std::optional<actor_error> failure;
  try {
    res = co_await def.fetch(*inst, std::move(req), std::move(auth_json));
  } catch (const actor_error& e) {
    failure = e;
  } catch (const std::system_error& e) {
    // A streamed body that broke off while the handler read it.
    if (e.code() == codec::http_error::body_too_large) failure = errors::payload_too_large();
    else failure = errors::internal_error();
    spdlog::warn("onFetch of {} ({}) failed: {}", def.name(), inst->id(), e.what());
  } catch (const std::exception& e) {
    spdlog::error("onFetch of {} ({}) threw: {}", def.name(), inst->id(), e.what());
    failure = errors::internal_error();
  }
  if (!co_await after_handler(s, inst)) co_return error_response(errors::internal_error());
  if (failure) co_return error_response(*failure);
  if (!res) co_return error_response(errors::invalid_fetch_response());
  if (res->streaming()) {
    auto& producer = res->producer();
    producer = [inst, p = std::move(producer)](http::body_writer w) { return produce_on(inst, p, std::move(w)); };
  }
  co_return std::move(*res);
}

asio::awaitable<bool> scheduler::after_handler(shard& s, std::shared_ptr<instance_base> inst) {
  // The output gate: what the handler changed is durable before any reply leaves.
  if (inst->touched()) save(s, *inst);
  if (inst->gate().idle() && !inst->gate().failed()) co_return true;
  co_return co_await pass_gate(s, std::move(inst));
}

asio::awaitable<std::variant<std::string, actor_error>> scheduler::act(target t, std::string name,
                                                                        rapidjson::Document args, std::string auth_json) {
  auto& s = home_of(t.query->id);
  return run_on(s.executor, act_on(s, std::move(t), std::move(name), std::move(args), std::move(auth_json)));
}

asio::awaitable<std::variant<std::string, actor_error>> scheduler::act_on(shard& s, target t, std::string name,
                                                                           rapidjson::Document args,
                                                                           std::string auth_json) {
  auto located = locate(s, t);
  if (auto* err = std::get_if<actor_error>(&located)) co_return std::move(*err);
  auto inst = std::get<std::shared_ptr<instance_base>>(std::move(located));
  const definition& def = inst->def();
  if (!def.has_action(name)) co_return errors::action_not_found(name);

  busy_guard busy(inst);
  std::variant<std::string, actor_error> result = std::string();
  try {
    result = co_await def.act(*inst, name, std::move(args), std::move(auth_json));
  } catch (const actor_error& e) {
    result = e;
  } catch (const std::exception& e) {
    spdlog::error("action {} of {} ({}) threw: {}", name, def.name(), inst->id(), e.what());
    result = errors::internal_error();
  }
  if (!co_await after_handler(s, inst)) co_return errors::internal_error();
  co_return result;
}

asio::awaitable<void> scheduler::connect(target t, http::request req, std::string auth_json,
                                         std::shared_ptr<http::websocket> ws) {
  auto& s = home_of(t.query->id);
  if (!s.executor.running_in_this_thread()) {
    spdlog::error("a WebSocket for {} was served off its actor's worker", t.query->id);
    ws->close(codec::websocket_close::internal_error, "internal_error");
    co_return;
  }
  auto located = locate(s, t);
  if (auto* err = std::get_if<actor_error>(&located)) {
    ws->close(codec::websocket_close::internal_error, err->code());
    co_return;
  }
  auto inst = std::get<std::shared_ptr<instance_base>>(std::move(located));
  const definition& def = inst->def();
  if (!def.has_websocket()) {
    ws->close(codec::websocket_close::internal_error, errors::websocket_handler_not_defined().code());
    co_return;
  }
  // The actor stays awake while the socket is open, whether or not the handler still runs.
  busy_guard busy(inst);
  ++inst->open_sockets;
  try {
    co_await def.websocket(*inst, ws, std::move(req), std::move(auth_json));
  } catch (const actor_error& e) {
    spdlog::warn("onWebSocket of {} ({}) failed: {}", def.name(), inst->id(), e.what());
    if (ws->is_open()) ws->close(codec::websocket_close::internal_error, e.code());
  } catch (const std::exception& e) {
    spdlog::error("onWebSocket of {} ({}) threw: {}", def.name(), inst->id(), e.what());
    if (ws->is_open()) ws->close(codec::websocket_close::internal_error, "internal_error");
  }
  co_await ws->closed();
  --inst->open_sockets;
  // What the socket's handlers changed is committed when it closes (SPEC §5); nobody waits.
  if (inst->unsaved()) save(s, *inst);
}

asio::awaitable<std::variant<std::string, actor_error>> scheduler::resolve(target t) {
  auto& s = home_of(t.query->id);
  return run_on(s.executor, resolve_on(s, std::move(t)));
}

asio::awaitable<std::variant<std::string, actor_error>> scheduler::resolve_on(shard& s, target t) {
  auto located = locate(s, t);
  if (auto* err = std::get_if<actor_error>(&located)) co_return std::move(*err);
  auto inst = std::get<std::shared_ptr<instance_base>>(std::move(located));
  busy_guard busy(inst);
  save(s, *inst); // a newly created actor exists once it is durable
  if (!co_await pass_gate(s, inst)) co_return errors::internal_error();
  co_return inst->id();
}

asio::awaitable<std::optional<std::string>> scheduler::name_of(std::string id) {
  if (!valid_actor_id(id)) co_return std::nullopt;
  auto& s = home_of(id);
  co_return co_await run_on(s.executor, name_on(s, std::move(id)));
}

asio::awaitable<std::optional<std::string>> scheduler::name_on(shard& s, std::string id) {
  const auto it = s.instances.find(actor_id_hash(id));
  if (it != s.instances.end()) co_return std::string(it->second->name());
  if (store_ == nullptr) co_return std::nullopt;
  co_return store_->name_of(actor_id_hash(id));
}

void scheduler::sweep(shard& s) {
  const auto now = clock::now();
  const bool over = s.lru.size() > options_.max_awake_per_worker;
  std::size_t excess = over ? s.lru.size() - options_.max_awake_per_worker : 0;
  // Oldest first, so that eviction for capacity takes the least recently used.
  for (auto it = s.lru.end(); it != s.lru.begin();) {
    instance_base& inst = **--it;
    // Changes made outside a handler or with allow_unconfirmed. A handler still running with
    // gated changes commits them itself when it ends (its reply waits for that commit).
    // So are changes made in WebSocket handlers, which may run as long as their sockets.
    if (inst.unsaved() && (inst.in_flight == 0 || !inst.touched() || inst.open_sockets > 0)) save(s, inst);
    const bool idle = inst.in_flight == 0 && !inst.unsaved() && inst.gate().idle();
    if (!idle) continue;
    if (excess > 0 || now - inst.last_active >= options_.idle_timeout) {
      auto next = std::next(it);
      spdlog::debug("actor {} {} sleeps ({})", inst.name(), inst.id(), excess > 0 ? "over the awake limit" : "idle");
      evict(s, inst);
      it = next;
      if (excess > 0) --excess;
    }
  }
}

asio::awaitable<void> scheduler::sweep_loop(shard& s) {
  while (!s.stopping) {
    s.sweep_timer.expires_after(options_.sweep_interval);
    co_await s.sweep_timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (s.stopping) break;
    sweep(s);
  }
}

asio::awaitable<void> scheduler::shutdown_on(shard& s) {
  s.stopping = true;
  s.sweep_timer.cancel();
  std::vector<std::shared_ptr<instance_base>> pending;
  for (auto* inst : s.lru) {
    save(s, *inst);
    if (!inst->gate().idle()) pending.push_back(inst->shared_from_this());
  }
  for (auto& inst : pending) co_await inst->gate().wait();
}

asio::awaitable<void> scheduler::shutdown() {
  for (auto& s : shards_) co_await run_on(s->executor, shutdown_on(*s));
}

} // namespace actorhost
