// uri: decodeURIComponent / encodeURIComponent / URLSearchParams semantics, checked against
// vectors produced by Node.js 20 (`node -e 'console.log(encodeURIComponent(...))'`).
#include "actorhost/codec/uri.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace std::string_literals;
using actorhost::codec::decode_component;
using actorhost::codec::encode_component;
using actorhost::codec::parse_query;
using actorhost::codec::query_params;
using actorhost::codec::split_target;

BOOST_AUTO_TEST_SUITE(uri_suite)

BOOST_AUTO_TEST_CASE(decode_component_vectors) {
  struct row {
    std::string in;
    std::optional<std::string> out;
  };
  const std::vector<row> rows = {
      {"", ""s},
      {"abc", "abc"s},
      {"%41", "A"s},
      {"%2f", "/"s},
      {"%2F", "/"s},
      {"a%2Fb", "a/b"s},
      {"a+b", "a+b"s}, // no '+' rewriting in decodeURIComponent
      {"%2B+", "++"s},
      {"%20", " "s},
      {"%00", "\0"s},
      {"%C3%A9", "\xc3\xa9"s},
      {"%E6%97%A5", "\xe6\x97\xa5"s},
      {"%F0%9F%98%80", "\xf0\x9f\x98\x80"s},
      {"%2541", "%41"s}, // decoded once only
      {"%", std::nullopt},
      {"%4", std::nullopt},
      {"abc%", std::nullopt},
      {"abc%4", std::nullopt},
      {"%zz", std::nullopt},
      {"%G0", std::nullopt},
      {"%0G", std::nullopt},
      {"%%41", std::nullopt},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT('"' << r.in << '"') {
      const auto got = decode_component(r.in);
      BOOST_TEST(got.has_value() == r.out.has_value());
      if (got && r.out) BOOST_TEST(*got == *r.out);
    }
  }
}

// decodeURIComponent throws URIError when the escapes do not form UTF-8 ("%FF", "%C3",
// an encoded surrogate); decode_component() promises the same but returns the raw bytes.
BOOST_AUTO_TEST_CASE(decode_component_rejects_escapes_that_are_not_utf8) {
  for (const char* in : {"%FF", "%C3", "%ED%A0%80"}) {
    BOOST_TEST_CONTEXT(in) { BOOST_TEST(!decode_component(in).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(encode_component_matches_javascript) {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"", ""},
      {"abcXYZ019", "abcXYZ019"},
      {"-_.!~*'()", "-_.!~*'()"},
      {"a b&c=d/\xc3\xa9?#[]@!$%^*()-_.~'\"\\<>`{}|",
       "a%20b%26c%3Dd%2F%C3%A9%3F%23%5B%5D%40!%24%25%5E*()-_.~'%22%5C%3C%3E%60%7B%7D%7C"},
      {"\0"s, "%00"},
      {"\x7f", "%7F"},
      {"+", "%2B"},
      {"{\"getForKey\":{\"name\":\"counter\",\"key\":[\"a\"]}}",
       "%7B%22getForKey%22%3A%7B%22name%22%3A%22counter%22%2C%22key%22%3A%5B%22a%22%5D%7D%7D"},
      {"\xf0\x9f\x98\x80", "%F0%9F%98%80"},
  };
  for (const auto& [in, out] : rows) {
    BOOST_TEST_CONTEXT(in) { BOOST_TEST(encode_component(in) == out); }
  }
}

BOOST_AUTO_TEST_CASE(encode_then_decode_round_trips_every_character) {
  // Every ASCII byte plus UTF-8 of two, three and four bytes (decodeURIComponent only
  // accepts escapes that form UTF-8, so lone high bytes are tested separately above).
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  all += "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  const auto encoded = encode_component(all);
  for (char c : encoded) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                         std::string_view("-_.!~*'()%").find(c) != std::string_view::npos;
    BOOST_TEST(allowed, "unexpected character in encoding: " << c);
  }
  const auto decoded = decode_component(encoded);
  BOOST_REQUIRE(decoded.has_value());
  BOOST_TEST(*decoded == all);
}

BOOST_AUTO_TEST_CASE(split_target_vectors) {
  struct row {
    std::string target;
    std::string path;
    std::string query;
    bool has_query;
  };
  const std::vector<row> rows = {
      {"/a?b=c", "/a", "b=c", true},
      {"/a", "/a", "", false},
      {"/a?", "/a", "", true},
      {"/a#frag", "/a", "", false},
      {"/a?b#c", "/a", "b", true},
      {"/a#c?d", "/a", "", false},
      {"/a?b?c", "/a", "b?c", true},
      {"?x", "", "x", true},
      {"", "", "", false},
      {"/p%3Fq?r", "/p%3Fq", "r", true},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.target) {
      const auto s = split_target(r.target);
      BOOST_TEST(s.path == r.path);
      BOOST_TEST(s.query == r.query);
      BOOST_TEST(s.has_query == r.has_query);
    }
  }
}

BOOST_AUTO_TEST_CASE(parse_query_matches_urlsearchparams) {
  // Expected values: [...new URLSearchParams(q)] in Node.js 20.
  const std::vector<std::pair<std::string, query_params>> rows = {
      {"", {}},
      {"&&", {}},
      {"a=1", {{"a", "1"}}},
      {"a=1&b=2&a=3", {{"a", "1"}, {"b", "2"}, {"a", "3"}}},
      {"a", {{"a", ""}}},
      {"=x", {{"", "x"}}},
      {"=", {{"", ""}}},
      {"a=&&b=", {{"a", ""}, {"b", ""}}},
      {"a=1=2", {{"a", "1=2"}}},
      {"a+b=c+d", {{"a b", "c d"}}},
      {"a=%2B", {{"a", "+"}}},
      {"%41%42=%43", {{"AB", "C"}}},
      {"a=%zz", {{"a", "%zz"}}},
      {"a=%", {{"a", "%"}}},
      {"a=%4", {{"a", "%4"}}},
      {"a=%C3%A9", {{"a", "\xc3\xa9"}}},
      {"q=%7B%22a%22%3A1%7D", {{"q", "{\"a\":1}"}}},
  };
  for (const auto& [q, expected] : rows) {
    BOOST_TEST_CONTEXT(q) {
      const auto got = parse_query(q);
      BOOST_REQUIRE_EQUAL(got.size(), expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        BOOST_TEST(got[i].first == expected[i].first);
        BOOST_TEST(got[i].second == expected[i].second);
      }
    }
  }
}

// URLSearchParams decodes the bytes as UTF-8 with replacement: "a=%FF" gives U+FFFD
// ("\xef\xbf\xbd"); parse_query() hands the handler the raw byte 0xFF instead.
BOOST_AUTO_TEST_CASE(parse_query_replaces_invalid_utf8_like_urlsearchparams) {
  const auto got = parse_query("a=%FF");
  BOOST_REQUIRE_EQUAL(got.size(), 1u);
  BOOST_TEST(got[0].second == "\xef\xbf\xbd");
}

BOOST_AUTO_TEST_SUITE_END()
