// utf8: UTF-8 validation, whole and incremental, and lossy repair.
//
// Valid means well-formed per Unicode §3.9 (Table 3-7): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing past U+10FFFF. The incremental validator checks text that
// arrives in pieces (WebSocket fragments, RFC 6455 §8.1) and fails as soon as a byte cannot
// continue any valid sequence. to_valid_utf8() replaces each maximal ill-formed subpart with
// U+FFFD, as the WHATWG decoder (and so URLSearchParams) does.
#pragma once

#include <string>
#include <string_view>

namespace actorhost::codec {

class utf8_validator {
public:
  // False once the text so far cannot be the start of valid UTF-8.
  bool feed(std::string_view bytes) noexcept;
  // True when everything fed is valid and no sequence is left open.
  bool complete() const noexcept { return ok_ && need_ == 0; }
  void reset() noexcept { *this = utf8_validator{}; }

private:
  int need_ = 0;
  unsigned char lo_ = 0x80;
  unsigned char hi_ = 0xBF;
  bool ok_ = true;
};

bool valid_utf8(std::string_view s) noexcept;
std::string to_valid_utf8(std::string_view s);

} // namespace actorhost::codec
