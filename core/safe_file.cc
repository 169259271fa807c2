// core/safe_file.cc
#include "core/safe_file.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace kamatama {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {
Status Errno(std::string_view what, std::string_view name) {
  return Status::IoError(fmt::format("{} {}: {}", what, name, std::strerror(errno)));
}

bool OneComponent(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

Status CheckRegular(int fd, std::string_view name) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return Errno("cannot stat", name);
  if (!S_ISREG(st.st_mode)) return Status::IoError(fmt::format("{} is not a regular file: refused", name));
  if (st.st_nlink != 1)
    return Status::IoError(fmt::format("{} has {} hard links: refused (a planted link?)", name, st.st_nlink));
  if (st.st_uid != ::geteuid())
    return Status::IoError(fmt::format("{} belongs to uid {}, not to uid {} running kamatama: refused", name, st.st_uid,
                                       ::geteuid()));
  return Status::OK();
}
}  // namespace

Status OpenDir(const std::string& dir, UniqueFd* out) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open directory", dir);
  *out = UniqueFd(fd);
  return Status::OK();
}

Status OpenInDir(int dirfd, std::string_view name, int flags, mode_t mode, UniqueFd* out) {
  if (!OneComponent(name)) return Status::InvalidArgument(fmt::format("bad file name '{}'", name));
  std::string n(name);
  // O_NONBLOCK: a FIFO planted under the name must not hang the open; cleared below.
  int fd = ::openat(dirfd, n.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(fmt::format("{} does not exist", name));
    if (errno == ELOOP) return Status::IoError(fmt::format("{} is a symbolic link: refused", name));
    return Errno("cannot open", name);
  }
  UniqueFd f(fd);
  if (Status s = CheckRegular(fd, name); !s.ok()) return s;
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  if ((flags & O_CREAT) && ::fchmod(fd, mode) != 0) return Errno("cannot set the mode of", name);
  *out = std::move(f);
  return Status::OK();
}

Status WriteFileAtomic(int dirfd, std::string_view name, std::string_view body, mode_t mode) {
  if (!OneComponent(name)) return Status::InvalidArgument(fmt::format("bad file name '{}'", name));
  std::string tmp = std::string(name) + ".tmp";
  // Whatever is there (a crash's leftover, a planted link) is removed, never opened.
  if (::unlinkat(dirfd, tmp.c_str(), 0) != 0 && errno != ENOENT) return Errno("cannot remove", tmp);
  int fd = ::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", tmp);
  UniqueFd f(fd);
  if (::fchmod(fd, mode) != 0) return Errno("cannot set the mode of", tmp);
  size_t off = 0;
  while (off < body.size()) {
    ssize_t n = ::write(fd, body.data() + off, body.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write", tmp);
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Errno("cannot sync", tmp);
  if (::close(f.release()) != 0) return Errno("cannot close", tmp);
  if (::renameat(dirfd, tmp.c_str(), dirfd, std::string(name).c_str()) != 0) return Errno("cannot rename", tmp);
  ::fsync(dirfd);
  return Status::OK();
}

Status ReadFileInDir(int dirfd, std::string_view name, std::string* out) {
  UniqueFd f;
  if (Status s = OpenInDir(dirfd, name, O_RDONLY, 0, &f); !s.ok()) return s;
  out->clear();
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", name);
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  return Status::OK();
}

Status DropToOwnerOf(const std::string& dir, bool* dropped) {
  if (dropped) *dropped = false;
  if (::geteuid() != 0) return Status::OK();
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();  // created by this command, as root
    return Errno("cannot stat", dir);
  }
  if (st.st_uid == 0) return Status::OK();
  if (::setgroups(0, nullptr) != 0 || ::setgid(st.st_gid) != 0 || ::setuid(st.st_uid) != 0)
    return Errno("cannot become the owner of", dir);
  if (::setuid(0) == 0) return Status::IoError("dropping root for " + dir + " did not hold");
  if (dropped) *dropped = true;
  return Status::OK();
}

std::string EscapeControl(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out.push_back(ch);
  }
  return out;
}

}  // namespace kamatama
