// tests/fsync_shim.cc: an LD_PRELOAD library that makes fsync/fdatasync fail with EIO, for the
// reliability test (issue 9, "the PostgreSQL fsync lesson"). Failing starts when the file named
// by KMT_FSYNC_FAIL_FILE exists, or after KMT_FSYNC_FAIL_AFTER successful calls; unset, it does
// nothing. Built by tests/CMakeLists.txt (kmt_fsync_shim).
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace {
std::atomic<long> calls{0};

bool ShouldFail() {
  const char* file = std::getenv("KMT_FSYNC_FAIL_FILE");
  if (file && ::access(file, F_OK) == 0) return true;
  const char* after = std::getenv("KMT_FSYNC_FAIL_AFTER");
  return after && calls.fetch_add(1) >= std::atol(after);
}

int Call(const char* name, int fd) {
  auto real = reinterpret_cast<int (*)(int)>(::dlsym(RTLD_NEXT, name));
  if (ShouldFail()) {
    errno = EIO;
    return -1;
  }
  return real ? real(fd) : -1;
}
}  // namespace

extern "C" int fsync(int fd) { return Call("fsync", fd); }
extern "C" int fdatasync(int fd) { return Call("fdatasync", fd); }
