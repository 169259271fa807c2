// server/alerts_routes.h
//! The alert and rule endpoints (issue 21), independent of the HTTP library:
//!   GET   /api/v1/alerts?from=&to=&level=&status=&rule=&host=&limit=  records, newest first, and
//!         counts by level, status and rule over the whole filtered set
//!   GET   /api/v1/alerts/ID          one record
//!   PATCH /api/v1/alerts/ID          {"status","assignee","comment"} (audited: alert.update)
//!   GET   /api/v1/rules              loaded rules (tuning, hits, cap) and the files not loaded
//!   GET   /api/v1/rules/ID           one rule with its YAML
//!   PATCH /api/v1/rules/ID           {"enabled","level","exclusions","add_exclusion",
//!                                     "logsource_exclusions"} (audited: rule.update)
//!   GET   /api/v1/rules/coverage?days=N  which rules no source sending in the last N days can feed
//! The route table (server/auth.cc) decides who may call them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/alert_store.h"
#include "server/http_types.h"
#include "server/coverage.h"
#include "server/detection.h"

namespace kamatama::server {

struct AlertRoutes {
  AlertStore* alerts = nullptr;
  const LiveDetection* detection = nullptr;
  //! Writes an audit event for the request; false when it could not be queued.
  std::function<bool(std::string_view action, std::string_view outcome,
                     const std::vector<std::pair<std::string, std::string>>& extra)>
      audit;
  //! The source combinations stored since a time (for coverage); null: unknown.
  std::function<std::vector<SeenSource>(int64_t since_ns)> seen_sources;
};

//! The response if the request is for one of these endpoints, else nullopt. Thread-safe.
std::optional<Response> HandleAlertRoute(const Request& req, const AlertRoutes& ctx);

}  // namespace kamatama::server
