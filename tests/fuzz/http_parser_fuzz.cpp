// libFuzzer target for codec::http_parser.
//
// Input: one flags byte, one stride byte, then the bytes of a connection. The bytes are parsed
// twice, once whole and once cut into pieces of `stride` bytes (a stride of 0 means byte by
// byte), and both runs must agree on every request and on the error, as in the unit tests'
// parsegrind (the one tolerated difference is explained where it is checked). Along the way
// the driver checks the event protocol: consumed never exceeds what was offered, a head
// precedes every message, errors stick, and the parser always makes progress. Any broken
// invariant aborts, which libFuzzer reports as a crash.
#include "fuzz_check.hpp"
#include "actorhost/codec/http_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using actorhost::codec::http_error;
using actorhost::codec::http_parser;
using actorhost::codec::http_parser_limits;
using event = http_parser::event;

struct outcome {
  std::vector<std::string> requests; // everything the parser reported, one string each
  std::error_code error;
  bool stopped_early = false; // an upgrade left bytes unconsumed
};

std::string describe(const actorhost::codec::request_head& h, const std::string& body) {
  std::string s = h.method + ' ' + h.target + ' ' + std::to_string(h.version_minor);
  for (const auto& f : h.fields) s += '\n' + f.name + ':' + f.value;
  s += "\nka=" + std::to_string(h.keep_alive) + " ec=" + std::to_string(h.expect_continue) +
       " up=" + std::to_string(h.upgrade) + " ch=" + std::to_string(h.chunked) +
       " cl=" + (h.content_length ? std::to_string(*h.content_length) : std::string("-"));
  s += "\nbody=" + body;
  return s;
}

outcome run(std::string_view bytes, std::size_t stride, const http_parser_limits& limits) {
  http_parser p(limits);
  outcome out;
  bool head_seen = false;
  std::size_t offset = 0;
  while (offset <= bytes.size()) {
    const std::size_t piece = stride == 0 ? bytes.size() : std::min(stride, bytes.size() - offset);
    const std::string_view chunk = bytes.substr(offset, piece);
    std::size_t pos = 0;
    // Each feed consumes bytes or reports an event; an event without bytes happens at most
    // twice in a row (message after head, for a bodyless request).
    std::size_t idle_events = 0;
    for (;;) {
      const auto r = p.feed(std::span<const char>(chunk.data() + pos, chunk.size() - pos));
      FUZZ_CHECK(r.consumed <= chunk.size() - pos);
      pos += r.consumed;
      idle_events = r.consumed == 0 ? idle_events + 1 : 0;
      FUZZ_CHECK(idle_events <= 3);
      if (r.what == event::need_more) {
        if (pos != chunk.size()) {
          // Only an upgrade leaves bytes behind: the rest belongs to another protocol.
          FUZZ_CHECK(r.consumed == 0);
          out.stopped_early = true;
          return out;
        }
        break;
      }
      if (r.what == event::error) {
        FUZZ_CHECK(p.error());
        FUZZ_CHECK(!p.error_reason().empty());
        const int status = actorhost::codec::status_for(p.error());
        FUZZ_CHECK(status == 400 || status == 405 || status == 413 || status == 414 || status == 431 || status == 501 ||
                   status == 505);
        const auto again = p.feed(std::span<const char>(chunk.data(), chunk.size()));
        FUZZ_CHECK(again.what == event::error && again.consumed == 0);
        out.error = p.error();
        return out;
      }
      if (r.what == event::head_complete) {
        FUZZ_CHECK(!head_seen);
        FUZZ_CHECK(p.in_body());
        head_seen = true;
        FUZZ_CHECK(p.head().target.size() <= limits.max_target_bytes);
        FUZZ_CHECK(p.head().fields.size() <= limits.max_header_count);
        if (p.head().content_length) FUZZ_CHECK(*p.head().content_length <= limits.max_body_bytes);
        FUZZ_CHECK(p.head().version_minor == 0 || p.head().version_minor == 1);
        continue;
      }
      // message_complete
      FUZZ_CHECK(head_seen);
      head_seen = false;
      FUZZ_CHECK(p.between_messages());
      FUZZ_CHECK(p.body().size() <= limits.max_body_bytes);
      if (p.head().content_length) FUZZ_CHECK(p.body().size() == *p.head().content_length);
      out.requests.push_back(describe(p.head(), p.body()));
    }
    if (offset == bytes.size()) break;
    offset += piece;
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = actorhost::fuzz::split_fuzz_input(data, size);
  if (!input) return 0;
  const std::uint8_t flags = input->flags;
  const std::size_t stride = input->stride;
  const std::string_view bytes = input->bytes;

  http_parser_limits limits;
  if (flags & 1) {
    // Small limits, so that the fuzzer reaches every limit with short inputs.
    limits.max_head_bytes = 64 + (flags >> 1) * 8;
    limits.max_target_bytes = 16 + (flags >> 4) * 8;
    limits.max_header_count = 1 + ((flags >> 1) & 7);
    limits.max_body_bytes = (flags >> 2) & 31;
  }

  const outcome whole = run(bytes, 0, limits);
  const outcome pieces = run(bytes, stride, limits);
  // The verdicts agree, with one exception: llhttp hands over a partial token when the input
  // ends inside it, so a request that is both over a limit and malformed further on in that
  // token can be refused for the limit when cut there, and for its syntax when whole.
  const bool limit_first = pieces.error == http_error::uri_too_long || pieces.error == http_error::headers_too_large ||
                           pieces.error == http_error::too_many_headers || pieces.error == http_error::body_too_large;
  FUZZ_CHECK(whole.error == pieces.error || (whole.error == http_error::bad_request && limit_first));
  FUZZ_CHECK(whole.stopped_early == pieces.stopped_early);
  FUZZ_CHECK(whole.requests == pieces.requests);
  return 0;
}
