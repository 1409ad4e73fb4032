// run: serve a registry until SIGINT or SIGTERM, the few lines a main() needs.
//
//   int main() {
//     actorhost::registry reg;
//     reg.add(my_actor);
//     return actorhost::run(reg, {});
//   }
//
// State lives in an LMDB environment in `data_dir` (one host per directory). On SIGINT or
// SIGTERM the host stops accepting, lets requests in flight finish within `shutdown_grace`,
// commits every unsaved change, and run() returns 0.
#pragma once

#include "actorhost/actor/registry.hpp"
#include "actorhost/actor/scheduler.hpp"
#include "actorhost/host/host.hpp"
#include "actorhost/host/server_client.hpp"
#include "actorhost/net/server_options.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>

namespace actorhost {

struct run_options {
  net::server_options server;
  host_options host;
  unsigned threads = 0; // 0: one per hardware thread
  std::filesystem::path data_dir = "data";
  // false is the relaxed mode: no fsync per commit group and replies are not held (state is
  // synced to disk once a second, so a crash can lose the last second of changes).
  bool durable = true;
  std::size_t map_bytes = std::size_t{64} << 20;
  std::size_t max_map_bytes = std::size_t{1} << 40;
  scheduler_options actors;
  std::chrono::milliseconds shutdown_grace{10'000};
  // Builds the user's own routes (host_options::routes) once the in-process client exists.
  std::function<user_routes(server_client& client)> routes;
  // Called once the port is bound, with the port (handy with port 0).
  std::function<void(std::uint16_t port)> on_listening;
};

// Throws std::system_error when the address cannot be bound.
int run(const registry& reg, run_options options);

} // namespace actorhost
