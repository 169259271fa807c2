// server/admin_routes.cc
#include "server/admin_routes.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"

namespace kamatama::server {

namespace {
// `p` is `dir` or lies inside it (both canonical).
bool Inside(const std::filesystem::path& p, const std::filesystem::path& dir) {
  auto pi = p.begin(), di = dir.begin();
  for (; di != dir.end(); ++di, ++pi) {
    if (di->empty()) continue;  // a trailing separator
    if (pi == p.end() || *pi != *di) return false;
  }
  return true;
}
}  // namespace

std::string CheckBackupTarget(const std::string& to, const std::string& data_dir,
                              const std::vector<std::string>& allowed_dirs) {
  std::error_code ec;
  // The part that does not exist yet is created by the backup: none of it may be a link (a
  // dangling one would be followed when the directories are made).
  for (std::filesystem::path p = to; !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (std::filesystem::exists(p, ec)) break;
    if (std::filesystem::is_symlink(p, ec)) return p.string() + " is a dangling symbolic link";
  }
  // Symlinks of the part that exists are resolved, ".." removed: what the store will write to.
  std::filesystem::path target = std::filesystem::weakly_canonical(to, ec);
  if (ec) return "cannot resolve " + to + ": " + ec.message();
  std::filesystem::path data = std::filesystem::weakly_canonical(data_dir, ec);
  if (!ec && (Inside(target, data) || Inside(data, target)))
    return "a backup must not be written into the data directory (or a directory that holds it)";
  for (const auto& a : allowed_dirs) {
    std::filesystem::path dir = std::filesystem::weakly_canonical(a, ec);
    if (!ec && Inside(target, dir)) return "";
  }
  std::string list;
  for (const auto& a : allowed_dirs) list += (list.empty() ? "" : ", ") + a;
  return fmt::format("{} is not inside backup.allowed_dirs ({})", to, list.empty() ? "none" : list);
}

std::optional<Response> HandleAdminRoute(const Request& req, store::Store* store, const Config& cfg) {
  if (req.path.rfind("/api/v1/admin/", 0) != 0) return std::nullopt;
  if (req.path != "/api/v1/admin/backup") return JsonError(404, "no such admin endpoint");
  if (req.method != "POST") return JsonError(405, "use POST");
  auto it = req.params.find("to");
  if (it == req.params.end() || it->second.empty() || it->second[0] != '/')
    return JsonError(400, "give the backup directory on the server as an absolute path: ?to=/var/backups/kamatama");
  if (std::string why = CheckBackupTarget(it->second, cfg.storage.dir, cfg.backup.allowed_dirs); !why.empty())
    return JsonError(403, why);
  static Counter& ok = GetCounter("kamatama_backups_total", "result=\"ok\"", "Backups made, by result");
  static Counter& failed = GetCounter("kamatama_backups_total", "result=\"failed\"", "Backups made, by result");
  static Histogram& secs = GetHistogram("kamatama_backup_seconds", "", "Time to make one backup");
  int64_t t0 = NowNanos();
  store::Store::BackupInfo info;
  Status s = store->Backup(it->second, &info);
  double seconds = (NowNanos() - t0) / 1e9;
  if (!s.ok()) {
    failed.Add();
    fmt::print(stderr, "{} kamatama: backup to {} failed: {}\n", FormatRfc3339(NowNanos()), it->second, s.ToString());
    return JsonError(s.code() == Status::Code::kBusy ? 409 : 500, s.ToString());
  }
  ok.Add();
  secs.Observe(seconds);
  std::vector<store::Store::BackupInfo> all;
  (void)store::Store::ListBackups(it->second, &all);
  fmt::print(stderr, "{} kamatama: backup {} written to {} ({} file(s), {} bytes, {} state file(s), {:.2f} s)\n",
             FormatRfc3339(NowNanos()), info.id, it->second, info.files, info.bytes, info.state_files, seconds);
  Response r;
  r.body = fmt::format("{{\"backup_id\":{},\"dir\":", info.id);
  AppendJsonString(&r.body, it->second);
  r.body += fmt::format(",\"bytes\":{},\"files\":{},\"state_files\":{},\"state_bytes\":{},\"seconds\":{:.3f},\"backups\":{}}}",
                        info.bytes, info.files, info.state_files, info.state_bytes, seconds, all.size());
  return r;
}

}  // namespace kamatama::server
