#include "actorhost/http/websocket_pair.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include <atomic>
#include <deque>

namespace actorhost::http {

namespace {

class pair_end final : public websocket {
public:
  using websocket::websocket;

  std::size_t buffered_amount() const noexcept override { return in_transit_.load(std::memory_order_acquire); }

  void join(const std::shared_ptr<pair_end>& peer) { peer_ = peer; }

private:
  // Sender side: the message travels to the peer's executor; the bytes count until it is queued.
  void transmit(const websocket_message& message) override {
    auto peer = peer_.lock();
    if (!peer) return;
    in_transit_.fetch_add(message.data.size(), std::memory_order_acq_rel);
    asio::post(peer->executor(), [peer, from = self(), m = message]() mutable { peer->arrive(std::move(m), from); });
  }

  void transmit_close(std::uint16_t code, std::string_view reason) override {
    auto peer = peer_.lock();
    if (!peer) {
      finish(code, reason, false);
      return;
    }
    asio::post(peer->executor(), [peer, from = self(), code, text = std::string(reason)] {
      peer->peer_closed(code, text, from);
    });
  }

  std::shared_ptr<pair_end> self() {
    return std::static_pointer_cast<pair_end>(shared_from_this());
  }

  // Receiver side, on this end's executor.
  void arrive(websocket_message m, std::shared_ptr<pair_end> from) {
    held_.emplace_back(std::move(m), std::move(from));
    if (!waiting_) take_held();
  }

  // Queues what is held while the reader wants more; otherwise waits until it does.
  void take_held() {
    while (!held_.empty() && (wants_input() || state() == ready_state::closed)) {
      auto [m, from] = std::move(held_.front());
      held_.pop_front();
      const auto size = m.data.size();
      deliver(std::move(m));
      acknowledge(from, size);
    }
    if (held_.empty() || waiting_) return;
    waiting_ = true;
    asio::co_spawn(executor(), wait_for_reader(self()), asio::detached);
  }

  static asio::awaitable<void> wait_for_reader(std::shared_ptr<pair_end> me) {
    co_await me->input_wanted();
    me->waiting_ = false;
    me->take_held();
  }

  static void acknowledge(const std::shared_ptr<pair_end>& from, std::size_t size) {
    asio::post(from->executor(), [from, size] {
      from->in_transit_.fetch_sub(size, std::memory_order_acq_rel);
      from->sent();
    });
  }

  void peer_closed(std::uint16_t code, const std::string& reason, std::shared_ptr<pair_end> from) {
    // What arrived before the Close is still the reader's.
    for (auto& [m, sender] : held_) {
      const auto size = m.data.size();
      deliver(std::move(m));
      acknowledge(sender, size);
    }
    held_.clear();
    peer_closing(code, reason);
    finish(code, reason, true);
    asio::post(from->executor(), [from, code, reason] { from->finish(code, reason, true); });
  }

  std::weak_ptr<pair_end> peer_;
  std::atomic<std::size_t> in_transit_{0};
  std::deque<std::pair<websocket_message, std::shared_ptr<pair_end>>> held_;
  bool waiting_ = false;
};

} // namespace

std::pair<std::shared_ptr<websocket>, std::shared_ptr<websocket>> make_websocket_pair(
    const asio::any_io_executor& first, const asio::any_io_executor& second, const std::string& protocol,
    websocket_limits limits) {
  auto a = std::make_shared<pair_end>(first, protocol, limits);
  auto b = std::make_shared<pair_end>(second, protocol, limits);
  a->join(b);
  b->join(a);
  return {a, b};
}

} // namespace actorhost::http
