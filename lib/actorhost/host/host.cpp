#include "actorhost/host/host.hpp"

#include "actorhost/actor/action_body.hpp"
#include "actorhost/actor/actor_id.hpp"
#include "actorhost/codec/ascii.hpp"
#include "actorhost/codec/js_json.hpp"
#include "actorhost/codec/json.hpp"
#include "actorhost/codec/uri.hpp"
#include "actorhost/codec/websocket_frame.hpp"
#include "actorhost/codec/websocket_handshake.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace actorhost {

namespace {

constexpr std::string_view query_headers[] = {"x-rivetkit-actor-query", "x-rivetkit-query"};

// Splits off the first path segment: "a/b/c" -> "a", "b/c".
std::pair<std::string_view, std::string_view> first_segment(std::string_view path) {
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return {path, {}};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// `route` or `route/...`: the part after it (nullopt when `rest` is not that route).
std::optional<std::string_view> after_route(std::string_view rest, std::string_view route) {
  if (!rest.starts_with(route)) return std::nullopt;
  rest.remove_prefix(route.size());
  if (rest.empty()) return rest;
  if (rest.front() == '/') return rest.substr(1);
  return std::nullopt;
}

// A session that only closes: how WebSocket setup errors are told (SPEC §3).
http::websocket_session close_with(std::uint16_t code, std::string_view reason) {
  std::string text(reason.substr(0, 123));
  if (!codec::valid_utf8(text)) text = "error";
  return [code, text](std::shared_ptr<http::websocket> ws) -> asio::awaitable<void> {
    ws->close(code, text);
    co_return;
  };
}

// What the WebSocket subprotocols carry (SPEC §3): query.<json>, encoding.<name>,
// conn_params.<json>, rivetkit, then the caller's own.
struct socket_offer {
  std::optional<std::string> query;
  std::optional<std::string> conn_params;
  std::optional<std::string> encoding;
  std::string answer; // the subprotocol to answer with ("" for none)
  bool malformed = false;
};

socket_offer read_offer(const std::vector<std::string>& protocols) {
  socket_offer o;
  bool rivetkit = false;
  for (const auto& p : protocols) {
    std::string_view v = p;
    auto take = [&](std::string_view prefix, std::optional<std::string>& into) {
      if (!v.starts_with(prefix)) return false;
      if (into) o.malformed = true; // twice: which one a gateway in front read is anyone's guess
      into = codec::decode_component(v.substr(prefix.size()));
      if (!into) o.malformed = true;
      return true;
    };
    if (take("query.", o.query) || take("conn_params.", o.conn_params) || take("encoding.", o.encoding)) continue;
    if (v == "rivetkit") rivetkit = true;
  }
  if (rivetkit) o.answer = "rivetkit";
  else if (!protocols.empty()) o.answer = protocols.front();
  return o;
}

// A protocol header given twice (the query under either of its names counts once): a gateway
// in front of the host may have read the other copy, so neither is trusted.
std::optional<actor_error> duplicate_protocol_header(const http::headers& h) {
  int queries = 0;
  int params = 0;
  int encodings = 0;
  for (const auto& f : h) {
    if (codec::iequals(f.name, "x-rivetkit-query") || codec::iequals(f.name, "x-rivetkit-actor-query")) ++queries;
    else if (codec::iequals(f.name, "x-rivetkit-conn-params")) ++params;
    else if (codec::iequals(f.name, "x-rivetkit-encoding")) ++encodings;
  }
  if (queries > 1) return errors::invalid_request("more than one actor query header");
  if (params > 1) return errors::invalid_request("more than one X-RivetKit-Conn-Params header");
  if (encodings > 1) return errors::invalid_request("more than one X-RivetKit-Encoding header");
  return std::nullopt;
}

// The URL an actor sees: http://actor/{path}?{query} (SPEC §3).
std::string actor_href(std::string_view path, const http::url& original) {
  std::string href;
  href.reserve(13 + path.size() + original.search().size());
  href += "http://actor/";
  href += path;
  href += original.search();
  return href;
}

} // namespace

struct host::admitted {
  target t;
  std::string auth_json;
};

host::host(const registry& reg, scheduler& sched, net::worker_pool& pool, host_options options)
    : registry_(reg), scheduler_(sched), pool_(pool), options_(std::move(options)), memos_(pool.size()) {}

asio::awaitable<http::response> host::handle(http::request req, net::affinity* hint) {
  if (!options_.cors.enabled) co_return co_await route(std::move(req), hint);
  if (req.method() == "OPTIONS") co_return preflight(req);
  auto origin = req.headers().get("origin");
  // With a list of origins, a browser's WebSocket from any other is refused before the
  // upgrade (browsers apply no CORS to WebSockets; SPEC §12). No Origin: not a browser.
  if (origin && !any_origin() && !origin_allowed(*origin) && req.headers().has("upgrade")) {
    auto res = error_response(forbidden("Origin " + *origin + " may not open WebSockets here"));
    add_cors(origin, res);
    co_return res;
  }
  http::response res = co_await route(std::move(req), hint);
  add_cors(origin, res);
  co_return res;
}

http::response host::health() const {
  if (options_.store != nullptr)
    if (auto failed = options_.store->failure())
      return http::response("unhealthy: the data directory failed a sync (" + failed.message() +
                                "); restart actorhost to recover from its last durable state",
                            503);
  return http::response("ok");
}

asio::awaitable<http::response> host::route(http::request req, net::affinity* hint) {
  std::string_view path = req.url().pathname();
  if (path == "/health") co_return health();
  if (path.starts_with("/registry/")) path.remove_prefix(9);
  if (!path.starts_with("/actors/")) {
    if (options_.routes) {
      co_await http::settle_body(req);
      auto res = co_await options_.routes(req);
      if (res) co_return std::move(*res);
    }
    co_return error_response(errors::not_found());
  }
  const std::string_view rest = path.substr(8);

  if (auto sub = after_route(rest, "raw/http")) {
    auto href = actor_href(*sub, req.url());
    co_return co_await raw_http(std::move(req), {}, std::move(href), hint);
  }
  if (auto sub = after_route(rest, "raw/websocket")) {
    auto href = actor_href(*sub, req.url());
    co_return co_await websocket(std::move(req), {}, std::move(href), hint);
  }
  if (auto action_name = after_route(rest, "actions"); action_name && !action_name->empty() &&
                                                       action_name->find('/') == std::string_view::npos) {
    if (req.method() != "POST") co_return error_response(errors::invalid_request("actions take POST"));
    auto decoded = codec::decode_component(*action_name);
    if (!decoded) co_return error_response(errors::invalid_request("malformed action name in path"));
    co_return co_await action(std::move(req), std::move(*decoded), hint);
  }
  if (rest == "resolve") {
    if (req.method() != "POST") co_return error_response(errors::invalid_request("resolve takes POST"));
    co_return co_await resolve(std::move(req));
  }
  const auto [name, after_name] = first_segment(rest);
  const auto http_sub = after_route(after_name, "raw/http");
  const auto ws_sub = http_sub ? std::nullopt : after_route(after_name, "ws");
  if (http_sub || ws_sub) {
    auto decoded = codec::decode_component(name);
    if (!decoded || decoded->empty()) co_return error_response(errors::invalid_request("malformed actor name in path"));
    auto href = actor_href(http_sub ? *http_sub : *ws_sub, req.url());
    if (ws_sub) co_return co_await websocket(std::move(req), std::move(*decoded), std::move(href), hint);
    co_return co_await raw_http(std::move(req), std::move(*decoded), std::move(href), hint);
  }
  co_return error_response(errors::not_found());
}

std::optional<std::string_view> host::query_header(const http::request& req) {
  for (auto h : query_headers)
    if (auto text = req.headers().first(h)) return text;
  return std::nullopt;
}

std::variant<target, actor_error> host::read_target(std::optional<std::string_view> text, std::string_view route_name) {
  if (!text) return errors::invalid_request("missing actor query (X-RivetKit-Actor-Query header)");

  const std::size_t worker = pool_.current();
  query_memo* memo = worker < memos_.size() ? &memos_[worker] : nullptr;
  if (memo != nullptr) {
    if (const auto* hit = memo->find(route_name, *text)) return target{hit->query, hit->def};
  }

  auto parsed = parse_actor_query(*text);
  if (auto* err = std::get_if<actor_error>(&parsed)) return std::move(*err);
  auto q = std::make_shared<actor_query>(std::move(std::get<actor_query>(parsed)));
  if (auto err = resolve_name(*q, route_name)) return std::move(*err);
  if (q->kind == query_kind::get_for_id) {
    if (!valid_actor_id(q->id)) return errors::actor_not_found(q->id);
    if (q->name.empty()) return target{std::move(q), nullptr};
  }
  const definition* def = registry_.find(q->name);
  if (def == nullptr) return errors::actor_not_found(q->name);
  if (memo != nullptr && q->kind != query_kind::get_for_id) memo->store(route_name, *text, {q, def});
  return target{std::move(q), def};
}

asio::awaitable<std::variant<host::admitted, host::refusal>> host::admit(const http::request& req, caller who) {
  if (auto err = duplicate_protocol_header(req.headers())) co_return refusal{std::move(*err)};
  auto read = read_target(who.query, who.route_name);
  if (auto* err = std::get_if<actor_error>(&read)) co_return refusal{std::move(*err)};
  admitted a{std::move(std::get<target>(read)), {}};
  // Read before anything about the actor is, so that its answer says nothing about the actor.
  rapidjson::Document conn_params;
  if (auto params = who.conn_params) {
    if (const auto parsed = codec::parse_json(conn_params, *params); !parsed)
      co_return refusal{errors::invalid_params(std::string("connection parameters are not valid JSON: ") + parsed.reason)};
  }
  // A caller who names an actor only by id cannot know its class, so a refusal must not tell
  // it the actor exists: onAuth saying no answers exactly as "no such actor" does.
  const bool named_by_id = a.t.def == nullptr;
  const auto refused_by_auth = [&](actor_error e) {
    return named_by_id ? refusal{errors::actor_not_found(a.t.query->id)} : refusal{std::move(e), true};
  };
  if (named_by_id) {
    // getForId with no name: which class it is decides which onAuth runs. Only the name is
    // read (a small record), never the state.
    auto name = co_await scheduler_.name_of(a.t.query->id);
    if (!name) co_return refusal{errors::actor_not_found(a.t.query->id)};
    a.t.def = registry_.find(*name);
    if (a.t.def == nullptr) co_return refusal{errors::actor_not_found(a.t.query->id)};
    auto named = std::make_shared<actor_query>(*a.t.query);
    named->name = std::move(*name);
    a.t.query = std::move(named);
  }

  if (!a.t.def->has_auth()) co_return refused_by_auth(forbidden("This actor admits no public requests (it has no onAuth)"));
  std::array<intent, 3> intents_buffer;
  const auto intents = intents_for(*a.t.query, who.action, intents_buffer);
  try {
    a.auth_json = co_await a.t.def->authenticate(auth_params{req, intents, conn_params});
  } catch (const actor_error& e) {
    co_return refused_by_auth(e);
  } catch (const std::exception& e) {
    spdlog::error("onAuth of {} threw: {}", a.t.def->name(), e.what());
    co_return refusal{errors::internal_error()};
  }
  if (a.auth_json.empty()) a.auth_json = "null";
  co_return a;
}

asio::awaitable<http::response> host::raw_http(http::request req, std::string route_name, std::string href,
                                               net::affinity* hint) {
  auto admission = co_await admit(req, caller{query_header(req), conn_params_header(req), route_name, true});
  if (auto* no = std::get_if<refusal>(&admission)) co_return error_response(no->error);
  auto& a = std::get<admitted>(admission);
  co_await http::settle_body(req); // admitted: a deferred body may come now (100 Continue)
  if (hint != nullptr) hint->worker = scheduler_.home_index(a.t.query->id);
  req.set_url(http::url(std::move(href)));
  co_return co_await scheduler_.fetch(std::move(a.t), std::move(req), std::move(a.auth_json));
}

namespace {

// The offer of a valid upgrade request, or the response refusing an invalid one.
std::variant<codec::websocket_upgrade, http::response> check_upgrade(const http::request& req) {
  codec::websocket_upgrade offer;
  auto ec = codec::check_websocket_upgrade(req.method(), req.version_minor(), req.headers().fields(), offer);
  if (!ec) return offer;
  const int status = codec::websocket_handshake_status(ec);
  auto res = error_response(errors::invalid_request(ec.message()));
  res.set_status(status);
  if (status == 426) {
    res.headers().append("Upgrade", "websocket");
    res.headers().append("Sec-WebSocket-Version", codec::websocket_version);
  }
  return res;
}

http::headers accept_headers(const codec::websocket_upgrade& offer, std::string_view protocol) {
  http::headers h{{"Upgrade", "websocket"}, {"Sec-WebSocket-Accept", codec::websocket_accept(offer.key)}};
  if (!protocol.empty()) h.append("Sec-WebSocket-Protocol", protocol);
  return h;
}

} // namespace

http::response accept_websocket(const http::request& req, http::websocket_session session, std::string_view protocol) {
  auto checked = check_upgrade(req);
  if (auto* refusal = std::get_if<http::response>(&checked)) return std::move(*refusal);
  const auto& offer = std::get<codec::websocket_upgrade>(checked);
  const bool offered = std::find(offer.protocols.begin(), offer.protocols.end(), protocol) != offer.protocols.end();
  return http::response::websocket_upgrade(std::move(session), accept_headers(offer, offered ? protocol : ""));
}

asio::awaitable<http::response> host::websocket(http::request req, std::string route_name, std::string href,
                                                net::affinity* hint) {
  auto checked = check_upgrade(req);
  if (auto* refusal = std::get_if<http::response>(&checked)) co_return std::move(*refusal);
  const auto& offer = std::get<codec::websocket_upgrade>(checked);
  const socket_offer from = read_offer(offer.protocols);
  http::headers accept = accept_headers(offer, from.answer);
  auto refuse = [&](std::uint16_t code, const actor_error& e) {
    return http::response::websocket_upgrade(close_with(code, e.code()), std::move(accept));
  };
  using codec::websocket_close::internal_error;
  if (from.malformed) co_return refuse(internal_error, errors::invalid_request("malformed subprotocol"));
  if (from.encoding && *from.encoding != "json")
    co_return refuse(internal_error, errors::invalid_request("unsupported encoding: " + *from.encoding));

  // The query: a subprotocol, else ?query= in the URL, else the header.
  std::optional<std::string> url_query;
  if (!from.query) url_query = req.url().search_param("query");
  std::optional<std::string_view> query = from.query ? std::optional<std::string_view>(*from.query)
                                          : url_query  ? std::optional<std::string_view>(*url_query)
                                                       : query_header(req);
  std::optional<std::string_view> params = from.conn_params ? std::optional<std::string_view>(*from.conn_params)
                                                            : conn_params_header(req);
  auto admission = co_await admit(req, caller{query, params, route_name, true});
  if (auto* no = std::get_if<refusal>(&admission))
    co_return refuse(no->by_auth ? codec::websocket_close::policy_violation : internal_error, no->error);
  auto& a = std::get<admitted>(admission);
  if (hint != nullptr) hint->worker = scheduler_.home_index(a.t.query->id);
  req.set_url(http::url(std::move(href)));
  // Runs on the actor's home worker, where the connection hands the socket (the hint).
  auto session = [&sched = scheduler_, t = std::move(a.t), req = std::move(req),
                  auth = std::move(a.auth_json)](std::shared_ptr<http::websocket> ws) {
    return sched.connect(t, req, auth, std::move(ws));
  };
  co_return http::response::websocket_upgrade(std::move(session), std::move(accept));
}

asio::awaitable<http::response> host::action(http::request req, std::string name, net::affinity* hint) {
  if (auto enc = req.headers().first("x-rivetkit-encoding"); enc && *enc != "json")
    co_return error_response(errors::invalid_request("unsupported encoding: " + std::string(*enc)));
  auto admission = co_await admit(req, caller{query_header(req), conn_params_header(req), {}, true});
  if (auto* no = std::get_if<refusal>(&admission)) co_return error_response(no->error);
  auto& a = std::get<admitted>(admission);

  // A buffered body is parsed where it lies; only a streamed one is gathered first. (GCC 12
  // miscompiles co_await inside ?:, so the streamed case stands alone.)
  std::string gathered;
  std::string_view text = req.text();
  if (req.streamed()) {
    gathered = co_await http::read_all(req.body_stream());
    text = gathered;
  }
  auto call = parse_action_body(text);
  if (auto* err = std::get_if<actor_error>(&call)) co_return error_response(*err);
  rapidjson::Document args = std::move(std::get<rapidjson::Document>(call));

  if (hint != nullptr) hint->worker = scheduler_.home_index(a.t.query->id);
  auto result = co_await scheduler_.act(std::move(a.t), std::move(name), std::move(args), std::move(a.auth_json));
  if (auto* err = std::get_if<actor_error>(&result)) co_return error_response(*err);
  std::string out = R"({"o":)";
  out += std::get<std::string>(result);
  out += '}';
  co_return http::response::json(std::move(out));
}

asio::awaitable<http::response> host::resolve(http::request req) {
  if (auto enc = req.headers().first("x-rivetkit-encoding"); enc && *enc != "json")
    co_return error_response(errors::invalid_request("unsupported encoding: " + std::string(*enc)));
  auto admission = co_await admit(req, caller{query_header(req), conn_params_header(req), {}, false});
  if (auto* no = std::get_if<refusal>(&admission)) co_return error_response(no->error);
  auto result = co_await scheduler_.resolve(std::move(std::get<admitted>(admission).t));
  if (auto* err = std::get_if<actor_error>(&result)) co_return error_response(*err);
  std::string body = R"({"i":)";
  codec::append_js_json_string(body, std::get<std::string>(result));
  body += '}';
  co_return http::response::json(std::move(body));
}

std::optional<std::string_view> host::conn_params_header(const http::request& req) {
  return req.headers().first("x-rivetkit-conn-params");
}

bool host::any_origin() const noexcept { return options_.cors.allow_origins == "*"; }

// An origin named in the list. "null" (sandboxed frames, file: pages, redirects) is never one:
// any page can make its Origin null, so trusting it trusts everyone.
bool host::origin_allowed(std::string_view origin) const {
  if (origin == "null") return false;
  return codec::any_list_element(options_.cors.allow_origins, [&](std::string_view o) { return o == origin; });
}

// SPEC §12. With "*" any origin may read, never with credentials, and the answer is the same
// for every Origin. With a list, only a listed origin may read, with credentials, and the
// answer depends on the Origin, which caches are told (Vary).
http::response host::preflight(const http::request& req) const {
  http::response res = http::response::empty(204);
  const auto origin = req.headers().first("origin");
  auto& h = res.headers();
  const bool any = any_origin();
  if (origin && (any || origin_allowed(*origin))) {
    h.append("Access-Control-Allow-Origin", any ? std::string_view("*") : *origin);
    if (!any) h.append("Access-Control-Allow-Credentials", "true");
    h.append("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
    if (auto asked = req.headers().first("access-control-request-headers")) h.append("Access-Control-Allow-Headers", *asked);
    h.append("Access-Control-Max-Age", std::to_string(options_.cors.max_age_seconds));
  }
  h.append("Vary", any ? "Access-Control-Request-Headers" : "Origin, Access-Control-Request-Headers");
  return res;
}

void host::add_cors(const std::optional<std::string>& origin, http::response& res) const {
  auto& h = res.headers();
  if (any_origin()) {
    if (origin && !h.has("access-control-allow-origin")) h.append("Access-Control-Allow-Origin", "*");
    return;
  }
  h.append("Vary", "Origin"); // beside any Vary of the actor's: field lists combine
  if (!origin || !origin_allowed(*origin) || h.has("access-control-allow-origin")) return;
  h.append("Access-Control-Allow-Origin", *origin);
  h.append("Access-Control-Allow-Credentials", "true");
}

} // namespace actorhost
