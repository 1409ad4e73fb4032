// libFuzzer target for codec::parse_json and codec::write_json: every JSON text a peer sends
// (queries, conn params, action bodies, WebSocket messages) is read by parse_json, and conn
// params are read by it alone.
//
// Invariants checked: the text is refused as too deep exactly when scan_json says so, and then
// before RapidJSON runs (so a million levels cannot overflow the stack); a parsed document nests
// no deeper than the limit and has no repeated member name in any object; writing it gives text
// that reads back as the same shape; parse_json_document agrees; a limit one below a
// document's depth refuses to write it.
#include "fuzz_check.hpp"
#include "actorhost/codec/json.hpp"

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace codec = actorhost::codec;

// Depth of a document, and whether every object's names are distinct.
std::size_t check_document(const rapidjson::Value& v, std::size_t depth) {
  std::size_t deepest = depth;
  if (v.IsObject()) {
    std::set<std::string_view> names;
    for (const auto& m : v.GetObject()) {
      FUZZ_CHECK(names.insert({m.name.GetString(), m.name.GetStringLength()}).second);
      deepest = std::max(deepest, check_document(m.value, depth + 1));
    }
    deepest = std::max(deepest, depth + 1);
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) deepest = std::max(deepest, check_document(e, depth + 1));
    deepest = std::max(deepest, depth + 1);
  }
  return deepest;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto in = actorhost::fuzz::split_fuzz_input(data, size);
  if (!in) return 0;
  // A small limit in some runs, so that the fuzzer reaches it with short inputs.
  const std::size_t limit = (in->flags & 1) ? 4 : codec::json_max_depth;
  const std::string_view text = in->bytes;

  const auto scan = codec::scan_json(text, limit);
  rapidjson::Document doc;
  const auto r = codec::parse_json(doc, text, limit);
  FUZZ_CHECK((r.error == codec::json_error::too_deep) == (scan.depth > limit));
  if (scan.nul_byte && scan.depth <= limit) FUZZ_CHECK(!r);
  FUZZ_CHECK(codec::parse_json_document(text, limit).HasParseError() == !r);
  if (!r) {
    FUZZ_CHECK(doc.IsNull());
    return 0;
  }
  FUZZ_CHECK(check_document(doc, 0) <= limit);

  std::string once;
  FUZZ_CHECK(codec::write_json(once, doc, limit));
  rapidjson::Document again;
  FUZZ_CHECK(static_cast<bool>(codec::parse_json(again, once, limit)));
  // (Not the same text twice over: the reader can move a long decimal by an ulp or so.)
  // (Nor the same type for a number past a double's range: it is written as null.)
  if (doc.IsArray()) FUZZ_CHECK(again.IsArray() && again.Size() == doc.Size());
  if (doc.IsObject()) FUZZ_CHECK(again.IsObject() && again.MemberCount() == doc.MemberCount());
  // A limit one below the document's depth refuses to write it.
  const std::size_t depth = check_document(doc, 0);
  if (depth > 0) {
    std::string refused = "x";
    FUZZ_CHECK(!codec::write_json(refused, doc, depth - 1));
    FUZZ_CHECK(refused == "x");
  }
  return 0;
}
