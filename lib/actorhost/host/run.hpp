// run: serve a registry until SIGINT or SIGTERM, the few lines a main() needs.
//
//   int main() {
//     actorhost::registry reg;
//     reg.add(my_actor);
//     return actorhost::run(reg, {});
//   }
//
// On SIGINT/SIGTERM the host stops accepting, lets requests in flight finish within
// `shutdown_grace`, and run() returns 0.
#pragma once

#include "actorhost/actor/registry.hpp"
#include "actorhost/host/host.hpp"
#include "actorhost/net/server_options.hpp"

#include <chrono>
#include <cstdint>
#include <functional>

namespace actorhost {

struct run_options {
  net::server_options server;
  host_options host;
  unsigned threads = 0; // 0: one per hardware thread
  std::chrono::milliseconds shutdown_grace{10'000};
  // Called once the port is bound, with the port (handy with port 0).
  std::function<void(std::uint16_t port)> on_listening;
};

// Throws std::system_error when the address cannot be bound.
int run(const registry& reg, run_options options);

} // namespace actorhost
