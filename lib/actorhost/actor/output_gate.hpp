// output_gate: holds an actor's replies until the state they may reveal is durable.
//
// Invariant: a reply leaves the actor only after every state write the actor began before
// that reply is committed (Cloudflare Durable Objects' output gate). Each commit the
// scheduler starts takes a ticket (begin_write); the committer's outcome comes back through
// complete(); wait() resumes once every ticket issued before it was called is durable, and
// says whether all of them succeeded. Once a write has failed, every reply that waits on it or
// on a later one fails too (the scheduler then resets the actor); a reply that only waited on
// earlier, successful writes still passes. A reply that changed nothing still waits for earlier
// writes, because it may show their effects. The gate lives on the actor's home worker and is
// only touched there.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>

namespace actorhost {

class output_gate {
public:
  explicit output_gate(asio::any_io_executor executor)
      : wake_(std::move(executor), asio::steady_timer::time_point::max()) {}

  // A write is starting: its ticket.
  std::uint64_t begin_write() noexcept { return ++issued_; }
  // Writes up to `ticket` are durable (ok) or lost (!ok). Completions arrive in ticket order.
  void complete(std::uint64_t ticket, bool ok);
  // Resumes when every write begun so far has completed; false if any of them failed.
  asio::awaitable<bool> wait();

  bool idle() const noexcept { return durable_ >= issued_; }
  bool failed() const noexcept { return failed_ticket_ != 0; }
  std::uint64_t issued() const noexcept { return issued_; }
  std::uint64_t completed() const noexcept { return durable_; }

private:
  std::uint64_t issued_ = 0;
  std::uint64_t durable_ = 0;
  std::uint64_t failed_ticket_ = 0; // the first ticket that failed; 0: none
  // Never expires: waiters wait on it, complete() cancels it to wake them all, and each one
  // whose writes are not all durable yet waits again.
  asio::steady_timer wake_;
  std::size_t waiting_ = 0;
};

} // namespace actorhost
