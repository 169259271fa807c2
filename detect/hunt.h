// detect/hunt.h
//! Retro-hunt filters (issue 20): Sigma rules run over stored events as the store's row filters
//! (core/row.h), so the store's block pruning applies to a hunt as to a search.
//!  - RuleFilter: one rule, as its query (token filters and required text prune blocks and rows).
//!  - RuleSetFilter: many rules in one pass: every row the store evaluates becomes an Event of the
//!    columns the rules read, and RuleSet::Match (logsource routing and the literal prefilter)
//!    decides, counting the firings per rule.
//! kamatama's own events (datasets kamatama.*: alerts, audit, self-monitoring) never match.
//! Both are thread-safe: the store calls them from several scan threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/row.h"
#include "detect/correlation.h"
#include "detect/ruleset.h"

namespace kamatama::detect {

//! Whether a dataset is kamatama's own (kamatama.alert, kamatama.audit, ...): never hunted.
bool IsOwnDataset(std::string_view dataset);

class RuleFilter final : public RowFilter {
 public:
  explicit RuleFilter(const Rule& rule);
  bool MayMatch(const TokenFilter& has) const override { return rule_.query.MayMatch(has); }
  //! The query's answer, except kAll, which becomes kSome: rows are still read, so that
  //! kamatama's own events are left out.
  BlockAnswer Answer(const TokenFilter& has) const override;
  bool Matches(const FieldAccessor& row) const override;
  const std::vector<std::string>& ReferencedFields() const override { return refs_; }
  const std::vector<std::string>& RequiredText() const override { return rule_.query.RequiredText(); }

 private:
  const Rule& rule_;
  std::vector<std::string> refs_;  //!< the query's fields and event.dataset
};

class RuleSetFilter final : public RowFilter {
 public:
  explicit RuleSetFilter(const RuleSet& set);
  //! True if any rule's query may match the block.
  bool MayMatch(const TokenFilter& has) const override;
  //! Match on the row's fields; counts each rule that fires.
  bool Matches(const FieldAccessor& row) const override;
  //! Every field any rule reads, and event.dataset.
  const std::vector<std::string>& ReferencedFields() const override { return refs_; }

  //! Firings of rule `i` (the set's order) counted by Matches since the last ResetCounts.
  uint64_t Count(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  void ResetCounts();
  //! The rules firing on `ev` (a full event the scan returned), as indices in the set's order.
  void Fire(const Event& ev, std::vector<uint32_t>* out) const;

 private:
  const RuleSet& set_;
  std::vector<std::string> refs_;
  std::unordered_map<const Rule*, uint32_t> index_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
};

//! Most matching rows one time slice of a correlation hunt keeps (beyond: the slice is cut and
//! the hunt is incomplete). A slice's rows are held at once to be sorted by time.
inline constexpr size_t kMaxCorrelationSliceRows = 200000;

//! Correlation rules over stored events (issue 21): the rows the correlated rules match are
//! collected one time slice at a time (the caller scans slices oldest first), sorted by
//! @timestamp and fed to a CorrelationState, so a hunt decides a correlation as the live stream
//! would (same windows, same group bounds). Memory: one slice's rows (at most
//! kMaxCorrelationSliceRows, each only the fields the rules and correlations read) and the
//! state's own bounds. Not thread-safe: Collect is called from the scan's single `visit`.
class CorrelationHunt {
 public:
  //! The correlations of `set` fed by rules of `hunted` (the others cannot fire in this hunt).
  CorrelationHunt(std::shared_ptr<const CorrelationSet> set, const RuleSet& hunted);
  //! Whether some correlation can be fed by the hunted rules.
  bool active() const { return !feeders_.rules().empty(); }
  //! The hunted rules some correlation takes: the slice scans' filter.
  const RuleSet& feeders() const { return feeders_; }
  //! Fields a scan must give Collect (the feeders' and the correlations' group-by and value fields).
  const std::vector<std::string>& fields() const { return fields_; }
  //! One matching row of the slice being scanned.
  void Collect(const FieldAccessor& row, int64_t ts_ns);
  //! Feeds the slice's rows in time order; `fired` is called for each correlation that fires
  //! (with the event that completed it). The slice is then empty.
  void Flush(const std::function<void(const Correlation&, const Event&)>& fired);
  //! Whether a slice had more than kMaxCorrelationSliceRows rows (the rest were not fed).
  bool truncated() const { return truncated_; }

 private:
  struct Row {
    Event ev;
    std::vector<const Rule*> rules;
  };
  RuleSet feeders_;
  CorrelationState state_;
  std::vector<std::string> fields_;
  std::vector<Row> rows_;
  bool truncated_ = false;
};

}  // namespace kamatama::detect
