// headers: W3C Headers semantics with case-insensitive names and insertion order kept.
#include "actorhost/http/headers.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <vector>

using actorhost::http::headers;
using actorhost::http::iequals;

namespace {

std::vector<std::string> lines(const headers& h) {
  std::vector<std::string> out;
  for (const auto& f : h) out.push_back(f.name + ": " + f.value);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(headers_suite)

BOOST_AUTO_TEST_CASE(iequals_folds_ascii_letters_only) {
  BOOST_TEST(iequals("Content-Length", "content-length"));
  BOOST_TEST(iequals("", ""));
  BOOST_TEST(!iequals("a", "ab"));
  BOOST_TEST(!iequals("[", "{")); // 0x5B vs 0x7B: not letters
  BOOST_TEST(!iequals("@", "`"));
  BOOST_TEST(!iequals("\xc0", "\xe0")); // no Latin-1 folding
  BOOST_TEST(!iequals("-", "\r"));
}

BOOST_AUTO_TEST_CASE(get_joins_repeated_fields) {
  const headers h{{"Accept", "a"}, {"X", "1"}, {"accept", "b"}};
  BOOST_TEST(h.get("ACCEPT").value_or("") == "a, b");
  BOOST_TEST(h.first("accept").value_or("") == "a");
  BOOST_TEST(h.get_all("Accept") == (std::vector<std::string_view>{"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(!h.get("missing").has_value());
  BOOST_TEST(!h.first("missing").has_value());
  BOOST_TEST(h.get_all("missing").empty());
  BOOST_TEST(h.has("x"));
  BOOST_TEST(!h.has("y"));
  BOOST_TEST(h.size() == 3u);
}

BOOST_AUTO_TEST_CASE(empty_values_are_present) {
  const headers h{{"X-Empty", ""}};
  BOOST_TEST(h.has("x-empty"));
  BOOST_TEST(h.get("x-empty").value_or("(none)") == "");
}

BOOST_AUTO_TEST_CASE(set_replaces_in_place_and_removes_the_rest) {
  headers h{{"A", "1"}, {"B", "2"}, {"a", "3"}, {"C", "4"}};
  h.set("a", "new");
  BOOST_TEST(lines(h) == (std::vector<std::string>{"A: new", "B: 2", "C: 4"}), boost::test_tools::per_element());
  h.set("D", "5");
  BOOST_TEST(lines(h) == (std::vector<std::string>{"A: new", "B: 2", "C: 4", "D: 5"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(append_and_remove) {
  headers h;
  BOOST_TEST(h.empty());
  h.append("Set-Cookie", "a=1");
  h.append("X", "y");
  h.append("set-cookie", "b=2");
  BOOST_TEST(lines(h) == (std::vector<std::string>{"Set-Cookie: a=1", "X: y", "set-cookie: b=2"}),
             boost::test_tools::per_element());
  h.remove("SET-COOKIE");
  BOOST_TEST(lines(h) == (std::vector<std::string>{"X: y"}), boost::test_tools::per_element());
  h.remove("absent");
  BOOST_TEST(h.size() == 1u);
}

BOOST_AUTO_TEST_CASE(built_from_parsed_fields) {
  std::vector<actorhost::http::field> fields{{"Host", "x"}, {"X-Foo", "bar"}};
  const headers h(std::move(fields));
  BOOST_TEST(h.fields().size() == 2u);
  BOOST_TEST(h.first("host").value_or("") == "x");
}

BOOST_AUTO_TEST_SUITE_END()
