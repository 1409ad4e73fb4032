#include "actorhost/client/blocking_client.hpp"

#include "actorhost/client/client_core.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/experimental/parallel_group.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include <stdexcept>

namespace actorhost::client {

namespace {

// Runs `work` on `executor` and waits for its result on this thread.
template <class T>
T wait_for(const client_core& core, const asio::any_io_executor& executor, asio::awaitable<T> work) {
  if (core.thread() != nullptr && core.thread()->on_this_thread())
    throw std::logic_error("a blocking client call on the client's own thread would wait for itself");
  return asio::co_spawn(executor, std::move(work), asio::use_future).get();
}

template <class T>
T wait_for(const std::shared_ptr<client_core>& core, asio::awaitable<T> work) {
  return wait_for(*core, core->executor(), std::move(work));
}

asio::awaitable<std::optional<http::websocket_message>> receive_within(std::shared_ptr<http::websocket> ws,
                                                                       std::chrono::milliseconds timeout) {
  asio::steady_timer timer(ws->executor());
  timer.expires_after(timeout);
  const auto executor = co_await asio::this_coro::executor;
  // Not ||: a message that arrives just as the timer fires must not be dropped, so the
  // receive's own outcome decides whenever it has one.
  auto [order, receive_error, message, timer_error] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(executor, ws->receive(), asio::experimental::deferred),
          asio::co_spawn(executor, timer.async_wait(asio::use_awaitable), asio::experimental::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (!receive_error) co_return std::move(message);
  if (order[0] == 0) std::rethrow_exception(receive_error);
  throw std::system_error(client_error::receive_timeout);
}

asio::awaitable<std::optional<http::websocket_message>> receive_now(std::shared_ptr<http::websocket> ws) {
  co_return co_await ws->receive();
}

asio::awaitable<bool> send_on(std::shared_ptr<http::websocket> ws, http::websocket_message message) {
  co_return co_await ws->send(std::move(message));
}

asio::awaitable<void> close_on(std::shared_ptr<http::websocket> ws, std::uint16_t code, std::string reason) {
  ws->close(code, reason);
  co_await ws->closed();
}

asio::awaitable<void> closed_on(std::shared_ptr<http::websocket> ws) { co_await ws->closed(); }

struct socket_status {
  http::websocket::ready_state state = http::websocket::ready_state::connecting;
  std::uint16_t code = 0;
  std::string reason;
};

asio::awaitable<socket_status> status_on(std::shared_ptr<http::websocket> ws) {
  co_return socket_status{ws->state(), ws->close_code(), ws->close_reason()};
}

} // namespace

// --- blocking_websocket ---

std::optional<http::websocket_message> blocking_websocket::receive() const {
  return wait_for(*core_, socket_->executor(), receive_now(socket_));
}

std::optional<http::websocket_message> blocking_websocket::receive(std::chrono::milliseconds timeout) const {
  return wait_for(*core_, socket_->executor(), receive_within(socket_, timeout));
}

bool blocking_websocket::send(http::websocket_message message) const {
  return wait_for(*core_, socket_->executor(), send_on(socket_, std::move(message)));
}

void blocking_websocket::close(std::uint16_t code, std::string reason) const {
  wait_for(*core_, socket_->executor(), close_on(socket_, code, std::move(reason)));
}

void blocking_websocket::wait_closed() const { wait_for(*core_, socket_->executor(), closed_on(socket_)); }

http::websocket::ready_state blocking_websocket::state() const {
  return wait_for(*core_, socket_->executor(), status_on(socket_)).state;
}

std::uint16_t blocking_websocket::close_code() const {
  return wait_for(*core_, socket_->executor(), status_on(socket_)).code;
}

std::string blocking_websocket::close_reason() const {
  return wait_for(*core_, socket_->executor(), status_on(socket_)).reason;
}

// --- blocking_actor_handle ---

http::response blocking_actor_handle::fetch(std::string path, fetch_init init) const {
  return wait_for(core_, handle_.fetch(std::move(path), std::move(init)));
}

http::response blocking_actor_handle::fetch(http::request request) const {
  return wait_for(core_, handle_.fetch(std::move(request)));
}

blocking_websocket blocking_actor_handle::websocket(std::string path, std::vector<std::string> protocols) const {
  auto ws = wait_for(core_, handle_.websocket(std::move(path), std::move(protocols)));
  return blocking_websocket(core_, std::move(ws));
}

std::string blocking_actor_handle::resolve() const { return wait_for(core_, handle_.resolve()); }

rapidjson::Document blocking_actor_handle::action(std::string name, std::string args_json) const {
  return wait_for(core_, handle_.action(std::move(name), std::move(args_json)));
}

// --- blocking_actor_accessor ---

blocking_actor_handle blocking_actor_accessor::get(std::vector<std::string> key, handle_options options) const {
  return {core_, accessor_.get(std::move(key), std::move(options))};
}

blocking_actor_handle blocking_actor_accessor::get_or_create(std::vector<std::string> key, std::string input_json,
                                                             handle_options options) const {
  return {core_, accessor_.get_or_create(std::move(key), std::move(input_json), std::move(options))};
}

blocking_actor_handle blocking_actor_accessor::create(std::vector<std::string> key, std::string input_json,
                                                      handle_options options) const {
  return {core_, accessor_.create(std::move(key), std::move(input_json), std::move(options))};
}

blocking_actor_handle blocking_actor_accessor::get_for_id(std::string actor_id, handle_options options) const {
  return {core_, accessor_.get_for_id(std::move(actor_id), std::move(options))};
}

// --- blocking_client ---

blocking_client::blocking_client(std::string_view url, client_options options)
    : client_(create_client(url, options)) {}

blocking_client::~blocking_client() { client_.dispose(); }

blocking_actor_accessor blocking_client::get(std::string name) const {
  return {client_.core(), client_.get(std::move(name))};
}

} // namespace actorhost::client
