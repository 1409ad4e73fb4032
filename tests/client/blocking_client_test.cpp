// The blocking client against the real actorhost: fetch, resolve and typed errors from plain
// code, WebSocket sends and receives that block (with and without a timeout), many threads on
// one client, the action route, calls after the client is gone, and the host's own clean exit
// on SIGTERM after serving this client.
#include "test_support.hpp"

#include "actorhost/client/blocking_client.hpp"

#include <rapidjson/document.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace client = actorhost::client;
namespace http = actorhost::http;
using actorhost::testing::fresh_key;
using actorhost::testing::parse;
using actorhost::testing::shared_host;

namespace {

std::string type_of(const std::optional<http::websocket_message>& m) {
  BOOST_REQUIRE(m.has_value());
  auto doc = parse(m->text());
  BOOST_REQUIRE(doc.IsObject() && doc.HasMember("type"));
  return doc["type"].GetString();
}

} // namespace

BOOST_AUTO_TEST_SUITE(blocking_client_suite)

BOOST_AUTO_TEST_CASE(fetch_resolve_and_typed_errors) {
  client::blocking_client c(shared_host().url());
  auto h = c.get("httpActor").get_or_create({fresh_key("blocking")});
  http::response hello = h.fetch("/api/hello");
  BOOST_TEST(hello.status() == 200);
  BOOST_TEST(parse(hello.text())["message"].GetString() == std::string("Hello from actor!"));
  http::response echo = h.fetch("/api/echo", {.method = "POST", .headers = {{"Content-Type", "text/plain"}}, .body = "blocking"});
  BOOST_TEST(echo.body() == "blocking");
  const std::string id = h.resolve();
  BOOST_TEST(id.size() == 16u);
  BOOST_TEST(c.get("httpActor").get_for_id(id).resolve() == id);
  BOOST_CHECK_EXCEPTION(c.get("httpActor").get({fresh_key("nope")}).resolve(), client::actor_error_response,
                        [](const client::actor_error_response& e) { return e.code() == "actor_not_found" && e.status() == 404; });
  http::response missing = c.get("httpActor").get({fresh_key("nope")}).fetch("/api/hello");
  BOOST_TEST(missing.status() == 404);
}

BOOST_AUTO_TEST_CASE(websocket_calls_block) {
  client::blocking_client c(shared_host().url());
  auto ws = c.get("websocketActor").get_or_create({fresh_key("blocking-ws")}).websocket();
  BOOST_TEST(ws.protocol() == "rivetkit");
  BOOST_TEST((ws.state() == http::websocket::ready_state::open));
  BOOST_TEST(type_of(ws.receive(std::chrono::seconds(10))) == "welcome");
  BOOST_TEST(ws.send_text(R"({"type":"ping"})"));
  BOOST_TEST(type_of(ws.receive(std::chrono::seconds(10))) == "pong");
  const std::string bytes(1000, '\x01');
  BOOST_TEST(ws.send_binary(bytes));
  auto back = ws.receive();
  BOOST_REQUIRE(back);
  BOOST_TEST(back->binary);
  BOOST_TEST((back->data == bytes));

  // Nothing is coming: the receive gives up, and loses nothing that comes later.
  BOOST_CHECK_EXCEPTION(ws.receive(std::chrono::milliseconds(100)), std::system_error, [](const std::system_error& e) {
    return e.code() == client::client_error::receive_timeout && e.code() == std::errc::timed_out;
  });
  BOOST_TEST(ws.send_text("later"));
  BOOST_TEST(type_of(ws.receive(std::chrono::seconds(10))) == "echo");

  ws.close(1000, "bye");
  BOOST_TEST((ws.state() == http::websocket::ready_state::closed));
  BOOST_TEST(ws.close_code() == 1000);
  BOOST_TEST(!ws.receive().has_value());
  BOOST_TEST(!ws.send_text("closed"));
  BOOST_CHECK_THROW(ws.close(999), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(many_threads_share_one_client) {
  client::client_options options;
  options.max_connections = 4;
  client::blocking_client c(shared_host().url(), options);
  auto actors = c.get("httpActor");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto h = actors.get_or_create({fresh_key("thread-" + std::to_string(t))});
      for (int i = 0; i < 25; ++i) {
        const std::string body = std::to_string(t) + ":" + std::to_string(i);
        try {
          http::response r = h.fetch("/api/echo", {.method = "POST", .body = body});
          if (r.status() == 200 && r.body() == body) ++ok;
        } catch (const std::exception&) {
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(ok.load() == 100);
  BOOST_TEST(c.stats().opened <= 4u);
}

BOOST_AUTO_TEST_CASE(actions_block_too) {
  client::blocking_client c(shared_host().url());
  auto h = c.get("websocketActor").get_or_create({fresh_key("blocking-action")});
  rapidjson::Document stats = h.action("getStats");
  BOOST_REQUIRE(stats.IsObject());
  BOOST_TEST(stats["connectionCount"].GetInt() == 0);
}

BOOST_AUTO_TEST_CASE(handles_outliving_their_client_fail) {
  auto c = std::make_unique<client::blocking_client>(shared_host().url());
  auto h = c->get("httpActor").get_or_create({fresh_key("outlive")});
  BOOST_TEST(h.fetch("/api/hello").status() == 200);
  c.reset();
  BOOST_CHECK_EXCEPTION(h.fetch("/api/hello"), std::system_error,
                        [](const std::system_error& e) { return e.code() == client::client_error::disposed; });
}

BOOST_AUTO_TEST_CASE(a_host_served_by_the_client_exits_cleanly) {
  actorhost::testing::host_process host;
  {
    client::blocking_client c(host.url());
    auto h = c.get("httpActor").get_or_create({"lifecycle"});
    BOOST_TEST(h.fetch("/api/hello").status() == 200);
    auto ws = c.get("websocketActor").get_or_create({"lifecycle"}).websocket();
    BOOST_TEST(type_of(ws.receive(std::chrono::seconds(10))) == "welcome");
    // The host shuts down with the socket open and a kept-alive connection idle.
    BOOST_TEST(host.stop() == 0);
    ws.wait_closed();
    BOOST_TEST(ws.close_code() == 1001);
  }
}

BOOST_AUTO_TEST_SUITE_END()
