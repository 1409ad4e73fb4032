#include "actorhost/http/url.hpp"

namespace actorhost::http {

url::url(std::string href) : href_(std::move(href)) {
  if (const auto hash = href_.find('#'); hash != std::string::npos) href_.resize(hash);
  const auto scheme = href_.find("://");
  const auto authority = scheme == std::string::npos ? 0 : scheme + 3;
  path_start_ = href_.find_first_of("/?", authority);
  if (path_start_ == std::string::npos) {
    path_start_ = href_.size();
    href_.push_back('/');
  } else if (href_[path_start_] == '?') {
    href_.insert(path_start_, 1, '/');
  }
  query_start_ = href_.find('?', path_start_);
  if (query_start_ == std::string::npos) query_start_ = href_.size();
}

std::string_view url::pathname() const noexcept {
  return std::string_view(href_).substr(path_start_, query_start_ - path_start_);
}

std::string_view url::search() const noexcept {
  // A lone '?' has an empty search in JavaScript.
  const auto s = std::string_view(href_).substr(query_start_);
  return s.size() <= 1 ? std::string_view{} : s;
}

std::optional<std::string> url::search_param(std::string_view name) const {
  for (auto& [k, v] : search_params())
    if (k == name) return v;
  return std::nullopt;
}

} // namespace actorhost::http
