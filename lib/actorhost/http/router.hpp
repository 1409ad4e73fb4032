// router: a small path router an onFetch handler can delegate to, as the seed's Hono example
// does: `r.get("/users/:id", handler)`, then `co_return co_await r.handle(ctx, request)`.
//
// Patterns are matched segment by segment against the URL's pathname: a literal matches
// itself, `:name` matches one non-empty segment (percent-decoded into params), and a final
// `*` matches the rest. Routes are tried in the order they were added; the first match wins.
// No match answers 404 "Not Found"; a path that matches only with other methods answers 405
// with an Allow field listing them (RFC 9110 §15.5.6).
#pragma once

#include "actorhost/http/request.hpp"
#include "actorhost/http/response.hpp"

#include <asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actorhost::http {

class route_params {
public:
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  // The value of a parameter the pattern declares (empty if it does not).
  std::string_view operator[](std::string_view name) const noexcept { return get(name).value_or(""); }
  void add(std::string name, std::string value) { values_.emplace_back(std::move(name), std::move(value)); }
  void clear() noexcept { values_.clear(); }

private:
  std::vector<std::pair<std::string, std::string>> values_;
};

// A compiled path pattern.
class route_pattern {
public:
  explicit route_pattern(std::string_view pattern);
  bool match(std::string_view path, route_params& params) const;

private:
  struct segment {
    std::string text;
    enum class kind { literal, param, rest } what;
  };
  std::vector<segment> segments_;
};

template <class Context>
class router {
public:
  using handler = std::function<asio::awaitable<std::optional<response>>(Context, request, route_params)>;

  router& get(std::string_view pattern, handler h) { return add("GET", pattern, std::move(h)); }
  router& post(std::string_view pattern, handler h) { return add("POST", pattern, std::move(h)); }
  router& put(std::string_view pattern, handler h) { return add("PUT", pattern, std::move(h)); }
  router& patch(std::string_view pattern, handler h) { return add("PATCH", pattern, std::move(h)); }
  router& del(std::string_view pattern, handler h) { return add("DELETE", pattern, std::move(h)); }
  router& all(std::string_view pattern, handler h) { return add("", pattern, std::move(h)); }

  router& add(std::string_view method, std::string_view pattern, handler h) {
    routes_.push_back(route{std::string(method), route_pattern(pattern), std::move(h)});
    return *this;
  }

  // Routes `req`; the answer is the handler's, or 404/405.
  asio::awaitable<std::optional<response>> handle(Context ctx, request req) const {
    route_params params;
    std::string allowed; // methods of routes whose path matched
    const std::string_view path = req.url().pathname();
    // HEAD is served by GET routes, as in Hono.
    const std::string_view method = req.method() == "HEAD" ? std::string_view("GET") : std::string_view(req.method());
    for (const auto& r : routes_) {
      params.clear();
      if (!r.pattern.match(path, params)) continue;
      if (!r.method.empty() && r.method != method) {
        if (allowed.find(r.method) == std::string::npos) {
          if (!allowed.empty()) allowed += ", ";
          allowed += r.method;
          if (r.method == "GET") allowed += ", HEAD";
        }
        continue;
      }
      co_return co_await r.fn(std::move(ctx), std::move(req), std::move(params));
    }
    if (!allowed.empty()) co_return response("Method Not Allowed", 405, http::headers{{"Allow", allowed}});
    co_return response("Not Found", 404);
  }

private:
  struct route {
    std::string method;
    route_pattern pattern;
    handler fn;
  };
  std::vector<route> routes_;
};

} // namespace actorhost::http
