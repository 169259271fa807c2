// server/schedule_state.h
//! What a scheduled search remembers between runs (issue 25, server/scheduler.h): the last
//! window it took (so a restart neither re-runs a window nor runs every missed one), the values
//! of its new_value field seen so far (SHA-256 prefixes, at most kMaxSeenValues, the oldest
//! forgotten first), when it last alerted or reported (its hourly rate limit), and its recent
//! runs with their outcome (at most schedules.history). One file per schedule in the data
//! directory (`schedule_<ID>.json`, 0600, written atomically with core/safe_file.h after every
//! run). Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/safe_file.h"
#include "core/status.h"

namespace kamatama::server {

//! Most distinct values a new_value schedule remembers, and bytes of a value kept in a run.
inline constexpr size_t kMaxSeenValues = 20000;
inline constexpr size_t kRunDetailBytes = 1024;

//! One run of a schedule.
struct ScheduleRun {
  int64_t started_ns = 0, duration_ns = 0;
  int64_t from_ns = 0, to_ns = 0;  //!< the window searched, [from, to)
  std::string trigger;             //!< "schedule", "catch-up" (after missed windows), "manual"
  //! "ok" (nothing to do), "alert" (raised), "report" (sent), "baseline" (new_value's first run
  //! learns the values), "rate_limited", "error"
  std::string outcome;
  uint64_t rows = 0;               //!< events matched (rows for a search with pipes)
  uint64_t alert_id = 0;
  std::string detail;              //!< the error, the target, the new values, ...
};

struct ScheduleState {
  int64_t last_slot_ns = 0;       //!< end of the last window taken (0: none yet)
  bool baseline = false;          //!< new_value: the first run has learned the values
  std::deque<std::string> seen;   //!< new_value: value hashes, oldest first
  std::unordered_set<std::string> seen_set;
  std::deque<int64_t> sent_ns;    //!< alerts raised and reports sent in the last hour
  std::deque<ScheduleRun> runs;   //!< oldest first
};

class ScheduleStateStore {
 public:
  explicit ScheduleStateStore(size_t history) : history_(history) {}
  //! Reads every schedule_*.json of `data_dir`. Corruption names a file that cannot be read.
  Status Open(const std::string& data_dir);
  //! A copy of a schedule's state (empty for one never run).
  ScheduleState Get(const std::string& id) const;
  //! Replaces and writes a schedule's state (runs cut to the history).
  Status Put(const std::string& id, ScheduleState state);
  //! Forgets schedules not in `ids` (deleted ones), removing their files.
  void Retain(const std::unordered_set<std::string>& ids);
  size_t history() const { return history_; }

 private:
  const size_t history_;
  mutable std::mutex mu_;
  UniqueFd dir_;
  std::map<std::string, ScheduleState> states_;
};

//! The hash a seen value is remembered by (16 hex digits of its SHA-256).
std::string SeenKey(std::string_view value);
//! Remembers `key`, forgetting the oldest beyond kMaxSeenValues; false when it was known.
bool RememberSeen(ScheduleState* st, const std::string& key);
//! A run as the API shows it.
void AppendRunJson(const ScheduleRun& r, std::string* out);

}  // namespace kamatama::server
