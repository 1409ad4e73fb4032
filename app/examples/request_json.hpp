// Helpers the example actors share: the request seen as JSON, and a counter state.
#pragma once

#include "actorhost/actor/actor.hpp"
#include "actorhost/http/request.hpp"

#include <asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace examples {

// POST /api/echo: the body back, byte for byte, with the request's Content-Type (read
// through body_stream(), so a streamed upload is echoed too).
asio::awaitable<std::optional<actorhost::http::response>> echo_body(actorhost::http::request req);

// {"method","url","pathname","search","headers":{...},"bodyText"} as the handler saw them.
std::string describe_request(const actorhost::http::request& req);

struct request_count_state {
  std::int64_t request_count = 0; // a statistic: saved within a second, replies do not wait
  std::int64_t count = 0;         // POST /api/increment: durable before the reply
};
void to_json(actorhost::json_writer& w, const request_count_state& s);
void from_json(const rapidjson::Value& v, request_count_state& s);

std::string request_count_json(std::int64_t n);

} // namespace examples
