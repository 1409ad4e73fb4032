// uri: percent-decoding and -encoding, request-target splitting and query strings.
//
// decode_component() follows decodeURIComponent (no '+' rewriting; invalid escapes and
// escapes that do not form UTF-8 fail); parse_query() follows URLSearchParams ('+' is a
// space, invalid escapes are kept as they are, ill-formed UTF-8 becomes U+FFFD), so an actor
// sees the same values a JavaScript handler would.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actorhost::codec {

// decodeURIComponent: nullopt on a malformed escape.
std::optional<std::string> decode_component(std::string_view s);

// encodeURIComponent: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( ) is escaped.
std::string encode_component(std::string_view s);

// Splits an origin-form request target at the first '?' (the '?' belongs to neither part)
// and drops a fragment if a client sent one.
struct split_target_result {
  std::string_view path;
  std::string_view query;
  bool has_query = false;
};
split_target_result split_target(std::string_view target);

using query_params = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded parsing, as URLSearchParams does it.
query_params parse_query(std::string_view query);

} // namespace actorhost::codec
