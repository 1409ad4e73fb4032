// actorhost: serves the example actors of SPEC §9, the forwarding routes and the demo page.
//
// Every flag also reads an environment variable (ACTORHOST_PORT for --port, and so on).
// Prints "listening on http://HOST:PORT" on stdout once it accepts connections.
#include "examples/examples.hpp"

#include "actorhost/host/run.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  CLI::App cli{"actorhost: a host for stateful actors (RivetKit's fetch and WebSocket handler model)"};
  std::string host = "127.0.0.1";
  int port = 8080;
  unsigned threads = 0;
  std::string data_dir = "data";
  std::string log_level = "info";
  std::uint64_t max_body = 16 * 1024 * 1024;
  int shutdown_grace_ms = 10'000;
  int header_timeout_ms = 10'000;
  int idle_timeout_ms = 60'000;
  int io_timeout_ms = 30'000;
  std::string cors_origins = "*";
  bool relaxed = false;
  int actor_idle_ms = 30'000;
  std::size_t map_mib = 64;
  std::size_t max_map_mib = std::size_t{1} << 20;
  bool no_cors = false;
  std::uint64_t ws_max_message = 16 * 1024 * 1024;
  int ws_ping_ms = 30'000;
  std::size_t max_pending_output_mib = 64;
  double max_creates_per_second = 0;

  cli.add_option("--host", host, "Address to listen on")->envname("ACTORHOST_HOST")->capture_default_str();
  cli.add_option("--port", port, "Port to listen on (0 picks a free one)")
      ->envname("ACTORHOST_PORT")->check(CLI::Range(0, 65535))->capture_default_str();
  cli.add_option("--threads", threads, "Worker threads (0: one per hardware thread)")
      ->envname("ACTORHOST_THREADS")->check(CLI::Range(0u, 1024u))->capture_default_str();
  cli.add_option("--data-dir", data_dir, "Directory for actor state")->envname("ACTORHOST_DATA_DIR")->capture_default_str();
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->envname("ACTORHOST_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  cli.add_option("--max-body", max_body, "Largest request body in bytes (413 beyond)")
      ->envname("ACTORHOST_MAX_BODY")->capture_default_str();
  cli.add_option("--shutdown-grace", shutdown_grace_ms, "Milliseconds in-flight requests get on SIGTERM")
      ->envname("ACTORHOST_SHUTDOWN_GRACE")->capture_default_str();
  cli.add_option("--header-timeout", header_timeout_ms, "Milliseconds a client gets to send a request head")
      ->envname("ACTORHOST_HEADER_TIMEOUT")->check(CLI::PositiveNumber)->capture_default_str();
  cli.add_option("--idle-timeout", idle_timeout_ms, "Milliseconds an idle keep-alive connection stays open")
      ->envname("ACTORHOST_IDLE_TIMEOUT")->check(CLI::PositiveNumber)->capture_default_str();
  cli.add_option("--io-timeout", io_timeout_ms, "Milliseconds each body read or response write may take")
      ->envname("ACTORHOST_IO_TIMEOUT")->check(CLI::PositiveNumber)->capture_default_str();
  cli.add_flag("--relaxed-durability", relaxed,
               "Do not fsync each commit or hold replies for it (a crash may lose ~1 s of changes)")
      ->envname("ACTORHOST_RELAXED_DURABILITY");
  cli.add_option("--actor-idle-timeout", actor_idle_ms, "Milliseconds an idle actor stays in memory")
      ->envname("ACTORHOST_ACTOR_IDLE_TIMEOUT")->check(CLI::PositiveNumber)->capture_default_str();
  cli.add_option("--map-size", map_mib, "Initial LMDB map size in MiB (it grows as needed)")
      ->envname("ACTORHOST_MAP_SIZE")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cli.add_option("--max-map-size", max_map_mib, "Largest the LMDB map may grow to, in MiB (commits fail beyond)")
      ->envname("ACTORHOST_MAX_MAP_SIZE")->check(CLI::Range(1, 1 << 30))->capture_default_str();
  cli.add_option("--cors-origins", cors_origins, "Allowed CORS origins: * or a comma-separated list")
      ->envname("ACTORHOST_CORS_ORIGINS")->capture_default_str();
  cli.add_flag("--no-cors", no_cors, "Answer no CORS preflight and add no CORS headers")->envname("ACTORHOST_NO_CORS");
  cli.add_option("--ws-max-message", ws_max_message, "Largest WebSocket message in bytes a client may send (1009 beyond)")
      ->envname("ACTORHOST_WS_MAX_MESSAGE")->check(CLI::PositiveNumber)->capture_default_str();
  cli.add_option("--ws-ping-interval", ws_ping_ms,
                 "Milliseconds of WebSocket silence before a ping; as long again unanswered drops the socket")
      ->envname("ACTORHOST_WS_PING_INTERVAL")->check(CLI::PositiveNumber)->capture_default_str();
  cli.add_option("--max-pending-output", max_pending_output_mib,
                 "MiB of large response bodies held for slow readers, over all connections; past it, "
                 "readers that took nothing for a second are dropped")
      ->envname("ACTORHOST_MAX_PENDING_OUTPUT")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cli.add_option("--max-creates-per-second", max_creates_per_second,
                 "Actors of one name that may be created per second (a burst of as many); 0: no limit")
      ->envname("ACTORHOST_MAX_CREATES_PER_SECOND")->check(CLI::NonNegativeNumber)->capture_default_str();
  CLI11_PARSE(cli, argc, argv);

  auto logger = spdlog::stderr_color_mt("actorhost");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));

  actorhost::registry reg;
  examples::add_all(reg);

  actorhost::run_options options;
  options.server.host = host;
  options.server.port = static_cast<std::uint16_t>(port);
  options.server.limits.max_body_bytes = max_body;
  options.server.header_timeout = std::chrono::milliseconds(header_timeout_ms);
  options.server.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  options.server.io_timeout = std::chrono::milliseconds(io_timeout_ms);
  options.server.websocket.max_message_size = ws_max_message;
  options.server.websocket.ping_interval = std::chrono::milliseconds(ws_ping_ms);
  options.server.max_pending_output = max_pending_output_mib << 20;
  options.actors.max_creates_per_second = max_creates_per_second;
  options.threads = threads;
  options.data_dir = data_dir;
  options.durable = !relaxed;
  options.map_bytes = map_mib << 20;
  options.max_map_bytes = std::max(max_map_mib, map_mib) << 20;
  options.actors.idle_timeout = std::chrono::milliseconds(actor_idle_ms);
  options.actors.sweep_interval = std::min(std::chrono::milliseconds(1000), options.actors.idle_timeout / 2 + std::chrono::milliseconds(1));
  options.shutdown_grace = std::chrono::milliseconds(shutdown_grace_ms);
  options.host.cors.enabled = !no_cors;
  options.host.cors.allow_origins = cors_origins;
  options.routes = [](actorhost::server_client& client) -> actorhost::user_routes {
    auto forward = examples::forwarding_routes(client);
    return [forward](actorhost::http::request& req) -> asio::awaitable<std::optional<actorhost::http::response>> {
      if (auto page = examples::serve_demo(req)) co_return page;
      co_return co_await forward(req);
    };
  };
  options.on_listening = [&](std::uint16_t bound) {
    std::printf("listening on http://%s:%u\n", host.c_str(), static_cast<unsigned>(bound));
    std::fflush(stdout);
  };
  try {
    return actorhost::run(reg, std::move(options));
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
