// The example actors `actorhost` serves (SPEC §9): what the seed page's samples show.
#pragma once

#include "actorhost/actor/registry.hpp"
#include "actorhost/host/host.hpp"
#include "actorhost/host/server_client.hpp"

#include <optional>

namespace examples {

void add_http_actor(actorhost::registry& reg);   // httpActor
void add_hono_actor(actorhost::registry& reg);   // honoActor: the same through a path router, plus /users
void add_auth_actors(actorhost::registry& reg);  // authActor and lockedActor
void add_websocket_actor(actorhost::registry& reg); // websocketActor
void add_chat_room(actorhost::registry& reg);       // chatRoom: the demo page's actor

// The seed's forwarding routes (/forward/{key}/*, /ws/{key}) through the in-process client.
actorhost::user_routes forwarding_routes(actorhost::server_client& client);
// GET / (the demo page) and /client/actorhost-client.mjs; nullopt for anything else.
std::optional<actorhost::http::response> serve_demo(const actorhost::http::request& req);

inline void add_all(actorhost::registry& reg) {
  add_http_actor(reg);
  add_hono_actor(reg);
  add_auth_actors(reg);
  add_websocket_actor(reg);
  add_chat_room(reg);
}

} // namespace examples
