// What the client tests share: one actorhost for the whole run (a Boost.Test global fixture),
// fresh keys so that tests never meet each other's actors, and run(), which steps an
// io_context on the test thread until a test coroutine is done and every socket it opened has
// closed (bounded by a deadline, never a sleep).
#pragma once

#include "host_process.hpp"

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <string_view>

namespace actorhost::testing {

// The host every test talks to (started by the global fixture).
host_process& shared_host();

// A key no other test uses: "<tag>-<n>".
std::string fresh_key(std::string_view tag);

// `text` as JSON; fails the test when it is not.
inline rapidjson::Document parse(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << text);
  return doc;
}

// Runs `body` on `io` until it has finished and nothing else is left to do (open sockets
// closing), or `limit` has passed, which fails the test.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> body, std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto result = asio::co_spawn(io, std::move(body), asio::use_future);
  io.restart();
  io.run_for(limit);
  BOOST_REQUIRE_MESSAGE(result.wait_for(std::chrono::seconds(0)) == std::future_status::ready,
                        "the test coroutine did not finish within the deadline");
  BOOST_CHECK_MESSAGE(io.stopped(), "work was left on the io_context after the test coroutine ended");
  return result.get();
}

template <class T>
T run(asio::awaitable<T> body, std::chrono::seconds limit = std::chrono::seconds(60)) {
  asio::io_context io(1);
  return run(io, std::move(body), limit);
}

} // namespace actorhost::testing
