// server/library_kinds.h
//! What a saved search and a dashboard are (issue 25): the fields each kind takes, their limits,
//! and the check that turns a request's JSON object into the stored body (a JSON object of the
//! known fields only, in a fixed order) or a clear reason for a 400. Pure functions; the queries
//! are checked by the caller's `QueryCheck` (the search API's parser and limits).
//! See docs/dashboards.md for the formats.
#pragma once

#include <simdjson.h>

#include <functional>
#include <string>
#include <string_view>

namespace kamatama::server {

//! Most saved searches and dashboards kept (each kind), most panels on a dashboard, longest name,
//! description, column name, panel options: small objects a person makes by hand.
inline constexpr size_t kMaxSavedSearches = 5000;
inline constexpr size_t kMaxDashboards = 1000;
inline constexpr size_t kMaxPanels = 32;
inline constexpr size_t kMaxColumns = 64;
inline constexpr size_t kMaxNameBytes = 128;
inline constexpr size_t kMaxDescriptionBytes = 2048;
inline constexpr size_t kMaxColumnBytes = 256;
inline constexpr size_t kMaxPanelOptionsBytes = 4096;
//! The dashboard grid: 12 columns; a panel is 1-12 wide, 1-12 rows high, placed at x 0-11, y 0-999.
inline constexpr int kGridColumns = 12;

//! Checks a query as the search API would: "" when it parses, else the error with its position.
//! With `filter_only`, pipes are refused too (a dashboard's filter is put before each panel's).
using QueryCheck = std::function<std::string(const std::string& query, bool filter_only)>;

//! Checks one kind's object and writes the stored body to *out; the reason it is refused, or "".
//! `in` holds the kind's fields only (the owner fields "id", "owner", "shared", ... are taken out
//! by the caller).
using KindCheck = std::function<std::string(simdjson::dom::object in, const QueryCheck& check_query, std::string* out)>;

struct LibraryKind {
  const char* path;        //!< "/api/v1/saved-searches"
  const char* noun;        //!< "saved search", in messages
  const char* audit_name;  //!< audit actions <audit_name>.create/.update/.delete
  const char* name_field;  //!< the field that names one: "name" or "title"
  size_t max_objects;
  KindCheck check;
};

//! {"name", "description", "query", "from", "to", "columns"}: name and query required; from and
//! to as the search API takes them (default -24h and now); columns: field names to show.
const LibraryKind& SavedSearchKind();
//! {"title", "description", "from", "to", "filter", "refresh", "panels": [{"title", "query",
//! "type", "options", "x", "y", "w", "h"}]}: type one of timechart, bar, table, number, events;
//! filter: a filter (no pipes) the UI ANDs to every panel; refresh: seconds (0: off, 10-86400).
const LibraryKind& DashboardKind();

//! {"name", "description", "saved_search", "every" | "at", "enabled", "action", ...} (issue 25,
//! server/scheduler.h): a saved search run on a schedule, every duration or at HH:MM UTC, that
//! raises an alert (action "alert": "condition" count with "threshold", or new_value with
//! "field"; "level") or sends a report (action "report": "target", a notification target;
//! "max_rows"), at most "rate_limit" alerts or reports an hour (0: no limit).
const LibraryKind& ScheduleKind();
//! Most schedules kept, most rows in a report.
inline constexpr size_t kMaxSchedules = 200;
inline constexpr size_t kMaxReportRows = 1000;
//! Minutes after midnight of "HH:MM", or -1 when it is not one.
int ScheduleTimeOfDay(std::string_view hhmm);

//! The "format" value of an exported dashboard (GET .../ID/export, POST .../import).
inline constexpr const char* kDashboardFormat = "kamatama.dashboard.v1";

}  // namespace kamatama::server
