#include "actorhost/codec/json.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace actorhost::codec {

namespace {

class json_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "actorhost.json"; }
  std::string message(int ev) const override {
    switch (static_cast<json_error>(ev)) {
      case json_error::syntax: return "not valid JSON";
      case json_error::too_deep: return "JSON nested too deeply";
      case json_error::invalid_utf8: return "JSON text is not valid UTF-8";
    }
    return "unknown JSON error";
  }
};

// A SAX handler in front of a writer that refuses to open a level past the limit. Value::Accept
// calls StartObject/StartArray before it recurses, so refusing there stops the recursion.
template <class Writer>
class depth_limited {
public:
  depth_limited(Writer& w, std::size_t max_depth) : w_(w), max_(max_depth) {}

  bool Null() { return w_.Null(); }
  bool Bool(bool b) { return w_.Bool(b); }
  bool Int(int i) { return w_.Int(i); }
  bool Uint(unsigned u) { return w_.Uint(u); }
  bool Int64(std::int64_t i) { return w_.Int64(i); }
  bool Uint64(std::uint64_t u) { return w_.Uint64(u); }
  // JSON has no Infinity or NaN (a number past a double's range parses to one): JSON.stringify
  // writes them as null, and so does this.
  bool Double(double d) { return std::isfinite(d) ? w_.Double(d) : w_.Null(); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return w_.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return w_.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return w_.Key(s, n, copy); }
  bool StartObject() { return enter() && w_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return w_.EndObject(n);
  }
  bool StartArray() { return enter() && w_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return w_.EndArray(n);
  }
  bool too_deep() const noexcept { return too_deep_; }

private:
  bool enter() {
    if (++depth_ > max_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  Writer& w_;
  std::size_t max_;
  std::size_t depth_ = 0;
  bool too_deep_ = false;
};

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view name_of(const rapidjson::Value::Member& m) {
  return {m.name.GetString(), m.name.GetStringLength()};
}

// One object: the last value of a repeated name moves into its first place (where JavaScript
// keeps the property), and the later members go, in O(members).
void dedupe_object(rapidjson::Value& object) {
  const rapidjson::SizeType n = object.MemberCount();
  auto* const members = &*object.MemberBegin();
  std::vector<bool> dropped;
  auto drop = [&](rapidjson::SizeType first, rapidjson::SizeType later) {
    if (dropped.empty()) dropped.assign(n, false);
    members[first].value = members[later].value; // a move: RapidJSON's assignment transfers
    dropped[later] = true;
  };
  if (n <= 16) {
    for (rapidjson::SizeType i = 1; i < n; ++i)
      for (rapidjson::SizeType j = 0; j < i; ++j)
        if (name_of(members[j]) == name_of(members[i])) { // the first j that matches is never dropped
          drop(j, i);
          break;
        }
  } else {
    std::unordered_map<std::string_view, rapidjson::SizeType> first;
    first.reserve(n);
    for (rapidjson::SizeType i = 0; i < n; ++i) {
      auto [it, fresh] = first.try_emplace(name_of(members[i]), i);
      if (!fresh) drop(it->second, i);
    }
  }
  if (dropped.empty()) return;
  rapidjson::SizeType kept = 0;
  for (rapidjson::SizeType i = 0; i < n; ++i) {
    if (dropped[i]) continue;
    if (kept != i) {
      members[kept].name.Swap(members[i].name);
      members[kept].value.Swap(members[i].value);
    }
    ++kept;
  }
  object.EraseMember(object.MemberBegin() + kept, object.MemberEnd());
}

} // namespace

const std::error_category& json_category() noexcept {
  static const json_category_impl category;
  return category;
}

std::error_code make_error_code(json_error e) noexcept { return {static_cast<int>(e), json_category()}; }

json_scan_result scan_json(std::string_view text, std::size_t limit) noexcept {
  json_scan_result r;
  std::size_t depth = 0;
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    const char c = *p++;
    switch (c) {
      case '[':
      case '{':
        if (++depth > r.depth) {
          r.depth = depth;
          if (depth > limit) return r;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      case '"': {
        // To the closing quote; a backslash escapes the byte after it, and \uXXXX escapes are
        // read for lone surrogates.
        const char* high_end = nullptr; // just past a \uD800-\uDBFF escape
        while (p < end) {
          const char s = *p++;
          if (s == '"') break;
          if (s == '\\') {
            if (p < end && *p == 'u' && end - p >= 5) {
              unsigned v = 0;
              bool hex = true;
              for (int i = 1; i <= 4 && hex; ++i) {
                const int d = hex_value(p[i]);
                hex = d >= 0;
                v = v * 16 + static_cast<unsigned>(d);
              }
              if (hex) {
                if (v >= 0xDC00 && v <= 0xDFFF && high_end != p - 1) r.lone_surrogate = true;
                high_end = v >= 0xD800 && v <= 0xDBFF ? p + 5 : nullptr;
                p += 5;
                continue;
              }
            }
            if (p < end) ++p;
          } else if (s == '\0') {
            r.nul_byte = true;
          }
          high_end = nullptr;
        }
        break;
      }
      case '\0':
        r.nul_byte = true;
        break;
      default:
        break;
    }
  }
  return r;
}

namespace detail {

void keep_last_members(rapidjson::Value& root) {
  // Iterative, although parsed documents are bounded: a document built in code need not be.
  std::vector<rapidjson::Value*> pending{&root};
  while (!pending.empty()) {
    rapidjson::Value* v = pending.back();
    pending.pop_back();
    if (v->IsObject()) {
      if (v->MemberCount() > 1) dedupe_object(*v);
      for (auto& m : v->GetObject())
        if (m.value.IsObject() || m.value.IsArray()) pending.push_back(&m.value);
    } else if (v->IsArray()) {
      for (auto& e : v->GetArray())
        if (e.IsObject() || e.IsArray()) pending.push_back(&e);
    }
  }
}

json_parse_result from_rapidjson(rapidjson::ParseErrorCode code, std::size_t offset) noexcept {
  const auto e = code == rapidjson::kParseErrorStringInvalidEncoding ? json_error::invalid_utf8 : json_error::syntax;
  return {make_error_code(e), rapidjson::GetParseError_En(code), offset};
}

} // namespace detail

rapidjson::Document parse_json_document(std::string_view text, std::size_t max_depth) {
  rapidjson::Document doc;
  if (!parse_json(doc, text, max_depth) && !doc.HasParseError()) {
    // Refused before RapidJSON parsed (depth, a NUL byte): make the document say so too. An
    // empty text is RapidJSON's own error, set without parsing anything.
    doc.Parse("", 0);
  }
  return doc;
}

bool write_json(std::string& out, const rapidjson::Value& value, std::size_t max_depth) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  depth_limited<rapidjson::Writer<rapidjson::StringBuffer>> bounded(writer, max_depth);
  if (!value.Accept(bounded) || bounded.too_deep()) return false;
  out.append(buffer.GetString(), buffer.GetSize());
  return true;
}

std::string to_json_text(const rapidjson::Value& value, std::size_t max_depth) {
  std::string out;
  if (!write_json(out, value, max_depth)) throw std::length_error("JSON value nested too deeply to write");
  return out;
}

} // namespace actorhost::codec
