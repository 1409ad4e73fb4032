#include "host_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace actorhost::testing {

namespace {

std::string binary_path() {
  const char* bin = std::getenv("ACTORHOST_BIN");
  if (bin == nullptr || *bin == '\0')
    throw std::runtime_error("ACTORHOST_BIN is not set: point it at the built actorhost binary");
  return bin;
}

// Our environment without ACTORHOST_* settings, so the host runs with its defaults plus its
// arguments.
std::vector<std::string> child_environment() {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "ACTORHOST_", 10) != 0) out.emplace_back(*e);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::system_error errno_error(const char* what) { return {errno, std::generic_category(), what}; }

} // namespace

host_process::host_process(std::vector<std::string> extra_args, std::chrono::milliseconds start_timeout) {
  std::random_device rd;
  data_dir_ = std::filesystem::temp_directory_path() /
              ("actorhost-client-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(data_dir_);

  std::vector<std::string> args = {binary_path(), "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir_.string(),
                                   "--threads", "2", "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto env = child_environment();
  auto argv = pointers(args);
  auto envp = pointers(env);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw errno_error("pipe2");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw errno_error("fork");
  }
  if (pid_ == 0) {
    // The child: only async-signal-safe calls until exec. A test run that dies takes its host
    // with it (SIGKILL when the parent goes).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], STDOUT_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  stdout_fd_ = out[0];

  // Read stdout line by line until the listening line, within the deadline.
  const auto deadline = std::chrono::steady_clock::now() + start_timeout;
  std::string seen;
  const std::string prefix = "listening on ";
  for (;;) {
    const auto newline = seen.find('\n');
    if (newline != std::string::npos) {
      const std::string line = seen.substr(0, newline);
      seen.erase(0, newline + 1);
      if (line.starts_with(prefix + "http://127.0.0.1:")) {
        url_ = line.substr(prefix.size());
        break;
      }
      continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{stdout_fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      stop();
      throw std::runtime_error("actorhost did not print its listening line in time; stdout so far: " + seen);
    }
    char buffer[4096];
    const auto n = ::read(stdout_fd_, buffer, sizeof buffer);
    if (n <= 0) {
      stop();
      throw std::runtime_error("actorhost exited before listening; stdout: " + seen);
    }
    seen.append(buffer, static_cast<std::size_t>(n));
  }

  drain_ = std::thread([fd = stdout_fd_] {
    char buffer[4096];
    while (::read(fd, buffer, sizeof buffer) > 0) {
    }
  });
}

int host_process::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (drain_.joinable()) drain_.join(); // the pipe ends with the process
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

host_process::~host_process() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(data_dir_, ignored);
}

} // namespace actorhost::testing
