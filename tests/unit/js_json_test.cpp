// js_json: byte-for-byte JSON.stringify string escaping. Expected texts come from Node.js 20
// (`JSON.stringify(...)`).
#include "actorhost/codec/js_json.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

using namespace std::string_literals;
using actorhost::codec::append_js_json_string;
using actorhost::codec::js_json_name_and_key;

namespace {

std::string quoted(const std::string& s) {
  std::string out;
  append_js_json_string(out, s);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(js_json_suite)

BOOST_AUTO_TEST_CASE(string_escaping_vectors) {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"", R"("")"},
      {"plain", R"("plain")"},
      {"say \"hi\"", R"("say \"hi\"")"},
      {"back\\slash", R"("back\\slash")"},
      {"a/b", R"("a/b")"}, // '/' is not escaped
      {"\b\f\n\r\t", R"("\b\f\n\r\t")"},
      {"\0"s, R"("\u0000")"},
      {"\x01\x07\x0b\x0e\x1a\x1b\x1f", R"("\u0001\u0007\u000b\u000e\u001a\u001b\u001f")"},
      {"\x7f", "\"\x7f\""},                          // DEL is left alone
      {"caf\xc3\xa9", "\"caf\xc3\xa9\""},            // non-ASCII is left alone
      {"\xe2\x80\xa8\xe2\x80\xa9", "\"\xe2\x80\xa8\xe2\x80\xa9\""}, // so are U+2028/U+2029
      {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
      {"<script>&'", R"("<script>&'")"},
  };
  for (const auto& [in, out] : rows) {
    BOOST_TEST_CONTEXT(out) { BOOST_TEST(quoted(in) == out); }
  }
}

BOOST_AUTO_TEST_CASE(every_control_character) {
  // JSON.stringify(String.fromCharCode(c)) for c < 0x20.
  for (int c = 0; c < 0x20; ++c) {
    std::string expected;
    switch (c) {
      case '\b': expected = R"("\b")"; break;
      case '\f': expected = R"("\f")"; break;
      case '\n': expected = R"("\n")"; break;
      case '\r': expected = R"("\r")"; break;
      case '\t': expected = R"("\t")"; break;
      default: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "\"\\u%04x\"", c);
        expected = buf;
      }
    }
    BOOST_TEST_CONTEXT("c = " << c) { BOOST_TEST(quoted(std::string(1, static_cast<char>(c))) == expected); }
  }
  for (int c = 0x20; c < 0x100; ++c) {
    if (c == '"' || c == '\\') continue;
    const std::string s(1, static_cast<char>(c));
    BOOST_TEST_CONTEXT("c = " << c) { BOOST_TEST(quoted(s) == "\"" + s + "\""); }
  }
}

BOOST_AUTO_TEST_CASE(append_keeps_what_is_there) {
  std::string out = "[1,";
  append_js_json_string(out, "x");
  BOOST_TEST(out == R"([1,"x")");
}

BOOST_AUTO_TEST_CASE(name_and_key_vectors) {
  struct row {
    std::string name;
    std::vector<std::string> key;
    std::string json;
  };
  const std::vector<row> rows = {
      {"httpActor", {"a"}, R"(["httpActor",["a"]])"},
      {"counter", {}, R"(["counter",[]])"},
      {"counter", {"a", "b"}, R"(["counter",["a","b"]])"},
      {"counter", {""}, R"(["counter",[""]])"},
      {"", {""}, R"(["",[""]])"},
      {"na\"me", {"k\\"}, R"(["na\"me",["k\\"]])"},
      {"counter", {"line\nbreak\ttab\r\b\f"}, R"(["counter",["line\nbreak\ttab\r\b\f"]])"},
      {"counter", {"\x00\x01\x1f\x7f"s}, "[\"counter\",[\"\\u0000\\u0001\\u001f\x7f\"]]"},
      {"counter", {"caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac"}, "[\"counter\",[\"caf\xc3\xa9\",\"\xe6\x97\xa5\xe6\x9c\xac\"]]"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.json) { BOOST_TEST(js_json_name_and_key(r.name, r.key) == r.json); }
  }
}

BOOST_AUTO_TEST_SUITE_END()
