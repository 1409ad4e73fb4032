// actor_error_response: an error the host answered a resolve or an action with.
//
// The host writes every error as {"c":code,"m":message,"md":metadata} with a status (SPEC §3):
// actor_not_found 404, actor_already_exists 400, forbidden 403, an actor's own user_error
// codes, and so on. The client turns such an answer into this exception, so a caller can
// catch it and branch on code(). Raw fetches never throw it: a fetch returns whatever response
// came back, error statuses included, because raw HTTP belongs to the actor.
//
// An error status whose body is not an error object still throws this type, with the code
// "unknown_error" and the body's first bytes as the message.
#pragma once

#include "actorhost/http/response.hpp"

#include <rapidjson/document.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace actorhost::client {

class actor_error_response : public std::runtime_error {
public:
  actor_error_response(std::string code, std::string message, std::string metadata_json, int status);

  const std::string& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  // The "md" member as JSON text ("null" when the body had none).
  const std::string& metadata_json() const noexcept { return metadata_; }
  rapidjson::Document metadata() const;
  int status() const noexcept { return status_; }

private:
  std::string code_;
  std::string message_;
  std::string metadata_;
  int status_;
};

// The error a non-2xx response carries.
actor_error_response decode_error_response(const http::response& response);

// Throws decode_error_response(response) unless its status is 2xx.
void throw_if_error(const http::response& response);

} // namespace actorhost::client
