// websocket_client_handshake: the client's checks of the server's answer (RFC 6455 §4.1), with
// the RFC's own key and accept value, and the key a client draws.
#include "actorhost/codec/websocket_client_handshake.hpp"
#include "actorhost/codec/websocket_handshake.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

using actorhost::codec::check_websocket_response;
using actorhost::codec::header_field;
using actorhost::codec::websocket_client_handshake_error;

namespace {

// §1.3's example.
const std::string rfc_key = "dGhlIHNhbXBsZSBub25jZQ==";
const std::string rfc_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::vector<header_field> good_fields() {
  return {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept}};
}

struct answer_vector {
  const char* name;
  int status;
  std::vector<header_field> fields;
  std::vector<std::string> offered;
  std::error_code expected;
  std::string protocol; // when accepted
};

const std::vector<answer_vector>& answers() {
  using e = websocket_client_handshake_error;
  static const std::vector<answer_vector> vectors = {
      {"the rfc's answer", 101, good_fields(), {}, {}, ""},
      {"tokens in any case, in lists", 101,
       {{"upgrade", "WebSocket"}, {"CONNECTION", "keep-alive, upgrade"}, {"sec-websocket-accept", " " + rfc_accept + " "}},
       {}, {}, ""},
      {"a chosen protocol that was offered", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept},
        {"Sec-WebSocket-Protocol", "rivetkit"}},
       {"query.x", "rivetkit", "mine"}, {}, "rivetkit"},
      {"no protocol chosen though some were offered", 101, good_fields(), {"rivetkit"}, {}, ""},
      {"not 101", 200, good_fields(), {}, e::not_switching_protocols, ""},
      {"404", 404, {}, {}, e::not_switching_protocols, ""},
      {"no upgrade field", 101, {{"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept}}, {}, e::not_websocket, ""},
      {"upgrade to something else", 101,
       {{"Upgrade", "h2c"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept}}, {}, e::not_websocket, ""},
      {"no connection upgrade", 101,
       {{"Upgrade", "websocket"}, {"Connection", "keep-alive"}, {"Sec-WebSocket-Accept", rfc_accept}}, {},
       e::missing_connection_upgrade, ""},
      {"no accept", 101, {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}, {}, e::bad_accept, ""},
      {"wrong accept", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}}, {},
       e::bad_accept, ""},
      {"accept in another case", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", "S3PPLMBITXAQ9KYGZZHZRBK+XOO="}}, {},
       e::bad_accept, ""},
      {"two accepts", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept},
        {"Sec-WebSocket-Accept", rfc_accept}},
       {}, e::bad_accept, ""},
      {"an extension nobody offered", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept},
        {"Sec-WebSocket-Extensions", "permessage-deflate"}},
       {}, e::unrequested_extension, ""},
      {"an empty extensions field is none", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept},
        {"Sec-WebSocket-Extensions", " , "}},
       {}, {}, ""},
      {"a protocol that was not offered", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept},
        {"Sec-WebSocket-Protocol", "chat"}},
       {"rivetkit"}, e::unrequested_protocol, ""},
      {"a protocol when none was offered", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept},
        {"Sec-WebSocket-Protocol", "rivetkit"}},
       {}, e::unrequested_protocol, ""},
      {"two protocols", 101,
       {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", rfc_accept},
        {"Sec-WebSocket-Protocol", "rivetkit, mine"}},
       {"rivetkit", "mine"}, e::unrequested_protocol, ""},
  };
  return vectors;
}

} // namespace

BOOST_AUTO_TEST_SUITE(websocket_client_handshake_suite)

BOOST_AUTO_TEST_CASE(answers_are_checked_as_section_4_1_says) {
  for (const auto& v : answers()) {
    BOOST_TEST_CONTEXT(v.name) {
      std::string protocol = "unset";
      const auto ec = check_websocket_response(v.status, v.fields, rfc_key, v.offered, protocol);
      BOOST_TEST_INFO("got: " << ec.message());
      BOOST_TEST(ec == v.expected);
      if (!ec) BOOST_TEST(protocol == v.protocol);
    }
  }
}

BOOST_AUTO_TEST_CASE(keys_are_fresh_base64_of_16_bytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) {
    const auto key = actorhost::codec::make_websocket_key();
    BOOST_TEST(actorhost::codec::valid_websocket_key(key));
    seen.insert(key);
  }
  BOOST_TEST(seen.size() == 64u);
}

BOOST_AUTO_TEST_CASE(a_drawn_key_is_accepted_with_its_own_accept_value) {
  const auto key = actorhost::codec::make_websocket_key();
  const std::vector<header_field> fields = {
      {"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", actorhost::codec::websocket_accept(key)}};
  std::string protocol;
  BOOST_TEST(!check_websocket_response(101, fields, key, {}, protocol));
  BOOST_TEST(check_websocket_response(101, fields, rfc_key, {}, protocol) == websocket_client_handshake_error::bad_accept);
}

BOOST_AUTO_TEST_SUITE_END()
