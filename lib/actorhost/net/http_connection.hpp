// http_connection: one HTTP/1.1 connection, served by one coroutine on one worker.
//
// The loop feeds received bytes to the sans-IO parser, hands each complete request to the
// http_handler, and queues the responses in order; queued responses are written when the
// parser needs more input, so a burst of pipelined requests is answered with one write
// (RFC 9112 §9.3.2). A watchdog closes the socket when a peer-controlled wait (idle, head,
// body, write) passes its deadline; no deadline runs while a handler is working.
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
  http_connection(asio::ip::tcp::socket socket, worker_slot& slot, http_handler& handler,
                  const server_options& options, task_group& tasks, std::string_view already_read = {});
  ~http_connection();

  asio::awaitable<void> run();

  // Closes the connection now if it is waiting for a next request; else after the response.
  void close_if_idle();
  void close() noexcept;

private:
  using clock = std::chrono::steady_clock;

  asio::awaitable<void> serve();
  asio::awaitable<void> watchdog();
  asio::awaitable<bool> read_more();
  asio::awaitable<bool> flush();
  asio::awaitable<bool> respond(http::response res, bool head_request, bool close);
  // Answers 101 and hands the socket to a websocket_connection on the worker named by the hint.
  asio::awaitable<void> upgrade(http::response res);
  asio::awaitable<bool> serve_streamed();
  // After a reply: whether to move to the worker the last requests' work lives on.
  bool should_move(std::size_t worker) noexcept;
  bool move_to(worker_slot& target);
  asio::awaitable<bool> stream_body(http::response res);
  asio::awaitable<void> watch_peer(bool& gone);
  http::request make_request();
  void set_deadline(std::chrono::milliseconds d);
  void clear_deadline() { deadline_ = clock::time_point::max(); }

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
  clock::time_point deadline_ = clock::time_point::max();
  clock::time_point armed_ = clock::time_point::max(); // when the watchdog wakes next
  bool idle_ = true;
  bool closing_ = false;
  affinity hint_;
  std::size_t away_streak_ = 0; // requests in a row whose work was on another worker
};

} // namespace actorhost::net
