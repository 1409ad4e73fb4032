// json: JSON text in and out through RapidJSON, read as JavaScript's JSON.parse reads it and
// bounded so that no peer can take the host down with it.
//
// RapidJSON's parser and writer recurse once per level of nesting, so a body like
// `[[[[...` a million levels deep would overflow a worker's stack. Every JSON text the host,
// its clients and its examples read therefore goes through parse_json(), which refuses nesting
// deeper than json_max_depth before RapidJSON sees a byte (a linear scan, no recursion), and
// every document they write goes through write_json(), which stops at json_stored_max_depth.
//
// The rest follows JSON.parse, so that a JavaScript gateway in front of the host and the host
// itself read one text the same way (a query that names one actor to the gateway must not name
// another here): a member name that appears twice keeps its last value, and the text must be
// valid UTF-8 (a JavaScript caller cannot send anything else).
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace actorhost::codec {

// The deepest nesting of arrays and objects accepted in a text from a peer (a body, a query, a
// WebSocket message, conn params).
inline constexpr std::size_t json_max_depth = 256;
// The deepest the host writes, and reads back of what it wrote (saved state, stored input): a
// document built in code may hold peer values inside levels of its own. RapidJSON needs a few
// hundred bytes of stack per level, so even this is far from a worker's 8 MiB.
inline constexpr std::size_t json_stored_max_depth = 1024;

enum class json_error {
  syntax = 1,   // not JSON (RapidJSON's reason is in json_parse_result::reason)
  too_deep,     // nesting past the limit
  invalid_utf8, // a string that is not valid UTF-8
};

const std::error_category& json_category() noexcept;
std::error_code make_error_code(json_error e) noexcept;

struct json_parse_result {
  std::error_code error;
  const char* reason = ""; // a short English phrase for error messages
  std::size_t offset = 0;  // where in the text it went wrong

  explicit operator bool() const noexcept { return !error; }
};

// What a linear scan of a JSON text finds before a parser sees it.
struct json_scan_result {
  std::size_t depth = 0;    // the deepest nesting of arrays and objects (limit + 1 once past it)
  bool nul_byte = false;    // a NUL byte, which RapidJSON would take for the end of the text
  // A \uDC00-\uDFFF escape not right after a \uD800-\uDBFF one: RapidJSON would decode it to
  // bytes that are not UTF-8 (a key spelled so would hash differently in JavaScript).
  bool lone_surrogate = false;
};

// Counts brackets outside strings, stopping as soon as the depth passes `limit`. Invalid text
// is not an error here: the depth bounds how deep a parser of it could go.
json_scan_result scan_json(std::string_view text, std::size_t limit = json_max_depth) noexcept;

namespace detail {
// Drops every member of every object in `root` whose name appears again later in the same
// object, so the last one wins (ECMA-262 JSON.parse, InternalizeJSONProperty order aside).
void keep_last_members(rapidjson::Value& root);
template <class Doc>
void keep_last_members(Doc& doc) {
  keep_last_members(static_cast<rapidjson::Value&>(doc));
}
json_parse_result from_rapidjson(rapidjson::ParseErrorCode code, std::size_t offset) noexcept;
} // namespace detail

// Parses `text` into `doc`, replacing what it held. Works with any RapidJSON document type
// (the query parser uses one on stack memory). Numbers are read by RapidJSON's default reader,
// which can miss JSON.parse's double by a few units in the last place for long decimals. Its
// full-precision reader, which would match, is broken in RapidJSON 1.1: it reads `0e308` as
// about 1.9e289 (passing zero to __builtin_clzll), so it is not used anywhere.
template <class Doc>
json_parse_result parse_json(Doc& doc, std::string_view text, std::size_t max_depth = json_max_depth) {
  const json_scan_result scan = scan_json(text, max_depth);
  if (scan.depth > max_depth) {
    doc.SetNull();
    return {make_error_code(json_error::too_deep), "nested too deeply", 0};
  }
  if (scan.nul_byte) {
    doc.SetNull();
    return {make_error_code(json_error::syntax), "a NUL byte in the text", 0};
  }
  if (scan.lone_surrogate) {
    doc.SetNull();
    return {make_error_code(json_error::invalid_utf8), "a lone surrogate escape", 0};
  }
  doc.template Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) return detail::from_rapidjson(doc.GetParseError(), doc.GetErrorOffset());
  detail::keep_last_members(doc);
  return {};
}

// For callers that hand a document on (request::json(), response::json()): a document that
// failed to parse for any reason, depth included, reports HasParseError().
rapidjson::Document parse_json_document(std::string_view text, std::size_t max_depth = json_max_depth);

// Appends `value` as JSON text. False, with `out` as it was, when `value` nests deeper than
// `max_depth` (a document built in code can be deeper than any that was parsed).
bool write_json(std::string& out, const rapidjson::Value& value, std::size_t max_depth = json_stored_max_depth);
// The same as a string; throws std::length_error when too deep.
std::string to_json_text(const rapidjson::Value& value, std::size_t max_depth = json_stored_max_depth);

} // namespace actorhost::codec

template <>
struct std::is_error_code_enum<actorhost::codec::json_error> : std::true_type {};
