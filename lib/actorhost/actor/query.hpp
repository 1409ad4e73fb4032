// query: the actor query of SPEC §2 and the auth intents it implies (SPEC §4).
//
//   {"getForId":{"actorId":"<id>"}}
//   {"getForKey":{"name":"counter","key":["a","b"]}}
//   {"getOrCreateForKey":{"name":"counter","key":["a"],"input":<any json>}}
//   {"create":{"name":"counter","key":["a"],"input":<any json>}}
//
// Keys are arrays of strings of at most 128 bytes each; unknown fields are ignored. `name`
// may be left out where the route names the actor, which fill_name() then supplies.
#pragma once

#include "actorhost/actor/errors.hpp"

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace actorhost {

enum class query_kind { get_for_id, get_for_key, get_or_create_for_key, create };

enum class intent { get, create, connect, action };
std::string_view to_string(intent i) noexcept;

inline constexpr std::size_t max_key_part_bytes = 128;

struct actor_query {
  query_kind kind = query_kind::get_for_key;
  std::string name;             // empty for getForId until located
  std::vector<std::string> key; // empty for getForId
  std::string id;               // computed from name and key, or given
  std::string input_json;       // the raw "input" JSON, empty when absent
};

// Parses the query text; the error is invalid_query_json (not JSON) or invalid_request.
// The id is not computed here: see resolve_name().
std::variant<actor_query, actor_error> parse_actor_query(std::string_view json);

// Applies the route's actor name: fills a missing name, rejects a different one
// (invalid_request), then computes the id for key-based queries.
std::optional<actor_error> resolve_name(actor_query& q, std::string_view route_name);

// The intents onAuth sees: get/create from the query, plus `action` for raw HTTP,
// raw WebSocket and actions.
// `buffer` holds them; the span returned views it.
std::span<const intent> intents_for(const actor_query& q, bool action, std::array<intent, 3>& buffer);

} // namespace actorhost
