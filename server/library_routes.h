// server/library_routes.h
//! The saved-search and dashboard endpoints (issue 25), independent of the HTTP library; one
//! handler for both kinds (server/library_kinds.h says what each holds):
//!   GET    /api/v1/saved-searches            the ones the caller may read: {"items":[...],"total"}
//!   POST   /api/v1/saved-searches            create (analysts, admins): 201 with the object
//!   GET    /api/v1/saved-searches/ID         one
//!   PUT    /api/v1/saved-searches/ID         replace its fields ("shared" kept unless given)
//!   PATCH  /api/v1/saved-searches/ID         change the fields given
//!   DELETE /api/v1/saved-searches/ID
//! and the same under /api/v1/dashboards and /api/v1/schedules, plus
//!   GET    /api/v1/dashboards/ID/export      the dashboard as a file to import elsewhere
//!   POST   /api/v1/dashboards/import         create one from such a file (private unless "shared")
//! Who may do what: server/owned_store.h. Changes are audited (<kind>.create/.update/.delete).
//! A private object of another user answers 404, as if it did not exist. The shipped dashboards
//! are listed first and read like shared ones; changing or deleting one answers 403.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "server/http_types.h"
#include "server/library_kinds.h"
#include "server/owned_store.h"

namespace kamatama::server {

struct LibraryRoutes {
  OwnedObjectStore* saved_searches = nullptr;
  OwnedObjectStore* dashboards = nullptr;
  //! Read-only dashboards listed before the stored ones (server/shipped_dashboards.h); may be null.
  const std::vector<OwnedObject>* shipped_dashboards = nullptr;
  QueryCheck check_query;
  AuditFn audit;
  //! Schedules (issue 25, server/schedule_routes.h): the same endpoints under /api/v1/schedules.
  OwnedObjectStore* schedules = nullptr;
  //! Asked about every object a caller creates or changes, once its fields are checked: a
  //! refusal (403 or 400) or nullopt. Schedules check their saved search and target here.
  std::function<std::optional<Response>(const Principal& who, const LibraryKind& kind, const std::string& body)> authorize;
};

//! The response if the request is for one of these endpoints, else nullopt. Thread-safe.
std::optional<Response> HandleLibraryRoute(const Request& req, const LibraryRoutes& ctx);

}  // namespace kamatama::server
