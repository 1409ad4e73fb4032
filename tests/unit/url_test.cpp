// url: the W3C-URL-shaped view an actor's handler gets. Expected values are what
// `new URL(href)` gives in Node.js 20 for these inputs, except that a fragment is dropped
// from href as well (the host never hands one to an actor: SPEC §3).
#include "actorhost/http/url.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using actorhost::http::url;

BOOST_AUTO_TEST_SUITE(url_suite)

BOOST_AUTO_TEST_CASE(parts_table) {
  struct row {
    std::string in;
    std::string href;
    std::string origin;
    std::string pathname;
    std::string search;
  };
  const std::vector<row> rows = {
      {"http://actor/", "http://actor/", "http://actor", "/", ""},
      {"http://actor", "http://actor/", "http://actor", "/", ""},
      {"http://actor?a=1", "http://actor/?a=1", "http://actor", "/", "?a=1"},
      {"http://actor/p/q?a=1&b=2", "http://actor/p/q?a=1&b=2", "http://actor", "/p/q", "?a=1&b=2"},
      {"http://actor/p?", "http://actor/p?", "http://actor", "/p", ""},
      {"http://actor/p#frag", "http://actor/p", "http://actor", "/p", ""},
      {"http://actor/p?x#frag", "http://actor/p?x", "http://actor", "/p", "?x"},
      {"http://actor/a%20b/c%2Fd?q=%20", "http://actor/a%20b/c%2Fd?q=%20", "http://actor", "/a%20b/c%2Fd", "?q=%20"},
      {"https://example.com:8443/x", "https://example.com:8443/x", "https://example.com:8443", "/x", ""},
      {"http://actor/p?a?b", "http://actor/p?a?b", "http://actor", "/p", "?a?b"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.in) {
      const url u(r.in);
      BOOST_TEST(u.href() == r.href);
      BOOST_TEST(u.origin() == r.origin);
      BOOST_TEST(u.pathname() == r.pathname);
      BOOST_TEST(u.search() == r.search);
    }
  }
}

BOOST_AUTO_TEST_CASE(default_url) {
  const url u;
  BOOST_TEST(u.href() == "http://actor/");
  BOOST_TEST(u.pathname() == "/");
  BOOST_TEST(u.search() == "");
}

BOOST_AUTO_TEST_CASE(search_params_decode) {
  const url u("http://actor/p?a=1&b=x+y&a=2&c=%7B%7D&d");
  const auto params = u.search_params();
  BOOST_REQUIRE_EQUAL(params.size(), 4u + 1u);
  BOOST_TEST(params[1].second == "x y");
  BOOST_TEST(params[3].second == "{}");
  BOOST_TEST(u.search_param("a").value_or("") == "1"); // the first, as URLSearchParams.get does
  BOOST_TEST(u.search_param("d").value_or("(none)") == "");
  BOOST_TEST(!u.search_param("z").has_value());
  BOOST_TEST(url("http://actor/p").search_params().empty());
  BOOST_TEST(url("http://actor/p?").search_params().empty());
}

BOOST_AUTO_TEST_SUITE_END()
