#include "actorhost/actor/output_gate.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace actorhost {

void output_gate::complete(std::uint64_t ticket, bool ok) {
  if (ticket > durable_) durable_ = ticket;
  if (!ok && (failed_ticket_ == 0 || ticket < failed_ticket_)) failed_ticket_ = ticket;
  for (auto& w : waiters_)
    if (w.ticket <= durable_) w.timer->cancel();
}

asio::awaitable<bool> output_gate::wait() {
  const std::uint64_t ticket = issued_;
  const auto passed = [&] { return failed_ticket_ == 0 || failed_ticket_ > ticket; };
  if (durable_ >= ticket) co_return passed();
  asio::steady_timer timer(executor_, asio::steady_timer::time_point::max());
  // The waiter leaves the list however the wait ends, cancellation included.
  struct registration {
    std::list<waiter>& list;
    std::list<waiter>::iterator it;
    ~registration() { list.erase(it); }
  } reg{waiters_, waiters_.insert(waiters_.end(), waiter{ticket, &timer})};
  while (durable_ < ticket) co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  co_return passed();
}

} // namespace actorhost
