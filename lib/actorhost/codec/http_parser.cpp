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
    }
    return "unknown http error";
  }
};

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
    case http_error::body_too_large: return 413;
    case http_error::unsupported_version: return 505;
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
    if (p->flags & F_CHUNKED) h.chunked = true;
    if (p->flags & F_CONTENT_LENGTH) {
      h.content_length = p->content_length;
      if (p->content_length > s.limits_.max_body_bytes) return s.fail(http_error::body_too_large);
    }
    h.upgrade = p->upgrade != 0;
    s.state_ = state::body;
    return HPE_PAUSED;
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
    if (nl == nullptr) {
      p = end;
      break;
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

int http_parser::add_trailer_bytes(std::size_t n) {
  trailer_bytes_ += n;
  if (trailer_bytes_ > limits_.max_head_bytes) return fail(http_error::headers_too_large);
  return 0;
}

http_parser::result http_parser::feed(std::span<const char> data) {
  if (state_ == state::failed) return {0, event::error};
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
        const char* reason = llhttp_get_error_reason(p);
        fail(http_error::bad_request, reason != nullptr ? reason : "malformed request");
      }
      return {consumed, event::error};
  }
}

} // namespace actorhost::codec
