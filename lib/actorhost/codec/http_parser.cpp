#include "actorhost/codec/http_parser.hpp"

#include "actorhost/codec/ascii.hpp"

#include <llhttp.h>

#include <algorithm>
#include <optional>
#include <charconv>
#include <cstring>

namespace actorhost::codec {

namespace {

class http_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "actorhost.http"; }
  std::string message(int ev) const override {
    switch (static_cast<http_error>(ev)) {
      case http_error::bad_request: return "malformed request";
      case http_error::uri_too_long: return "request target too long";
      case http_error::headers_too_large: return "request header fields too large";
      case http_error::too_many_headers: return "too many header fields";
      case http_error::body_too_large: return "request body too large";
      case http_error::missing_host: return "missing Host header";
      case http_error::duplicate_host: return "duplicate Host header";
      case http_error::obs_fold: return "obsolete line folding in header field";
      case http_error::unsupported_version: return "HTTP version not supported";
      case http_error::invalid_host: return "invalid Host header";
      case http_error::invalid_target: return "invalid request target";
      case http_error::no_version: return "request line without an HTTP version";
      case http_error::framing_in_http10: return "Transfer-Encoding in an HTTP/1.0 request";
      case http_error::extensions_too_large: return "chunk extensions too large";
      case http_error::unknown_method: return "method not implemented";
      case http_error::connect_refused: return "CONNECT is not supported: this is not a proxy";
    }
    return "unknown http error";
  }
};

bool unreserved_or_sub_delim(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '_': case '~':                                     // unreserved
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': // sub-delims
    case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

bool hex_digit(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// reg-name or IPv4address (RFC 3986 §3.2.2): unreserved, sub-delims and pct-encoded bytes;
// `colon` also allows ':' (inside an IP-literal's brackets).
bool valid_host_chars(std::string_view s, bool colon) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (unreserved_or_sub_delim(c) || (colon && c == ':')) continue;
    if (c == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) && hex_digit(s[i + 2])) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

// uri-host [ ":" port ] (RFC 9112 §3.2, RFC 3986 §3.2.2-3). Empty is allowed: a client sends an
// empty Host for a target without an authority (§3.2).
bool valid_host(std::string_view v) noexcept {
  if (v.empty()) return true;
  std::string_view host = v;
  std::string_view port;
  bool has_port = false;
  if (v.front() == '[') {
    const auto close = v.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    if (!valid_host_chars(v.substr(1, close - 1), true)) return false;
    const auto rest = v.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      has_port = true;
    }
    host = {};
  } else if (const auto colon = v.find(':'); colon != std::string_view::npos) {
    host = v.substr(0, colon);
    port = v.substr(colon + 1);
    has_port = true;
  }
  if (!valid_host_chars(host, false)) return false;
  if (has_port && port.size() > 5) return false;
  for (const char c : port)
    if (c < '0' || c > '9') return false;
  return true;
}

// The forms a request target may take (RFC 9112 §3.2): origin-form for every method,
// absolute-form with a valid authority, asterisk-form for OPTIONS only; authority-form is
// CONNECT's, which is refused before this. No form has a fragment (§3.2, RFC 9110 §7.1).
const char* check_target(std::string_view method, std::string_view target) noexcept {
  if (target.find('#') != std::string_view::npos) return "a request target has no fragment";
  if (target == "*") return method == "OPTIONS" ? nullptr : "only OPTIONS takes the asterisk-form target";
  if (!target.empty() && target.front() == '/') return nullptr;
  std::size_t scheme = 0;
  if (target.size() >= 7 && iequals(target.substr(0, 7), "http://")) scheme = 7;
  else if (target.size() >= 8 && iequals(target.substr(0, 8), "https://")) scheme = 8;
  if (scheme == 0) return "invalid request target";
  const auto rest = target.substr(scheme);
  const auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty() || authority.find('@') != std::string_view::npos || !valid_host(authority))
    return "invalid authority in an absolute-form request target";
  return nullptr;
}

// A method token: tchar (RFC 9110 §5.6.2).
bool tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

} // namespace

const std::error_category& http_category() noexcept {
  static const http_category_impl category;
  return category;
}

std::error_code make_error_code(http_error e) noexcept {
  return {static_cast<int>(e), http_category()};
}

int status_for(std::error_code ec) noexcept {
  if (ec.category() != http_category()) return 400;
  switch (static_cast<http_error>(ec.value())) {
    case http_error::uri_too_long: return 414;
    case http_error::headers_too_large:
    case http_error::too_many_headers: return 431;
    case http_error::body_too_large:
    case http_error::extensions_too_large: return 413;
    case http_error::unsupported_version: return 505;
    case http_error::unknown_method: return 501;
    case http_error::connect_refused: return 405;
    default: return 400;
  }
}

struct http_parser::llhttp_holder {
  llhttp_t parser;
  http_parser* owner = nullptr;
};

struct http_parser::callbacks {
  static http_parser& self(llhttp_t* p) { return *static_cast<http_parser*>(p->data); }

  static int on_message_begin(llhttp_t* p) {
    auto& s = self(p);
    s.head_.method.clear();
    s.head_.target.clear();
    s.head_.fields.clear();
    s.head_.content_length.reset();
    s.head_.chunked = s.head_.expect_continue = s.head_.upgrade = false;
    s.body_.clear();
    s.body_total_ = 0;
    s.trailer_bytes_ = 0;
    s.extension_bytes_ = 0;
    s.in_value_ = false;
    s.state_ = state::head;
    return 0;
  }

  static int on_method(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.head_.method.append(at, n);
    return 0; // the head's size is checked on the raw bytes, in scan_head()
  }

  static int on_url(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (s.head_.target.size() + n > s.limits_.max_target_bytes) return s.fail(http_error::uri_too_long);
    s.head_.target.append(at, n);
    return 0;
  }

  static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    // Trailer fields are not merged into the head (RFC 9110 §6.5.1); they are only counted,
    // against the head limit (scan_head() covers the head itself).
    if (s.state_ == state::body) return s.add_trailer_bytes(n);
    if (s.in_value_ || s.head_.fields.empty()) {
      if (s.head_.fields.size() >= s.limits_.max_header_count) return s.fail(http_error::too_many_headers);
      s.head_.fields.emplace_back();
      s.in_value_ = false;
    }
    s.head_.fields.back().name.append(at, n);
    return 0;
  }

  static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    if (s.state_ == state::body) return s.add_trailer_bytes(n);
    s.in_value_ = true;
    s.head_.fields.back().value.append(at, n);
    return 0;
  }

  static int on_headers_complete(llhttp_t* p) {
    auto& s = self(p);
    auto& h = s.head_;
    if (p->http_major != 1 || p->http_minor > 1) return s.fail(http_error::unsupported_version);
    h.version_minor = p->http_minor;
    h.keep_alive = llhttp_should_keep_alive(p) != 0;
    int hosts = 0;
    for (auto& f : h.fields) {
      // Trailing whitespace is not part of a field value (RFC 9112 §5.1).
      while (!f.value.empty() && (f.value.back() == ' ' || f.value.back() == '\t')) f.value.pop_back();
      if (iequals(f.name, "host")) ++hosts;
      else if (iequals(f.name, "expect")) h.expect_continue = iequals(f.value, "100-continue");
    }
    if (hosts > 1) return s.fail(http_error::duplicate_host);
    if (hosts == 0 && h.version_minor == 1) return s.fail(http_error::missing_host);
    for (const auto& f : h.fields)
      if (iequals(f.name, "host") && !valid_host(f.value)) return s.fail(http_error::invalid_host);
    if (h.method == "CONNECT") return s.fail(http_error::connect_refused);
    if (auto bad = check_target(h.method, h.target)) return s.fail(http_error::invalid_target, bad);
    // §6.1: a 1.0 recipient cannot know chunked framing, so a 1.0 message with it is faulty.
    if ((p->flags & F_TRANSFER_ENCODING) && h.version_minor == 0) return s.fail(http_error::framing_in_http10);
    if (p->flags & F_CHUNKED) h.chunked = true;
    if (p->flags & F_CONTENT_LENGTH) {
      h.content_length = p->content_length;
      if (p->content_length > s.limits_.max_body_bytes) return s.fail(http_error::body_too_large);
    }
    h.upgrade = p->upgrade != 0;
    s.state_ = state::body;
    return HPE_PAUSED;
  }

  // A chunk's size is known before its data: one past the limit is refused at once.
  static int on_chunk_header(llhttp_t* p) {
    auto& s = self(p);
    if (p->content_length > s.limits_.max_body_bytes - std::min(s.body_total_, s.limits_.max_body_bytes))
      return s.fail(http_error::body_too_large);
    return 0;
  }

  static int on_chunk_extension(llhttp_t* p, const char*, std::size_t n) {
    auto& s = self(p);
    s.extension_bytes_ += n + 1; // and its separator
    if (s.extension_bytes_ > s.limits_.max_chunk_extension_bytes) return s.fail(http_error::extensions_too_large);
    return 0;
  }

  static int on_body(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.body_total_ += n;
    if (s.body_total_ > s.limits_.max_body_bytes) return s.fail(http_error::body_too_large);
    s.body_.append(at, n);
    return 0;
  }

  static int on_message_complete(llhttp_t* p) {
    auto& s = self(p);
    s.state_ = state::done;
    return HPE_PAUSED;
  }

  static const llhttp_settings_t& settings() {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t st;
      llhttp_settings_init(&st);
      st.on_message_begin = on_message_begin;
      st.on_method = on_method;
      st.on_url = on_url;
      st.on_header_field = on_header_field;
      st.on_header_value = on_header_value;
      st.on_headers_complete = on_headers_complete;
      st.on_body = on_body;
      st.on_chunk_header = on_chunk_header;
      st.on_chunk_extension_name = on_chunk_extension;
      st.on_chunk_extension_value = on_chunk_extension;
      st.on_message_complete = on_message_complete;
      return st;
    }();
    return settings;
  }
};

http_parser::http_parser(http_parser_limits limits)
    : llhttp_(std::make_unique<llhttp_holder>()), limits_(limits) {
  llhttp_init(&llhttp_->parser, HTTP_REQUEST, &callbacks::settings());
  llhttp_->parser.data = this;
}

http_parser::~http_parser() = default;

int http_parser::fail(http_error e, std::string_view reason) {
  error_ = make_error_code(e);
  error_reason_ = reason.empty() ? error_.message() : std::string(reason);
  state_ = state::failed;
  return -1;
}

http_parser::head_scan_result http_parser::scan_head(std::span<const char> bytes) noexcept {
  auto& h = head_scan_;
  if (h.ended) return {bytes.size(), std::nullopt};
  // Every byte counts against the limit, the whitespace llhttp skips included (+ CRLF CRLF).
  const std::size_t budget = limits_.max_head_bytes + 4 > h.bytes ? limits_.max_head_bytes + 4 - h.bytes : 0;
  const char* const begin = bytes.data();
  const char* const end = begin + std::min(bytes.size(), budget);
  const char* p = begin;
  // Line by line: only the first byte of a line and the line's length matter.
  while (p < end) {
    if (h.line_start) {
      // llhttp 8 drops the CRLF of a folded line before on_header_value, so obs-fold is found
      // here: a line of the head that starts with SP or HTAB (RFC 9112 §5.2).
      if (h.started && (*p == ' ' || *p == '\t')) {
        h.bytes += static_cast<std::size_t>(p - begin);
        return {static_cast<std::size_t>(p - begin), http_error::obs_fold};
      }
      h.line_start = false;
    }
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = nl != nullptr ? nl : end;
    for (const char* q = p; q < line_end && h.line_length == 0; ++q)
      if (*q != '\r') h.line_length = 1; // the line has content (CR aside)
    if (h.line_length != 0) h.started = true;
    if (h.started && !h.line_one_done) note_request_line(p, line_end);
    if (nl == nullptr) {
      p = end;
      break;
    }
    if (h.started && !h.line_one_done) {
      // The request line is whole: without a version it is HTTP/0.9, which would otherwise
      // wait for a head that never comes.
      h.line_one_done = true;
      if (!request_line_has_version()) {
        h.bytes += static_cast<std::size_t>(nl - begin);
        return {static_cast<std::size_t>(nl - begin), http_error::no_version};
      }
    }
    // An empty line after the request line ends the head (RFC 9112 §2.1).
    if (h.line_length == 0 && h.started) {
      h.ended = true;
      h.bytes += static_cast<std::size_t>(nl + 1 - begin);
      return {bytes.size(), std::nullopt};
    }
    h.line_length = 0;
    h.line_start = true;
    p = nl + 1;
  }
  h.bytes += static_cast<std::size_t>(p - begin);
  if (bytes.size() > budget) return {budget, http_error::headers_too_large};
  return {bytes.size(), std::nullopt};
}

void http_parser::note_request_line(const char* begin, const char* end) noexcept {
  auto& h = head_scan_;
  for (const char* q = begin; q < end; ++q) {
    const char c = *q;
    if (c == '\r') continue;
    if (h.method_size < sizeof h.method) h.method[h.method_size++] = c;
    if (h.tail_size == sizeof h.tail) {
      std::memmove(h.tail, h.tail + 1, sizeof h.tail - 1);
      --h.tail_size;
    }
    h.tail[h.tail_size++] = c;
  }
}

// " HTTP/d.d" ends the request line (RFC 9112 §3); which version is llhttp's to judge.
bool http_parser::request_line_has_version() const noexcept {
  const auto& h = head_scan_;
  if (h.tail_size < 9) return false;
  const std::string_view v(h.tail + h.tail_size - 9, 9);
  return v.substr(0, 6) == " HTTP/" && v[6] >= '0' && v[6] <= '9' && v[7] == '.' && v[8] >= '0' && v[8] <= '9';
}

// Whether what came before the first space (or all that came) is a token: an unknown method
// then, 501; anything else (a TLS handshake, binary noise) is a bad request, 400.
bool http_parser::starts_with_method_token() const noexcept {
  const auto& h = head_scan_;
  std::size_t n = 0;
  for (; n < h.method_size && h.method[n] != ' '; ++n)
    if (!tchar(h.method[n])) return false;
  return n > 0;
}

int http_parser::add_trailer_bytes(std::size_t n) {
  trailer_bytes_ += n;
  if (trailer_bytes_ > limits_.max_head_bytes) return fail(http_error::headers_too_large);
  return 0;
}

http_parser::result http_parser::judge_method(std::size_t consumed) {
  if (!head_scan_.line_one_done) {
    method_pending_ = true;
    state_ = state::head;
    return {consumed, event::need_more};
  }
  method_pending_ = false;
  if (request_line_has_version() && starts_with_method_token()) fail(http_error::unknown_method);
  else fail(http_error::bad_request, "malformed request line");
  return {consumed, event::error};
}

http_parser::result http_parser::feed(std::span<const char> data) {
  if (state_ == state::failed) return {0, event::error};
  if (method_pending_) {
    const auto [ok_bytes, err] = scan_head(data);
    // The verdict on the method comes first if its line ended before any limit was passed.
    if (head_scan_.line_one_done) return judge_method(ok_bytes);
    if (err) {
      fail(*err);
      return {ok_bytes, event::error};
    }
    return {data.size(), event::need_more};
  }
  llhttp_t* p = &llhttp_->parser;
  if (llhttp_get_errno(p) == HPE_PAUSED) llhttp_resume(p);
  // A request with a body that ends exactly at its head pauses twice in one place; after the
  // head event, the message event still has to be delivered even with no new bytes.
  const state before = state_;
  if (data.empty() && before != state::body) return {0, event::need_more};

  // Our own head rules (obs-fold, every byte counted against the limit) are checked before
  // llhttp sees the bytes, and llhttp is stopped at the first byte that breaks one, so an
  // error is always the one at the earliest byte, however the input was split.
  std::span<const char> input = data;
  std::optional<http_error> violation;
  if (before == state::idle || before == state::head) {
    const auto [ok_bytes, err] = scan_head(data);
    if (err) {
      input = data.first(ok_bytes);
      violation = err;
    }
  }
  // llhttp does arithmetic on the pointer even for no bytes; never hand it a null one.
  static constexpr char nothing = 0;
  const char* begin = input.empty() ? &nothing : input.data();
  const llhttp_errno_t rc = llhttp_execute(p, begin, input.size());
  std::size_t consumed = input.size();
  if (rc == HPE_PAUSED || rc == HPE_PAUSED_UPGRADE)
    consumed = static_cast<std::size_t>(llhttp_get_error_pos(p) - begin);
  if (violation && rc == HPE_OK && state_ != state::failed) {
    fail(*violation);
    return {consumed, event::error};
  }
  if (state_ == state::body || state_ == state::done) head_scan_ = {}; // the next head starts afresh

  switch (rc) {
    case HPE_OK:
      return {consumed, event::need_more};
    case HPE_PAUSED:
      if (state_ == state::body && before != state::body) return {consumed, event::head_complete};
      if (state_ == state::done) {
        state_ = state::idle;
        return {consumed, event::message_complete};
      }
      return {consumed, event::need_more};
    case HPE_PAUSED_UPGRADE:
      // The request asked for a protocol switch and has been delivered already: the bytes
      // after it belong to the new protocol, so the parser consumes none of them.
      return {0, event::need_more};
    default:
      if (state_ != state::failed) {
        if (rc == HPE_INVALID_METHOD && !head_scan_.line_one_done && violation == http_error::headers_too_large) {
          fail(*violation); // a request line longer than a head may be: 431 whatever its method
        } else if (rc == HPE_INVALID_METHOD) {
          return judge_method(consumed);
        } else {
          const char* reason = llhttp_get_error_reason(p);
          fail(http_error::bad_request, reason != nullptr ? reason : "malformed request");
        }
      }
      return {consumed, event::error};
  }
}

} // namespace actorhost::codec
