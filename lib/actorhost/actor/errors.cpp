#include "actorhost/actor/errors.hpp"

#include "actorhost/codec/js_json.hpp"

namespace actorhost {

actor_error::actor_error(std::string code, std::string message, int status, std::string metadata_json)
    : std::runtime_error(message),
      code_(std::move(code)),
      message_(std::move(message)),
      status_(status),
      metadata_(metadata_json.empty() ? "{}" : std::move(metadata_json)) {}

actor_error user_error(std::string code, std::string message, std::string metadata_json) {
  return {std::move(code), std::move(message), 400, std::move(metadata_json)};
}

actor_error unauthorized(std::string message) { return {"unauthorized", std::move(message), 401}; }
actor_error forbidden(std::string message) { return {"forbidden", std::move(message), 403}; }

namespace errors {

actor_error invalid_request(std::string message) { return {"invalid_request", std::move(message), 400}; }
actor_error invalid_query_json(std::string message) { return {"invalid_query_json", std::move(message), 400}; }
actor_error invalid_params(std::string message) { return {"invalid_params", std::move(message), 400}; }

actor_error actor_not_found(std::string_view what) {
  return {"actor_not_found", "Actor not found: " + std::string(what), 404};
}

actor_error actor_already_exists(std::string_view what) {
  return {"actor_already_exists", "Actor already exists: " + std::string(what), 400};
}

actor_error fetch_handler_not_defined() {
  return {"fetch_handler_not_defined", "This actor has no onFetch handler", 404};
}

actor_error websocket_handler_not_defined() {
  return {"websocket_handler_not_defined", "This actor has no onWebSocket handler", 404};
}

actor_error action_not_found(std::string_view name) {
  return {"action_not_found", "No action named " + std::string(name), 400};
}

actor_error invalid_fetch_response() {
  return {"invalid_fetch_response", "The actor's onFetch handler returned no response", 500};
}

actor_error payload_too_large() { return {"payload_too_large", "Request body too large", 413}; }
actor_error rate_limited(std::string message) { return {"rate_limited", std::move(message), 429}; }
actor_error not_found() { return {"not_found", "No route for this path", 404}; }
actor_error internal_error() { return {"internal_error", "Internal error", 500}; }

} // namespace errors

http::response error_response(const actor_error& e) {
  std::string body;
  body.reserve(32 + e.code().size() + e.message().size() + e.metadata().size());
  body += R"({"c":)";
  codec::append_js_json_string(body, e.code());
  body += R"(,"m":)";
  codec::append_js_json_string(body, e.message());
  body += R"(,"md":)";
  body += e.metadata();
  body += '}';
  auto res = http::response::json(std::move(body), e.status());
  if (e.status() == 429) res.headers().append("Retry-After", "1");
  return res;
}

} // namespace actorhost
