// websocket: the core every WebSocket transport shares (receive queue, listeners, send
// backpressure, close), driven through a transport that records what it was asked to send.
// Coroutines run on an io_context the test steps itself, so "still waiting" and "resumed" are
// observed exactly, never timed.
#include "actorhost/http/websocket.hpp"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <boost/test/unit_test.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using actorhost::http::websocket;
using actorhost::http::websocket_limits;
using actorhost::http::websocket_message;

namespace {

// A transport that keeps what it would have written; `drain()` plays the socket taking it.
class recording_socket final : public websocket {
public:
  recording_socket(asio::io_context& ctx, websocket_limits limits) : websocket(ctx.get_executor(), "rivetkit", limits) {}

  std::size_t buffered_amount() const noexcept override { return buffered; }

  void drain() {
    buffered = 0;
    sent();
  }
  void arrive(websocket_message m) { deliver(std::move(m)); }
  void peer_closes() { peer_closing(1000, "done"); }
  void end(std::uint16_t code, bool clean) { finish(code, "bye", clean); }
  bool may_read() const { return wants_input(); }
  asio::awaitable<void> read_allowed() { return input_wanted(); }

  std::vector<websocket_message> frames;
  std::vector<std::pair<std::uint16_t, std::string>> closes;
  std::size_t buffered = 0;

private:
  void transmit(const websocket_message& m) override {
    frames.push_back(m);
    buffered += m.data.size();
  }
  void transmit_close(std::uint16_t code, std::string_view reason) override { closes.emplace_back(code, reason); }
};

struct socket_fixture {
  socket_fixture() : ws(std::make_shared<recording_socket>(ctx, websocket_limits{100, 100})) {}
  std::size_t poll() {
    ctx.restart();
    return ctx.poll();
  }
  asio::io_context ctx;
  std::shared_ptr<recording_socket> ws;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(websocket_suite, socket_fixture)

BOOST_AUTO_TEST_CASE(receive_waits_for_a_message_then_returns_it) {
  std::optional<std::optional<websocket_message>> got;
  asio::co_spawn(ctx, ws->receive(), [&](std::exception_ptr, std::optional<websocket_message> m) { got = std::move(m); });
  poll();
  BOOST_TEST(!got.has_value()); // nothing arrived yet
  ws->arrive(websocket_message::make_text("hi"));
  poll();
  BOOST_REQUIRE(got.has_value());
  BOOST_REQUIRE(got->has_value());
  BOOST_TEST((*got)->text() == "hi");
  BOOST_TEST(!(*got)->binary);
}

BOOST_AUTO_TEST_CASE(messages_queue_in_order_until_received) {
  ws->arrive(websocket_message::make_text("1"));
  ws->arrive(websocket_message::make_binary("2"));
  std::vector<websocket_message> got;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) got.push_back(*co_await ws->receive());
  }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  poll();
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].text() == "1");
  BOOST_TEST(got[1].binary);
}

BOOST_AUTO_TEST_CASE(receive_ends_when_the_peer_closes_after_the_queue_drains) {
  ws->arrive(websocket_message::make_text("last"));
  ws->peer_closes();
  std::vector<std::optional<websocket_message>> got;
  asio::co_spawn(ctx, [&]() -> asio::awaitable<void> {
    got.push_back(co_await ws->receive());
    got.push_back(co_await ws->receive());
  }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  poll();
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0]->text() == "last"); // what came before the Close is still delivered
  BOOST_TEST(!got[1].has_value());
  BOOST_TEST((ws->state() == websocket::ready_state::closing));
}

BOOST_AUTO_TEST_CASE(listeners_take_messages_instead_of_the_queue) {
  std::vector<std::string> heard;
  ws->on_message([&](const websocket_message& m) { heard.emplace_back(m.text()); });
  ws->arrive(websocket_message::make_text("a"));
  ws->arrive(websocket_message::make_text("b"));
  BOOST_TEST(heard == (std::vector<std::string>{"a", "b"}));
  BOOST_TEST(ws->may_read()); // nothing is left queued
}

BOOST_AUTO_TEST_CASE(a_throwing_listener_closes_with_1011_and_tells_error_listeners) {
  std::string error;
  ws->on_error([&](std::string_view what) { error = what; });
  ws->on_message([](const websocket_message&) { throw std::runtime_error("boom"); });
  ws->arrive(websocket_message::make_text("x"));
  BOOST_TEST(error == "boom");
  BOOST_REQUIRE(ws->closes.size() == 1u);
  BOOST_TEST(ws->closes[0].first == 1011);
}

BOOST_AUTO_TEST_CASE(reading_pauses_past_the_receive_mark_and_resumes_when_consumed) {
  ws->arrive(websocket_message::make_binary(std::string(150, 'x'))); // over the 100-byte mark
  BOOST_TEST(!ws->may_read());
  bool resumed = false;
  asio::co_spawn(ctx, ws->read_allowed(), [&](std::exception_ptr) { resumed = true; });
  poll();
  BOOST_TEST(!resumed);
  asio::co_spawn(ctx, ws->receive(), [](std::exception_ptr, std::optional<websocket_message>) {});
  poll();
  BOOST_TEST(resumed);
  BOOST_TEST(ws->may_read());
}

BOOST_AUTO_TEST_CASE(try_send_refuses_past_the_send_mark) {
  BOOST_TEST(ws->try_send(websocket_message::make_text(std::string(150, 'a')))); // under the mark before it
  BOOST_TEST(!ws->try_send(websocket_message::make_text("b")));                 // now over it
  BOOST_TEST(ws->frames.size() == 1u);
  ws->drain();
  BOOST_TEST(ws->try_send(websocket_message::make_text("b")));
  BOOST_TEST(ws->frames.size() == 2u);
}

BOOST_AUTO_TEST_CASE(send_waits_for_room_then_sends) {
  ws->buffered = 500;
  bool sent = false, result = false;
  asio::co_spawn(ctx, ws->send_text("later"), [&](std::exception_ptr, bool ok) {
    sent = true;
    result = ok;
  });
  poll();
  BOOST_TEST(!sent);
  BOOST_TEST(ws->frames.empty());
  ws->drain();
  poll();
  BOOST_TEST(sent);
  BOOST_TEST(result);
  BOOST_REQUIRE(ws->frames.size() == 1u);
  BOOST_TEST(ws->frames[0].text() == "later");
}

BOOST_AUTO_TEST_CASE(a_waiting_send_fails_when_the_socket_closes) {
  ws->buffered = 500;
  std::optional<bool> result;
  asio::co_spawn(ctx, ws->send_text("never"), [&](std::exception_ptr, bool ok) { result = ok; });
  poll();
  ws->end(1006, false);
  poll();
  BOOST_REQUIRE(result.has_value());
  BOOST_TEST(!*result);
  BOOST_TEST(ws->frames.empty());
}

BOOST_AUTO_TEST_CASE(close_sends_one_close_frame_and_refuses_later_sends) {
  ws->close(4000, "done");
  ws->close(1000); // already closing: nothing more
  BOOST_REQUIRE(ws->closes.size() == 1u);
  BOOST_TEST(ws->closes[0].first == 4000);
  BOOST_TEST(ws->closes[0].second == "done");
  BOOST_TEST((ws->state() == websocket::ready_state::closing));
  BOOST_TEST(!ws->try_send(websocket_message::make_text("x")));
}

BOOST_AUTO_TEST_CASE(close_refuses_codes_and_reasons_an_endpoint_may_not_send) {
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 2999, 5000})
    BOOST_CHECK_THROW(ws->close(code), std::invalid_argument);
  BOOST_CHECK_THROW(ws->close(1000, std::string(124, 'r')), std::invalid_argument);
  BOOST_CHECK_THROW(ws->close(1000, "\xff"), std::invalid_argument);
  BOOST_TEST(ws->closes.empty());
  BOOST_TEST(ws->is_open());
}

BOOST_AUTO_TEST_CASE(finish_fires_close_listeners_once_and_wakes_waiters) {
  int fired = 0;
  std::uint16_t seen = 0;
  bool clean_seen = false;
  ws->on_close([&](std::uint16_t code, std::string_view, bool clean) {
    ++fired;
    seen = code;
    clean_seen = clean;
  });
  bool closed = false;
  std::optional<std::optional<websocket_message>> got;
  asio::co_spawn(ctx, ws->closed(), [&](std::exception_ptr) { closed = true; });
  asio::co_spawn(ctx, ws->receive(), [&](std::exception_ptr, std::optional<websocket_message> m) { got = std::move(m); });
  poll();
  BOOST_TEST(!closed);
  ws->end(1000, true);
  ws->end(1006, false);
  poll();
  BOOST_TEST(fired == 1);
  BOOST_TEST(seen == 1000);
  BOOST_TEST(clean_seen);
  BOOST_TEST(closed);
  BOOST_REQUIRE(got.has_value());
  BOOST_TEST(!got->has_value());
  BOOST_TEST(ws->close_code() == 1000);
  BOOST_TEST((ws->state() == websocket::ready_state::closed));
}

BOOST_AUTO_TEST_CASE(listeners_holding_the_socket_do_not_keep_it_alive) {
  std::weak_ptr<recording_socket> weak = ws;
  ws->on_message([self = ws](const websocket_message&) {});
  ws->on_close([self = ws](std::uint16_t, std::string_view, bool) {});
  ws->end(1000, true);
  ws.reset();
  poll();
  BOOST_TEST(weak.expired());
}

BOOST_AUTO_TEST_SUITE_END()
