// server/schedule_run.h
//! One run of a scheduled search (issue 25, server/scheduler.h decides when): the saved search
//! over the window as its owner would run it (the search API's limits and visibility), then the
//! action. An alert schedule raises at most one alert per window, through the alert store (key:
//! the schedule and the window, so a window can never raise twice) and the notifier, like a
//! detection rule (rule.id "schedule-ID", rule.ruleset "schedule"). A report schedule sends the
//! result table to a notification target: an HTML e-mail with a CSV attachment, or the webhook's
//! JSON. Both count toward the schedule's hourly rate limit. No state of its own.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "parsers/parse.h"
#include "server/http_types.h"
#include "server/owned_store.h"
#include "server/schedule_state.h"

namespace kamatama::ingest {
class Pipeline;
}

namespace kamatama::server {

class AlertStore;
class Notifier;

//! A schedule's fields (server/library_kinds.h ScheduleKind) as the scheduler reads them.
struct ScheduleSpec {
  std::string id, owner, name, saved_search;
  int64_t every_ns = 0;  //!< "every"; 0 when "at"
  int at_minute = -1;    //!< "at": minutes after midnight UTC
  bool enabled = true;
  std::string action, condition = "count", field, level = "medium", target;
  int64_t threshold = 0;
  size_t max_rows = 100;
  int rate_limit = 12;  //!< alerts or reports an hour (0: no limit)

  //! The window's length: `every`, or a day.
  int64_t PeriodNs() const;
  //! The end of the latest window that ends at or before `t` (windows of `every` are aligned on
  //! multiples of it since the epoch; daily ones end at `at`, UTC).
  int64_t SlotAtOrBefore(int64_t t) const;
};
//! The schedule of an object of that kind; nullopt when its body is not one.
std::optional<ScheduleSpec> ParseScheduleSpec(const OwnedObject& o);

//! Runs `q` over [from, to) as `owner` (Api::SearchAs).
using ScheduleSearchFn = std::function<Response(const std::string& owner, const std::string& q, int64_t from_ns,
                                                int64_t to_ns, size_t limit, const std::atomic<bool>* cancelled)>;

struct ScheduleRunContext {
  ScheduleSearchFn search;
  OwnedObjectStore* saved_searches = nullptr;
  AlertStore* alerts = nullptr;
  ingest::Pipeline* pipeline = nullptr;
  Notifier* notifier = nullptr;
  ParseOptions parse;
  size_t max_limit = 10000;  //!< query.max_limit: events read for a report
  const std::atomic<bool>* cancelled = nullptr;
  //! Told of every run once it ended (main.cc: a `schedule.search` audit event, as every
  //! search is audited). May be empty.
  std::function<void(const ScheduleSpec&, const std::string& query, const ScheduleRun&)> audit;
};

//! Runs `spec` over [from, to); updates *st (seen values, rate limit) and returns the run.
ScheduleRun RunSchedule(const ScheduleSpec& spec, int64_t from_ns, int64_t to_ns, const std::string& trigger,
                        const ScheduleRunContext& ctx, ScheduleState* st);

}  // namespace kamatama::server
