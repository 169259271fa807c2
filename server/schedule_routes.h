// server/schedule_routes.h
//! The scheduled-search endpoints beyond create/read/update/delete (issue 25), independent of
//! the HTTP library:
//!   GET  /api/v1/schedules/ID/runs   {"id","running","next_run","runs":[...]} newest first
//!   POST /api/v1/schedules/ID/run    run now over the window ending now: 202 (409 if running)
//! /api/v1/schedules itself (list, create, read, PUT, PATCH, DELETE) is served by
//! server/library_routes.h, with the same permissions as saved searches (server/owned_store.h),
//! and AuthorizeSchedule as its extra check: the saved search must be one the caller may read;
//! only administrators make a schedule send to a notification target (as only they set the
//! targets), and the target must exist; `every` at least schedules.min_interval; a schedule
//! runs as its owner, so a token (not a user) cannot own one.
#pragma once

#include <optional>

#include "server/http_types.h"
#include "server/owned_store.h"

namespace kamatama::server {

class Notifier;
class Scheduler;

struct ScheduleRoutes {
  OwnedObjectStore* schedules = nullptr;
  OwnedObjectStore* saved_searches = nullptr;
  Scheduler* scheduler = nullptr;
  Notifier* notifier = nullptr;
  AuditFn audit;
};

//! The response if the request is for one of the endpoints above, else nullopt. Thread-safe.
std::optional<Response> HandleScheduleRoute(const Request& req, const ScheduleRoutes& ctx);
//! The check of a schedule's stored body for `who` (LibraryRoutes::authorize): a refusal or nullopt.
std::optional<Response> AuthorizeSchedule(const Principal& who, const std::string& body, const ScheduleRoutes& ctx);

}  // namespace kamatama::server
