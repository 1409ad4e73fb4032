// js_json: writing JSON strings exactly as JavaScript's JSON.stringify writes them.
//
// Actor ids hash the JSON text of [name, key]; a load balancer in JavaScript computes the same
// id only if every byte matches, so the escaping rules are JSON.stringify's (ECMA-262
// QuoteJSONString): '"' and '\' escaped, \b \f \n \r \t by name, other control characters as
// lowercase \u00xx, and everything else, '/' and non-ASCII
// included, as it is (the input is UTF-8).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace actorhost::codec {

// Appends `s` as a quoted JSON string.
void append_js_json_string(std::string& out, std::string_view s);

// JSON.stringify([name, [key...]]).
std::string js_json_name_and_key(std::string_view name, std::span<const std::string> key);

} // namespace actorhost::codec
