// outgoing_request: one HTTP/1.1 request as the client writes it (RFC 9112 §3).
//
// The client owns the framing: serialize_request() writes Host from the endpoint and
// Content-Length from the body, and drops a caller's Host, Content-Length, Transfer-Encoding
// and Connection fields, so no caller can desynchronise a pooled connection. Every other field
// goes out as given, in order (http::headers has refused CR, LF and NUL already).
#pragma once

#include "actorhost/http/headers.hpp"

#include <string>
#include <string_view>

namespace actorhost::client {

struct outgoing_request {
  std::string method = "GET";
  std::string target; // origin-form: path and query
  http::headers headers;
  std::string body;
  bool upgrade = false; // sends Connection: Upgrade (the WebSocket handshake sets Upgrade itself)

  bool head() const noexcept { return method == "HEAD"; }
  // RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE may be sent again when a
  // connection failed before the answer came.
  bool idempotent() const noexcept;
};

// Appends the request. Throws std::invalid_argument for a method that is not a token or a
// target that is empty or holds a byte no request-target may hold (controls, space).
void serialize_request(std::string& out, const outgoing_request& r, std::string_view host);

} // namespace actorhost::client
