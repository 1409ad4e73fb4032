// query_memo: parsed actor queries by the text they came in, one memo per worker.
//
// Clients send the same query header on every request of a connection (wrk, browsers,
// backends through a client), so remembering the parsed query, its id and its class saves a
// JSON parse and a SHA-256 per request. Only key-based queries are kept: their meaning is
// fixed by their text and the route's actor name. A memo is direct-mapped and bounded, and
// is touched only by its own worker's thread.
#pragma once

#include "actorhost/actor/definition.hpp"
#include "actorhost/actor/query.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace actorhost {

class query_memo {
public:
  struct hit {
    std::shared_ptr<const actor_query> query;
    const definition* def = nullptr;
  };

  // The remembered query for this route name and text, if any.
  const hit* find(std::string_view route_name, std::string_view text) const noexcept;
  void store(std::string_view route_name, std::string_view text, hit value);

private:
  static constexpr std::size_t slots = 256;
  struct entry {
    std::string route_name;
    std::string text;
    hit value;
  };
  static std::size_t slot_of(std::string_view route_name, std::string_view text) noexcept;
  std::array<entry, slots> entries_;
};

} // namespace actorhost
