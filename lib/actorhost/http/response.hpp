// response: what an actor's onFetch returns, shaped after the W3C Response class.
//
// A response carries either a body held in memory or a producer coroutine that streams the
// body (chunked transfer encoding, e.g. Server-Sent Events). A producer writes through a
// body_writer; each write waits while the client is slow (backpressure) and returns false once
// the client has gone away, at which point the producer should return. The host also cancels
// a producer whose client has gone (its pending co_await, say a timer between events, ends
// with operation_aborted), so no producer outlives its client.
#pragma once

#include "actorhost/http/headers.hpp"
#include "actorhost/http/websocket.hpp"

#include <asio/awaitable.hpp>
#include <rapidjson/document.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace actorhost::http {

// Where a streamed body goes; the server implements it.
class body_sink {
public:
  virtual ~body_sink() = default;
  virtual asio::awaitable<bool> write(std::string chunk) = 0;
  virtual bool closed() const noexcept = 0;
  // Calls `f` once when the client goes away (at once if it has gone). It may run on another
  // thread than the producer's, so `f` should only post.
  virtual void on_gone(std::function<void()> f) = 0;
};

class body_writer {
public:
  explicit body_writer(std::shared_ptr<body_sink> sink) : sink_(std::move(sink)) {}
  // Sends one chunk; false when the client is gone. An empty chunk sends nothing.
  asio::awaitable<bool> write(std::string chunk) { return sink_->write(std::move(chunk)); }
  bool closed() const noexcept { return sink_->closed(); }
  void on_gone(std::function<void()> f) { sink_->on_gone(std::move(f)); }

private:
  std::shared_ptr<body_sink> sink_;
};

using body_producer = std::function<asio::awaitable<void>(body_writer)>;

// The standard reason phrase for a status ("OK", "Not Found"), or "" when unknown.
std::string_view reason_phrase(int status) noexcept;

class response {
public:
  // new Response(): 200 with an empty body and no Content-Type.
  response() = default;
  // new Response(text, {status}): Content-Type text/plain;charset=UTF-8 unless given.
  explicit response(std::string body, int status = 200, http::headers headers = {});

  static response json(std::string json_text, int status = 200, http::headers headers = {});
  static response json(const rapidjson::Value& value, int status = 200, http::headers headers = {});
  static response stream(body_producer producer, int status = 200, http::headers headers = {});
  // text/event-stream with no caching, for Server-Sent Events.
  static response event_stream(body_producer producer, http::headers headers = {});
  static response empty(int status, http::headers headers = {});
  // 101 Switching Protocols to a WebSocket: `headers` hold Upgrade, Sec-WebSocket-Accept and
  // the chosen protocol; once the 101 is sent, the server hands the socket to `session`.
  static response websocket_upgrade(websocket_session session, http::headers headers);

  int status() const noexcept { return status_; }
  void set_status(int status) noexcept { status_ = status; }
  bool ok() const noexcept { return status_ >= 200 && status_ < 300; }
  const http::headers& headers() const noexcept { return headers_; }
  http::headers& headers() noexcept { return headers_; }
  const std::string& body() const noexcept { return body_; }
  std::string& body() noexcept { return body_; }
  std::string_view text() const noexcept { return body_; }
  rapidjson::Document json() const;

  bool streaming() const noexcept { return static_cast<bool>(producer_); }
  body_producer& producer() noexcept { return producer_; }

  bool upgrading() const noexcept { return static_cast<bool>(session_); }
  websocket_session& session() noexcept { return session_; }

private:
  int status_ = 200;
  http::headers headers_;
  std::string body_;
  body_producer producer_;
  websocket_session session_;
};

// JSON.stringify of a rapidjson value; throws std::length_error past codec::json_stored_max_depth.
std::string to_json(const rapidjson::Value& value);

} // namespace actorhost::http
