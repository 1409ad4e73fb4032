// request: what an actor's onFetch receives, shaped after the W3C Request class.
//
// Method, URL, headers and body arrive exactly as the client sent them. The body is read
// whole before the handler runs (up to the host's body limit), so text(), bytes() and json()
// are plain calls rather than awaits.
#pragma once

#include "actorhost/http/headers.hpp"
#include "actorhost/http/url.hpp"

#include <rapidjson/document.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace actorhost::http {

class request {
public:
  request() = default;
  request(std::string method, http::url url, http::headers headers = {}, std::string body = {})
      : method_(std::move(method)), url_(std::move(url)), headers_(std::move(headers)), body_(std::move(body)) {}

  const std::string& method() const noexcept { return method_; }
  const http::url& url() const noexcept { return url_; }
  const http::headers& headers() const noexcept { return headers_; }
  http::headers& headers() noexcept { return headers_; }

  std::string_view text() const noexcept { return body_; }
  std::span<const std::byte> bytes() const noexcept { return std::as_bytes(std::span(body_)); }
  // Parses the body; check HasParseError() on the result.
  rapidjson::Document json() const;
  std::string& body() noexcept { return body_; }

private:
  std::string method_ = "GET";
  http::url url_;
  http::headers headers_;
  std::string body_;
};

} // namespace actorhost::http
