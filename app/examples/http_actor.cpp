// httpActor: the seed page's raw onFetch example.
//
//   GET  /api/hello          {"message":"Hello from actor!"}
//   POST /api/echo           the body back, byte for byte, with the request's Content-Type
//   GET  /api/stats, /state  {"requestCount":n}
//   ANY  /api/request        the request as the handler saw it
//   POST /api/increment      {"count":n}: a durable counter, committed before the reply
//   POST /api/increments?count=n  Server-Sent Events: n increments of the same counter made
//                            while the body streams, each made durable with save_state()
//                            before its event is sent (state saved outside the reply's gate)
//   GET  /api/events?count=n Server-Sent Events: n events, `interval` ms apart
//   anything else            404 Not Found
// Every request counts in the state's requestCount, a statistic saved without holding the
// reply (allow_unconfirmed); /api/increment's count is held until it is durable.
#include "examples.hpp"
#include "request_json.hpp"

#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <charconv>

namespace examples {

namespace {

using actorhost::http::request;
using actorhost::http::response;
using http_context = actorhost::context<request_count_state>;

int int_param(const request& req, std::string_view name, int fallback, int max) {
  auto v = req.url().search_param(name);
  int n = fallback;
  if (v) std::from_chars(v->data(), v->data() + v->size(), n);
  return std::clamp(n, 0, max);
}

asio::awaitable<void> send_events(asio::any_io_executor ex, int count, int interval_ms, std::int64_t start,
                                  actorhost::http::body_writer out) {
  asio::steady_timer timer(ex);
  for (int i = 0; i < count; ++i) {
    if (i > 0 && interval_ms > 0) {
      timer.expires_after(std::chrono::milliseconds(interval_ms));
      co_await timer.async_wait(asio::use_awaitable);
    }
    std::string event = "id: " + std::to_string(i) + "\ndata: {\"n\":" + std::to_string(i) +
                        ",\"requestCount\":" + std::to_string(start) + "}\n\n";
    if (!co_await out.write(std::move(event))) co_return; // the client left
  }
}

asio::awaitable<void> stream_increments(http_context ctx, int count, actorhost::http::body_writer out) {
  for (int i = 0; i < count; ++i) {
    const auto n = ++ctx.state().count;
    co_await ctx.save_state(); // durable before the client hears of it
    if (!co_await out.write("data: {\"count\":" + std::to_string(n) + "}\n\n")) co_return;
  }
}

asio::awaitable<std::optional<response>> on_fetch(http_context ctx, request req) {
  const auto count = ++ctx.state(actorhost::allow_unconfirmed).request_count;
  const std::string_view path = req.url().pathname();
  const std::string& method = req.method();
  const bool get = method == "GET" || method == "HEAD";

  if (path == "/api/hello" && get) co_return response::json(R"({"message":"Hello from actor!"})");
  if (path == "/api/echo" && method == "POST") co_return co_await echo_body(std::move(req));
  if ((path == "/api/stats" || path == "/api/state") && get) co_return response::json(request_count_json(count));
  if (path == "/api/request") co_return response::json(describe_request(req));
  if (path == "/api/increment" && method == "POST")
    co_return response::json(R"({"count":)" + std::to_string(++ctx.state().count) + "}");
  if (path == "/api/increments" && method == "POST") {
    const int n = int_param(req, "count", 1, 10'000);
    co_return response::event_stream(
        [ctx, n](actorhost::http::body_writer w) { return stream_increments(ctx, n, std::move(w)); });
  }
  if (path == "/api/events" && get) {
    const int n = int_param(req, "count", 3, 1000);
    const int interval = int_param(req, "interval", 0, 10'000);
    co_return response::event_stream([ex = ctx.executor(), n, interval, count](actorhost::http::body_writer w) {
      return send_events(ex, n, interval, count, std::move(w));
    });
  }
  co_return response("Not Found", 404);
}

} // namespace

void add_http_actor(actorhost::registry& reg) {
  reg.add(actorhost::actor<request_count_state>{
      .name = "httpActor",
      .on_auth = actorhost::allow_all,
      .on_fetch = on_fetch,
  });
}

} // namespace examples
