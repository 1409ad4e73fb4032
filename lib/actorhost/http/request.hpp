// request: what an actor's onFetch receives, shaped after the W3C Request class.
//
// Method, URL, headers and body arrive exactly as the client sent them. A body up to the
// server's streaming threshold (1 MiB by default) is read whole before the handler runs, so
// text(), bytes() and json() are plain calls. A larger one is streamed: streamed() is true,
// text() is empty, and the handler reads the body from body_stream() as it arrives (the
// client is held back while the handler does not read). body_stream() works for both kinds,
// so a handler that always reads through it needs no special case.
#pragma once

#include "actorhost/http/headers.hpp"
#include "actorhost/http/url.hpp"

#include <asio/awaitable.hpp>
#include <rapidjson/document.h>

#include <memory>
#include <optional>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace actorhost::http {

// Where a streamed request body comes from; the server implements it.
class body_source {
public:
  virtual ~body_source() = default;
  // The next chunk, or nullopt at the end of the body. Throws std::system_error when the body
  // cannot be had whole (the client went away, or sent more than the limit allows).
  virtual asio::awaitable<std::optional<std::string>> read() = 0;
};

// Reads a request body chunk by chunk. Cheap to copy; copies share the position.
class body_reader {
public:
  explicit body_reader(std::shared_ptr<body_source> source) : source_(std::move(source)) {}
  asio::awaitable<std::optional<std::string>> read() { return source_->read(); }

private:
  std::shared_ptr<body_source> source_;
};

// The rest of the body as one string; throws std::length_error past `limit` bytes.
asio::awaitable<std::string> read_all(body_reader reader, std::size_t limit = 64 * 1024 * 1024);

class request {
public:
  request() = default;
  request(std::string method, http::url url, http::headers headers = {}, std::string body = {})
      : method_(std::move(method)), url_(std::move(url)), headers_(std::move(headers)), body_(std::move(body)) {}

  const std::string& method() const noexcept { return method_; }
  const http::url& url() const noexcept { return url_; }
  void set_url(http::url u) noexcept { url_ = std::move(u); }
  const http::headers& headers() const noexcept { return headers_; }
  http::headers& headers() noexcept { return headers_; }

  std::string_view text() const noexcept { return body_; }
  std::span<const std::byte> bytes() const noexcept { return std::as_bytes(std::span(body_)); }
  // Parses the body as JSON.parse would (codec::parse_json: bounded depth, last duplicate
  // member wins, UTF-8 checked); check HasParseError() on the result.
  rapidjson::Document json() const;
  std::string& body() noexcept { return body_; }

  // True when the body is to be read through body_stream(): the server streamed it, or
  // body_stream() has been called (which moves a buffered body into the stream).
  bool streamed() const noexcept { return static_cast<bool>(stream_); }
  // The body as a stream: the live one when streamed(), else the buffered body.
  body_reader body_stream();
  void set_body_stream(std::shared_ptr<body_source> source) noexcept { stream_ = std::move(source); }
  std::shared_ptr<body_source> take_body_stream() noexcept { return std::move(stream_); }
  // Expect: 100-continue: the server streams the body only so that its 100 goes out when the
  // body is first read (after onAuth). settle_body() then reads it in whole when it is no
  // larger than this limit, so the handler sees it as any small body. 0: nothing deferred.
  void defer_body(std::size_t buffer_up_to) noexcept { deferred_limit_ = buffer_up_to; }
  std::size_t deferred_body_limit() const noexcept { return deferred_limit_; }

  // HTTP/1.x's minor version as received (1 unless the server says otherwise).
  int version_minor() const noexcept { return version_minor_; }
  void set_version_minor(int v) noexcept { version_minor_ = v; }

private:
  std::string method_ = "GET";
  http::url url_;
  http::headers headers_;
  std::string body_;
  std::shared_ptr<body_source> stream_;
  std::size_t deferred_limit_ = 0;
  int version_minor_ = 1;
};

// For a request with a deferred body (see request::defer_body): reads it in, which sends the
// 100 Continue, and leaves it buffered (text(), json()) when it fits the limit; a longer one
// stays a stream that starts with what was read. Nothing for other requests.
asio::awaitable<void> settle_body(request& req);

} // namespace actorhost::http
