// worker_slot: what the connections of one worker share, touched only on that worker's thread.
#pragma once

#include "actorhost/http/serializer.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <unordered_set>
#include <vector>

namespace actorhost::net {

class http_connection;
class websocket_connection;

struct worker_slot {
  worker_slot(asio::io_context& ctx, std::size_t i, std::vector<std::unique_ptr<worker_slot>>& all)
      : context(ctx), acceptor(ctx), index(i), slots(all) {}
  asio::io_context& context;
  asio::ip::tcp::acceptor acceptor;
  std::unordered_set<http_connection*> connections;
  std::unordered_set<websocket_connection*> websockets;
  http::date_cache dates;
  bool draining = false;
  // Bytes of large response bodies this worker's connections hold for peers that have not yet
  // read them (written here, summed by every worker against server_options::max_pending_output).
  std::atomic<std::size_t> pending_output{0};
  // The accept loop's wait after running out of descriptors: a closing connection ends it.
  asio::steady_timer* accept_pause = nullptr;
  std::size_t index;                               // this worker
  std::vector<std::unique_ptr<worker_slot>>& slots; // every worker's, for moving connections
};

} // namespace actorhost::net
