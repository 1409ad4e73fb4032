// temp_dir: a fresh directory for one test, removed with everything in it.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

namespace actorhost::testing {

// A fresh directory under the system's temp directory, removed with everything in it.
class temp_dir {
public:
  explicit temp_dir(std::string_view tag) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("actorhost-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

private:
  std::filesystem::path path_;
};

} // namespace actorhost::testing
