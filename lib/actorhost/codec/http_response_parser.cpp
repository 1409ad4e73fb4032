#include "actorhost/codec/http_response_parser.hpp"

#include <llhttp.h>

namespace actorhost::codec {

namespace {

class http_response_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "actorhost.http_response"; }
  std::string message(int ev) const override {
    switch (static_cast<http_response_error>(ev)) {
      case http_response_error::malformed: return "malformed HTTP response";
      case http_response_error::headers_too_large: return "response header fields too large";
      case http_response_error::too_many_headers: return "too many response header fields";
      case http_response_error::body_too_large: return "response body too large";
      case http_response_error::unsupported_version: return "response HTTP version not supported";
      case http_response_error::truncated: return "connection closed inside a response";
    }
    return "unknown HTTP response error";
  }
};

// The bytes a field costs on the wire besides its name and value: ": " and CRLF.
constexpr std::size_t field_overhead = 4;

bool interim(int status) noexcept { return status >= 100 && status < 200 && status != 101; }

} // namespace

const std::error_category& http_response_category() noexcept {
  static const http_response_category_impl category;
  return category;
}

std::error_code make_error_code(http_response_error e) noexcept { return {static_cast<int>(e), http_response_category()}; }

struct http_response_parser::llhttp_holder {
  llhttp_t parser;
};

struct http_response_parser::callbacks {
  static http_response_parser& self(llhttp_t* p) { return *static_cast<http_response_parser*>(p->data); }

  static int on_message_begin(llhttp_t* p) {
    auto& s = self(p);
    s.head_ = response_head{};
    s.body_.clear();
    s.head_bytes_ = 0;
    s.body_total_ = 0;
    s.in_value_ = false;
    s.state_ = state::head;
    return 0;
  }

  static int on_status(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.head_.reason.append(at, n);
    return s.count_head_bytes(n);
  }

  static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    // Trailer fields are counted against the head limit and not merged (RFC 9110 §6.5.1).
    if (s.state_ == state::body) {
      std::size_t cost = n;
      if (s.in_value_) cost += field_overhead; // a new trailer field begins
      s.in_value_ = false;
      return s.count_head_bytes(cost);
    }
    if (s.in_value_ || s.head_.fields.empty()) {
      if (s.head_.fields.size() >= s.limits_.max_header_count) return s.fail(http_response_error::too_many_headers);
      s.head_.fields.emplace_back();
      s.in_value_ = false;
      if (s.count_head_bytes(field_overhead) != 0) return -1;
    }
    s.head_.fields.back().name.append(at, n);
    return s.count_head_bytes(n);
  }

  static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.in_value_ = true;
    if (s.state_ == state::body) return s.count_head_bytes(n);
    s.head_.fields.back().value.append(at, n);
    return s.count_head_bytes(n);
  }

  static int on_headers_complete(llhttp_t* p) {
    auto& s = self(p);
    auto& h = s.head_;
    if (p->http_major != 1 || p->http_minor > 1) return s.fail(http_response_error::unsupported_version);
    h.version_minor = p->http_minor;
    h.status = p->status_code;
    // RFC 9110 §15: a status is three digits, the first of them 1 to 5 (llhttp takes any three).
    if (h.status < 100 || h.status > 599) return s.fail(http_response_error::malformed, "invalid status code");
    // Trailing whitespace is not part of a field value (RFC 9112 §5.1).
    for (auto& f : h.fields)
      while (!f.value.empty() && (f.value.back() == ' ' || f.value.back() == '\t')) f.value.pop_back();
    if (p->flags & F_CHUNKED) h.chunked = true;
    if (p->flags & F_CONTENT_LENGTH) h.content_length = p->content_length;
    s.state_ = state::body;
    s.head_bytes_ = 0;    // trailers, if any, get a limit of their own
    s.in_value_ = true;   // so that the first trailer field counts as a new one
    // RFC 9112 §6.3 items 1 and 2: these never have a body, whatever the fields say. Returning
    // 1 tells llhttp so; a 101 then ends HTTP on the connection.
    if (s.head_request_ || h.status < 200 || h.status == 204 || h.status == 304) return 1;
    if (h.content_length && *h.content_length > s.limits_.max_body_bytes) return s.fail(http_response_error::body_too_large);
    h.until_close = llhttp_message_needs_eof(p) != 0;
    return 0;
  }

  static int on_body(llhttp_t* p, const char* at, std::size_t n) {
    auto& s = self(p);
    s.body_total_ += n;
    if (s.body_total_ > s.limits_.max_body_bytes) return s.fail(http_response_error::body_too_large);
    s.body_.append(at, n);
    return 0;
  }

  static int on_message_complete(llhttp_t* p) {
    auto& s = self(p);
    if (interim(s.head_.status)) {
      // RFC 9110 §15.2: an interim response; the final one follows on the same connection.
      s.state_ = state::idle;
      s.interim_seen_ = true;
      return 0;
    }
    s.interim_seen_ = false;
    s.head_request_ = false;
    s.head_.keep_alive = llhttp_should_keep_alive(p) != 0;
    if (s.head_.status == 101) {
      s.head_.upgrade = true;
      s.head_.keep_alive = false;
      s.state_ = state::upgraded;
    } else {
      s.state_ = state::done;
    }
    return HPE_PAUSED;
  }

  static const llhttp_settings_t& settings() {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t st;
      llhttp_settings_init(&st);
      st.on_message_begin = on_message_begin;
      st.on_status = on_status;
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

http_response_parser::http_response_parser(http_response_limits limits)
    : llhttp_(std::make_unique<llhttp_holder>()), limits_(limits) {
  llhttp_init(&llhttp_->parser, HTTP_RESPONSE, &callbacks::settings());
  llhttp_->parser.data = this;
}

http_response_parser::~http_response_parser() = default;

int http_response_parser::fail(http_response_error e, std::string_view reason) {
  error_ = make_error_code(e);
  error_reason_ = reason.empty() ? error_.message() : std::string(reason);
  state_ = state::failed;
  return -1;
}

int http_response_parser::count_head_bytes(std::size_t n) {
  head_bytes_ += n;
  if (head_bytes_ > limits_.max_head_bytes) return fail(http_response_error::headers_too_large);
  return 0;
}

http_response_parser::result http_response_parser::feed(std::span<const char> data) {
  if (state_ == state::failed) return {0, event::error};
  if (state_ == state::upgraded || data.empty()) return {0, event::need_more};
  llhttp_t* p = &llhttp_->parser;
  if (llhttp_get_errno(p) == HPE_PAUSED) llhttp_resume(p);

  const llhttp_errno_t rc = llhttp_execute(p, data.data(), data.size());
  std::size_t consumed = data.size();
  if (rc == HPE_PAUSED || rc == HPE_PAUSED_UPGRADE)
    consumed = static_cast<std::size_t>(llhttp_get_error_pos(p) - data.data());

  switch (rc) {
    case HPE_OK:
      return {consumed, event::need_more};
    case HPE_PAUSED:
    case HPE_PAUSED_UPGRADE:
      if (state_ == state::done) {
        state_ = state::idle;
        return {consumed, event::message_complete};
      }
      if (state_ == state::upgraded) return {consumed, event::message_complete};
      return {consumed, event::need_more};
    default:
      if (state_ != state::failed) {
        const char* reason = llhttp_get_error_reason(p);
        fail(http_response_error::malformed, reason != nullptr ? reason : "malformed response");
      }
      return {consumed, event::error};
  }
}

http_response_parser::result http_response_parser::finish() {
  if (state_ == state::failed) return {0, event::error};
  if (state_ == state::upgraded) return {0, event::closed};
  if (state_ == state::idle && !interim_seen_) return {0, event::closed};
  llhttp_t* p = &llhttp_->parser;
  if (llhttp_get_errno(p) == HPE_PAUSED) llhttp_resume(p);
  // A body delimited by the close ends here (llhttp calls on_message_complete); anything else
  // that had begun was cut short.
  llhttp_finish(p);
  if (state_ == state::done) {
    state_ = state::idle;
    return {0, event::message_complete};
  }
  fail(http_response_error::truncated);
  return {0, event::error};
}

} // namespace actorhost::codec
