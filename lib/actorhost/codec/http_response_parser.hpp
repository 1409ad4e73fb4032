// http_response_parser: a sans-IO HTTP/1.1 response parser around llhttp, for clients.
//
// Bytes go in through feed(); the result says how many were consumed and whether a whole
// response, more input or an error is what the caller has now. The end of the connection goes
// in through finish(), which completes a body delimited by the close (RFC 9112 §6.3 item 8)
// and tells a clean close between responses from one that cut a response short. It includes no
// networking header and owns no socket.
//
// The body length follows RFC 9112 §6.3: a response to HEAD, and every 1xx, 204 and 304
// response, has no body whatever its fields say (the caller says which request was HEAD with
// expect_head_response() before each response); otherwise chunked transfer coding, then
// Content-Length, then everything until the connection closes. Interim 1xx responses other
// than 101 are skipped (RFC 9110 §15.2): a client must accept any number of them before the
// final response. A 101 (Switching Protocols) ends HTTP on the connection: the parser stops
// right after its head, consumes nothing more, and upgraded() turns true; the bytes after the
// head belong to the new protocol.
//
// Invariants: the parser stops after each final response, so bytes of a next response stay
// unconsumed until the caller feeds them again; every limit breach and every malformed byte is
// an error that sticks (later calls consume nothing), after which the connection must be
// closed. Which events come out, and which error, does not depend on how the bytes were cut,
// with one exception: llhttp hands over a partial token when the input ends inside it, so a
// response both over a limit and malformed further on in the same token may be refused for the
// limit when cut there and as malformed when whole.
#pragma once

#include "actorhost/codec/http_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace actorhost::codec {

enum class http_response_error {
  malformed = 1,       // not HTTP/1.x framing (llhttp's verdict, with its reason)
  headers_too_large,   // status line plus fields (or trailers) over the limit
  too_many_headers,    // more fields than the limit
  body_too_large,      // declared or received body over the limit
  unsupported_version, // not HTTP/1.0 or HTTP/1.1
  truncated,           // the connection closed inside a response (RFC 9112 §8)
};

const std::error_category& http_response_category() noexcept;
std::error_code make_error_code(http_response_error e) noexcept;

struct http_response_limits {
  std::size_t max_head_bytes = 64 * 1024; // status line + all header fields, and again for trailers
  std::size_t max_header_count = 256;
  std::uint64_t max_body_bytes = 64 * 1024 * 1024;
};

// What the parser learned from a final response's head.
struct response_head {
  int status = 0;
  std::string reason;
  std::vector<header_field> fields;
  int version_minor = 1; // HTTP/1.x
  // Whether the connection may carry another request once this response is complete.
  bool keep_alive = true;
  bool upgrade = false; // a 101: what follows the head is another protocol
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool until_close = false; // the body is delimited by the end of the connection
};

class http_response_parser {
public:
  enum class event {
    need_more,        // every byte consumed; feed more
    message_complete, // head() and body() hold a whole final response
    error,            // see error(); close the connection
    closed,           // finish() only: the peer closed between responses, nothing was cut
  };

  struct result {
    std::size_t consumed = 0;
    event what = event::need_more;
  };

  explicit http_response_parser(http_response_limits limits = {});
  ~http_response_parser();
  http_response_parser(const http_response_parser&) = delete;
  http_response_parser& operator=(const http_response_parser&) = delete;

  // Whether the next response answers a HEAD request (RFC 9110 §9.3.2: it has no body). Set
  // before feeding the response; it applies to one final response.
  void expect_head_response(bool head) noexcept { head_request_ = head; }

  // Parses as much of `data` as it can, up to the end of the next final response.
  result feed(std::span<const char> data);
  // The peer closed the connection: completes a body that runs until the close, reports
  // `closed` when no response had begun, and an error (truncated) when one had.
  result finish();

  response_head& head() noexcept { return head_; }
  std::string& body() noexcept { return body_; }
  std::error_code error() const noexcept { return error_; }
  std::string_view error_reason() const noexcept { return error_reason_; }

  // True when no byte of a next response has been parsed yet.
  bool between_messages() const noexcept { return state_ == state::idle; }
  // True once a 101 response has been parsed; the parser then takes no more bytes.
  bool upgraded() const noexcept { return state_ == state::upgraded; }

private:
  enum class state { idle, head, body, done, upgraded, failed };
  struct callbacks;
  struct llhttp_holder;

  int fail(http_response_error e, std::string_view reason = {});
  int count_head_bytes(std::size_t n);

  std::unique_ptr<llhttp_holder> llhttp_;
  http_response_limits limits_;
  response_head head_;
  std::string body_;
  std::size_t head_bytes_ = 0; // of the head, then of the trailers
  std::uint64_t body_total_ = 0;
  bool in_value_ = false;
  bool head_request_ = false;
  bool interim_seen_ = false; // a 1xx came and its final response has not begun
  state state_ = state::idle;
  std::error_code error_;
  std::string error_reason_;
};

} // namespace actorhost::codec

template <>
struct std::is_error_code_enum<actorhost::codec::http_response_error> : std::true_type {};
