// server/admin_routes.h
//! Administration endpoints under /api/v1/admin/ (issue 10). Today: POST /api/v1/admin/backup.
//! These change or copy server state: they must be restricted to administrators (server/auth*).
#pragma once

#include <optional>

#include "server/api.h"
#include "store/store.h"

namespace kamatama::server {

//! The response if the request is for an admin endpoint, else nullopt. Thread-safe.
//!   POST /api/v1/admin/backup?to=/abs/dir  → an incremental, consistent backup of the store into
//!   that directory (on the server's host), answered once it is complete:
//!   {"backup_id":N,"dir":"...","bytes":B,"files":F,"seconds":S,"backups":K}
std::optional<Response> HandleAdminRoute(const Request& req, store::Store* store);

}  // namespace kamatama::server
