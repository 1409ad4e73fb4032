#include "actorhost/codec/websocket_frame.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace actorhost::codec {

namespace {

class websocket_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "actorhost.websocket"; }
  std::string message(int ev) const override {
    switch (static_cast<websocket_error>(ev)) {
      case websocket_error::unmasked_frame: return "client frame is not masked";
      case websocket_error::masked_frame: return "server frame is masked";
      case websocket_error::reserved_bits: return "reserved bits set without an extension";
      case websocket_error::reserved_opcode: return "reserved opcode";
      case websocket_error::fragmented_control: return "fragmented control frame";
      case websocket_error::control_too_long: return "control frame payload over 125 bytes";
      case websocket_error::length_too_large: return "frame length has its most significant bit set";
      case websocket_error::unexpected_continuation: return "continuation frame without a message to continue";
      case websocket_error::expected_continuation: return "new data frame inside a fragmented message";
      case websocket_error::message_too_big: return "message too big";
      case websocket_error::invalid_utf8: return "text message is not valid UTF-8";
      case websocket_error::bad_close_payload: return "close frame body of one byte";
      case websocket_error::bad_close_code: return "invalid close code";
      case websocket_error::invalid_close_reason: return "close reason is not valid UTF-8";
    }
    return "unknown WebSocket error";
  }
};

constexpr std::uint8_t fin_bit = 0x80;
constexpr std::uint8_t rsv_bits = 0x70;
constexpr std::uint8_t opcode_bits = 0x0F;
constexpr std::uint8_t mask_bit = 0x80;
constexpr std::uint8_t length_bits = 0x7F;
constexpr std::size_t max_control_payload = 125; // §5.5

constexpr bool known_opcode(std::uint8_t op) noexcept {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// Header bytes after the first two: the extended length (§5.2) and the masking key.
constexpr std::size_t header_size(std::uint8_t b1) noexcept {
  const std::uint8_t len7 = b1 & length_bits;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & mask_bit) ? 4 : 0);
}

} // namespace

const std::error_category& websocket_category() noexcept {
  static const websocket_category_impl category;
  return category;
}

std::error_code make_error_code(websocket_error e) noexcept {
  return {static_cast<int>(e), websocket_category()};
}

std::uint16_t close_code_for(std::error_code ec) noexcept {
  if (ec == websocket_error::message_too_big) return websocket_close::message_too_big;
  if (ec == websocket_error::invalid_utf8 || ec == websocket_error::invalid_close_reason)
    return websocket_close::invalid_payload;
  return websocket_close::protocol_error;
}

bool valid_close_code(std::uint16_t code) noexcept {
  // §7.4.1 defines 1000-1003 and 1007-1011, the IANA registry (§11.7) 1012-1014; 1004 is
  // reserved, 1005, 1006 and 1015 must never be sent; 3000-4999 are for libraries and
  // applications (§7.4.2).
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

std::size_t decode_frame_header(std::span<const char> bytes, websocket_frame_header& out) noexcept {
  if (bytes.size() < 2) return 0;
  const auto b0 = static_cast<std::uint8_t>(bytes[0]);
  const auto b1 = static_cast<std::uint8_t>(bytes[1]);
  const std::size_t size = header_size(b1);
  if (bytes.size() < size) return 0;
  out.fin = (b0 & fin_bit) != 0;
  out.rsv1 = (b0 & 0x40) != 0;
  out.rsv2 = (b0 & 0x20) != 0;
  out.rsv3 = (b0 & 0x10) != 0;
  out.opcode = b0 & opcode_bits;
  out.masked = (b1 & mask_bit) != 0;
  const std::uint8_t len7 = b1 & length_bits;
  std::size_t at = 2;
  if (len7 < 126) {
    out.length = len7;
  } else {
    // 16 or 64 bits in network byte order (§5.2).
    const std::size_t n = len7 == 126 ? 2 : 8;
    out.length = 0;
    for (std::size_t i = 0; i < n; ++i) out.length = (out.length << 8) | static_cast<std::uint8_t>(bytes[at + i]);
    at += n;
  }
  out.mask = {};
  if (out.masked)
    for (std::size_t i = 0; i < 4; ++i) out.mask[i] = static_cast<unsigned char>(bytes[at + i]);
  return size;
}

void apply_websocket_mask(std::span<char> bytes, const websocket_mask& mask, std::uint64_t offset) noexcept {
  // §5.3: octet i of the payload is XORed with octet i mod 4 of the key. Eight key bytes
  // rotated to the offset repeat every eight payload bytes, so the bulk goes a word at a time.
  unsigned char key[8];
  for (std::size_t i = 0; i < 8; ++i) key[i] = mask[(offset + i) & 3];
  std::uint64_t key_word;
  std::memcpy(&key_word, key, 8);
  char* p = bytes.data();
  std::size_t n = bytes.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    word ^= key_word;
    std::memcpy(p, &word, 8);
  }
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<char>(p[i] ^ key[i]);
}

websocket_parser::websocket_parser(websocket_parser_options options) : options_(options) {}

websocket_parser::result websocket_parser::fail(websocket_error e, std::size_t consumed) {
  error_ = make_error_code(e);
  error_close_code_ = close_code_for(error_);
  state_ = state::failed;
  return {consumed, event::error, websocket_opcode::continuation, error_close_code_};
}

// The frame rules that the first two bytes decide.
std::optional<websocket_error> websocket_parser::check_frame_start() const noexcept {
  const auto b0 = static_cast<std::uint8_t>(header_bytes_[0]);
  const auto b1 = static_cast<std::uint8_t>(header_bytes_[1]);
  const std::uint8_t op = b0 & opcode_bits;
  if (b0 & rsv_bits) return websocket_error::reserved_bits; // §5.2
  if (!known_opcode(op)) return websocket_error::reserved_opcode; // §5.2
  if (op & 0x8) {
    if (!(b0 & fin_bit)) return websocket_error::fragmented_control; // §5.5
    if ((b1 & length_bits) > max_control_payload) return websocket_error::control_too_long; // §5.5
  } else if (op == 0) {
    if (!in_message_) return websocket_error::unexpected_continuation; // §5.4
  } else if (in_message_) {
    return websocket_error::expected_continuation; // §5.4
  }
  const bool masked = (b1 & mask_bit) != 0;
  // §5.1: a server fails on an unmasked frame, a client on a masked one.
  if (options_.role == websocket_role::server && !masked) return websocket_error::unmasked_frame;
  if (options_.role == websocket_role::client && masked) return websocket_error::masked_frame;
  return std::nullopt;
}

// The rules that need the whole header, and the start of a message.
std::optional<websocket_error> websocket_parser::begin_frame() {
  if (frame_.length >> 63) return websocket_error::length_too_large; // §5.2
  const auto op = static_cast<websocket_opcode>(frame_.opcode);
  if (is_control(op)) {
    control_.clear();
    return std::nullopt;
  }
  if (op != websocket_opcode::continuation) {
    in_message_ = true;
    message_opcode_ = op;
    message_.clear();
    message_size_ = 0;
    utf8_.reset();
  }
  // §10.4: refuse before reading a byte of a payload that would pass the cap.
  if (frame_.length > options_.max_message_size - message_size_) return websocket_error::message_too_big;
  message_size_ += frame_.length;
  // No room is reserved for the declared length: a peer that declares 16 MiB and sends nothing
  // must cost nothing. The message grows with the bytes that arrive (geometrically, in append).
  return std::nullopt;
}

// What the end of a frame means; need_more for the end of a fragment that is not the last.
websocket_parser::result websocket_parser::end_frame(std::size_t consumed) {
  const auto op = static_cast<websocket_opcode>(frame_.opcode);
  if (op == websocket_opcode::close) {
    // §5.5.1: no body, or a two-byte code and a UTF-8 reason.
    if (control_.size() == 1) return fail(websocket_error::bad_close_payload, consumed);
    std::uint16_t code = websocket_close::no_status;
    if (control_.size() >= 2) {
      code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(control_[0]) << 8) |
                                        static_cast<std::uint8_t>(control_[1]));
      if (!valid_close_code(code)) return fail(websocket_error::bad_close_code, consumed); // §7.4
      if (!valid_utf8(close_reason())) return fail(websocket_error::invalid_close_reason, consumed);
    }
    peer_close_code_ = code;
    state_ = state::closed;
    return {consumed, event::control, op, code};
  }
  if (is_control(op)) return {consumed, event::control, op, 0};
  if (!frame_.fin) return {consumed, event::need_more};
  // §8.1: the last fragment must not leave a sequence open.
  if (message_opcode_ == websocket_opcode::text && !utf8_.complete())
    return fail(websocket_error::invalid_utf8, consumed);
  in_message_ = false;
  return {consumed, event::message, message_opcode_, 0};
}

websocket_parser::result websocket_parser::feed(std::span<const char> data) {
  if (state_ == state::failed) return {0, event::error, websocket_opcode::continuation, error_close_code_};
  if (state_ == state::closed) return {data.size(), event::need_more}; // §5.5.1: nothing follows a Close
  const std::size_t size = data.size();
  std::size_t pos = 0;
  for (;;) {
    if (state_ == state::header) {
      if (header_have_ < 2) {
        const std::size_t take = std::min(2 - header_have_, size - pos);
        std::copy_n(data.data() + pos, take, header_bytes_.data() + header_have_);
        header_have_ += take;
        pos += take;
        if (header_have_ < 2) return {pos, event::need_more};
        if (const auto e = check_frame_start()) return fail(*e, pos);
        header_size_ = header_size(static_cast<std::uint8_t>(header_bytes_[1]));
      }
      const std::size_t take = std::min(header_size_ - header_have_, size - pos);
      std::copy_n(data.data() + pos, take, header_bytes_.data() + header_have_);
      header_have_ += take;
      pos += take;
      if (header_have_ < header_size_) return {pos, event::need_more};
      decode_frame_header(std::span<const char>(header_bytes_.data(), header_size_), frame_);
      header_have_ = 0;
      frame_done_ = 0;
      if (const auto e = begin_frame()) return fail(*e, pos);
      state_ = state::payload;
    }

    const std::uint64_t left = frame_.length - frame_done_;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, size - pos));
    if (n > 0) {
      const bool control = is_control(static_cast<websocket_opcode>(frame_.opcode));
      std::string& into = control ? control_ : message_;
      const std::size_t start = into.size();
      into.append(data.data() + pos, n); // the one copy of the payload
      const std::span<char> fresh(into.data() + start, n);
      if (frame_.masked) apply_websocket_mask(fresh, frame_.mask, frame_done_);
      pos += n;
      frame_done_ += n;
      // §8.1 with §5.6: text is checked as it arrives, so bad bytes fail before the rest.
      if (!control && message_opcode_ == websocket_opcode::text &&
          !utf8_.feed(std::string_view(fresh.data(), fresh.size())))
        return fail(websocket_error::invalid_utf8, pos);
    }
    if (frame_done_ < frame_.length) return {pos, event::need_more};
    state_ = state::header;
    const result r = end_frame(pos);
    if (r.what != event::need_more) return r;
  }
}

void write_frame_header(std::string& out, websocket_opcode op, std::uint64_t payload_size,
                        const websocket_frame_options& options) {
  char header[14];
  std::size_t n = 0;
  header[n++] = static_cast<char>((options.fin ? fin_bit : 0) | static_cast<std::uint8_t>(op));
  const std::uint8_t mask = options.mask ? mask_bit : 0;
  // §5.2: the minimal number of bytes for the length.
  if (payload_size < 126) {
    header[n++] = static_cast<char>(mask | payload_size);
  } else if (payload_size <= 0xFFFF) {
    header[n++] = static_cast<char>(mask | 126);
    header[n++] = static_cast<char>(payload_size >> 8);
    header[n++] = static_cast<char>(payload_size & 0xFF);
  } else {
    header[n++] = static_cast<char>(mask | 127);
    for (int shift = 56; shift >= 0; shift -= 8) header[n++] = static_cast<char>((payload_size >> shift) & 0xFF);
  }
  if (options.mask)
    for (const unsigned char b : *options.mask) header[n++] = static_cast<char>(b);
  out.append(header, n);
}

void write_frame(std::string& out, websocket_opcode op, std::string_view payload,
                 const websocket_frame_options& options) {
  if (is_control(op) && (!options.fin || payload.size() > max_control_payload))
    throw std::invalid_argument("control frames are final and carry at most 125 bytes");
  write_frame_header(out, op, payload.size(), options);
  const std::size_t start = out.size();
  out.append(payload);
  if (options.mask) apply_websocket_mask(std::span<char>(out.data() + start, payload.size()), *options.mask);
}

void write_close(std::string& out, std::uint16_t code, std::string_view reason,
                 const std::optional<websocket_mask>& mask) {
  if (code == websocket_close::no_status) {
    if (!reason.empty()) throw std::invalid_argument("a close reason needs a close code");
    write_frame(out, websocket_opcode::close, {}, {.fin = true, .mask = mask});
    return;
  }
  if (!valid_close_code(code)) throw std::invalid_argument("close code not allowed on the wire");
  if (reason.size() > max_control_payload - 2) throw std::invalid_argument("close reason over 123 bytes");
  char body[max_control_payload];
  body[0] = static_cast<char>(code >> 8);
  body[1] = static_cast<char>(code & 0xFF);
  std::copy(reason.begin(), reason.end(), body + 2);
  write_frame(out, websocket_opcode::close, std::string_view(body, 2 + reason.size()), {.fin = true, .mask = mask});
}

websocket_mask random_websocket_mask() {
  websocket_mask m;
  if (RAND_bytes(m.data(), static_cast<int>(m.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return m;
}

} // namespace actorhost::codec
