// websocket_frame: RFC 6455 §5.7 examples and more vectors, every rejection with its close
// code, fail-fast offsets (UTF-8 across fragments and control frames), the close code table,
// the message cap, the writer and its round trips through the parser, and a parsegrind (each
// vector split at every offset into two feeds, small ones also into three, and fed byte by
// byte, must give the same events and error as the whole buffer).
#include "actorhost/codec/websocket_frame.hpp"

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using actorhost::codec::apply_websocket_mask;
using actorhost::codec::close_code_for;
using actorhost::codec::decode_frame_header;
using actorhost::codec::valid_close_code;
using actorhost::codec::websocket_error;
using actorhost::codec::websocket_frame_header;
using actorhost::codec::websocket_frame_options;
using actorhost::codec::websocket_mask;
using actorhost::codec::websocket_opcode;
using actorhost::codec::websocket_parser;
using actorhost::codec::websocket_parser_options;
using actorhost::codec::websocket_role;
namespace wc = actorhost::codec::websocket_close;
using event = websocket_parser::event;

namespace {

// The masking key of the RFC's examples (§5.7).
constexpr websocket_mask rfc_key{0x37, 0xfa, 0x21, 0x3d};

constexpr websocket_parser_options server{};
constexpr websocket_parser_options client{.role = websocket_role::client};

// A frame built by hand from its first byte, so that the writer is not what tests the parser.
// `length_bytes` forces the length form (0: minimal, 2: 16-bit, 8: 64-bit); `length` forces
// the declared length.
std::string frame(std::uint8_t b0, std::string_view payload, std::optional<websocket_mask> mask = rfc_key,
                  int length_bytes = 0, std::optional<std::uint64_t> length = std::nullopt) {
  const std::uint64_t n = length.value_or(payload.size());
  if (length_bytes == 0) length_bytes = n < 126 ? 0 : n <= 0xFFFF ? 2 : 8;
  std::string out;
  out += static_cast<char>(b0);
  const char m = mask ? '\x80' : '\0';
  if (length_bytes == 0) out += static_cast<char>(m | static_cast<char>(n));
  else out += static_cast<char>(m | (length_bytes == 2 ? 126 : 127));
  for (int i = length_bytes - 1; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xFF);
  if (mask) out.append(reinterpret_cast<const char*>(mask->data()), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out += mask ? static_cast<char>(payload[i] ^ (*mask)[i % 4]) : payload[i];
  return out;
}

// First bytes: FIN plus opcode.
constexpr std::uint8_t fin = 0x80;
constexpr std::uint8_t op_cont = 0x0, op_text = 0x1, op_binary = 0x2, op_close = 0x8, op_ping = 0x9, op_pong = 0xA;

std::string close_body(std::uint16_t code, std::string_view reason = {}) {
  std::string s;
  s += static_cast<char>(code >> 8);
  s += static_cast<char>(code & 0xFF);
  s += reason;
  return s;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i % 251);
  return s;
}

struct outcome {
  std::vector<std::string> events; // "text:...", "binary:...", "ping:...", "pong:...", "close:code:reason"
  std::error_code error;
  std::uint16_t close_code = 0; // the error's
  bool closed = false;
  bool operator==(const outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const outcome& o) {
  for (const auto& e : o.events) os << '[' << (e.size() > 64 ? e.substr(0, 64) + "..." : e) << "] ";
  return os << "error=" << o.error.message() << " code=" << o.close_code << " closed=" << o.closed;
}

std::string event_string(const websocket_parser::result& r, websocket_parser& p) {
  if (r.what == event::message) {
    BOOST_REQUIRE((r.opcode == p.message_opcode()));
    return std::string(r.opcode == websocket_opcode::text ? "text:" : "binary:") + p.message();
  }
  switch (r.opcode) {
    case websocket_opcode::ping: return "ping:" + std::string(p.control_payload());
    case websocket_opcode::pong: return "pong:" + std::string(p.control_payload());
    case websocket_opcode::close:
      BOOST_REQUIRE_EQUAL(r.close_code, p.peer_close_code());
      return "close:" + std::to_string(r.close_code) + ":" + std::string(p.close_reason());
    default: BOOST_FAIL("control event with opcode " << int(r.opcode)); return {};
  }
}

// Feeds `chunks` one after another as a connection would, checking the event protocol.
outcome run_chunks(std::span<const std::string_view> chunks, websocket_parser_options options) {
  websocket_parser p(options);
  outcome out;
  for (const auto chunk : chunks) {
    std::size_t pos = 0;
    for (;;) {
      const auto r = p.feed(chunk.substr(pos));
      if (r.consumed > chunk.size() - pos) BOOST_FAIL("consumed more than offered");
      pos += r.consumed;
      if (r.what == event::need_more) {
        if (pos != chunk.size()) BOOST_FAIL("need_more left bytes unconsumed");
        break;
      }
      if (r.what == event::error) {
        out.error = p.error();
        out.close_code = r.close_code;
        if (r.close_code != close_code_for(p.error())) BOOST_FAIL("close code differs from close_code_for");
        const auto again = p.feed(chunk);
        if (again.what != event::error || again.consumed != 0 || again.close_code != r.close_code)
          BOOST_FAIL("error did not stick");
        return out;
      }
      out.events.push_back(event_string(r, p));
    }
  }
  out.closed = p.closed();
  return out;
}

outcome run(std::string_view bytes, websocket_parser_options options = server) {
  const std::string_view one[] = {bytes};
  return run_chunks(one, options);
}

// The number of bytes, fed one by one, after which the error is reported; 0 for none.
std::size_t error_offset(std::string_view bytes, websocket_parser_options options = server) {
  websocket_parser p(options);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto r = p.feed(bytes.substr(i, 1));
    if (r.what == event::error) return i + 1;
    if (r.consumed != 1) BOOST_FAIL("a byte was left unconsumed");
  }
  return 0;
}

// The same outcome from every way of cutting `bytes`: at each offset in two, small inputs at
// each pair of offsets in three, and byte by byte.
void grind(std::string_view bytes, websocket_parser_options options, const outcome& whole) {
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    const std::string_view two[] = {bytes.substr(0, i), bytes.substr(i)};
    const auto got = run_chunks(two, options);
    if (!(got == whole)) BOOST_FAIL("split at " << i << ": " << got << " instead of " << whole);
  }
  if (bytes.size() <= 64) {
    for (std::size_t i = 0; i <= bytes.size(); ++i)
      for (std::size_t j = i; j <= bytes.size(); ++j) {
        const std::string_view three[] = {bytes.substr(0, i), bytes.substr(i, j - i), bytes.substr(j)};
        const auto got = run_chunks(three, options);
        if (!(got == whole)) BOOST_FAIL("split at " << i << " and " << j << ": " << got);
      }
  }
  std::vector<std::string_view> bytewise;
  for (std::size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(bytes.substr(i, 1));
  const auto got = run_chunks(bytewise, options);
  if (!(got == whole)) BOOST_FAIL("byte by byte: " << got << " instead of " << whole);
}

struct valid_vector {
  const char* name;
  std::string bytes;
  std::vector<std::string> events;
  websocket_parser_options options = server;
  bool closed = false;
};

const std::vector<valid_vector>& valid_vectors() {
  static const std::vector<valid_vector> vectors = [] {
    const std::string p256 = pattern(256), p64k = pattern(65536);
    std::vector<valid_vector> v = {
        // RFC 6455 §5.7, in the role that reads each of them.
        {"rfc single-frame unmasked text", "\x81\x05\x48\x65\x6c\x6c\x6f", {"text:Hello"}, client},
        {"rfc single-frame masked text", "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", {"text:Hello"}},
        {"rfc fragmented unmasked text", "\x01\x03\x48\x65\x6c\x80\x02\x6c\x6f", {"text:Hello"}, client},
        {"rfc unmasked ping", "\x89\x05\x48\x65\x6c\x6c\x6f", {"ping:Hello"}, client},
        {"rfc masked pong", "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", {"pong:Hello"}},
        {"rfc 256 bytes unmasked binary", std::string("\x82\x7E\x01\x00", 4) + p256, {"binary:" + p256}, client},
        {"rfc 64 KiB unmasked binary", std::string("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10) + p64k,
         {"binary:" + p64k}, client},
        // The same as a client sends them.
        {"masked fragmented text", frame(op_text, "Hel") + frame(fin | op_cont, "lo"), {"text:Hello"}},
        {"masked ping", frame(fin | op_ping, "Hello"), {"ping:Hello"}},
        {"masked 256 bytes binary", frame(fin | op_binary, p256), {"binary:" + p256}},
        {"masked 64 KiB binary", frame(fin | op_binary, p64k), {"binary:" + p64k}},
        // Lengths at the edges of each form (§5.2).
        {"empty text", frame(fin | op_text, ""), {"text:"}},
        {"empty binary", frame(fin | op_binary, ""), {"binary:"}},
        {"125 bytes", frame(fin | op_binary, pattern(125)), {"binary:" + pattern(125)}},
        {"126 bytes", frame(fin | op_binary, pattern(126)), {"binary:" + pattern(126)}},
        {"65535 bytes", frame(fin | op_binary, pattern(65535)), {"binary:" + pattern(65535)}},
        {"non-minimal 16-bit length", frame(fin | op_text, "abc", rfc_key, 2), {"text:abc"}},
        {"non-minimal 64-bit length", frame(fin | op_text, "abc", rfc_key, 8), {"text:abc"}},
        {"zero mask", frame(fin | op_text, "abc", websocket_mask{}), {"text:abc"}},
        // Control frames.
        {"empty ping", frame(fin | op_ping, ""), {"ping:"}},
        {"125-byte ping", frame(fin | op_ping, pattern(125)), {"ping:" + pattern(125)}},
        {"unsolicited pong", frame(fin | op_pong, "x"), {"pong:x"}},
        {"close without body", frame(fin | op_close, ""), {"close:1005:"}, server, true},
        {"close 1000", frame(fin | op_close, close_body(1000)), {"close:1000:"}, server, true},
        {"close with reason", frame(fin | op_close, close_body(1001, "going away")), {"close:1001:going away"}, server,
         true},
        {"close with UTF-8 reason", frame(fin | op_close, close_body(4000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")),
         {"close:4000:\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"}, server, true},
        {"close with 123-byte reason", frame(fin | op_close, close_body(1000, std::string(123, 'r'))),
         {"close:1000:" + std::string(123, 'r')}, server, true},
        {"bytes after close are discarded", frame(fin | op_close, close_body(1000)) + frame(fin | op_text, "late") + "\xff",
         {"close:1000:"}, server, true},
        // Fragmentation (§5.4), with control frames between fragments.
        {"three fragments", frame(op_binary, "a") + frame(op_cont, "b") + frame(fin | op_cont, "c"), {"binary:abc"}},
        {"empty fragments", frame(op_text, "") + frame(op_cont, "") + frame(fin | op_cont, ""), {"text:"}},
        {"empty last fragment", frame(op_text, "ab") + frame(fin | op_cont, ""), {"text:ab"}},
        {"ping between fragments",
         frame(op_text, "Hel") + frame(fin | op_ping, "p1") + frame(op_cont, "l") + frame(fin | op_pong, "") +
             frame(fin | op_ping, "p2") + frame(fin | op_cont, "o"),
         {"ping:p1", "pong:", "ping:p2", "text:Hello"}},
        {"close between fragments", frame(op_text, "Hel") + frame(fin | op_close, close_body(1000, "bye")),
         {"close:1000:bye"}, server, true},
        {"messages back to back",
         frame(fin | op_text, "one") + frame(fin | op_binary, "two") + frame(op_text, "th") + frame(fin | op_cont, "ree"),
         {"text:one", "binary:two", "text:three"}},
        // UTF-8 across fragment boundaries (§8.1): κόσμε cut inside its code points.
        {"utf-8 split inside code points",
         frame(op_text, "\xce") + frame(op_cont, "\xba\xe1") + frame(op_cont, "\xbd") + frame(fin | op_ping, "") +
             frame(op_cont, "\xb9\xcf\x83\xce\xbc\xce") + frame(fin | op_cont, "\xb5"),
         {"ping:", "text:\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"}},
        {"4-byte code point across 4 fragments",
         frame(op_text, "\xf0") + frame(op_cont, "\x9f") + frame(op_cont, "\x98") + frame(fin | op_cont, "\x80"),
         {"text:\xf0\x9f\x98\x80"}},
        {"binary is not checked as UTF-8", frame(fin | op_binary, "\xff\xfe\xc0"), {"binary:\xff\xfe\xc0"}},
        {"largest code point", frame(fin | op_text, "\xf4\x8f\xbf\xbf"), {"text:\xf4\x8f\xbf\xbf"}},
        // Cap (§10.4): exactly the cap passes, fragments and all; control frames are not counted.
        {"message of exactly the cap", frame(op_text, "12345") + frame(fin | op_ping, pattern(100)) +
                                            frame(fin | op_cont, "67890"),
         {"ping:" + pattern(100), "text:1234567890"}, {.max_message_size = 10}},
        {"incomplete frame", frame(fin | op_text, "Hello").substr(0, 8), {}},
        {"empty input", "", {}},
    };
    return v;
  }();
  return vectors;
}

struct rejection {
  const char* name;
  std::string bytes;
  websocket_error error;
  std::uint16_t code;
  std::vector<std::string> events = {}; // delivered before the error
  websocket_parser_options options = server;
};

const std::vector<rejection>& rejections() {
  static const std::vector<rejection> vectors = [] {
    using e = websocket_error;
    std::vector<rejection> v = {
        // §5.1: masking by role.
        {"unmasked client frame", frame(fin | op_text, "Hello", std::nullopt), e::unmasked_frame, 1002},
        {"unmasked ping from a client", frame(fin | op_ping, "", std::nullopt), e::unmasked_frame, 1002},
        {"masked server frame", frame(fin | op_text, "Hello"), e::masked_frame, 1002, {}, client},
        // §5.2: reserved bits and opcodes.
        {"rsv1", frame(fin | 0x40 | op_text, "x"), e::reserved_bits, 1002},
        {"rsv2", frame(fin | 0x20 | op_text, "x"), e::reserved_bits, 1002},
        {"rsv3", frame(fin | 0x10 | op_binary, "x"), e::reserved_bits, 1002},
        {"rsv1 on a ping", frame(fin | 0x40 | op_ping, ""), e::reserved_bits, 1002},
        {"rsv bits on a continuation", frame(op_text, "a") + frame(fin | 0x70 | op_cont, "b"), e::reserved_bits, 1002},
        {"opcode 3", frame(fin | 0x3, ""), e::reserved_opcode, 1002},
        {"opcode 4", frame(fin | 0x4, "x"), e::reserved_opcode, 1002},
        {"opcode 5", frame(fin | 0x5, ""), e::reserved_opcode, 1002},
        {"opcode 6", frame(fin | 0x6, ""), e::reserved_opcode, 1002},
        {"opcode 7", frame(fin | 0x7, ""), e::reserved_opcode, 1002},
        {"opcode 0xB", frame(fin | 0xB, ""), e::reserved_opcode, 1002},
        {"opcode 0xC", frame(fin | 0xC, ""), e::reserved_opcode, 1002},
        {"opcode 0xD", frame(fin | 0xD, ""), e::reserved_opcode, 1002},
        {"opcode 0xE", frame(fin | 0xE, ""), e::reserved_opcode, 1002},
        {"opcode 0xF", frame(fin | 0xF, "x"), e::reserved_opcode, 1002},
        {"reserved opcode after a message", frame(fin | op_text, "ok") + frame(fin | 0x5, ""), e::reserved_opcode, 1002,
         {"text:ok"}},
        // §5.5: control frames.
        {"fragmented ping", frame(op_ping, "x"), e::fragmented_control, 1002},
        {"fragmented close", frame(op_close, close_body(1000)), e::fragmented_control, 1002},
        {"126-byte ping", frame(fin | op_ping, pattern(126)), e::control_too_long, 1002},
        {"ping with 16-bit length 5", frame(fin | op_ping, "Hello", rfc_key, 2), e::control_too_long, 1002},
        {"126-byte close", frame(fin | op_close, close_body(1000, std::string(124, 'r'))), e::control_too_long, 1002},
        {"126-byte pong", frame(fin | op_pong, pattern(126)), e::control_too_long, 1002},
        // §5.2: 64-bit length with the top bit set.
        {"length with top bit", frame(fin | op_binary, "", rfc_key, 8, 0x8000000000000000ull), e::length_too_large, 1002},
        {"length all ones", frame(fin | op_binary, "", rfc_key, 8, ~0ull), e::length_too_large, 1002},
        // §5.4: fragmentation.
        {"continuation first", frame(fin | op_cont, "x"), e::unexpected_continuation, 1002},
        {"continuation without fin first", frame(op_cont, "x"), e::unexpected_continuation, 1002},
        {"continuation after a whole message", frame(fin | op_text, "a") + frame(fin | op_cont, "b"),
         e::unexpected_continuation, 1002, {"text:a"}},
        {"text inside fragmented text", frame(op_text, "a") + frame(fin | op_text, "b"), e::expected_continuation, 1002},
        {"binary inside fragmented text", frame(op_text, "a") + frame(op_binary, "b"), e::expected_continuation, 1002},
        {"text after ping inside fragmented binary", frame(op_binary, "a") + frame(fin | op_ping, "") + frame(fin | op_text, ""),
         e::expected_continuation, 1002, {"ping:"}},
        // §10.4: the cap.
        {"frame over the cap", frame(fin | op_binary, pattern(11)), e::message_too_big, 1009, {}, {.max_message_size = 10}},
        {"fragments over the cap", frame(op_binary, pattern(5)) + frame(fin | op_cont, pattern(6)), e::message_too_big, 1009,
         {}, {.max_message_size = 10}},
        {"cap of zero", frame(fin | op_text, "x"), e::message_too_big, 1009, {}, {.max_message_size = 0}},
        // §8.1: text must be UTF-8.
        {"invalid byte", frame(fin | op_text, "ab\xff"), e::invalid_utf8, 1007},
        {"overlong slash", frame(fin | op_text, "\xc0\xaf"), e::invalid_utf8, 1007},
        {"surrogate", frame(fin | op_text, "\xed\xa0\x80"), e::invalid_utf8, 1007},
        {"past U+10FFFF", frame(fin | op_text, "\xf4\x90\x80\x80"), e::invalid_utf8, 1007},
        {"truncated at the end", frame(fin | op_text, "a\xe2\x82"), e::invalid_utf8, 1007},
        {"truncated at the end of fragments", frame(op_text, "a") + frame(fin | op_cont, "\xe2\x82"), e::invalid_utf8, 1007},
        {"invalid in a later fragment", frame(op_text, "ok") + frame(op_cont, "\x80") + frame(fin | op_cont, "x"),
         e::invalid_utf8, 1007},
        {"surrogate split across fragments", frame(op_text, "\xed") + frame(fin | op_cont, "\xa0\x80"), e::invalid_utf8, 1007},
        {"split sequence broken after a ping", frame(op_text, "\xce") + frame(fin | op_ping, "") + frame(fin | op_cont, "A"),
         e::invalid_utf8, 1007, {"ping:"}},
        // §5.5.1, §7.4: close bodies.
        {"close of one byte", frame(fin | op_close, "\x03"), e::bad_close_payload, 1002},
        {"close 1005", frame(fin | op_close, close_body(1005)), e::bad_close_code, 1002},
        {"close 999", frame(fin | op_close, close_body(999)), e::bad_close_code, 1002},
        {"close reason not UTF-8", frame(fin | op_close, close_body(1000, "\xce\xba\xff")), e::invalid_close_reason, 1007},
        {"close reason truncated", frame(fin | op_close, close_body(1000, "a\xce")), e::invalid_close_reason, 1007},
    };
    return v;
  }();
  return vectors;
}

const valid_vector& vector_named(std::string_view name) {
  for (const auto& v : valid_vectors())
    if (v.name == name) return v;
  throw std::logic_error("no vector named " + std::string(name));
}

} // namespace

BOOST_AUTO_TEST_SUITE(websocket_frame_suite)

BOOST_AUTO_TEST_CASE(valid_vectors_give_their_events) {
  for (const auto& v : valid_vectors()) {
    BOOST_TEST_CONTEXT(v.name) {
      const auto got = run(v.bytes, v.options);
      BOOST_TEST(!got.error, got.error.message());
      BOOST_TEST(got.events == v.events, boost::test_tools::per_element());
      BOOST_TEST(got.closed == v.closed);
    }
  }
}

BOOST_AUTO_TEST_CASE(rejections_give_their_error_and_close_code) {
  for (const auto& v : rejections()) {
    BOOST_TEST_CONTEXT(v.name) {
      const auto got = run(v.bytes, v.options);
      BOOST_TEST((got.error == v.error), got.error.message());
      BOOST_TEST(got.close_code == v.code);
      BOOST_TEST(got.events == v.events, boost::test_tools::per_element());
      BOOST_TEST((got.error.category() == actorhost::codec::websocket_category()));
      BOOST_TEST(!got.error.message().empty());
    }
  }
}

// The RFC's server-to-client examples are refused by a server and its client-to-server one by
// a client (§5.1).
BOOST_AUTO_TEST_CASE(masking_follows_the_role) {
  BOOST_TEST((run(vector_named("rfc single-frame unmasked text").bytes, server).error == websocket_error::unmasked_frame));
  BOOST_TEST((run(vector_named("rfc single-frame masked text").bytes, client).error == websocket_error::masked_frame));
}

BOOST_AUTO_TEST_CASE(message_event_consumes_up_to_its_frame) {
  const std::string first = frame(fin | op_text, "one");
  const std::string bytes = first + frame(fin | op_ping, "p") + frame(fin | op_binary, "two");
  websocket_parser p;
  auto r = p.feed(bytes);
  BOOST_TEST((r.what == event::message));
  BOOST_TEST((r.opcode == websocket_opcode::text));
  BOOST_TEST(r.consumed == first.size());
  BOOST_TEST(p.message() == "one");
  const std::string taken = std::move(p.message()); // the caller may take the message
  r = p.feed(std::string_view(bytes).substr(first.size()));
  BOOST_TEST((r.what == event::control));
  BOOST_TEST((r.opcode == websocket_opcode::ping));
  BOOST_TEST(p.control_payload() == "p");
  const std::size_t at = first.size() + r.consumed;
  r = p.feed(std::string_view(bytes).substr(at));
  BOOST_TEST((r.what == event::message));
  BOOST_TEST(r.consumed == bytes.size() - at);
  BOOST_TEST(p.message() == "two");
  BOOST_TEST((p.message_opcode() == websocket_opcode::binary));
  BOOST_TEST(taken == "one");
  r = p.feed({});
  BOOST_TEST((r.what == event::need_more));
  BOOST_TEST(r.consumed == 0u);
}

BOOST_AUTO_TEST_CASE(in_message_between_fragments) {
  websocket_parser p;
  BOOST_TEST(!p.in_message());
  auto r = p.feed(frame(op_text, "a"));
  BOOST_TEST((r.what == event::need_more));
  BOOST_TEST(p.in_message());
  r = p.feed(frame(fin | op_ping, ""));
  BOOST_TEST((r.what == event::control));
  BOOST_TEST(p.in_message());
  r = p.feed(frame(fin | op_cont, "b"));
  BOOST_TEST((r.what == event::message));
  BOOST_TEST(!p.in_message());
  BOOST_TEST(p.message() == "ab");
}

// Each rule fails on the byte that breaks it: header rules on the second byte (the length and
// the cap once the header is whole), UTF-8 on the first byte that cannot continue, even
// before the rest of its frame or of its message has arrived.
BOOST_AUTO_TEST_CASE(errors_come_as_early_as_possible) {
  struct row {
    const char* name;
    std::string bytes;
    std::size_t offset; // bytes fed (one at a time) when the error comes
    websocket_parser_options options = server;
  };
  const std::string f1 = frame(op_text, "\xed");
  const std::string ok = frame(op_text, "ok");
  const std::string ce_ping = frame(op_text, "\xce") + frame(fin | op_ping, "");
  const std::vector<row> rows = {
      {"unmasked", frame(fin | op_text, "Hello", std::nullopt), 2},
      {"rsv", frame(fin | 0x40 | op_text, "Hello"), 2},
      {"reserved opcode", frame(fin | 0x3, "Hello"), 2},
      {"fragmented ping", frame(op_ping, "Hello"), 2},
      {"long ping", frame(fin | op_ping, pattern(126)), 2},
      {"continuation first", frame(fin | op_cont, "Hello"), 2},
      {"top bit of length", frame(fin | op_binary, "", rfc_key, 8, 1ull << 63), 14},
      {"over the cap, 7-bit length", frame(fin | op_binary, pattern(11)), 6, {.max_message_size = 10}},
      {"over the cap, 64-bit length", frame(fin | op_binary, "", rfc_key, 8, (16ull << 20) + 1), 14},
      {"bad byte mid-frame", frame(fin | op_text, "ab\xff" "cdefgh"), 6 + 3},
      {"bad lead byte in a first fragment", frame(op_text, "\xf8" "abc") + frame(fin | op_cont, "x"), 6 + 1},
      {"surrogate across fragments", f1 + frame(fin | op_cont, "\xa0\x80"), f1.size() + 6 + 1},
      {"stray continuation in a later fragment", ok + frame(fin | op_cont, "a\x80z"), ok.size() + 6 + 2},
      {"broken after a ping", ce_ping + frame(fin | op_cont, "A"), ce_ping.size() + 6 + 1},
      {"truncated at the end", frame(fin | op_text, "a\xe2\x82"), 6 + 3},
      {"close of one byte", frame(fin | op_close, "\x03"), 6 + 1},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_TEST(error_offset(r.bytes, r.options) == r.offset);
      // And nothing before it is an error.
      const auto before = run(std::string_view(r.bytes).substr(0, r.offset - 1), r.options);
      BOOST_TEST(!before.error, before.error.message());
    }
  }
}

BOOST_AUTO_TEST_CASE(close_code_table) {
  struct row {
    std::uint16_t code;
    bool valid;
  };
  const row rows[] = {
      {0, false},     {999, false},   {1000, true},  {1001, true},  {1002, true},   {1003, true},   {1004, false},
      {1005, false},  {1006, false},  {1007, true},  {1008, true},  {1009, true},   {1010, true},   {1011, true},
      {1012, true},   {1013, true},   {1014, true},  {1015, false}, {1016, false},  {1100, false},  {2000, false},
      {2999, false},  {3000, true},   {3999, true},  {4000, true},  {4999, true},   {5000, false},  {65535, false},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("code " << r.code) {
      BOOST_TEST(valid_close_code(r.code) == r.valid);
      const auto got = run(frame(fin | op_close, close_body(r.code, "why")));
      if (r.valid) {
        BOOST_TEST(!got.error, got.error.message());
        BOOST_TEST(got.events == std::vector<std::string>{"close:" + std::to_string(r.code) + ":why"},
                   boost::test_tools::per_element());
        BOOST_TEST(got.closed);
      } else {
        BOOST_TEST((got.error == websocket_error::bad_close_code));
        BOOST_TEST(got.close_code == 1002);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(close_code_for_every_error) {
  for (int e = static_cast<int>(websocket_error::unmasked_frame); e <= static_cast<int>(websocket_error::invalid_close_reason);
       ++e) {
    const auto err = static_cast<websocket_error>(e);
    const std::uint16_t want = err == websocket_error::message_too_big ? 1009
                               : err == websocket_error::invalid_utf8 || err == websocket_error::invalid_close_reason
                                   ? 1007
                                   : 1002;
    BOOST_TEST(close_code_for(err) == want);
    BOOST_TEST(make_error_code(err).message() != "unknown WebSocket error");
  }
  BOOST_TEST(close_code_for(std::make_error_code(std::errc::invalid_argument)) == 1002);
}

// The default cap is 16 MiB: a header declaring it passes, one byte more fails at once.
BOOST_AUTO_TEST_CASE(default_cap_is_16_mib) {
  BOOST_TEST(websocket_parser_options{}.max_message_size == 16u * 1024 * 1024);
  const std::uint64_t cap = 16ull << 20;
  {
    websocket_parser p;
    const auto header = frame(fin | op_binary, "", rfc_key, 8, cap);
    const auto r = p.feed(header);
    BOOST_TEST((r.what == event::need_more));
    BOOST_TEST(r.consumed == header.size());
    BOOST_TEST(p.in_message());
  }
  {
    websocket_parser p;
    const auto r = p.feed(frame(fin | op_binary, "", rfc_key, 8, cap + 1));
    BOOST_TEST((r.what == event::error));
    BOOST_TEST(r.close_code == 1009);
  }
  {
    // Fragments count together.
    websocket_parser p;
    auto r = p.feed(frame(op_binary, "", rfc_key, 8, cap));
    BOOST_TEST((r.what == event::need_more));
  }
}

BOOST_AUTO_TEST_CASE(cap_counts_fragments_not_control_frames) {
  const websocket_parser_options small{.max_message_size = 4};
  BOOST_TEST(run(frame(op_text, "ab") + frame(fin | op_ping, pattern(125)) + frame(fin | op_cont, "cd"), small).events ==
                 (std::vector<std::string>{"ping:" + pattern(125), "text:abcd"}),
             boost::test_tools::per_element());
  BOOST_TEST((run(frame(op_text, "ab") + frame(op_cont, "cd") + frame(fin | op_cont, "e"), small).error ==
              websocket_error::message_too_big));
  // A new message starts from zero.
  BOOST_TEST(run(frame(fin | op_text, "abcd") + frame(fin | op_text, "efgh"), small).events ==
                 (std::vector<std::string>{"text:abcd", "text:efgh"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(header_decoding) {
  websocket_frame_header h;
  const std::string masked = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  for (std::size_t n = 0; n < 6; ++n) BOOST_TEST(decode_frame_header(std::span(masked.data(), n), h) == 0u);
  BOOST_TEST(decode_frame_header(masked, h) == 6u);
  BOOST_TEST(h.fin);
  BOOST_TEST(h.opcode == 1);
  BOOST_TEST(h.masked);
  BOOST_TEST(h.length == 5u);
  BOOST_TEST((h.mask == rfc_key));
  const std::string big = std::string("\x72\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10);
  for (std::size_t n = 0; n < 10; ++n) BOOST_TEST(decode_frame_header(std::span(big.data(), n), h) == 0u);
  BOOST_TEST(decode_frame_header(big, h) == 10u);
  BOOST_TEST(!h.fin);
  BOOST_TEST(h.rsv1);
  BOOST_TEST(h.rsv2);
  BOOST_TEST(h.rsv3);
  BOOST_TEST(h.opcode == 2);
  BOOST_TEST(!h.masked);
  BOOST_TEST(h.length == 65536u);
}

BOOST_AUTO_TEST_CASE(mask_matches_the_definition_at_every_offset) {
  const websocket_mask key{0x01, 0x82, 0x43, 0xf4};
  const std::string data = pattern(67);
  for (std::uint64_t offset = 0; offset < 8; ++offset)
    for (std::size_t len = 0; len <= data.size(); ++len) {
      std::string got = data.substr(0, len);
      apply_websocket_mask(got, key, offset);
      std::string want = data.substr(0, len);
      for (std::size_t i = 0; i < len; ++i) want[i] = static_cast<char>(want[i] ^ key[(offset + i) % 4]);
      BOOST_TEST_REQUIRE(got == want, "offset " << offset << " length " << len);
    }
}

// §5.7's frames come out of the writer byte for byte.
BOOST_AUTO_TEST_CASE(writer_reproduces_the_rfc_examples) {
  using namespace actorhost::codec;
  std::string out;
  write_text(out, "Hello");
  BOOST_TEST(out == vector_named("rfc single-frame unmasked text").bytes);
  out.clear();
  write_text(out, "Hello", {.mask = rfc_key});
  BOOST_TEST(out == vector_named("rfc single-frame masked text").bytes);
  out.clear();
  write_frame(out, websocket_opcode::text, "Hel", {.fin = false});
  write_frame(out, websocket_opcode::continuation, "lo");
  BOOST_TEST(out == vector_named("rfc fragmented unmasked text").bytes);
  out.clear();
  write_ping(out, "Hello");
  BOOST_TEST(out == vector_named("rfc unmasked ping").bytes);
  out.clear();
  write_pong(out, "Hello", {.mask = rfc_key});
  BOOST_TEST(out == vector_named("rfc masked pong").bytes);
  out.clear();
  write_binary(out, pattern(256));
  BOOST_TEST(out == vector_named("rfc 256 bytes unmasked binary").bytes);
  out.clear();
  write_binary(out, pattern(65536));
  BOOST_TEST(out == vector_named("rfc 64 KiB unmasked binary").bytes);
}

BOOST_AUTO_TEST_CASE(writer_header_lengths) {
  using namespace actorhost::codec;
  struct row {
    std::uint64_t size;
    std::size_t header;
  };
  for (const row r : {row{0, 2}, row{125, 2}, row{126, 4}, row{65535, 4}, row{65536, 10}, row{1ull << 40, 10}}) {
    for (const bool masked : {false, true}) {
      std::string out = "prefix";
      websocket_frame_options options;
      if (masked) options.mask = rfc_key;
      write_frame_header(out, websocket_opcode::binary, r.size, options);
      BOOST_TEST(out.size() == 6 + r.header + (masked ? 4 : 0));
      websocket_frame_header h;
      BOOST_TEST(decode_frame_header(std::string_view(out).substr(6), h) == out.size() - 6);
      BOOST_TEST(h.length == r.size);
      BOOST_TEST(h.masked == masked);
      BOOST_TEST(h.fin);
      BOOST_TEST(h.opcode == 2);
    }
  }
}

// Whatever the writer makes, the parser of the other role reads back: every length form,
// masked and not, fragmented, with control frames between.
BOOST_AUTO_TEST_CASE(writer_round_trips_through_the_parser) {
  using namespace actorhost::codec;
  for (const bool masked : {true, false}) {
    BOOST_TEST_CONTEXT("masked " << masked) {
      const auto options = [&](bool fin_flag) {
        websocket_frame_options o{.fin = fin_flag};
        if (masked) o.mask = random_websocket_mask();
        return o;
      };
      std::string wire;
      std::vector<std::string> want;
      for (const std::size_t n : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
        write_binary(wire, pattern(n), options(true));
        want.push_back("binary:" + pattern(n));
      }
      write_text(wire, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", options(true));
      want.push_back("text:\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5");
      write_frame(wire, websocket_opcode::text, "\xce", options(false));
      write_ping(wire, "are you there", options(true));
      write_frame(wire, websocket_opcode::continuation, "\xba!", options(false));
      write_pong(wire, "", options(true));
      write_frame(wire, websocket_opcode::continuation, "", options(true));
      want.insert(want.end(), {"ping:are you there", "pong:", "text:\xce\xba!"});
      write_close(wire, 4001, "done", options(true).mask);
      want.push_back("close:4001:done");
      const auto got = run(wire, masked ? server : client);
      BOOST_TEST(!got.error, got.error.message());
      BOOST_TEST(got.events == want, boost::test_tools::per_element());
      BOOST_TEST(got.closed);
    }
  }
}

BOOST_AUTO_TEST_CASE(writer_close_frames) {
  using namespace actorhost::codec;
  std::string out;
  write_close(out, wc::no_status);
  BOOST_TEST(out == std::string("\x88\x00", 2));
  BOOST_TEST(run(out, client).events == std::vector<std::string>{"close:1005:"}, boost::test_tools::per_element());
  out.clear();
  write_close(out, wc::normal, "bye");
  BOOST_TEST(out == std::string("\x88\x05\x03\xe8" "bye", 7));
  out.clear();
  write_close(out, 4999, std::string(123, 'x'));
  BOOST_TEST(out.size() == 2u + 125u);
  BOOST_CHECK_THROW(write_close(out, 1005, "reason"), std::invalid_argument);
  BOOST_CHECK_THROW(write_close(out, 1006), std::invalid_argument);
  BOOST_CHECK_THROW(write_close(out, 999), std::invalid_argument);
  BOOST_CHECK_THROW(write_close(out, 1000, std::string(124, 'x')), std::invalid_argument);
  BOOST_CHECK_THROW(write_ping(out, pattern(126)), std::invalid_argument);
  BOOST_CHECK_THROW(write_frame(out, websocket_opcode::pong, "", {.fin = false}), std::invalid_argument);
  // The result's close code is what the server answers with: echo the peer's, or an empty
  // Close (1005) for a Close without a body.
  for (const std::uint16_t code : {std::uint16_t{1000}, std::uint16_t{3000}, wc::no_status}) {
    websocket_parser p;
    const auto r = p.feed(frame(fin | op_close, code == wc::no_status ? "" : close_body(code)));
    BOOST_TEST((r.what == event::control));
    std::string answer;
    write_close(answer, r.close_code);
    const auto echoed = run(answer, client);
    BOOST_TEST(echoed.events ==
                   std::vector<std::string>{"close:" + std::to_string(code) + ":"},
               boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(random_masks_differ) {
  const auto a = actorhost::codec::random_websocket_mask();
  const auto b = actorhost::codec::random_websocket_mask();
  const auto c = actorhost::codec::random_websocket_mask();
  BOOST_TEST((a != b || b != c)); // 2^-64 odds of a false failure
}

// parsegrind: every vector, valid or not, gives the same events and error however it is cut.
BOOST_AUTO_TEST_CASE(parsegrind_valid_vectors) {
  for (const auto& v : valid_vectors()) {
    BOOST_TEST_CONTEXT(v.name) { grind(v.bytes, v.options, run(v.bytes, v.options)); }
  }
}

BOOST_AUTO_TEST_CASE(parsegrind_rejections) {
  for (const auto& v : rejections()) {
    BOOST_TEST_CONTEXT(v.name) { grind(v.bytes, v.options, run(v.bytes, v.options)); }
  }
}

BOOST_AUTO_TEST_SUITE_END()
