#include "request_json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace examples {

asio::awaitable<std::optional<actorhost::http::response>> echo_body(actorhost::http::request req) {
  actorhost::http::headers h;
  h.append("Content-Type", req.headers().first("content-type").value_or("application/octet-stream"));
  std::string body = co_await actorhost::http::read_all(req.body_stream());
  co_return actorhost::http::response(std::move(body), 200, std::move(h));
}

std::string describe_request(const actorhost::http::request& req) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  const auto str = [&](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  w.Key("method");
  str(req.method());
  w.Key("url");
  str(req.url().href());
  w.Key("pathname");
  str(req.url().pathname());
  w.Key("search");
  str(req.url().search());
  w.Key("headers");
  w.StartObject();
  // Like a JavaScript Headers object: lower-case names, repeated fields joined.
  std::vector<std::string> seen;
  for (const auto& f : req.headers()) {
    std::string lower = f.name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(seen.begin(), seen.end(), lower) != seen.end()) continue;
    seen.push_back(lower);
    str(lower);
    str(*req.headers().get(lower));
  }
  w.EndObject();
  w.Key("bodyText");
  str(req.text());
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

void to_json(actorhost::json_writer& w, const request_count_state& s) {
  w.StartObject();
  w.Key("requestCount");
  w.Int64(s.request_count);
  w.Key("count");
  w.Int64(s.count);
  w.EndObject();
}

void from_json(const rapidjson::Value& v, request_count_state& s) {
  if (!v.IsObject()) return;
  if (v.HasMember("requestCount") && v["requestCount"].IsInt64()) s.request_count = v["requestCount"].GetInt64();
  if (v.HasMember("count") && v["count"].IsInt64()) s.count = v["count"].GetInt64();
}

std::string request_count_json(std::int64_t n) { return R"({"requestCount":)" + std::to_string(n) + "}"; }

} // namespace examples
