#include "actorhost/codec/utf8.hpp"

namespace actorhost::codec {

namespace {

// For a lead byte: how many continuation bytes follow and the range the first one must be in
// (Unicode Table 3-7); need < 0 for a byte that cannot lead.
struct lead {
  int need;
  unsigned char lo;
  unsigned char hi;
};

lead classify(unsigned char b) noexcept {
  if (b < 0x80) return {0, 0x80, 0xBF};
  if (b >= 0xC2 && b <= 0xDF) return {1, 0x80, 0xBF};
  if (b == 0xE0) return {2, 0xA0, 0xBF};
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return {2, 0x80, 0xBF};
  if (b == 0xED) return {2, 0x80, 0x9F}; // no surrogates
  if (b == 0xF0) return {3, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {3, 0x80, 0xBF};
  if (b == 0xF4) return {3, 0x80, 0x8F}; // nothing past U+10FFFF
  return {-1, 0, 0};
}

constexpr std::string_view replacement = "\xEF\xBF\xBD";

} // namespace

bool utf8_validator::feed(std::string_view bytes) noexcept {
  if (!ok_) return false;
  for (const char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (need_ == 0) {
      if (b < 0x80) continue;
      const lead l = classify(b);
      if (l.need < 0) return ok_ = false;
      need_ = l.need;
      lo_ = l.lo;
      hi_ = l.hi;
    } else {
      if (b < lo_ || b > hi_) return ok_ = false;
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
    }
  }
  return true;
}

bool valid_utf8(std::string_view s) noexcept {
  utf8_validator v;
  v.feed(s);
  return v.complete();
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out.push_back(s[i++]);
      continue;
    }
    lead l = classify(b);
    if (l.need < 0) {
      out += replacement;
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    int got = 0;
    while (got < l.need && j < s.size()) {
      const auto c = static_cast<unsigned char>(s[j]);
      if (c < l.lo || c > l.hi) break;
      l.lo = 0x80;
      l.hi = 0xBF;
      ++j;
      ++got;
    }
    if (got == l.need) out.append(s.substr(i, j - i));
    else out += replacement; // the offending byte, if any, starts over
    i = j;
  }
  return out;
}

} // namespace actorhost::codec
