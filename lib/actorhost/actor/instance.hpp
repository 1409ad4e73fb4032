// instance: one live actor, its identity and its state, owned by the worker it lives on.
//
// An instance is touched only on its home worker's thread, so its handlers never run on two
// threads at once and interleave only at co_await (SPEC §1). `touched` is set whenever a
// handler takes the state for writing; the scheduler uses it to know whether the state may
// have changed and has to be saved.
#pragma once

#include <asio/any_io_executor.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost {

class definition;

class instance_base {
public:
  instance_base(const definition& def, std::string id, std::vector<std::string> key, std::string input_json,
                asio::any_io_executor executor)
      : def_(def), id_(std::move(id)), key_(std::move(key)), input_json_(std::move(input_json)),
        executor_(std::move(executor)) {}
  virtual ~instance_base() = default;
  instance_base(const instance_base&) = delete;
  instance_base& operator=(const instance_base&) = delete;

  const definition& def() const noexcept { return def_; }
  std::string_view name() const noexcept;
  const std::string& id() const noexcept { return id_; }
  const std::vector<std::string>& key() const noexcept { return key_; }
  const std::string& input_json() const noexcept { return input_json_; }
  const asio::any_io_executor& executor() const noexcept { return executor_; }

  void mark_touched() noexcept { touched_ = true; }
  bool touched() const noexcept { return touched_; }
  void clear_touched() noexcept { touched_ = false; }

  // The state as JSON, for saving.
  virtual std::string encode_state() const = 0;

private:
  const definition& def_;
  std::string id_;
  std::vector<std::string> key_;
  std::string input_json_;
  asio::any_io_executor executor_;
  bool touched_ = false;
};

} // namespace actorhost
