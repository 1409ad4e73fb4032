#include "actorhost/net/http_server.hpp"

#include "actorhost/net/http_connection.hpp"
#include "actorhost/net/websocket_connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/address.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

namespace actorhost::net {

namespace {
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
} // namespace

void log_task_failure(std::string_view what, std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("{} failed: {}", what, ex.what());
  } catch (...) {
    spdlog::error("{} failed", what);
  }
}

http_server::http_server(worker_pool& pool, http_handler& handler, server_options options)
    : pool_(pool), handler_(handler), options_(std::move(options)) {
  for (std::size_t i = 0; i < pool_.size(); ++i)
    slots_.push_back(std::make_unique<worker_slot>(pool_.at(i).context(), i, slots_));
}

http_server::~http_server() = default;

void http_server::start() {
  const auto address = asio::ip::make_address(options_.host);
  std::uint16_t port = options_.port;
  {
    // SO_REUSEPORT would let a second process join a port in use and take half its
    // connections. A plain bind first fails if anything listens there already (and picks the
    // port when 0 was asked for); once ours are bound, another process's plain bind fails too.
    asio::ip::tcp::acceptor probe(slots_.front()->context);
    asio::ip::tcp::endpoint endpoint(address, port);
    probe.open(endpoint.protocol());
    probe.set_option(asio::socket_base::reuse_address(true)); // TIME_WAIT is no obstacle; a listener is
    probe.bind(endpoint);
    port = probe.local_endpoint().port();
  }
  for (auto& slot : slots_) {
    asio::ip::tcp::endpoint endpoint(address, port);
    auto& acceptor = slot->acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.set_option(reuse_port(true));
    acceptor.bind(endpoint);
    acceptor.listen(options_.listen_backlog);
    // With port 0 the first bind picks the port; the others share it.
    port = acceptor.local_endpoint().port();
  }
  port_ = port;
  for (auto& slot : slots_) tasks_.spawn(slot->context.get_executor(), accept_loop(*slot), "accept loop");
}

asio::awaitable<void> http_server::accept_loop(worker_slot& slot) {
  asio::steady_timer backoff(slot.context);
  auto last_warning = std::chrono::steady_clock::time_point{};
  std::size_t refused = 0;
  for (;;) {
    auto [ec, socket] = co_await slot.acceptor.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !slot.acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors (or memory): the connections already open go on being served, the
      // new ones wait in the backlog, and the next try comes as soon as one of this worker's
      // connections closes (or after 50 ms, for descriptors freed elsewhere). One line a
      // second says so, however many tries fail.
      ++refused;
      const auto now = std::chrono::steady_clock::now();
      if (now - last_warning >= std::chrono::seconds(1)) {
        spdlog::warn("accept failed ({} time(s) since the last line): {}", refused, ec.message());
        last_warning = now;
        refused = 0;
      }
      backoff.expires_after(std::chrono::milliseconds(50));
      slot.accept_pause = &backoff;
      co_await backoff.async_wait(use_nothrow);
      slot.accept_pause = nullptr;
      continue;
    }
    asio::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    auto conn = std::make_shared<http_connection>(std::move(socket), slot, handler_, options_, tasks_,
                                                  std::string_view{}, true);
    tasks_.spawn(slot.context.get_executor(), conn->run(), "connection");
  }
}

void http_server::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  for (auto& slot : slots_) {
    asio::post(slot->context, [s = slot.get()] {
      s->draining = true;
      asio::error_code ignored;
      s->acceptor.close(ignored);
      // Copy first: closing may end a connection, which removes itself from the set.
      std::vector<http_connection*> conns(s->connections.begin(), s->connections.end());
      for (auto* c : conns) c->close_if_idle();
      std::vector<websocket_connection*> sockets(s->websockets.begin(), s->websockets.end());
      for (auto* w : sockets) w->going_away();
    });
  }
  asio::co_spawn(slots_.front()->context, drain(std::chrono::steady_clock::now() + grace, std::move(done)),
                 [](std::exception_ptr e) { if (e) log_task_failure("shutdown", e); });
}

asio::awaitable<void> http_server::drain(std::chrono::steady_clock::time_point deadline, std::function<void()> done) {
  asio::steady_timer timer(slots_.front()->context);
  while (tasks_.live() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(use_nothrow);
  }
  if (tasks_.live() > 0) {
    spdlog::warn("shutdown grace period over; closing {} connection(s)", tasks_.live());
    for (auto& slot : slots_) {
      asio::post(slot->context, [s = slot.get()] {
        std::vector<http_connection*> conns(s->connections.begin(), s->connections.end());
        for (auto* c : conns) c->close();
        std::vector<websocket_connection*> sockets(s->websockets.begin(), s->websockets.end());
        for (auto* w : sockets) w->abort();
      });
    }
    // Let the closed connections unwind before the loops stop.
    for (int i = 0; i < 100 && tasks_.live() > 0; ++i) {
      timer.expires_after(std::chrono::milliseconds(10));
      co_await timer.async_wait(use_nothrow);
    }
  }
  done();
}

} // namespace actorhost::net
