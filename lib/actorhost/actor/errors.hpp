// errors: the error an actor author throws and the host answers with.
//
// Every failure a client can see has a code, a message, metadata and an HTTP status, and is
// written as {"c":code,"m":message,"md":metadata} (SPEC §3). Authors throw actor_error from
// onAuth, createState and onFetch (user_error, unauthorized and forbidden make the usual
// ones); the host builds its own with the helpers in `errors::`. Anything else a handler
// throws becomes 500 internal_error, whose message never carries the exception's text.
#pragma once

#include "actorhost/http/response.hpp"

#include <stdexcept>
#include <string>
#include <string_view>

namespace actorhost {

class actor_error : public std::runtime_error {
public:
  actor_error(std::string code, std::string message, int status = 400, std::string metadata_json = "{}");

  const std::string& code() const noexcept { return code_; }
  int status() const noexcept { return status_; }
  const std::string& metadata() const noexcept { return metadata_; }
  // The whole message: what() is a C string and would end it at a NUL byte.
  const std::string& message() const noexcept { return message_; }

private:
  std::string code_;
  std::string message_;
  int status_;
  std::string metadata_;
};

// 400 with the author's own code.
actor_error user_error(std::string code, std::string message, std::string metadata_json = "{}");
actor_error unauthorized(std::string message = "Unauthorized");
actor_error forbidden(std::string message = "Forbidden");

namespace errors {
actor_error invalid_request(std::string message);
actor_error invalid_query_json(std::string message);
actor_error invalid_params(std::string message);
actor_error actor_not_found(std::string_view what);
actor_error actor_already_exists(std::string_view what);
actor_error fetch_handler_not_defined();
actor_error websocket_handler_not_defined();
actor_error action_not_found(std::string_view name);
actor_error invalid_fetch_response();
actor_error payload_too_large();
actor_error rate_limited(std::string message); // 429, answered with Retry-After
actor_error not_found();
actor_error internal_error();
} // namespace errors

// The response a client gets for `e`.
http::response error_response(const actor_error& e);

} // namespace actorhost
