#include "actorhost/client/connection_pool.hpp"

#include "actorhost/client/client_error.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <system_error>

namespace actorhost::client {

namespace {
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
} // namespace

// A connection slot held by one request: the connection (null while connecting) and whether
// it carried a request before. Ending the lease returns the slot; the connection goes back to
// the pool only through release().
class connection_pool::lease {
public:
  lease(connection_pool* pool, std::unique_ptr<client_connection> connection, bool reused)
      : pool_(pool), connection_(std::move(connection)), reused_(reused) {}
  lease(lease&& other) noexcept
      : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)), reused_(other.reused_) {}
  lease& operator=(lease&&) = delete;
  ~lease() {
    if (pool_ != nullptr) pool_->give_back(std::move(connection_), false);
  }

  client_connection& connection() noexcept { return *connection_; }
  void set_connection(std::unique_ptr<client_connection> c) noexcept { connection_ = std::move(c); }
  bool reused() const noexcept { return reused_; }
  void release(bool reusable) {
    if (pool_ == nullptr) return;
    std::exchange(pool_, nullptr)->give_back(std::move(connection_), reusable);
  }

private:
  connection_pool* pool_;
  std::unique_ptr<client_connection> connection_;
  bool reused_;
};

connection_pool::connection_pool(asio::any_io_executor executor, endpoint where, const client_options& options)
    : executor_(std::move(executor)), where_(std::move(where)), options_(options) {}

connection_pool::~connection_pool() {
  for (auto& c : idle_) c->close();
}

codec::http_response_limits connection_pool::limits() const noexcept {
  codec::http_response_limits l;
  l.max_body_bytes = options_.max_response_body;
  return l;
}

asio::awaitable<http::response> connection_pool::send(outgoing_request request, bool may_repeat) {
  const auto deadline = clock::now() + options_.request_timeout;
  std::string bytes;
  serialize_request(bytes, request, where_.host_header);
  const bool head = request.head();
  for (int attempt = 0;; ++attempt) {
    // The retry goes over a new connection: the idle ones may all have been let go together.
    lease held = co_await acquire(deadline, attempt > 0);
    try {
      http::response res = co_await held.connection().exchange(bytes, head, deadline);
      held.release(held.connection().reusable());
      co_return res;
    } catch (const std::system_error& e) {
      const bool again = attempt == 0 && may_repeat && held.reused() && e.code() == client_error::closed_before_response;
      if (!again) throw;
    }
    retried_.fetch_add(1, std::memory_order_relaxed);
  }
}

asio::awaitable<connection_pool::lease> connection_pool::acquire(clock::time_point deadline, bool fresh) {
  for (;;) {
    if (disposed_) throw std::system_error(client_error::disposed);
    if (fresh && !idle_.empty() && busy_ + idle_.size() >= options_.max_connections) {
      idle_.front()->close(); // make room for the new connection
      idle_.erase(idle_.begin());
      idle_count_.store(idle_.size(), std::memory_order_relaxed);
    }
    while (!fresh && !idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      idle_count_.store(idle_.size(), std::memory_order_relaxed);
      if (clock::now() - connection->idle_since() >= options_.idle_timeout || connection->peer_closed()) {
        connection->close();
        continue;
      }
      ++busy_;
      busy_count_.store(busy_, std::memory_order_relaxed);
      reused_.fetch_add(1, std::memory_order_relaxed);
      co_return lease(this, std::move(connection), true);
    }
    if (busy_ + (fresh ? idle_.size() : 0) < options_.max_connections) {
      ++busy_; // the slot is ours while connecting; the lease gives it back if that fails
      busy_count_.store(busy_, std::memory_order_relaxed);
      lease held(this, nullptr, false);
      auto connection = co_await connect(deadline);
      held.set_connection(std::move(connection));
      opened_.fetch_add(1, std::memory_order_relaxed);
      co_return held;
    }
    co_await wait_for_slot(deadline);
  }
}

asio::awaitable<std::unique_ptr<client_connection>> connection_pool::connect(clock::time_point deadline) {
  const auto connect_deadline = std::min(deadline, clock::now() + options_.connect_timeout);
  auto endpoints = co_await resolve(connect_deadline);
  try {
    co_return co_await client_connection::open(executor_, std::move(endpoints), connect_deadline, limits());
  } catch (const std::system_error&) {
    resolved_.clear(); // the name may lead elsewhere now
    throw;
  }
}

asio::awaitable<std::vector<asio::ip::tcp::endpoint>> connection_pool::resolve(clock::time_point deadline) {
  if (!resolved_.empty()) co_return resolved_;
  using namespace asio::experimental::awaitable_operators;
  asio::ip::tcp::resolver resolver(executor_);
  asio::steady_timer timer(executor_);
  timer.expires_at(deadline);
  // Failures come back as values: || waits for one side to succeed.
  auto outcome = co_await (resolver.async_resolve(where_.host, where_.port, use_nothrow) ||
                           timer.async_wait(asio::use_awaitable));
  if (outcome.index() == 1) throw std::system_error(client_error::connect_timeout);
  auto [ec, results] = std::get<0>(std::move(outcome));
  if (ec) throw std::system_error(ec, "resolving " + where_.host);
  std::vector<asio::ip::tcp::endpoint> found;
  for (const auto& entry : results) found.push_back(entry.endpoint());
  resolved_ = found;
  co_return found;
}

asio::awaitable<void> connection_pool::wait_for_slot(clock::time_point deadline) {
  auto timer = std::make_shared<asio::steady_timer>(executor_);
  timer->expires_at(deadline);
  waiters_.push_back(timer);
  co_await timer->async_wait(use_nothrow);
  const auto self = std::find(waiters_.begin(), waiters_.end(), timer);
  const bool woken = self == waiters_.end(); // notify_one() took us off the list
  if (!woken) waiters_.erase(self);
  if (clock::now() >= deadline && !disposed_) {
    if (woken) notify_one(); // the slot we were given goes to the next waiter
    throw std::system_error(client_error::request_timeout);
  }
}

void connection_pool::give_back(std::unique_ptr<client_connection> connection, bool reusable) {
  --busy_;
  busy_count_.store(busy_, std::memory_order_relaxed);
  if (connection) {
    if (reusable && !disposed_ && idle_.size() < options_.max_idle_connections) {
      connection->set_idle_since(clock::now());
      idle_.push_back(std::move(connection));
      idle_count_.store(idle_.size(), std::memory_order_relaxed);
    } else {
      connection->close();
    }
  }
  notify_one();
}

void connection_pool::notify_one() {
  if (waiters_.empty()) return;
  auto timer = std::move(waiters_.front());
  waiters_.pop_front();
  timer->cancel();
}

void connection_pool::dispose() {
  disposed_ = true;
  for (auto& c : idle_) c->close();
  idle_.clear();
  idle_count_.store(0, std::memory_order_relaxed);
  while (!waiters_.empty()) notify_one();
}

pool_stats connection_pool::stats() const noexcept {
  pool_stats s;
  s.opened = opened_.load(std::memory_order_relaxed);
  s.reused = reused_.load(std::memory_order_relaxed);
  s.retried = retried_.load(std::memory_order_relaxed);
  s.idle = idle_count_.load(std::memory_order_relaxed);
  s.busy = busy_count_.load(std::memory_order_relaxed);
  return s;
}

} // namespace actorhost::client
