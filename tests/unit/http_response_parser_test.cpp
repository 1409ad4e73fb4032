// http_response_parser: table-driven vectors (Content-Length, chunked, bodies delimited by the
// close, HEAD/1xx/204/304 without a body, 101), every rejection with its error, and a
// parsegrind: every valid stream split at every byte offset, and fed byte by byte, must parse
// to the same responses as the whole buffer.
#include "actorhost/codec/http_response_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using actorhost::codec::http_response_error;
using actorhost::codec::http_response_limits;
using actorhost::codec::http_response_parser;
using actorhost::codec::response_head;
using event = http_response_parser::event;

namespace {

struct parsed {
  std::vector<response_head> heads;
  std::vector<std::string> bodies;
  std::error_code error;
  bool closed = false;       // finish() said the stream ended between responses
  std::string after_upgrade; // the bytes left after a 101
};

// Feeds `chunks` as a connection would, announcing a HEAD request before the responses whose
// index is in `head_requests`, then, with `eof`, the end of the stream.
parsed parse_chunks(const std::vector<std::string>& chunks, bool eof, const std::vector<std::size_t>& head_requests = {},
                    http_response_limits limits = {}) {
  http_response_parser p(limits);
  parsed out;
  auto announce = [&] {
    const std::size_t index = out.heads.size();
    p.expect_head_response(std::find(head_requests.begin(), head_requests.end(), index) != head_requests.end());
  };
  announce();
  for (const auto& chunk : chunks) {
    std::size_t pos = 0;
    while (pos < chunk.size() || chunk.empty()) {
      if (p.upgraded()) {
        out.after_upgrade += chunk.substr(pos);
        pos = chunk.size();
        break;
      }
      const auto r = p.feed({chunk.data() + pos, chunk.size() - pos});
      BOOST_REQUIRE_LE(r.consumed, chunk.size() - pos);
      pos += r.consumed;
      if (r.what == event::need_more) {
        BOOST_REQUIRE_EQUAL(pos, chunk.size());
        break;
      }
      if (r.what == event::error) {
        out.error = p.error();
        return out;
      }
      BOOST_REQUIRE(r.what == event::message_complete);
      out.heads.push_back(p.head());
      out.bodies.push_back(p.body());
      announce();
    }
  }
  if (eof) {
    const auto r = p.finish();
    if (r.what == event::message_complete) {
      out.heads.push_back(p.head());
      out.bodies.push_back(p.body());
    } else if (r.what == event::closed) {
      out.closed = true;
    } else {
      BOOST_REQUIRE(r.what == event::error);
      out.error = p.error();
    }
  }
  return out;
}

std::string describe(const response_head& h, const std::string& body) {
  std::string s = "HTTP/1." + std::to_string(h.version_minor) + " " + std::to_string(h.status) + " [" + h.reason + "]\n";
  for (const auto& f : h.fields) s += "[" + f.name + "]: [" + f.value + "]\n";
  s += "keep_alive=" + std::to_string(h.keep_alive) + " upgrade=" + std::to_string(h.upgrade) +
       " chunked=" + std::to_string(h.chunked) + " until_close=" + std::to_string(h.until_close) +
       " content_length=" + (h.content_length ? std::to_string(*h.content_length) : std::string("none")) + "\n";
  s += "body=[" + body + "]";
  return s;
}

std::vector<std::string> describe(const parsed& p) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < p.heads.size(); ++i) out.push_back(describe(p.heads[i], p.bodies[i]));
  out.push_back("error=" + p.error.message() + " closed=" + std::to_string(p.closed) + " after_upgrade=[" +
                p.after_upgrade + "]");
  return out;
}

struct expected_response {
  int status;
  std::string body;
  bool keep_alive = true;
};

struct valid_vector {
  const char* name;
  std::string bytes;
  bool eof; // the connection closes after the bytes
  std::vector<std::size_t> head_requests;
  std::vector<expected_response> responses;
  bool closed = false; // finish() reports a clean close
  std::string after_upgrade;
};

const std::vector<valid_vector>& valid_vectors() {
  static const std::vector<valid_vector> vectors = {
      {"content-length", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", false, {},
       {{200, "hello"}}},
      {"content-length zero", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, {}, {{200, ""}}},
      {"chunked with extensions and trailer",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5;name=value\r\nhello\r\n1\r\n \r\nA;q=\"x;y\"\r\n0123456789\r\n0\r\nX-Checksum: 1\r\n\r\n",
       false, {}, {{200, "hello 0123456789"}}},
      {"read until close", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", true, {},
       {{200, "all of it", false}}},
      {"read until close, empty", "HTTP/1.1 200 OK\r\n\r\n", true, {}, {{200, "", false}}},
      {"http/1.0 until close", "HTTP/1.0 200 OK\r\n\r\nold", true, {}, {{200, "old", false}}},
      {"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", false, {},
       {{200, "ok", true}}},
      {"connection close", "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 4\r\n\r\nnope", true, {},
       {{404, "nope", false}}, true},
      {"two responses on one connection",
       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
       "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n",
       true, {}, {{200, "a"}, {201, "b"}}, true},
      {"head response ignores content-length",
       "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false, {0},
       {{200, ""}, {200, "hi"}}},
      {"head response ignores chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, {0},
       {{200, ""}}},
      {"204 has no body", "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false, {},
       {{204, ""}, {200, "x"}}},
      {"304 ignores content-length",
       "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false,
       {}, {{304, ""}, {200, "x"}}},
      {"interim responses are skipped",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend",
       false, {}, {{200, "end"}}},
      {"101 leaves the rest to the new protocol",
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi", false, {},
       {{101, "", false}}, false, "\x81\x02hi"},
      {"101 without connection upgrade still ends http",
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nGET", false, {}, {{101, "", false}}, false,
       "GET"},
      {"empty reason and whitespace around values", "HTTP/1.1 200 \r\nX-A:   v  \r\nX-B:\r\nContent-Length: 0\r\n\r\n",
       false, {}, {{200, ""}}},
      {"clean close between responses", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", true, {}, {{200, "z"}}, true},
  };
  return vectors;
}

struct rejection {
  const char* name;
  std::string bytes;
  bool eof;
  std::optional<http_response_error> error; // nullopt: any error of the category
  http_response_limits limits = {};
};

std::string many_fields(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "X-F" + std::to_string(i) + ": v\r\n";
  return s;
}

const std::vector<rejection>& rejections() {
  static const std::vector<rejection> vectors = {
      {"not http", "SSH-2.0-OpenSSH\r\n\r\n", false, http_response_error::malformed},
      {"status not a number", "HTTP/1.1 2x0 OK\r\n\r\n", false, http_response_error::malformed},
      {"status below 100", "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n", false, http_response_error::malformed},
      {"status above 599", "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n", false, http_response_error::malformed},
      {"http/2.0", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, std::nullopt},
      {"http/1.2", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", false, std::nullopt},
      {"bad content-length", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", false, http_response_error::malformed},
      {"duplicate content-length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", false,
       http_response_error::malformed},
      {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
       http_response_error::malformed},
      {"chunk longer than its size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", false,
       http_response_error::malformed},
      {"bytes after connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\nHTTP/1.1", false,
       http_response_error::malformed},
      {"head over the limit", "HTTP/1.1 200 OK\r\nX-Big: " + std::string(300, 'v') + "\r\n\r\n", false,
       http_response_error::headers_too_large, {.max_head_bytes = 256}},
      {"trailers over the limit",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + std::string(300, 't') + "\r\n\r\n", false,
       http_response_error::headers_too_large, {.max_head_bytes = 256}},
      {"too many fields", "HTTP/1.1 200 OK\r\n" + many_fields(5) + "\r\n", false, http_response_error::too_many_headers,
       {.max_header_count = 4}},
      {"content-length over the limit", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", false,
       http_response_error::body_too_large, {.max_body_bytes = 10}},
      {"chunked body over the limit",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n", false,
       http_response_error::body_too_large, {.max_body_bytes = 10}},
      {"body until close over the limit", "HTTP/1.1 200 OK\r\n\r\n" + std::string(11, 'b'), true,
       http_response_error::body_too_large, {.max_body_bytes = 10}},
      {"closed inside the head", "HTTP/1.1 200 OK\r\nContent-Le", true, http_response_error::truncated},
      {"closed inside a content-length body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true,
       http_response_error::truncated},
      {"closed inside a chunked body", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", true,
       http_response_error::truncated},
      {"closed after an interim response", "HTTP/1.1 100 Continue\r\n\r\n", true, http_response_error::truncated},
  };
  return vectors;
}

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

BOOST_AUTO_TEST_SUITE(http_response_parser_suite)

BOOST_AUTO_TEST_CASE(simple_response) {
  const auto r = parse_chunks({"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"}, false);
  BOOST_TEST(!r.error);
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  const auto& h = r.heads[0];
  BOOST_TEST(h.status == 200);
  BOOST_TEST(h.reason == "OK");
  BOOST_TEST(h.version_minor == 1);
  BOOST_REQUIRE_EQUAL(h.fields.size(), 2u);
  BOOST_TEST(h.fields[0].name == "Content-Type");
  BOOST_TEST(h.fields[0].value == "application/json");
  BOOST_TEST(h.content_length.value_or(0) == 2u);
  BOOST_TEST(h.keep_alive);
  BOOST_TEST(!h.until_close);
  BOOST_TEST(r.bodies[0] == "{}");
}

BOOST_AUTO_TEST_CASE(valid_vectors_parse_to_their_responses) {
  for (const auto& v : valid_vectors()) {
    BOOST_TEST_CONTEXT(v.name) {
      const auto r = parse_chunks({v.bytes}, v.eof, v.head_requests);
      BOOST_TEST_INFO("error: " << r.error.message());
      BOOST_TEST(!r.error);
      BOOST_REQUIRE_EQUAL(r.heads.size(), v.responses.size());
      for (std::size_t i = 0; i < v.responses.size(); ++i) {
        BOOST_TEST(r.heads[i].status == v.responses[i].status);
        BOOST_TEST(r.bodies[i] == v.responses[i].body);
        BOOST_TEST(r.heads[i].keep_alive == v.responses[i].keep_alive);
      }
      BOOST_TEST(r.closed == v.closed);
      BOOST_TEST(r.after_upgrade == v.after_upgrade);
    }
  }
}

BOOST_AUTO_TEST_CASE(body_framing_is_reported) {
  const auto chunked = parse_chunks({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}, false);
  BOOST_REQUIRE_EQUAL(chunked.heads.size(), 1u);
  BOOST_TEST(chunked.heads[0].chunked);
  BOOST_TEST(!chunked.heads[0].until_close);
  const auto until_close = parse_chunks({"HTTP/1.1 200 OK\r\n\r\nx"}, true);
  BOOST_REQUIRE_EQUAL(until_close.heads.size(), 1u);
  BOOST_TEST(until_close.heads[0].until_close);
  BOOST_TEST(!until_close.heads[0].keep_alive);
  const auto head = parse_chunks({"HTTP/1.1 200 OK\r\n\r\n"}, false, {0});
  BOOST_REQUIRE_EQUAL(head.heads.size(), 1u); // a HEAD answer without Content-Length ends at its head
  BOOST_TEST(!head.heads[0].until_close);
  BOOST_TEST(head.heads[0].keep_alive);
}

BOOST_AUTO_TEST_CASE(fields_keep_their_spelling_without_trailing_whitespace) {
  const auto r = parse_chunks({"HTTP/1.1 200 \r\nX-A:   v  \r\nx-b:\r\nContent-Length: 0\r\n\r\n"}, false);
  BOOST_REQUIRE_EQUAL(r.heads.size(), 1u);
  const auto& f = r.heads[0].fields;
  BOOST_REQUIRE_EQUAL(f.size(), 3u);
  BOOST_TEST(f[0].name == "X-A");
  BOOST_TEST(f[0].value == "v");
  BOOST_TEST(f[1].name == "x-b");
  BOOST_TEST(f[1].value == "");
  BOOST_TEST(r.heads[0].reason == "");
}

BOOST_AUTO_TEST_CASE(an_upgrade_takes_no_more_bytes) {
  http_response_parser p;
  const std::string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  const std::string bytes = head + "\x81\x05hello";
  const auto r = p.feed(bytes);
  BOOST_TEST((r.what == event::message_complete));
  BOOST_TEST(r.consumed == head.size());
  BOOST_TEST(p.upgraded());
  BOOST_TEST(p.head().upgrade);
  BOOST_TEST(!p.head().keep_alive);
  const auto again = p.feed(std::string_view(bytes).substr(head.size()));
  BOOST_TEST(again.consumed == 0u);
  BOOST_TEST((again.what == event::need_more));
  BOOST_TEST((p.finish().what == event::closed));
}

BOOST_AUTO_TEST_CASE(the_head_flag_applies_to_one_response) {
  // HEAD for the first, then a GET: the second response's Content-Length counts again.
  const auto r = parse_chunks({"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"},
                              false, {0});
  BOOST_TEST(!r.error);
  BOOST_REQUIRE_EQUAL(r.bodies.size(), 2u);
  BOOST_TEST(r.bodies[0] == "");
  BOOST_TEST(r.bodies[1] == "abc");
}

BOOST_AUTO_TEST_CASE(rejections_report_their_error) {
  for (const auto& v : rejections()) {
    BOOST_TEST_CONTEXT(v.name) {
      const auto r = parse_chunks({v.bytes}, v.eof, {}, v.limits);
      BOOST_TEST_INFO("error: " << r.error.message());
      BOOST_TEST((r.error.category() == actorhost::codec::http_response_category()));
      if (v.error) BOOST_TEST(r.error == *v.error);
    }
  }
}

BOOST_AUTO_TEST_CASE(trailer_limits_do_not_depend_on_splits) {
  // 40 bytes of trailers against a 64-byte limit, however they arrive.
  const std::string bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n"
                            "X-One: 1234567890\r\nX-Two: 12345678\r\n\r\n";
  const http_response_limits limits{.max_head_bytes = 64};
  BOOST_TEST(!parse_chunks({bytes}, false, {}, limits).error);
  BOOST_TEST(!parse_chunks(byte_by_byte(bytes), false, {}, limits).error);
  const http_response_limits tight{.max_head_bytes = 32};
  BOOST_TEST(parse_chunks(byte_by_byte(bytes), false, {}, tight).error == http_response_error::headers_too_large);
}

BOOST_AUTO_TEST_CASE(errors_stick) {
  http_response_parser p;
  const std::string bad = "HTTP/1.1 2x0 OK\r\n\r\n";
  BOOST_TEST((p.feed(bad).what == event::error));
  const std::string good = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const auto r = p.feed(good);
  BOOST_TEST((r.what == event::error));
  BOOST_TEST(r.consumed == 0u);
  BOOST_TEST((p.finish().what == event::error));
}

BOOST_AUTO_TEST_CASE(finish_with_nothing_is_a_clean_close) {
  http_response_parser p;
  BOOST_TEST((p.finish().what == event::closed));
}

BOOST_AUTO_TEST_CASE(every_split_parses_alike) {
  for (const auto& v : valid_vectors()) {
    const auto whole = describe(parse_chunks({v.bytes}, v.eof, v.head_requests));
    BOOST_TEST_CONTEXT(v.name) {
      for (const auto& chunks : two_way_splits(v.bytes)) {
        BOOST_TEST_CONTEXT("split at " << chunks[0].size()) {
          BOOST_TEST(describe(parse_chunks(chunks, v.eof, v.head_requests)) == whole, boost::test_tools::per_element());
        }
      }
      BOOST_TEST(describe(parse_chunks(byte_by_byte(v.bytes), v.eof, v.head_requests)) == whole,
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(every_split_fails_alike) {
  for (const auto& v : rejections()) {
    const auto whole = parse_chunks({v.bytes}, v.eof, {}, v.limits).error;
    BOOST_TEST_CONTEXT(v.name) {
      for (const auto& chunks : two_way_splits(v.bytes)) {
        BOOST_TEST_CONTEXT("split at " << chunks[0].size()) {
          BOOST_TEST(parse_chunks(chunks, v.eof, {}, v.limits).error == whole);
        }
      }
      BOOST_TEST(parse_chunks(byte_by_byte(v.bytes), v.eof, {}, v.limits).error == whole);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
