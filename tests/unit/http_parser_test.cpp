#include "actorhost/codec/http_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using actorhost::codec::http_error;
using actorhost::codec::http_parser;
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

BOOST_AUTO_TEST_SUITE_END()
