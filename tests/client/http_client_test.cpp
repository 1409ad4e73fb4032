// The asynchronous client's HTTP side against the real actorhost: every query kind, fetch with
// bodies, headers and streamed answers, typed errors from resolve, connection parameters,
// keep-alive reuse, and many concurrent handles over one bounded pool.
#include "test_support.hpp"

#include "actorhost/client/client.hpp"

#include <asio/detached.hpp>
#include <asio/this_coro.hpp>
#include <rapidjson/document.h>

#include <exception>
#include <string>
#include <vector>

namespace client = actorhost::client;
namespace http = actorhost::http;
using actorhost::testing::fresh_key;
using actorhost::testing::parse;
using actorhost::testing::run;
using actorhost::testing::shared_host;

namespace {

std::string string_member(const rapidjson::Value& v, const char* name) {
  BOOST_REQUIRE_MESSAGE(v.IsObject() && v.HasMember(name) && v[name].IsString(), "no string member " << name);
  return {v[name].GetString(), v[name].GetStringLength()};
}

// Runs `call` and returns the actor_error_response it throws (failing the test if none).
template <class T>
asio::awaitable<client::actor_error_response> expect_error(asio::awaitable<T> call) {
  try {
    co_await std::move(call);
  } catch (const client::actor_error_response& e) {
    co_return e;
  }
  BOOST_FAIL("expected an actor_error_response");
  co_return client::actor_error_response("", "", "", 0);
}

// A client with a thread of its own.
client::client make_client(client::client_options options = {}) {
  return client::create_client(shared_host().url(), options);
}

// A client on the test's io_context.
asio::awaitable<client::client> local_client(client::client_options options = {}) {
  auto executor = co_await asio::this_coro::executor;
  co_return client::create_client(shared_host().url(), executor, options);
}

// --- query kinds ---

asio::awaitable<void> get_or_create_answers() {
  auto c = co_await local_client();
  auto h = c.get("httpActor").get_or_create({fresh_key("hello")});
  http::response r = co_await h.fetch("/api/hello");
  BOOST_TEST(r.status() == 200);
  BOOST_TEST(r.headers().get("content-type").value_or("") == "application/json");
  BOOST_TEST(string_member(parse(r.text()), "message") == "Hello from actor!");
}

asio::awaitable<void> get_of_an_unknown_key_is_a_404_response() {
  auto c = co_await local_client();
  auto h = c.get("httpActor").get({fresh_key("never-created")});
  http::response r = co_await h.fetch("/api/hello");
  BOOST_TEST(r.status() == 404);
  BOOST_TEST(string_member(parse(r.text()), "c") == "actor_not_found");
}

asio::awaitable<void> create_twice_fails_the_second_time() {
  auto c = co_await local_client();
  const auto key = fresh_key("create");
  auto actors = c.get("httpActor");
  auto create = actors.create({key}, "null");
  http::response first = co_await create.fetch("/api/hello");
  BOOST_TEST(first.status() == 200);
  http::response second = co_await create.fetch("/api/hello");
  BOOST_TEST(second.status() == 400);
  BOOST_TEST(string_member(parse(second.text()), "c") == "actor_already_exists");
  auto get = actors.get({key});
  http::response existing = co_await get.fetch("/api/hello");
  BOOST_TEST(existing.status() == 200);
}

asio::awaitable<void> resolve_names_one_actor_for_every_query_kind() {
  auto c = co_await local_client();
  const auto key = fresh_key("resolve");
  auto actors = c.get("httpActor");
  auto created_on_use = actors.get_or_create({key, "second part"}, R"({"x":[1,2]})");
  const std::string id = co_await created_on_use.resolve();
  BOOST_TEST(id.size() == 16u);
  BOOST_TEST(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  auto by_key_handle = actors.get({key, "second part"});
  const std::string by_key = co_await by_key_handle.resolve();
  BOOST_TEST(by_key == id);
  auto by_id_handle = actors.get_for_id(id);
  const std::string by_id = co_await by_id_handle.resolve();
  BOOST_TEST(by_id == id);
  http::response r = co_await by_id_handle.fetch("/api/hello");
  BOOST_TEST(r.status() == 200);

  auto fresh = actors.create({fresh_key("resolve-create")});
  const std::string created = co_await fresh.resolve();
  BOOST_TEST(created.size() == 16u);
  BOOST_TEST(created != id);
}

asio::awaitable<void> resolve_errors_are_typed() {
  auto c = co_await local_client();
  auto actors = c.get("httpActor");
  auto missing_handle = actors.get({fresh_key("missing")});
  auto missing = co_await expect_error(missing_handle.resolve());
  BOOST_TEST(missing.code() == "actor_not_found");
  BOOST_TEST(missing.status() == 404);
  BOOST_TEST(!missing.message().empty());

  const auto key = fresh_key("taken");
  auto create = actors.create({key});
  const std::string id = co_await create.resolve();
  BOOST_TEST(!id.empty());
  auto taken = co_await expect_error(create.resolve());
  BOOST_TEST(taken.code() == "actor_already_exists");
  BOOST_TEST(taken.status() == 400);

  auto no_id_handle = actors.get_for_id("0000000000000000");
  auto no_id = co_await expect_error(no_id_handle.resolve());
  BOOST_TEST(no_id.code() == "actor_not_found");

  auto unregistered_handle = c.get("noSuchActor").get_or_create({"x"});
  auto unregistered = co_await expect_error(unregistered_handle.resolve());
  BOOST_TEST(unregistered.code() == "actor_not_found");
  BOOST_TEST(unregistered.status() == 404);

  auto locked_handle = c.get("lockedActor").get_or_create({"x"});
  auto locked = co_await expect_error(locked_handle.resolve());
  BOOST_TEST(locked.code() == "forbidden");
  BOOST_TEST(locked.status() == 403);
  http::response locked_fetch = co_await locked_handle.fetch("/");
  BOOST_TEST(locked_fetch.status() == 403);
}

asio::awaitable<void> connection_parameters_reach_on_auth() {
  auto c = co_await local_client();
  auto actors = c.get("authActor");
  const auto key = fresh_key("auth");
  auto anonymous = actors.get_or_create({key});
  auto none = co_await expect_error(anonymous.resolve());
  BOOST_TEST(none.code() == "missing_auth");
  BOOST_TEST(none.status() == 400);

  auto intruder = actors.get_or_create({key}, {}, {.params = R"({"apiKey":"nope"})"});
  http::response wrong = co_await intruder.fetch("/api/whoami");
  BOOST_TEST(wrong.status() == 403);

  auto admitted = actors.get_or_create({key}, {}, {.params = R"({ "apiKey" : "secret" })"});
  http::response who = co_await admitted.fetch("/api/whoami");
  BOOST_TEST(who.status() == 200);
  BOOST_TEST(string_member(parse(who.text()), "userId") == "user123");
}

// --- bodies and headers ---

asio::awaitable<void> echo_returns_every_byte() {
  auto c = co_await local_client();
  auto h = c.get("httpActor").get_or_create({fresh_key("echo")});
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{256}, std::size_t{100'000},
                                 std::size_t{3 * 1024 * 1024}}) {
    BOOST_TEST_CONTEXT("size " << size) {
      std::string body;
      while (body.size() < size) body += bytes;
      body.resize(size);
      client::fetch_init init{.method = "POST", .headers = {{"Content-Type", "application/x-test"}}, .body = body};
      http::response r = co_await h.fetch("/api/echo", std::move(init));
      BOOST_TEST(r.status() == 200);
      BOOST_TEST(r.headers().get("content-type").value_or("") == "application/x-test");
      BOOST_TEST(r.body().size() == body.size());
      BOOST_TEST((r.body() == body));
    }
  }
}

asio::awaitable<void> the_actor_sees_method_path_query_headers_and_body() {
  auto c = co_await local_client();
  auto h = c.get("httpActor").get_or_create({fresh_key("request")});
  client::fetch_init init{.method = "PUT",
                          .headers = {{"X-Custom", "value"}, {"X-Repeated", "1"}, {"X-Repeated", "2"}},
                          .body = "payload"};
  http::response r = co_await h.fetch("/api/request?a=1&b=two words", std::move(init));
  BOOST_TEST(r.status() == 200);
  auto doc = parse(r.text());
  BOOST_TEST(string_member(doc, "method") == "PUT");
  BOOST_TEST(string_member(doc, "pathname") == "/api/request");
  BOOST_TEST(string_member(doc, "search") == "?a=1&b=two%20words");
  BOOST_TEST(string_member(doc, "bodyText") == "payload");
  const auto& headers = doc["headers"];
  BOOST_TEST(string_member(headers, "x-custom") == "value");
  BOOST_TEST(string_member(headers, "x-repeated") == "1, 2");
  BOOST_TEST(string_member(headers, "content-length") == "7");

  // The same through an http::request, as a handler would forward one.
  http::headers forwarded_headers{{"X-From", "request"}};
  http::request forwarded("PATCH", http::url("http://actor/api/request?z=9"), std::move(forwarded_headers), "body text");
  http::response r2 = co_await h.fetch(std::move(forwarded));
  auto doc2 = parse(r2.text());
  BOOST_TEST(string_member(doc2, "method") == "PATCH");
  BOOST_TEST(string_member(doc2, "search") == "?z=9");
  BOOST_TEST(string_member(doc2["headers"], "x-from") == "request");
  BOOST_TEST(string_member(doc2, "bodyText") == "body text");
}

asio::awaitable<void> streamed_answers_arrive_whole() {
  auto c = co_await local_client();
  auto h = c.get("httpActor").get_or_create({fresh_key("events")});
  http::response r = co_await h.fetch("/api/events?count=3&interval=0");
  BOOST_TEST(r.status() == 200);
  BOOST_TEST(r.headers().get("content-type").value_or("").starts_with("text/event-stream"));
  BOOST_TEST(r.text().find("id: 0\n") != std::string_view::npos);
  BOOST_TEST(r.text().find("id: 2\n") != std::string_view::npos);
  // The chunked answer left the connection reusable.
  http::response after = co_await h.fetch("/api/hello");
  BOOST_TEST(after.status() == 200);
  BOOST_TEST(c.stats().opened == 1u);
}

asio::awaitable<void> head_answers_have_no_body_and_keep_the_connection() {
  auto c = co_await local_client();
  auto h = c.get("httpActor").get_or_create({fresh_key("head")});
  client::fetch_init head_init{.method = "HEAD"};
  http::response head = co_await h.fetch("/api/hello", std::move(head_init));
  BOOST_TEST(head.body().empty());
  http::response get = co_await h.fetch("/api/hello");
  BOOST_TEST(get.status() == 200);
  BOOST_TEST(string_member(parse(get.text()), "message") == "Hello from actor!");
  BOOST_TEST(c.stats().opened == 1u);
}

asio::awaitable<void> sequential_requests_share_one_connection() {
  auto c = co_await local_client();
  auto h = c.get("httpActor").get_or_create({fresh_key("keepalive")});
  for (int i = 0; i < 10; ++i) {
    http::response r = co_await h.fetch("/api/hello");
    BOOST_TEST(r.status() == 200);
  }
  const std::string id = co_await h.resolve();
  BOOST_TEST(!id.empty());
  const auto s = c.stats();
  BOOST_TEST(s.opened == 1u);
  BOOST_TEST(s.reused == 10u);
  BOOST_TEST(s.idle == 1u);
  BOOST_TEST(s.busy == 0u);
}

asio::awaitable<void> a_disposed_client_refuses_requests() {
  auto c = co_await local_client();
  auto h = c.get("httpActor").get_or_create({fresh_key("dispose")});
  http::response r = co_await h.fetch("/api/hello");
  BOOST_TEST(r.status() == 200);
  // Requests fail from the moment dispose() returns; the connections close on the strand.
  c.dispose();
  bool refused = false;
  try {
    co_await h.fetch("/api/hello");
  } catch (const std::system_error& e) {
    BOOST_TEST((e.code() == client::client_error::disposed));
    refused = true;
  }
  BOOST_TEST(refused);
}

asio::awaitable<void> resolve_on_own_thread() {
  auto c = make_client();
  auto h = c.get("httpActor").get_or_create({fresh_key("own-thread")});
  const std::string id = co_await h.resolve();
  BOOST_TEST(id.size() == 16u);
  http::response r = co_await h.fetch("/api/hello");
  BOOST_TEST(r.status() == 200);
}

// --- many handles at once ---

struct fan_out {
  int done = 0;
  int failed = 0;
  std::vector<std::string> errors;
};

asio::awaitable<void> echo_once(client::actor_handle h, std::string body, std::shared_ptr<fan_out> tally) {
  try {
    client::fetch_init init{.method = "POST", .headers = {{"Content-Type", "text/plain"}}, .body = body};
    http::response r = co_await h.fetch("/api/echo", std::move(init));
    if (r.status() != 200 || r.body() != body) {
      ++tally->failed;
      tally->errors.push_back("status " + std::to_string(r.status()) + " body " + r.body());
    }
  } catch (const std::exception& e) {
    ++tally->failed;
    tally->errors.push_back(e.what());
  }
  ++tally->done;
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_client_suite)

BOOST_AUTO_TEST_CASE(get_or_create_answers) { run(::get_or_create_answers()); }
BOOST_AUTO_TEST_CASE(get_of_an_unknown_key_is_a_404_response) { run(::get_of_an_unknown_key_is_a_404_response()); }
BOOST_AUTO_TEST_CASE(create_twice_fails_the_second_time) { run(::create_twice_fails_the_second_time()); }
BOOST_AUTO_TEST_CASE(resolve_names_one_actor_for_every_query_kind) { run(::resolve_names_one_actor_for_every_query_kind()); }
BOOST_AUTO_TEST_CASE(resolve_errors_are_typed) { run(::resolve_errors_are_typed()); }
BOOST_AUTO_TEST_CASE(connection_parameters_reach_on_auth) { run(::connection_parameters_reach_on_auth()); }
BOOST_AUTO_TEST_CASE(echo_returns_every_byte) { run(::echo_returns_every_byte()); }
BOOST_AUTO_TEST_CASE(the_actor_sees_method_path_query_headers_and_body) {
  run(::the_actor_sees_method_path_query_headers_and_body());
}
BOOST_AUTO_TEST_CASE(streamed_answers_arrive_whole) { run(::streamed_answers_arrive_whole()); }
BOOST_AUTO_TEST_CASE(head_answers_have_no_body_and_keep_the_connection) {
  run(::head_answers_have_no_body_and_keep_the_connection());
}
BOOST_AUTO_TEST_CASE(sequential_requests_share_one_connection) { run(::sequential_requests_share_one_connection()); }
BOOST_AUTO_TEST_CASE(a_disposed_client_refuses_requests) { run(::a_disposed_client_refuses_requests()); }

BOOST_AUTO_TEST_CASE(concurrent_fetches_across_keys_share_a_bounded_pool) {
  asio::io_context io(1);
  client::client_options options;
  options.max_connections = 16;
  options.max_idle_connections = 16;
  auto c = client::create_client(shared_host().url(), io.get_executor(), options);
  auto actors = c.get("httpActor");
  std::vector<client::actor_handle> handles;
  for (int k = 0; k < 50; ++k) handles.push_back(actors.get_or_create({fresh_key("fan")}));
  auto tally = std::make_shared<fan_out>();
  constexpr int requests = 200;
  for (int i = 0; i < requests; ++i) {
    asio::co_spawn(io, echo_once(handles[static_cast<std::size_t>(i) % handles.size()], "request " + std::to_string(i), tally),
                   asio::detached);
  }
  io.run_for(std::chrono::seconds(60));
  BOOST_TEST(tally->done == requests);
  BOOST_TEST(tally->failed == 0);
  for (const auto& e : tally->errors) BOOST_TEST_MESSAGE("failure: " << e);
  const auto s = c.stats();
  BOOST_TEST(s.opened <= 16u);
  BOOST_TEST(s.opened >= 2u); // they did run side by side
  BOOST_TEST(s.opened + s.reused == static_cast<std::size_t>(requests));
  BOOST_TEST(s.busy == 0u);
  BOOST_TEST(s.idle == s.opened);
}

BOOST_AUTO_TEST_CASE(a_client_with_its_own_thread) {
  // No executor given: the client runs on its own thread; the test's io_context only waits.
  run(::resolve_on_own_thread());
}

BOOST_AUTO_TEST_SUITE_END()
