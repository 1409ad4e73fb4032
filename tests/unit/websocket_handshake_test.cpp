// websocket_handshake: the RFC 6455 accept vector and others computed independently, the
// §1.2/§4.1 client handshake and the forms browsers send, every rejection with its error and
// status, Sec-WebSocket-Protocol lists, and a request parsed by http_parser end to end (whole
// and split at every offset).
#include "actorhost/codec/websocket_handshake.hpp"

#include "actorhost/codec/http_parser.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

using actorhost::codec::check_websocket_upgrade;
using actorhost::codec::header_field;
using actorhost::codec::http_parser;
using actorhost::codec::parse_websocket_protocols;
using actorhost::codec::valid_websocket_key;
using actorhost::codec::websocket_accept;
using actorhost::codec::websocket_handshake_error;
using actorhost::codec::websocket_handshake_status;
using actorhost::codec::websocket_upgrade;

namespace {

// The client handshake of RFC 6455 §1.2, as fields.
std::vector<header_field> rfc_fields() {
  return {
      {"Host", "server.example.com"},
      {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
      {"Origin", "http://example.com"},
      {"Sec-WebSocket-Protocol", "chat, superchat"},
      {"Sec-WebSocket-Version", "13"},
  };
}

std::vector<header_field> without(std::vector<header_field> fields, std::string_view name) {
  std::erase_if(fields, [&](const header_field& f) { return f.name == name; });
  return fields;
}

std::vector<header_field> with(std::vector<header_field> fields, std::string_view name, std::string_view value) {
  for (auto& f : fields)
    if (f.name == name) {
      f.value = value;
      return fields;
    }
  fields.push_back({std::string(name), std::string(value)});
  return fields;
}

std::vector<header_field> plus(std::vector<header_field> fields, std::string_view name, std::string_view value) {
  fields.push_back({std::string(name), std::string(value)});
  return fields;
}

std::error_code check(const std::vector<header_field>& fields, std::string_view method = "GET", int minor = 1) {
  websocket_upgrade out;
  return check_websocket_upgrade(method, minor, fields, out);
}

} // namespace

BOOST_AUTO_TEST_SUITE(websocket_handshake_suite)

BOOST_AUTO_TEST_CASE(accept_vectors) {
  struct row {
    std::string_view key;
    std::string_view accept;
  };
  const row rows[] = {
      {"dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}, // RFC 6455 §1.3, §4.2.2
      {"x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk="}, // computed with Python's hashlib
      {"AQIDBAUGBwgJCgsMDQ4PEA==", "C/0nmHhBztSRGR1CwL6Tf4ZjwpY="}, // ditto
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.key) { BOOST_TEST(websocket_accept(r.key) == r.accept); }
  }
}

BOOST_AUTO_TEST_CASE(rfc_client_handshake_is_accepted) {
  websocket_upgrade out;
  const auto ec = check_websocket_upgrade("GET", 1, rfc_fields(), out);
  BOOST_TEST(!ec, ec.message());
  BOOST_TEST(out.key == "dGhlIHNhbXBsZSBub25jZQ==");
  BOOST_TEST(out.protocols == (std::vector<std::string>{"chat", "superchat"}), boost::test_tools::per_element());
  BOOST_TEST(websocket_accept(out.key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

// What browsers and libraries send: Firefox's "keep-alive, Upgrade", other spellings of the
// tokens and names, several Connection fields, no subprotocol, a key with surrounding space.
BOOST_AUTO_TEST_CASE(accepted_variants) {
  struct row {
    const char* name;
    std::vector<header_field> fields;
  };
  const std::vector<row> rows = {
      {"firefox connection list", with(rfc_fields(), "Connection", "keep-alive, Upgrade")},
      {"upgrade in capitals", with(with(rfc_fields(), "Upgrade", "WebSocket"), "Connection", "UPGRADE")},
      {"upgrade list", with(rfc_fields(), "Upgrade", "foo/2, websocket")},
      {"connection token among several fields",
       plus(with(rfc_fields(), "Connection", "keep-alive"), "connection", "upgrade")},
      {"lowercase names",
       {{"host", "x"},
        {"upgrade", "websocket"},
        {"connection", "upgrade"},
        {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
        {"sec-websocket-version", "13"}}},
      {"no subprotocol", without(rfc_fields(), "Sec-WebSocket-Protocol")},
      {"key with spaces around", with(rfc_fields(), "Sec-WebSocket-Key", " dGhlIHNhbXBsZSBub25jZQ==\t")},
      {"extensions offered", plus(rfc_fields(), "Sec-WebSocket-Extensions", "permessage-deflate")},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      websocket_upgrade out;
      const auto ec = check_websocket_upgrade("GET", 1, r.fields, out);
      BOOST_TEST(!ec, ec.message());
      BOOST_TEST(out.key == "dGhlIHNhbXBsZSBub25jZQ==");
    }
  }
}

BOOST_AUTO_TEST_CASE(rejections_carry_their_error_and_status) {
  using e = websocket_handshake_error;
  struct row {
    const char* name;
    std::vector<header_field> fields;
    std::string_view method;
    int minor;
    websocket_handshake_error error;
    int status;
  };
  const auto f = rfc_fields();
  const std::vector<row> rows = {
      {"POST", f, "POST", 1, e::method_not_get, 405},
      {"lowercase get", f, "get", 1, e::method_not_get, 405},
      {"HTTP/1.0", f, "GET", 0, e::version_not_http11, 400},
      {"no Host", without(f, "Host"), "GET", 1, e::missing_host, 400},
      {"no Upgrade", without(f, "Upgrade"), "GET", 1, e::not_websocket, 426},
      {"Upgrade: h2c", with(f, "Upgrade", "h2c"), "GET", 1, e::not_websocket, 426},
      {"Upgrade: websockets", with(f, "Upgrade", "websockets"), "GET", 1, e::not_websocket, 426},
      {"no Connection", without(f, "Connection"), "GET", 1, e::missing_connection_upgrade, 400},
      {"Connection: keep-alive", with(f, "Connection", "keep-alive"), "GET", 1, e::missing_connection_upgrade, 400},
      {"Connection: upgraded", with(f, "Connection", "upgraded"), "GET", 1, e::missing_connection_upgrade, 400},
      {"no key", without(f, "Sec-WebSocket-Key"), "GET", 1, e::missing_key, 400},
      {"empty key", with(f, "Sec-WebSocket-Key", ""), "GET", 1, e::bad_key, 400},
      {"key of 15 bytes", with(f, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j"), "GET", 1, e::bad_key, 400},
      {"key of 17 bytes", with(f, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZWU="), "GET", 1, e::bad_key, 400},
      {"key with a bad character", with(f, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZ*=="), "GET", 1, e::bad_key, 400},
      {"key without padding", with(f, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ"), "GET", 1, e::bad_key, 400},
      {"key twice", plus(f, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), "GET", 1, e::bad_key, 400},
      {"no version", without(f, "Sec-WebSocket-Version"), "GET", 1, e::missing_version, 426},
      {"version 8", with(f, "Sec-WebSocket-Version", "8"), "GET", 1, e::unsupported_version, 426},
      {"version 13 twice", plus(f, "Sec-WebSocket-Version", "13"), "GET", 1, e::unsupported_version, 426},
      {"version list", with(f, "Sec-WebSocket-Version", "13, 8"), "GET", 1, e::unsupported_version, 426},
      {"version 013", with(f, "Sec-WebSocket-Version", "013"), "GET", 1, e::unsupported_version, 426},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      const auto ec = check(r.fields, r.method, r.minor);
      BOOST_TEST((ec == r.error), ec.message());
      BOOST_TEST((ec.category() == actorhost::codec::websocket_handshake_category()));
      BOOST_TEST(!ec.message().empty());
      BOOST_TEST(websocket_handshake_status(ec) == r.status);
    }
  }
  BOOST_TEST(websocket_handshake_status(std::make_error_code(std::errc::invalid_argument)) == 400);
}

BOOST_AUTO_TEST_CASE(key_shapes) {
  BOOST_TEST(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
  BOOST_TEST(valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  BOOST_TEST(valid_websocket_key("++++//////////////////=="));
  BOOST_TEST(!valid_websocket_key(""));
  BOOST_TEST(!valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=")); // 23 characters
  BOOST_TEST(!valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=x"));
  BOOST_TEST(!valid_websocket_key("dGhlIHNhbXBsZSBub25jZ==="));
  BOOST_TEST(!valid_websocket_key("dGhlIHNhbXBsZSBub25jZ-_=")); // base64url is not base64
  BOOST_TEST(!valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ==="));
}

BOOST_AUTO_TEST_CASE(subprotocol_lists) {
  struct row {
    const char* name;
    std::vector<header_field> fields;
    std::vector<std::string> protocols;
  };
  const std::vector<row> rows = {
      {"none", {{"Host", "x"}}, {}},
      {"one", {{"Sec-WebSocket-Protocol", "chat"}}, {"chat"}},
      {"list with odd spacing", {{"Sec-WebSocket-Protocol", "  a,b ,\tc\t, d"}}, {"a", "b", "c", "d"}},
      {"empty elements dropped", {{"Sec-WebSocket-Protocol", ", a,, ,b,"}}, {"a", "b"}},
      {"empty value", {{"Sec-WebSocket-Protocol", ""}}, {}},
      {"repeated fields in order",
       {{"sec-websocket-protocol", "query.%7B%22a%22%3A1%7D, encoding.json"},
        {"Other", "z"},
        {"SEC-WEBSOCKET-PROTOCOL", "rivetkit"}},
       {"query.%7B%22a%22%3A1%7D", "encoding.json", "rivetkit"}},
      {"case kept", {{"Sec-WebSocket-Protocol", "Chat, CHAT"}}, {"Chat", "CHAT"}},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      BOOST_TEST(parse_websocket_protocols(r.fields) == r.protocols, boost::test_tools::per_element());
    }
  }
}

// A request parsed by http_parser, whole and split at every offset, passes the check.
BOOST_AUTO_TEST_CASE(request_head_from_http_parser) {
  const std::string bytes =
      "GET /registry/actors/counter/ws/chat HTTP/1.1\r\n"
      "Host: localhost:8080\r\n"
      "Connection: keep-alive, Upgrade\r\n"
      "Upgrade: websocket\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Protocol: rivetkit, encoding.json\r\n"
      "Sec-WebSocket-Protocol: conn_params.x\r\n"
      "\r\n";
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    BOOST_TEST_CONTEXT("split at " << split) {
      http_parser p;
      const std::string_view parts[] = {std::string_view(bytes).substr(0, split), std::string_view(bytes).substr(split)};
      bool head = false;
      for (const auto part : parts) {
        const auto r = p.feed(part);
        BOOST_REQUIRE((r.what != http_parser::event::error));
        if (r.what == http_parser::event::head_complete) head = true;
      }
      BOOST_REQUIRE(head);
      BOOST_TEST(p.head().upgrade);
      websocket_upgrade out;
      const auto ec = check_websocket_upgrade(p.head(), out);
      BOOST_TEST(!ec, ec.message());
      BOOST_TEST(out.key == "dGhlIHNhbXBsZSBub25jZQ==");
      BOOST_TEST(out.protocols == (std::vector<std::string>{"rivetkit", "encoding.json", "conn_params.x"}),
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
