// headers: an ordered list of HTTP fields with case-insensitive names, shaped after the W3C
// Headers class (get/has/set/append/delete, iteration in insertion order).
//
// Names keep the spelling they were given; lookups ignore ASCII case. get() joins repeated
// fields with ", " as the W3C class does; first() returns the first value without copying,
// which is what the host's own hot path uses. set() and append() refuse (with
// std::invalid_argument, as the W3C class throws TypeError) a name that is not a token or a
// value holding CR, LF or NUL, so a handler cannot split a response (RFC 9110 §5.5).
#pragma once

#include "actorhost/codec/ascii.hpp"
#include "actorhost/codec/http_parser.hpp"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::http {

using codec::iequals;
bool valid_field_name(std::string_view name) noexcept;
bool valid_field_value(std::string_view value) noexcept;

using field = codec::header_field;

class headers {
public:
  headers() = default;
  headers(std::initializer_list<std::pair<std::string_view, std::string_view>> init);
  explicit headers(std::vector<field> fields) : fields_(std::move(fields)) {}

  std::optional<std::string> get(std::string_view name) const;
  std::optional<std::string_view> first(std::string_view name) const noexcept;
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool has(std::string_view name) const noexcept { return first(name).has_value(); }

  void set(std::string_view name, std::string_view value);
  void append(std::string_view name, std::string_view value);
  void remove(std::string_view name);

  auto begin() const noexcept { return fields_.begin(); }
  auto end() const noexcept { return fields_.end(); }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  const std::vector<field>& fields() const noexcept { return fields_; }

private:
  std::vector<field> fields_;
};

} // namespace actorhost::http
