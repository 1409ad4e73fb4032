#include "actorhost/actor/action_body.hpp"

#include "actorhost/codec/json.hpp"

#include <string>

namespace actorhost {

std::variant<rapidjson::Document, actor_error> parse_action_body(std::string_view text) {
  rapidjson::Document body;
  if (const auto parsed = codec::parse_json(body, text); !parsed)
    return errors::invalid_request(std::string("the action body is not valid JSON: ") + parsed.reason);
  const auto shape = errors::invalid_request(R"(the action body must be {"a":[arguments]})");
  if (!body.IsObject()) return shape;
  const auto list = body.FindMember("a");
  if (list == body.MemberEnd() || !list->value.IsArray()) return shape;
  // The arguments become the document's root, keeping the memory they were parsed into.
  rapidjson::Value args;
  args.Swap(list->value);
  static_cast<rapidjson::Value&>(body).Swap(args); // the old root stays in body's pool: nothing to free
  return body;
}

} // namespace actorhost
