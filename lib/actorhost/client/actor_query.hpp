// actor_query: which actor a handle talks to, and its JSON form (SPEC §2).
//
// A handle carries one query and sends it with every request: getForKey and getForId find an
// actor that exists, getOrCreateForKey creates it on first use (with `input` for its
// createState), create insists on a new one. The JSON is written here, strings escaped as
// JavaScript's JSON.stringify escapes them (codec/js_json), so a header or a subprotocol
// carries the same text a JavaScript client would send.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::client {

enum class query_kind { get_for_id, get_for_key, get_or_create_for_key, create };

struct actor_query {
  query_kind kind = query_kind::get_for_key;
  std::string name;
  std::vector<std::string> key;
  std::string actor_id;                  // get_for_id
  std::optional<std::string> input_json; // get_or_create_for_key and create; compact JSON
};

// The query as compact JSON, e.g. {"getForKey":{"name":"counter","key":["a"]}}.
std::string to_json(const actor_query& q);

// Whether repeating the query's request can change nothing a first one did not: true for
// every kind but create (a second create of one key fails where the first succeeded).
bool repeatable(const actor_query& q) noexcept;

// `text` parsed and written again compactly (no whitespace, so it fits in a header field).
// Throws std::invalid_argument naming `what` when `text` is not JSON.
std::string compact_json(std::string_view text, std::string_view what);

} // namespace actorhost::client
