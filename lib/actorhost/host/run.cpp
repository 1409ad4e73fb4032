#include "actorhost/host/run.hpp"

#include "actorhost/actor/scheduler.hpp"
#include "actorhost/net/http_server.hpp"
#include "actorhost/net/worker_pool.hpp"

#include <asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>

namespace actorhost {

int run(const registry& reg, run_options options) {
  net::worker_pool pool(options.threads);
  scheduler sched(reg, pool);
  host front(reg, sched, pool, options.host);
  net::http_server server(pool, front, options.server);
  server.start();

  std::signal(SIGPIPE, SIG_IGN);
  asio::signal_set signals(pool.at(0).context(), SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: shutting down (grace {} ms)", signo, options.shutdown_grace.count());
    server.shutdown(options.shutdown_grace, [&pool] { pool.stop(); });
  });

  spdlog::info("actorhost listening on http://{}:{} with {} worker thread(s)", options.server.host, server.port(),
               pool.size());
  if (options.on_listening) options.on_listening(server.port());
  pool.run();
  if (server.live_connections() > 0) {
    // A handler never finished within the grace period: its frames still point at the server,
    // so leave without unwinding them.
    spdlog::warn("{} task(s) still running at exit", server.live_connections());
    spdlog::shutdown();
    std::_Exit(0);
  }
  return 0;
}

} // namespace actorhost
