// store/scan_aggregate.cc: the aggregate stage of a scan: a block's hits handed to the query's
// visitor (an aggregation, a histogram), all at once (visit_batch, columns resolved once per
// block) or row by row.
#include "store/scan_worker.h"

namespace kamatama::store {
namespace {

// A block's matching rows for a batch visitor (ScanOptions::visit_batch).
class BlockBatch final : public RowBatch {
 public:
  BlockBatch(const std::vector<uint32_t>& rows, const std::vector<int64_t>& ts, BlockRow& row)
      : rows_(rows), ts_(ts), row_(row) {}
  const std::vector<uint32_t>& Rows() const override { return rows_; }
  int64_t Timestamp(uint32_t row) const override { return ts_[row]; }
  ColumnView Column(std::string_view name) const override {
    ColumnView v;
    const DecodedColumn* c = FindLoaded(row_.cols, name);
    if (!c) return v;
    v.present = &c->present;
    v.values = &c->values;
    if (!c->dict.empty()) {
      v.ids = &c->ids;
      v.dict = &c->dict;
    }
    return v;
  }
  const FieldAccessor& At(uint32_t row) const override {
    row_.row = row;
    return row_;
  }

 private:
  const std::vector<uint32_t>& rows_;
  const std::vector<int64_t>& ts_;
  BlockRow& row_;
};

}  // namespace

bool BlockScanner::Aggregate() {
  if (so_.visit_batch) {
    so_.visit_batch(self_, BlockBatch(hits_, ts_, row_));
    return true;
  }
  if (so_.visit_worker) {
    for (uint32_t i : hits_) {
      row_.row = i;
      so_.visit_worker(self_, row_, ts_[i]);
    }
    return true;
  }
  if (so_.visit) {
    std::lock_guard lock(s_.mu);
    for (uint32_t i : hits_) {
      row_.row = i;
      so_.visit(row_, ts_[i]);
    }
    return true;
  }
  return false;
}

}  // namespace kamatama::store
