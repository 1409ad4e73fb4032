// serializer: writes HTTP/1.1 response heads and chunked-body framing into a buffer.
//
// The server owns message framing (RFC 9112 §6): Content-Length or chunked transfer coding
// and Connection are computed here, and a handler's own values for those fields are dropped
// so that it cannot desynchronise the connection. Responses to HEAD carry the framing fields
// of the GET response but no body (RFC 9110 §9.3.2); 1xx, 204 and 304 carry neither.
#pragma once

#include "actorhost/http/response.hpp"

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace actorhost::http {

// The IMF-fixdate for the Date field (RFC 9110 §5.6.7), recomputed at most once a second.
class date_cache {
public:
  std::string_view now();

private:
  std::time_t second_ = -1;
  char text_[32] = {};
  std::size_t size_ = 0;
};

struct head_options {
  bool head_request = false; // the request was HEAD: no body follows
  bool close = false;        // send Connection: close
  std::string_view date;     // may be empty
  // The request's HTTP/1.x minor version. A 1.0 client is told "Connection: keep-alive" when
  // the connection stays open, and gets a streamed body unframed, ended by the close (it knows
  // no chunked coding; RFC 9112 §7.1): the caller closes after it.
  int version_minor = 1;
  bool omit_body = false; // the caller writes the body itself, after the head
};

// Appends the status line and fields of `r` and, unless streaming, HEAD or omit_body, its body.
void serialize_response(std::string& out, const response& r, const head_options& opts);

// Appends one chunk of a chunked body (nothing for an empty chunk).
void append_chunk(std::string& out, std::string_view data);
// Appends the last chunk, which ends a chunked body.
void append_last_chunk(std::string& out);

} // namespace actorhost::http
