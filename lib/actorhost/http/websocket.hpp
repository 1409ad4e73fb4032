// websocket: one end of an open WebSocket, as an actor's onWebSocket (and a client) uses it.
//
// The author can work in either of the two styles the W3C WebSocket allows in JavaScript:
//
//   // a loop that awaits each message
//   while (auto msg = co_await ws->receive()) co_await ws->send(std::move(*msg));
//
//   // listeners, as addEventListener("message" | "close" | "error")
//   ws->on_message([ws](const http::websocket_message& m) { ws->try_send(m); });
//
// A message goes to the message listeners when there are any, and otherwise waits in a queue
// for receive(). That queue is bounded: once `receive_high_water` bytes wait unread, the
// transport stops reading, so a slow handler holds the peer back through TCP instead of growing
// memory. Sending is bounded the same way: send() waits while more than `send_high_water`
// bytes wait to be written; try_send() refuses instead of waiting; writable() waits for room.
//
// Everything here runs on one executor (the actor's home worker, for an actor's socket): no
// member is safe to call from another thread. The transport underneath (a TCP connection, an
// in-process pair, a client) is a subclass that implements the three transmit hooks and reports
// what arrives through the protected calls.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::http {

struct websocket_message {
  bool binary = false;
  std::string data;

  std::string_view text() const noexcept { return data; }
  static websocket_message make_text(std::string s) { return {false, std::move(s)}; }
  static websocket_message make_binary(std::string s) { return {true, std::move(s)}; }
};

struct websocket_limits {
  // send() waits while more than this many bytes wait to be written.
  std::size_t send_high_water = 1024 * 1024;
  // The peer is not read while more than this many bytes of messages wait for receive().
  std::size_t receive_high_water = 1024 * 1024;
};

// Wakes every coroutine waiting on it; a waiter re-checks its condition and waits again.
class wakeup {
public:
  explicit wakeup(const asio::any_io_executor& ex) : timer_(ex, asio::steady_timer::time_point::max()) {}
  asio::awaitable<void> wait();
  void notify() { timer_.cancel(); }

private:
  asio::steady_timer timer_;
};

class websocket : public std::enable_shared_from_this<websocket> {
public:
  // The W3C readyState values.
  enum class ready_state { connecting = 0, open = 1, closing = 2, closed = 3 };

  using message_listener = std::function<void(const websocket_message&)>;
  // code (1005 when the peer's Close had none, 1006 when the connection broke without one),
  // reason, and whether the close handshake completed.
  using close_listener = std::function<void(std::uint16_t code, std::string_view reason, bool clean)>;
  using error_listener = std::function<void(std::string_view what)>;

  websocket(asio::any_io_executor executor, std::string protocol, websocket_limits limits = {});
  virtual ~websocket();
  websocket(const websocket&) = delete;
  websocket& operator=(const websocket&) = delete;

  // The next message, or nullopt once the socket is closing or closed and nothing is queued.
  asio::awaitable<std::optional<websocket_message>> receive();

  // Queues a message, first waiting while the send queue is over its high-water mark. False
  // when the socket is no longer open (nothing is sent).
  asio::awaitable<bool> send(websocket_message message);
  asio::awaitable<bool> send_text(std::string text) { return send({false, std::move(text)}); }
  asio::awaitable<bool> send_binary(std::string bytes) { return send({true, std::move(bytes)}); }
  // Queues a message unless the socket is not open or the send queue is over its mark.
  bool try_send(websocket_message message);
  // Resumes once the send queue is under its mark; false when the socket is no longer open.
  asio::awaitable<bool> writable();

  // Starts the close handshake (RFC 6455 §7.1.2). `code` must be one an endpoint may send
  // (1000-1003, 1007-1014, 3000-4999) and `reason` at most 123 bytes of UTF-8; otherwise
  // std::invalid_argument. Closing a socket that is closing or closed does nothing.
  void close(std::uint16_t code = 1000, std::string_view reason = {});
  // Resumes once the socket is closed.
  asio::awaitable<void> closed();

  void on_message(message_listener f) { message_listeners_.push_back(std::move(f)); }
  void on_close(close_listener f) { close_listeners_.push_back(std::move(f)); }
  void on_error(error_listener f) { error_listeners_.push_back(std::move(f)); }

  ready_state state() const noexcept { return state_; }
  bool is_open() const noexcept { return state_ == ready_state::open; }
  // The subprotocol the handshake settled on ("" for none).
  const std::string& protocol() const noexcept { return protocol_; }
  // Bytes queued by send() and not yet written (the W3C bufferedAmount).
  virtual std::size_t buffered_amount() const noexcept = 0;
  // Once the peer has closed (or the socket is closed): the code and reason of the close.
  std::uint16_t close_code() const noexcept { return close_code_; }
  const std::string& close_reason() const noexcept { return close_reason_; }
  const asio::any_io_executor& executor() const noexcept { return executor_; }

protected:
  // Transport hooks: put a data frame, or the Close frame, on the way to the peer.
  virtual void transmit(const websocket_message& message) = 0;
  virtual void transmit_close(std::uint16_t code, std::string_view reason) = 0;

  // What the transport reports, on the executor.
  void deliver(websocket_message message);
  // The peer sent its Close (or the connection broke: 1006): no more messages will come.
  // close_code() and close_reason() say why from now on.
  void peer_closing(std::uint16_t code, std::string_view reason);
  // The connection is over; fires the close listeners once and drops every listener.
  void finish(std::uint16_t code, std::string_view reason, bool clean);
  // Something went wrong with the connection (the error listeners); finish() follows.
  void fail(std::string_view what);
  // The send queue shrank (after a write).
  void sent() { if (buffered_amount() <= limits_.send_high_water) writable_.notify(); }
  // Whether the transport may read more from the peer, and a wait until it may.
  bool wants_input() const noexcept { return unread_ <= limits_.receive_high_water; }
  asio::awaitable<void> input_wanted();
  const websocket_limits& limits() const noexcept { return limits_; }

private:
  asio::any_io_executor executor_;
  std::string protocol_;
  websocket_limits limits_;
  ready_state state_ = ready_state::open;
  bool peer_closing_ = false;
  std::deque<websocket_message> queue_;
  std::size_t unread_ = 0; // bytes in queue_
  wakeup readable_;        // a message was queued, or no more will come
  wakeup writable_;        // the send queue shrank, or the socket closed
  wakeup consumed_;        // receive() took a message, or the socket closed
  wakeup closed_;
  std::vector<message_listener> message_listeners_;
  std::vector<close_listener> close_listeners_;
  std::vector<error_listener> error_listeners_;
  std::uint16_t close_code_ = 1006;
  std::string close_reason_;
};

// What an upgrade hands the accepted socket to; it runs on the socket's executor.
using websocket_session = std::function<asio::awaitable<void>(std::shared_ptr<websocket>)>;

} // namespace actorhost::http
