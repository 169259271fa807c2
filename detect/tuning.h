// detect/tuning.h
//! What an analyst changed about the rules without editing rule files (issue 21): a rule turned
//! off, its level overridden, exclusions per rule or per logsource written as kamatama queries
//! (an alert is not raised when the matched event matches one). Kept apart from the rule files
//! (server/alert_store.* stores it in the data directory), so it survives rule updates; keyed by
//! the rule's id. Not thread-safe: the owner locks.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "detect/sigma_rule.h"
#include "query/query.h"

namespace kamatama::detect {

//! Most exclusions of one rule or logsource.
inline constexpr size_t kMaxExclusions = 200;
//! Longest exclusion query, in bytes.
inline constexpr size_t kMaxExclusionBytes = 4096;

//! An analyst's changes to one rule.
struct RuleTuning {
  bool enabled = true;
  std::string level;                    //!< override ("low" ... "critical"); empty: the rule's
  std::vector<std::string> exclusions;  //!< kamatama queries over the matched event
};

//! The logsource of a rule as one key: "product/category/service" (parts may be empty).
std::string LogsourceKey(const Logsource& ls);
//! Whether `level` is a Sigma level (informational, low, medium, high, critical).
bool IsSigmaLevel(std::string_view level);

class Tuning {
 public:
  //! Reads the JSON written by ToJson. Exclusions that do not parse are an error.
  static Status FromJson(std::string_view json, Tuning* out);
  std::string ToJson() const;

  //! Replaces a rule's tuning; InvalidArgument (naming the exclusion) when a query does not
  //! parse, a level is unknown or there are too many exclusions.
  Status SetRule(const std::string& rule_id, const RuleTuning& t);
  //! Replaces the exclusions of a logsource key (LogsourceKey).
  Status SetLogsource(const std::string& key, const std::vector<std::string>& exclusions);

  //! The rule's tuning (defaults when none was set).
  RuleTuning Rule(const std::string& rule_id) const;
  std::vector<std::string> LogsourceExclusions(const std::string& key) const;
  const std::map<std::string, std::vector<std::string>> LogsourceMap() const;

  bool Enabled(const detect::Rule& rule) const;
  //! The level alerts of the rule carry.
  std::string Level(const detect::Rule& rule) const;
  //! The exclusion (rule's or logsource's) that `ev` matches, or null.
  const std::string* Excluding(const detect::Rule& rule, const Event& ev) const;

 private:
  struct Compiled {
    std::vector<std::string> text;
    std::vector<query::Query> queries;
  };
  static Status Compile(const std::vector<std::string>& text, Compiled* out);
  struct RuleEntry {
    RuleTuning tuning;
    Compiled exclusions;
  };
  std::map<std::string, RuleEntry> rules_;
  std::map<std::string, Compiled> logsources_;
};

}  // namespace kamatama::detect
