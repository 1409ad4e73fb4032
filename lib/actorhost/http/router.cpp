#include "actorhost/http/router.hpp"

#include "actorhost/codec/uri.hpp"

namespace actorhost::http {

std::optional<std::string_view> route_params::get(std::string_view name) const noexcept {
  for (const auto& [k, v] : values_)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

namespace {

// Splits "/a/b/" into "a", "b" (empty segments between slashes are kept, trailing one is not).
template <class F>
void for_each_segment(std::string_view path, F&& f) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (!f(path.substr(0, slash), slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1)))
      return;
    if (slash == std::string_view::npos) return;
    path.remove_prefix(slash + 1);
  }
}

} // namespace

route_pattern::route_pattern(std::string_view pattern) {
  for_each_segment(pattern, [&](std::string_view seg, std::string_view) {
    if (seg == "*") segments_.push_back({"", segment::kind::rest});
    else if (!seg.empty() && seg.front() == ':') segments_.push_back({std::string(seg.substr(1)), segment::kind::param});
    else segments_.push_back({std::string(seg), segment::kind::literal});
    return true;
  });
}

bool route_pattern::match(std::string_view path, route_params& params) const {
  std::size_t i = 0;
  bool ok = true;
  bool rest = false;
  for_each_segment(path, [&](std::string_view seg, std::string_view) {
    if (i >= segments_.size()) {
      ok = false;
      return false;
    }
    const auto& s = segments_[i++];
    switch (s.what) {
      case segment::kind::rest:
        rest = true;
        return false;
      case segment::kind::literal:
        ok = seg == s.text;
        return ok;
      case segment::kind::param: {
        auto decoded = codec::decode_component(seg);
        ok = !seg.empty() && decoded.has_value();
        if (ok) params.add(s.text, std::move(*decoded));
        return ok;
      }
    }
    return false;
  });
  if (!ok) return false;
  if (rest) return true;
  // Every pattern segment must be used, except a trailing "*" that matches nothing.
  return i == segments_.size() || (i + 1 == segments_.size() && segments_[i].what == segment::kind::rest);
}

} // namespace actorhost::http
