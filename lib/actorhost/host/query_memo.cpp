#include "actorhost/host/query_memo.hpp"

#include <functional>

namespace actorhost {

std::size_t query_memo::slot_of(std::string_view route_name, std::string_view text) noexcept {
  const std::size_t h = std::hash<std::string_view>{}(text) ^ (std::hash<std::string_view>{}(route_name) * 31);
  return h % slots;
}

const query_memo::hit* query_memo::find(std::string_view route_name, std::string_view text) const noexcept {
  const auto& e = entries_[slot_of(route_name, text)];
  if (e.value.query && e.text == text && e.route_name == route_name) return &e.value;
  return nullptr;
}

void query_memo::store(std::string_view route_name, std::string_view text, hit value) {
  if (text.size() > 4096) return; // not worth holding
  auto& e = entries_[slot_of(route_name, text)];
  e.route_name.assign(route_name);
  e.text.assign(text);
  e.value = std::move(value);
}

} // namespace actorhost
