// actor: how an author writes an actor class (SPEC §1, §4, §5).
//
//   struct counter_state { std::int64_t count = 0; };
//   void to_json(actorhost::json_writer& w, const counter_state& s);   // for durability
//   void from_json(const rapidjson::Value& v, counter_state& s);
//
//   actorhost::actor<counter_state> counter{
//       .name = "counter",
//       .on_auth = actorhost::allow_all,
//       .on_fetch = [](auto ctx, actorhost::http::request req)
//           -> asio::awaitable<std::optional<actorhost::http::response>> {
//         ++ctx.state().count;
//         co_return actorhost::http::response(std::to_string(ctx.read_state().count));
//       },
//   };
//
// A context is a small handle, passed by value, onto one instance plus the caller's auth
// data. state() hands out the state for writing and marks it touched: it is committed after
// the handler and the reply waits until it is durable (the output gate). state(
// allow_unconfirmed) is for changes no reply needs to wait for (counters, statistics, as
// Durable Objects' allowUnconfirmed): the periodic flush saves them within a second, so a crash
// can lose that last second of them. read_state() is for reading. Handlers are coroutines that run on the actor's home
// worker and interleave only at co_await.
#pragma once

#include "actorhost/actor/definition.hpp"
#include "actorhost/actor/errors.hpp"
#include "actorhost/codec/json.hpp"
#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"

#include <asio/awaitable.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace actorhost {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

// State that needs nothing: an actor with no state of its own.
struct empty_state {};
inline void to_json(json_writer& w, const empty_state&) {
  w.StartObject();
  w.EndObject();
}
inline void from_json(const rapidjson::Value&, empty_state&) {}

// A state type is saved as JSON through to_json/from_json found by argument-dependent lookup.
template <class S>
concept durable_state = std::default_initializable<S> && requires(json_writer& w, const S& s, const rapidjson::Value& v, S& out) {
  to_json(w, s);
  from_json(v, out);
};

template <durable_state State, class Vars>
class typed_instance;

struct allow_unconfirmed_t {
  explicit allow_unconfirmed_t() = default;
};
inline constexpr allow_unconfirmed_t allow_unconfirmed{};

template <durable_state State = empty_state, class Vars = std::monostate>
class context {
public:
  context(typed_instance<State, Vars>& inst, std::string auth_json) : inst_(&inst), auth_(std::move(auth_json)) {}

  // The state, for writing: it is saved after the handler (see instance.hpp).
  State& state() noexcept {
    inst_->mark_touched();
    return inst_->state;
  }
  State& state(allow_unconfirmed_t) noexcept {
    inst_->mark_unconfirmed();
    return inst_->state;
  }
  const State& read_state() const noexcept { return inst_->state; }
  Vars& vars() noexcept { return *inst_->vars; }

  std::string_view name() const noexcept { return inst_->name(); }
  const std::vector<std::string>& key() const noexcept { return inst_->key(); }
  const std::string& actor_id() const noexcept { return inst_->id(); }
  // What onAuth returned for this caller, as JSON text ("null" when nothing).
  const std::string& auth() const noexcept { return auth_; }
  rapidjson::Document auth_json() const { return codec::parse_json_document(auth_); }
  const asio::any_io_executor& executor() const noexcept { return inst_->executor(); }

  // Commits the state now if it changed, and resumes once it is durable (c.saveState()).
  // Throws actor_error internal_error when the commit fails.
  asio::awaitable<void> save_state() {
    inst_->mark_touched();
    bool ok = true;
    if (inst_->saver != nullptr) ok = co_await inst_->saver->save_now(*inst_);
    if (!ok) throw errors::internal_error();
  }

private:
  typed_instance<State, Vars>* inst_;
  std::string auth_;
};

// onAuth that admits every caller with no auth data (SPEC §9's examples).
inline asio::awaitable<std::string> allow_all(auth_params) { co_return "null"; }

template <durable_state State = empty_state, class Vars = std::monostate>
struct actor {
  using state_type = State;
  using vars_type = Vars;
  using context_type = context<State, Vars>;
  // An action: takes the call's arguments (a JSON array) and returns its output as JSON.
  using action_type = std::function<asio::awaitable<rapidjson::Document>(context_type ctx, rapidjson::Document args)>;

  std::string name;
  // createState(input): the state of a newly created instance. Default: State{}.
  std::function<State(const rapidjson::Value& input)> create_state;
  // createVars(ctx): ephemeral per-wake values (clients, routers, caches). Default: Vars{}.
  std::function<Vars(context_type ctx)> create_vars;
  // onAuth: admits a caller and returns its auth data as JSON text, or throws actor_error.
  // Without it every public request is refused with 403 forbidden.
  std::function<asio::awaitable<std::string>(auth_params)> on_auth;
  // onFetch: answers raw HTTP requests; std::nullopt is an invalid response (500).
  std::function<asio::awaitable<std::optional<http::response>>(context_type ctx, http::request req)> on_fetch;
  // onWebSocket: serves one accepted WebSocket. It may loop on ws->receive() until the socket
  // closes, or register listeners and return: the socket stays open (and the actor awake)
  // either way until one side closes it. The request is the upgrade request, its URL
  // http://actor/{path}?{query}.
  std::function<asio::awaitable<void>(context_type ctx, std::shared_ptr<http::websocket> ws, http::request req)>
      on_websocket;
  // Actions by name (POST /registry/actors/actions/{name}): their state changes pass the same
  // output gate as onFetch's.
  std::map<std::string, action_type, std::less<>> actions;
};

template <durable_state State, class Vars>
class typed_instance final : public instance_base {
public:
  using instance_base::instance_base;

  std::string encode_state() const override {
    rapidjson::StringBuffer buffer;
    json_writer writer(buffer);
    to_json(writer, state);
    return {buffer.GetString(), buffer.GetSize()};
  }

  State state{};
  std::optional<Vars> vars;
};

template <durable_state State, class Vars>
class typed_definition final : public definition {
public:
  explicit typed_definition(actor<State, Vars> spec) : spec_(std::move(spec)) {}

  std::string_view name() const noexcept override { return spec_.name; }
  bool has_auth() const noexcept override { return static_cast<bool>(spec_.on_auth); }
  bool has_fetch() const noexcept override { return static_cast<bool>(spec_.on_fetch); }
  bool has_websocket() const noexcept override { return static_cast<bool>(spec_.on_websocket); }
  bool has_action(std::string_view name) const noexcept override { return spec_.actions.contains(name); }

  asio::awaitable<std::string> authenticate(auth_params params) const override {
    if (!spec_.on_auth) throw forbidden("This actor admits no public requests (it has no onAuth)");
    return spec_.on_auth(params);
  }

  std::unique_ptr<instance_base> instantiate(std::string id, std::vector<std::string> key, std::string input_json,
                                             asio::any_io_executor executor) const override {
    auto inst = std::make_unique<typed_instance<State, Vars>>(*this, std::move(id), std::move(key),
                                                              std::move(input_json), std::move(executor));
    if (spec_.create_state) {
      rapidjson::Document input;
      if (!inst->input_json().empty()) codec::parse_json(input, inst->input_json(), codec::json_stored_max_depth);
      inst->state = spec_.create_state(input);
    }
    inst->mark_touched(); // a new state is always saved
    make_vars(*inst);
    return inst;
  }

  std::unique_ptr<instance_base> wake(std::string id, std::vector<std::string> key, std::string input_json,
                                      std::string_view state_json, asio::any_io_executor executor) const override {
    auto inst = std::make_unique<typed_instance<State, Vars>>(*this, std::move(id), std::move(key),
                                                              std::move(input_json), std::move(executor));
    rapidjson::Document doc;
    if (!codec::parse_json(doc, state_json, codec::json_stored_max_depth)) throw std::runtime_error("saved state of " + inst->id() + " is not JSON");
    from_json(doc, inst->state);
    make_vars(*inst);
    return inst;
  }

  asio::awaitable<std::optional<http::response>> fetch(instance_base& inst, http::request req,
                                                       std::string auth_json) const override {
    auto& typed = static_cast<typed_instance<State, Vars>&>(inst);
    return spec_.on_fetch(context<State, Vars>(typed, std::move(auth_json)), std::move(req));
  }

  asio::awaitable<std::string> act(instance_base& inst, std::string_view name, rapidjson::Document args,
                                   std::string auth_json) const override {
    auto& typed = static_cast<typed_instance<State, Vars>&>(inst);
    const auto& action = spec_.actions.find(name)->second;
    rapidjson::Document out = co_await action(context<State, Vars>(typed, std::move(auth_json)), std::move(args));
    co_return http::to_json(out);
  }

  asio::awaitable<void> websocket(instance_base& inst, std::shared_ptr<http::websocket> ws, http::request req,
                                  std::string auth_json) const override {
    auto& typed = static_cast<typed_instance<State, Vars>&>(inst);
    return spec_.on_websocket(context<State, Vars>(typed, std::move(auth_json)), std::move(ws), std::move(req));
  }

private:
  void make_vars(typed_instance<State, Vars>& inst) const {
    if (spec_.create_vars) inst.vars.emplace(spec_.create_vars(context<State, Vars>(inst, "null")));
    else inst.vars.emplace();
  }

  actor<State, Vars> spec_;
};

} // namespace actorhost
