// store/state_files.cc: see state_files.h.
#include "store/state_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "core/safe_file.h"

namespace kamatama::store {
namespace {

constexpr std::string_view kSubdirs[] = {"", "intel"};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Join(const std::string& dir, std::string_view sub) {
  return sub.empty() ? dir : dir + "/" + std::string(sub);
}

// The state files of one directory, sorted (a missing directory has none).
std::vector<std::string> StateFilesIn(const std::string& dir, std::string_view sub) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (IsStateFile(sub, name) && it->is_regular_file(ec) && !it->is_symlink(ec)) names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::IoError(fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
  return Status::OK();
}

// Copies the state files of from/sub into to/sub (which exists).
Status CopyOne(const std::string& from, const std::string& to, std::string_view sub, StateCopy* out) {
  const std::string src = Join(from, sub), dst = Join(to, sub);
  std::vector<std::string> names = StateFilesIn(src, sub);
  if (names.empty()) return Status::OK();
  if (!sub.empty()) {
    if (Status st = MakeDir(dst); !st.ok()) return st;
  }
  UniqueFd in, outd;
  if (Status st = OpenDir(src, &in); !st.ok()) return st;
  if (Status st = OpenDir(dst, &outd); !st.ok()) return st;
  for (const std::string& name : names) {
    std::string body;
    Status s = ReadFileInDir(in.get(), name, &body);
    if (s.code() == Status::Code::kNotFound) continue;  // removed since it was listed
    if (!s.ok()) return Status::IoError(fmt::format("{}/{}: {}", src, name, s.ToString()));
    if (Status st = WriteFileAtomic(outd.get(), name, body, 0600); !st.ok()) return st;
    ++out->files;
    out->bytes += body.size();
  }
  return Status::OK();
}

}  // namespace

bool IsStateFile(std::string_view sub, std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  if (sub == "intel") return EndsWith(name, ".list");
  if (!sub.empty()) return false;
  return EndsWith(name, ".json") || name == "auth.db";
}

Status CopyStateOut(const std::string& data_dir, const std::string& to, StateCopy* out) {
  *out = {};
  std::error_code ec;
  const std::string partial = to + ".partial";
  std::filesystem::remove_all(partial, ec);  // a copy an earlier, interrupted backup left
  std::filesystem::create_directories(std::filesystem::path(to).parent_path(), ec);
  if (ec) return Status::IoError(fmt::format("cannot create {}: {}", std::filesystem::path(to).parent_path().string(), ec.message()));
  if (Status st = MakeDir(partial); !st.ok()) return st;
  for (std::string_view sub : kSubdirs) {
    if (Status st = CopyOne(data_dir, partial, sub, out); !st.ok()) return st;
  }
  std::filesystem::remove_all(to, ec);  // state of a backup id the engine has since reused
  if (::rename(partial.c_str(), to.c_str()) != 0)
    return Status::IoError(fmt::format("cannot rename {} to {}: {}", partial, to, std::strerror(errno)));
  return Status::OK();
}

Status CopyStateIn(const std::string& from, const std::string& data_dir, StateCopy* out) {
  *out = {};
  std::error_code ec;
  if (!std::filesystem::is_directory(std::filesystem::symlink_status(from, ec))) return Status::OK();
  for (std::string_view sub : kSubdirs) {
    if (Status st = CopyOne(from, data_dir, sub, out); !st.ok()) return st;
  }
  return Status::OK();
}

}  // namespace kamatama::store
