// serializer: the server computes framing (RFC 9112 §6); HEAD gets the GET framing without a
// body (RFC 9110 §9.3.2); 1xx/204/304 carry neither; chunk framing is exact.
#include "actorhost/http/serializer.hpp"

#include <boost/test/unit_test.hpp>

#include <cctype>
#include <string>
#include <vector>

using actorhost::http::append_chunk;
using actorhost::http::append_last_chunk;
using actorhost::http::body_writer;
using actorhost::http::head_options;
using actorhost::http::response;
using actorhost::http::serialize_response;

namespace {

std::string serialize(const response& r, head_options opts = {}) {
  std::string out;
  serialize_response(out, r, opts);
  return out;
}

asio::awaitable<void> no_chunks(body_writer) { co_return; }

} // namespace

BOOST_AUTO_TEST_SUITE(serializer_suite)

BOOST_AUTO_TEST_CASE(response_vectors) {
  struct row {
    const char* name;
    response res;
    head_options opts;
    std::string wire;
  };
  const std::vector<row> rows = {
      {"text", response("hello"), {},
       "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 5\r\n\r\nhello"},
      {"empty 200", response(), {}, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {"json 201", response::json(R"({"a":1})", 201), {},
       "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"},
      {"with date", response("x"), {.date = "Sun, 06 Nov 1994 08:49:37 GMT"},
       "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Type: text/plain;charset=UTF-8\r\n"
       "Content-Length: 1\r\n\r\nx"},
      {"close", response("x"), {.close = true, .date = {}},
       "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"},
      {"head request", response("hello"), {.head_request = true, .date = {}},
       "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 5\r\n\r\n"},
      {"204 with a body set", response("ignored", 204), {},
       "HTTP/1.1 204 No Content\r\nContent-Type: text/plain;charset=UTF-8\r\n\r\n"},
      {"304", response::empty(304, {{"ETag", "\"v1\""}}), {}, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n"},
      {"101 names the upgrade in Connection", response::empty(101, {{"Upgrade", "websocket"}, {"Connection", "close"}}),
       {.head_request = false, .close = true, .date = {}},
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
      {"100", response::empty(100), {}, "HTTP/1.1 100 Continue\r\n\r\n"},
      {"unknown status", response::empty(299), {}, "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n"},
      {"404 head", response("Not Found", 404), {.head_request = true, .close = true, .date = {}},
       "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"},
      {"streaming", response::stream(no_chunks, 200, {{"Content-Type", "text/event-stream"}}), {},
       "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"streaming head", response::stream(no_chunks), {.head_request = true, .date = {}},
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
      {"streaming 204", response::stream(no_chunks, 204), {}, "HTTP/1.1 204 No Content\r\n\r\n"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) { BOOST_TEST(serialize(r.res, r.opts) == r.wire); }
  }
}

BOOST_AUTO_TEST_CASE(handler_framing_fields_are_dropped) {
  response r("abc", 200,
             {{"content-length", "999"},
              {"Transfer-Encoding", "chunked"},
              {"CONNECTION", "keep-alive"},
              {"X-Kept", "1"},
              {"Content-Type", "text/x"}});
  BOOST_TEST(serialize(r) == "HTTP/1.1 200 OK\r\nX-Kept: 1\r\nContent-Type: text/x\r\nContent-Length: 3\r\n\r\nabc");
}

BOOST_AUTO_TEST_CASE(repeated_fields_are_written_one_per_line_in_order) {
  response r = response::empty(200, {{"Set-Cookie", "a=1"}, {"X", "y"}, {"Set-Cookie", "b=2"}});
  BOOST_TEST(serialize(r) == "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX: y\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(serialize_appends) {
  std::string out = "previous";
  serialize_response(out, response::empty(204), {});
  BOOST_TEST(out == "previousHTTP/1.1 204 No Content\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(chunk_framing) {
  struct row {
    std::string data;
    std::string wire;
  };
  const std::vector<row> rows = {
      {"", ""}, // an empty chunk would end the body: nothing is written
      {"a", "1\r\na\r\n"},
      {"hello", "5\r\nhello\r\n"},
      {std::string(15, 'x'), "f\r\n" + std::string(15, 'x') + "\r\n"},
      {std::string(16, 'x'), "10\r\n" + std::string(16, 'x') + "\r\n"},
      {std::string(255, 'y'), "ff\r\n" + std::string(255, 'y') + "\r\n"},
      {std::string(4096, 'z'), "1000\r\n" + std::string(4096, 'z') + "\r\n"},
      {std::string("a\r\n0\r\n\r\n"), "8\r\na\r\n0\r\n\r\n\r\n"}, // data is opaque
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("size " << r.data.size()) {
      std::string out = "<";
      append_chunk(out, r.data);
      BOOST_TEST(out == "<" + r.wire);
    }
  }
  std::string last;
  append_last_chunk(last);
  BOOST_TEST(last == "0\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(date_cache_writes_an_imf_fixdate) {
  actorhost::http::date_cache dates;
  const std::string d(dates.now());
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  BOOST_REQUIRE_EQUAL(d.size(), 29u);
  BOOST_TEST(d.substr(3, 2) == ", ");
  BOOST_TEST(d.substr(25) == " GMT");
  BOOST_TEST(std::isdigit(static_cast<unsigned char>(d[5])));
  BOOST_TEST(d[19] == ':');
  BOOST_TEST(d[22] == ':');
  const std::string again(dates.now());
  BOOST_TEST(again.size() == 29u);
}

// A field value with CR LF (e.g. a Location built from a percent-decoded route parameter)
// would split the response: like the W3C Headers class, headers refuse it.
BOOST_AUTO_TEST_CASE(field_values_cannot_inject_lines) {
  BOOST_CHECK_THROW(response::empty(302, {{"Location", "/next\r\nSet-Cookie: session=attacker"}}), std::invalid_argument);
  actorhost::http::headers h;
  BOOST_CHECK_THROW(h.append("X-A", std::string("a\0b", 3)), std::invalid_argument);
  BOOST_CHECK_THROW(h.set("Bad Name", "v"), std::invalid_argument);
  BOOST_CHECK_THROW(h.set("", "v"), std::invalid_argument);
  h.set("X-Ok", "tab\tand spaces are fine");
  BOOST_TEST(h.first("x-ok").value() == "tab\tand spaces are fine");
}

BOOST_AUTO_TEST_SUITE_END()
