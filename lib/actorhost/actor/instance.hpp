// instance: one awake actor, its identity, its state and what it has saved.
//
// An instance is touched only on its home worker's thread, so its handlers never run on two
// threads at once and interleave only at co_await (SPEC §1). `touched` is set whenever a
// handler takes the state for writing; the scheduler then encodes the state and, if the bytes
// differ from the last saved ones, commits them through the output gate. Changes made with
// allow_unconfirmed only set `unconfirmed`: the periodic sweep saves them, and no reply waits. `in_flight` counts
// handlers and streamed bodies still running; an instance sleeps (leaves memory) only when it
// is zero, nothing is left to save and the gate is idle.
#pragma once

#include "actorhost/actor/output_gate.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost {

class definition;
class instance_base;

// What saves an instance's state now (the scheduler); used by context::save_state().
class state_saver {
public:
  virtual ~state_saver() = default;
  // Commits the state if it changed; resumes when it is durable. False when the commit failed.
  virtual asio::awaitable<bool> save_now(instance_base& inst) = 0;
};

class instance_base : public std::enable_shared_from_this<instance_base> {
public:
  instance_base(const definition& def, std::string id, std::vector<std::string> key, std::string input_json,
                asio::any_io_executor executor)
      : def_(def), id_(std::move(id)), key_(std::move(key)), input_json_(std::move(input_json)),
        executor_(executor), gate_(std::move(executor)) {}
  virtual ~instance_base() = default;
  instance_base(const instance_base&) = delete;
  instance_base& operator=(const instance_base&) = delete;

  const definition& def() const noexcept { return def_; }
  std::string_view name() const noexcept;
  const std::string& id() const noexcept { return id_; }
  const std::vector<std::string>& key() const noexcept { return key_; }
  const std::string& input_json() const noexcept { return input_json_; }
  const asio::any_io_executor& executor() const noexcept { return executor_; }

  // Taken for writing: saved after the handler, and the reply waits for it.
  void mark_touched() noexcept { touched_ = true; }
  // Taken for writing with allow_unconfirmed: saved by the next sweep, no reply waits for it.
  void mark_unconfirmed() noexcept { unconfirmed_ = true; }
  bool touched() const noexcept { return touched_; }
  bool unsaved() const noexcept { return touched_ || unconfirmed_; }
  void clear_touched() noexcept { touched_ = unconfirmed_ = false; }

  // The state as JSON, for saving.
  virtual std::string encode_state() const = 0;

  // Bookkeeping that belongs to the scheduler.
  output_gate& gate() noexcept { return gate_; }
  std::string saved_state;  // the bytes of the last commit
  bool saved_meta = false;  // the actor's meta record is stored
  bool broken = false;      // a commit failed: no new work, reload from the store
  std::uint64_t epoch = 0;  // this incarnation, unique per actor id
  int in_flight = 0;
  int open_sockets = 0; // WebSockets being served (each also counts in in_flight)
  std::chrono::steady_clock::time_point last_active{};
  std::list<instance_base*>::iterator lru; // position in the shard's recency list
  state_saver* saver = nullptr;

private:
  const definition& def_;
  std::string id_;
  std::vector<std::string> key_;
  std::string input_json_;
  asio::any_io_executor executor_;
  output_gate gate_;
  bool touched_ = false;
  bool unconfirmed_ = false;
};

} // namespace actorhost
