// websocket_pair: two WebSocket ends joined in memory, for a client and an actor in one
// process (the in-process client's websocket()).
//
// Each end lives on its own executor (they may be different threads); what one end sends is
// posted to the other. Backpressure holds as over TCP: a message counts in the sender's
// buffered_amount() until the receiver has queued it, and the receiver queues nothing more
// while its reader is over its receive mark, so send() on the far end waits. close() on one
// end reaches the other as the peer's Close: its queued messages can still be received, then
// both ends finish with the code and reason given, cleanly.
#pragma once

#include "actorhost/http/websocket.hpp"

#include <memory>
#include <utility>

namespace actorhost::http {

std::pair<std::shared_ptr<websocket>, std::shared_ptr<websocket>> make_websocket_pair(
    const asio::any_io_executor& first, const asio::any_io_executor& second, const std::string& protocol = {},
    websocket_limits limits = {});

} // namespace actorhost::http
