// router: pattern matching as a table, and router::handle driven on an io_context that the
// test steps itself (poll/run): no sockets, no sleeps.
#include "actorhost/http/router.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <boost/test/unit_test.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using actorhost::http::request;
using actorhost::http::response;
using actorhost::http::route_params;
using actorhost::http::route_pattern;
using actorhost::http::url;

namespace {

struct test_context {
  std::string who;
  std::shared_ptr<asio::steady_timer> gate; // when set, handlers wait on it before answering
};

using test_router = actorhost::http::router<test_context>;
using maybe_response = std::optional<response>;

// "tag METHOD id=<id> post=<post>", so a test sees which route ran and what it was given.
asio::awaitable<maybe_response> tagged(std::string tag, test_context ctx, request req, route_params params) {
  if (ctx.gate) {
    auto [ec] = co_await ctx.gate->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    (void)ec;
  }
  std::string body = tag + " " + req.method();
  if (params.get("id")) body += " id=" + std::string(params["id"]);
  if (params.get("post")) body += " post=" + std::string(params["post"]);
  if (!ctx.who.empty()) body += " who=" + ctx.who;
  co_return response(std::move(body));
}

test_router::handler tag(std::string t) {
  return [t](test_context c, request r, route_params p) { return tagged(t, std::move(c), std::move(r), std::move(p)); };
}

asio::awaitable<maybe_response> no_response(test_context, request, route_params) { co_return std::nullopt; }

asio::awaitable<maybe_response> throws(test_context, request, route_params) {
  throw std::runtime_error("handler failed");
  co_return std::nullopt;
}

struct outcome {
  bool done = false;
  std::exception_ptr error;
  maybe_response res;
};

// Starts router.handle() on `io`; the caller steps `io` and reads the outcome.
std::shared_ptr<outcome> start(asio::io_context& io, const test_router& r, test_context ctx, std::string method,
                               std::string path) {
  auto out = std::make_shared<outcome>();
  asio::co_spawn(io, r.handle(std::move(ctx), request(std::move(method), url("http://actor" + path))),
                 [out](std::exception_ptr e, maybe_response res) {
                   out->done = true;
                   out->error = e;
                   out->res = std::move(res);
                 });
  return out;
}

outcome run(const test_router& r, std::string method, std::string path, test_context ctx = {}) {
  asio::io_context io;
  auto out = start(io, r, std::move(ctx), std::move(method), std::move(path));
  io.run();
  BOOST_REQUIRE(out->done);
  return std::move(*out);
}

test_router sample_router() {
  test_router r;
  r.get("/users/:id", tag("get-user"))
      .post("/users/:id", tag("post-user"))
      .get("/users/:id/posts/:post", tag("get-post"))
      .del("/users/:id", tag("del-user"))
      .all("/any", tag("any"))
      .get("/files/*", tag("files"))
      .get("/first", tag("first"))
      .get("/first", tag("second"))
      .put("/put", tag("put"))
      .patch("/patch", tag("patch"))
      .get("/none", no_response)
      .get("/throws", throws);
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(router_suite)

BOOST_AUTO_TEST_CASE(pattern_match_table) {
  struct row {
    std::string pattern;
    std::string path;
    bool matches;
    std::vector<std::pair<std::string, std::string>> params;
  };
  const std::vector<row> rows = {
      {"/", "/", true, {}},
      {"/", "", true, {}},
      {"/", "/a", false, {}},
      {"/a", "/a", true, {}},
      {"/a", "/a/", true, {}}, // a trailing slash is not a segment
      {"/a", "/A", false, {}},
      {"/a", "/b", false, {}},
      {"/a", "/a/b", false, {}},
      {"/a/b", "/a", false, {}},
      {"/a/b", "/a//b", false, {}},
      {"/a//b", "/a//b", true, {}},
      {"/users/:id", "/users/42", true, {{"id", "42"}}},
      {"/users/:id", "/users/", false, {}},
      {"/users/:id", "/users//", false, {}},
      {"/users/:id", "/users", false, {}},
      {"/users/:id", "/users/a%2Fb", true, {{"id", "a/b"}}},
      {"/users/:id", "/users/caf%C3%A9", true, {{"id", "caf\xc3\xa9"}}},
      {"/users/:id", "/users/a+b", true, {{"id", "a+b"}}},
      {"/users/:id", "/users/%zz", false, {}},
      {"/users/:id", "/users/1/2", false, {}},
      {"/users/:id/posts/:post", "/users/1/posts/2", true, {{"id", "1"}, {"post", "2"}}},
      {"/files/*", "/files/a/b/c", true, {}},
      {"/files/*", "/files/a", true, {}},
      {"/files/*", "/files", true, {}}, // a final * may match nothing
      {"/files/*", "/file", false, {}},
      {"/*", "/anything/at/all", true, {}},
      {"/*", "/", true, {}},
      {"*", "/x", true, {}},
      {"/:a/*", "/x/y/z", true, {{"a", "x"}}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.pattern << " ~ " << r.path) {
      route_params params;
      BOOST_TEST(route_pattern(r.pattern).match(r.path, params) == r.matches);
      if (r.matches)
        for (const auto& [k, v] : r.params) BOOST_TEST(params.get(k).value_or("(missing)") == v);
    }
  }
}

BOOST_AUTO_TEST_CASE(route_params_lookup) {
  route_params p;
  p.add("id", "7");
  BOOST_TEST(p.get("id").value_or("") == "7");
  BOOST_TEST(!p.get("other").has_value());
  BOOST_TEST(p["other"] == "");
  p.clear();
  BOOST_TEST(!p.get("id").has_value());
}

BOOST_AUTO_TEST_CASE(dispatch_table) {
  const auto r = sample_router();
  struct row {
    std::string method;
    std::string path;
    int status;
    std::string body;
  };
  const std::vector<row> rows = {
      {"GET", "/users/42", 200, "get-user GET id=42"},
      {"GET", "/users/42?x=1", 200, "get-user GET id=42"},
      {"GET", "/users/a%20b", 200, "get-user GET id=a b"},
      {"HEAD", "/users/42", 200, "get-user HEAD id=42"}, // HEAD is served by the GET route
      {"POST", "/users/42", 200, "post-user POST id=42"},
      {"DELETE", "/users/42", 200, "del-user DELETE id=42"},
      {"GET", "/users/1/posts/2", 200, "get-post GET id=1 post=2"},
      {"PATCH", "/any", 200, "any PATCH"},
      {"OPTIONS", "/any", 200, "any OPTIONS"},
      {"GET", "/files/a/b", 200, "files GET"},
      {"GET", "/first", 200, "first GET"}, // the first match wins
      {"PUT", "/put", 200, "put PUT"},
      {"PATCH", "/patch", 200, "patch PATCH"},
      {"PUT", "/users/42", 405, "Method Not Allowed"},
      {"POST", "/files/x", 405, "Method Not Allowed"},
      {"GET", "/put", 405, "Method Not Allowed"},
      {"HEAD", "/put", 405, "Method Not Allowed"},
      {"GET", "/nope", 404, "Not Found"},
      {"GET", "/users", 404, "Not Found"},
      {"GET", "/users/%zz", 404, "Not Found"},
  };
  for (const auto& row : rows) {
    BOOST_TEST_CONTEXT(row.method << " " << row.path) {
      const auto out = run(r, row.method, row.path);
      BOOST_TEST(!out.error);
      BOOST_REQUIRE(out.res.has_value());
      BOOST_TEST(out.res->status() == row.status);
      BOOST_TEST(out.res->body() == row.body);
    }
  }
}

BOOST_AUTO_TEST_CASE(params_of_a_route_that_failed_do_not_leak) {
  test_router r;
  r.get("/users/:id/settings", tag("settings")).get("/users/:post/:other", tag("other"));
  const auto out = run(r, "GET", "/users/7/profile");
  BOOST_REQUIRE(out.res.has_value());
  BOOST_TEST(out.res->body() == "other GET post=7");
}

BOOST_AUTO_TEST_CASE(a_later_route_with_the_right_method_wins_over_405) {
  test_router r;
  r.get("/x", tag("get")).post("/x", tag("post"));
  const auto out = run(r, "POST", "/x");
  BOOST_REQUIRE(out.res.has_value());
  BOOST_TEST(out.res->status() == 200);
  BOOST_TEST(out.res->body() == "post POST");
}

BOOST_AUTO_TEST_CASE(empty_router_answers_404) {
  const test_router r;
  const auto out = run(r, "GET", "/");
  BOOST_REQUIRE(out.res.has_value());
  BOOST_TEST(out.res->status() == 404);
}

BOOST_AUTO_TEST_CASE(handler_without_response_passes_through) {
  const auto out = run(sample_router(), "GET", "/none");
  BOOST_TEST(!out.error);
  BOOST_TEST(!out.res.has_value());
}

BOOST_AUTO_TEST_CASE(handler_exceptions_propagate) {
  const auto out = run(sample_router(), "GET", "/throws");
  BOOST_REQUIRE(out.error);
  BOOST_CHECK_THROW(std::rethrow_exception(out.error), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(context_reaches_a_handler_that_suspends) {
  const auto r = sample_router();
  asio::io_context io;
  test_context ctx{"alice", std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max())};
  auto out = start(io, r, ctx, "GET", "/users/9");
  io.poll();
  BOOST_TEST(!out->done); // parked on the gate
  ctx.gate->cancel();
  io.poll();
  BOOST_REQUIRE(out->done);
  BOOST_TEST(!out->error);
  BOOST_REQUIRE(out->res.has_value());
  BOOST_TEST(out->res->body() == "get-user GET id=9 who=alice");
}

BOOST_AUTO_TEST_CASE(several_requests_interleave_on_one_context) {
  const auto r = sample_router();
  asio::io_context io;
  test_context slow{"slow", std::make_shared<asio::steady_timer>(io, asio::steady_timer::time_point::max())};
  auto a = start(io, r, slow, "GET", "/users/1");
  auto b = start(io, r, test_context{"fast", nullptr}, "GET", "/users/2");
  io.poll();
  BOOST_TEST(!a->done);
  BOOST_REQUIRE(b->done);
  BOOST_REQUIRE(b->res.has_value());
  BOOST_TEST(b->res->body() == "get-user GET id=2 who=fast");
  slow.gate->cancel();
  io.poll();
  BOOST_REQUIRE(a->done);
  BOOST_REQUIRE(a->res.has_value());
  BOOST_TEST(a->res->body() == "get-user GET id=1 who=slow");
}

// RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405
// response". router::handle answers 405 without one.
BOOST_AUTO_TEST_CASE(method_not_allowed_lists_allowed_methods) {
  const auto out = run(sample_router(), "PUT", "/users/42");
  BOOST_REQUIRE(out.res.has_value());
  BOOST_REQUIRE_EQUAL(out.res->status(), 405);
  BOOST_TEST(out.res->headers().first("allow").value_or("") == "GET, HEAD, POST, DELETE");
}

BOOST_AUTO_TEST_SUITE_END()
