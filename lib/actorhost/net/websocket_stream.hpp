// websocket_stream: one WebSocket over TCP after its handshake (RFC 6455), in either role. The
// server's connection (websocket_connection) and the client's (client::client_websocket) are
// this with a role and their own setup around it.
//
// Three coroutines share the socket, on one executor:
//   - the reader feeds received bytes to the sans-IO frame parser and hands whole messages to
//     the websocket core (http/websocket.hpp); it answers pings, echoes the peer's Close
//     (§5.5.1), and fails the connection with the parser's close code on a protocol error
//     (§7.1.7). It stops reading while the handler has `receive_high_water` bytes unread, and
//     while more than `send_high_water` bytes wait to go out to a peer that does not read.
//     After a Close (either way) or a failure it reads on only to see the end of the stream.
//   - the writer sends whatever frames were queued since its last write in one write, so a
//     burst of sends costs one system call. A client masks every frame with a fresh key (§5.3).
//   - the keeper drops the connection when the close handshake has not ended within
//     close_timeout; with a ping interval it pings a silent peer, and when one stays silent
//     for another interval it sends a Close (1001) and drops the connection one interval
//     later; with a write timeout it drops a peer whose reads stall a write.
// Once its Close is out, the server closes its side of TCP first; the client waits for the
// server to close (§7.1.1), and drops the connection itself only after close_timeout.
#pragma once

#include "actorhost/codec/websocket_frame.hpp"
#include "actorhost/http/websocket.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::net {

struct websocket_stream_options {
  codec::websocket_role role = codec::websocket_role::server;
  // The largest message the peer may send (1009 beyond).
  std::uint64_t max_message_size = 16 * 1024 * 1024;
  // After this long without a byte from the peer, a ping; as long again without one, the
  // connection is dropped. Zero: no pings.
  std::chrono::milliseconds ping_interval{0};
  // How long the close handshake may take.
  std::chrono::milliseconds close_timeout{5'000};
  // How long one write may wait for the peer to read. Zero: no limit.
  std::chrono::milliseconds write_timeout{0};
  http::websocket_limits limits;
};

class websocket_stream : public http::websocket {
public:
  websocket_stream(asio::ip::tcp::socket socket, std::string protocol, std::string_view already_read,
                   const websocket_stream_options& options);
  ~websocket_stream() override;

  // Serves the socket until it is closed, then tells the close listeners.
  asio::awaitable<void> serve();

  std::size_t buffered_amount() const noexcept override { return out_.size() + writing_.size(); }

  // Drops the TCP connection at once (the close listeners see 1006).
  void abort() noexcept;

private:
  using clock = std::chrono::steady_clock;

  void transmit(const http::websocket_message& message) override;
  void transmit_close(std::uint16_t code, std::string_view reason) override;
  void queued() { if (!writing_now_) write_ready_.notify(); }
  bool send_backlogged() const noexcept { return buffered_amount() > limits().send_high_water; }
  bool client() const noexcept { return options_.role == codec::websocket_role::client; }
  // Masked with a fresh key for a client (§5.3), plain for a server.
  codec::websocket_frame_options frame_options() const;
  void closing_now();

  asio::awaitable<void> read_loop();
  // Handles what is buffered; false once the peer's Close or a protocol error ended the input.
  bool parse_input();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> keep_alive();

  asio::ip::tcp::socket socket_;
  websocket_stream_options options_;
  codec::websocket_parser parser_;
  std::vector<char> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string out_;     // frames queued since the last write began
  std::string writing_; // frames being written
  bool writing_now_ = false;
  http::wakeup write_ready_;
  http::wakeup drained_; // a write finished
  asio::steady_timer keeper_;
  clock::time_point last_heard_;
  clock::time_point ping_sent_{};
  clock::time_point closing_since_{}; // when our Close went out or the peer's came
  clock::time_point write_started_{};
  std::optional<clock::time_point> drop_at_; // a ping went unanswered: the connection ends then
  bool ping_outstanding_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool input_over_ = false; // the peer's Close came, or a protocol error: input is dropped
  bool reader_done_ = false;
  // How it ended, for the close listeners.
  std::uint16_t code_ = codec::websocket_close::abnormal;
  std::string reason_;
  bool clean_ = false;
  bool failed_ = false;
};

} // namespace actorhost::net
