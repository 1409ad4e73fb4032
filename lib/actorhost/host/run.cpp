#include "actorhost/host/run.hpp"

#include "actorhost/actor/scheduler.hpp"
#include "actorhost/net/http_server.hpp"
#include "actorhost/net/worker_pool.hpp"
#include "actorhost/store/group_committer.hpp"
#include "actorhost/store/lmdb_store.hpp"

#include <asio/co_spawn.hpp>
#include <asio/signal_set.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>

#include <sys/resource.h>

namespace actorhost {

namespace {

// After the server has drained: commit what is unsaved, then let the workers go.
asio::awaitable<void> finish(scheduler& sched, net::worker_pool& pool) {
  co_await sched.shutdown();
  pool.stop();
}

// Every connection, WebSocket and actor's store descriptor is a file descriptor, and the soft
// limit most shells and systemd hand out (1,024) would refuse connections long before the
// machine is full: raise it to the hard limit.
void raise_open_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  // An unlimited hard limit still stops at the kernel's nr_open (1,048,576 by default).
  const rlim_t target = lim.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : lim.rlim_max;
  if (lim.rlim_cur < target) {
    const auto was = lim.rlim_cur;
    lim.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &lim) == 0)
      spdlog::info("open file limit raised from {} to {}", was, lim.rlim_cur);
    else
      spdlog::warn("open file limit stays at {}: raising it to {} failed", was, target);
  } else {
    spdlog::info("open file limit: {}", lim.rlim_cur);
  }
}

} // namespace

int run(const registry& reg, run_options options) {
  raise_open_file_limit();
  store::lmdb_store store({options.data_dir, options.map_bytes, options.max_map_bytes, options.durable});
  store::group_committer committer(store);
  net::worker_pool pool(options.threads);
  options.actors.hold_replies = options.durable;
  scheduler sched(reg, pool, &store, &committer, options.actors);
  server_client client(reg, sched);
  if (options.routes) options.host.routes = options.routes(client);
  options.host.store = &store;
  host front(reg, sched, pool, options.host);
  net::http_server server(pool, front, options.server);
  server.start();
  net::task_group background;
  sched.start(background);

  std::signal(SIGPIPE, SIG_IGN);
  asio::signal_set signals(pool.at(0).context(), SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {}: shutting down (grace {} ms)", signo, options.shutdown_grace.count());
    server.shutdown(options.shutdown_grace, [&] {
      asio::co_spawn(pool.at(0).executor(), finish(sched, pool), [&pool](std::exception_ptr e) {
        if (e) net::log_task_failure("shutdown", e);
        pool.stop();
      });
    });
  });

  spdlog::info("actorhost listening on http://{}:{} with {} worker thread(s), data in {} ({})", options.server.host,
               server.port(), pool.size(), options.data_dir.string(), options.durable ? "durable" : "relaxed");
  if (options.on_listening) options.on_listening(server.port());
  pool.run();
  committer.stop();
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
