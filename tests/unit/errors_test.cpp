// errors: every error a client sees is {"c","m","md"} JSON with the status of SPEC §3.
#include "actorhost/actor/errors.hpp"

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

#include <string>
#include <vector>

using actorhost::actor_error;
using actorhost::error_response;
namespace errors = actorhost::errors;

BOOST_AUTO_TEST_SUITE(errors_suite)

BOOST_AUTO_TEST_CASE(helpers_have_their_code_and_status) {
  struct row {
    actor_error e;
    std::string code;
    int status;
    std::string body;
  };
  const std::vector<row> rows = {
      {errors::invalid_request("bad"), "invalid_request", 400, R"({"c":"invalid_request","m":"bad","md":{}})"},
      {errors::invalid_query_json("not json"), "invalid_query_json", 400,
       R"({"c":"invalid_query_json","m":"not json","md":{}})"},
      {errors::invalid_params("p"), "invalid_params", 400, R"({"c":"invalid_params","m":"p","md":{}})"},
      {errors::actor_not_found("counter"), "actor_not_found", 404,
       R"({"c":"actor_not_found","m":"Actor not found: counter","md":{}})"},
      {errors::actor_already_exists("counter"), "actor_already_exists", 400,
       R"({"c":"actor_already_exists","m":"Actor already exists: counter","md":{}})"},
      {errors::fetch_handler_not_defined(), "fetch_handler_not_defined", 404,
       R"({"c":"fetch_handler_not_defined","m":"This actor has no onFetch handler","md":{}})"},
      {errors::invalid_fetch_response(), "invalid_fetch_response", 500,
       R"({"c":"invalid_fetch_response","m":"The actor's onFetch handler returned no response","md":{}})"},
      {errors::payload_too_large(), "payload_too_large", 413,
       R"({"c":"payload_too_large","m":"Request body too large","md":{}})"},
      {errors::not_found(), "not_found", 404, R"({"c":"not_found","m":"No route for this path","md":{}})"},
      {errors::internal_error(), "internal_error", 500, R"({"c":"internal_error","m":"Internal error","md":{}})"},
      {actorhost::unauthorized(), "unauthorized", 401, R"({"c":"unauthorized","m":"Unauthorized","md":{}})"},
      {actorhost::forbidden(), "forbidden", 403, R"({"c":"forbidden","m":"Forbidden","md":{}})"},
      {actorhost::unauthorized("token expired"), "unauthorized", 401,
       R"({"c":"unauthorized","m":"token expired","md":{}})"},
      {actorhost::user_error("quota_exceeded", "Too many", R"({"limit":5})"), "quota_exceeded", 400,
       R"({"c":"quota_exceeded","m":"Too many","md":{"limit":5}})"},
      {actorhost::user_error("x", "y", ""), "x", 400, R"({"c":"x","m":"y","md":{}})"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.code) {
      BOOST_TEST(r.e.code() == r.code);
      BOOST_TEST(r.e.status() == r.status);
      const auto res = error_response(r.e);
      BOOST_TEST(res.status() == r.status);
      BOOST_TEST(res.body() == r.body);
      BOOST_TEST(res.headers().first("content-type").value_or("") == "application/json");
      BOOST_TEST(!res.streaming());
    }
  }
}

BOOST_AUTO_TEST_CASE(message_and_code_are_escaped_like_json_stringify) {
  const actor_error e("my\"code", "line\nbreak \"quoted\" back\\slash \x01 caf\xc3\xa9 a/b", 418);
  const auto res = error_response(e);
  BOOST_TEST(res.status() == 418);
  BOOST_TEST(res.body() ==
             "{\"c\":\"my\\\"code\",\"m\":\"line\\nbreak \\\"quoted\\\" back\\\\slash \\u0001 caf\xc3\xa9 a/b\",\"md\":{}}");
  rapidjson::Document doc;
  doc.Parse(res.body().data(), res.body().size());
  BOOST_REQUIRE(!doc.HasParseError());
  BOOST_TEST(std::string(doc["c"].GetString()) == "my\"code");
  BOOST_TEST(std::string(doc["m"].GetString(), doc["m"].GetStringLength()) == std::string(e.message()));
  BOOST_TEST(doc["md"].IsObject());
}

BOOST_AUTO_TEST_CASE(actor_error_is_an_exception_with_its_message) {
  try {
    throw actorhost::forbidden("no entry");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()) == "no entry");
    const auto* ae = dynamic_cast<const actor_error*>(&e);
    BOOST_REQUIRE(ae != nullptr);
    BOOST_TEST(ae->message() == "no entry");
    BOOST_TEST(ae->metadata() == "{}");
  }
}

BOOST_AUTO_TEST_SUITE_END()
