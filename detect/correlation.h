// detect/correlation.h
//! Sigma correlation rules (issue 21), evaluated on the stream: event_count, value_count,
//! temporal and temporal_ordered, with group-by and timespan, over the matches of the rules (or
//! correlations) they name by `name` or `id`. A correlation may name correlations (brute force
//! = "≥ 20 failures" and "≥ 5 addresses" for one user, temporal). Time is the events' own
//! @timestamp, so a replay of old lines fires as the live stream would.
//! Memory is bounded: at most kMaxCorrelationGroups groups per correlation (the least recently seen is
//! dropped) and, per group, at most the threshold's worth of timestamps or kMaxDistinctValues
//! values. A group that fired starts again empty.
//! CorrelationSet is immutable once loaded; CorrelationState is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "detect/ruleset.h"

namespace kamatama::detect {

inline constexpr size_t kMaxCorrelationGroups = 10000;
inline constexpr size_t kMaxDistinctValues = 1000;

enum class CorrelationType : uint8_t { kEventCount, kValueCount, kTemporal, kTemporalOrdered };

struct Correlation {
  //! id, title, level, author, tags, techniques, references of the correlation: its alerts are
  //! raised like a rule's.
  std::shared_ptr<const Rule> rule;
  std::string name;
  CorrelationType type = CorrelationType::kEventCount;
  std::vector<std::string> refs;    //!< names or ids, as written
  std::vector<std::string> group_by;
  int64_t timespan_ns = 0;
  std::string value_field;          //!< value_count: the field whose distinct values count
  uint64_t gte = 1;                 //!< the threshold (gt n is gte n+1; eq/lte/lt unsupported)
  bool generate = false;            //!< the referenced rules also raise their own alerts
};

class CorrelationSet {
 public:
  //! Reads the correlation documents of every *.yml/*.yaml under `dirs` (one per file, or in a
  //! multi-document file) and resolves their references against `rules` and each other; a
  //! reference to nothing is an error in the report. Never throws.
  Status Load(const std::vector<std::string>& dirs, const RuleSet& rules, LoadSummary* summary);

  const std::vector<Correlation>& correlations() const { return corr_; }
  //! Correlations fed by a rule or correlation id.
  const std::vector<uint32_t>* Consumers(const std::string& id) const;
  //! Whether the rule's own alerts are kept (no correlation takes it with generate: false).
  bool Generates(const std::string& rule_id) const;

 private:
  std::vector<Correlation> corr_;
  std::unordered_map<std::string, std::vector<uint32_t>> consumers_;  // by rule/correlation id
  std::unordered_map<std::string, bool> generates_;
};

//! The live state of a CorrelationSet: groups and their windows.
class CorrelationState {
 public:
  explicit CorrelationState(std::shared_ptr<const CorrelationSet> set) : set_(std::move(set)) {}
  //! Feeds a match of rule (or correlation) `id` on `ev`; appends the correlations that fire to
  //! *fired (a correlation's own match is fed by the caller in turn: chains).
  void Feed(const std::string& id, const Event& ev, std::vector<const Correlation*>* fired);
  //! Feeds the matches of `rules` on `ev`, then the correlations they complete in turn (chains,
  //! at most kMaxChainSteps feeds); appends every correlation that fired to *fired. The live path
  //! decides each step through the alert gate instead (server/detection.cc); the retro-hunt and
  //! tests use this.
  void FeedAll(const std::vector<const Rule*>& rules, const Event& ev, std::vector<const Correlation*>* fired);
  static constexpr size_t kMaxChainSteps = 64;
  const CorrelationSet& set() const { return *set_; }
  std::shared_ptr<const CorrelationSet> shared_set() const { return set_; }
  //! Groups held now (for tests and metrics).
  size_t GroupCount() const;

 private:
  struct Group {
    std::vector<int64_t> times;                 // event_count: newest last, at most gte
    std::map<std::string, int64_t> values;      // value_count: value → latest time
    std::map<uint32_t, int64_t> seen;           // temporal: reference index → latest time
    int64_t last = 0;
  };
  bool Step(const Correlation& c, uint32_t ref, const Event& ev, Group* g);
  std::string GroupKey(const Correlation& c, const Event& ev) const;
  void FeedLocked(const std::string& id, const Event& ev, std::vector<const Correlation*>* fired);

  std::shared_ptr<const CorrelationSet> set_;
  mutable std::mutex mu_;
  std::vector<std::unordered_map<std::string, Group>> groups_;  // per correlation
};

}  // namespace kamatama::detect
