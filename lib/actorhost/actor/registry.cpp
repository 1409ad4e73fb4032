#include "actorhost/actor/registry.hpp"

namespace actorhost {

registry& registry::add_definition(std::unique_ptr<definition> def) {
  if (by_name_.contains(def->name()))
    throw std::invalid_argument("actor '" + std::string(def->name()) + "' is registered twice");
  by_name_.emplace(def->name(), def.get());
  defs_.push_back(std::move(def));
  return *this;
}

const definition* registry::find(std::string_view name) const noexcept {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<std::string_view> registry::names() const {
  std::vector<std::string_view> out;
  for (const auto& d : defs_) out.push_back(d->name());
  return out;
}

} // namespace actorhost
