// websocket_connection: the server's end of one WebSocket over TCP (RFC 6455), after the 101.
//
// It lives on one worker (the actor's home worker, so that the actor's handlers and the socket
// share a thread and nothing crosses threads per message). Three coroutines share it:
//   - the reader feeds received bytes to the sans-IO frame parser and hands whole messages to
//     the websocket core (http/websocket.hpp); it answers pings, echoes the peer's Close
//     (§5.5.1), and fails the connection with the parser's close code on a protocol error
//     (§7.1.7). It stops reading while the handler has `receive_high_water` bytes unread, and
//     while more than `send_high_water` bytes wait to go out to a peer that does not read.
//   - the writer sends whatever frames were queued since its last write in one write, so a
//     burst of sends costs one system call.
//   - the keeper pings a silent peer and drops one that stays silent, drops a peer that does
//     not answer our Close within close_timeout, and one whose reads stall a write past
//     io_timeout.
// The server closes the TCP connection once the close handshake is over (§7.1.1).
#pragma once

#include "actorhost/codec/websocket_frame.hpp"
#include "actorhost/http/websocket.hpp"
#include "actorhost/net/server_options.hpp"
#include "actorhost/net/task_group.hpp"
#include "actorhost/net/worker_slot.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::net {

class websocket_connection final : public http::websocket {
public:
  websocket_connection(asio::ip::tcp::socket socket, worker_slot& slot, const server_options& options,
                       std::string protocol, std::string_view already_read);
  ~websocket_connection() override;

  // Starts `session` beside the connection and serves the socket until it is closed.
  asio::awaitable<void> run(http::websocket_session session, task_group& tasks);

  std::size_t buffered_amount() const noexcept override { return out_.size() + writing_.size(); }

  // Server shutdown: close with 1001 (going away).
  void going_away();
  // Drops the TCP connection at once (the peer sees 1006).
  void abort() noexcept;

private:
  using clock = std::chrono::steady_clock;

  void transmit(const http::websocket_message& message) override;
  void transmit_close(std::uint16_t code, std::string_view reason) override;
  void queued() { if (!writing_now_) write_ready_.notify(); }
  bool send_backlogged() const noexcept { return buffered_amount() > limits().send_high_water; }

  asio::awaitable<void> read_loop();
  // Handles what is buffered; false once no more is to be read.
  bool parse_input();
  asio::awaitable<void> write_loop();
  asio::awaitable<void> keep_alive();

  asio::ip::tcp::socket socket_;
  worker_slot& slot_;
  const server_options& options_;
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
  clock::time_point close_sent_at_{};
  clock::time_point write_started_{};
  bool ping_outstanding_ = false;
  bool close_sent_ = false;
  bool reader_done_ = false;
  bool failed_ = false; // a protocol error: our Close is sent, the rest of the input is dropped
  // How it ended, for the close listeners.
  std::uint16_t code_ = codec::websocket_close::abnormal;
  std::string reason_;
  bool clean_ = false;
};

} // namespace actorhost::net
