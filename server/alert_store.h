// server/alert_store.h
//! The alerts an analyst works (issue 21): one record per alert with its state (new,
//! acknowledged, closed), assignee, comments and a count, and the rule tuning (detect/tuning.h).
//! Live detection asks Observe for every rule that fired: the rule may be off, the event
//! excluded, the match a repeat of an open alert (same rule, same key fields, within the dedup
//! window: the alert's count grows, nothing new is stored) or over the rule's hourly cap (a rule
//! that matches everything cannot flood the store; counted in the rule's stats). Records and
//! tuning live in the data directory (`alerts.json`, `rule_tuning.json`, written atomically with
//! core/safe_file.h), apart from the rule files. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/safe_file.h"
#include "core/status.h"
#include "detect/correlation.h"
#include "detect/ruleset.h"
#include "detect/tuning.h"
#include "server/config.h"

namespace kamatama::server {

//! Most alert records kept (the oldest closed ones go first, then the oldest).
inline constexpr size_t kMaxAlertRecords = 20000;
//! Most comments on one alert, and the longest comment.
inline constexpr size_t kMaxAlertComments = 200;
inline constexpr size_t kMaxCommentBytes = 4096;
//! Bytes of the matched line kept in a record (the full line is in the stored alert event).
inline constexpr size_t kAlertExcerptBytes = 512;
//! Matched values kept in a record (the fields the rule reads): at most this many, each cut to
//! kAlertValueBytes, all together at most kAlertValuesBytes (20,000 records stay within ~50 MB;
//! the whole values are in the stored alert event, kamatama.matched.values.*).
inline constexpr size_t kMaxAlertRecordValues = 32;
inline constexpr size_t kAlertValueBytes = 512;
inline constexpr size_t kAlertValuesBytes = 2048;
//! Most status/assignee changes kept per alert (the oldest go first; the audit log keeps all).
inline constexpr size_t kMaxAlertHistory = 200;

struct AlertComment {
  int64_t at_ns = 0;
  std::string user, text;
};

//! One change of an alert's status or assignee.
struct AlertChange {
  int64_t at_ns = 0;
  std::string user, field, value;  //!< field: "status" or "assignee"
};

struct AlertRecord {
  uint64_t id = 0;
  std::string rule_id, rule_name, level, host, key, dataset, excerpt;
  int64_t first_ns = 0, last_ns = 0;  //!< event time of the first and the latest match
  int64_t raised_ns = 0;              //!< when the alert was raised
  uint64_t count = 0;                 //!< matches folded into it
  std::string status = "new", assignee;
  std::vector<AlertComment> comments;
  std::vector<AlertChange> history;
  //! The values of the fields the rule reads, as the first matched event held them.
  std::vector<std::pair<std::string, std::string>> values;
};

//! What happened to one match of a rule.
//! kCorrelated: taken by a correlation with generate: false (no alert of its own).
enum class Verdict : uint8_t { kRaised, kDeduplicated, kExcluded, kDisabled, kCapped, kCorrelated };

struct RuleStats {
  uint64_t matches = 0, raised = 0, deduplicated = 0, excluded = 0, disabled = 0, capped = 0, correlated = 0;
  int64_t last_match_ns = 0;
  int64_t hour = 0;         //!< the hour (ns / 3600e9) raised_hour counts
  uint64_t raised_hour = 0;
};

struct AlertFilter {
  int64_t from_ns = INT64_MIN, to_ns = INT64_MAX;  //!< on last_ns
  std::string level, status, rule, host;
  size_t limit = 500;
};

//! PATCH /api/v1/alerts/ID: what to change (unset: unchanged).
struct AlertPatch {
  std::optional<std::string> status, assignee, comment;
};

class AlertStore {
 public:
  //! Reads the records and tuning of `data_dir` (missing files: none yet).
  Status Open(const std::string& data_dir, const AlertOptions& opt);

  struct Decision {
    Verdict verdict = Verdict::kRaised;
    uint64_t id = 0;    //!< the alert (new or the one the match was folded into)
    std::string level;  //!< the level to raise with (tuning's override)
    //! Correlations the match completed (to be observed in turn).
    std::vector<std::shared_ptr<const detect::Rule>> correlated;
  };
  //! The correlations in force (replaced on rule reload, their state starting empty).
  void SetCorrelations(std::shared_ptr<const detect::CorrelationSet> set) {
    auto state = std::make_shared<detect::CorrelationState>(std::move(set));
    std::lock_guard lock(mu_);
    correlations_ = std::move(state);
  }
  std::shared_ptr<detect::CorrelationState> Correlations() const {
    std::lock_guard lock(mu_);
    return correlations_;
  }
  //! Decides about one match of `rule` on `ev`, at `now_ns`. `key` (optional) replaces the
  //! key made of the rule and detection.alerts.dedup_fields: a scheduled search (issue 25) keys
  //! its alert by its window, so each window raises at most one alert.
  Decision Observe(const detect::Rule& rule, const Event& ev, int64_t now_ns, const std::string* key = nullptr);

  std::vector<AlertRecord> List(const AlertFilter& f, size_t* total) const;
  std::optional<AlertRecord> Get(uint64_t id) const;
  //! Applies the patch by `user`; NotFound, or InvalidArgument (status, sizes).
  Status Update(uint64_t id, const AlertPatch& patch, const std::string& user, AlertRecord* out);

  detect::RuleTuning RuleTuning(const std::string& rule_id) const;
  std::map<std::string, std::vector<std::string>> LogsourceExclusions() const;
  //! Replaces a rule's tuning and writes the tuning file.
  Status SetRuleTuning(const std::string& rule_id, const detect::RuleTuning& t);
  Status SetLogsourceExclusions(const std::string& key, const std::vector<std::string>& ex);
  RuleStats Stats(const std::string& rule_id) const;
  const AlertOptions& options() const { return opt_; }
  //! The report of the last rule load (GET /api/v1/rules lists the files not loaded).
  void SetLoadSummary(detect::LoadSummary s) {
    std::lock_guard lock(mu_);
    summary_ = std::move(s);
  }
  detect::LoadSummary LoadSummaryCopy() const {
    std::lock_guard lock(mu_);
    return summary_;
  }

  //! Writes alerts.json if anything changed since the last write.
  Status Flush();

 private:
  Status Load();
  std::string RecordsJson() const;
  void Evict();
  std::string Key(const detect::Rule& rule, const Event& ev) const;

  AlertOptions opt_;
  UniqueFd dir_;
  mutable std::mutex mu_;
  std::mutex flush_mu_;  // one Flush at a time, taken before mu_
  detect::Tuning tuning_;
  std::map<uint64_t, AlertRecord> alerts_;
  std::map<std::string, uint64_t> open_by_key_;  //!< key → the latest alert with that key
  std::map<std::string, RuleStats> stats_;
  uint64_t next_id_ = 1;
  detect::LoadSummary summary_;
  std::shared_ptr<detect::CorrelationState> correlations_;
  bool dirty_ = false;
};

const char* VerdictName(Verdict v);
//! A record as a JSON object.
void AppendAlertJson(const AlertRecord& a, std::string* out);

}  // namespace kamatama::server
