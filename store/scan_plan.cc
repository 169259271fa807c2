// store/scan_plan.cc
#include "store/scan_plan.h"

#include <algorithm>

namespace kamatama::store {
namespace {
// A row without fields: what a filter that reads none answers for every row.
class NoFields final : public FieldAccessor {
 public:
  bool Get(std::string_view, std::string_view*) const override { return false; }
  bool ForEachField(const std::function<void(std::string_view, std::string_view)>&) const override { return true; }
};
}  // namespace

ScanPlan PlanScan(const RowFilter& filter, const ScanOptions& so, unsigned default_threads, size_t blocks) {
  ScanPlan p;
  p.visiting = so.visit || so.visit_worker;
  p.whole_events = !p.visiting && so.visit_event;
  p.count_only = !p.visiting && !p.whole_events && so.limit == 0;
  p.token_free = so.use_token_filters ? filter.Answer([](uint64_t) { return false; }) : BlockAnswer::kSome;
  const bool reads_columns = !filter.ReferencedFields().empty();
  p.read_filters = p.token_free == BlockAnswer::kNone || (p.token_free == BlockAnswer::kAll && reads_columns);
  p.same_for_all = !reads_columns;
  p.all_match = p.same_for_all && filter.Matches(NoFields{});
  unsigned threads = so.parallelism ? so.parallelism : default_threads;
  if (p.whole_events) threads = 1;  // keeps the export in block order
  p.threads = static_cast<unsigned>(std::min<size_t>({threads, blocks, ScanOptions::kMaxScanWorkers}));
  p.threads = std::max(p.threads, 1u);
  return p;
}

}  // namespace kamatama::store
