// query: the actor query of SPEC §2, name resolution and auth intents (SPEC §4).
#include "actorhost/actor/query.hpp"

#include "actorhost/actor/actor_id.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using namespace std::string_literals;
using actorhost::actor_error;
using actorhost::actor_query;
using actorhost::intent;
using actorhost::parse_actor_query;
using actorhost::query_kind;

namespace {

actor_query parse_ok(std::string_view json) {
  auto r = parse_actor_query(json);
  if (auto* e = std::get_if<actor_error>(&r)) BOOST_FAIL("unexpected error " << e->code() << ": " << e->what());
  return std::get<actor_query>(std::move(r));
}

std::string error_code_of(std::string_view json) {
  auto r = parse_actor_query(json);
  if (auto* e = std::get_if<actor_error>(&r)) {
    BOOST_TEST(e->status() == 400);
    return e->code();
  }
  return "(parsed)";
}

std::vector<std::string_view> names(std::span<const intent> intents) {
  std::vector<std::string_view> out;
  for (auto i : intents) out.push_back(actorhost::to_string(i));
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(query_suite)

BOOST_AUTO_TEST_CASE(each_kind_parses) {
  {
    const auto q = parse_ok(R"({"getForId":{"actorId":"dadfba1f866c4ae5"}})");
    BOOST_TEST((q.kind == query_kind::get_for_id));
    BOOST_TEST(q.id == "dadfba1f866c4ae5");
    BOOST_TEST(q.name.empty());
    BOOST_TEST(q.key.empty());
  }
  {
    const auto q = parse_ok(R"({"getForKey":{"name":"counter","key":["a","b"]}})");
    BOOST_TEST((q.kind == query_kind::get_for_key));
    BOOST_TEST(q.name == "counter");
    BOOST_TEST(q.key == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
    BOOST_TEST(q.id.empty()); // computed by resolve_name()
    BOOST_TEST(q.input_json.empty());
  }
  {
    const auto q = parse_ok(R"({"getOrCreateForKey":{"name":"counter","key":["a"],"input":{"start": 5, "tags":["x"]}}})");
    BOOST_TEST((q.kind == query_kind::get_or_create_for_key));
    BOOST_TEST(q.key == (std::vector<std::string>{"a"}), boost::test_tools::per_element());
    BOOST_TEST(q.input_json == R"({"start":5,"tags":["x"]})");
  }
  {
    const auto q = parse_ok(R"({"create":{"name":"counter","key":[],"input":null}})");
    BOOST_TEST((q.kind == query_kind::create));
    BOOST_TEST(q.key.empty());
    BOOST_TEST(q.input_json == "null");
  }
}

BOOST_AUTO_TEST_CASE(get_for_id_may_name_the_actor) {
  const auto q = parse_ok(R"({"getForId":{"name":"counter","actorId":"0123456789abcdef"}})");
  BOOST_TEST(q.name == "counter");
  BOOST_TEST(q.id == "0123456789abcdef");
}

BOOST_AUTO_TEST_CASE(a_string_key_is_a_one_part_key) {
  const auto q = parse_ok(R"({"getForKey":{"name":"counter","key":"solo"}})");
  BOOST_TEST(q.key == (std::vector<std::string>{"solo"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(name_may_be_left_out) {
  const auto q = parse_ok(R"({"getForKey":{"key":["a"]}})");
  BOOST_TEST(q.name.empty());
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_ignored) {
  const auto q = parse_ok(
      R"({"v":1,"other":{"x":[1,2]},"getForKey":{"extra":true,"name":"counter","key":["a"],"more":null},"tail":0})");
  BOOST_TEST((q.kind == query_kind::get_for_key));
  BOOST_TEST(q.name == "counter");
}

BOOST_AUTO_TEST_CASE(key_parts_keep_escapes_and_bytes) {
  const auto q = parse_ok(R"({"getForKey":{"name":"c","key":["a\u0000b","caf\u00e9","\"q\"","x\/y","\ud83d\ude00"]}})");
  BOOST_REQUIRE_EQUAL(q.key.size(), 5u);
  BOOST_TEST(q.key[0] == "a\0b"s);
  BOOST_TEST(q.key[1] == "caf\xc3\xa9");
  BOOST_TEST(q.key[2] == "\"q\"");
  BOOST_TEST(q.key[3] == "x/y");
  BOOST_TEST(q.key[4] == "\xf0\x9f\x98\x80");
}

BOOST_AUTO_TEST_CASE(key_part_length_limit_is_in_bytes) {
  const auto query = [](const std::string& part) {
    return R"({"getForKey":{"name":"c","key":[")" + part + R"("]}})";
  };
  const auto string_key = [](const std::string& part) {
    return R"({"getForKey":{"name":"c","key":")" + part + R"("}})";
  };
  BOOST_TEST(parse_ok(query(std::string(128, 'k'))).key.at(0).size() == 128u);
  BOOST_TEST(error_code_of(query(std::string(129, 'k'))) == "invalid_request");
  BOOST_TEST(parse_ok(string_key(std::string(128, 'k'))).key.at(0).size() == 128u);
  BOOST_TEST(error_code_of(string_key(std::string(129, 'k'))) == "invalid_request");
  std::string e64, e65;
  for (int i = 0; i < 64; ++i) e64 += "\xc3\xa9";
  e65 = e64 + "\xc3\xa9";
  BOOST_TEST(parse_ok(query(e64)).key.at(0).size() == 128u); // 64 characters, 128 bytes
  BOOST_TEST(error_code_of(query(e65)) == "invalid_request");
  // Escapes count after decoding: 128 "\u0041" is 128 bytes.
  std::string escaped;
  for (int i = 0; i < 128; ++i) escaped += "\\u0041";
  BOOST_TEST(parse_ok(query(escaped)).key.at(0) == std::string(128, 'A'));
}

BOOST_AUTO_TEST_CASE(big_queries_outgrow_the_stack_buffers) {
  std::string json = R"({"getForKey":{"name":"c","key":[)";
  for (int i = 0; i < 64; ++i) json += (i ? ",\"" : "\"") + std::string(100, static_cast<char>('a' + i % 26)) + "\"";
  json += R"(],"input":{"blob":")" + std::string(8000, 'z') + R"("}}})";
  const auto q = parse_ok(json);
  BOOST_TEST(q.key.size() == 64u);
  BOOST_TEST(q.input_json.size() == 8000u + 11u);
}

BOOST_AUTO_TEST_CASE(input_is_bounded_by_the_view_not_by_a_nul) {
  const std::string buffer = R"({"getForKey":{"name":"c","key":["a"]}}trailing garbage)";
  const std::string_view json = std::string_view(buffer).substr(0, buffer.find("trailing"));
  BOOST_TEST(parse_ok(json).name == "c");
  BOOST_TEST(error_code_of(buffer) == "invalid_query_json");
}

BOOST_AUTO_TEST_CASE(deep_nesting_does_not_crash) {
  // As deep as a query header can be under the default 16 KiB head limit.
  const std::string json = R"({"getForKey":{"name":"c","key":["a"],"input":)" + std::string(16 * 1024, '[');
  BOOST_TEST(error_code_of(json) == "invalid_query_json");
}

BOOST_AUTO_TEST_CASE(rejections) {
  struct row {
    std::string json;
    std::string code;
  };
  const std::vector<row> rows = {
      {"", "invalid_query_json"},
      {"{", "invalid_query_json"},
      {"not json", "invalid_query_json"},
      {R"({"getForKey":})", "invalid_query_json"},
      {R"({"getForKey":{"name":"c","key":["a"]}} x)", "invalid_query_json"},
      {R"({'getForKey':{}})", "invalid_query_json"},
      {"[]", "invalid_request"},
      {"1", "invalid_request"},
      {"null", "invalid_request"},
      {R"("getForKey")", "invalid_request"},
      {"{}", "invalid_request"},
      {R"({"get":{"name":"c","key":["a"]}})", "invalid_request"},
      {R"({"getForKey":1})", "invalid_request"},
      {R"({"getForKey":[]})", "invalid_request"},
      {R"({"getForKey":{"name":"c"}})", "invalid_request"},
      {R"({"getForKey":{"name":1,"key":["a"]}})", "invalid_request"},
      {R"({"getForKey":{"name":"c","key":1}})", "invalid_request"},
      {R"({"getForKey":{"name":"c","key":null}})", "invalid_request"},
      {R"({"getForKey":{"name":"c","key":{"0":"a"}}})", "invalid_request"},
      {R"({"getForKey":{"name":"c","key":["a",1]}})", "invalid_request"},
      {R"({"getForKey":{"name":"c","key":[["a"]]}})", "invalid_request"},
      {R"({"create":"counter"})", "invalid_request"},
      {R"({"getOrCreateForKey":{"name":"c"}})", "invalid_request"},
      {R"({"getForId":{}})", "invalid_request"},
      {R"({"getForId":{"actorId":12}})", "invalid_request"},
      {R"({"getForId":"dadfba1f866c4ae5"})", "invalid_request"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.json) { BOOST_TEST(error_code_of(r.json) == r.code); }
  }
}

BOOST_AUTO_TEST_CASE(resolve_name_fills_checks_and_computes_the_id) {
  {
    auto q = parse_ok(R"({"getForKey":{"key":["a"]}})");
    BOOST_TEST(!actorhost::resolve_name(q, "httpActor").has_value());
    BOOST_TEST(q.name == "httpActor");
    BOOST_TEST(q.id == "dadfba1f866c4ae5");
  }
  {
    auto q = parse_ok(R"({"getOrCreateForKey":{"name":"httpActor","key":["a"]}})");
    BOOST_TEST(!actorhost::resolve_name(q, "httpActor").has_value());
    BOOST_TEST(q.id == "dadfba1f866c4ae5");
  }
  {
    auto q = parse_ok(R"({"create":{"name":"counter","key":[]}})");
    BOOST_TEST(!actorhost::resolve_name(q, "").has_value()); // 0.9 wire form: no name in the path
    BOOST_TEST(q.id == "76dea91135f9a6b0");
  }
  {
    auto q = parse_ok(R"({"getForKey":{"name":"counter","key":["a"]}})");
    const auto err = actorhost::resolve_name(q, "chatRoom");
    BOOST_REQUIRE(err.has_value());
    BOOST_TEST(err->code() == "invalid_request");
    BOOST_TEST(err->status() == 400);
    BOOST_TEST(q.id.empty());
  }
  {
    auto q = parse_ok(R"({"getForKey":{"key":["a"]}})");
    const auto err = actorhost::resolve_name(q, "");
    BOOST_REQUIRE(err.has_value());
    BOOST_TEST(err->code() == "invalid_request");
  }
  {
    auto q = parse_ok(R"({"getForId":{"actorId":"0123456789abcdef"}})");
    BOOST_TEST(!actorhost::resolve_name(q, "counter").has_value());
    BOOST_TEST(q.name == "counter");
    BOOST_TEST(q.id == "0123456789abcdef"); // given, not computed
  }
  {
    auto q = parse_ok(R"({"getForId":{"actorId":"0123456789abcdef"}})");
    BOOST_TEST(!actorhost::resolve_name(q, "").has_value());
    BOOST_TEST(q.id == "0123456789abcdef");
  }
  {
    auto q = parse_ok(R"({"getForId":{"name":"counter","actorId":"0123456789abcdef"}})");
    BOOST_TEST(actorhost::resolve_name(q, "chatRoom").has_value());
  }
}

BOOST_AUTO_TEST_CASE(intents_per_kind) {
  struct row {
    std::string json;
    bool action;
    std::vector<std::string_view> intents;
  };
  const std::vector<row> rows = {
      {R"({"getForId":{"actorId":"0123456789abcdef"}})", false, {"get"}},
      {R"({"getForId":{"actorId":"0123456789abcdef"}})", true, {"get", "action"}},
      {R"({"getForKey":{"key":["a"]}})", false, {"get"}},
      {R"({"getForKey":{"key":["a"]}})", true, {"get", "action"}},
      {R"({"getOrCreateForKey":{"key":["a"]}})", false, {"get", "create"}},
      {R"({"getOrCreateForKey":{"key":["a"]}})", true, {"get", "create", "action"}},
      {R"({"create":{"key":["a"]}})", false, {"create"}},
      {R"({"create":{"key":["a"]}})", true, {"create", "action"}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.json << " action=" << r.action) {
      std::array<intent, 3> buffer{};
      const auto got = names(actorhost::intents_for(parse_ok(r.json), r.action, buffer));
      BOOST_TEST(got == r.intents, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(intent_names) {
  BOOST_TEST(actorhost::to_string(intent::get) == "get");
  BOOST_TEST(actorhost::to_string(intent::create) == "create");
  BOOST_TEST(actorhost::to_string(intent::connect) == "connect");
  BOOST_TEST(actorhost::to_string(intent::action) == "action");
}

BOOST_AUTO_TEST_SUITE_END()
