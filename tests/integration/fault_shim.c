/* fault_shim: an LD_PRELOAD library for the integration tests, which puts faults of the disk
 * under a test's control without mounting anything. Each is switched by a file: the fault is on
 * while the file named by its variable exists.
 *
 *   ACTORHOST_SHIM_SYNC_GATE=path   fsync/fdatasync wait while `path` exists (a sync that
 *                                   takes as long as the test wants)
 *   ACTORHOST_SHIM_SYNC_LOG=path    every fsync/fdatasync appends one line to `path`
 *   ACTORHOST_SHIM_DISK_FULL=path   writes past the end of a file named data.mdb fail with
 *                                   ENOSPC while `path` exists (a full disk)
 *
 * Only the calls LMDB and the store make are wrapped: pwrite, pwritev, write, writev, fsync
 * and fdatasync. */
#define _GNU_SOURCE
#undef _FILE_OFFSET_BITS /* both pwrite and pwrite64 are defined here, each its own */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int switched_on(const char* variable) {
  const char* path = getenv(variable);
  struct stat st;
  return path != NULL && *path != '\0' && stat(path, &st) == 0;
}

static int is_data_file(int fd) {
  char link[64];
  char target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  const size_t len = (size_t)n;
  return len >= 8 && strcmp(target + len - 8, "data.mdb") == 0;
}

/* A full disk refuses only writes that need new blocks: past the end of the file. Rewriting
 * pages it already holds (LMDB's meta pages) still works, as on a real full filesystem. */
static int disk_full(int fd, long long offset, size_t count) {
  if (!switched_on("ACTORHOST_SHIM_DISK_FULL") || !is_data_file(fd)) return 0;
  struct stat st;
  if (fstat(fd, &st) != 0 || offset + (long long)count <= (long long)st.st_size) return 0;
  errno = ENOSPC;
  return 1;
}

static size_t iov_bytes(const struct iovec* iov, int iovcnt) {
  size_t n = 0;
  for (int i = 0; i < iovcnt; ++i) n += iov[i].iov_len;
  return n;
}

static void before_sync(void) {
  const char* log = getenv("ACTORHOST_SHIM_SYNC_LOG");
  if (log != NULL && *log != '\0') {
    const int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      static const char line[] = "sync\n";
      ssize_t ignored = write(fd, line, sizeof line - 1);
      (void)ignored;
      close(fd);
    }
  }
  const struct timespec pause = {0, 5 * 1000 * 1000};
  while (switched_on("ACTORHOST_SHIM_SYNC_GATE")) nanosleep(&pause, NULL);
}

typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void*, size_t, off64_t);
typedef ssize_t (*pwritev_fn)(int, const struct iovec*, int, off_t);
typedef ssize_t (*pwritev64_fn)(int, const struct iovec*, int, off64_t);
typedef int (*sync_fn)(int);
typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);

#define REAL(name, type) \
  static type real_##name; \
  if (real_##name == NULL) real_##name = (type)dlsym(RTLD_NEXT, #name)

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  REAL(pwrite, pwrite_fn);
  if (disk_full(fd, offset, count)) return -1;
  return real_pwrite(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  REAL(pwrite64, pwrite64_fn);
  if (disk_full(fd, offset, count)) return -1;
  return real_pwrite64(fd, buf, count, offset);
}

ssize_t pwritev(int fd, const struct iovec* iov, int iovcnt, off_t offset) {
  REAL(pwritev, pwritev_fn);
  if (disk_full(fd, offset, iov_bytes(iov, iovcnt))) return -1;
  return real_pwritev(fd, iov, iovcnt, offset);
}

ssize_t pwritev64(int fd, const struct iovec* iov, int iovcnt, off64_t offset) {
  REAL(pwritev64, pwritev64_fn);
  if (disk_full(fd, offset, iov_bytes(iov, iovcnt))) return -1;
  return real_pwritev64(fd, iov, iovcnt, offset);
}

/* LMDB writes a run of pages with lseek and writev, and the store's own lines with write: both
 * at the descriptor's current offset. */
ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  REAL(writev, writev_fn);
  if (switched_on("ACTORHOST_SHIM_DISK_FULL") && disk_full(fd, (long long)lseek(fd, 0, SEEK_CUR), iov_bytes(iov, iovcnt)))
    return -1;
  return real_writev(fd, iov, iovcnt);
}

ssize_t write(int fd, const void* buf, size_t count) {
  REAL(write, write_fn);
  if (switched_on("ACTORHOST_SHIM_DISK_FULL") && disk_full(fd, (long long)lseek(fd, 0, SEEK_CUR), count)) return -1;
  return real_write(fd, buf, count);
}

int fsync(int fd) {
  REAL(fsync, sync_fn);
  before_sync();
  return real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(fdatasync, sync_fn);
  before_sync();
  return real_fdatasync(fd);
}
