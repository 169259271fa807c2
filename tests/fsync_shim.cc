// tests/fsync_shim.cc: an LD_PRELOAD library that makes fsync/fdatasync fail with EIO, for the
// reliability test (issue 9, "the PostgreSQL fsync lesson"). Failing starts when the file named
// by KMT_FSYNC_FAIL_FILE exists, or after KMT_FSYNC_FAIL_AFTER successful calls; unset, it does
// nothing. Built by tests/CMakeLists.txt (kmt_fsync_shim).
// It can also make the disk slow instead of broken: while the file named by KMT_FSYNC_DELAY_FILE
// exists, every call first sleeps KMT_FSYNC_DELAY_MS (default 2000) milliseconds, so the store
// writer stalls and the ingest queue fills for real (the shipper test's backpressure case).
#include <dlfcn.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <thread>

namespace {
std::atomic<long> calls{0};

bool ShouldFail() {
  const char* file = std::getenv("KMT_FSYNC_FAIL_FILE");
  if (file && ::access(file, F_OK) == 0) return true;
  const char* after = std::getenv("KMT_FSYNC_FAIL_AFTER");
  return after && calls.fetch_add(1) >= std::atol(after);
}

void MaybeDelay() {
  const char* file = std::getenv("KMT_FSYNC_DELAY_FILE");
  if (!file || ::access(file, F_OK) != 0) return;
  const char* ms = std::getenv("KMT_FSYNC_DELAY_MS");
  std::this_thread::sleep_for(std::chrono::milliseconds(ms ? std::atol(ms) : 2000));
}

int Call(const char* name, int fd) {
  auto real = reinterpret_cast<int (*)(int)>(::dlsym(RTLD_NEXT, name));
  MaybeDelay();
  if (ShouldFail()) {
    errno = EIO;
    return -1;
  }
  return real ? real(fd) : -1;
}
}  // namespace

extern "C" int fsync(int fd) { return Call("fsync", fd); }
extern "C" int fdatasync(int fd) { return Call("fdatasync", fd); }
