// endpoint: where a client sends its requests, parsed from the URL it was created with.
//
// "http://127.0.0.1:8080" names the host itself; the actor routes are then under /registry
// (SPEC §3). A URL with a path names a mount point in front of the host, as a user's own
// router or a proxy has it: "http://gateway/actorhost" sends to /actorhost/registry/...,
// and a path that already ends in /registry ("http://h:8080/registry", as RivetKit's own
// clients are often given) is used as it is. Only plain http is spoken; https, user info and
// queries in the URL are refused with std::invalid_argument.
#pragma once

#include <string>
#include <string_view>

namespace actorhost::client {

struct endpoint {
  std::string host;        // name or address, without IPv6 brackets
  std::string port;        // decimal, "80" when the URL has none
  std::string host_header; // the Host field (RFC 9110 §7.2): host[:port] as the URL spelled it
  std::string base_path;   // where the routes start, e.g. "/registry"; no trailing '/'
};

endpoint parse_endpoint(std::string_view url);

} // namespace actorhost::client
