#include "actorhost/http/response.hpp"

#include "actorhost/codec/json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace actorhost::http {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

std::string to_json(const rapidjson::Value& value) { return codec::to_json_text(value); }

response::response(std::string body, int status, http::headers headers)
    : status_(status), headers_(std::move(headers)), body_(std::move(body)) {
  if (!headers_.has("content-type")) headers_.append("Content-Type", "text/plain;charset=UTF-8");
}

response response::json(std::string json_text, int status, http::headers headers) {
  response r;
  r.status_ = status;
  r.headers_ = std::move(headers);
  if (!r.headers_.has("content-type")) r.headers_.append("Content-Type", "application/json");
  r.body_ = std::move(json_text);
  return r;
}

response response::json(const rapidjson::Value& value, int status, http::headers headers) {
  return json(to_json(value), status, std::move(headers));
}

response response::stream(body_producer producer, int status, http::headers headers) {
  response r;
  r.status_ = status;
  r.headers_ = std::move(headers);
  r.producer_ = std::move(producer);
  return r;
}

response response::event_stream(body_producer producer, http::headers headers) {
  if (!headers.has("content-type")) headers.append("Content-Type", "text/event-stream");
  if (!headers.has("cache-control")) headers.append("Cache-Control", "no-cache");
  return stream(std::move(producer), 200, std::move(headers));
}

response response::empty(int status, http::headers headers) {
  response r;
  r.status_ = status;
  r.headers_ = std::move(headers);
  return r;
}

response response::websocket_upgrade(websocket_session session, http::headers headers) {
  response r = empty(101, std::move(headers));
  r.session_ = std::move(session);
  return r;
}

rapidjson::Document response::json() const { return codec::parse_json_document(body_); }

} // namespace actorhost::http
