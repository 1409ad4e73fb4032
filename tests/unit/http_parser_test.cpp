// http_parser: table-driven vectors, every rejection with its status, and a parsegrind (every
// valid message split at every byte offset, and fed byte by byte, must parse to the same
// requests as the whole buffer).
#include "actorhost/codec/http_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using actorhost::codec::http_error;
using actorhost::codec::http_parser;
using actorhost::codec::http_parser_limits;
using actorhost::codec::request_head;
using actorhost::codec::status_for;
using event = http_parser::event;

namespace {

struct parsed {
  std::vector<actorhost::codec::request_head> heads;
  std::vector<std::string> bodies;
  std::error_code error;
  int continues = 0; // head_complete events
};

// Feeds `chunks` one after another as a connection would, collecting every request.
parsed parse_chunks(const std::vector<std::string>& chunks, actorhost::codec::http_parser_limits limits = {}) {
  http_parser p(limits);
  parsed out;
  for (const auto& chunk : chunks) {
    std::size_t pos = 0;
    for (;;) {
      auto r = p.feed({chunk.data() + pos, chunk.size() - pos});
      BOOST_REQUIRE_LE(r.consumed, chunk.size() - pos);
      pos += r.consumed;
      if (r.what == event::need_more) break;
      if (r.what == event::head_complete) {
        ++out.continues;
        continue;
      }
      if (r.what == event::error) {
        out.error = p.error();
        return out;
      }
      out.heads.push_back(p.head());
      out.bodies.push_back(p.body());
    }
    BOOST_REQUIRE_EQUAL(pos, chunk.size());
  }
  return out;
}

parsed parse(const std::string& bytes, actorhost::codec::http_parser_limits limits = {}) {
  return parse_chunks({bytes}, limits);
}

// Everything the parser reports about a request, as one comparable string.
std::string describe(const request_head& h, const std::string& body) {
  std::string s = h.method + " " + h.target + " HTTP/1." + std::to_string(h.version_minor) + "\n";
  for (const auto& f : h.fields) s += "[" + f.name + "]: [" + f.value + "]\n";
  s += "keep_alive=" + std::to_string(h.keep_alive) + " expect_continue=" + std::to_string(h.expect_continue) +
       " upgrade=" + std::to_string(h.upgrade) + " chunked=" + std::to_string(h.chunked) +
       " content_length=" + (h.content_length ? std::to_string(*h.content_length) : std::string("none")) + "\n";
  s += "body=[" + body + "]";
  return s;
}

std::vector<std::string> describe(const parsed& p) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < p.heads.size(); ++i) out.push_back(describe(p.heads[i], p.bodies[i]));
  out.push_back("error=" + p.error.message() + " head_events=" + std::to_string(p.continues));
  return out;
}

struct expected_request {
  std::string method;
  std::string target;
  std::string body;
};

struct valid_vector {
  const char* name;
  std::string bytes;
  std::vector<expected_request> requests;
};

const std::vector<valid_vector>& valid_vectors() {
  static const std::vector<valid_vector> vectors = {
      {"get", "GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-Foo: bar \r\n\r\n", {{"GET", "/a?b=c", ""}}},
      {"post content-length",
       "POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world",
       {{"POST", "/submit", "hello world"}}},
      {"post content-length zero", "POST /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", {{"POST", "/empty", ""}}},
      {"chunked with extensions",
       "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5;name=value\r\nhello\r\n"
       "1;flag\r\n \r\n"
       "A;q=\"quoted;string\"\r\n0123456789\r\n"
       "0;last=1\r\n\r\n",
       {{"POST", "/upload", "hello 0123456789"}}},
      {"chunked with trailer",
       "PUT /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 1\r\n\r\n",
       {{"PUT", "/t", "abc"}}},
      {"pipelined get and post",
       "GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
       "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz",
       {{"GET", "/first", ""}, {"POST", "/second", "xyz"}}},
      {"pipelined three with chunked between",
       "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
       "POST /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
       "DELETE /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
       {{"GET", "/1", ""}, {"POST", "/2", "ab"}, {"DELETE", "/3", ""}}},
      {"http/1.0 without host", "GET /old HTTP/1.0\r\nUser-Agent: x\r\n\r\n", {{"GET", "/old", ""}}},
      {"absolute-form target", "GET http://example.com:8080/p/q?r=s HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
       {{"GET", "http://example.com:8080/p/q?r=s", ""}}},
      {"asterisk-form target", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", {{"OPTIONS", "*", ""}}},
      {"expect 100-continue",
       "PUT /big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
       {{"PUT", "/big", "body"}}},
      {"leading empty line", "\r\nHEAD /h HTTP/1.1\r\nHost: x\r\n\r\n", {{"HEAD", "/h", ""}}},
      {"empty and whitespace-only values",
       "GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Spaces:   \r\nX-Next:\tv\t\r\n\r\n",
       {{"GET", "/", ""}}},
  };
  return vectors;
}

const valid_vector& vector_named(std::string_view name) {
  for (const auto& v : valid_vectors())
    if (v.name == name) return v;
  throw std::logic_error("no vector named " + std::string(name));
}

struct rejection {
  const char* name;
  std::string bytes;
  std::optional<http_error> error; // nullopt: any error of the http category
  int status;
  http_parser_limits limits = {};
};

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

std::string many_fields(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "X-F" + std::to_string(i) + ": v\r\n";
  return s;
}

const std::vector<rejection>& rejections() {
  static const std::vector<rejection> vectors = {
      {"missing host on 1.1", "GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", http_error::missing_host, 400},
      {"duplicate host", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", http_error::duplicate_host, 400},
      {"duplicate host other case", "GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n", http_error::duplicate_host, 400},
      {"content-length with transfer-encoding",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       http_error::bad_request, 400},
      {"transfer-encoding with content-length",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
       http_error::bad_request, 400},
      {"duplicate content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
       http_error::bad_request, 400},
      {"content-length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", http_error::bad_request,
       400},
      {"negative content-length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", http_error::bad_request,
       400},
      {"content-length overflow", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       http_error::bad_request, 400},
      {"bad chunk size",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
       http_error::bad_request, 400},
      {"chunk size overflow",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
       http_error::bad_request, 400},
      {"chunk data longer than size",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
       http_error::bad_request, 400},
      {"transfer-encoding not ending in chunked",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", http_error::bad_request, 400},
      {"target over max_target_bytes", "GET /" + repeat('a', 64) + " HTTP/1.1\r\nHost: x\r\n\r\n",
       http_error::uri_too_long, 414, {.max_target_bytes = 64}},
      {"head over max_head_bytes", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + repeat('v', 300) + "\r\n\r\n",
       http_error::headers_too_large, 431, {.max_head_bytes = 256}},
      {"long field name over max_head_bytes", "GET / HTTP/1.1\r\nHost: x\r\nX-" + repeat('n', 300) + ": v\r\n\r\n",
       http_error::headers_too_large, 431, {.max_head_bytes = 256}},
      {"more fields than max_header_count", "GET / HTTP/1.1\r\nHost: x\r\n" + many_fields(4) + "\r\n",
       http_error::too_many_headers, 431, {.max_header_count = 4}},
      {"content-length over max_body_bytes", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
       http_error::body_too_large, 413, {.max_body_bytes = 10}},
      {"chunked body over max_body_bytes",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
       http_error::body_too_large, 413, {.max_body_bytes = 10}},
      {"http/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", http_error::unsupported_version, 505},
      {"http/0.9 request line with version", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", http_error::unsupported_version, 505},
      {"invalid method character", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", http_error::bad_request, 400},
      {"unknown method", "FROB / HTTP/1.1\r\nHost: x\r\n\r\n", http_error::unknown_method, 501},
      {"lowercase method", "get / HTTP/1.1\r\nHost: x\r\n\r\n", http_error::unknown_method, 501},
      {"a garbage request line", "GARBAGE\r\n\r\n", http_error::bad_request, 400},
      {"two words, no version", "BROKEN REQUEST\r\n\r\n", http_error::bad_request, 400},
      {"a TLS handshake", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15), http_error::bad_request, 400},
      {"space in target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", http_error::bad_request, 400},
      {"lowercase protocol name", "GET / http/1.1\r\nHost: x\r\n\r\n", http_error::bad_request, 400},
      {"control character in field name", "GET / HTTP/1.1\r\nHost: x\r\nX\x01Y: z\r\n\r\n", http_error::bad_request, 400},
      {"whitespace before colon", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello",
       http_error::bad_request, 400},
      {"nul in field value", std::string("GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 35), http_error::bad_request,
       400},
      {"control character in field value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01z\r\n\r\n", http_error::bad_request,
       400},
      {"bare CR in field value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", http_error::bad_request, 400},
      {"bare LF line endings", "GET / HTTP/1.1\nHost: x\n\n", http_error::bad_request, 400},
      // The Host may not rewrite the path: it is uri-host[:port] or nothing (finding 5).
      {"host with a path", "GET / HTTP/1.1\r\nHost: x/forward/victim/api/stats#\r\n\r\n", http_error::invalid_host, 400},
      {"host with a query", "GET /a HTTP/1.1\r\nHost: x?\r\n\r\n", http_error::invalid_host, 400},
      {"host with userinfo", "GET / HTTP/1.1\r\nHost: u@x\r\n\r\n", http_error::invalid_host, 400},
      {"host with a bad port", "GET / HTTP/1.1\r\nHost: x:8o\r\n\r\n", http_error::invalid_host, 400},
      {"host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", http_error::invalid_host, 400},
      {"unclosed IP literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", http_error::invalid_host, 400},
      {"fragment in the target", "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", http_error::invalid_target, 400},
      {"asterisk-form with GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", http_error::invalid_target, 400},
      {"absolute-form with userinfo", "GET http://u@x/a HTTP/1.1\r\nHost: x\r\n\r\n", http_error::invalid_target, 400},
      {"CONNECT", "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", http_error::connect_refused, 405},
      // RFC 9112 §6.1: chunked framing in a 1.0 request is faulty framing.
      {"transfer-encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       http_error::framing_in_http10, 400},
      // A request line with no version (HTTP/0.9) is refused at once, not left waiting.
      {"HTTP/0.9 request line", "GET /\r\n", http_error::no_version, 400},
      {"HTTP/0.9 request line, then fields", "GET /\r\nHost: x\r\n\r\n", http_error::no_version, 400},
      // Chunk extensions count against a small limit (Node's CVE-2024-22019).
      {"chunk extensions over their limit",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" + repeat('e', 64) + "\r\na\r\n0\r\n\r\n",
       http_error::extensions_too_large, 413, {.max_chunk_extension_bytes = 32}},
      // A chunk declared larger than the body limit is refused at its size, before its data.
      {"chunk size over max_body_bytes", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n",
       http_error::body_too_large, 413, {.max_body_bytes = 10}},
  };
  return vectors;
}

// Every split of `bytes` into two feeds (offset 0 and size included).
std::vector<std::vector<std::string>> two_way_splits(const std::string& bytes) {
  std::vector<std::vector<std::string>> out;
  for (std::size_t i = 0; i <= bytes.size(); ++i) out.push_back({bytes.substr(0, i), bytes.substr(i)});
  return out;
}

std::vector<std::string> byte_by_byte(const std::string& bytes) {
  std::vector<std::string> out;
  for (char c : bytes) out.emplace_back(1, c);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_parser_suite)

BOOST_AUTO_TEST_CASE(simple_get) {
  auto r = parse("GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-Foo: bar \r\n\r\n");
  BOOST_TEST(!r.error);
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  BOOST_TEST(r.heads[0].method == "GET");
  BOOST_TEST(r.heads[0].target == "/a?b=c");
  BOOST_REQUIRE_EQUAL(r.heads[0].fields.size(), 2u);
  BOOST_TEST(r.heads[0].fields[1].name == "X-Foo");
  BOOST_TEST(r.heads[0].fields[1].value == "bar");
  BOOST_TEST(r.heads[0].keep_alive);
}

BOOST_AUTO_TEST_CASE(valid_vectors_parse_to_their_requests) {
  for (const auto& v : valid_vectors()) {
    BOOST_TEST_CONTEXT(v.name) {
      const auto r = parse(v.bytes);
      BOOST_TEST_INFO("error: " << r.error.message());
      BOOST_TEST(!r.error);
      BOOST_REQUIRE_EQUAL(r.heads.size(), v.requests.size());
      BOOST_TEST(r.continues == static_cast<int>(v.requests.size()));
      for (std::size_t i = 0; i < v.requests.size(); ++i) {
        BOOST_TEST(r.heads[i].method == v.requests[i].method);
        BOOST_TEST(r.heads[i].target == v.requests[i].target);
        BOOST_TEST(r.bodies[i] == v.requests[i].body);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(post_with_content_length) {
  const auto r = parse(vector_named("post content-length").bytes);
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  const auto& h = r.heads[0];
  BOOST_TEST(h.content_length.has_value());
  BOOST_TEST(h.content_length.value_or(0) == 11u);
  BOOST_TEST(!h.chunked);
  BOOST_TEST(h.has_body());
  BOOST_TEST(h.version_minor == 1);
  BOOST_REQUIRE_EQUAL(h.fields.size(), 3u);
  BOOST_TEST(h.fields[1].name == "Content-Type");
  BOOST_TEST(h.fields[1].value == "text/plain");
}

BOOST_AUTO_TEST_CASE(chunked_with_extensions) {
  const auto r = parse(vector_named("chunked with extensions").bytes);
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  BOOST_TEST(r.heads[0].chunked);
  BOOST_TEST(!r.heads[0].content_length.has_value());
  BOOST_TEST(r.heads[0].has_body());
  BOOST_TEST(r.bodies[0] == "hello 0123456789");
}

BOOST_AUTO_TEST_CASE(content_length_zero_has_no_body) {
  const auto r = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  BOOST_TEST(r.heads[0].content_length.value_or(99) == 0u);
  BOOST_TEST(!r.heads[0].has_body());
}

BOOST_AUTO_TEST_CASE(http10_without_host) {
  const auto r = parse("GET /old HTTP/1.0\r\n\r\n");
  BOOST_TEST(!r.error);
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  BOOST_TEST(r.heads[0].version_minor == 0);
  BOOST_TEST(r.heads[0].fields.empty());
  BOOST_TEST(!r.heads[0].keep_alive);
}

BOOST_AUTO_TEST_CASE(keep_alive_by_version_and_connection) {
  struct row {
    std::string bytes;
    bool keep_alive;
  };
  const std::vector<row> rows = {
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: x\r\nConnection: CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.bytes) {
      const auto r = parse(row.bytes);
      BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
      BOOST_TEST(r.heads[0].keep_alive == row.keep_alive);
    }
  }
}

BOOST_AUTO_TEST_CASE(field_values_lose_surrounding_whitespace_and_keep_order) {
  const auto r = parse(vector_named("empty and whitespace-only values").bytes);
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  const auto& f = r.heads[0].fields;
  BOOST_REQUIRE_EQUAL(f.size(), 4u);
  BOOST_TEST(f[1].name == "X-Empty");
  BOOST_TEST(f[1].value == "");
  BOOST_TEST(f[2].name == "X-Spaces");
  BOOST_TEST(f[2].value == "");
  BOOST_TEST(f[3].name == "X-Next");
  BOOST_TEST(f[3].value == "v");
}

BOOST_AUTO_TEST_CASE(expect_continue_and_upgrade_flags) {
  {
    const auto r = parse(vector_named("expect 100-continue").bytes);
    BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
    BOOST_TEST(r.heads[0].expect_continue);
  }
  {
    const auto r = parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n");
    BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
    BOOST_TEST(r.heads[0].expect_continue);
  }
  {
    const auto r = parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n");
    BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
    BOOST_TEST(!r.heads[0].expect_continue);
  }
  {
    const auto r = parse("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n");
    BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
    BOOST_TEST(!r.heads[0].upgrade); // Upgrade without Connection: upgrade is no upgrade
  }
}

BOOST_AUTO_TEST_CASE(upgrade_stops_consuming_after_the_request) {
  const std::string head = "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  const std::string bytes = head + "\x81\x05hello";
  http_parser p;
  auto r = p.feed(bytes);
  BOOST_TEST((r.what == event::head_complete));
  BOOST_TEST(r.consumed == head.size());
  r = p.feed(std::span(bytes).subspan(head.size()));
  BOOST_TEST((r.what == event::message_complete));
  BOOST_TEST(r.consumed == 0u);
  BOOST_TEST(p.head().upgrade);
  // The rest belongs to the new protocol: the parser leaves it alone, however often asked.
  for (int i = 0; i < 3; ++i) {
    r = p.feed(std::span(bytes).subspan(head.size()));
    BOOST_TEST((r.what == event::need_more));
    BOOST_TEST(r.consumed == 0u);
  }
}

BOOST_AUTO_TEST_CASE(head_complete_comes_before_the_body_is_read) {
  const std::string head = "PUT /big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
  http_parser p;
  BOOST_TEST(p.between_messages());
  auto r = p.feed(head);
  BOOST_TEST((r.what == event::head_complete));
  BOOST_TEST(r.consumed == head.size());
  BOOST_TEST(p.in_body());
  BOOST_TEST(!p.between_messages());
  BOOST_TEST(p.head().expect_continue);
  r = p.feed(std::span<const char>{});
  BOOST_TEST((r.what == event::need_more));
  BOOST_TEST(p.in_body());
  r = p.feed(std::string_view("bo"));
  BOOST_TEST((r.what == event::need_more));
  BOOST_TEST(r.consumed == 2u);
  r = p.feed(std::string_view("dy"));
  BOOST_TEST((r.what == event::message_complete));
  BOOST_TEST(r.consumed == 2u);
  BOOST_TEST(p.body() == "body");
  BOOST_TEST(!p.in_body());
  BOOST_TEST(p.between_messages());
}

// What the parser guarantees for a request with no body: head_complete consumes the whole
// head, and the message event then needs one more feed(), which may be empty.
BOOST_AUTO_TEST_CASE(bodyless_request_completes_on_an_empty_feed) {
  const std::string bytes = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const bool null_span : {false, true}) {
    BOOST_TEST_CONTEXT("null span: " << null_span) {
      http_parser p;
      auto r = p.feed(bytes);
      BOOST_TEST((r.what == event::head_complete));
      BOOST_TEST(r.consumed == bytes.size());
      r = null_span ? p.feed(std::span<const char>{}) : p.feed(std::span(bytes.data() + bytes.size(), 0));
      BOOST_TEST((r.what == event::message_complete));
      BOOST_TEST(r.consumed == 0u);
      BOOST_TEST(p.head().target == "/");
      r = p.feed(std::span<const char>{});
      BOOST_TEST((r.what == event::need_more));
      BOOST_TEST(r.consumed == 0u);
      BOOST_TEST(p.between_messages());
    }
  }
}

BOOST_AUTO_TEST_CASE(empty_feed_before_any_request_needs_more) {
  http_parser p;
  auto r = p.feed(std::span<const char>{});
  BOOST_TEST((r.what == event::need_more));
  BOOST_TEST(r.consumed == 0u);
  r = p.feed(std::string_view("GET / HT"));
  BOOST_TEST((r.what == event::need_more));
  BOOST_TEST(r.consumed == 8u);
  BOOST_TEST(!p.between_messages());
  r = p.feed(std::span<const char>{});
  BOOST_TEST((r.what == event::need_more));
}

BOOST_AUTO_TEST_CASE(pipelined_requests_are_delivered_one_at_a_time) {
  const std::string first = "GET /first HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string second_head = "POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
  const std::string bytes = first + second_head + "xyz";
  http_parser p;
  std::size_t pos = 0;
  auto feed = [&] {
    auto r = p.feed(std::span(bytes).subspan(pos));
    pos += r.consumed;
    return r.what;
  };
  BOOST_TEST((feed() == event::head_complete));
  BOOST_TEST(pos == first.size());
  BOOST_TEST((feed() == event::message_complete));
  BOOST_TEST(pos == first.size());
  BOOST_TEST(p.head().target == "/first");
  BOOST_TEST((feed() == event::head_complete));
  BOOST_TEST(pos == first.size() + second_head.size());
  BOOST_TEST(p.head().target == "/second");
  BOOST_TEST(p.body().empty());
  BOOST_TEST((feed() == event::message_complete));
  BOOST_TEST(pos == bytes.size());
  BOOST_TEST(p.body() == "xyz");
  BOOST_TEST((feed() == event::need_more));
}

BOOST_AUTO_TEST_CASE(requests_before_an_error_are_delivered) {
  const auto r = parse("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /bad HTTP/2.0\r\nHost: x\r\n\r\n");
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  BOOST_TEST(r.heads[0].target == "/ok");
  BOOST_TEST((r.error == http_error::unsupported_version));
}

BOOST_AUTO_TEST_CASE(empty_host_is_a_host) {
  // RFC 9112 §3.2: an empty Host is how a client without an authority meets the requirement.
  const auto r = parse("GET / HTTP/1.1\r\nHost:\r\n\r\n");
  BOOST_TEST(!r.error);
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  BOOST_REQUIRE_EQUAL(r.heads[0].fields.size(), 1u);
  BOOST_TEST(r.heads[0].fields[0].value == "");
}

BOOST_AUTO_TEST_CASE(limits_at_the_boundary_are_accepted) {
  {
    const auto r = parse("GET /" + repeat('a', 63) + " HTTP/1.1\r\nHost: x\r\n\r\n", {.max_target_bytes = 64});
    BOOST_TEST(!r.error);
    BOOST_TEST(r.heads.size() == 1u);
  }
  {
    const auto r = parse("GET / HTTP/1.1\r\nHost: x\r\n" + many_fields(3) + "\r\n", {.max_header_count = 4});
    BOOST_TEST(!r.error);
    BOOST_TEST(r.heads.size() == 1u);
  }
  {
    const auto r = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhelloworld", {.max_body_bytes = 10});
    BOOST_TEST(!r.error);
    BOOST_TEST(r.bodies.at(0) == "helloworld");
  }
  {
    const auto r = parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n",
                         {.max_body_bytes = 10});
    BOOST_TEST(!r.error);
    BOOST_TEST(r.bodies.at(0) == "helloworld");
  }
}

BOOST_AUTO_TEST_CASE(rejections_carry_their_status) {
  for (const auto& v : rejections()) {
    BOOST_TEST_CONTEXT(v.name) {
      const auto r = parse(v.bytes, v.limits);
      BOOST_TEST(r.heads.empty());
      BOOST_REQUIRE(r.error);
      BOOST_TEST(r.error.category().name() == std::string("actorhost.http"));
      BOOST_TEST_INFO("error: " << r.error.message());
      if (v.error) BOOST_TEST(r.error.value() == static_cast<int>(*v.error));
      BOOST_TEST(status_for(r.error) == v.status);
    }
  }
}

BOOST_AUTO_TEST_CASE(valid_hosts_and_targets_are_accepted) {
  for (const std::string head : {"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "GET / HTTP/1.1\r\nHost: \r\n\r\n",
                                 "GET / HTTP/1.1\r\nHost: a.b-c_d~e%41!$&'()*+,;=:80\r\n\r\n",
                                 "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
                                 "GET http://example.com:8080/a?b HTTP/1.1\r\nHost: other\r\n\r\n",
                                 "GET / HTTP/1.0\r\n\r\n"}) {
    BOOST_TEST_CONTEXT(head) {
      const auto r = parse(head);
      BOOST_TEST_INFO("error: " << r.error.message());
      BOOST_TEST(!r.error);
      BOOST_TEST(r.heads.size() == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_http09_line_is_refused_as_soon_as_it_ends) {
  // Before, llhttp waited for a second line that never came, until the header timeout.
  http_parser p;
  const auto r = p.feed(std::string_view("GET /\r\n"));
  BOOST_TEST((r.what == event::error));
  BOOST_TEST((p.error() == http_error::no_version));
}

BOOST_AUTO_TEST_CASE(a_chunk_over_the_limit_is_refused_at_its_size_line) {
  // 16 GiB declared: refused when the size line ends, with nothing of the data read.
  http_parser p({.max_body_bytes = 1024});
  auto r = p.feed(std::string_view("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  BOOST_TEST((r.what == event::head_complete));
  r = p.feed(std::string_view("400000000\r\n"));
  BOOST_TEST((r.what == event::error));
  BOOST_TEST((p.error() == http_error::body_too_large));
}

BOOST_AUTO_TEST_CASE(oversized_content_length_is_rejected_before_head_complete) {
  // The caller never sees the head, so it can never answer 100 Continue to it.
  http_parser p({.max_body_bytes = 10});
  const auto r = p.feed(std::string_view("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n"));
  BOOST_TEST((r.what == event::error));
  BOOST_TEST((p.error() == http_error::body_too_large));
}

BOOST_AUTO_TEST_CASE(chunked_overflow_is_rejected_after_head_complete) {
  const auto r = parse(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
      {.max_body_bytes = 10});
  BOOST_TEST(r.continues == 1);
  BOOST_TEST((r.error == http_error::body_too_large));
}

// A caller that streams the body drains body() as bytes arrive; the limit still counts
// every byte of the request.
BOOST_AUTO_TEST_CASE(body_limit_counts_bytes_already_taken_out) {
  const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string& chunks : {std::string("6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"),
                                    std::string("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n")}) {
    BOOST_TEST_CONTEXT(chunks) {
      http_parser p({.max_body_bytes = 10});
      BOOST_REQUIRE((p.feed(head).what == event::head_complete));
      std::string streamed;
      event last = event::need_more;
      for (char c : chunks) {
        last = p.feed(std::span(&c, 1)).what;
        streamed += p.body();
        p.body().clear();
        if (last != event::need_more) break;
      }
      if (chunks.starts_with("6")) {
        BOOST_TEST((last == event::error));
        BOOST_TEST((p.error() == http_error::body_too_large));
      } else {
        BOOST_TEST((last == event::message_complete));
        BOOST_TEST(streamed == "helloworld");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_are_sticky) {
  http_parser p;
  const std::string bad = "GET / HTTP/2.0\r\nHost: x\r\n\r\n";
  auto r = p.feed(bad);
  BOOST_TEST((r.what == event::error));
  BOOST_TEST((p.error() == http_error::unsupported_version));
  BOOST_TEST(!p.error_reason().empty());
  r = p.feed(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  BOOST_TEST((r.what == event::error));
  BOOST_TEST(r.consumed == 0u);
  BOOST_TEST((p.error() == http_error::unsupported_version));
}

BOOST_AUTO_TEST_CASE(bad_request_reason_comes_from_llhttp) {
  http_parser p;
  const auto r = p.feed(std::string_view("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"));
  BOOST_TEST((r.what == event::error));
  BOOST_TEST((p.error() == http_error::bad_request));
  BOOST_TEST(p.error_reason() != p.error().message());
  BOOST_TEST(!p.error_reason().empty());
}

BOOST_AUTO_TEST_CASE(status_for_every_error) {
  struct row {
    http_error e;
    int status;
  };
  const std::vector<row> rows = {
      {http_error::bad_request, 400},       {http_error::uri_too_long, 414},  {http_error::headers_too_large, 431},
      {http_error::too_many_headers, 431},  {http_error::body_too_large, 413}, {http_error::missing_host, 400},
      {http_error::duplicate_host, 400},    {http_error::obs_fold, 400},      {http_error::unsupported_version, 505},
  };
  for (const auto& row : rows) {
    const std::error_code ec = row.e; // via is_error_code_enum
    BOOST_TEST_CONTEXT(ec.message()) {
      BOOST_TEST(status_for(ec) == row.status);
      BOOST_TEST((ec.category() == actorhost::codec::http_category()));
      BOOST_TEST(ec.message() != "unknown http error");
      BOOST_TEST(!ec.message().empty());
    }
  }
  // Errors of other categories are the client's fault too, as far as the parser knows.
  BOOST_TEST(status_for(std::make_error_code(std::errc::invalid_argument)) == 400);
  BOOST_TEST(actorhost::codec::http_category().message(999) == "unknown http error");
}

// parsegrind: each valid vector split at every offset into two feeds, then fed byte by byte,
// parses to exactly what the whole buffer parses to.
BOOST_AUTO_TEST_CASE(parsegrind_valid_vectors) {
  for (const auto& v : valid_vectors()) {
    BOOST_TEST_CONTEXT(v.name) {
      const auto whole = describe(parse(v.bytes));
      BOOST_REQUIRE_EQUAL(whole.size(), v.requests.size() + 1);
      for (const auto& split : two_way_splits(v.bytes)) {
        BOOST_TEST_CONTEXT("split at " << split[0].size()) {
          const auto got = describe(parse_chunks(split));
          BOOST_TEST(got == whole, boost::test_tools::per_element());
        }
      }
      const auto got = describe(parse_chunks(byte_by_byte(v.bytes)));
      BOOST_TEST(got == whole, boost::test_tools::per_element());
    }
  }
}

// The same for rejections: where the input is cut does not change the verdict.
BOOST_AUTO_TEST_CASE(parsegrind_rejections) {
  for (const auto& v : rejections()) {
    BOOST_TEST_CONTEXT(v.name) {
      const auto whole = parse(v.bytes, v.limits).error;
      BOOST_REQUIRE(whole);
      for (const auto& split : two_way_splits(v.bytes)) {
        BOOST_TEST_CONTEXT("split at " << split[0].size()) {
          BOOST_TEST(parse_chunks(split, v.limits).error == whole);
        }
      }
      BOOST_TEST(parse_chunks(byte_by_byte(v.bytes), v.limits).error == whole);
    }
  }
}

// ---- Rules llhttp 8.1 alone would get wrong, which the wrapper enforces. ----

// Obsolete line folding is rejected (RFC 9112 §5.2). llhttp 8.1 drops the CRLF before
// on_header_value, so scan_head() finds a head line that starts with SP or HTAB itself.
BOOST_AUTO_TEST_CASE(obs_fold_is_rejected) {
  for (const char* bytes : {"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  b\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n"}) {
    BOOST_TEST_CONTEXT(bytes) {
      const auto r = parse(bytes);
      BOOST_TEST((r.error == http_error::obs_fold));
    }
  }
}

// Trailer fields of a chunked body are not merged into head().fields, so a trailer cannot
// add a second Host or any header a handler trusts (RFC 9110 §6.5.1).
BOOST_AUTO_TEST_CASE(trailer_fields_are_not_merged_into_the_head) {
  const auto r = parse(
      "POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nHost: evil\r\nX-Trailer: t\r\n\r\n");
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  BOOST_TEST(r.bodies[0] == "abc");
  BOOST_TEST(r.heads[0].fields.size() == 2u);
  int hosts = 0;
  for (const auto& f : r.heads[0].fields) hosts += f.name == "Host";
  BOOST_TEST(hosts == 1);
}

// A field name is a token (RFC 9110 §5.1); the non-strict llhttp build would accept a space
// inside one ("X Y: z" as a field named "X Y"), so the strict build is used.
BOOST_AUTO_TEST_CASE(space_inside_field_name_is_rejected) {
  const auto r = parse("GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n");
  BOOST_TEST((r.error == http_error::bad_request));
}

// Several extensions on one chunk are valid (RFC 9112 §7.1.1: chunk-ext = *( ";" name
// [ "=" value ] )), but llhttp 8.1.0 (Debian 12's) consumes the ';' after a value and then
// fails with "Invalid character in chunk size". No client of ours sends extensions, so what
// matters is that such a body is refused cleanly (400, nothing of it delivered) rather than
// misread; one extension, with or without a value, is accepted.
BOOST_AUTO_TEST_CASE(chunk_extensions_one_is_read_several_are_refused_cleanly) {
  for (const char* ext : {"3;a\r\n", "3;a=b\r\n", "3;a=\"q q\"\r\n"}) {
    const auto r = parse(std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") + ext +
                         "abc\r\n0\r\n\r\n");
    BOOST_TEST_CONTEXT(ext) {
      BOOST_TEST(!r.error);
      BOOST_REQUIRE_EQUAL(r.bodies.size(), 1u);
      BOOST_TEST(r.bodies[0] == "abc");
    }
  }
  const auto r = parse(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=b;c=d\r\nabc\r\n0\r\n\r\n");
  BOOST_TEST((r.error == http_error::bad_request));
  BOOST_TEST(status_for(r.error) == 400);
  BOOST_TEST(r.bodies.empty());
}

// max_head_bytes counts every byte of the head, the whitespace llhttp skips before a value
// included; counting only method, target, names and values would let a head of any size pass.
BOOST_AUTO_TEST_CASE(head_limit_counts_every_byte_of_the_head) {
  const auto r = parse("GET / HTTP/1.1\r\nHost: x\r\nX:" + repeat(' ', 4096) + "v\r\n\r\n", {.max_head_bytes = 1024});
  BOOST_TEST((r.error == http_error::headers_too_large));
}

BOOST_AUTO_TEST_SUITE_END()
