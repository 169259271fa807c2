// core/safe_file.h
//! Files in a directory that someone else may also write to (the data directory, owned by the
//! service account, touched by commands an operator runs as root). Every file is reached through
//! the directory's descriptor with O_NOFOLLOW, checked to be a regular file with one link owned
//! by the effective user, and changed with fchmod, never chmod (issue 19: a symlink or hard link
//! planted by the directory's owner must not make a root-run command touch another file).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/status.h"

namespace kamatama {

//! An open descriptor, closed by the destructor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_ = -1;
};

//! Opens a directory (which may itself be reached through a symlink an administrator made).
Status OpenDir(const std::string& dir, UniqueFd* out);

//! Opens `name` (one path component) in `dirfd` with O_NOFOLLOW|O_CLOEXEC added to `flags`;
//! the file must be a regular file with one link, owned by the effective user. With O_CREAT the
//! mode applies to a new file (and is set with fchmod on an existing one). A missing file without
//! O_CREAT answers NotFound.
Status OpenInDir(int dirfd, std::string_view name, int flags, mode_t mode, UniqueFd* out);

//! Replaces `name` in `dirfd` with `body` atomically: a fresh temporary file (O_EXCL, a stale one
//! or anything planted there is unlinked first, never followed), fsync, rename, fsync of the
//! directory. The new file has `mode`.
Status WriteFileAtomic(int dirfd, std::string_view name, std::string_view body, mode_t mode);

//! Reads the whole of `name` in `dirfd` (checked as OpenInDir does). NotFound when missing.
Status ReadFileInDir(int dirfd, std::string_view name, std::string* out);

//! A command run as root on a data directory owned by another account becomes that account
//! (groups, gid, uid; irrevocably) before it touches anything there, so nothing it writes can be
//! redirected to a file only root may change. Does nothing when not root or when root owns the
//! directory. *dropped says whether it changed identity.
Status DropToOwnerOf(const std::string& dir, bool* dropped = nullptr);

//! `s` with control characters (newline, carriage return, escape, ...) and DEL written as \xNN,
//! for kamatama's own log lines: a value from a request must not forge a second line.
std::string EscapeControl(std::string_view s);

}  // namespace kamatama
