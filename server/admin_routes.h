// server/admin_routes.h
//! Administration endpoints under /api/v1/admin/ (issue 10). Today: POST /api/v1/admin/backup.
//! These change or copy server state: they must be restricted to administrators (server/auth*).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/http_types.h"
#include "store/store.h"

namespace kamatama::server {

//! The response if the request is for an admin endpoint, else nullopt. Thread-safe.
//!   POST /api/v1/admin/backup?to=/abs/dir  → an incremental, consistent backup of the store into
//!   that directory (on the server's host), answered once it is complete:
//!   {"backup_id":N,"dir":"...","bytes":B,"files":F,"seconds":S,"backups":K}
//!   The directory must lie inside one of backup.allowed_dirs and outside the data directory
//!   (issue 19), else 403.
std::optional<Response> HandleAdminRoute(const Request& req, store::Store* store, const Config& cfg);
//! Why `to` may not receive a backup (empty: it may): resolved through symlinks and "..", it must
//! lie inside one of `allowed_dirs` and neither inside `data_dir` nor hold it.
std::string CheckBackupTarget(const std::string& to, const std::string& data_dir,
                              const std::vector<std::string>& allowed_dirs);

}  // namespace kamatama::server
