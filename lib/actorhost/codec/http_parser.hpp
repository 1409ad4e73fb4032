// http_parser: a sans-IO HTTP/1.1 request parser around llhttp.
//
// Bytes go in through feed(); what comes back says how many were consumed and whether a
// request head, a whole request, more input or an error is what the caller has now. The
// parser stops (pauses llhttp) after each request head and after each complete request, so a
// connection can answer `Expect: 100-continue`, reject an oversized body before reading it,
// and answer pipelined requests one by one in order (RFC 9112 §9.3.2). It includes no
// networking header and owns no socket.
//
// Invariants: no lenient llhttp mode is ever enabled; every limit breach is reported as an
// error with the status a server should answer (413, 414, 431) and the connection must then
// be closed, because the parser cannot find the start of the next request reliably.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace actorhost::codec {

enum class http_error {
  bad_request = 1,     // malformed syntax (llhttp's verdict, with its reason)
  uri_too_long,        // request-target over the limit: 414
  headers_too_large,   // request line plus fields over the limit: 431
  too_many_headers,    // more fields than the limit: 431
  body_too_large,      // declared or received body over the limit: 413
  missing_host,        // HTTP/1.1 request without Host (RFC 9112 §3.2)
  duplicate_host,      // more than one Host field (RFC 9112 §3.2)
  obs_fold,            // obsolete line folding (RFC 9112 §5.2)
  unsupported_version, // not HTTP/1.0 or HTTP/1.1: 505
  invalid_host,        // a Host that is not uri-host[:port] (RFC 9112 §3.2, RFC 3986 §3.2.2)
  invalid_target,      // a fragment, or a form the method cannot take (RFC 9112 §3.2)
  no_version,          // a request line without "HTTP/x.y" (HTTP/0.9 is not served)
  framing_in_http10,   // Transfer-Encoding in an HTTP/1.0 request: faulty framing (RFC 9112 §6.1)
  extensions_too_large, // chunk extensions past their limit: 413 (Node's CVE-2024-22019)
  unknown_method,      // a method token the server does not know: 501 (RFC 9110 §9.1)
  connect_refused,     // CONNECT: this is not a proxy, 405 (RFC 9110 §9.3.6)
};

const std::error_category& http_category() noexcept;
std::error_code make_error_code(http_error e) noexcept;

// The status a server answers a parse error with.
int status_for(std::error_code ec) noexcept;

struct http_parser_limits {
  std::size_t max_head_bytes = 16 * 1024; // request line + all header fields
  std::size_t max_target_bytes = 8 * 1024;
  std::size_t max_header_count = 100;
  std::uint64_t max_body_bytes = 16 * 1024 * 1024;
  // Every chunk extension of one request body together (names, values and separators).
  std::size_t max_chunk_extension_bytes = 4 * 1024;
};

struct header_field {
  std::string name;
  std::string value;
};

// What the parser learned from a request head.
struct request_head {
  std::string method;
  std::string target;
  std::vector<header_field> fields;
  int version_minor = 1; // HTTP/1.x
  bool keep_alive = true;
  bool expect_continue = false;
  bool upgrade = false; // Connection: upgrade with an Upgrade field
  std::optional<std::uint64_t> content_length;
  bool chunked = false;

  bool has_body() const noexcept { return chunked || content_length.value_or(0) > 0; }
};

class http_parser {
public:
  enum class event {
    need_more,        // every byte consumed; feed more
    head_complete,    // head() is filled; body (if any) follows
    message_complete, // head() and body() hold a whole request
    error,            // see error(); close the connection after answering
  };

  struct result {
    std::size_t consumed = 0;
    event what = event::need_more;
  };

  explicit http_parser(http_parser_limits limits = {});
  ~http_parser();
  http_parser(const http_parser&) = delete;
  http_parser& operator=(const http_parser&) = delete;

  // Parses as much of `data` as it can up to the next event.
  result feed(std::span<const char> data);

  request_head& head() noexcept { return head_; }
  // The body bytes parsed so far; a caller that streams the body takes them out as they come.
  std::string& body() noexcept { return body_; }
  std::error_code error() const noexcept { return error_; }
  std::string_view error_reason() const noexcept { return error_reason_; }

  // True between head_complete and message_complete.
  bool in_body() const noexcept { return state_ == state::body; }
  // True when no byte of a next request has been parsed yet.
  bool between_messages() const noexcept { return state_ == state::idle; }

private:
  enum class state { idle, head, body, done, failed };
  struct callbacks;

  int fail(http_error e, std::string_view reason = {});
  int add_trailer_bytes(std::size_t n);
  void note_request_line(const char* begin, const char* end) noexcept;
  bool request_line_has_version() const noexcept;
  bool starts_with_method_token() const noexcept;
  // llhttp refused the method: 501 if the request line is otherwise well formed, else 400,
  // decided once the line has ended (until then the line's bytes are only scanned).
  result judge_method(std::size_t consumed);
  struct head_scan_result {
    std::size_t ok_bytes;             // bytes before the first violation
    std::optional<http_error> error;  // the violation, if any
  };
  head_scan_result scan_head(std::span<const char> bytes) noexcept;

  struct llhttp_holder;
  std::unique_ptr<llhttp_holder> llhttp_;
  http_parser_limits limits_;
  request_head head_;
  std::string body_;
  std::size_t trailer_bytes_ = 0;
  std::size_t extension_bytes_ = 0;
  bool method_pending_ = false; // an unknown method, waiting for the end of its request line
  std::uint64_t body_total_ = 0;
  struct head_scan {
    std::size_t bytes = 0;       // every byte of the head so far, as received
    std::size_t line_length = 0; // nonzero once the current line has content besides CR
    bool line_start = false;     // the last byte was LF
    bool started = false;        // the request line has begun (empty lines before it are allowed)
    bool ended = false;          // the empty line that ends the head has been seen
    bool line_one_done = false;  // the request line has ended
    char tail[10] = {};          // the request line's last bytes so far (its version), CR aside
    std::size_t tail_size = 0;
    char method[24] = {};        // the request line's first bytes, to tell 501 from 400
    std::size_t method_size = 0;
  } head_scan_;
  bool in_value_ = false;
  state state_ = state::idle;
  std::error_code error_;
  std::string error_reason_;
};

} // namespace actorhost::codec

template <>
struct std::is_error_code_enum<actorhost::codec::http_error> : std::true_type {};
