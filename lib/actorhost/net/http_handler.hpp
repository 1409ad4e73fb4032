// http_handler: what the server calls for each complete request.
//
// handle() runs on the worker that owns the connection and must always produce a response;
// an exception escaping it is answered with a bare 500 by the server. A handler that knows on
// which worker the request's work lives (an actor's home) says so through `affinity`; a
// keep-alive connection whose requests keep naming another worker moves there, so that its
// later requests run without a thread hop.
#pragma once

#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"

#include <asio/awaitable.hpp>

#include <cstddef>

namespace actorhost::net {

// Where a request's work lives; set by the handler, read by the connection after the reply.
struct affinity {
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::size_t worker = none;
};

class http_handler {
public:
  virtual ~http_handler() = default;
  // `hint` outlives the call (it belongs to the connection).
  virtual asio::awaitable<http::response> handle(http::request req, affinity* hint) = 0;
};

} // namespace actorhost::net
