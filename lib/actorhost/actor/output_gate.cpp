#include "actorhost/actor/output_gate.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace actorhost {

void output_gate::complete(std::uint64_t ticket, bool ok) {
  if (ticket > durable_) durable_ = ticket;
  if (!ok && (failed_ticket_ == 0 || ticket < failed_ticket_)) failed_ticket_ = ticket;
  if (waiting_ > 0) wake_.cancel();
}

asio::awaitable<bool> output_gate::wait() {
  const std::uint64_t ticket = issued_;
  const auto passed = [&] { return failed_ticket_ == 0 || failed_ticket_ > ticket; };
  if (durable_ >= ticket) co_return passed();
  // Counted however the wait ends, cancellation included.
  struct count {
    std::size_t& n;
    explicit count(std::size_t& waiting) : n(++waiting) {}
    ~count() { --n; }
  } counted(waiting_);
  while (durable_ < ticket) co_await wake_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  co_return passed();
}

} // namespace actorhost
