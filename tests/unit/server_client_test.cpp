// server_client (the in-process client) and the in-memory WebSocket pair behind its
// websocket(), against a real scheduler on real worker threads (state in memory, no store).
// The actor under test refuses every public caller in onAuth, so a call that reaches it
// proves the in-process client skipped onAuth, and the host's own route shows the refusal.
#include "actorhost/actor/actor.hpp"
#include "actorhost/actor/registry.hpp"
#include "actorhost/actor/scheduler.hpp"
#include "actorhost/host/host.hpp"
#include "actorhost/host/server_client.hpp"
#include "actorhost/http/websocket_pair.hpp"
#include "actorhost/net/worker_pool.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_future.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

using namespace actorhost;
using http::websocket;
using http::websocket_message;

namespace {

struct count_state {
  std::int64_t n = 0;
};
void to_json(json_writer& w, const count_state& s) {
  w.StartObject();
  w.Key("n");
  w.Int64(s.n);
  w.EndObject();
}
void from_json(const rapidjson::Value& v, count_state& s) {
  if (v.IsObject() && v.HasMember("n") && v["n"].IsInt64()) s.n = v["n"].GetInt64();
}

using count_ctx = context<count_state>;

registry make_registry() {
  registry reg;
  reg.add(actor<count_state>{
      .name = "guarded",
      .on_auth = [](auth_params) -> asio::awaitable<std::string> { throw unauthorized("no public callers"); },
      .on_fetch = [](count_ctx ctx, http::request req) -> asio::awaitable<std::optional<http::response>> {
        ++ctx.state().n;
        co_return http::response(req.method() + " " + std::string(req.url().pathname()) + " " + ctx.auth() + " " +
                                 std::to_string(ctx.read_state().n));
      },
      .on_websocket = [](count_ctx ctx, std::shared_ptr<websocket> ws, http::request req) -> asio::awaitable<void> {
        co_await ws->send_text("hello " + std::string(req.url().pathname()));
        while (auto m = co_await ws->receive()) {
          ++ctx.state().n;
          if (m->text() == "bye") ws->close(4000, "as asked");
          else co_await ws->send(std::move(*m));
        }
      },
      .actions = {{"add",
                   [](count_ctx ctx, rapidjson::Document args) -> asio::awaitable<rapidjson::Document> {
                     ctx.state().n += args[0].GetInt64();
                     rapidjson::Document out;
                     out.SetInt64(ctx.read_state().n);
                     co_return out;
                   }}},
  });
  return reg;
}

// A scheduler on two running workers, and a way to run a coroutine there and wait for it.
struct runtime {
  runtime() : reg(make_registry()), pool(2), sched(reg, pool), client(reg, sched) {
    thread = std::thread([this] { pool.run(); });
  }
  ~runtime() {
    pool.stop();
    thread.join();
  }
  template <class T>
  T run(asio::awaitable<T> task) {
    auto f = asio::co_spawn(pool.at(0).executor(), std::move(task), asio::use_future);
    BOOST_REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    return f.get();
  }

  registry reg;
  net::worker_pool pool;
  scheduler sched;
  server_client client;
  std::thread thread;
};

} // namespace

BOOST_AUTO_TEST_SUITE(server_client_suite)

BOOST_AUTO_TEST_CASE(fetch_reaches_the_actor_without_onauth) {
  runtime rt;
  auto h = rt.client.get_or_create("guarded", {"a"});
  auto res = rt.run(h.fetch("/x?y=1", "POST"));
  BOOST_TEST(res.status() == 200);
  BOOST_TEST(res.text() == "POST /x null 1"); // auth data is null: no onAuth ran

  // The public route runs onAuth, which refuses.
  host front(rt.reg, rt.sched, rt.pool);
  http::request req("GET", http::url("http://localhost/registry/actors/guarded/raw/http/x"),
                    {{"X-RivetKit-Query", R"({"getOrCreateForKey":{"name":"guarded","key":["a"]}})"}});
  auto refused = rt.run(front.handle(std::move(req), nullptr));
  BOOST_TEST(refused.status() == 401);
}

BOOST_AUTO_TEST_CASE(query_kinds_and_their_errors) {
  runtime rt;
  BOOST_CHECK_THROW(rt.client.get("nobody", {"a"}), actor_error);
  auto missing = rt.run(rt.client.get("guarded", {"never"}).fetch("/"));
  BOOST_TEST(missing.status() == 404);
  BOOST_TEST(missing.text().find("actor_not_found") != std::string::npos);

  auto created = rt.client.create("guarded", {"b"});
  const std::string id = rt.run(created.resolve());
  BOOST_TEST(id.size() == 16u);
  BOOST_CHECK_THROW(rt.run(rt.client.create("guarded", {"b"}).resolve()), actor_error);
  auto by_id = rt.run(rt.client.get_for_id("guarded", id).fetch("/"));
  BOOST_TEST(by_id.text() == "GET / null 1");
}

BOOST_AUTO_TEST_CASE(actions_run_and_unknown_ones_fail) {
  runtime rt;
  auto h = rt.client.get_or_create("guarded", {"c"});
  rapidjson::Document args;
  args.Parse("[5]");
  auto out = rt.run(h.action("add", std::move(args)));
  BOOST_TEST(out.GetInt64() == 5);
  try {
    rt.run(h.action("nope", rapidjson::Document(rapidjson::kArrayType)));
    BOOST_FAIL("an unknown action ran");
  } catch (const actor_error& e) {
    BOOST_TEST(e.code() == "action_not_found");
  }
}

BOOST_AUTO_TEST_CASE(websocket_reaches_onwebsocket_and_closes_both_ends) {
  runtime rt;
  auto h = rt.client.get_or_create("guarded", {"d"});
  auto outcome = rt.run([&]() -> asio::awaitable<std::vector<std::string>> {
    std::vector<std::string> seen;
    auto ws = co_await h.websocket("/room");
    seen.push_back(std::string((co_await ws->receive())->text()));
    co_await ws->send_text("one");
    seen.push_back(std::string((co_await ws->receive())->text()));
    co_await ws->send(websocket_message::make_binary(std::string("\0\1", 2)));
    auto bin = co_await ws->receive();
    seen.push_back(bin->binary ? "binary " + std::to_string(bin->data.size()) : "text");
    co_await ws->send_text("bye");
    auto end = co_await ws->receive(); // the actor closed: nothing more
    seen.push_back(end ? "more" : "end");
    co_await ws->closed();
    seen.push_back(std::to_string(ws->close_code()) + " " + ws->close_reason());
    co_return seen;
  }());
  BOOST_TEST(outcome == (std::vector<std::string>{"hello /room", "one", "binary 2", "end", "4000 as asked"}));
  auto count = rt.run(h.fetch("/"));
  BOOST_TEST(count.text() == "GET / null 4"); // three messages, then this fetch
}

BOOST_AUTO_TEST_CASE(pair_holds_a_sender_back_while_the_reader_does_not_read) {
  asio::io_context a, b;
  // (Named, not structured bindings: clang 14 cannot capture those in a lambda.)
  auto ends = http::make_websocket_pair(a.get_executor(), b.get_executor(), "", {100, 100});
  auto left = ends.first, right = ends.second;
  auto step = [&] {
    for (int round = 0; round < 4; ++round) {
      a.restart();
      a.poll();
      b.restart();
      b.poll();
    }
  };
  auto send_two = [&] {
    for (int i = 0; i < 2; ++i) BOOST_TEST(left->try_send(websocket_message::make_binary(std::string(60, 'x'))));
  };
  send_two();
  step();
  BOOST_TEST(left->buffered_amount() == 0u); // queued on the right, 120 bytes unread
  send_two();
  step();
  // The right reader is over its mark: these two are held, and count on the left.
  BOOST_TEST(left->buffered_amount() == 120u);
  BOOST_TEST(!left->try_send(websocket_message::make_text("more")));

  std::size_t received = 0;
  asio::co_spawn(b, [&, r = right]() -> asio::awaitable<void> {
    for (int i = 0; i < 4; ++i) received += (co_await r->receive())->data.size();
  }, asio::detached);
  step();
  BOOST_TEST(received == 240u); // all four, in order, once the reader read
  BOOST_TEST(left->buffered_amount() == 0u);
  BOOST_TEST(left->try_send(websocket_message::make_text("more")));
}

BOOST_AUTO_TEST_CASE(pair_close_reaches_the_other_end_after_its_messages) {
  asio::io_context a, b;
  auto ends = http::make_websocket_pair(a.get_executor(), b.get_executor());
  auto left = ends.first, right = ends.second;
  BOOST_TEST(left->try_send(websocket_message::make_text("last words")));
  left->close(4001, "done");
  for (int round = 0; round < 4; ++round) {
    a.restart();
    a.poll();
    b.restart();
    b.poll();
  }
  BOOST_TEST((left->state() == websocket::ready_state::closed));
  BOOST_TEST((right->state() == websocket::ready_state::closed));
  BOOST_TEST(right->close_code() == 4001);
  BOOST_TEST(right->close_reason() == "done");
  std::optional<websocket_message> first, second;
  asio::co_spawn(b, [&, r = right]() -> asio::awaitable<void> {
    first = co_await r->receive();
    second = co_await r->receive();
  }, asio::detached);
  b.restart();
  b.poll();
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(first->text() == "last words");
  BOOST_TEST(!second.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
