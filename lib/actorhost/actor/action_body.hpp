// action_body: the body of an action call, `{"a":[arguments]}` (SPEC §3), read as JSON.parse
// reads it (codec::parse_json: bounded depth, last duplicate member wins, UTF-8 checked).
#pragma once

#include "actorhost/actor/errors.hpp"

#include <rapidjson/document.h>

#include <string_view>
#include <variant>

namespace actorhost {

// The arguments as a document whose root is the array, or 400 invalid_request saying why not.
std::variant<rapidjson::Document, actor_error> parse_action_body(std::string_view text);

} // namespace actorhost
