// ascii: the case and list rules HTTP field names and values use.
//
// Field names and tokens compare without regard to ASCII case (RFC 9110 §5.1); list-valued
// fields are comma-separated elements with optional whitespace around each, and empty
// elements are ignored (RFC 9110 §5.6.1).
#pragma once

#include <string_view>

namespace actorhost::codec {

bool iequals(std::string_view a, std::string_view b) noexcept;

// `s` without leading and trailing SP and HTAB.
std::string_view trim_ows(std::string_view s) noexcept;

// Calls f(element) for each trimmed, non-empty element of a comma-separated list; stops, and
// returns true, as soon as f returns true.
template <class F>
bool any_list_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto element = trim_ows(list.substr(0, comma));
    if (!element.empty() && f(element)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Whether the list holds `token` (case-insensitive).
inline bool list_has_token(std::string_view list, std::string_view token) {
  return any_list_element(list, [&](std::string_view e) { return iequals(e, token); });
}

} // namespace actorhost::codec
