// The client's wire forms, without sockets: endpoint URLs, query JSON, route targets and
// WebSocket subprotocols (SPEC §2, §3), request serialization (checked by parsing it again
// with the server's own parser) and the decoding of {"c","m","md"} error bodies.
#include "actorhost/client/actor_error_response.hpp"
#include "actorhost/client/actor_query.hpp"
#include "actorhost/client/endpoint.hpp"
#include "actorhost/client/outgoing_request.hpp"
#include "actorhost/client/routes.hpp"
#include "actorhost/codec/http_parser.hpp"
#include "actorhost/codec/uri.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace client = actorhost::client;

BOOST_AUTO_TEST_SUITE(client_wire_suite)

BOOST_AUTO_TEST_CASE(endpoints_parse) {
  struct vector {
    std::string url, host, port, host_header, base;
  };
  const std::vector<vector> vectors = {
      {"http://127.0.0.1:8080", "127.0.0.1", "8080", "127.0.0.1:8080", "/registry"},
      {"http://127.0.0.1:8080/", "127.0.0.1", "8080", "127.0.0.1:8080", "/registry"},
      {"HTTP://Example.com", "Example.com", "80", "Example.com", "/registry"},
      {"http://[::1]:9000/registry/", "::1", "9000", "[::1]:9000", "/registry"},
      {"http://[::1]", "::1", "80", "[::1]", "/registry"},
      {"http://gateway/actorhost", "gateway", "80", "gateway", "/actorhost/registry"},
      {"http://gateway/a/registry", "gateway", "80", "gateway", "/a/registry"},
  };
  for (const auto& v : vectors) {
    BOOST_TEST_CONTEXT(v.url) {
      const auto ep = client::parse_endpoint(v.url);
      BOOST_TEST(ep.host == v.host);
      BOOST_TEST(ep.port == v.port);
      BOOST_TEST(ep.host_header == v.host_header);
      BOOST_TEST(ep.base_path == v.base);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_endpoints_are_refused) {
  for (const char* url : {"https://h", "ftp://h", "h:80", "http://", "http://u:p@h", "http://h:0", "http://h:65536",
                          "http://h:", "http://h:8x", "http://h/p?q=1", "http://h/#f", "http://[::1", "http://[::1]x",
                          "http://:80"}) {
    BOOST_TEST_CONTEXT(url) { BOOST_CHECK_THROW(client::parse_endpoint(url), std::invalid_argument); }
  }
}

BOOST_AUTO_TEST_CASE(queries_are_written_as_json_stringify_writes_them) {
  using client::query_kind;
  BOOST_TEST(client::to_json({query_kind::get_for_key, "counter", {"a", "b"}, {}, std::nullopt}) ==
             R"({"getForKey":{"name":"counter","key":["a","b"]}})");
  BOOST_TEST(client::to_json({query_kind::get_for_key, "counter", {}, {}, std::nullopt}) ==
             R"({"getForKey":{"name":"counter","key":[]}})");
  BOOST_TEST(client::to_json({query_kind::get_or_create_for_key, "c", {"k"}, {}, std::nullopt}) ==
             R"({"getOrCreateForKey":{"name":"c","key":["k"]}})");
  BOOST_TEST(client::to_json({query_kind::get_or_create_for_key, "c", {"k"}, {}, "null"}) ==
             R"({"getOrCreateForKey":{"name":"c","key":["k"],"input":null}})");
  BOOST_TEST(client::to_json({query_kind::create, "c", {"k"}, {}, R"({"n":1})"}) ==
             R"({"create":{"name":"c","key":["k"],"input":{"n":1}}})");
  BOOST_TEST(client::to_json({query_kind::get_for_id, "c", {}, "0123456789abcdef", std::nullopt}) ==
             R"({"getForId":{"actorId":"0123456789abcdef"}})");
  // JSON.stringify escapes: quote, backslash, named controls, other controls as \u00xx;
  // '/' and UTF-8 as they are.
  BOOST_TEST(client::to_json({query_kind::get_for_key, "c", {"a\"b\\c\n\x01/\xc3\xa9"}, {}, std::nullopt}) ==
             "{\"getForKey\":{\"name\":\"c\",\"key\":[\"a\\\"b\\\\c\\n\\u0001/\xc3\xa9\"]}}");
}

BOOST_AUTO_TEST_CASE(only_create_is_unrepeatable) {
  using client::query_kind;
  BOOST_TEST(client::repeatable({query_kind::get_for_key, "c", {}, {}, std::nullopt}));
  BOOST_TEST(client::repeatable({query_kind::get_or_create_for_key, "c", {}, {}, std::nullopt}));
  BOOST_TEST(client::repeatable({query_kind::get_for_id, "c", {}, "x", std::nullopt}));
  BOOST_TEST(!client::repeatable({query_kind::create, "c", {}, {}, std::nullopt}));
}

BOOST_AUTO_TEST_CASE(json_is_made_compact_or_refused) {
  BOOST_TEST(client::compact_json(" { \"a\" : [ 1 , 2.5 , \"x y\" ] ,\n \"b\" : null } ", "t") ==
             R"({"a":[1,2.5,"x y"],"b":null})");
  BOOST_TEST(client::compact_json("\"line\\nbreak\"", "t") == R"("line\nbreak")");
  BOOST_CHECK_THROW(client::compact_json("{", "t"), std::invalid_argument);
  BOOST_CHECK_THROW(client::compact_json("", "t"), std::invalid_argument);
  BOOST_CHECK_THROW(client::compact_json("1 2", "t"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(targets_follow_the_routes) {
  BOOST_TEST(client::raw_http_target("/registry", "httpActor", "/api/hello") ==
             "/registry/actors/httpActor/raw/http/api/hello");
  BOOST_TEST(client::raw_http_target("/registry", "httpActor", "api/hello?x=1&y=%20") ==
             "/registry/actors/httpActor/raw/http/api/hello?x=1&y=%20");
  BOOST_TEST(client::raw_http_target("/registry", "my actor/é", "//a b#frag") ==
             "/registry/actors/my%20actor%2F%C3%A9/raw/http/a%20b");
  BOOST_TEST(client::raw_http_target("/registry", "a", "") == "/registry/actors/a/raw/http/");
  BOOST_TEST(client::raw_http_target("/registry", "a", "/") == "/registry/actors/a/raw/http/");
  BOOST_TEST(client::raw_http_target("/x/registry", "a", "/p") == "/x/registry/actors/a/raw/http/p");
  BOOST_TEST(client::websocket_target("/registry", "websocketActor", "/") == "/registry/actors/websocketActor/ws/");
  BOOST_TEST(client::websocket_target("/registry", "w", "/room/1?x=y") == "/registry/actors/w/ws/room/1?x=y");
  BOOST_TEST(client::resolve_target("/registry") == "/registry/actors/resolve");
  BOOST_TEST(client::action_target("/registry", "getStats") == "/registry/actors/actions/getStats");
  BOOST_TEST(client::action_target("/registry", "a/b c") == "/registry/actors/actions/a%2Fb%20c");
}

BOOST_AUTO_TEST_CASE(actor_paths_escape_what_no_target_may_hold) {
  BOOST_TEST(client::actor_path("/a\"<>\\^`{|}\x7f\x01\xff") == "a%22%3C%3E%5C%5E%60%7B%7C%7D%7F%01%FF");
  BOOST_TEST(client::actor_path("/keep/-._~!$&'()*+,;=:@%41?q=/?") == "keep/-._~!$&'()*+,;=:@%41?q=/?");
}

BOOST_AUTO_TEST_CASE(subprotocols_carry_query_and_params) {
  const std::string query = R"j({"getForKey":{"name":"w","key":["a (b)"]}})j";
  const std::vector<std::string> own = {"mine", "chat.v2"};
  const auto p = client::websocket_protocols(query, std::string(R"({"apiKey":"s"})"), own);
  BOOST_REQUIRE_EQUAL(p.size(), 6u);
  BOOST_TEST(p[0].starts_with("query."));
  BOOST_TEST(p[0].find('(') == std::string::npos);
  BOOST_TEST(actorhost::codec::decode_component(p[0].substr(6)).value_or("") == query);
  BOOST_TEST(p[1] == "encoding.json");
  BOOST_TEST(p[2] == "conn_params." + actorhost::codec::encode_component(R"({"apiKey":"s"})"));
  BOOST_TEST(p[3] == "rivetkit");
  BOOST_TEST(p[4] == "mine");
  BOOST_TEST(p[5] == "chat.v2");
  for (const auto& proto : p) BOOST_TEST(actorhost::http::valid_field_name(proto));

  const auto bare = client::websocket_protocols(query, std::nullopt, {});
  BOOST_REQUIRE_EQUAL(bare.size(), 3u);
  BOOST_TEST(bare[2] == "rivetkit");
}

BOOST_AUTO_TEST_CASE(own_subprotocols_must_be_tokens_and_not_reserved) {
  for (const std::string bad : {"two words", "a,b", "", "rivetkit", "query.x", "conn_params.y", "encoding.cbor"}) {
    BOOST_TEST_CONTEXT(bad) {
      const std::vector<std::string> own = {bad};
      BOOST_CHECK_THROW(client::websocket_protocols("{}", std::nullopt, own), std::invalid_argument);
    }
  }
}

BOOST_AUTO_TEST_CASE(requests_are_framed_by_the_client) {
  client::outgoing_request r;
  r.method = "POST";
  r.target = "/registry/actors/a/raw/http/echo?x=1";
  r.headers.append("Content-Type", "text/plain");
  r.headers.append("Host", "evil");
  r.headers.append("content-length", "999");
  r.headers.append("Transfer-Encoding", "chunked");
  r.headers.append("Connection", "close");
  r.headers.append("X-Two", "1");
  r.headers.append("X-Two", "2");
  r.body = std::string("a\0b", 3);
  std::string out;
  client::serialize_request(out, r, "127.0.0.1:8080");
  std::string expected = "POST /registry/actors/a/raw/http/echo?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                         "Content-Type: text/plain\r\nX-Two: 1\r\nX-Two: 2\r\nContent-Length: 3\r\n\r\n";
  expected += r.body;
  BOOST_TEST(out == expected);

  // The server's own parser reads it back as it was meant.
  actorhost::codec::http_parser parser;
  std::size_t pos = 0;
  actorhost::codec::http_parser::event what{};
  do {
    const auto res = parser.feed({out.data() + pos, out.size() - pos});
    pos += res.consumed;
    what = res.what;
  } while (what == actorhost::codec::http_parser::event::head_complete);
  BOOST_TEST((what == actorhost::codec::http_parser::event::message_complete));
  BOOST_TEST(parser.head().method == "POST");
  BOOST_TEST(parser.head().target == r.target);
  BOOST_TEST(parser.body() == r.body);
  BOOST_TEST(parser.head().keep_alive);
}

BOOST_AUTO_TEST_CASE(bodiless_requests) {
  client::outgoing_request get;
  get.target = "/";
  std::string out;
  client::serialize_request(out, get, "h");
  BOOST_TEST(out == "GET / HTTP/1.1\r\nHost: h\r\n\r\n");

  client::outgoing_request post;
  post.method = "POST";
  post.target = "/r";
  out.clear();
  client::serialize_request(out, post, "h");
  BOOST_TEST(out == "POST /r HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");

  client::outgoing_request upgrade;
  upgrade.target = "/ws/";
  upgrade.upgrade = true;
  upgrade.headers.append("Upgrade", "websocket");
  out.clear();
  client::serialize_request(out, upgrade, "h");
  BOOST_TEST(out == "GET /ws/ HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(bad_methods_and_targets_are_refused) {
  std::string out;
  client::outgoing_request r;
  r.target = "/";
  r.method = "GE T";
  BOOST_CHECK_THROW(client::serialize_request(out, r, "h"), std::invalid_argument);
  r.method = "";
  BOOST_CHECK_THROW(client::serialize_request(out, r, "h"), std::invalid_argument);
  r.method = "GET";
  for (const std::string& target : std::vector<std::string>{"", "/a b", "/a\r\nX: y", std::string("/\0", 2), "/\x7f"}) {
    r.target = target;
    BOOST_CHECK_THROW(client::serialize_request(out, r, "h"), std::invalid_argument);
  }
}

BOOST_AUTO_TEST_CASE(idempotent_methods) {
  client::outgoing_request r;
  for (const char* m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    r.method = m;
    BOOST_TEST(r.idempotent(), m);
  }
  for (const char* m : {"POST", "PATCH", "CONNECT"}) {
    r.method = m;
    BOOST_TEST(!r.idempotent(), m);
  }
}

BOOST_AUTO_TEST_CASE(error_bodies_decode) {
  auto res = actorhost::http::response::json(R"({"c":"actor_not_found","m":"Actor not found","md":{"id":"x"}})", 404);
  const auto e = client::decode_error_response(res);
  BOOST_TEST(e.code() == "actor_not_found");
  BOOST_TEST(e.message() == "Actor not found");
  BOOST_TEST(e.metadata_json() == R"({"id":"x"})");
  BOOST_TEST(e.metadata()["id"].GetString() == std::string("x"));
  BOOST_TEST(e.status() == 404);
  BOOST_TEST(std::string(e.what()).find("actor_not_found") != std::string::npos);

  const auto bare = client::decode_error_response(actorhost::http::response::json(R"({"c":"forbidden"})", 403));
  BOOST_TEST(bare.code() == "forbidden");
  BOOST_TEST(bare.message() == "");
  BOOST_TEST(bare.metadata_json() == "null");
  BOOST_TEST(bare.metadata().IsNull());

  const auto html = client::decode_error_response(actorhost::http::response("<h1>Bad gateway</h1>\n", 502));
  BOOST_TEST(html.code() == "unknown_error");
  BOOST_TEST(html.message() == "<h1>Bad gateway</h1> ");
  BOOST_TEST(html.status() == 502);

  BOOST_CHECK_NO_THROW(client::throw_if_error(actorhost::http::response("fine", 200)));
  BOOST_CHECK_THROW(client::throw_if_error(res), client::actor_error_response);
}

BOOST_AUTO_TEST_SUITE_END()
