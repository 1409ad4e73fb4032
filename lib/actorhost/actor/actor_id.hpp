// actor_id: the deterministic id of an actor, from its name and key (SPEC §2).
//
// id = the first 8 bytes of sha256(JSON.stringify([name, key])) as 16 lowercase hex digits,
// as RivetKit's file-system driver computes it, so that any router in front of several hosts
// derives the same id for the same actor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace actorhost {

std::string make_actor_id(std::string_view name, std::span<const std::string> key);

// Whether `id` has the form of an actor id.
bool valid_actor_id(std::string_view id) noexcept;

// A stable 64-bit number from a valid id (its hex value), used to place the actor.
std::uint64_t actor_id_hash(std::string_view id) noexcept;

} // namespace actorhost
