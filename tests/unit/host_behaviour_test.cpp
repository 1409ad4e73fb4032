// The host's promises that need actors of their own, checked in process: the real host,
// scheduler, store and committer, with requests handed to host::handle as a connection would.
//
//   - handler failures become responses: no response is 500 invalid_fetch_response, a thrown
//     exception 500 internal_error that does not leak its text, no onFetch 404
//     fetch_handler_not_defined;
//   - what onAuth receives: the intents of each route and query kind, the parsed conn params;
//     and the auth data it returns reaching onFetch, actions and onWebSocket;
//   - a failed commit resets the actor live: its next request shows the durable state;
//   - after a failed fsync, held replies and later writes answer 500 and /health 503.
#include "actorhost/actor/actor.hpp"
#include "actorhost/actor/registry.hpp"
#include "actorhost/actor/scheduler.hpp"
#include "actorhost/codec/json.hpp"
#include "actorhost/host/host.hpp"
#include "actorhost/http/websocket_pair.hpp"
#include "actorhost/net/worker_pool.hpp"
#include "actorhost/store/group_committer.hpp"
#include "actorhost/store/lmdb_store.hpp"

#include "sync_fault.hpp"
#include "temp_dir.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace actorhost;

namespace {

// What onAuth saw, call by call.
struct auth_log {
  std::mutex mutex;
  std::vector<std::string> calls; // "get,create,action|<conn params JSON>"
};
auth_log* current_log = nullptr;

std::string describe(const auth_params& p) {
  std::string out;
  for (auto i : p.intents) {
    if (!out.empty()) out += ',';
    out += to_string(i);
  }
  out += '|';
  if (!p.conn_params.IsNull()) codec::write_json(out, p.conn_params);
  return out;
}

struct blob_state {
  std::string text;
};
void to_json(json_writer& w, const blob_state& s) {
  w.StartObject();
  w.Key("text");
  w.String(s.text.data(), static_cast<rapidjson::SizeType>(s.text.size()));
  w.EndObject();
}
void from_json(const rapidjson::Value& v, blob_state& s) {
  if (v.IsObject() && v.HasMember("text") && v["text"].IsString()) s.text = v["text"].GetString();
}
using blob_ctx = context<blob_state>;

asio::awaitable<std::string> probe_auth(auth_params p) {
  {
    std::lock_guard lock(current_log->mutex);
    current_log->calls.push_back(describe(p));
  }
  std::string who = "null";
  if (p.conn_params.IsObject() && p.conn_params.HasMember("user")) who = codec::to_json_text(p.conn_params["user"]);
  co_return R"({"who":)" + who + "}";
}

registry make_registry() {
  registry reg;
  reg.add(actor<blob_state>{
      .name = "probe",
      .on_auth = probe_auth,
      .on_fetch = [](blob_ctx ctx, http::request req) -> asio::awaitable<std::optional<http::response>> {
        const auto path = req.url().pathname();
        if (path == "/set") {
          ctx.state().text = std::string(req.text());
          co_return http::response("set");
        }
        if (path == "/get") co_return http::response(ctx.read_state().text);
        co_return http::response::json(ctx.auth());
      },
      .on_websocket = [](blob_ctx ctx, std::shared_ptr<http::websocket> ws, http::request) -> asio::awaitable<void> {
        co_await ws->send_text(ctx.auth());
      },
      .actions = {{"whoami",
                   [](blob_ctx ctx, rapidjson::Document) -> asio::awaitable<rapidjson::Document> {
                     co_return codec::parse_json_document(ctx.auth());
                   }}},
  });
  reg.add(actor<blob_state>{
      .name = "broken",
      .on_auth = allow_all,
      .on_fetch = [](blob_ctx, http::request req) -> asio::awaitable<std::optional<http::response>> {
        if (req.url().pathname() == "/throw") throw std::runtime_error("secret internals 1234");
        co_return std::nullopt;
      },
  });
  reg.add(actor<blob_state>{.name = "nofetch", .on_auth = allow_all});
  return reg;
}

// One host over a real store, committer and worker.
struct host_fixture {
  explicit host_fixture(std::size_t max_map_mib = 1024) : dir("behaviour"), reg(make_registry()) {
    current_log = &log;
    store::store_options so;
    so.dir = dir.path();
    so.map_bytes = std::size_t{1} << 20;
    so.max_map_bytes = max_map_mib << 20;
    data.emplace(so);
    committer.emplace(*data);
    sched.emplace(reg, pool, &*data, &*committer);
    host_options options;
    options.store = &*data;
    front.emplace(reg, *sched, pool, options);
    worker = std::thread([this] { pool.run(); });
  }
  ~host_fixture() {
    pool.stop();
    worker.join();
    front.reset();
    sched.reset();
    committer->stop();
    committer.reset();
    current_log = nullptr;
  }

  http::response handle(http::request req) {
    auto f = asio::co_spawn(pool.at(0).executor(), front->handle(std::move(req), nullptr), asio::use_future);
    BOOST_REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    return f.get();
  }

  http::response request(std::string method, std::string path, std::vector<std::pair<std::string, std::string>> headers,
                         std::string body = {}) {
    http::headers h;
    for (auto& [n, v] : headers) h.append(n, v);
    return handle(http::request(std::move(method), http::url("http://localhost" + path), std::move(h), std::move(body)));
  }

  std::vector<std::string> auth_calls() {
    std::lock_guard lock(log.mutex);
    return std::exchange(log.calls, {});
  }

  testing::temp_dir dir;
  registry reg;
  auth_log log;
  net::worker_pool pool{1};
  std::optional<store::lmdb_store> data;
  std::optional<store::group_committer> committer;
  std::optional<scheduler> sched;
  std::optional<host> front;
  std::thread worker;
};

std::string query(std::string_view kind, std::string_view name, std::string_view key) {
  return R"({")" + std::string(kind) + R"(":{"name":")" + std::string(name) + R"(","key":[")" + std::string(key) + R"("]}})";
}

std::string error_code_of(const http::response& res) {
  const auto doc = codec::parse_json_document(res.body());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("c")) return "(not an error body: " + res.body() + ")";
  return doc["c"].GetString();
}

} // namespace

BOOST_AUTO_TEST_SUITE(host_behaviour_suite)

BOOST_AUTO_TEST_CASE(handler_failures_become_responses) {
  host_fixture f;
  const auto q = query("getOrCreateForKey", "broken", "b");
  auto none = f.request("GET", "/registry/actors/broken/raw/http/none", {{"X-RivetKit-Query", q}});
  BOOST_TEST(none.status() == 500);
  BOOST_TEST(error_code_of(none) == "invalid_fetch_response");

  auto thrown = f.request("GET", "/registry/actors/broken/raw/http/throw", {{"X-RivetKit-Query", q}});
  BOOST_TEST(thrown.status() == 500);
  BOOST_TEST(error_code_of(thrown) == "internal_error");
  BOOST_TEST(thrown.body().find("secret") == std::string::npos, thrown.body()); // nothing of the exception leaks

  auto missing = f.request("GET", "/registry/actors/nofetch/raw/http/x",
                           {{"X-RivetKit-Query", query("getOrCreateForKey", "nofetch", "n")}});
  BOOST_TEST(missing.status() == 404);
  BOOST_TEST(error_code_of(missing) == "fetch_handler_not_defined");
}

BOOST_AUTO_TEST_CASE(on_auth_sees_the_intents_of_each_route_and_query_kind) {
  host_fixture f;
  const std::string params = R"({"user":"ann"})";
  // A create first, so that the getForKey below finds the actor.
  auto created = f.request("GET", "/registry/actors/raw/http/", {{"X-RivetKit-Query", query("create", "probe", "p")}});
  BOOST_TEST(created.status() == 200);
  f.request("GET", "/registry/actors/raw/http/", {{"X-RivetKit-Query", query("getForKey", "probe", "p")}});
  f.request("GET", "/registry/actors/probe/raw/http/",
            {{"X-RivetKit-Actor-Query", query("getOrCreateForKey", "probe", "p")}, {"X-RivetKit-Conn-Params", params}});
  f.request("POST", "/registry/actors/resolve", {{"X-RivetKit-Query", query("getOrCreateForKey", "probe", "p")}});
  f.request("POST", "/registry/actors/actions/whoami", {{"X-RivetKit-Query", query("getForKey", "probe", "p")}}, R"({"a":[]})");
  const auto calls = f.auth_calls();
  const std::vector<std::string> expected{
      "create,action|",            // raw HTTP adds action
      "get,action|",               //
      R"(get,create,action|{"user":"ann"})", // conn params arrive parsed
      "get,create|",               // resolve is not an action
      "get,action|",               // an action call
  };
  BOOST_TEST(calls == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(auth_data_reaches_fetch_actions_and_websockets) {
  host_fixture f;
  const auto q = query("getOrCreateForKey", "probe", "w");
  const std::pair<std::string, std::string> params{"X-RivetKit-Conn-Params", R"({"user":"bo"})"};
  auto fetched = f.request("GET", "/registry/actors/raw/http/auth", {{"X-RivetKit-Query", q}, params});
  BOOST_TEST(fetched.body() == R"({"who":"bo"})");
  auto acted = f.request("POST", "/registry/actors/actions/whoami", {{"X-RivetKit-Query", q}, params}, R"({"a":[]})");
  BOOST_TEST(acted.body() == R"({"o":{"who":"bo"}})");

  // The upgrade: the 101 carries the session the connection would run on the actor's worker.
  auto upgrade = f.request("GET", "/registry/actors/raw/websocket/",
                           {{"Host", "localhost"}, {"X-RivetKit-Query", q}, params, {"Connection", "Upgrade"}, {"Upgrade", "websocket"},
                            {"Sec-WebSocket-Version", "13"}, {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  BOOST_REQUIRE_MESSAGE(upgrade.status() == 101, upgrade.status() << " " << upgrade.body());
  const auto ex = f.pool.at(0).executor();
  auto [client, server] = http::make_websocket_pair(ex, ex);
  auto session = std::move(upgrade.session());
  asio::co_spawn(ex, session(server), asio::detached);
  auto first = asio::co_spawn(ex, client->receive(), asio::use_future);
  BOOST_REQUIRE(first.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const auto message = first.get();
  BOOST_REQUIRE(message.has_value());
  BOOST_TEST(message->text() == R"({"who":"bo"})");
  asio::co_spawn(ex, [](std::shared_ptr<http::websocket> c) -> asio::awaitable<void> {
    c->close(1000, "");
    co_return;
  }(client), asio::detached);
}

// SPEC §5: a failed commit turns the reply into 500 and resets the actor from what LMDB holds.
BOOST_AUTO_TEST_CASE(a_failed_commit_resets_the_actor_to_its_durable_state) {
  host_fixture f(2); // a map of 2 MiB at the most
  const auto q = query("getOrCreateForKey", "probe", "r");
  BOOST_TEST(f.request("POST", "/registry/actors/raw/http/set", {{"X-RivetKit-Query", q}}, "durable").status() == 200);
  const auto lost = f.request("POST", "/registry/actors/raw/http/set", {{"X-RivetKit-Query", q}}, std::string(4 << 20, 'x'));
  BOOST_TEST(lost.status() == 500);
  BOOST_TEST(error_code_of(lost) == "internal_error");
  // The host is up; the actor's next request sees the durable state, not the lost write.
  BOOST_TEST(f.request("GET", "/registry/actors/raw/http/get", {{"X-RivetKit-Query", q}}).body() == "durable");
}

// After a failed fsync the store can no longer be trusted: what waits on it, and every later
// write, answers 500; /health says 503 so a supervisor restarts the host.
BOOST_AUTO_TEST_CASE(after_a_failed_fsync_writes_answer_500_and_health_503) {
  host_fixture f;
  const auto a = query("getOrCreateForKey", "probe", "a");
  BOOST_TEST(f.request("POST", "/registry/actors/raw/http/set", {{"X-RivetKit-Query", a}}, "one").status() == 200);
  BOOST_REQUIRE(testing::break_sync(f.dir.path()));
  const auto held = f.request("POST", "/registry/actors/raw/http/set", {{"X-RivetKit-Query", a}}, "two");
  BOOST_TEST(held.status() == 500);
  BOOST_TEST(f.request("POST", "/registry/actors/raw/http/set", {{"X-RivetKit-Query", a}}, "three").status() == 500);
  // Another actor cannot be woken or created: the store refuses reads too.
  const auto other = f.request("POST", "/registry/actors/raw/http/set",
                               {{"X-RivetKit-Query", query("getOrCreateForKey", "probe", "b")}}, "x");
  BOOST_TEST(other.status() == 500);
  BOOST_TEST(f.request("GET", "/health", {}).status() == 503);
}

BOOST_AUTO_TEST_SUITE_END()
