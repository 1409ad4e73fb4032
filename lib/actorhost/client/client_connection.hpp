// client_connection: one HTTP/1.1 connection from a client to the host, used for one
// request at a time (no pipelining) and kept alive between them.
//
// exchange() writes a request and reads its response through the sans-IO
// codec::http_response_parser, all before a deadline; on the deadline the connection is closed
// and the call throws client_error::request_timeout. What it throws otherwise:
// client_error::closed_before_response when the server closed (or reset) the connection
// before a byte of the response came, which is what a pooled connection the server let go
// looks like and the one failure after which a request may be sent again; the parser's error
// for a malformed response; Asio's error for the rest. After an exchange, reusable() says
// whether the connection may carry another request: the response was complete, allowed
// keep-alive and left no stray bytes behind.
//
// A 101 answer ends HTTP on the connection: take_socket() and take_leftover() hand the socket
// and the bytes read past the head to the WebSocket that continues on it.
#pragma once

#include "actorhost/codec/http_response_parser.hpp"
#include "actorhost/http/response.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace actorhost::client {

class client_connection {
public:
  using clock = std::chrono::steady_clock;

  client_connection(asio::ip::tcp::socket socket, codec::http_response_limits limits);

  // Connects to the first of `endpoints` that answers, by `deadline` (else
  // client_error::connect_timeout).
  static asio::awaitable<std::unique_ptr<client_connection>> open(asio::any_io_executor executor,
                                                                  std::vector<asio::ip::tcp::endpoint> endpoints,
                                                                  clock::time_point deadline,
                                                                  codec::http_response_limits limits);

  // Writes `request` (a serialized request) and reads the response to it.
  asio::awaitable<http::response> exchange(std::string request, bool head_request, clock::time_point deadline);

  bool reusable() const noexcept { return reusable_ && socket_.is_open(); }
  // For a connection idle in a pool: true when the server has closed it (or sent something
  // nobody asked for), so that it must not carry a request. Never blocks.
  bool peer_closed();
  bool upgraded() const noexcept { return parser_.upgraded(); }

  void set_idle_since(clock::time_point t) noexcept { idle_since_ = t; }
  clock::time_point idle_since() const noexcept { return idle_since_; }

  asio::ip::tcp::socket take_socket() { return std::move(socket_); }
  std::string take_leftover() { return std::move(leftover_); }
  void close() noexcept;

private:
  struct transfer_result {
    std::exception_ptr error;
    http::response response;
  };
  asio::awaitable<transfer_result> transfer(std::string request, bool head_request);
  asio::awaitable<http::response> send_and_receive(std::string request, bool head_request);
  http::response take_response();

  asio::ip::tcp::socket socket_;
  codec::http_response_parser parser_;
  std::vector<char> buffer_;
  std::string leftover_; // bytes read past the last response
  bool reusable_ = false;
  clock::time_point idle_since_{};
};

} // namespace actorhost::client
