// The client's WebSockets against the real actorhost's websocketActor: the welcome, ping and
// pong, text and binary echoes (small and large, so every frame size class is masked),
// listeners, the close handshake from either side's point of view, setup errors the host
// reports by closing, and the actor's action over the host's action route.
#include "test_support.hpp"

#include "actorhost/client/client.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <vector>

namespace client = actorhost::client;
namespace http = actorhost::http;
using actorhost::testing::fresh_key;
using actorhost::testing::parse;
using actorhost::testing::run;
using actorhost::testing::shared_host;

namespace {

std::string type_of(const http::websocket_message& m) {
  BOOST_REQUIRE(!m.binary);
  auto doc = parse(m.text());
  BOOST_REQUIRE(doc.IsObject() && doc.HasMember("type") && doc["type"].IsString());
  return doc["type"].GetString();
}

asio::awaitable<client::client> local_client() {
  auto executor = co_await asio::this_coro::executor;
  co_return client::create_client(shared_host().url(), executor);
}

asio::awaitable<http::websocket_message> next(std::shared_ptr<http::websocket> ws) {
  auto m = co_await ws->receive();
  BOOST_REQUIRE_MESSAGE(m.has_value(), "the socket closed: " << ws->close_code() << " " << ws->close_reason());
  co_return std::move(*m);
}

asio::awaitable<void> welcome_ping_and_echoes() {
  auto c = co_await local_client();
  auto h = c.get("websocketActor").get_or_create({fresh_key("ws")});
  auto ws = co_await h.websocket("/");
  BOOST_TEST(ws->protocol() == "rivetkit");
  BOOST_TEST(ws->is_open());

  auto welcome = co_await next(ws);
  BOOST_TEST(type_of(welcome) == "welcome");
  BOOST_TEST(parse(welcome.text())["connectionCount"].GetInt() == 1);

  co_await ws->send_text(R"({"type":"ping"})");
  auto pong = co_await next(ws);
  BOOST_TEST(type_of(pong) == "pong");
  BOOST_TEST(parse(pong.text())["timestamp"].IsNumber());

  co_await ws->send_text("plain words");
  auto echo = co_await next(ws);
  BOOST_TEST(type_of(echo) == "echo");
  BOOST_TEST(parse(echo.text())["data"].GetString() == std::string("plain words"));

  co_await ws->send_text(R"({"type":"other","n":[1,2]})");
  auto json_echo = co_await next(ws);
  BOOST_TEST(parse(json_echo.text())["data"]["n"][1].GetInt() == 2);

  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  // 7-bit, 16-bit and 64-bit payload lengths (RFC 6455 §5.2), all masked.
  for (const std::size_t size : {std::size_t{0}, std::size_t{125}, std::size_t{126}, std::size_t{65535},
                                 std::size_t{65536}, std::size_t{300'000}}) {
    BOOST_TEST_CONTEXT("binary of " << size) {
      std::string payload;
      while (payload.size() < size) payload += bytes;
      payload.resize(size);
      co_await ws->send_binary(payload);
      auto back = co_await next(ws);
      BOOST_TEST(back.binary);
      BOOST_TEST((back.data == payload));
    }
  }

  ws->close(1000, "done");
  co_await ws->closed();
  BOOST_TEST(ws->close_code() == 1000);
  BOOST_TEST((ws->state() == http::websocket::ready_state::closed));
  bool sent = co_await ws->send_text("too late");
  BOOST_TEST(!sent);
}

asio::awaitable<void> own_protocols_and_listeners() {
  auto c = co_await local_client();
  auto h = c.get("websocketActor").get_or_create({fresh_key("ws-listen")});
  std::vector<std::string> own = {"app.v1"};
  auto ws = co_await h.websocket("/room", std::move(own));
  BOOST_TEST(ws->protocol() == "rivetkit"); // the host answers rivetkit when it is offered

  auto seen = std::make_shared<std::vector<std::string>>();
  auto closed_with = std::make_shared<int>(0);
  // The listener wakes the test through a timer it cancels: no polling, no sleep.
  const auto executor = co_await asio::this_coro::executor;
  auto arrived = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  ws->on_message([seen, arrived](const http::websocket_message& m) {
    seen->push_back(std::string(m.text()));
    arrived->cancel();
  });
  ws->on_close([closed_with](std::uint16_t code, std::string_view, bool clean) { *closed_with = clean ? code : -1; });
  co_await ws->send_text(R"({"type":"ping"})");
  co_await ws->send_text("x");
  // The welcome, the pong and the echo.
  while (seen->size() < 3) co_await arrived->async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  BOOST_REQUIRE_EQUAL(seen->size(), 3u);
  BOOST_TEST(type_of(http::websocket_message::make_text((*seen)[0])) == "welcome");
  BOOST_TEST(type_of(http::websocket_message::make_text((*seen)[1])) == "pong");
  BOOST_TEST(type_of(http::websocket_message::make_text((*seen)[2])) == "echo");
  ws->close();
  co_await ws->closed();
  BOOST_TEST(*closed_with == 1000);
}

asio::awaitable<void> connection_counts_survive_in_state() {
  auto c = co_await local_client();
  const auto key = fresh_key("ws-count");
  auto h = c.get("websocketActor").get_or_create({key});
  for (int i = 1; i <= 3; ++i) {
    auto ws = co_await h.websocket();
    auto welcome = co_await next(ws);
    BOOST_TEST(parse(welcome.text())["connectionCount"].GetInt() == i);
    ws->close();
    co_await ws->closed();
  }
  http::response stats = co_await h.fetch("/stats");
  BOOST_TEST(stats.status() == 200);
  BOOST_TEST(parse(stats.text())["connectionCount"].GetInt() == 3);
}

asio::awaitable<void> setup_errors_close_the_socket() {
  auto c = co_await local_client();
  auto missing_handle = c.get("websocketActor").get({fresh_key("ws-missing")});
  auto missing = co_await missing_handle.websocket();
  auto m = co_await missing->receive();
  BOOST_TEST(!m.has_value());
  co_await missing->closed();
  BOOST_TEST(missing->close_code() == 1011);
  BOOST_TEST(missing->close_reason() == "actor_not_found");

  auto locked_handle = c.get("lockedActor").get_or_create({"x"});
  auto locked = co_await locked_handle.websocket();
  co_await locked->closed();
  BOOST_TEST(locked->close_code() == 1008);
  BOOST_TEST(locked->close_reason() == "forbidden");
}

asio::awaitable<void> many_sockets_at_once() {
  auto c = co_await local_client();
  std::vector<std::shared_ptr<http::websocket>> sockets;
  for (int i = 0; i < 20; ++i) {
    auto h = c.get("websocketActor").get_or_create({fresh_key("ws-many")});
    auto ws = co_await h.websocket();
    sockets.push_back(ws);
  }
  for (auto& ws : sockets) {
    auto welcome = co_await next(ws);
    BOOST_TEST(type_of(welcome) == "welcome");
    co_await ws->send_text(R"({"type":"ping"})");
  }
  for (auto& ws : sockets) {
    auto pong = co_await next(ws);
    BOOST_TEST(type_of(pong) == "pong");
  }
  // dispose() says goodbye to every open socket.
  c.dispose();
  for (auto& ws : sockets) {
    co_await ws->closed();
    BOOST_TEST(ws->close_code() == 1001);
  }
}

asio::awaitable<void> actions_answer_with_their_output() {
  auto c = co_await local_client();
  const auto key = fresh_key("ws-action");
  auto h = c.get("websocketActor").get_or_create({key});
  auto ws = co_await h.websocket();
  auto welcome = co_await next(ws);
  BOOST_TEST(type_of(welcome) == "welcome");
  ws->close();
  co_await ws->closed();
  rapidjson::Document stats = co_await h.action("getStats", "[]");
  BOOST_REQUIRE(stats.IsObject());
  BOOST_TEST(stats["connectionCount"].GetInt() == 1);
  BOOST_TEST(stats["messageCount"].GetInt() == 0);

  try {
    co_await h.action("noSuchAction");
    BOOST_FAIL("an unknown action answered");
  } catch (const client::actor_error_response& e) {
    BOOST_TEST(e.code() == "action_not_found");
    BOOST_TEST(e.status() == 400);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(websocket_client_suite)

BOOST_AUTO_TEST_CASE(welcome_ping_and_echoes) { run(::welcome_ping_and_echoes()); }
BOOST_AUTO_TEST_CASE(own_protocols_and_listeners) { run(::own_protocols_and_listeners()); }
BOOST_AUTO_TEST_CASE(connection_counts_survive_in_state) { run(::connection_counts_survive_in_state()); }
BOOST_AUTO_TEST_CASE(setup_errors_close_the_socket) { run(::setup_errors_close_the_socket()); }
BOOST_AUTO_TEST_CASE(many_sockets_at_once) { run(::many_sockets_at_once()); }
BOOST_AUTO_TEST_CASE(actions_answer_with_their_output) { run(::actions_answer_with_their_output()); }

BOOST_AUTO_TEST_SUITE_END()
