#include "actorhost/http/websocket.hpp"

#include "actorhost/codec/utf8.hpp"
#include "actorhost/codec/websocket_frame.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <stdexcept>

namespace actorhost::http {

asio::awaitable<void> wakeup::wait() {
  co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

websocket::websocket(asio::any_io_executor executor, std::string protocol, websocket_limits limits)
    : executor_(executor),
      protocol_(std::move(protocol)),
      limits_(limits),
      readable_(executor),
      writable_(executor),
      consumed_(executor),
      closed_(executor) {}

websocket::~websocket() = default;

asio::awaitable<std::optional<websocket_message>> websocket::receive() {
  while (queue_.empty()) {
    if (peer_closing_ || state_ == ready_state::closed) co_return std::nullopt;
    co_await readable_.wait();
  }
  websocket_message m = std::move(queue_.front());
  queue_.pop_front();
  const bool was_full = !wants_input();
  unread_ -= m.data.size();
  if (was_full && wants_input()) consumed_.notify();
  co_return m;
}

asio::awaitable<bool> websocket::send(websocket_message message) {
  // (Each await stands alone: GCC 12 miscompiles co_await inside a condition.)
  while (state_ == ready_state::open && buffered_amount() > limits_.send_high_water) co_await writable_.wait();
  if (state_ != ready_state::open) co_return false;
  transmit(message);
  co_return true;
}

bool websocket::try_send(websocket_message message) {
  if (state_ != ready_state::open || buffered_amount() > limits_.send_high_water) return false;
  transmit(message);
  return true;
}

asio::awaitable<bool> websocket::writable() {
  while (state_ == ready_state::open && buffered_amount() > limits_.send_high_water) co_await writable_.wait();
  co_return state_ == ready_state::open;
}

void websocket::close(std::uint16_t code, std::string_view reason) {
  if (!codec::valid_close_code(code)) throw std::invalid_argument("WebSocket close code " + std::to_string(code) + " may not be sent");
  if (reason.size() > 123) throw std::invalid_argument("WebSocket close reason over 123 bytes");
  if (!codec::valid_utf8(reason)) throw std::invalid_argument("WebSocket close reason is not UTF-8");
  if (state_ != ready_state::open) return;
  state_ = ready_state::closing;
  writable_.notify();
  transmit_close(code, reason);
}

asio::awaitable<void> websocket::closed() {
  while (state_ != ready_state::closed) co_await closed_.wait();
}

asio::awaitable<void> websocket::input_wanted() {
  while (!wants_input() && state_ != ready_state::closed) co_await consumed_.wait();
}

void websocket::deliver(websocket_message message) {
  if (state_ == ready_state::closed) return;
  if (message_listeners_.empty()) {
    unread_ += message.data.size();
    queue_.push_back(std::move(message));
    readable_.notify();
    return;
  }
  // A listener may add or remove listeners; walk a copy.
  auto listeners = message_listeners_;
  for (auto& f : listeners) {
    try {
      f(message);
    } catch (const std::exception& e) {
      fail(e.what());
      if (state_ == ready_state::open) close(codec::websocket_close::internal_error, "internal_error");
      return;
    }
  }
}

void websocket::peer_closing(std::uint16_t code, std::string_view reason) {
  if (state_ == ready_state::closed) return;
  peer_closing_ = true;
  close_code_ = code;
  close_reason_ = reason;
  if (state_ == ready_state::open) state_ = ready_state::closing;
  readable_.notify();
  writable_.notify();
}

void websocket::fail(std::string_view what) {
  auto listeners = error_listeners_;
  for (auto& f : listeners) {
    try {
      f(what);
    } catch (...) {
      // An error listener that fails has nothing left to tell.
    }
  }
}

void websocket::finish(std::uint16_t code, std::string_view reason, bool clean) {
  if (state_ == ready_state::closed) return;
  state_ = ready_state::closed;
  close_code_ = code;
  close_reason_ = reason;
  readable_.notify();
  writable_.notify();
  consumed_.notify();
  closed_.notify();
  // Listeners often hold the socket itself: drop them all, or the socket never dies.
  auto listeners = std::move(close_listeners_);
  message_listeners_.clear();
  close_listeners_.clear();
  error_listeners_.clear();
  for (auto& f : listeners) {
    try {
      f(code, close_reason_, clean);
    } catch (...) {
      // The socket is closed already; a failing close listener changes nothing.
    }
  }
}

} // namespace actorhost::http
