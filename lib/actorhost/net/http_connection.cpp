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

#include <cstring>

#include <unistd.h>

namespace actorhost::net {

namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;
constexpr std::size_t flush_threshold = 64 * 1024;
constexpr std::size_t stream_queue_chunks = 8;
// Requests in a row whose work is on one other worker before a connection moves there: enough
// that a client spreading requests over actors everywhere does not bounce between workers.
constexpr std::size_t move_after = 8;

// A streamed body's chunks travel from the producer (perhaps on an actor's worker) to the
// connection through a bounded thread-safe channel: a full channel makes the producer wait.
class channel_sink final : public http::body_sink {
public:
  using channel = asio::experimental::concurrent_channel<void(asio::error_code, std::string)>;

  explicit channel_sink(const asio::any_io_executor& ex) : channel_(ex, stream_queue_chunks) {}

  asio::awaitable<bool> write(std::string chunk) override {
    if (closed_.load(std::memory_order_acquire)) co_return false;
    if (chunk.empty()) co_return true;
    auto [ec] = co_await channel_.async_send(asio::error_code{}, std::move(chunk), use_nothrow);
    co_return !ec;
  }

  bool closed() const noexcept override { return closed_.load(std::memory_order_acquire); }

  // The producer has returned: the end marker follows its last chunk.
  asio::awaitable<void> finish() {
    if (closed()) co_return;
    co_await channel_.async_send(asio::error::eof, std::string{}, use_nothrow);
  }

  // The client is gone: the producer's writes fail from now on.
  void close() {
    closed_.store(true, std::memory_order_release);
    channel_.close();
  }

  channel& chunks() noexcept { return channel_; }

private:
  channel channel_;
  std::atomic<bool> closed_{false};
};

// A streamed request body travels from the connection to the handler (perhaps on an actor's
// worker) through a bounded thread-safe channel: a full channel stops the connection reading,
// which holds the client back. The end of the body is an eof marker.
class channel_source final : public http::body_source {
public:
  using channel = asio::experimental::concurrent_channel<void(asio::error_code, std::string)>;

  explicit channel_source(const asio::any_io_executor& ex) : channel_(ex, stream_queue_chunks) {}

  asio::awaitable<std::optional<std::string>> read() override {
    if (ended_) co_return std::nullopt;
    auto [ec, chunk] = co_await channel_.async_receive(use_nothrow);
    if (ec == asio::error::eof) {
      ended_ = true;
      co_return std::nullopt;
    }
    if (ec) throw std::system_error(ec, "request body incomplete");
    co_return std::move(chunk);
  }

  channel& chunks() noexcept { return channel_; }

private:
  channel channel_;
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
  // Whatever of the body the handler did not read is not wanted: stop the connection pumping.
  source->chunks().close();
  outcome->ready = true;
  outcome->done.try_send(asio::error_code{}, true);
}

asio::awaitable<void> run_producer(http::body_producer producer, std::shared_ptr<channel_sink> sink) {
  try {
    co_await producer(http::body_writer(sink));
  } catch (const std::exception& e) {
    // Headers are gone already; the client sees the body end early.
    spdlog::warn("response body stream failed: {}", e.what());
    sink->close();
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
                                 const server_options& options, task_group& tasks, std::string_view already_read)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      slot_(slot),
      handler_(handler),
      options_(options),
      tasks_(tasks),
      parser_(options.limits),
      in_(std::max(read_chunk, already_read.size())) {
  if (!already_read.empty()) std::memcpy(in_.data(), already_read.data(), already_read.size());
  in_end_ = already_read.size();
  slot_.connections.insert(this);
}

http_connection::~http_connection() { slot_.connections.erase(this); }

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
  close();
}

void http_connection::set_deadline(std::chrono::milliseconds d) {
  deadline_ = clock::now() + d;
  // A deadline later than the armed one is seen when the watchdog wakes; an earlier one
  // (a request head started on an idle connection) wakes it now to re-arm.
  if (deadline_ < armed_) timer_.cancel();
}

asio::awaitable<void> http_connection::watchdog() {
  for (;;) {
    armed_ = deadline_;
    timer_.expires_at(deadline_);
    co_await timer_.async_wait(use_nothrow);
    if (!socket_.is_open()) co_return;
    if (clock::now() >= deadline_) {
      close();
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

asio::awaitable<bool> http_connection::flush() {
  if (out_.empty()) co_return true;
  set_deadline(options_.io_timeout);
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), use_nothrow);
  out_.clear();
  if (out_.capacity() > 4 * flush_threshold) out_.shrink_to_fit();
  co_return !ec;
}

http::request http_connection::make_request() {
  auto& head = parser_.head();
  std::string href;
  const auto& target = head.target;
  if (target.starts_with("http://") || target.starts_with("https://")) {
    href = target; // absolute-form (RFC 9112 §3.2.2)
  } else {
    std::string_view host = "localhost";
    for (const auto& f : head.fields)
      if (http::iequals(f.name, "host")) host = f.value;
    href.reserve(7 + host.size() + target.size());
    href += "http://";
    href += host;
    if (target.empty() || target.front() != '/') href.push_back('/');
    if (target != "*") href += target;
  }
  http::request req(std::move(head.method), http::url(std::move(href)), http::headers(std::move(head.fields)),
                    std::move(parser_.body()));
  req.set_version_minor(head.version_minor);
  return req;
}

asio::awaitable<bool> http_connection::respond(http::response res, bool head_request, bool close) {
  // (GCC 12 miscompiles co_await inside && and ?:, so each await stands alone.)
  http::serialize_response(out_, res, {head_request, close, slot_.dates.now()});
  bool ok = true;
  if (res.streaming()) {
    ok = co_await flush();
    if (ok && !head_request) ok = co_await stream_body(std::move(res));
  } else if (close || out_.size() >= flush_threshold) {
    ok = co_await flush();
  }
  co_return ok && !close;
}

asio::awaitable<void> http_connection::watch_peer(bool& gone) {
  // Reads while a body streams out: end of stream or an error means the client left. Bytes
  // of a pipelined next request are kept for the parser.
  while (in_end_ < in_.size()) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                                                      use_nothrow);
    if (ec) {
      gone = ec != asio::error::operation_aborted;
      co_return;
    }
    in_end_ += n;
  }
  // The buffer is full: nothing more to learn until the stream ends.
  asio::steady_timer forever(socket_.get_executor(), clock::time_point::max());
  co_await forever.async_wait(use_nothrow);
}

asio::awaitable<bool> http_connection::stream_body(http::response res) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  auto sink = std::make_shared<channel_sink>(ex);
  tasks_.spawn(ex, run_producer(std::move(res.producer()), sink), "response stream");

  auto pump = [](http_connection& self, std::shared_ptr<channel_sink> s) -> asio::awaitable<bool> {
    std::string frame;
    for (;;) {
      self.clear_deadline();
      auto [ec, chunk] = co_await s->chunks().async_receive(use_nothrow);
      frame.clear();
      if (ec) {
        if (ec != asio::error::eof) co_return false;
        http::append_last_chunk(frame);
      } else {
        http::append_chunk(frame, chunk);
      }
      self.set_deadline(self.options_.io_timeout);
      auto [wec, n] = co_await asio::async_write(self.socket_, asio::buffer(frame), use_nothrow);
      if (wec) co_return false;
      if (ec) co_return true;
    }
  };

  bool gone = false;
  auto outcome = co_await (pump(*this, sink) || watch_peer(gone));
  const bool completed = outcome.index() == 0 && std::get<0>(outcome);
  if (!completed) sink->close();
  co_return completed && !gone;
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
  // Counted by the task group before this connection ends, so shutdown never misses it.
  tasks_.spawn(target.context.get_executor(),
               adopt(*moved, std::string(in_.data() + in_begin_, in_end_ - in_begin_), target, handler_,
                     options_, tasks_),
               "connection");
  return true;
}

asio::awaitable<bool> http_connection::serve_streamed() {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  auto source = std::make_shared<channel_source>(ex);
  auto outcome = std::make_shared<streamed_outcome>(ex);
  const bool head_request = parser_.head().method == "HEAD";
  const bool keep_alive = parser_.head().keep_alive && !parser_.head().upgrade;

  std::string chunk;
  chunk.swap(parser_.body());
  http::request req = make_request();
  req.set_body_stream(source);
  tasks_.spawn(ex, run_streamed_handler(handler_, std::move(req), source, outcome), "request handler");

  bool complete = false; // the whole body has been received
  bool lost = false;     // the peer went away or sent garbage
  for (;;) {
    if (!chunk.empty()) {
      auto [ec] = co_await source->chunks().async_send(asio::error_code{}, std::move(chunk), use_nothrow);
      chunk.clear();
      if (ec) break; // the handler is done with the body
    }
    if (outcome->ready) break;
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
      set_deadline(options_.io_timeout);
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
  // A body the handler did not read to its end leaves the connection unusable.
  const bool close = !keep_alive || !complete || lost || closing_ || slot_.draining;
  co_return co_await respond(std::move(*outcome->response), head_request, close);
}

asio::awaitable<void> http_connection::serve() {
  for (;;) {
    const auto result = parser_.feed(std::span<const char>(in_.data() + in_begin_, in_end_ - in_begin_));
    in_begin_ += result.consumed;

    switch (result.what) {
      case codec::http_parser::event::need_more: {
        if (parser_.in_body() && parser_.body().size() > options_.stream_threshold) {
          // A chunked body that outgrew the buffer: the rest streams.
          if (!co_await serve_streamed()) co_return;
          break;
        }
        if (!co_await flush()) co_return;
        idle_ = parser_.between_messages() && in_begin_ == in_end_;
        if (idle_ && closing_) co_return;
        set_deadline(parser_.in_body() ? options_.io_timeout : idle_ ? options_.idle_timeout : options_.header_timeout);
        const bool ok = co_await read_more();
        idle_ = false;
        if (!ok) co_return;
        break;
      }

      case codec::http_parser::event::head_complete: {
        const auto& head = parser_.head();
        if (head.expect_continue && head.has_body() && head.version_minor == 1 && in_begin_ == in_end_) {
          out_ += "HTTP/1.1 100 Continue\r\n\r\n";
          if (!co_await flush()) co_return;
        }
        if (head.content_length.value_or(0) > options_.stream_threshold) {
          if (!co_await flush()) co_return;
          if (!co_await serve_streamed()) co_return;
        }
        break;
      }

      case codec::http_parser::event::message_complete: {
        clear_deadline();
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
        co_await respond(http::response::json(std::move(body), status), false, true);
        co_return;
      }
    }
  }
}

} // namespace actorhost::net
