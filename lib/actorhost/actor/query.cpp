#include "actorhost/actor/query.hpp"

#include "actorhost/actor/actor_id.hpp"
#include "actorhost/codec/json.hpp"

#include <rapidjson/document.h>

namespace actorhost {

namespace {

// A query is small: parsing it into stack memory keeps the hot path free of allocation.
using stack_allocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using stack_document = rapidjson::GenericDocument<rapidjson::UTF8<>, stack_allocator, stack_allocator>;

std::optional<actor_error> read_name_and_key(const rapidjson::Value& body, actor_query& q) {
  if (const auto it = body.FindMember("name"); it != body.MemberEnd()) {
    if (!it->value.IsString()) return errors::invalid_request("query name must be a string");
    q.name.assign(it->value.GetString(), it->value.GetStringLength());
  }
  const auto key = body.FindMember("key");
  if (key == body.MemberEnd()) return errors::invalid_request("query needs a key");
  if (key->value.IsString()) {
    // RivetKit's clients accept a single string for a one-part key.
    q.key.emplace_back(key->value.GetString(), key->value.GetStringLength());
  } else if (key->value.IsArray()) {
    q.key.reserve(key->value.Size());
    for (const auto& part : key->value.GetArray()) {
      if (!part.IsString()) return errors::invalid_request("every part of a key must be a string");
      if (part.GetStringLength() > max_key_part_bytes)
        return errors::invalid_request("a key part is longer than 128 bytes");
      q.key.emplace_back(part.GetString(), part.GetStringLength());
    }
  } else {
    return errors::invalid_request("query key must be an array of strings");
  }
  if (q.key.size() == 1 && q.key.front().size() > max_key_part_bytes)
    return errors::invalid_request("a key part is longer than 128 bytes");
  if (const auto input = body.FindMember("input"); input != body.MemberEnd()) {
    // Parsed within the depth limit, so it writes within it.
    if (!codec::write_json(q.input_json, input->value)) return errors::invalid_request("query input nested too deeply");
  }
  return std::nullopt;
}

} // namespace

std::string_view to_string(intent i) noexcept {
  switch (i) {
    case intent::get: return "get";
    case intent::create: return "create";
    case intent::connect: return "connect";
    case intent::action: return "action";
  }
  return "";
}

std::variant<actor_query, actor_error> parse_actor_query(std::string_view json) {
  char value_memory[2048];
  char stack_memory[1024];
  stack_allocator value_allocator(value_memory, sizeof value_memory);
  stack_allocator stack_alloc(stack_memory, sizeof stack_memory);
  stack_document doc(&value_allocator, sizeof stack_memory, &stack_alloc);
  // Read as JSON.parse reads it (a repeated member keeps its last value), so that a JavaScript
  // gateway in front of the host and the host name the same actor.
  if (const auto parsed = codec::parse_json(doc, json); !parsed)
    return errors::invalid_query_json(std::string("actor query is not valid JSON: ") + parsed.reason);
  if (!doc.IsObject()) return errors::invalid_request("actor query must be a JSON object");

  // One kind per query, looked for in a fixed order (RivetKit's), whatever the member order.
  actor_query q;
  for (const std::string_view kind : {"getForId", "getForKey", "getOrCreateForKey", "create"}) {
    const auto member = doc.FindMember(rapidjson::StringRef(kind.data(), kind.size()));
    if (member == doc.MemberEnd()) continue;
    const auto& body = member->value;
    if (kind == "getForId") {
      if (!body.IsObject()) return errors::invalid_request("getForId must be an object");
      const auto id = body.FindMember("actorId");
      if (id == body.MemberEnd() || !id->value.IsString())
        return errors::invalid_request("getForId needs a string actorId");
      q.kind = query_kind::get_for_id;
      q.id.assign(id->value.GetString(), id->value.GetStringLength());
      if (const auto name = body.FindMember("name"); name != body.MemberEnd() && name->value.IsString())
        q.name.assign(name->value.GetString(), name->value.GetStringLength());
      return q;
    }
    query_kind k;
    if (kind == "getForKey") k = query_kind::get_for_key;
    else if (kind == "getOrCreateForKey") k = query_kind::get_or_create_for_key;
    else k = query_kind::create;
    if (!body.IsObject()) return errors::invalid_request(std::string(kind) + " must be an object");
    q.kind = k;
    if (auto err = read_name_and_key(body, q)) return *err;
    return q;
  }
  return errors::invalid_request("actor query must hold one of getForId, getForKey, getOrCreateForKey, create");
}

std::optional<actor_error> resolve_name(actor_query& q, std::string_view route_name) {
  if (!route_name.empty()) {
    if (q.name.empty()) q.name = route_name;
    else if (q.name != route_name)
      return errors::invalid_request("actor name in the path (" + std::string(route_name) +
                                     ") differs from the query's (" + q.name + ")");
  }
  if (q.kind == query_kind::get_for_id) return std::nullopt;
  if (q.name.empty()) return errors::invalid_request("actor query needs a name");
  q.id = make_actor_id(q.name, q.key);
  return std::nullopt;
}

std::span<const intent> intents_for(const actor_query& q, bool action, std::array<intent, 3>& buffer) {
  std::size_t n = 0;
  switch (q.kind) {
    case query_kind::get_for_id:
    case query_kind::get_for_key: buffer[n++] = intent::get; break;
    case query_kind::get_or_create_for_key:
      buffer[n++] = intent::get;
      buffer[n++] = intent::create;
      break;
    case query_kind::create: buffer[n++] = intent::create; break;
  }
  if (action) buffer[n++] = intent::action;
  return {buffer.data(), n};
}

} // namespace actorhost
