// intel/hunt.h
//! A hunt (issue 28): one list's indicators searched over the stored history in one pass. The
//! store asks HuntFilter whether a block may hold a match (the token hashes of each indicator:
//! a block is read only if it holds every token of some indicator) and evaluates the rows of the
//! blocks it reads on the MatchedFields(); the caller passes Visit as the scan's visit_worker,
//! which counts the sightings of each indicator with its first and last time.
//! MayMatch, Matches and Visit may be called from several threads at once (Visit with distinct
//! workers); Result after the scan. kamatama's own events (alerts, audit, self-monitoring) are
//! never sightings.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/row.h"
#include "intel/list_store.h"

namespace kamatama::intel {

//! What a hunt found for one indicator.
struct Sighting {
  uint32_t indicator = 0;  //!< index into the list's indicators
  uint64_t count = 0;      //!< events that held it
  int64_t first_ns = INT64_MAX, last_ns = INT64_MIN;  //!< @timestamp of the oldest and newest
  std::string field;       //!< a field it was found in (of the newest sighting seen)
};

class HuntFilter final : public RowFilter {
 public:
  //! `workers`: the most distinct worker numbers Visit will see (the store's kMaxScanWorkers).
  HuntFilter(std::shared_ptr<const IntelList> list, int64_t now_ns, unsigned workers);

  bool MayMatch(const TokenFilter& has_token) const override { return list_->matcher.MayMatch(has_token); }
  bool Matches(const FieldAccessor& row) const override;
  //! MatchedFields() and event.dataset (kamatama's own events are not sightings).
  const std::vector<std::string>& ReferencedFields() const override;

  //! Counts the row's sightings into worker `worker`'s tally.
  void Visit(unsigned worker, const FieldAccessor& row, int64_t ts_ns);
  //! Every indicator sighted, most sightings first (then by indicator order).
  std::vector<Sighting> Result() const;
  const IntelList& list() const { return *list_; }

 private:
  std::shared_ptr<const IntelList> list_;
  int64_t now_ns_;
  std::vector<std::unordered_map<uint32_t, Sighting>> tallies_;  // one per worker
};

}  // namespace kamatama::intel
