// The client against a peer on loopback that follows a script, for what the real host never
// does on purpose: closing a kept-alive connection just as a request arrives (the one retry),
// never answering (the request timeout), answering with every body framing or with garbage,
// refusing connections, and WebSocket handshakes and frames checked byte by byte (masking, a
// ping answered with its payload, pings to a silent server, the close handshake, a wrong
// Sec-WebSocket-Accept).
#include "test_support.hpp"

#include "actorhost/client/client.hpp"
#include "actorhost/codec/ascii.hpp"
#include "actorhost/codec/http_parser.hpp"
#include "actorhost/codec/http_response_parser.hpp"
#include "actorhost/codec/websocket_client_handshake.hpp"
#include "actorhost/codec/websocket_frame.hpp"
#include "actorhost/codec/websocket_handshake.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace client = actorhost::client;
namespace codec = actorhost::codec;
namespace http = actorhost::http;
using actorhost::testing::run;
using asio::ip::tcp;

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

// One connection of the scripted peer: reads requests with the server's own parser.
class peer_connection {
public:
  explicit peer_connection(tcp::socket socket) : socket_(std::move(socket)) {}

  // The next request's head, or nullopt once the client has closed the connection.
  asio::awaitable<std::optional<codec::request_head>> read_request() {
    using event = codec::http_parser::event;
    for (;;) {
      for (;;) {
        // Fed even with nothing new: after a head, the message event may need no more bytes.
        const auto r = parser_.feed(pending_);
        pending_.erase(0, r.consumed);
        if (r.what == event::message_complete) co_return parser_.head();
        BOOST_REQUIRE(r.what != event::error);
        if (r.what == event::need_more) break;
      }
      char buffer[4096];
      auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), use_nothrow);
      if (ec) co_return std::nullopt;
      pending_.append(buffer, n);
    }
  }

  asio::awaitable<void> write(std::string bytes) {
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), use_nothrow);
    BOOST_TEST(!ec);
  }

  // Reads until the next WebSocket frame event (server role: client frames must be masked).
  asio::awaitable<codec::websocket_parser::result> read_frame() {
    using event = codec::websocket_parser::event;
    for (;;) {
      if (!pending_.empty()) {
        const auto r = frames_.feed(pending_);
        pending_.erase(0, r.consumed);
        if (r.what != event::need_more) co_return r;
      }
      char buffer[4096];
      auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), use_nothrow);
      BOOST_REQUIRE_MESSAGE(!ec, "the client closed while a frame was expected: " << ec.message());
      pending_.append(buffer, n);
    }
  }
  codec::websocket_parser& frames() noexcept { return frames_; }

  // True once the client has closed its side (what is left to read is only its end).
  asio::awaitable<bool> client_closed() {
    char buffer[256];
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), use_nothrow);
    co_return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

  void close() {
    asio::error_code ignored;
    socket_.close(ignored);
  }

private:
  tcp::socket socket_;
  codec::http_parser parser_;
  codec::websocket_parser frames_{{codec::websocket_role::server}};
  std::string pending_;
};

class scripted_peer {
public:
  explicit scripted_peer(const asio::any_io_executor& ex) : acceptor_(ex, {asio::ip::make_address("127.0.0.1"), 0}) {}
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  asio::awaitable<std::unique_ptr<peer_connection>> accept() {
    auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
    co_return std::make_unique<peer_connection>(std::move(socket));
  }

private:
  tcp::acceptor acceptor_;
};

// Runs a peer's script beside the test; a script that fails fails the test.
void spawn_script(const asio::any_io_executor& ex, asio::awaitable<void> script) {
  asio::co_spawn(ex, std::move(script), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      BOOST_ERROR("the peer's script failed: " << x.what());
    } catch (...) {
      BOOST_ERROR("the peer's script failed");
    }
  });
}

std::string ok(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

client::actor_handle handle_of(const client::client& c) { return c.get("scripted").get({"k"}); }

// --- the one retry ---

asio::awaitable<void> close_the_second_request(std::shared_ptr<scripted_peer> peer, bool expect_repeat) {
  auto first = co_await peer->accept();
  auto r1 = co_await first->read_request();
  BOOST_REQUIRE(r1);
  co_await first->write(ok("one"));
  auto r2 = co_await first->read_request();
  BOOST_REQUIRE(r2);
  first->close(); // as a server's idle timeout would, just as the request arrived
  auto second = co_await peer->accept();
  auto r3 = co_await second->read_request();
  BOOST_REQUIRE(r3);
  if (expect_repeat) {
    BOOST_TEST(r3->method == r2->method);
    BOOST_TEST(r3->target == r2->target);
  }
  co_await second->write(ok("two"));
}

asio::awaitable<void> idempotent_requests_are_sent_again() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  spawn_script(ex, close_the_second_request(peer, true));
  auto c = client::create_client(peer->url(), ex);
  http::response one = co_await handle_of(c).fetch("/a");
  BOOST_TEST(one.body() == "one");
  client::fetch_init del{.method = "DELETE"};
  http::response two = co_await handle_of(c).fetch("/a", std::move(del));
  BOOST_TEST(two.body() == "two");
  const auto s = c.stats();
  BOOST_TEST(s.retried == 1u);
  BOOST_TEST(s.opened == 2u);
}

asio::awaitable<void> other_requests_are_not() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  spawn_script(ex, close_the_second_request(peer, false));
  auto c = client::create_client(peer->url(), ex);
  client::fetch_init post{.method = "POST", .body = "x"};
  http::response one = co_await handle_of(c).fetch("/a", post);
  BOOST_TEST(one.body() == "one");
  bool failed = false;
  try {
    co_await handle_of(c).fetch("/a", post);
  } catch (const std::system_error& e) {
    failed = true;
    BOOST_TEST((e.code() == client::client_error::closed_before_response));
    BOOST_TEST((e.code() == std::errc::connection_reset));
  }
  BOOST_TEST(failed);
  BOOST_TEST(c.stats().retried == 0u);
  // The peer's script still waits for a third request; a GET now takes a new connection.
  http::response two = co_await handle_of(c).fetch("/a");
  BOOST_TEST(two.body() == "two");
}

// --- timeouts ---

asio::awaitable<void> never_answer(std::shared_ptr<scripted_peer> peer) {
  auto conn = co_await peer->accept();
  auto r = co_await conn->read_request();
  BOOST_REQUIRE(r);
  const bool closed = co_await conn->client_closed(); // the client gives up first
  BOOST_TEST(closed);
}

asio::awaitable<void> a_silent_server_times_out() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  spawn_script(ex, never_answer(peer));
  client::client_options options;
  options.request_timeout = std::chrono::milliseconds(300);
  auto c = client::create_client(peer->url(), ex, options);
  bool timed_out = false;
  try {
    co_await handle_of(c).fetch("/slow");
  } catch (const std::system_error& e) {
    timed_out = true;
    BOOST_TEST((e.code() == client::client_error::request_timeout));
    BOOST_TEST((e.code() == std::errc::timed_out));
  }
  BOOST_TEST(timed_out);
  BOOST_TEST(c.stats().busy == 0u);
  BOOST_TEST(c.stats().idle == 0u);
}

// --- framings ---

asio::awaitable<void> answer_with_every_framing(std::shared_ptr<scripted_peer> peer) {
  auto first = co_await peer->accept();
  co_await first->read_request();
  co_await first->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\n\r\n");
  auto head = co_await first->read_request();
  BOOST_REQUIRE(head);
  BOOST_TEST(head->method == "HEAD");
  co_await first->write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  co_await first->read_request();
  co_await first->write("HTTP/1.1 204 No Content\r\n\r\n");
  co_await first->read_request();
  co_await first->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
  first->close();
  auto second = co_await peer->accept();
  co_await second->read_request();
  co_await second->write("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
  const bool closed = co_await second->client_closed(); // HTTP/1.0 without keep-alive: not reused
  BOOST_TEST(closed);
}

asio::awaitable<void> every_framing_is_read() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  spawn_script(ex, answer_with_every_framing(peer));
  auto c = client::create_client(peer->url(), ex);
  auto h = handle_of(c);
  http::response chunked = co_await h.fetch("/chunked");
  BOOST_TEST(chunked.body() == "abcdefg");
  client::fetch_init head_init{.method = "HEAD"};
  http::response head = co_await h.fetch("/head", std::move(head_init));
  BOOST_TEST(head.body().empty());
  BOOST_TEST(head.headers().get("content-length").value_or("") == "1000");
  http::response empty = co_await h.fetch("/204");
  BOOST_TEST(empty.status() == 204);
  http::response until_close = co_await h.fetch("/close");
  BOOST_TEST(until_close.body() == "until the end");
  http::response old = co_await h.fetch("/old");
  BOOST_TEST(old.body() == "ok");
  const auto s = c.stats();
  BOOST_TEST(s.opened == 2u);
  BOOST_TEST(s.reused == 3u);
  BOOST_TEST(s.idle == 0u);
}

asio::awaitable<void> answer_with_garbage(std::shared_ptr<scripted_peer> peer) {
  auto conn = co_await peer->accept();
  co_await conn->read_request();
  co_await conn->write("HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n");
  const bool closed = co_await conn->client_closed();
  BOOST_TEST(closed);
}

asio::awaitable<void> a_malformed_answer_is_an_error() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  spawn_script(ex, answer_with_garbage(peer));
  auto c = client::create_client(peer->url(), ex);
  bool failed = false;
  try {
    co_await handle_of(c).fetch("/");
  } catch (const std::system_error& e) {
    failed = true;
    BOOST_TEST((e.code().category() == codec::http_response_category()));
  }
  BOOST_TEST(failed);
  BOOST_TEST(c.stats().idle == 0u);
}

asio::awaitable<void> a_refused_connection_is_an_error() {
  const auto ex = co_await asio::this_coro::executor;
  std::string url;
  {
    scripted_peer closed_port(ex); // bound, then closed: nobody listens on the port
    url = closed_port.url();
  }
  client::client_options options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  auto c = client::create_client(url, ex, options);
  bool failed = false;
  try {
    co_await handle_of(c).fetch("/");
  } catch (const std::system_error& e) {
    failed = true;
    BOOST_TEST_INFO("error: " << e.code().category().name() << " " << e.code().value() << " " << e.what());
    BOOST_TEST((e.code() == asio::error::connection_refused));
  }
  BOOST_TEST(failed);
  BOOST_TEST(c.stats().busy == 0u);
}

// --- the pool's bound ---

asio::awaitable<void> answer_in_turn(std::shared_ptr<scripted_peer> peer, int count) {
  auto conn = co_await peer->accept();
  for (int i = 0; i < count; ++i) {
    auto r = co_await conn->read_request();
    BOOST_REQUIRE(r);
    co_await conn->write(ok(r->target.substr(r->target.rfind('/') + 1)));
  }
}

asio::awaitable<void> fetch_into(client::actor_handle h, std::string path, std::shared_ptr<std::vector<std::string>> out) {
  http::response r = co_await h.fetch(path);
  out->push_back(r.body());
}

// --- WebSockets ---

std::string upgrade_answer(const codec::request_head& head, bool right_accept) {
  std::string key;
  for (const auto& f : head.fields)
    if (codec::iequals(f.name, "sec-websocket-key")) key = f.value;
  const std::string accept = right_accept ? codec::websocket_accept(key) : codec::websocket_accept("x" + key);
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
         accept + "\r\nSec-WebSocket-Protocol: rivetkit\r\n\r\n";
}

asio::awaitable<void> talk_websocket(std::shared_ptr<scripted_peer> peer, std::shared_ptr<std::vector<std::string>> seen) {
  using event = codec::websocket_parser::event;
  using op = codec::websocket_opcode;
  auto conn = co_await peer->accept();
  auto head = co_await conn->read_request();
  BOOST_REQUIRE(head);
  codec::websocket_upgrade offer;
  BOOST_TEST(!codec::check_websocket_upgrade(*head, offer));
  BOOST_REQUIRE_GE(offer.protocols.size(), 3u);
  BOOST_TEST(offer.protocols[0].starts_with("query."));
  BOOST_TEST(offer.protocols[1] == "encoding.json");
  BOOST_TEST(offer.protocols[2] == "rivetkit");
  BOOST_TEST(head->target == "/registry/actors/scripted/ws/chat");

  // The 101 and the first frames in one write: the client must parse what followed the head.
  std::string out = upgrade_answer(*head, true);
  codec::write_ping(out, "are you there");
  codec::write_text(out, "hi");
  co_await conn->write(std::move(out));

  auto pong = co_await conn->read_frame(); // masked, or the server-role parser fails
  BOOST_TEST((pong.what == event::control));
  BOOST_TEST((pong.opcode == op::pong));
  BOOST_TEST(conn->frames().control_payload() == "are you there");

  auto text = co_await conn->read_frame();
  BOOST_REQUIRE((text.what == event::message));
  seen->push_back(conn->frames().message());
  auto binary = co_await conn->read_frame();
  BOOST_REQUIRE((binary.what == event::message));
  BOOST_TEST((binary.opcode == op::binary));
  seen->push_back(conn->frames().message());

  std::string bye;
  codec::write_close(bye, 1000, "bye");
  co_await conn->write(std::move(bye));
  auto echo = co_await conn->read_frame();
  BOOST_TEST((echo.what == event::control));
  BOOST_TEST((echo.opcode == op::close));
  BOOST_TEST(echo.close_code == 1000);
  conn->close(); // the server closes TCP first (§7.1.1)
}

asio::awaitable<void> frames_are_masked_and_pings_answered() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  auto seen = std::make_shared<std::vector<std::string>>();
  spawn_script(ex, talk_websocket(peer, seen));
  auto c = client::create_client(peer->url(), ex);
  auto ws = co_await handle_of(c).websocket("/chat");
  BOOST_TEST(ws->protocol() == "rivetkit");
  auto hi = co_await ws->receive();
  BOOST_REQUIRE(hi);
  BOOST_TEST(hi->text() == "hi");
  co_await ws->send_text("yo");
  co_await ws->send_binary(std::string(70'000, '\x5a'));
  auto end = co_await ws->receive();
  BOOST_TEST(!end.has_value());
  co_await ws->closed();
  BOOST_TEST(ws->close_code() == 1000);
  BOOST_TEST(ws->close_reason() == "bye");
  BOOST_REQUIRE_EQUAL(seen->size(), 2u);
  BOOST_TEST((*seen)[0] == "yo");
  BOOST_TEST((*seen)[1] == std::string(70'000, '\x5a'));
}

// A server that answers the first ping and then falls silent: the client pings after each
// quiet interval and drops the connection when a ping goes unanswered.
asio::awaitable<void> answer_one_ping(std::shared_ptr<scripted_peer> peer, std::shared_ptr<std::vector<std::string>> seen,
                                      std::shared_ptr<asio::steady_timer> done) {
  using event = codec::websocket_parser::event;
  using op = codec::websocket_opcode;
  auto conn = co_await peer->accept();
  auto head = co_await conn->read_request();
  BOOST_REQUIRE(head);
  co_await conn->write(upgrade_answer(*head, true));
  for (int i = 0; i < 2; ++i) {
    auto ping = co_await conn->read_frame();
    BOOST_REQUIRE((ping.what == event::control));
    BOOST_TEST((ping.opcode == op::ping));
    seen->push_back("ping");
    if (i == 0) {
      std::string pong;
      codec::write_pong(pong, conn->frames().control_payload());
      co_await conn->write(std::move(pong));
    }
  }
  // The client says why (a Close, going away), then drops the connection without waiting for
  // the silent server's answer.
  auto close = co_await conn->read_frame();
  BOOST_REQUIRE((close.what == event::control));
  BOOST_TEST((close.opcode == op::close));
  BOOST_TEST(close.close_code == 1001);
  seen->push_back("close");
  const bool dropped = co_await conn->client_closed();
  BOOST_TEST(dropped);
  seen->push_back("dropped");
  done->expires_at(asio::steady_timer::time_point::min()); // wakes a waiter, now or later
}

asio::awaitable<void> a_silent_server_is_pinged_then_dropped() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  auto seen = std::make_shared<std::vector<std::string>>();
  auto script_done = std::make_shared<asio::steady_timer>(ex, std::chrono::seconds(10));
  spawn_script(ex, answer_one_ping(peer, seen, script_done));
  client::client_options options;
  options.websocket.ping_interval = std::chrono::milliseconds(100);
  auto c = client::create_client(peer->url(), ex, options);
  auto ws = co_await handle_of(c).websocket();
  const auto opened = std::chrono::steady_clock::now();
  auto end = co_await ws->receive(); // nothing comes; the socket ends when the client drops it
  BOOST_TEST(!end.has_value());
  co_await ws->closed();
  BOOST_TEST(ws->close_code() == 1006);
  // A quiet interval before each of the two pings, and one more to give up on the second.
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - opened);
  BOOST_TEST(waited.count() >= 300);
  co_await script_done->async_wait(use_nothrow); // the script has seen the drop (or 10 s passed)
  BOOST_TEST(*seen == (std::vector<std::string>{"ping", "ping", "close", "dropped"}), boost::test_tools::per_element());
}

asio::awaitable<void> answer_with_a_wrong_accept(std::shared_ptr<scripted_peer> peer) {
  auto conn = co_await peer->accept();
  auto head = co_await conn->read_request();
  BOOST_REQUIRE(head);
  co_await conn->write(upgrade_answer(*head, false));
  const bool closed = co_await conn->client_closed();
  BOOST_TEST(closed);
}

asio::awaitable<void> a_wrong_accept_fails_the_handshake() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  spawn_script(ex, answer_with_a_wrong_accept(peer));
  auto c = client::create_client(peer->url(), ex);
  bool failed = false;
  try {
    co_await handle_of(c).websocket();
  } catch (const std::system_error& e) {
    failed = true;
    BOOST_TEST((e.code() == codec::websocket_client_handshake_error::bad_accept));
  }
  BOOST_TEST(failed);
}

asio::awaitable<void> refuse_the_upgrade(std::shared_ptr<scripted_peer> peer) {
  auto conn = co_await peer->accept();
  co_await conn->read_request();
  const std::string body = R"({"c":"no_sockets_here","m":"go away","md":{"why":1}})";
  co_await conn->write("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body);
  co_await conn->client_closed();
}

asio::awaitable<void> an_error_status_fails_with_its_error() {
  const auto ex = co_await asio::this_coro::executor;
  auto peer = std::make_shared<scripted_peer>(ex);
  spawn_script(ex, refuse_the_upgrade(peer));
  auto c = client::create_client(peer->url(), ex);
  bool failed = false;
  try {
    co_await handle_of(c).websocket();
  } catch (const client::actor_error_response& e) {
    failed = true;
    BOOST_TEST(e.code() == "no_sockets_here");
    BOOST_TEST(e.status() == 403);
    BOOST_TEST(e.metadata_json() == R"({"why":1})");
  }
  BOOST_TEST(failed);
}

} // namespace

BOOST_AUTO_TEST_SUITE(scripted_peer_suite)

BOOST_AUTO_TEST_CASE(idempotent_requests_are_sent_again) { run(::idempotent_requests_are_sent_again()); }
BOOST_AUTO_TEST_CASE(other_requests_are_not) { run(::other_requests_are_not()); }
BOOST_AUTO_TEST_CASE(a_silent_server_times_out) { run(::a_silent_server_times_out()); }
BOOST_AUTO_TEST_CASE(every_framing_is_read) { run(::every_framing_is_read()); }
BOOST_AUTO_TEST_CASE(a_malformed_answer_is_an_error) { run(::a_malformed_answer_is_an_error()); }
BOOST_AUTO_TEST_CASE(a_refused_connection_is_an_error) { run(::a_refused_connection_is_an_error()); }
BOOST_AUTO_TEST_CASE(requests_wait_for_the_one_connection) {
  asio::io_context io(1);
  const auto ex = io.get_executor();
  auto peer = std::make_shared<scripted_peer>(ex);
  spawn_script(ex, answer_in_turn(peer, 5));
  client::client_options options;
  options.max_connections = 1;
  auto c = client::create_client(peer->url(), ex, options);
  auto bodies = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < 5; ++i) asio::co_spawn(io, fetch_into(handle_of(c), "/" + std::to_string(i), bodies), asio::detached);
  io.run_for(std::chrono::seconds(30));
  // First come, first served, all over the one connection.
  BOOST_TEST(*bodies == (std::vector<std::string>{"0", "1", "2", "3", "4"}), boost::test_tools::per_element());
  BOOST_TEST(c.stats().opened == 1u);
  BOOST_TEST(c.stats().reused == 4u);
}
BOOST_AUTO_TEST_CASE(frames_are_masked_and_pings_answered) { run(::frames_are_masked_and_pings_answered()); }
BOOST_AUTO_TEST_CASE(a_silent_server_is_pinged_then_dropped) { run(::a_silent_server_is_pinged_then_dropped()); }
BOOST_AUTO_TEST_CASE(a_wrong_accept_fails_the_handshake) { run(::a_wrong_accept_fails_the_handshake()); }
BOOST_AUTO_TEST_CASE(an_error_status_fails_with_its_error) { run(::an_error_status_fails_with_its_error()); }

BOOST_AUTO_TEST_SUITE_END()
