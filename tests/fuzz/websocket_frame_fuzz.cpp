// libFuzzer target for codec::websocket_parser and the frame writer.
//
// Input: one flags byte, one stride byte, then the bytes a peer sent. Flags bit 0 picks the
// client role (unmasked frames expected) over the server role; bit 1 a small message cap of
// (flags >> 2) * 8 bytes over the default. The bytes are parsed twice, once whole and once
// cut into pieces of `stride` bytes (a stride of 0 means byte by byte), and both runs must
// agree on every event, the error and the closed state, as in the unit tests' parsegrind.
// Along the way the driver checks the event protocol and what each event promises (messages
// within the cap, text valid UTF-8, control payloads of at most 125 bytes, close codes that
// may be sent, errors that stick with the close code of their error). Finally every event is
// written again with the writer (masked in the server role) and parsed back: the result must
// be the same events. Any broken invariant aborts, which libFuzzer reports as a crash.
#include "fuzz_check.hpp"
#include "actorhost/codec/websocket_frame.hpp"

#include "actorhost/codec/utf8.hpp"

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

using namespace actorhost::codec;
using event = websocket_parser::event;

struct parsed_event {
  websocket_opcode opcode;
  std::string payload; // for close: the reason
  std::uint16_t close_code = 0;
  bool operator==(const parsed_event&) const = default;
};

struct outcome {
  std::vector<parsed_event> events;
  std::error_code error;
  std::uint16_t close_code = 0;
  bool closed = false;
};

parsed_event check_event(const websocket_parser::result& r, websocket_parser& p, const websocket_parser_options& o) {
  FUZZ_CHECK(r.consumed > 0); // every event ends a frame with a byte of this feed
  if (r.what == event::message) {
    FUZZ_CHECK(r.opcode == websocket_opcode::text || r.opcode == websocket_opcode::binary);
    FUZZ_CHECK(r.opcode == p.message_opcode());
    FUZZ_CHECK(p.message().size() <= o.max_message_size);
    if (r.opcode == websocket_opcode::text) FUZZ_CHECK(valid_utf8(p.message()));
    FUZZ_CHECK(!p.in_message());
    FUZZ_CHECK(!p.closed());
    return {r.opcode, p.message(), 0};
  }
  FUZZ_CHECK(r.what == event::control);
  FUZZ_CHECK(p.control_payload().size() <= 125);
  if (r.opcode == websocket_opcode::close) {
    FUZZ_CHECK(p.closed());
    FUZZ_CHECK(r.close_code == p.peer_close_code());
    FUZZ_CHECK(valid_close_code(r.close_code) || (r.close_code == websocket_close::no_status && p.control_payload().empty()));
    FUZZ_CHECK(valid_utf8(p.close_reason()));
    return {r.opcode, std::string(p.close_reason()), r.close_code};
  }
  FUZZ_CHECK(r.opcode == websocket_opcode::ping || r.opcode == websocket_opcode::pong);
  FUZZ_CHECK(!p.closed());
  return {r.opcode, std::string(p.control_payload()), 0};
}

outcome run(std::string_view bytes, std::size_t stride, const websocket_parser_options& options) {
  websocket_parser p(options);
  outcome out;
  std::size_t offset = 0;
  while (offset <= bytes.size()) {
    const std::size_t piece = stride == 0 ? bytes.size() : std::min(stride, bytes.size() - offset);
    const std::string_view chunk = bytes.substr(offset, piece);
    std::size_t pos = 0;
    for (;;) {
      const auto r = p.feed(std::span<const char>(chunk.data() + pos, chunk.size() - pos));
      FUZZ_CHECK(r.consumed <= chunk.size() - pos);
      pos += r.consumed;
      if (r.what == event::need_more) {
        FUZZ_CHECK(pos == chunk.size());
        break;
      }
      if (r.what == event::error) {
        FUZZ_CHECK(p.error());
        FUZZ_CHECK(p.error().category() == websocket_category());
        FUZZ_CHECK(r.close_code == close_code_for(p.error()));
        FUZZ_CHECK(r.close_code == 1002 || r.close_code == 1007 || r.close_code == 1009);
        FUZZ_CHECK(!p.closed());
        const auto again = p.feed(std::span<const char>(chunk.data(), chunk.size()));
        FUZZ_CHECK(again.what == event::error && again.consumed == 0 && again.close_code == r.close_code);
        out.error = p.error();
        out.close_code = r.close_code;
        return out;
      }
      out.events.push_back(check_event(r, p, options));
    }
    if (offset == bytes.size()) break;
    offset += piece;
  }
  out.closed = p.closed();
  if (out.closed) {
    // Nothing after a Close counts (§5.5.1).
    const auto r = p.feed(std::span<const char>(bytes.data(), bytes.size()));
    FUZZ_CHECK(r.what == event::need_more && r.consumed == bytes.size());
  }
  return out;
}

// The events written again, as the peer of the parser's role would send them.
std::string rewrite(const std::vector<parsed_event>& events, websocket_role role, websocket_mask mask) {
  std::string wire;
  for (const auto& e : events) {
    websocket_frame_options options;
    if (role == websocket_role::server) options.mask = mask;
    mask[0] = static_cast<unsigned char>(mask[0] + 1); // a different key for each frame
    if (e.opcode == websocket_opcode::close) write_close(wire, e.close_code, e.payload, options.mask);
    else write_frame(wire, e.opcode, e.payload, options);
  }
  return wire;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = actorhost::fuzz::split_fuzz_input(data, size);
  if (!input) return 0;
  const std::uint8_t flags = input->flags;
  const std::size_t stride = input->stride;
  const std::string_view bytes = input->bytes;

  websocket_parser_options options;
  if (flags & 1) options.role = websocket_role::client;
  if (flags & 2) options.max_message_size = (flags >> 2) * 8u;

  const outcome whole = run(bytes, 0, options);
  const outcome pieces = run(bytes, stride, options);
  FUZZ_CHECK(whole.error == pieces.error);
  FUZZ_CHECK(whole.close_code == pieces.close_code);
  FUZZ_CHECK(whole.closed == pieces.closed);
  FUZZ_CHECK(whole.events == pieces.events);

  const websocket_mask mask{static_cast<unsigned char>(size), 0x5a, flags, static_cast<unsigned char>(stride)};
  const std::string again = rewrite(whole.events, options.role, mask);
  const outcome reread = run(again, 0, options);
  FUZZ_CHECK(!reread.error);
  FUZZ_CHECK(reread.events == whole.events);
  FUZZ_CHECK(reread.closed == whole.closed);
  return 0;
}
