// libFuzzer target for parse_actor_query() and what the host does next with its result:
// resolve_name(), intents_for(), make_actor_id() and error_response().
//
// Invariants checked: a parse error is a 400 invalid_query_json or invalid_request whose
// response body is a JSON object {"c","m","md"}; a parsed query respects the key rules of
// SPEC §2 (parts of at most 128 bytes, no key for getForId), its "input" re-serializes to
// valid JSON, a resolved key-based query has a well-formed id equal to make_actor_id(), and
// JSON.stringify([name, key]) parses back to exactly the name and key it was made from.
#include "fuzz_check.hpp"
#include "actorhost/actor/actor_id.hpp"
#include "actorhost/actor/errors.hpp"
#include "actorhost/actor/query.hpp"
#include "actorhost/codec/js_json.hpp"

#include <rapidjson/document.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

namespace {

std::string_view as_view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

void check_error(const actorhost::actor_error& e) {
  FUZZ_CHECK(e.status() == 400);
  FUZZ_CHECK(e.code() == "invalid_query_json" || e.code() == "invalid_request");
  const auto res = actorhost::error_response(e);
  FUZZ_CHECK(res.status() == 400);
  rapidjson::Document doc;
  doc.Parse(res.body().data(), res.body().size());
  FUZZ_CHECK(!doc.HasParseError());
  FUZZ_CHECK(doc.IsObject() && doc.MemberCount() == 3);
  FUZZ_CHECK(doc.HasMember("c") && doc["c"].IsString() && as_view(doc["c"]) == e.code());
  FUZZ_CHECK(doc.HasMember("m") && doc["m"].IsString() && as_view(doc["m"]) == e.message());
  FUZZ_CHECK(doc.HasMember("md") && doc["md"].IsObject());
}

void check_round_trip(const actorhost::actor_query& q) {
  const std::string json = actorhost::codec::js_json_name_and_key(q.name, q.key);
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  FUZZ_CHECK(!doc.HasParseError());
  FUZZ_CHECK(doc.IsArray() && doc.Size() == 2 && doc[0].IsString() && doc[1].IsArray());
  FUZZ_CHECK(as_view(doc[0]) == q.name);
  FUZZ_CHECK(doc[1].Size() == q.key.size());
  for (rapidjson::SizeType i = 0; i < doc[1].Size(); ++i) FUZZ_CHECK(as_view(doc[1][i]) == q.key[i]);
}

void check_resolved(actorhost::actor_query q, std::string_view route_name) {
  const std::string given_name = q.name;
  const auto err = actorhost::resolve_name(q, route_name);
  if (err) {
    check_error(*err);
    return;
  }
  if (!route_name.empty()) FUZZ_CHECK(q.name == route_name);
  else FUZZ_CHECK(q.name == given_name);
  if (q.kind == actorhost::query_kind::get_for_id) return;
  FUZZ_CHECK(!q.name.empty());
  FUZZ_CHECK(actorhost::valid_actor_id(q.id));
  FUZZ_CHECK(q.id == actorhost::make_actor_id(q.name, q.key));
  check_round_trip(q);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto parsed = actorhost::parse_actor_query(json);
  if (const auto* e = std::get_if<actorhost::actor_error>(&parsed)) {
    check_error(*e);
    return 0;
  }
  const auto& q = std::get<actorhost::actor_query>(parsed);

  if (q.kind == actorhost::query_kind::get_for_id) FUZZ_CHECK(q.key.empty());
  for (const auto& part : q.key) FUZZ_CHECK(part.size() <= actorhost::max_key_part_bytes);
  if (!q.input_json.empty()) {
    rapidjson::Document input;
    input.Parse(q.input_json.data(), q.input_json.size());
    FUZZ_CHECK(!input.HasParseError());
  }

  for (const bool action : {false, true}) {
    std::array<actorhost::intent, 3> buffer{};
    const auto intents = actorhost::intents_for(q, action, buffer);
    FUZZ_CHECK(!intents.empty() && intents.size() <= buffer.size());
    FUZZ_CHECK((intents.back() == actorhost::intent::action) == action);
  }

  check_resolved(q, "");
  check_resolved(q, "counter");
  check_resolved(q, q.name);
  return 0;
}
