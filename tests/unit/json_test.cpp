// json: bounded parsing and writing, read as JSON.parse reads it. Expected values for duplicate
// members come from Node.js 20 (`JSON.stringify(JSON.parse(text))`).
#include "actorhost/codec/json.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace std::string_literals;
namespace codec = actorhost::codec;

namespace {

std::string nested(std::size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

// Parses and writes back, or "error: <message>".
std::string round_trip(std::string_view text) {
  rapidjson::Document doc;
  const auto r = codec::parse_json(doc, text);
  if (!r) return "error: " + r.error.message();
  return codec::to_json_text(doc);
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_suite)

BOOST_AUTO_TEST_CASE(scan_counts_brackets_outside_strings) {
  BOOST_TEST(codec::scan_json("1").depth == 0u);
  BOOST_TEST(codec::scan_json(R"([1,{"a":[2]}])").depth == 3u);
  BOOST_TEST(codec::scan_json(R"(["[[[[", "\"[[[" ])").depth == 1u);   // brackets in strings do not count
  BOOST_TEST(codec::scan_json(R"(["\\", [[ ]] ])").depth == 3u);       // an escaped backslash ends no string
  BOOST_TEST(codec::scan_json("]]]][[").depth == 2u);                  // invalid text still bounds the parser
  BOOST_TEST(codec::scan_json(nested(10), 4).depth == 5u);             // stops just past the limit
  BOOST_TEST(codec::scan_json("[1]\0x"s).nul_byte);
  BOOST_TEST(codec::scan_json("[\"a\0\"]"s).nul_byte);
  BOOST_TEST(!codec::scan_json("[\"a\\u0000\"]").nul_byte);
}

BOOST_AUTO_TEST_CASE(depth_limit_is_exact) {
  rapidjson::Document doc;
  BOOST_TEST(static_cast<bool>(codec::parse_json(doc, nested(codec::json_max_depth))));
  const auto r = codec::parse_json(doc, nested(codec::json_max_depth + 1));
  BOOST_TEST(!r);
  BOOST_TEST((r.error == codec::json_error::too_deep));
  BOOST_TEST(doc.IsNull());
  // Objects count as arrays do.
  std::string objects;
  for (std::size_t i = 0; i < codec::json_max_depth + 1; ++i) objects += R"({"a":)";
  objects += "1" + std::string(codec::json_max_depth + 1, '}');
  BOOST_TEST((codec::parse_json(doc, objects).error == codec::json_error::too_deep));
  // A caller may ask for more.
  BOOST_TEST(static_cast<bool>(codec::parse_json(doc, nested(codec::json_max_depth + 1), codec::json_stored_max_depth)));
}

// What crashed the host: a million levels, valid and unterminated, never reach RapidJSON.
BOOST_AUTO_TEST_CASE(a_million_levels_is_an_error_not_a_crash) {
  const std::size_t million = 1'000'000;
  rapidjson::Document doc;
  BOOST_TEST((codec::parse_json(doc, nested(million)).error == codec::json_error::too_deep));
  BOOST_TEST((codec::parse_json(doc, std::string(million, '[')).error == codec::json_error::too_deep));
  std::string objects;
  for (std::size_t i = 0; i < million; ++i) objects += R"({"a":)";
  BOOST_TEST((codec::parse_json(doc, objects).error == codec::json_error::too_deep));
  BOOST_TEST(codec::parse_json_document(nested(million)).HasParseError());
}

BOOST_AUTO_TEST_CASE(writing_stops_at_the_limit) {
  // A document built in code, deeper than anything parsed: the writer refuses, it never recurses.
  rapidjson::Document doc(rapidjson::kArrayType);
  rapidjson::Value* v = &doc;
  for (std::size_t i = 1; i < 200'000; ++i) {
    v->PushBack(rapidjson::Value(rapidjson::kArrayType), doc.GetAllocator());
    v = &(*v)[0];
  }
  std::string out = "kept";
  BOOST_TEST(!codec::write_json(out, doc));
  BOOST_TEST(out == "kept");
  BOOST_CHECK_THROW(codec::to_json_text(doc), std::length_error);

  rapidjson::Document ok;
  ok.Parse(nested(codec::json_stored_max_depth).c_str());
  BOOST_TEST(codec::to_json_text(ok) == nested(codec::json_stored_max_depth));
  BOOST_TEST(!codec::write_json(out, ok, codec::json_stored_max_depth - 1));
}

BOOST_AUTO_TEST_CASE(duplicate_members_keep_the_last_value_in_the_first_place) {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {R"({"a":1,"a":2})", R"({"a":2})"},
      {R"({"a":1,"b":2,"a":3})", R"({"a":3,"b":2})"},
      {R"({"b":0,"a":1,"b":2,"a":3,"c":4,"a":5})", R"({"b":2,"a":5,"c":4})"},
      {R"({"x":{"k":1,"k":{"k":2,"k":3}}})", R"({"x":{"k":{"k":3}}})"},
      {R"([{"a":1,"a":[{"b":1,"b":2}]}])", R"([{"a":[{"b":2}]}])"},
      {R"({"getForKey":{"name":"a"},"getForKey":{"name":"b"}})", R"({"getForKey":{"name":"b"}})"},
  };
  for (const auto& [in, want] : rows) BOOST_TEST(round_trip(in) == want, in);

  // Many members (the hashed path): 40 distinct names, each repeated, the last value kept.
  std::string big = "{";
  std::string want = "{";
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 40; ++i) {
      if (big.size() > 1) big += ',';
      big += "\"k" + std::to_string(i) + "\":" + std::to_string(round * 100 + i);
    }
  for (int i = 0; i < 40; ++i) {
    if (want.size() > 1) want += ',';
    want += "\"k" + std::to_string(i) + "\":" + std::to_string(200 + i);
  }
  BOOST_TEST(round_trip(big + "}") == want + "}");

  // The same name 100,000 times stays linear (the test would time out otherwise).
  std::string same = "{";
  for (int i = 0; i < 100'000; ++i) same += (i ? ",\"a\":" : "\"a\":") + std::to_string(i);
  BOOST_TEST(round_trip(same + "}") == R"({"a":99999})");
}

BOOST_AUTO_TEST_CASE(text_must_be_utf8_and_json) {
  rapidjson::Document doc;
  BOOST_TEST((codec::parse_json(doc, "[\"\xff\"]").error == codec::json_error::invalid_utf8));
  BOOST_TEST((codec::parse_json(doc, "[\"\xc0\xaf\"]").error == codec::json_error::invalid_utf8)); // overlong '/'
  BOOST_TEST((codec::parse_json(doc, "[\"\xed\xa0\x80\"]").error == codec::json_error::invalid_utf8)); // a surrogate
  BOOST_TEST(static_cast<bool>(codec::parse_json(doc, "[\"caf\xc3\xa9 \xf0\x9f\x98\x80\"]")));
  // Escapes must spell UTF-8 too: a surrogate pair is one character, a lone half is refused.
  BOOST_TEST(static_cast<bool>(codec::parse_json(doc, R"(["\ud83d\ude00", "\ud41d"])")));
  BOOST_TEST(doc[0].GetStringLength() == 4u);
  BOOST_TEST((codec::parse_json(doc, R"(["\ude00"])").error == codec::json_error::invalid_utf8));
  BOOST_TEST((codec::parse_json(doc, R"(["\ud41d\ude00"])").error == codec::json_error::invalid_utf8));
  BOOST_TEST((codec::parse_json(doc, R"(["\ud83d", "\ude00"])").error == codec::json_error::invalid_utf8));
  BOOST_TEST((codec::parse_json(doc, R"(["\ud83dx"])").error == codec::json_error::syntax)); // RapidJSON's own check
  BOOST_TEST((codec::parse_json(doc, "").error == codec::json_error::syntax));
  BOOST_TEST((codec::parse_json(doc, "[1] [2]").error == codec::json_error::syntax));
  BOOST_TEST((codec::parse_json(doc, "[1]\0[2]"s).error == codec::json_error::syntax)); // not cut at a NUL
  BOOST_TEST(static_cast<bool>(codec::parse_json(doc, " \t\r\n[1] \n")));
  BOOST_TEST(codec::parse_json_document("{").HasParseError());
  BOOST_TEST(!codec::parse_json_document("{}").HasParseError());
}

// RapidJSON 1.1's full-precision reader reads these as huge numbers (json.hpp): the default
// reader is used, and the fuzz target runs under UBSan to keep it so.
BOOST_AUTO_TEST_CASE(a_zero_significand_with_a_large_exponent_is_zero) {
  rapidjson::Document doc;
  BOOST_TEST_REQUIRE(static_cast<bool>(codec::parse_json(doc, "[0e308, -0e-308, 0.0e300]")));
  for (const auto& v : doc.GetArray()) BOOST_TEST(v.GetDouble() == 0.0);
}

BOOST_AUTO_TEST_CASE(numbers_past_a_double_are_written_as_null) {
  // JSON.parse("1.8e308") is Infinity, which JSON.stringify writes as null.
  rapidjson::Document doc;
  BOOST_TEST_REQUIRE(static_cast<bool>(codec::parse_json(doc, "[1.7976932864313157e308, 1]")));
  BOOST_TEST(codec::to_json_text(doc) == "[null,1]");
}

BOOST_AUTO_TEST_SUITE_END()
