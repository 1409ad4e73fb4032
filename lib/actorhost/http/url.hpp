// url: the URL an actor's handler sees, shaped after the W3C URL class.
//
// The host builds it as `http://actor/{path}?{query}` from the request target, so href(),
// pathname() and search() are views into one string kept as the client sent it
// (percent-escapes intact, as a JavaScript URL keeps them); search_params() decodes.
#pragma once

#include "actorhost/codec/uri.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace actorhost::http {

class url {
public:
  url() : url("http://actor/") {}
  // `href` must be an absolute http(s) URL.
  explicit url(std::string href);

  const std::string& href() const noexcept { return href_; }
  std::string_view origin() const noexcept { return std::string_view(href_).substr(0, path_start_); }
  std::string_view pathname() const noexcept;
  // "?a=b", or empty when there is no query (as in JavaScript).
  std::string_view search() const noexcept;
  codec::query_params search_params() const { return codec::parse_query(search().empty() ? "" : search().substr(1)); }
  std::optional<std::string> search_param(std::string_view name) const;

private:
  std::string href_;
  std::size_t path_start_ = 0;
  std::size_t query_start_ = 0; // position of '?', or href_.size()
};

} // namespace actorhost::http
