// http_connection: one HTTP/1.1 connection, served by one coroutine on one worker.
//
// The loop feeds received bytes to the sans-IO parser, hands each complete request to the
// http_handler, and queues the responses in order; queued responses are written when the
// parser needs more input, so a burst of pipelined requests is answered with one write
// (RFC 9112 §9.3.2). A large body is written from where the handler left it, after its head,
// never copied into the output buffer.
//
// Deadlines (a watchdog raced against the loop; none runs while a handler works):
//   - a request head must be whole within header_timeout of its first byte, or of the accept
//     for a connection's first request, however slowly its bytes trickle (slowloris);
//   - a keep-alive connection may wait idle_timeout for its next request;
//   - each read of a body, and each write of a response, must make progress within io_timeout;
//   - a response body held for a peer that reads nothing for a second is dropped when such
//     bodies together pass the host's max_pending_output, so memory follows the work flowing.
// A head or body that times out is answered 408. Whenever input may be left unread (an error,
// a timeout, a body the handler did not want), the connection half-closes and drains what the
// peer still sends for a bounded time before closing, so that the peer reads the answer instead
// of a reset (nginx's lingering close).
//
// Expect: 100-continue is answered only once the handler reads the body, so onAuth runs first
// and a refused client never starts its upload.
//
// Affinity: when the handler says eight requests in a row had their work on another worker,
// the connection moves there between requests (its socket is handed to that worker's
// io_context with the bytes already read), so that its later requests need no thread hop.
#pragma once

#include "actorhost/codec/http_parser.hpp"
#include "actorhost/http/serializer.hpp"
#include "actorhost/net/http_handler.hpp"
#include "actorhost/net/server_options.hpp"
#include "actorhost/net/task_group.hpp"
#include "actorhost/net/worker_slot.hpp"

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::net {

class http_connection : public std::enable_shared_from_this<http_connection> {
public:
  // `fresh`: just accepted, so its first head is timed from now. A connection moved from
  // another worker is between requests.
  http_connection(asio::ip::tcp::socket socket, worker_slot& slot, http_handler& handler,
                  const server_options& options, task_group& tasks, std::string_view already_read = {},
                  bool fresh = false);
  ~http_connection();

  asio::awaitable<void> run();

  // Closes the connection now if it is waiting for a next request; else after the response.
  void close_if_idle();
  void close() noexcept;

private:
  using clock = std::chrono::steady_clock;
  // What the connection waits for, which decides its deadline and what a timeout means.
  enum class wait_kind { none, head, idle, body, write };

  asio::awaitable<void> serve();
  asio::awaitable<void> watchdog();
  asio::awaitable<bool> read_more();
  asio::awaitable<bool> flush();
  asio::awaitable<bool> respond(http::response res, bool head_request, bool close);
  // Answers 101 and hands the socket to a websocket_connection on the worker named by the hint.
  asio::awaitable<void> upgrade(http::response res);
  // The handler runs while the body arrives; with `defer_continue` the 100 waits for its read.
  asio::awaitable<bool> serve_streamed(bool defer_continue);
  // After a reply: whether to move to the worker the last requests' work lives on.
  bool should_move(std::size_t worker) noexcept;
  bool move_to(worker_slot& target);
  asio::awaitable<bool> stream_body(http::response res);
  asio::awaitable<void> watch_peer(bool& gone);
  // Half-closes, sends the 408 if one is due, and reads and drops what the peer still sends.
  asio::awaitable<void> linger();
  http::request make_request();
  void wait_for(wait_kind kind, clock::time_point deadline);
  void clear_deadline() {
    waiting_ = wait_kind::none;
    deadline_ = clock::time_point::max();
  }
  // A large body held for the peer counts against the host's max_pending_output.
  void hold_body(std::string body);
  void release_body() noexcept;
  bool pending_output_over_budget() const noexcept;

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  worker_slot& slot_;
  http_handler& handler_;
  const server_options& options_;
  task_group& tasks_;
  codec::http_parser parser_;
  std::vector<char> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string out_;
  std::string body_out_; // a large body, written after out_
  std::size_t held_ = 0; // bytes of body_out_ counted in slot_.pending_output
  wait_kind waiting_ = wait_kind::none;
  clock::time_point deadline_ = clock::time_point::max();
  clock::time_point armed_ = clock::time_point::max(); // when the watchdog wakes next
  clock::time_point head_deadline_ = clock::time_point::max(); // the current head's, fixed
  clock::time_point last_progress_{};                          // of the current write
  int version_minor_ = 1; // of the request being answered
  bool fresh_ = false;    // no head has completed yet
  bool idle_ = true;
  bool closing_ = false;
  bool linger_ = false;      // input may be left unread: drain before closing
  bool timed_out_ = false;   // a head or body timed out: 408
  bool discarding_ = false;  // a pipelining peer overflowed the buffer behind a stream
  affinity hint_;
  std::size_t away_streak_ = 0; // requests in a row whose work was on another worker
};

} // namespace actorhost::net
