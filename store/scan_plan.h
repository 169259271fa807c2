// store/scan_plan.h
//! The plan of a scan (issue 24): what a query's filter and options ask of any backend, decided
//! once before a block is read. It depends only on core/row.h and ScanOptions, so a second
//! backend can plan with it and replace the storage underneath.
#pragma once

#include <cstddef>

#include "core/row.h"
#include "store/store.h"

namespace kamatama::store {

struct ScanPlan {
  bool visiting = false;      //!< rows go to a visitor (aggregations), no events are built
  bool whole_events = false;  //!< every match is handed over in full (exports), in block order
  bool count_only = false;    //!< limit 0 and no visitor: nothing of a hit is read
  //! What a block holding no token at all answers: kNone, token filters prune; kAll (`NOT
  //! event.dataset:x`, which every search carries to hide the audit log), they may spare a block's
  //! evaluation and the columns it reads, if it reads any; kSome (ranges, `_exists_`, wildcards
  //! alone), they never decide anything and none are read.
  BlockAnswer token_free = BlockAnswer::kSome;
  bool read_filters = false;  //!< token filters are worth reading
  //! The filter reads no column (`*`, a time range folded into from/to): every row gets the same
  //! answer, `all_match`, asked once.
  bool same_for_all = false;
  bool all_match = false;
  unsigned threads = 1;  //!< threads evaluating blocks (at least 1)
};

//! The plan of `filter` under `so`, for `blocks` candidate blocks and `default_threads` (the
//! store's query.threads) where `so.parallelism` is 0.
ScanPlan PlanScan(const RowFilter& filter, const ScanOptions& so, unsigned default_threads, size_t blocks);

}  // namespace kamatama::store
