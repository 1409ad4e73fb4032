// authActor and lockedActor: onAuth at work (SPEC §4, §9).
//
// authActor admits callers whose conn params are {"apiKey":"secret"}: no apiKey is
// 400 missing_auth, a wrong one 403 forbidden; admitted callers get {"userId":"user123"}
// as auth data, which GET /api/whoami answers with. lockedActor has an onFetch but no
// onAuth, so every public request is refused with 403 forbidden.
#include "examples.hpp"

namespace examples {

namespace {

using actorhost::http::request;
using actorhost::http::response;

asio::awaitable<std::string> check_api_key(actorhost::auth_params p) {
  const auto& params = p.conn_params;
  if (!params.IsObject() || !params.HasMember("apiKey")) throw actorhost::user_error("missing_auth", "An apiKey is required");
  const auto& key = params["apiKey"];
  if (!key.IsString() || std::string_view(key.GetString(), key.GetStringLength()) != "secret")
    throw actorhost::forbidden("Invalid apiKey");
  co_return R"({"userId":"user123"})";
}

asio::awaitable<std::optional<response>> auth_fetch(actorhost::context<> ctx, request req) {
  if (req.url().pathname() == "/api/whoami") co_return response::json(ctx.auth());
  co_return response("Not Found", 404);
}

asio::awaitable<std::optional<response>> locked_fetch(actorhost::context<>, request) {
  co_return response("You should never see this", 200);
}

} // namespace

void add_auth_actors(actorhost::registry& reg) {
  reg.add(actorhost::actor<>{.name = "authActor", .on_auth = check_api_key, .on_fetch = auth_fetch});
  reg.add(actorhost::actor<>{.name = "lockedActor", .on_fetch = locked_fetch});
}

} // namespace examples
