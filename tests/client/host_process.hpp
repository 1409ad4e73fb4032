// host_process: the real actorhost binary (ACTORHOST_BIN) on 127.0.0.1 with an ephemeral port
// and a fresh data directory, for the client tests.
//
// The constructor starts it and waits (within a deadline, never a sleep) for its one stdout
// line `listening on http://127.0.0.1:PORT`; a thread then drains its stdout so that its log
// can never fill the pipe. stop() sends SIGTERM and returns the exit status; the destructor
// stops a host still running and removes its data directory. Should the test process die
// first, the kernel kills the host (PR_SET_PDEATHSIG), so no host outlives its test run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace actorhost::testing {

class host_process {
public:
  explicit host_process(std::vector<std::string> extra_args = {},
                        std::chrono::milliseconds start_timeout = std::chrono::seconds(15));
  ~host_process();
  host_process(const host_process&) = delete;
  host_process& operator=(const host_process&) = delete;

  // "http://127.0.0.1:PORT"
  const std::string& url() const noexcept { return url_; }
  // SIGTERM, then waits for the process: its exit code, or 128 + the signal that ended it.
  int stop();

private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::thread drain_;
  std::filesystem::path data_dir_;
  std::string url_;
};

} // namespace actorhost::testing
