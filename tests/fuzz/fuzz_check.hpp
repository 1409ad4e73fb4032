// fuzz_check: what every libFuzzer target here shares.
//
// FUZZ_CHECK aborts with the broken invariant, which libFuzzer reports as a crash and saves.
// fuzz_input splits an input into the control bytes the targets use (flags, then the stride
// at which the bytes are cut for the split run) and the protocol bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace actorhost::fuzz {

struct fuzz_input {
  std::uint8_t flags;
  std::size_t stride; // never 0
  std::string_view bytes;
};

// Nothing for inputs shorter than the two control bytes.
inline std::optional<fuzz_input> split_fuzz_input(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return std::nullopt;
  return fuzz_input{data[0], data[1] == 0 ? std::size_t{1} : data[1],
                    std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2)};
}

} // namespace actorhost::fuzz
