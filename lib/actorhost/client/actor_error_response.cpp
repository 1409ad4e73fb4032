#include "actorhost/client/actor_error_response.hpp"

#include "actorhost/codec/json.hpp"

namespace actorhost::client {

namespace {

std::string describe(const std::string& code, const std::string& message, int status) {
  std::string out = code;
  if (!message.empty()) out += ": " + message;
  out += " (HTTP " + std::to_string(status) + ")";
  return out;
}

// The first bytes of a body that is not an error object, as a message.
std::string excerpt(std::string_view body) {
  constexpr std::size_t max = 200;
  std::string out(body.substr(0, max));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  if (body.size() > max) out += "...";
  return out;
}

} // namespace

actor_error_response::actor_error_response(std::string code, std::string message, std::string metadata_json, int status)
    : std::runtime_error(describe(code, message, status)),
      code_(std::move(code)),
      message_(std::move(message)),
      metadata_(std::move(metadata_json)),
      status_(status) {}

rapidjson::Document actor_error_response::metadata() const {
  rapidjson::Document doc;
  codec::parse_json(doc, metadata_, codec::json_stored_max_depth); // null when it is not JSON
  return doc;
}

actor_error_response decode_error_response(const http::response& response) {
  rapidjson::Document doc;
  const bool parsed = static_cast<bool>(codec::parse_json(doc, response.body(), codec::json_stored_max_depth));
  if (!parsed || !doc.IsObject() || !doc.HasMember("c") || !doc["c"].IsString())
    return actor_error_response("unknown_error", excerpt(response.body()), "null", response.status());
  std::string code(doc["c"].GetString(), doc["c"].GetStringLength());
  std::string message;
  if (doc.HasMember("m") && doc["m"].IsString()) message.assign(doc["m"].GetString(), doc["m"].GetStringLength());
  std::string metadata = doc.HasMember("md") ? http::to_json(doc["md"]) : std::string("null");
  return actor_error_response(std::move(code), std::move(message), std::move(metadata), response.status());
}

void throw_if_error(const http::response& response) {
  if (response.status() < 200 || response.status() > 299) throw decode_error_response(response);
}

} // namespace actorhost::client
