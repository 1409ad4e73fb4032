// routes: the request targets and WebSocket subprotocols a client sends (SPEC §3).
//
//   fetch      ANY  {base}/actors/{encodeURIComponent(name)}/raw/http/{path}
//   websocket  GET  {base}/actors/{encodeURIComponent(name)}/ws/{path}   (upgrade)
//   resolve    POST {base}/actors/resolve
//   action     POST {base}/actors/actions/{encodeURIComponent(action)}
//
// `base` is endpoint::base_path ("/registry"). The actor path is taken as a browser's fetch
// takes a path: leading slashes go (the host puts one back), a fragment is dropped, and bytes
// that may not stand in a request-target (controls, space, non-ASCII, and " < > \ ^ ` { | })
// are percent-encoded; '%' escapes, '/' and the query stay as written.
//
// A WebSocket carries what HTTP requests carry in headers as subprotocols, in this order:
// query.<encodeURIComponent(query json)>, encoding.json, conn_params.<...> when there are
// connection parameters, rivetkit, then the caller's own. '(' and ')', which
// encodeURIComponent leaves alone, are escaped too: a subprotocol must be a token.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::client {

// The actor path as it goes into a target: no leading '/', no fragment, escaped.
std::string actor_path(std::string_view path);

std::string raw_http_target(std::string_view base, std::string_view name, std::string_view path);
std::string websocket_target(std::string_view base, std::string_view name, std::string_view path);
std::string resolve_target(std::string_view base);
std::string action_target(std::string_view base, std::string_view action);

// The subprotocols to offer, in order. Throws std::invalid_argument when one of `own` is not a
// token (RFC 6455 §4.1 item 10) or is one of the protocol's own names.
std::vector<std::string> websocket_protocols(std::string_view query_json, const std::optional<std::string>& params_json,
                                             std::span<const std::string> own);

} // namespace actorhost::client
