#include "actorhost/net/http_connection.hpp"

#include "actorhost/codec/js_json.hpp"
#include "actorhost/net/websocket_connection.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/channel.hpp>
#include <asio/experimental/concurrent_channel.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>

#include <unistd.h>

namespace actorhost::net {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t flush_threshold = 64 * 1024;
constexpr std::size_t stream_queue_chunks = 8;
// A body at least this large is written from where it lies, not copied after its head.
constexpr std::size_t large_body = 16 * 1024;
// Requests in a row whose work is on one other worker before a connection moves there: enough
// that a client spreading requests over actors everywhere does not bounce between workers.
constexpr std::size_t move_after = 8;
// What a peer may pipeline behind a streamed response before it is taken for gone.
constexpr std::size_t max_pipelined_behind_stream = 64 * 1024;
// Lingering close: how long the peer's leftover input is drained, and how long it may pause.
constexpr std::chrono::milliseconds linger_time{5'000};
constexpr std::chrono::milliseconds linger_quiet{2'000};
// A write that made no progress for this long holds memory for nothing.
constexpr std::chrono::milliseconds stalled_after{1'000};

// Asio 1.22's channel close() wakes pending receives but never a pending send, and cancelling
// a pending receive leaves a buffered channel refusing sends for good. So in both channels
// below only the sending side closes; a receiver that stops wanting chunks drains them.

// A streamed body's chunks travel from the producer (on the actor's worker) to the connection
// through a bounded thread-safe channel: a full channel makes the producer wait.
class channel_sink final : public http::body_sink {
public:
  using channel = asio::experimental::concurrent_channel<void(asio::error_code, std::string)>;

  explicit channel_sink(const asio::any_io_executor& ex) : channel_(ex, stream_queue_chunks) {}

  asio::awaitable<bool> write(std::string chunk) override {
    if (closed()) co_return false;
    if (chunk.empty()) co_return true;
    auto [ec] = co_await channel_.async_send(asio::error_code{}, std::move(chunk), use_nothrow);
    co_return !ec && !closed();
  }

  bool closed() const noexcept override { return gone_.load(std::memory_order_acquire); }

  void on_gone(std::function<void()> f) override {
    {
      std::lock_guard lock(mutex_);
      if (!gone_.load(std::memory_order_acquire)) {
        on_gone_ = std::move(f);
        return;
      }
    }
    f();
  }

  // The producer has returned (sending side): the end marker follows its last chunk, or, with
  // the client gone, the channel closes, which ends the connection's drain.
  asio::awaitable<void> finish() {
    if (closed()) {
      channel_.close();
      co_return;
    }
    co_await channel_.async_send(asio::error::eof, std::string{}, use_nothrow);
  }

  // The producer failed (sending side): the connection's next receive ends.
  void fail() {
    gone_.store(true, std::memory_order_release);
    channel_.close();
  }

  // The client is gone (receiving side): the producer's writes fail from now on, and it is told.
  void abandon() {
    std::function<void()> f;
    {
      std::lock_guard lock(mutex_);
      gone_.store(true, std::memory_order_release);
      f.swap(on_gone_);
    }
    if (f) f();
  }

  channel& chunks() noexcept { return channel_; }

private:
  channel channel_;
  std::atomic<bool> gone_{false};
  std::mutex mutex_;
  std::function<void()> on_gone_;
};

// After the client left: receives (and drops) until the producer's end, so that a producer
// waiting to send is released (only a receive can release it).
asio::awaitable<void> drain_sink(std::shared_ptr<channel_sink> sink) {
  for (;;) {
    auto [ec, chunk] = co_await sink->chunks().async_receive(use_nothrow);
    if (ec) co_return;
  }
}

// A streamed request body travels from the connection to the handler (perhaps on an actor's
// worker) through a bounded thread-safe channel: a full channel stops the connection reading,
// which holds the client back. The end of the body is an eof marker. With a deferred 100
// Continue, the handler's first read tells the connection to send it.
class channel_source final : public http::body_source {
public:
  using channel = asio::experimental::concurrent_channel<void(asio::error_code, std::string)>;
  using signal = asio::experimental::concurrent_channel<void(asio::error_code, bool)>;

  channel_source(const asio::any_io_executor& ex, bool defer_continue)
      : channel_(ex, stream_queue_chunks), wanted_(ex, 1), deferred_(defer_continue) {}

  asio::awaitable<std::optional<std::string>> read() override {
    if (ended_) co_return std::nullopt;
    if (deferred_) {
      deferred_ = false;
      wanted_.try_send(asio::error_code{}, true);
    }
    auto [ec, chunk] = co_await channel_.async_receive(use_nothrow);
    if (ec == asio::error::eof) {
      ended_ = true;
      co_return std::nullopt;
    }
    if (ec) throw std::system_error(ec, "request body incomplete");
    co_return std::move(chunk);
  }

  channel& chunks() noexcept { return channel_; }
  signal& wanted() noexcept { return wanted_; }

private:
  channel channel_;
  signal wanted_; // the handler has begun to read
  bool deferred_;
  bool ended_ = false;
};

// What the handler of a streamed request produced, and a way to wait for it.
struct streamed_outcome {
  explicit streamed_outcome(const asio::any_io_executor& ex) : done(ex, 1) {}
  std::optional<http::response> response;
  asio::experimental::channel<void(asio::error_code, bool)> done; // (1.22 rejects a lone error_code)
  bool ready = false;
};

asio::awaitable<void> run_streamed_handler(http_handler& handler, http::request req,
                                           std::shared_ptr<channel_source> source,
                                           std::shared_ptr<streamed_outcome> outcome) {
  try {
    outcome->response = co_await handler.handle(std::move(req), nullptr);
  } catch (const std::exception& e) {
    spdlog::error("request handler failed: {}", e.what());
    outcome->response = http::response::json(R"({"c":"internal_error","m":"Internal error","md":{}})", 500);
  }
  outcome->ready = true;
  outcome->done.try_send(asio::error_code{}, true);
  // Whatever of the body the handler did not read is not wanted: take what the connection has
  // queued (or is blocked sending), so that it sees `ready` and stops pumping.
  while (source->chunks().try_receive([](asio::error_code, std::string) {})) {
  }
}

asio::awaitable<void> run_producer(http::body_producer producer, std::shared_ptr<channel_sink> sink) {
  try {
    co_await producer(http::body_writer(sink));
  } catch (const std::exception& e) {
    // Headers are gone already; the client sees the body end early. A producer cancelled
    // because its client left is no news.
    if (sink->closed()) spdlog::debug("response body stream ended with its client: {}", e.what());
    else spdlog::warn("response body stream failed: {}", e.what());
    sink->fail();
    co_return;
  }
  co_await sink->finish();
}

// A socket released by one worker, as it travels to another.
struct released_socket {
  int fd;
  asio::ip::tcp protocol;

  // On the receiving worker: the socket again (nullopt, and the descriptor closed, on failure).
  std::optional<asio::ip::tcp::socket> adopt(asio::io_context& ctx) const {
    asio::ip::tcp::socket socket(ctx);
    asio::error_code ec;
    socket.assign(protocol, fd, ec);
    if (!ec) return socket;
    ::close(fd);
    return std::nullopt;
  }
};

// Takes the descriptor out of `socket`'s io_context, so another worker can adopt it.
std::optional<released_socket> release(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return std::nullopt;
  const int fd = socket.release(ec);
  if (ec) return std::nullopt;
  return released_socket{fd, protocol};
}

// Takes over a connection moved from another worker: runs on the new worker.
asio::awaitable<void> adopt(released_socket moved, std::string already_read, worker_slot& slot, http_handler& handler,
                            const server_options& options, task_group& tasks) {
  auto socket = moved.adopt(slot.context);
  if (!socket) co_return;
  auto conn = std::make_shared<http_connection>(std::move(*socket), slot, handler, options, tasks, already_read);
  co_await conn->run();
}

// Serves an upgraded socket as a WebSocket on the worker it was handed to.
asio::awaitable<void> serve_websocket(released_socket moved, std::string already_read, worker_slot& slot,
                                      const server_options& options, task_group& tasks, std::string subprotocol,
                                      http::websocket_session session) {
  auto socket = moved.adopt(slot.context);
  if (!socket) co_return;
  auto ws = std::make_shared<websocket_connection>(std::move(*socket), slot, options, std::move(subprotocol), already_read);
  co_await ws->run(std::move(session), tasks);
}

} // namespace

http_connection::http_connection(asio::ip::tcp::socket socket, worker_slot& slot, http_handler& handler,
                                 const server_options& options, task_group& tasks, std::string_view already_read,
                                 bool fresh)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      slot_(slot),
      handler_(handler),
      options_(options),
      tasks_(tasks),
      parser_(options.limits),
      in_(std::max(read_chunk, already_read.size())),
      fresh_(fresh) {
  if (!already_read.empty()) std::memcpy(in_.data(), already_read.data(), already_read.size());
  in_end_ = already_read.size();
  // A new connection's first head is due header_timeout after the accept, silent or not.
  if (fresh_) head_deadline_ = clock::now() + options_.header_timeout;
  slot_.connections.insert(this);
}

http_connection::~http_connection() {
  release_body();
  slot_.connections.erase(this);
  // A descriptor is free again: an accept loop waiting for one tries now.
  if (slot_.accept_pause != nullptr) slot_.accept_pause->cancel();
}

void http_connection::close() noexcept {
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
}

void http_connection::close_if_idle() {
  closing_ = true;
  if (idle_) close();
}

asio::awaitable<void> http_connection::run() {
  using namespace asio::experimental::awaitable_operators;
  auto self = shared_from_this();
  try {
    co_await (serve() || watchdog());
  } catch (const std::system_error& e) {
    // A peer resetting the connection is routine; anything else is worth a line.
    if (e.code() != asio::error::operation_aborted) spdlog::debug("connection ended: {}", e.what());
  }
  if ((linger_ || timed_out_) && socket_.is_open()) {
    try {
      co_await linger();
    } catch (const std::system_error& e) {
      spdlog::debug("lingering close ended: {}", e.what());
    }
  }
  close();
}

void http_connection::wait_for(wait_kind kind, clock::time_point deadline) {
  waiting_ = kind;
  deadline_ = deadline;
  // A deadline later than the armed one is seen when the watchdog wakes; an earlier one
  // (a request head started on an idle connection) wakes it now to re-arm.
  if (deadline_ < armed_) timer_.cancel();
}

asio::awaitable<void> http_connection::watchdog() {
  for (;;) {
    // While a large body waits for a slow reader, wake each second to see whether such bodies
    // have used up the host's budget.
    auto wake = deadline_;
    if (held_ > 0) wake = std::min(wake, clock::now() + stalled_after);
    armed_ = wake;
    timer_.expires_at(wake);
    co_await timer_.async_wait(use_nothrow);
    if (!socket_.is_open()) co_return;
    const auto now = clock::now();
    if (now >= deadline_) {
      // A head or body that stopped short is told so (408); an idle keep-alive connection or
      // a peer that does not read is simply closed.
      const bool partial_head = waiting_ == wait_kind::head && !(parser_.between_messages() && in_begin_ == in_end_);
      if (partial_head || waiting_ == wait_kind::body) timed_out_ = true;
      co_return; // ends serve()
    }
    if (held_ > 0 && waiting_ == wait_kind::write && now - last_progress_ >= stalled_after &&
        pending_output_over_budget()) {
      spdlog::debug("dropping a connection that reads nothing of a {}-byte response: pending output over budget",
                    held_);
      co_return;
    }
  }
}

asio::awaitable<bool> http_connection::read_more() {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
  } else if (in_end_ == in_.size()) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  auto [ec, n] = co_await socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_), use_nothrow);
  if (ec) co_return false;
  in_end_ += n;
  co_return true;
}

void http_connection::hold_body(std::string body) {
  release_body();
  body_out_ = std::move(body);
  held_ = body_out_.size();
  slot_.pending_output.fetch_add(held_, std::memory_order_relaxed);
  // The watchdog checks a held body every second: wake it if it sleeps longer.
  if (armed_ > clock::now() + stalled_after) timer_.cancel();
}

void http_connection::release_body() noexcept {
  if (held_ > 0) slot_.pending_output.fetch_sub(held_, std::memory_order_relaxed);
  held_ = 0;
  std::string().swap(body_out_);
}

bool http_connection::pending_output_over_budget() const noexcept {
  std::size_t total = 0;
  for (const auto& s : slot_.slots) total += s->pending_output.load(std::memory_order_relaxed);
  return total > options_.max_pending_output;
}

asio::awaitable<bool> http_connection::flush() {
  const std::size_t total = out_.size() + body_out_.size();
  if (total == 0) co_return true;
  // Each write must make progress within io_timeout (a slow but steady reader gets the whole
  // body, however long it is); a large body goes out from where it lies, after its head.
  std::size_t done = 0;
  bool ok = true;
  last_progress_ = clock::now();
  while (done < total) {
    wait_for(wait_kind::write, clock::now() + options_.io_timeout);
    std::array<asio::const_buffer, 2> buffers;
    if (done < out_.size()) {
      buffers[0] = asio::buffer(out_.data() + done, out_.size() - done);
      buffers[1] = asio::buffer(body_out_);
    } else {
      buffers[0] = asio::buffer(body_out_.data() + (done - out_.size()), total - done);
    }
    auto [ec, n] = co_await socket_.async_write_some(buffers, use_nothrow);
    if (ec) {
      ok = false;
      break;
    }
    done += n;
    last_progress_ = clock::now();
  }
  clear_deadline();
  out_.clear();
  if (out_.capacity() > 4 * flush_threshold) out_.shrink_to_fit();
  release_body();
  co_return ok;
}

http::request http_connection::make_request() {
  auto& head = parser_.head();
  // The parser has checked the target's form and the Host (uri-host[:port], nothing that could
  // end the authority), so the URL follows the request line: origin-form under the Host,
  // absolute-form as it is, OPTIONS * as the root.
  std::string href;
  const auto& target = head.target;
  if (!target.empty() && target.front() != '/' && target != "*") {
    href = target; // absolute-form (RFC 9112 §3.2.2): its authority, not Host, names the target
  } else {
    std::string_view host = "localhost";
    for (const auto& f : head.fields)
      if (http::iequals(f.name, "host") && !f.value.empty()) host = f.value;
    href.reserve(7 + host.size() + target.size());
    href += "http://";
    href += host;
    href += target == "*" ? std::string_view("/") : std::string_view(target);
  }
  http::request req(std::move(head.method), http::url(std::move(href)), http::headers(std::move(head.fields)),
                    std::move(parser_.body()));
  req.set_version_minor(head.version_minor);
  return req;
}

asio::awaitable<bool> http_connection::respond(http::response res, bool head_request, bool close) {
  // HTTP/1.0 knows no chunked coding: a streamed body goes unframed and the close ends it.
  if (res.streaming() && version_minor_ == 0) close = true;
  const bool large = !res.streaming() && !head_request && res.body().size() >= large_body;
  http::serialize_response(out_, res, {head_request, close, slot_.dates.now(), version_minor_, large});
  // (GCC 12 miscompiles co_await inside && and ?:, so each await stands alone.)
  bool ok = true;
  if (large) {
    hold_body(std::move(res.body()));
    ok = co_await flush();
  } else if (res.streaming()) {
    ok = co_await flush();
    if (ok && !head_request) ok = co_await stream_body(std::move(res));
  } else if (close || out_.size() >= flush_threshold) {
    ok = co_await flush();
  }
  co_return ok && !close;
}

asio::awaitable<void> http_connection::watch_peer(bool& gone) {
  // Reads while a body streams out: end of stream or an error means the client left. Bytes
  // of a pipelined next request are kept for the parser, up to a limit; past it the peer is
  // not one to keep serving, and what it sends is read only to see it leave.
  char scrap[4096];
  for (;;) {
    if (!discarding_ && in_end_ == in_.size()) {
      if (in_begin_ > 0) {
        std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
        in_end_ -= in_begin_;
        in_begin_ = 0;
      } else if (in_.size() < max_pipelined_behind_stream) {
        in_.resize(std::min(in_.size() * 2, max_pipelined_behind_stream));
      } else {
        discarding_ = true;
        linger_ = true;
      }
    }
    auto buffer = discarding_ ? asio::buffer(scrap) : asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
    auto [ec, n] = co_await socket_.async_read_some(buffer, use_nothrow);
    if (ec) {
      gone = ec != asio::error::operation_aborted;
      co_return;
    }
    if (!discarding_) in_end_ += n;
  }
}

asio::awaitable<bool> http_connection::stream_body(http::response res) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  auto sink = std::make_shared<channel_sink>(ex);
  tasks_.spawn(ex, run_producer(std::move(res.producer()), sink), "response stream");
  const bool framed = version_minor_ >= 1;

  auto pump = [](http_connection& self, std::shared_ptr<channel_sink> s, bool chunked) -> asio::awaitable<bool> {
    std::string frame;
    for (;;) {
      self.clear_deadline();
      auto [ec, chunk] = co_await s->chunks().async_receive(use_nothrow);
      frame.clear();
      if (ec) {
        if (ec != asio::error::eof) co_return false;
        if (chunked) http::append_last_chunk(frame);
      } else if (chunked) {
        http::append_chunk(frame, chunk);
      } else {
        frame.swap(chunk);
      }
      if (!frame.empty()) {
        self.wait_for(wait_kind::write, clock::now() + self.options_.io_timeout);
        auto [wec, n] = co_await asio::async_write(self.socket_, asio::buffer(frame), use_nothrow);
        if (wec) co_return false;
      }
      if (ec) co_return true;
    }
  };

  bool gone = false;
  auto outcome = co_await (pump(*this, sink, framed) || watch_peer(gone));
  clear_deadline();
  const bool completed = outcome.index() == 0 && std::get<0>(outcome);
  if (!completed) {
    // The client is gone or the stream broke: the producer is told (and cancelled), and what
    // it still sends is received and dropped until it ends.
    sink->abandon();
    tasks_.spawn(ex, drain_sink(sink), "response drain");
  }
  co_return completed && !gone && !discarding_;
}

asio::awaitable<void> http_connection::upgrade(http::response res) {
  http::serialize_response(out_, res, {false, false, slot_.dates.now()});
  if (!co_await flush()) co_return;
  auto& target = hint_.worker < slot_.slots.size() ? *slot_.slots[hint_.worker] : slot_;
  const auto moved = release(socket_);
  if (!moved) co_return;
  // Bytes after the request's head are the client's first frames.
  tasks_.spawn(target.context.get_executor(),
               serve_websocket(*moved, std::string(in_.data() + in_begin_, in_end_ - in_begin_), target,
                               options_, tasks_, std::string(res.headers().first("sec-websocket-protocol").value_or("")),
                               std::move(res.session())),
               "WebSocket connection");
}

bool http_connection::should_move(std::size_t worker) noexcept {
  if (worker == affinity::none || worker >= slot_.slots.size() || worker == slot_.index) {
    away_streak_ = 0;
    return false;
  }
  return ++away_streak_ >= move_after && !closing_ && !slot_.draining && parser_.between_messages();
}

bool http_connection::move_to(worker_slot& target) {
  const auto moved = release(socket_);
  if (!moved) return false;
  spdlog::debug("connection moves from worker {} to worker {} with {} byte(s) already read", slot_.index, target.index,
                in_end_ - in_begin_);
  // Counted by the task group before this connection ends, so shutdown never misses it.
  tasks_.spawn(target.context.get_executor(),
               adopt(*moved, std::string(in_.data() + in_begin_, in_end_ - in_begin_), target, handler_,
                     options_, tasks_),
               "connection");
  return true;
}

asio::awaitable<bool> http_connection::serve_streamed(bool defer_continue) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  auto source = std::make_shared<channel_source>(ex, defer_continue);
  auto outcome = std::make_shared<streamed_outcome>(ex);
  const bool head_request = parser_.head().method == "HEAD";
  const bool keep_alive = parser_.head().keep_alive && !parser_.head().upgrade;

  std::string chunk;
  chunk.swap(parser_.body());
  http::request req = make_request();
  req.set_body_stream(source);
  // A body deferred only for its 100 is read in whole before the actor sees it, when small.
  if (defer_continue) req.defer_body(options_.stream_threshold);
  tasks_.spawn(ex, run_streamed_handler(handler_, std::move(req), source, outcome), "request handler");
  // However this ends (a cancelled await included), the handler's pending or next read ends:
  // the connection is the sending side, and a close from that side wakes receives.
  struct source_guard {
    std::shared_ptr<channel_source> s;
    ~source_guard() { s->chunks().close(); }
  } guard{source};

  bool complete = false; // the whole body has been received
  bool lost = false;     // the peer went away or sent garbage
  if (defer_continue) {
    // onAuth first: the 100 goes out when the handler reads, and a handler that answers
    // without reading (a refusal) means the client never sends its body.
    clear_deadline();
    auto which = co_await (source->wanted().async_receive(use_nothrow) || outcome->done.async_receive(use_nothrow));
    if (which.index() == 0) {
      out_ += "HTTP/1.1 100 Continue\r\n\r\n";
      if (!co_await flush()) co_return false;
    }
  }
  for (;;) {
    if (outcome->ready) break;
    if (!chunk.empty()) {
      auto [ec] = co_await source->chunks().async_send(asio::error_code{}, std::move(chunk), use_nothrow);
      chunk.clear();
      if (ec) break;
      continue; // see whether the handler is done before anything else
    }
    const auto result = parser_.feed(std::span<const char>(in_.data() + in_begin_, in_end_ - in_begin_));
    in_begin_ += result.consumed;
    chunk.swap(parser_.body());
    if (result.what == codec::http_parser::event::message_complete) {
      if (!chunk.empty()) co_await source->chunks().async_send(asio::error_code{}, std::move(chunk), use_nothrow);
      co_await source->chunks().async_send(asio::error::eof, std::string{}, use_nothrow);
      complete = true;
      break;
    }
    if (result.what == codec::http_parser::event::error) {
      // The handler learns why its body ended early (e.g. body_too_large).
      co_await source->chunks().async_send(parser_.error(), std::string{}, use_nothrow);
      lost = true;
      break;
    }
    if (result.what == codec::http_parser::event::need_more && chunk.empty()) {
      wait_for(wait_kind::body, clock::now() + options_.io_timeout);
      auto which = co_await (read_more() || outcome->done.async_receive(use_nothrow));
      if (which.index() == 1) break;
      if (!std::get<0>(which)) {
        co_await source->chunks().async_send(asio::error::connection_aborted, std::string{}, use_nothrow);
        lost = true;
        break;
      }
    }
  }
  clear_deadline();
  if (!outcome->ready) co_await outcome->done.async_receive(use_nothrow);
  if (lost && !socket_.is_open()) co_return false;
  // A body the handler did not read to its end leaves the connection unusable, and the rest
  // of it is drained before the close, so the client reads the answer rather than a reset.
  if (!complete || lost) linger_ = true;
  const bool close = !keep_alive || !complete || lost || closing_ || slot_.draining;
  co_return co_await respond(std::move(*outcome->response), head_request, close);
}

asio::awaitable<void> http_connection::linger() {
  using namespace asio::experimental::awaitable_operators;
  asio::error_code ignored;
  if (timed_out_ && out_.empty() && body_out_.empty()) {
    // RFC 9110 §15.5.9: the client took too long to send its request.
    static constexpr std::string_view timeout =
        "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    timer_.expires_after(std::chrono::seconds(1));
    co_await (asio::async_write(socket_, asio::buffer(timeout), use_nothrow) || timer_.async_wait(use_nothrow));
  }
  socket_.shutdown(asio::socket_base::shutdown_send, ignored);
  // A peer that timed out is not waited for long: it may be trickling bytes on purpose.
  const auto end = clock::now() + (timed_out_ ? linger_quiet / 2 : linger_time);
  char scrap[4096];
  for (;;) {
    const auto now = clock::now();
    if (now >= end) break;
    timer_.expires_at(std::min(end, now + linger_quiet));
    auto which = co_await (socket_.async_read_some(asio::buffer(scrap), use_nothrow) || timer_.async_wait(use_nothrow));
    if (which.index() == 1) break;             // quiet, or out of time
    if (std::get<0>(std::get<0>(which))) break; // end of stream, or an error
  }
}

asio::awaitable<void> http_connection::serve() {
  for (;;) {
    const auto result = parser_.feed(std::span<const char>(in_.data() + in_begin_, in_end_ - in_begin_));
    in_begin_ += result.consumed;

    switch (result.what) {
      case codec::http_parser::event::need_more: {
        if (parser_.in_body() && parser_.body().size() > options_.stream_threshold) {
          // A chunked body that outgrew the buffer: the rest streams.
          if (!co_await serve_streamed(false)) co_return;
          break;
        }
        if (!co_await flush()) co_return;
        idle_ = parser_.between_messages() && in_begin_ == in_end_;
        if (idle_ && closing_) co_return;
        const auto now = clock::now();
        if (parser_.in_body()) {
          wait_for(wait_kind::body, now + options_.io_timeout);
        } else if (idle_ && !fresh_) {
          head_deadline_ = clock::time_point::max();
          wait_for(wait_kind::idle, now + options_.idle_timeout);
        } else {
          // A head under way: its deadline was fixed by its first byte and never moves, however
          // slowly the rest trickles in.
          if (head_deadline_ == clock::time_point::max()) head_deadline_ = now + options_.header_timeout;
          wait_for(wait_kind::head, head_deadline_);
        }
        const bool ok = co_await read_more();
        idle_ = false;
        if (!ok) co_return;
        break;
      }

      case codec::http_parser::event::head_complete: {
        fresh_ = false;
        head_deadline_ = clock::time_point::max();
        const auto& head = parser_.head();
        version_minor_ = head.version_minor;
        if (head.expect_continue && head.has_body() && head.version_minor == 1 && in_begin_ == in_end_) {
          // Expect: 100-continue, and none of the body has come: the handler (onAuth first)
          // decides whether the client sends it.
          if (!co_await flush()) co_return;
          if (!co_await serve_streamed(true)) co_return;
          break;
        }
        if (head.content_length.value_or(0) > options_.stream_threshold) {
          if (!co_await flush()) co_return;
          if (!co_await serve_streamed(false)) co_return;
        }
        break;
      }

      case codec::http_parser::event::message_complete: {
        clear_deadline();
        version_minor_ = parser_.head().version_minor;
        const bool head_request = parser_.head().method == "HEAD";
        const bool keep_alive = parser_.head().keep_alive && !parser_.head().upgrade;
        http::response res;
        hint_ = {};
        try {
          res = co_await handler_.handle(make_request(), &hint_);
        } catch (const std::exception& e) {
          spdlog::error("request handler failed: {}", e.what());
          res = http::response::json(R"({"c":"internal_error","m":"Internal error","md":{}})", 500);
        }
        if (res.upgrading()) {
          co_await upgrade(std::move(res));
          co_return; // the socket is a WebSocket's now
        }
        const bool close = !keep_alive || closing_ || slot_.draining;
        if (!co_await respond(std::move(res), head_request, close)) co_return;
        if (should_move(hint_.worker)) {
          if (!co_await flush()) co_return;
          if (move_to(*slot_.slots[hint_.worker])) co_return; // this worker's side ends here
        }
        break;
      }

      case codec::http_parser::event::error: {
        const int status = codec::status_for(parser_.error());
        std::string body = R"({"c":")";
        body += status == 413 ? "payload_too_large" : status == 431 ? "headers_too_large" : "invalid_request";
        body += R"(","m":)";
        codec::append_js_json_string(body, parser_.error_reason());
        body += R"(,"md":{}})";
        version_minor_ = 1;
        linger_ = true; // the parser cannot find the next request: what follows is drained
        co_await respond(http::response::json(std::move(body), status), false, true);
        co_return;
      }
    }
  }
}

} // namespace actorhost::net
