// The demo page at GET / (a chat room on chatRoom, app/demo/index.html) and the JavaScript
// client it imports (clients/js/), both built into the binary.
#include "examples.hpp"

namespace embedded {
extern const std::string_view demo_page;
extern const std::string_view js_client;
extern const std::string_view js_client_types;
} // namespace embedded

namespace examples {

std::optional<actorhost::http::response> serve_demo(const actorhost::http::request& req) {
  using actorhost::http::response;
  if (req.method() != "GET" && req.method() != "HEAD") return std::nullopt;
  const auto path = req.url().pathname();
  auto file = [](std::string_view body, std::string_view type) {
    return response(std::string(body), 200, {{"Content-Type", type}, {"Cache-Control", "no-cache"}});
  };
  if (path == "/" || path == "/index.html") return file(embedded::demo_page, "text/html; charset=utf-8");
  if (path == "/client/actorhost-client.mjs") return file(embedded::js_client, "text/javascript; charset=utf-8");
  if (path == "/client/actorhost-client.d.ts") return file(embedded::js_client_types, "text/plain; charset=utf-8");
  return std::nullopt;
}

} // namespace examples
