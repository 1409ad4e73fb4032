// ws_bench: a WebSocket echo load generator. Opens many connections, keeps `depth` binary
// messages in flight on each, and reports echoed messages per second and round-trip latency.
//
//   ws_bench --port 8080 --path /registry/actors/websocketActor/ws/ \
//            --protocol 'query.<encoded query with the key KEY>' --keys 64 \
//            --connections 64 --size 64 --duration 10
//
// "KEY" in --path and --protocol becomes k<n>, n = connection index mod --keys, so connections
// spread over that many actors (--keys 1: all on one actor). Only binary messages are counted,
// so a text greeting (websocketActor's welcome) is ignored. The server must echo each binary
// message as it came. Output: one line, "<messages/s> <p50 us> <p99 us> <errors>".
#include "actorhost/codec/websocket_frame.hpp"

#include <CLI/CLI.hpp>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
namespace codec = actorhost::codec;

struct settings {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/";
  std::string protocol;
  int connections = 64;
  int keys = 64;
  int depth = 1;
  std::size_t size = 64;
  double duration = 10;
  double warmup = 1;
};

struct totals {
  std::uint64_t messages = 0;
  std::uint64_t errors = 0;
  std::vector<std::uint32_t> latencies_us; // sampled during the measured window
  clock_type::time_point measure_from;
  clock_type::time_point measure_until;
};

std::string with_key(std::string s, const std::string& key) {
  for (auto at = s.find("KEY"); at != std::string::npos; at = s.find("KEY", at + key.size())) s.replace(at, 3, key);
  return s;
}

asio::awaitable<void> run_connection(const settings& cfg, int index, totals& t) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::socket socket(ex);
  auto [cec] = co_await socket.async_connect({asio::ip::make_address(cfg.host), static_cast<unsigned short>(cfg.port)},
                                             use_nothrow);
  if (cec) {
    ++t.errors;
    co_return;
  }
  socket.set_option(asio::ip::tcp::no_delay(true));
  const std::string key = "k" + std::to_string(index % std::max(cfg.keys, 1));
  std::string handshake = "GET " + with_key(cfg.path, key) + " HTTP/1.1\r\nHost: " + cfg.host +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  if (!cfg.protocol.empty()) handshake += "Sec-WebSocket-Protocol: " + with_key(cfg.protocol, key) + "\r\n";
  handshake += "\r\n";
  auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(handshake), use_nothrow);
  std::string in;
  auto [rec, head_size] = co_await asio::async_read_until(socket, asio::dynamic_buffer(in), "\r\n\r\n", use_nothrow);
  if (wec || rec || !in.starts_with("HTTP/1.1 101")) {
    ++t.errors;
    co_return;
  }
  in.erase(0, head_size);

  // One masked frame, built once and sent again and again.
  std::string payload(cfg.size, 'x');
  std::string frame;
  codec::write_binary(frame, payload, {.fin = true, .mask = codec::random_websocket_mask()});

  codec::websocket_parser parser({codec::websocket_role::client, 64 * 1024 * 1024});
  std::deque<clock_type::time_point> sent;
  std::string out;
  std::vector<char> buffer(64 * 1024);
  for (int i = 0; i < cfg.depth; ++i) {
    out += frame;
    sent.push_back(clock_type::now());
  }
  std::size_t pending_input = in.size();
  std::memcpy(buffer.data(), in.data(), std::min(in.size(), buffer.size()));
  for (;;) {
    if (!out.empty()) {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), use_nothrow);
      out.clear();
      if (ec) break;
    }
    std::size_t have = pending_input;
    pending_input = 0;
    if (have == 0) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_nothrow);
      if (ec) break;
      have = n;
    }
    const auto now = clock_type::now();
    std::size_t at = 0;
    bool stop = false;
    while (at < have) {
      const auto r = parser.feed(std::span<const char>(buffer.data() + at, have - at));
      at += r.consumed;
      if (r.what == codec::websocket_parser::event::error ||
          (r.what == codec::websocket_parser::event::control && r.opcode == codec::websocket_opcode::close)) {
        stop = true;
        break;
      }
      if (r.what != codec::websocket_parser::event::message || r.opcode != codec::websocket_opcode::binary) continue;
      if (sent.empty()) continue;
      const auto began = sent.front();
      sent.pop_front();
      if (now >= t.measure_from && now < t.measure_until) {
        ++t.messages;
        t.latencies_us.push_back(
            static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - began).count()));
      }
      if (now < t.measure_until) {
        out += frame;
        sent.push_back(now);
      }
    }
    if (stop) {
      ++t.errors;
      break;
    }
    if (now >= t.measure_until && sent.empty()) break;
  }
  asio::error_code ignored;
  socket.close(ignored);
}

} // namespace

int main(int argc, char** argv) {
  settings cfg;
  CLI::App cli{"WebSocket echo load generator"};
  cli.add_option("--host", cfg.host)->capture_default_str();
  cli.add_option("--port", cfg.port)->required();
  cli.add_option("--path", cfg.path, "Request target; KEY becomes the connection's key")->capture_default_str();
  cli.add_option("--protocol", cfg.protocol, "Sec-WebSocket-Protocol; KEY becomes the connection's key");
  cli.add_option("--connections", cfg.connections)->capture_default_str();
  cli.add_option("--keys", cfg.keys, "Distinct keys (actors) the connections spread over")->capture_default_str();
  cli.add_option("--depth", cfg.depth, "Messages in flight per connection")->capture_default_str();
  cli.add_option("--size", cfg.size, "Message size in bytes")->capture_default_str();
  cli.add_option("--duration", cfg.duration, "Seconds measured")->capture_default_str();
  cli.add_option("--warmup", cfg.warmup, "Seconds before measuring")->capture_default_str();
  CLI11_PARSE(cli, argc, argv);

  asio::io_context io(1);
  totals t;
  const auto start = clock_type::now();
  t.measure_from = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(cfg.warmup));
  t.measure_until =
      t.measure_from + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(cfg.duration));
  t.latencies_us.reserve(1 << 20);
  // A server that stops answering must not hang the run.
  asio::steady_timer guard(io, t.measure_until + std::chrono::seconds(5));
  guard.async_wait([&](asio::error_code ec) {
    if (!ec) io.stop();
  });
  int live = cfg.connections;
  for (int i = 0; i < cfg.connections; ++i)
    asio::co_spawn(io, run_connection(cfg, i, t), [&](std::exception_ptr) {
      if (--live == 0) guard.cancel();
    });
  io.run();

  auto& lat = t.latencies_us;
  auto pct = [&](double p) -> std::uint32_t {
    if (lat.empty()) return 0;
    auto nth = lat.begin() + static_cast<std::ptrdiff_t>(p * static_cast<double>(lat.size() - 1));
    std::nth_element(lat.begin(), nth, lat.end());
    return *nth;
  };
  const double rate = static_cast<double>(t.messages) / cfg.duration;
  std::printf("%.0f %u %u %llu\n", rate, pct(0.50), pct(0.99), static_cast<unsigned long long>(t.errors));
  return t.messages == 0 ? 1 : 0;
}
