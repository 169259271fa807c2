// store/scan_fetch.cc: the fetch stage of a scan: a block's times and the columns a stage asks
// for, read from RocksDB and decoded (only the frames, or rows, still wanted), and the rows
// narrowed to those whose line holds the filter's required text.
#include <algorithm>

#include "store/scan_worker.h"

namespace kamatama::store {

// Reads a column to decode: cached while the scan is under its fill budget (RocksDB's advice for
// bulk scans: it also spares each read an insertion and an eviction).
Status BlockScanner::GetColumn(const Candidate& c, const std::string& name, rocksdb::PinnableSlice* out) {
  const bool fill = s_.decoded_bytes.load(std::memory_order_relaxed) < s_.fill_budget;
  auto s = s_.db->Get(fill ? ro_ : bulk_, c.part->cf, BlockKey(c.header().id, KeyKind::kColumn, name), out);
  if (!s.ok()) return FromRocks(s);
  s_.decoded_bytes.fetch_add(out->size(), std::memory_order_relaxed);
  return Status::OK();
}

// The times of the block's first `rows` rows (the last hit's row + 1 once hits are known).
// event.ingested only for materialised hits (a wholly in-range block is read here only then).
Status BlockScanner::ReadTimes(const Candidate& c, uint32_t rows) {
  times_data_.Reset();
  auto s = s_.db->Get(ro_, c.part->cf, BlockKey(c.header().id, KeyKind::kTimes), &times_data_);
  if (!s.ok()) return FromRocks(s);
  have_times_ = true;
  const bool with_ingested = !s_.plan.visiting && whole_range_;
  return DecodeTimes(std::string_view(times_data_.data(), times_data_.size()), c.header(), &ts_,
                     with_ingested ? &ing_ : nullptr, rows);
}

// Reads and decodes column `name` into its slot (only cand_rows_ where rows_only_, else the
// frames of decode_mask_), and lists it in loaded_. message (a suffix) and span columns (store
// format 4) are decoded from event.original, which is loaded first when the column says so.
Status BlockScanner::Fetch(const Candidate& c, const std::string& name) {
  ColumnSlot& slot = slots_[name];
  if (!(original_fetched_ && name == orig_name_)) {  // else read for the text check
    slot.data.Reset();
    KMT_RETURN(GetColumn(c, name, &slot.data));
  }
  const std::string_view data(slot.data.data(), slot.data.size());
  const DecodedColumn* orig = nullptr;
  if (name != orig_name_ && ColumnNeedsOriginal(data)) {
    if (!FindLoaded(loaded_, orig_name_)) KMT_RETURN(Fetch(c, orig_name_));
    orig = FindLoaded(loaded_, orig_name_);
  }
  if (rows_only_) {
    KMT_RETURN(DecodeRows(data, c.header().count, orig, cand_rows_, &slot.col));
  } else {
    KMT_RETURN(DecodeColumn(data, c.header().count, orig, &slot.col, decode_mask_));
  }
  loaded_.emplace_back(slots_.find(name)->first, &slot.col);
  return Status::OK();
}

// Decodes a column of the block unless loaded already or absent.
Status BlockScanner::Load(const Candidate& c, const std::string& name) {
  if (FindLoaded(loaded_, name)) return Status::OK();
  const auto& columns = c.header().columns;
  if (std::find(columns.begin(), columns.end(), name) == columns.end()) return Status::OK();
  return Fetch(c, name);
}

// Text every match contains: only rows whose original line holds it can match. Each frame still
// to evaluate is searched in one pass over its lines (RowsContaining); frames without such a row
// are dropped, and in the others only those rows are decoded and evaluated (a rare IP's frame has
// one or two of its 256). *any false: no row of the block can match.
Status BlockScanner::NarrowByText(const Candidate& c, bool* any) {
  *any = true;
  ColumnSlot& oslot = slots_[orig_name_];
  oslot.data.Reset();
  KMT_RETURN(GetColumn(c, orig_name_, &oslot.data));
  original_fetched_ = true;
  const std::vector<uint8_t>* search = nullptr;
  if (frame_mask_) {
    search_frames_.assign(frames_.size(), 0);
    for (size_t f = 0; f < frames_.size(); ++f) search_frames_[f] = frames_[f] == kMaybe;
    search = &search_frames_;
  }
  if (!RowsContaining(std::string_view(oslot.data.data(), oslot.data.size()), c.header().count,
                      filter_.RequiredText().front(), search, &cand_rows_)) {
    cand_rows_.clear();  // not plain, or damaged: every row is evaluated
    return Status::OK();
  }
  rows_only_ = true;
  if (!frame_mask_) {
    *any = !cand_rows_.empty();
    return Status::OK();
  }
  *any = false;
  std::fill(search_frames_.begin(), search_frames_.end(), uint8_t{0});
  for (uint32_t r : cand_rows_) search_frames_[r / c.header().frame_rows] = 1;
  for (size_t f = 0; f < frames_.size(); ++f) {
    if (frames_[f] == kMaybe && !search_frames_[f]) frames_[f] = kPruned;
    *any = *any || frames_[f];
  }
  return Status::OK();
}

}  // namespace kamatama::store
