// blocking_client: the client for plain threads, with calls that block until their answer.
//
//   actorhost::client::blocking_client client("http://127.0.0.1:8080");
//   auto h = client.get("httpActor").get_or_create({"key"});
//   http::response r = h.fetch("/api/hello");
//   auto ws = h.websocket("/");
//   auto welcome = ws.receive(std::chrono::seconds(5));
//   ws.send_text(R"({"type":"ping"})");
//   ws.close();
//
// It owns an io_context with one thread (io_thread) and runs the client of client.hpp there;
// every call hands its work to that thread and waits for the result, so the calls may come
// from any number of threads at once. They throw what the asynchronous calls throw. Calling
// one from the client's own thread (from inside a completion handler) would wait for itself:
// that throws std::logic_error instead.
//
// Destroying the blocking_client disposes of the client (closing idle connections and open
// sockets with 1001); handles and sockets kept beyond it then fail with client_error::disposed.
#pragma once

#include "actorhost/client/client.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actorhost::client {

class blocking_websocket {
public:
  // The next message; nullopt once the socket is closing or closed and nothing is left.
  std::optional<http::websocket_message> receive() const;
  // The same, or std::system_error(client_error::receive_timeout) after `timeout`.
  std::optional<http::websocket_message> receive(std::chrono::milliseconds timeout) const;
  // False when the socket is no longer open (nothing is sent); waits while the send queue is
  // over its high-water mark.
  bool send(http::websocket_message message) const;
  bool send_text(std::string text) const { return send(http::websocket_message::make_text(std::move(text))); }
  bool send_binary(std::string bytes) const { return send(http::websocket_message::make_binary(std::move(bytes))); }
  // Starts the close handshake (http::websocket::close) and waits until the socket is closed.
  void close(std::uint16_t code = 1000, std::string reason = {}) const;
  // Waits until the socket is closed (by either side).
  void wait_closed() const;

  http::websocket::ready_state state() const;
  // Once closed: the close code (1005 without one, 1006 when the connection broke) and reason.
  std::uint16_t close_code() const;
  std::string close_reason() const;
  const std::string& protocol() const noexcept { return socket_->protocol(); }
  // The socket itself, for use on its executor.
  const std::shared_ptr<http::websocket>& socket() const noexcept { return socket_; }

private:
  friend class blocking_actor_handle;
  blocking_websocket(std::shared_ptr<client_core> core, std::shared_ptr<http::websocket> socket)
      : core_(std::move(core)), socket_(std::move(socket)) {}

  std::shared_ptr<client_core> core_;
  std::shared_ptr<http::websocket> socket_;
};

class blocking_actor_handle {
public:
  http::response fetch(std::string path, fetch_init init = {}) const;
  http::response fetch(http::request request) const;
  blocking_websocket websocket(std::string path = "/", std::vector<std::string> protocols = {}) const;
  std::string resolve() const;
  rapidjson::Document action(std::string name, std::string args_json = "[]") const;

  const actor_handle& async() const noexcept { return handle_; }

private:
  friend class blocking_actor_accessor;
  blocking_actor_handle(std::shared_ptr<client_core> core, actor_handle handle)
      : core_(std::move(core)), handle_(std::move(handle)) {}

  std::shared_ptr<client_core> core_;
  actor_handle handle_;
};

class blocking_actor_accessor {
public:
  blocking_actor_handle get(std::vector<std::string> key, handle_options options = {}) const;
  blocking_actor_handle get_or_create(std::vector<std::string> key, std::string input_json = {},
                                      handle_options options = {}) const;
  blocking_actor_handle create(std::vector<std::string> key, std::string input_json = {},
                               handle_options options = {}) const;
  blocking_actor_handle get_for_id(std::string actor_id, handle_options options = {}) const;

private:
  friend class blocking_client;
  blocking_actor_accessor(std::shared_ptr<client_core> core, actor_accessor accessor)
      : core_(std::move(core)), accessor_(std::move(accessor)) {}

  std::shared_ptr<client_core> core_;
  actor_accessor accessor_;
};

class blocking_client {
public:
  explicit blocking_client(std::string_view url, client_options options = {});
  ~blocking_client();
  blocking_client(const blocking_client&) = delete;
  blocking_client& operator=(const blocking_client&) = delete;

  blocking_actor_accessor get(std::string name) const;
  pool_stats stats() const noexcept { return client_.stats(); }
  // The asynchronous client underneath (its executor is the client's own thread).
  const client& async() const noexcept { return client_; }

private:
  client client_;
};

} // namespace actorhost::client
