#include "actorhost/client/client_connection.hpp"

#include "actorhost/client/client_error.hpp"

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <system_error>

namespace actorhost::client {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;

// What a connection the server has let go answers a write or the first read with.
bool peer_gone(const std::error_code& ec) noexcept {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

} // namespace

client_connection::client_connection(asio::ip::tcp::socket socket, codec::http_response_limits limits)
    : socket_(std::move(socket)), parser_(limits), buffer_(read_chunk) {
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  // Synchronous calls (only peer_closed()'s peek) must never block; Asio's own async
  // operations are unaffected.
  socket_.non_blocking(true, ignored);
}

asio::awaitable<std::unique_ptr<client_connection>> client_connection::open(
    asio::any_io_executor executor, std::vector<asio::ip::tcp::endpoint> endpoints, clock::time_point deadline,
    codec::http_response_limits limits) {
  using namespace asio::experimental::awaitable_operators;
  asio::ip::tcp::socket socket(executor);
  asio::steady_timer timer(executor);
  timer.expires_at(deadline);
  // Each side of || must succeed or fail by value: || waits for one to succeed, so a connect that
  // threw would leave the timer to decide, and the caller would see a timeout.
  auto outcome = co_await (asio::async_connect(socket, endpoints, use_nothrow) || timer.async_wait(asio::use_awaitable));
  if (outcome.index() == 1) throw std::system_error(client_error::connect_timeout);
  if (auto [ec, ignored] = std::get<0>(outcome); ec) throw std::system_error(ec);
  co_return std::make_unique<client_connection>(std::move(socket), limits);
}

asio::awaitable<http::response> client_connection::exchange(std::string request, bool head_request,
                                                            clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  reusable_ = false;
  asio::steady_timer timer(socket_.get_executor());
  timer.expires_at(deadline);
  auto outcome = co_await (transfer(std::move(request), head_request) || timer.async_wait(asio::use_awaitable));
  if (outcome.index() == 1) {
    close();
    throw std::system_error(client_error::request_timeout);
  }
  auto result = std::get<0>(std::move(outcome));
  if (result.error) std::rethrow_exception(result.error);
  co_return std::move(result.response);
}

asio::awaitable<client_connection::transfer_result> client_connection::transfer(std::string request, bool head_request) {
  // The outcome is a value, exception included: || waits for one side to succeed, so a
  // transfer that threw would leave the timer to decide.
  transfer_result result;
  try {
    result.response = co_await send_and_receive(std::move(request), head_request);
  } catch (...) {
    result.error = std::current_exception();
  }
  co_return result;
}

asio::awaitable<http::response> client_connection::send_and_receive(std::string request, bool head_request) {
  using event = codec::http_response_parser::event;
  parser_.expect_head_response(head_request);
  auto [write_ec, written] = co_await asio::async_write(socket_, asio::buffer(request), use_nothrow);
  if (write_ec) {
    if (peer_gone(write_ec)) throw std::system_error(client_error::closed_before_response);
    throw std::system_error(write_ec);
  }
  bool heard = false; // a byte of the response has come
  for (;;) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer_), use_nothrow);
    if (ec == asio::error::eof || (!heard && peer_gone(ec))) {
      const auto r = parser_.finish();
      if (r.what == event::message_complete) co_return take_response(); // a body delimited by the close
      if (r.what == event::closed) throw std::system_error(client_error::closed_before_response);
      throw std::system_error(parser_.error(), std::string(parser_.error_reason()));
    }
    if (ec) throw std::system_error(ec);
    heard = true;
    std::size_t pos = 0;
    while (pos < n) {
      const auto r = parser_.feed({buffer_.data() + pos, n - pos});
      pos += r.consumed;
      if (r.what == event::error) throw std::system_error(parser_.error(), std::string(parser_.error_reason()));
      if (r.what == event::message_complete) {
        leftover_.assign(buffer_.data() + pos, n - pos);
        reusable_ = parser_.head().keep_alive && leftover_.empty() && !parser_.upgraded();
        co_return take_response();
      }
      if (r.consumed == 0) break;
    }
  }
}

http::response client_connection::take_response() {
  auto& head = parser_.head();
  http::response res = http::response::empty(head.status, http::headers(std::move(head.fields)));
  res.body() = std::move(parser_.body());
  head.fields.clear();
  return res;
}

bool client_connection::peer_closed() {
  if (!socket_.is_open()) return true;
  char byte = 0;
  asio::error_code ec;
  socket_.receive(asio::buffer(&byte, 1), asio::socket_base::message_peek, ec);
  // Nothing to read is the one good answer: end of stream, an error or stray bytes all mean
  // that the connection cannot carry a request.
  return ec != asio::error::would_block && ec != asio::error::try_again;
}

void client_connection::close() noexcept {
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  reusable_ = false;
}

} // namespace actorhost::client
