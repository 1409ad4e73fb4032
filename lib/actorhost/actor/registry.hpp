// registry: the actor classes a host serves, by name.
//
// Filled before the host starts and read-only afterwards, so every worker reads it without
// a lock.
#pragma once

#include "actorhost/actor/actor.hpp"
#include "actorhost/actor/definition.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace actorhost {

class registry {
public:
  template <durable_state State, class Vars>
  registry& add(actor<State, Vars> spec) {
    if (spec.name.empty()) throw std::invalid_argument("an actor needs a name");
    return add_definition(std::make_unique<typed_definition<State, Vars>>(std::move(spec)));
  }

  registry& add_definition(std::unique_ptr<definition> def);

  // The class named `name`, or nullptr.
  const definition* find(std::string_view name) const noexcept;
  std::vector<std::string_view> names() const;

private:
  std::vector<std::unique_ptr<definition>> defs_;
  std::unordered_map<std::string_view, const definition*> by_name_;
};

} // namespace actorhost
