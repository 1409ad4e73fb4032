#include "actorhost/client/client_websocket.hpp"

#include "actorhost/client/actor_error_response.hpp"
#include "actorhost/codec/websocket_client_handshake.hpp"
#include "actorhost/codec/websocket_handshake.hpp"

#include <system_error>

namespace actorhost::client {

namespace {

namespace close_codes = codec::websocket_close;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

} // namespace

client_websocket::client_websocket(asio::ip::tcp::socket socket, std::string protocol, std::string_view already_read,
                                   const websocket_options& options)
    : net::websocket_stream(std::move(socket), std::move(protocol), already_read, [&] {
        net::websocket_stream_options o;
        o.role = codec::websocket_role::client;
        o.max_message_size = options.max_message_size;
        o.close_timeout = options.close_timeout;
        o.ping_interval = options.ping_interval;
        o.limits = options.limits;
        return o;
      }()) {}

asio::awaitable<std::shared_ptr<client_websocket>> client_websocket::handshake(
    std::unique_ptr<client_connection> connection, outgoing_request request, std::vector<std::string> protocols,
    std::string host, clock::time_point deadline, websocket_options options) {
  const std::string key = codec::make_websocket_key();
  request.method = "GET";
  request.upgrade = true;
  request.body.clear();
  request.headers.set("Upgrade", "websocket");
  request.headers.set("Sec-WebSocket-Key", key);
  request.headers.set("Sec-WebSocket-Version", codec::websocket_version);
  if (!protocols.empty()) request.headers.set("Sec-WebSocket-Protocol", join(protocols));
  std::string bytes;
  serialize_request(bytes, request, host);

  http::response answer = co_await connection->exchange(std::move(bytes), false, deadline);
  if (answer.status() >= 400) throw decode_error_response(answer);
  std::string protocol;
  if (auto ec = codec::check_websocket_response(answer.status(), answer.headers().fields(), key, protocols, protocol))
    throw std::system_error(ec);
  const std::string first_frames = connection->take_leftover();
  co_return std::make_shared<client_websocket>(connection->take_socket(), std::move(protocol), first_frames, options);
}

void client_websocket::going_away() {
  if (is_open()) close(close_codes::going_away, "client disposed");
}

} // namespace actorhost::client
