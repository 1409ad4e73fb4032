// GET /health: "ok" while the store works, 503 once it has failed a sync, so that a supervisor
// polling it restarts a host that can no longer trust its data directory.
#include "actorhost/actor/registry.hpp"
#include "actorhost/actor/scheduler.hpp"
#include "actorhost/host/host.hpp"
#include "actorhost/net/worker_pool.hpp"
#include "actorhost/store/lmdb_store.hpp"

#include "sync_fault.hpp"
#include "temp_dir.hpp"

#include <asio/co_spawn.hpp>
#include <asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <string>
#include <thread>

using namespace actorhost;

BOOST_AUTO_TEST_SUITE(host_health_suite)

BOOST_AUTO_TEST_CASE(health_turns_503_when_the_store_fails_a_sync) {
  testing::temp_dir dir("health");
  store::store_options so;
  so.dir = dir.path();
  store::lmdb_store data(so);
  registry reg;
  net::worker_pool pool(1);
  scheduler sched(reg, pool);
  host_options options;
  options.store = &data;
  host front(reg, sched, pool, options);
  std::thread worker([&] { pool.run(); });
  const auto health = [&] {
    http::request req("GET", http::url("http://localhost/health"), {});
    auto f = asio::co_spawn(pool.at(0).executor(), front.handle(std::move(req), nullptr), asio::use_future);
    BOOST_REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    return f.get();
  };

  const auto ok = health();
  BOOST_TEST(ok.status() == 200);
  BOOST_TEST(ok.text() == "ok");

  BOOST_REQUIRE(testing::break_sync(dir.path()));
  BOOST_TEST(data.sync());
  const auto failed = health();
  BOOST_TEST(failed.status() == 503);
  BOOST_TEST(failed.text().find("restart") != std::string::npos, failed.text());

  pool.stop();
  worker.join();
}

BOOST_AUTO_TEST_SUITE_END()
