#include "actorhost/client/client_websocket.hpp"

#include "actorhost/client/actor_error_response.hpp"
#include "actorhost/codec/websocket_client_handshake.hpp"
#include "actorhost/codec/websocket_handshake.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cstring>
#include <system_error>

namespace actorhost::client {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;

namespace close_codes = codec::websocket_close;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

} // namespace

client_websocket::client_websocket(asio::ip::tcp::socket socket, std::string protocol, std::string_view already_read,
                                   const websocket_options& options)
    : http::websocket(socket.get_executor(), std::move(protocol), options.limits),
      socket_(std::move(socket)),
      options_(options),
      parser_({codec::websocket_role::client, options.max_message_size}),
      in_(std::max(read_chunk, already_read.size())),
      write_ready_(socket_.get_executor()),
      drained_(socket_.get_executor()),
      keeper_(socket_.get_executor()) {
  if (!already_read.empty()) std::memcpy(in_.data(), already_read.data(), already_read.size());
  in_end_ = already_read.size();
}

client_websocket::~client_websocket() = default;

asio::awaitable<std::shared_ptr<client_websocket>> client_websocket::handshake(
    std::unique_ptr<client_connection> connection, outgoing_request request, std::vector<std::string> protocols,
    std::string host, clock::time_point deadline, websocket_options options) {
  const std::string key = codec::make_websocket_key();
  request.method = "GET";
  request.upgrade = true;
  request.body.clear();
  request.headers.set("Upgrade", "websocket");
  request.headers.set("Sec-WebSocket-Key", key);
  request.headers.set("Sec-WebSocket-Version", codec::websocket_version);
  if (!protocols.empty()) request.headers.set("Sec-WebSocket-Protocol", join(protocols));
  std::string bytes;
  serialize_request(bytes, request, host);

  http::response answer = co_await connection->exchange(std::move(bytes), false, deadline);
  if (answer.status() >= 400) throw decode_error_response(answer);
  std::string protocol;
  if (auto ec = codec::check_websocket_response(answer.status(), answer.headers().fields(), key, protocols, protocol))
    throw std::system_error(ec);
  const std::string first_frames = connection->take_leftover();
  co_return std::make_shared<client_websocket>(connection->take_socket(), std::move(protocol), first_frames, options);
}

codec::websocket_frame_options client_websocket::masked() {
  codec::websocket_frame_options o;
  o.mask = codec::random_websocket_mask();
  return o;
}

void client_websocket::transmit(const http::websocket_message& message) {
  codec::write_frame(out_, message.binary ? codec::websocket_opcode::binary : codec::websocket_opcode::text,
                     message.data, masked());
  queued();
}

void client_websocket::transmit_close(std::uint16_t code, std::string_view reason) {
  if (close_sent_) return;
  close_sent_ = true;
  if (!closing_) {
    closing_ = true;
    closing_since_ = clock::now();
  }
  codec::write_close(out_, code, reason, codec::random_websocket_mask());
  queued();
}

void client_websocket::going_away() {
  if (is_open()) close(close_codes::going_away, "client disposed");
}

void client_websocket::abort() noexcept {
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  keeper_.cancel();
  write_ready_.notify();
  drained_.notify();
}

asio::awaitable<void> client_websocket::run() {
  using namespace asio::experimental::awaitable_operators;
  try {
    co_await ((read_loop() && write_loop()) || keep_alive());
  } catch (const std::exception& e) {
    fail(e.what());
  }
  abort();
  finish(code_, reason_, clean_);
}

bool client_websocket::parse_input() {
  using event = codec::websocket_parser::event;
  using op = codec::websocket_opcode;
  while (in_begin_ < in_end_) {
    const auto r = parser_.feed(std::span<const char>(in_.data() + in_begin_, in_end_ - in_begin_));
    in_begin_ += r.consumed;
    switch (r.what) {
      case event::need_more:
        break;
      case event::message:
        deliver({r.opcode == op::binary, std::move(parser_.message())});
        break;
      case event::control:
        if (r.opcode == op::ping) {
          if (!close_sent_) {
            codec::write_pong(out_, parser_.control_payload(), masked());
            queued();
          }
        } else if (r.opcode == op::close) { // §5.5.1: echo the server's code unless ours went first
          code_ = r.close_code;
          reason_ = parser_.close_reason();
          clean_ = true;
          if (!closing_) {
            closing_ = true;
            closing_since_ = clock::now();
          }
          peer_closing(code_, reason_);
          if (!close_sent_) transmit_close(r.close_code, {});
          return false;
        }
        break; // a pong: nothing to do, no ping of ours is outstanding
      case event::error: // §7.1.7: fail the connection with the parser's code
        failed_ = true;
        fail(parser_.error().message());
        code_ = r.close_code;
        reason_ = parser_.error().message();
        peer_closing(code_, reason_);
        transmit_close(r.close_code, {});
        return false;
    }
  }
  in_begin_ = in_end_ = 0;
  return true;
}

asio::awaitable<void> client_websocket::read_loop() {
  for (;;) {
    if (input_over_) in_begin_ = in_end_ = 0; // after the Close, read only to see the end of the stream
    else if (!parse_input()) {
      input_over_ = true;
      in_begin_ = in_end_ = 0;
    }
    // Hold the server back while the caller has not taken what came, or while the server does
    // not take what we send.
    while (!wants_input() && state() != ready_state::closed) co_await input_wanted();
    while (send_backlogged() && socket_.is_open()) co_await drained_.wait();
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(in_.data(), in_.size()), use_nothrow);
    if (ec) {
      // The server closed TCP: after the close handshake that is the end (§7.1.1); before it,
      // the connection broke (1006).
      if (!clean_ && !failed_) code_ = close_codes::abnormal;
      peer_closing(code_, reason_);
      break;
    }
    in_end_ = n;
  }
  reader_done_ = true;
  write_ready_.notify();
}

asio::awaitable<void> client_websocket::write_loop() {
  for (;;) {
    while (out_.empty() && !reader_done_ && socket_.is_open()) co_await write_ready_.wait();
    if (out_.empty() || !socket_.is_open()) break;
    writing_.swap(out_);
    writing_now_ = true;
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(writing_), use_nothrow);
    writing_now_ = false;
    writing_.clear();
    drained_.notify();
    if (writing_.capacity() > 1024 * 1024) writing_.shrink_to_fit();
    if (ec) {
      abort();
      break;
    }
    sent();
  }
}

asio::awaitable<void> client_websocket::keep_alive() {
  const auto tick = std::clamp(options_.close_timeout / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
  for (;;) {
    keeper_.expires_after(tick);
    co_await keeper_.async_wait(use_nothrow);
    if (!socket_.is_open()) co_return;
    if (closing_ && clock::now() - closing_since_ >= options_.close_timeout) {
      abort();
      co_return;
    }
  }
}

} // namespace actorhost::client
