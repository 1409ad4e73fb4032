#include "actorhost/client/actor_query.hpp"

#include "actorhost/codec/js_json.hpp"
#include "actorhost/codec/json.hpp"
#include "actorhost/http/response.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <stdexcept>

namespace actorhost::client {

namespace {

void append_key(std::string& out, const actor_query& q) {
  out += R"("name":)";
  codec::append_js_json_string(out, q.name);
  out += R"(,"key":[)";
  for (std::size_t i = 0; i < q.key.size(); ++i) {
    if (i != 0) out += ',';
    codec::append_js_json_string(out, q.key[i]);
  }
  out += ']';
}

} // namespace

std::string to_json(const actor_query& q) {
  std::string out;
  switch (q.kind) {
    case query_kind::get_for_id:
      out = R"({"getForId":{"actorId":)";
      codec::append_js_json_string(out, q.actor_id);
      out += "}}";
      return out;
    case query_kind::get_for_key:
      out = R"({"getForKey":{)";
      append_key(out, q);
      out += "}}";
      return out;
    case query_kind::get_or_create_for_key:
    case query_kind::create:
      out = q.kind == query_kind::create ? R"({"create":{)" : R"({"getOrCreateForKey":{)";
      append_key(out, q);
      if (q.input_json) {
        out += R"(,"input":)";
        out += *q.input_json;
      }
      out += "}}";
      return out;
  }
  return out;
}

bool repeatable(const actor_query& q) noexcept { return q.kind != query_kind::create; }

std::string compact_json(std::string_view text, std::string_view what) {
  rapidjson::Document doc;
  if (const auto parsed = codec::parse_json(doc, text); !parsed)
    throw std::invalid_argument(std::string(what) + " is not JSON: " + parsed.reason);
  return http::to_json(doc);
}

} // namespace actorhost::client
