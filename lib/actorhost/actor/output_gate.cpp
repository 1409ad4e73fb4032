#include "actorhost/actor/output_gate.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace actorhost {

void output_gate::complete(std::uint64_t ticket, bool ok) {
  if (ticket > durable_) durable_ = ticket;
  if (!ok) failed_ = true;
  for (auto& w : waiters_)
    if (w.ticket <= durable_) w.timer->cancel();
}

asio::awaitable<bool> output_gate::wait() {
  const std::uint64_t ticket = issued_;
  if (durable_ >= ticket) co_return !failed_;
  asio::steady_timer timer(executor_, asio::steady_timer::time_point::max());
  auto it = waiters_.insert(waiters_.end(), waiter{ticket, &timer});
  while (durable_ < ticket) co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  waiters_.erase(it);
  co_return !failed_;
}

} // namespace actorhost
