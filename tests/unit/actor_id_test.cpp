// actor_id: ids must match what a JavaScript router computes. Every vector below was made with
//   node -e 'const c=require("node:crypto"); const j=JSON.stringify([name,key]);
//            console.log(j, c.createHash("sha256").update(j).digest("hex").slice(0,16))'
#include "actorhost/actor/actor_id.hpp"

#include "actorhost/codec/js_json.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace std::string_literals;
using actorhost::actor_id_hash;
using actorhost::make_actor_id;
using actorhost::valid_actor_id;

namespace {

struct id_vector {
  std::string name;
  std::vector<std::string> key;
  std::string json; // JSON.stringify([name, key])
  std::string id;
};

const std::vector<id_vector>& id_vectors() {
  static const std::vector<id_vector> vectors = {
      {"httpActor"s, {"a"s}, "[\"httpActor\",[\"a\"]]"s, "dadfba1f866c4ae5"},
      {"counter"s, {"a"s}, "[\"counter\",[\"a\"]]"s, "704e99e868244ebb"},
      {"counter"s, {}, "[\"counter\",[]]"s, "76dea91135f9a6b0"},
      {"counter"s, {"a"s, "b"s}, "[\"counter\",[\"a\",\"b\"]]"s, "b086235de070f0cf"},
      {"counter"s, {""s}, "[\"counter\",[\"\"]]"s, "0b161eb62086e5a2"},
      {"chatRoom"s, {"say \"hi\""s}, "[\"chatRoom\",[\"say \\\"hi\\\"\"]]"s, "e1c9c9c8f8498ced"},
      {"counter"s, {"back\\slash"s}, "[\"counter\",[\"back\\\\slash\"]]"s, "1f005f072329962f"},
      {"counter"s, {"a/b/c"s}, "[\"counter\",[\"a/b/c\"]]"s, "43e1252206fd3e2a"},
      {"counter"s, {"line\nbreak\ttab\r\b\f"s}, "[\"counter\",[\"line\\nbreak\\ttab\\r\\b\\f\"]]"s, "f811b4d50415eb0f"},
      {"counter"s, {"\x00\x01\x1f\x7f"s}, "[\"counter\",[\"\\u0000\\u0001\\u001f\x7f\"]]"s, "ffc93e744b593979"},
      {"counter"s, {"\x0b\x1b"s}, "[\"counter\",[\"\\u000b\\u001b\"]]"s, "cb31806f79d47f48"},
      {"counter"s,
       {"caf\xc3\xa9"s, "\xe6\x97\xa5\xe6\x9c\xac"s, "\xf0\x9f\x98\x80"s},
       "[\"counter\",[\"caf\xc3\xa9\",\"\xe6\x97\xa5\xe6\x9c\xac\",\"\xf0\x9f\x98\x80\"]]"s,
       "2d397f908e54e083"},
      {""s, {""s}, "[\"\",[\"\"]]"s, "5a71904031652a81"},
      {"na\"me"s, {"k\\"s}, "[\"na\\\"me\",[\"k\\\\\"]]"s, "0d64d9ccedc9f4b1"},
      {"counter"s, {"\xe2\x80\xa8\xe2\x80\xa9"s}, "[\"counter\",[\"\xe2\x80\xa8\xe2\x80\xa9\"]]"s, "a24f9769534b02c3"},
      {"counter"s, {"<script>&'?"s}, "[\"counter\",[\"<script>&'?\"]]"s, "33ae114d0aa4c702"},
  };
  return vectors;
}

} // namespace

BOOST_AUTO_TEST_SUITE(actor_id_suite)

BOOST_AUTO_TEST_CASE(ids_match_javascript) {
  for (const auto& v : id_vectors()) {
    BOOST_TEST_CONTEXT(v.json) {
      BOOST_TEST(actorhost::codec::js_json_name_and_key(v.name, v.key) == v.json);
      const auto id = make_actor_id(v.name, v.key);
      BOOST_TEST(id == v.id);
      BOOST_TEST(valid_actor_id(id));
    }
  }
}

BOOST_AUTO_TEST_CASE(name_and_key_are_not_confused) {
  // ["a",["b"]] and ["ab",[]] and ["a",["","b"]] hash differently: the JSON keeps the boundaries.
  const std::vector<std::string> b = {"b"};
  const std::vector<std::string> none;
  const std::vector<std::string> empty_b = {"", "b"};
  BOOST_TEST(make_actor_id("a", b) != make_actor_id("ab", none));
  BOOST_TEST(make_actor_id("a", b) != make_actor_id("a", empty_b));
  const std::vector<std::string> ab = {"a,b"};
  const std::vector<std::string> a_b = {"a", "b"};
  BOOST_TEST(make_actor_id("c", ab) != make_actor_id("c", a_b));
}

BOOST_AUTO_TEST_CASE(valid_actor_id_vectors) {
  BOOST_TEST(valid_actor_id("dadfba1f866c4ae5"));
  BOOST_TEST(valid_actor_id("0000000000000000"));
  BOOST_TEST(valid_actor_id("ffffffffffffffff"));
  BOOST_TEST(!valid_actor_id(""));
  BOOST_TEST(!valid_actor_id("dadfba1f866c4ae"));   // 15
  BOOST_TEST(!valid_actor_id("dadfba1f866c4ae55")); // 17
  BOOST_TEST(!valid_actor_id("DADFBA1F866C4AE5"));  // uppercase
  BOOST_TEST(!valid_actor_id("dadfba1f866c4aeg"));
  BOOST_TEST(!valid_actor_id("dadfba1f 66c4ae5"));
  BOOST_TEST(!valid_actor_id("dadfba1f866c4ae\0"s));
}

BOOST_AUTO_TEST_CASE(actor_id_hash_is_the_hex_value) {
  BOOST_TEST(actor_id_hash("0000000000000000") == 0u);
  BOOST_TEST(actor_id_hash("0000000000000001") == 1u);
  BOOST_TEST(actor_id_hash("00000000000000a0") == 0xa0u);
  BOOST_TEST(actor_id_hash("dadfba1f866c4ae5") == 0xdadfba1f866c4ae5u);
  BOOST_TEST(actor_id_hash("ffffffffffffffff") == std::numeric_limits<std::uint64_t>::max());
}

BOOST_AUTO_TEST_SUITE_END()
