#include "actorhost/http/headers.hpp"

#include <algorithm>
#include <stdexcept>

namespace actorhost::http {

bool valid_field_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char c : name) {
    // tchar (RFC 9110 §5.6.2)
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool valid_field_value(std::string_view value) noexcept {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

namespace {
void check_field(std::string_view name, std::string_view value) {
  if (!valid_field_name(name)) throw std::invalid_argument("invalid header name: " + std::string(name));
  if (!valid_field_value(value)) throw std::invalid_argument("invalid value for header " + std::string(name));
}
} // namespace

headers::headers(std::initializer_list<std::pair<std::string_view, std::string_view>> init) {
  fields_.reserve(init.size());
  for (const auto& [name, value] : init) append(name, value);
}

std::optional<std::string> headers::get(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& f : fields_) {
    if (!iequals(f.name, name)) continue;
    if (out) {
      *out += ", ";
      *out += f.value;
    } else {
      out.emplace(f.value);
    }
  }
  return out;
}

std::optional<std::string_view> headers::first(std::string_view name) const noexcept {
  for (const auto& f : fields_)
    if (iequals(f.name, name)) return std::string_view(f.value);
  return std::nullopt;
}

std::vector<std::string_view> headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_)
    if (iequals(f.name, name)) out.emplace_back(f.value);
  return out;
}

void headers::set(std::string_view name, std::string_view value) {
  check_field(name, value);
  auto it = std::find_if(fields_.begin(), fields_.end(), [&](const field& f) { return iequals(f.name, name); });
  if (it == fields_.end()) {
    append(name, value);
    return;
  }
  it->value.assign(value);
  fields_.erase(std::remove_if(std::next(it), fields_.end(), [&](const field& f) { return iequals(f.name, name); }),
                fields_.end());
}

void headers::append(std::string_view name, std::string_view value) {
  check_field(name, value);
  fields_.push_back(field{std::string(name), std::string(value)});
}

void headers::remove(std::string_view name) {
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(), [&](const field& f) { return iequals(f.name, name); }),
                fields_.end());
}

} // namespace actorhost::http
