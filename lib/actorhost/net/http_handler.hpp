// http_handler: what the server calls for each complete request.
//
// handle() runs on the worker that owns the connection and must always produce a response;
// an exception escaping it is answered with a bare 500 by the server.
#pragma once

#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"

#include <asio/awaitable.hpp>

namespace actorhost::net {

class http_handler {
public:
  virtual ~http_handler() = default;
  virtual asio::awaitable<http::response> handle(http::request req) = 0;
};

} // namespace actorhost::net
