#include "actorhost/client/client_error.hpp"

#include <string>

namespace actorhost::client {

namespace {

class client_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "actorhost.client"; }
  std::string message(int ev) const override {
    switch (static_cast<client_error>(ev)) {
      case client_error::closed_before_response: return "the server closed the connection before responding";
      case client_error::connect_timeout: return "timed out connecting to the server";
      case client_error::request_timeout: return "timed out waiting for the response";
      case client_error::invalid_response: return "the server's answer is not what the protocol says";
      case client_error::disposed: return "the client has been disposed";
      case client_error::receive_timeout: return "timed out waiting for a WebSocket message";
    }
    return "unknown client error";
  }
  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<client_error>(ev)) {
      case client_error::connect_timeout:
      case client_error::request_timeout:
      case client_error::receive_timeout: return std::errc::timed_out;
      case client_error::closed_before_response: return std::errc::connection_reset;
      default: return {ev, *this};
    }
  }
};

} // namespace

const std::error_category& client_category() noexcept {
  static const client_category_impl category;
  return category;
}

std::error_code make_error_code(client_error e) noexcept { return {static_cast<int>(e), client_category()}; }

} // namespace actorhost::client
