// libFuzzer target for parse_action_body(), which reads the body of every action call
// (POST /registry/actors/actions/{name}, SPEC §3) before the host runs the action.
//
// Invariants checked: an error is 400 invalid_request with a {"c","m","md"} body; a success is
// a document whose root is the arguments array, nested within the limit, that writes back as
// JSON the host can read again.
#include "fuzz_check.hpp"
#include "actorhost/actor/action_body.hpp"
#include "actorhost/codec/json.hpp"
#include "actorhost/http/response.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace codec = actorhost::codec;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto call = actorhost::parse_action_body(text);
  if (const auto* e = std::get_if<actorhost::actor_error>(&call)) {
    FUZZ_CHECK(e->status() == 400 && e->code() == "invalid_request");
    const auto res = actorhost::error_response(*e);
    rapidjson::Document body;
    FUZZ_CHECK(static_cast<bool>(codec::parse_json(body, res.body())));
    FUZZ_CHECK(body.IsObject() && body.HasMember("c") && body.HasMember("m") && body.HasMember("md"));
    return 0;
  }
  const auto& args = std::get<rapidjson::Document>(call);
  FUZZ_CHECK(args.IsArray());
  std::string out;
  FUZZ_CHECK(codec::write_json(out, args));
  rapidjson::Document again;
  FUZZ_CHECK(static_cast<bool>(codec::parse_json(again, out)));
  FUZZ_CHECK(again.IsArray() && again.Size() == args.Size());
  return 0;
}
