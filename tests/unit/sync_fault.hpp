// break_sync: makes an lmdb_store's syncs fail from now on, as a disk that cannot write back
// would, for the fault tests of the store and the group committer.
//
// The store syncs through a descriptor of its own for data.mdb, the only read-only one this
// process holds on that file (LMDB's are opened for writing). break_sync puts a pipe in its
// place, and fdatasync on a pipe fails (EINVAL).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace actorhost::testing {

// False when no such descriptor was found.
inline bool break_sync(const std::filesystem::path& store_dir) {
  namespace fs = std::filesystem;
  const auto data = fs::canonical(store_dir / "data.mdb");
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = fs::read_symlink(entry.path(), ec);
    if (ec || target != data) continue;
    const int fd = std::stoi(entry.path().filename().string());
    if ((::fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY) continue;
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return false;
    const bool replaced = ::dup2(pipe_fds[0], fd) == fd;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return replaced;
  }
  return false;
}

} // namespace actorhost::testing
