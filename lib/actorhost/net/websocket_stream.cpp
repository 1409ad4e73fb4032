#include "actorhost/net/websocket_stream.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace actorhost::net {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;

namespace close_codes = codec::websocket_close;

} // namespace

websocket_stream::websocket_stream(asio::ip::tcp::socket socket, std::string protocol, std::string_view already_read,
                                   const websocket_stream_options& options)
    : http::websocket(socket.get_executor(), std::move(protocol), options.limits),
      socket_(std::move(socket)),
      options_(options),
      parser_({options.role, options.max_message_size}),
      in_(std::max(read_chunk, already_read.size())),
      write_ready_(socket_.get_executor()),
      drained_(socket_.get_executor()),
      keeper_(socket_.get_executor()),
      last_heard_(clock::now()) {
  if (!already_read.empty()) std::memcpy(in_.data(), already_read.data(), already_read.size());
  in_end_ = already_read.size();
}

websocket_stream::~websocket_stream() = default;

codec::websocket_frame_options websocket_stream::frame_options() const {
  codec::websocket_frame_options o;
  if (client()) o.mask = codec::random_websocket_mask();
  return o;
}

void websocket_stream::closing_now() {
  if (closing_) return;
  closing_ = true;
  closing_since_ = clock::now();
}

void websocket_stream::transmit(const http::websocket_message& message) {
  codec::write_frame(out_, message.binary ? codec::websocket_opcode::binary : codec::websocket_opcode::text,
                     message.data, frame_options());
  queued();
}

void websocket_stream::transmit_close(std::uint16_t code, std::string_view reason) {
  if (close_sent_) return;
  close_sent_ = true;
  closing_now();
  codec::write_close(out_, code, reason, frame_options().mask);
  queued();
}

void websocket_stream::abort() noexcept {
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  keeper_.cancel();
  write_ready_.notify();
  drained_.notify();
}

asio::awaitable<void> websocket_stream::serve() {
  using namespace asio::experimental::awaitable_operators;
  try {
    co_await ((read_loop() && write_loop()) || keep_alive());
  } catch (const std::exception& e) {
    spdlog::debug("WebSocket connection ended: {}", e.what());
  }
  abort();
  finish(code_, reason_, clean_);
}

bool websocket_stream::parse_input() {
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
            codec::write_pong(out_, parser_.control_payload(), frame_options());
            queued();
          }
        } else if (r.opcode == op::pong) {
          ping_outstanding_ = false;
        } else { // close (§5.5.1): echo the peer's code unless ours went first
          code_ = r.close_code;
          reason_ = parser_.close_reason();
          clean_ = true;
          closing_now();
          peer_closing(code_, reason_);
          if (!close_sent_) transmit_close(r.close_code, {});
          return false;
        }
        break;
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

asio::awaitable<void> websocket_stream::read_loop() {
  for (;;) {
    if (!input_over_ && !parse_input()) input_over_ = true;
    if (input_over_) in_begin_ = in_end_ = 0; // read on only to see the end of the stream
    // Hold the peer back while the handler has not taken what came, or while the peer does not
    // take what we send (pongs and echoes would otherwise pile up without bound).
    while (!wants_input() && state() != ready_state::closed) co_await input_wanted();
    while (send_backlogged() && socket_.is_open()) co_await drained_.wait();
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(in_.data(), in_.size()), use_nothrow);
    if (ec) {
      // The end of the stream after the close handshake is the end (§7.1.1); before it, the
      // connection broke (1006), or we dropped it.
      if (!clean_ && !failed_) code_ = close_codes::abnormal;
      peer_closing(code_, reason_);
      break;
    }
    in_end_ = n;
    last_heard_ = clock::now();
  }
  reader_done_ = true;
  write_ready_.notify();
}

asio::awaitable<void> websocket_stream::write_loop() {
  // After our Close nothing else is queued, so an empty queue then means it has been written.
  for (;;) {
    while (out_.empty() && !reader_done_ && !close_sent_ && socket_.is_open()) co_await write_ready_.wait();
    if (out_.empty() || !socket_.is_open()) break;
    writing_.swap(out_);
    writing_now_ = true;
    write_started_ = clock::now();
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
  // Our Close is out (or the peer is gone). The server closes its side first (§7.1.1); the
  // client waits for the server's. The reader sees the end, or the keeper's close_timeout.
  if (!client()) {
    asio::error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_send, ignored);
  }
}

asio::awaitable<void> websocket_stream::keep_alive() {
  const auto& o = options_;
  auto shortest = o.close_timeout;
  if (o.ping_interval.count() > 0) shortest = std::min(shortest, o.ping_interval);
  if (o.write_timeout.count() > 0) shortest = std::min(shortest, o.write_timeout);
  const auto tick = std::clamp(shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
  for (;;) {
    keeper_.expires_after(tick);
    co_await keeper_.async_wait(use_nothrow);
    if (!socket_.is_open()) co_return;
    const auto now = clock::now();
    if (!wants_input() || send_backlogged()) last_heard_ = now; // not reading: silence proves nothing
    if (ping_outstanding_ && last_heard_ > ping_sent_) ping_outstanding_ = false; // anything will do
    const bool close_overdue = closing_ && now - closing_since_ >= o.close_timeout;
    const bool write_stalled = o.write_timeout.count() > 0 && writing_now_ && now - write_started_ >= o.write_timeout;
    const bool ping_unanswered = ping_outstanding_ && now - ping_sent_ >= o.ping_interval;
    const bool drop_due = drop_at_ && now >= *drop_at_;
    if (close_overdue || write_stalled || drop_due || (ping_unanswered && writing_now_)) {
      abort();
      co_return;
    }
    if (ping_unanswered && !drop_at_) {
      // Say why before dropping it (1001), in case only our side of the path was slow; a peer
      // silent this long gets one more interval, not the whole close handshake.
      if (!close_sent_) transmit_close(close_codes::going_away, "no answer to ping");
      drop_at_ = now + std::min(o.ping_interval, o.close_timeout);
    }
    if (o.ping_interval.count() > 0 && !ping_outstanding_ && !close_sent_ && now - last_heard_ >= o.ping_interval) {
      ping_outstanding_ = true;
      ping_sent_ = now;
      codec::write_ping(out_, {}, frame_options());
      queued();
    }
  }
}

} // namespace actorhost::net
