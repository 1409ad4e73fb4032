// websocket_frame: RFC 6455 framing (§5) as a sans-IO parser and writer.
//
// websocket_parser takes the bytes a peer sent and returns what they amount to: nothing yet
// (need_more), a whole text or binary message with its fragments joined and unmasked, a
// control frame (ping, pong, close; also between the fragments of a message, §5.4), or an
// error with the close code to fail the connection with (§7.1.7). Underneath it every frame
// header is checked by the frame rules (§5.1 masking, §5.2 reserved bits, opcodes and
// lengths, §5.5 control frames) and every frame by the message rules (§5.4 fragmentation,
// §8.1 UTF-8 of text, the configured size cap, §5.5.1/§7.4 close bodies). The write_*
// functions append frames to a std::string: unmasked, as a server sends them, or masked, as
// a client must (§5.3).
//
// Invariants:
// - need_more consumes every byte offered; message and control consume up to the end of
//   their frame, and the caller feeds the rest again. Which events come out, and which error,
//   does not depend on how the bytes were cut (every check runs at a fixed point of the byte
//   stream), only `consumed` on an error may differ.
// - Each rule fails as early as the bytes allow: frame-header rules on the first two bytes
//   (the length and size rules on the whole header), UTF-8 on the first byte that cannot
//   continue valid text, even in the middle of a frame or a fragment after a control frame.
// - A payload byte is copied once, from the input into the message (or control) buffer,
//   and unmasked there in place.
// - Errors stick: every later feed() returns the same error and consumes nothing. After a
//   Close frame the parser is closed and consumes (discards) whatever follows (§5.5.1).
// - No extension is negotiated, so RSV1-3 are always refused.
#pragma once

#include "actorhost/codec/utf8.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace actorhost::codec {

// §5.2, §11.8. Other values are reserved.
enum class websocket_opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// §5.5: opcodes with the high bit set are control frames.
constexpr bool is_control(websocket_opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

// Close status codes (§7.4.1, and the IANA registry §11.7 adds 1012-1014).
namespace websocket_close {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005; // never on the wire: a Close frame without a body
inline constexpr std::uint16_t abnormal = 1006;  // never on the wire: closed without a Close frame
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t mandatory_extension = 1010;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t service_restart = 1012;
inline constexpr std::uint16_t try_again_later = 1013;
inline constexpr std::uint16_t bad_gateway = 1014;
} // namespace websocket_close

// A code an endpoint may put in a Close frame (§7.4.1, §7.4.2): 1000-1003, 1007-1014 and the
// application range 3000-4999. 1004, 1005, 1006, 1015 and the rest of 0-2999 are not.
bool valid_close_code(std::uint16_t code) noexcept;

enum class websocket_error {
  unmasked_frame = 1,      // §5.1: a client frame without a mask (server role)
  masked_frame,            // §5.1: a server frame with a mask (client role)
  reserved_bits,           // §5.2: RSV1-3 set without a negotiated extension
  reserved_opcode,         // §5.2: opcodes 0x3-0x7 and 0xB-0xF
  fragmented_control,      // §5.5: a control frame without FIN
  control_too_long,        // §5.5: a control payload over 125 bytes
  length_too_large,        // §5.2: a 64-bit length with its most significant bit set
  unexpected_continuation, // §5.4: a continuation frame outside a fragmented message
  expected_continuation,   // §5.4: a new text or binary frame inside a fragmented message
  message_too_big,         // §10.4: over websocket_parser_options::max_message_size (1009)
  invalid_utf8,            // §8.1: a text message that is not UTF-8 (1007)
  bad_close_payload,       // §5.5.1: a Close body of one byte
  bad_close_code,          // §7.4: a Close code no endpoint may send
  invalid_close_reason,    // §5.5.1: a Close reason that is not UTF-8 (1007)
};

const std::error_category& websocket_category() noexcept;
std::error_code make_error_code(websocket_error e) noexcept;

// The close code to fail the connection with (§7.1.7): 1009 for message_too_big, 1007 for
// UTF-8 errors, 1002 for every other protocol error (and anything of another category).
std::uint16_t close_code_for(std::error_code ec) noexcept;

// Servers read masked frames and send unmasked ones; clients the other way round (§5.1).
enum class websocket_role { server, client };

using websocket_mask = std::array<unsigned char, 4>;

// One frame header as it is on the wire (§5.2); the opcode is kept raw, reserved or not.
struct websocket_frame_header {
  bool fin = true;
  bool rsv1 = false;
  bool rsv2 = false;
  bool rsv3 = false;
  std::uint8_t opcode = 0;
  bool masked = false;
  websocket_mask mask{};
  std::uint64_t length = 0;
};

// Decodes the header at the front of `bytes` without judging it. Returns its size (2 to 14
// bytes), or 0 when `bytes` holds only part of it.
std::size_t decode_frame_header(std::span<const char> bytes, websocket_frame_header& out) noexcept;

// XORs `bytes` with `mask` (§5.3), as if they started `offset` bytes into the payload.
void apply_websocket_mask(std::span<char> bytes, const websocket_mask& mask, std::uint64_t offset = 0) noexcept;

struct websocket_parser_options {
  websocket_role role = websocket_role::server;
  // The largest message (all fragments together) accepted; a frame that would pass it fails
  // the connection with 1009 as soon as its header is read (§10.4).
  std::uint64_t max_message_size = 16 * 1024 * 1024;
};

class websocket_parser {
public:
  enum class event {
    need_more, // every byte consumed; feed more
    message,   // message() holds a whole text or binary message
    control,   // control_payload() holds a ping, pong or close body
    error,     // error(); send a Close with close_code and close the connection
  };

  struct result {
    std::size_t consumed = 0;
    event what = event::need_more;
    // message: text or binary; control: close, ping or pong.
    websocket_opcode opcode = websocket_opcode::continuation;
    // The code of the Close frame to answer with: on error the failure's code (1002, 1007,
    // 1009); on a received Close the peer's code, to echo (§5.5.1), or no_status (1005) when
    // the peer sent none, which write_close() turns into an empty Close body.
    std::uint16_t close_code = 0;
  };

  explicit websocket_parser(websocket_parser_options options = {});

  // Parses `data` up to the next message, control frame or error.
  result feed(std::span<const char> data);

  // After a message event: the whole payload, unmasked. The caller may move it out; it stays
  // untouched until the first frame of the next message.
  std::string& message() noexcept { return message_; }
  websocket_opcode message_opcode() const noexcept { return message_opcode_; }
  // After a control event: the frame's payload, unmasked (at most 125 bytes), valid until
  // the next feed().
  std::string_view control_payload() const noexcept { return control_; }
  // After a close event: the peer's code (no_status when its Close had no body) and reason.
  std::uint16_t peer_close_code() const noexcept { return peer_close_code_; }
  std::string_view close_reason() const noexcept {
    return control_.size() > 2 ? std::string_view(control_).substr(2) : std::string_view();
  }

  std::error_code error() const noexcept { return error_; }
  // True once a Close frame has been received; the parser then discards all input.
  bool closed() const noexcept { return state_ == state::closed; }
  // True while a text or binary message has begun and its last frame is not read yet
  // (between fragments, control frames may come, §5.4; a new data frame may not).
  bool in_message() const noexcept { return in_message_; }

private:
  enum class state { header, payload, closed, failed };

  result fail(websocket_error e, std::size_t consumed);
  std::optional<websocket_error> check_frame_start() const noexcept;
  std::optional<websocket_error> begin_frame();
  result end_frame(std::size_t consumed);

  websocket_parser_options options_;
  state state_ = state::header;
  std::array<char, 14> header_bytes_{}; // a header split across feeds
  std::size_t header_have_ = 0;
  std::size_t header_size_ = 0; // once the first two bytes are known
  websocket_frame_header frame_;
  std::uint64_t frame_done_ = 0; // payload bytes of this frame read so far
  bool in_message_ = false;
  websocket_opcode message_opcode_ = websocket_opcode::continuation;
  std::uint64_t message_size_ = 0;
  std::string message_;
  std::string control_;
  utf8_validator utf8_;
  std::uint16_t peer_close_code_ = 0;
  std::error_code error_;
  std::uint16_t error_close_code_ = 0;
};

// Frame writing (§5.2): minimal length encoding always; with options.mask set the payload is
// masked with it (§5.3), as a client must do with a fresh random key per frame.
struct websocket_frame_options {
  bool fin = true;
  std::optional<websocket_mask> mask;
};

// Appends the header of a frame carrying `payload_size` bytes; the payload (masked by the
// caller if options.mask is set) follows it.
void write_frame_header(std::string& out, websocket_opcode op, std::uint64_t payload_size,
                        const websocket_frame_options& options = {});

// Appends a whole frame. Control frames need fin and at most 125 bytes (§5.5); breaking that
// throws std::invalid_argument.
void write_frame(std::string& out, websocket_opcode op, std::string_view payload,
                 const websocket_frame_options& options = {});

inline void write_text(std::string& out, std::string_view payload, const websocket_frame_options& options = {}) {
  write_frame(out, websocket_opcode::text, payload, options);
}
inline void write_binary(std::string& out, std::string_view payload, const websocket_frame_options& options = {}) {
  write_frame(out, websocket_opcode::binary, payload, options);
}
inline void write_ping(std::string& out, std::string_view payload, const websocket_frame_options& options = {}) {
  write_frame(out, websocket_opcode::ping, payload, options);
}
inline void write_pong(std::string& out, std::string_view payload, const websocket_frame_options& options = {}) {
  write_frame(out, websocket_opcode::pong, payload, options);
}

// Appends a Close frame (§5.5.1): `code` then `reason`, or an empty body for no_status (1005)
// with an empty reason. Throws std::invalid_argument for a code valid_close_code() refuses or
// a reason over 123 bytes; the reason should be UTF-8 (the peer fails the connection
// otherwise) and is not checked here.
void write_close(std::string& out, std::uint16_t code, std::string_view reason = {},
                 const std::optional<websocket_mask>& mask = std::nullopt);

// A fresh masking key from OpenSSL's RAND_bytes (§5.3: unpredictable per frame).
websocket_mask random_websocket_mask();

} // namespace actorhost::codec

template <>
struct std::is_error_code_enum<actorhost::codec::websocket_error> : std::true_type {};
