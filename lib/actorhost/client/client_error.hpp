// client_error: the failures of the client's own making, as std::error_code.
//
// Network failures reach the caller as std::system_error: Asio's codes for what the socket
// said (connection refused, reset), codec::http_response_error for a response that does not
// parse, codec::websocket_client_handshake_error for a refused upgrade, and these for what the
// client decides itself. The timeouts compare equal to std::errc::timed_out.
#pragma once

#include <system_error>

namespace actorhost::client {

enum class client_error {
  closed_before_response = 1, // the server closed the connection before a response began
  connect_timeout,            // client_options::connect_timeout passed while connecting
  request_timeout,            // client_options::request_timeout passed before the response
  invalid_response,           // a 2xx answer to resolve or an action that is not the JSON it should be
  disposed,                   // the client was disposed
  receive_timeout,            // a blocking receive() waited longer than it was allowed
};

const std::error_category& client_category() noexcept;
std::error_code make_error_code(client_error e) noexcept;

} // namespace actorhost::client

template <>
struct std::is_error_code_enum<actorhost::client::client_error> : std::true_type {};
