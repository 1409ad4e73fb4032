// libFuzzer target for codec::http_response_parser.
//
// Input: one flags byte, one stride byte, then the bytes a server sent on one connection. Bit 0
// of the flags turns on small limits, bit 1 says the first response answers a HEAD request, and
// bit 2 ends the stream with finish() (the server closed). The bytes are parsed twice, whole
// and cut into pieces of `stride` bytes, and both runs must agree on every response, on the
// error and on an upgrade, as in the unit tests' parsegrind. Along the way the driver checks
// the event protocol: consumed never exceeds what was offered, errors stick, a 101 takes no
// byte after its head, limits hold, and the parser always makes progress.
#include "fuzz_check.hpp"
#include "actorhost/codec/http_response_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using actorhost::codec::http_response_limits;
using actorhost::codec::http_response_parser;
using event = http_response_parser::event;

struct outcome {
  std::vector<std::string> responses;
  std::error_code error;
  bool upgraded = false;
  bool closed = false;
};

std::string describe(const actorhost::codec::response_head& h, const std::string& body) {
  std::string s = std::to_string(h.status) + ' ' + h.reason + ' ' + std::to_string(h.version_minor);
  for (const auto& f : h.fields) s += '\n' + f.name + ':' + f.value;
  s += "\nka=" + std::to_string(h.keep_alive) + " up=" + std::to_string(h.upgrade) + " ch=" + std::to_string(h.chunked) +
       " uc=" + std::to_string(h.until_close) +
       " cl=" + (h.content_length ? std::to_string(*h.content_length) : std::string("-"));
  s += "\nbody=" + body;
  return s;
}

void check_response(http_response_parser& p, const http_response_limits& limits) {
  const auto& h = p.head();
  FUZZ_CHECK(h.status >= 101 && h.status <= 599);
  FUZZ_CHECK(h.status >= 200 || h.status == 101); // interim responses are skipped
  FUZZ_CHECK(h.fields.size() <= limits.max_header_count);
  FUZZ_CHECK(p.body().size() <= limits.max_body_bytes);
  FUZZ_CHECK(h.version_minor == 0 || h.version_minor == 1);
  FUZZ_CHECK(h.upgrade == (h.status == 101));
  if (h.status == 204 || h.status == 304 || h.status == 101) FUZZ_CHECK(p.body().empty());
}

outcome run(std::string_view bytes, std::size_t stride, const http_response_limits& limits, bool head_first,
            bool eof) {
  http_response_parser p(limits);
  p.expect_head_response(head_first);
  outcome out;
  std::size_t offset = 0;
  while (offset <= bytes.size()) {
    const std::size_t piece = stride == 0 ? bytes.size() : std::min(stride, bytes.size() - offset);
    const std::string_view chunk = bytes.substr(offset, piece);
    std::size_t pos = 0;
    while (pos < chunk.size()) {
      const auto r = p.feed(std::span<const char>(chunk.data() + pos, chunk.size() - pos));
      FUZZ_CHECK(r.consumed <= chunk.size() - pos);
      pos += r.consumed;
      if (r.what == event::error) {
        FUZZ_CHECK(p.error());
        FUZZ_CHECK(!p.error_reason().empty());
        const auto again = p.feed(std::span<const char>(chunk.data(), chunk.size()));
        FUZZ_CHECK(again.what == event::error && again.consumed == 0);
        FUZZ_CHECK(p.finish().what == event::error);
        out.error = p.error();
        return out;
      }
      FUZZ_CHECK(r.what != event::closed); // only finish() says so
      if (r.what == event::need_more) {
        if (p.upgraded()) {
          FUZZ_CHECK(r.consumed == 0);
          out.upgraded = true;
          return out;
        }
        FUZZ_CHECK(pos == chunk.size());
        break;
      }
      check_response(p, limits);
      out.responses.push_back(describe(p.head(), p.body()));
      if (p.upgraded()) {
        out.upgraded = true;
        return out;
      }
      FUZZ_CHECK(p.between_messages());
    }
    if (offset == bytes.size()) break;
    offset += piece;
  }
  if (eof) {
    const auto r = p.finish();
    FUZZ_CHECK(r.consumed == 0);
    if (r.what == event::message_complete) {
      check_response(p, limits);
      FUZZ_CHECK(!p.head().keep_alive);
      out.responses.push_back(describe(p.head(), p.body()));
    } else if (r.what == event::closed) {
      out.closed = true;
    } else {
      FUZZ_CHECK(r.what == event::error);
      out.error = p.error();
    }
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = actorhost::fuzz::split_fuzz_input(data, size);
  if (!input) return 0;
  const std::uint8_t flags = input->flags;
  http_response_limits limits;
  if (flags & 1) {
    limits.max_head_bytes = 48 + (flags >> 3) * 8;
    limits.max_header_count = 1 + ((flags >> 3) & 7);
    limits.max_body_bytes = (flags >> 3) & 31;
  }
  const bool head_first = (flags & 2) != 0;
  const bool eof = (flags & 4) != 0;
  const outcome whole = run(input->bytes, 0, limits, head_first, eof);
  const outcome pieces = run(input->bytes, input->stride, limits, head_first, eof);
  // The verdicts agree, with one exception: llhttp hands over a partial token when the input
  // ends inside it, so a response both over a limit and malformed further on in that token can
  // be refused for the limit when cut there, and for its syntax when whole.
  using actorhost::codec::http_response_error;
  const bool limit_first = pieces.error == http_response_error::headers_too_large ||
                           pieces.error == http_response_error::too_many_headers ||
                           pieces.error == http_response_error::body_too_large;
  FUZZ_CHECK(whole.error == pieces.error || (whole.error == http_response_error::malformed && limit_first));
  if (whole.error != pieces.error) return 0; // the rest is compared only when the verdicts agree
  FUZZ_CHECK(whole.upgraded == pieces.upgraded);
  FUZZ_CHECK(whole.closed == pieces.closed);
  FUZZ_CHECK(whole.responses == pieces.responses);
  return 0;
}
