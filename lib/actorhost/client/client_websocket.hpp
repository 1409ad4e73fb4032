// client_websocket: the client's end of one WebSocket to an actor (RFC 6455), the mirror of
// net::websocket_connection in the client role.
//
// handshake() turns a fresh connection into a WebSocket: it sends the upgrade request with a
// new key and the offered subprotocols, and accepts only a 101 that codec's client handshake
// check passes (§4.1); an error status throws actor_error_response (the host's {"c","m","md"}
// body), any other refusal std::system_error. The bytes that came after the 101's head are
// the first frames and are parsed before anything new is read.
//
// After the handshake three coroutines share the socket, as on the server:
//   - the reader feeds the sans-IO frame parser (client role: the server's frames must be
//     unmasked, §5.1) and hands whole messages to the websocket core; it answers pings, echoes
//     the server's Close (§5.5.1), and fails the connection with the parser's close code on a
//     protocol error (§7.1.7). It stops reading while the caller has `receive_high_water` bytes
//     unread, and while more than `send_high_water` bytes wait for a server that does not read.
//   - the writer sends what was queued since its last write in one write. Every frame is
//     masked with a fresh key from codec::random_websocket_mask() (§5.3).
//   - the keeper drops the connection when a close handshake has not ended within
//     close_timeout.
// After the Close frames the client waits for the server to close TCP (§7.1.1), and closes it
// itself only when the server does not within close_timeout.
#pragma once

#include "actorhost/client/client_connection.hpp"
#include "actorhost/client/client_options.hpp"
#include "actorhost/client/outgoing_request.hpp"
#include "actorhost/codec/websocket_frame.hpp"
#include "actorhost/http/websocket.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::client {

class client_websocket final : public http::websocket {
public:
  using clock = std::chrono::steady_clock;

  client_websocket(asio::ip::tcp::socket socket, std::string protocol, std::string_view already_read,
                   const websocket_options& options);
  ~client_websocket() override;

  // Upgrades `connection` with `request` (a GET to a WebSocket route; the handshake fields
  // are added here), offering `protocols`, before `deadline`.
  static asio::awaitable<std::shared_ptr<client_websocket>> handshake(std::unique_ptr<client_connection> connection,
                                                                      outgoing_request request,
                                                                      std::vector<std::string> protocols,
                                                                      std::string host,
                                                                      clock::time_point deadline,
                                                                      websocket_options options);

  // Serves the socket until it is closed; runs on executor().
  asio::awaitable<void> run();

  std::size_t buffered_amount() const noexcept override { return out_.size() + writing_.size(); }

  // Closes with 1001 (going away) if open.
  void going_away();
  // Drops the TCP connection at once (the close listeners see 1006).
  void abort() noexcept;

private:
  void transmit(const http::websocket_message& message) override;
  void transmit_close(std::uint16_t code, std::string_view reason) override;
  void queued() { if (!writing_now_) write_ready_.notify(); }
  bool send_backlogged() const noexcept { return buffered_amount() > limits().send_high_water; }
  static codec::websocket_frame_options masked();

  asio::awaitable<void> read_loop();
  // Handles what is buffered; false once the server's Close (or a protocol error) ended input.
  bool parse_input();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> keep_alive();

  asio::ip::tcp::socket socket_;
  websocket_options options_;
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
  clock::time_point closing_since_{}; // when our Close went out or the server's came
  bool closing_ = false;
  bool close_sent_ = false;
  bool input_over_ = false; // the server's Close came, or a protocol error: input is discarded
  bool reader_done_ = false;
  // How it ended, for the close listeners.
  std::uint16_t code_ = codec::websocket_close::abnormal;
  std::string reason_;
  bool clean_ = false;
  bool failed_ = false;
};

} // namespace actorhost::client
