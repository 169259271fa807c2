// server/admin_routes.cc
#include "server/admin_routes.h"

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"

namespace kamatama::server {

std::optional<Response> HandleAdminRoute(const Request& req, store::Store* store) {
  if (req.path.rfind("/api/v1/admin/", 0) != 0) return std::nullopt;
  if (req.path != "/api/v1/admin/backup") return JsonError(404, "no such admin endpoint");
  if (req.method != "POST") return JsonError(405, "use POST");
  auto it = req.params.find("to");
  if (it == req.params.end() || it->second.empty() || it->second[0] != '/')
    return JsonError(400, "give the backup directory on the server as an absolute path: ?to=/var/backups/kamatama");
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
  fmt::print(stderr, "{} kamatama: backup {} written to {} ({} file(s), {} bytes, {:.2f} s)\n",
             FormatRfc3339(NowNanos()), info.id, it->second, info.files, info.bytes, seconds);
  Response r;
  r.body = fmt::format("{{\"backup_id\":{},\"dir\":", info.id);
  AppendJsonString(&r.body, it->second);
  r.body += fmt::format(",\"bytes\":{},\"files\":{},\"seconds\":{:.3f},\"backups\":{}}}", info.bytes, info.files,
                        seconds, all.size());
  return r;
}

}  // namespace kamatama::server
