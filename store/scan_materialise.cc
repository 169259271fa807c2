// store/scan_materialise.cc: the materialise stage of a scan: the hits that enter the result
// (the newest `limit`, or every one for an export) built into events. Only the hit rows are read:
// columns not decoded for the filter are walked once for just those rows (a wide block may have
// hundreds of sparse columns), and only the columns the hit rows have (store format 3).
#include <algorithm>

#include <fmt/format.h>

#include "store/scan_worker.h"

namespace kamatama::store {

void TopK::Push(Event ev) {
  if (!WouldKeep(ev.timestamp_ns)) return;
  bytes_ += ev.ApproxBytes();
  heap_.push(std::move(ev));
  if (heap_.size() > limit_) {
    bytes_ -= heap_.top().ApproxBytes();
    heap_.pop();
  }
}

std::vector<Event> TopK::TakeNewestFirst() {
  std::vector<Event> out;
  out.reserve(heap_.size());
  while (!heap_.empty()) {
    out.push_back(std::move(const_cast<Event&>(heap_.top())));
    heap_.pop();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Keeps the hits newer than the top-k's oldest, at most `limit` of them (the newest); false if
// none is left.
bool BlockScanner::KeepNewest() {
  std::lock_guard lock(s_.mu);
  size_t keep = 0;
  for (uint32_t i : hits_) {
    if (s_.top.WouldKeep(ts_[i])) hits_[keep++] = i;
  }
  hits_.resize(keep);
  if (hits_.empty()) return false;
  if (hits_.size() > so_.limit) {
    std::nth_element(hits_.begin(), hits_.begin() + static_cast<ptrdiff_t>(so_.limit), hits_.end(),
                     [&](uint32_t a, uint32_t b) { return ts_[a] > ts_[b]; });
    hits_.resize(so_.limit);
    std::sort(hits_.begin(), hits_.end());
  }
  return true;
}

// The hits' original lines into orig_rows_ (have_orig_ false if the block has none).
Status BlockScanner::ReadOriginals(const Candidate& c) {
  orig_slice_.Reset();
  have_orig_ = false;
  const auto& columns = c.header().columns;
  if (const DecodedColumn* oc = FindLoaded(loaded_, orig_name_)) {
    orig_rows_.resize(hits_.size());
    for (size_t k = 0; k < hits_.size(); ++k)
      orig_rows_[k] = oc->present[hits_[k]] ? oc->values[hits_[k]] : std::string_view();
    have_orig_ = true;
  } else if (std::find(columns.begin(), columns.end(), orig_name_) != columns.end()) {
    auto rs = s_.db->Get(ro_, c.part->cf, BlockKey(c.header().id, KeyKind::kColumn, orig_name_), &orig_slice_);
    if (!rs.ok()) return FromRocks(rs);
    KMT_RETURN(ExtractRows(std::string_view(orig_slice_.data(), orig_slice_.size()), c.header().count, hits_,
                           nullptr, &orig_rows_, &pres_));
    have_orig_ = true;
  }
  return Status::OK();
}

// Store format 3: the row columns say which columns the hit rows have; only those are read (a
// block mixing sources has a hundred columns or more, a row a dozen or two). *done false: the
// block has no row columns.
Status BlockScanner::AddRowColumns(const Candidate& c, std::vector<Event>* events, bool* done) {
  row_cols_.Reset();
  auto rcs = s_.db->Get(ro_, c.part->cf, BlockKey(c.header().id, KeyKind::kRowColumns), &row_cols_);
  if (!rcs.ok() && !rcs.IsNotFound()) return FromRocks(rcs);
  *done = rcs.ok();
  if (!rcs.ok()) return Status::OK();
  const auto& columns = c.header().columns;
  KMT_RETURN(ColumnsOfRows(std::string_view(row_cols_.data(), row_cols_.size()), c.header().count, columns.size(),
                           hits_, &wanted_cols_));
  // The columns not decoded yet are fetched in one MultiGet, in key (name) order: the small ones
  // share table blocks, which it looks up once each instead of once per column.
  fetch_cols_.clear();
  for (size_t ci = 0; ci < columns.size(); ++ci) {
    if (wanted_cols_[ci] && columns[ci] != field::kOriginal && !FindLoaded(loaded_, columns[ci]))
      fetch_cols_.push_back(ci);
  }
  std::sort(fetch_cols_.begin(), fetch_cols_.end(), [&](size_t a, size_t b) { return columns[a] < columns[b]; });
  const size_t n = fetch_cols_.size();
  fetch_keys_.resize(n);
  fetch_slices_.resize(n);
  GrowSlices(&fetch_values_, n);
  fetch_status_.resize(n);
  for (size_t j = 0; j < n; ++j) {
    fetch_keys_[j] = BlockKey(c.header().id, KeyKind::kColumn, columns[fetch_cols_[j]]);
    fetch_slices_[j] = rocksdb::Slice(fetch_keys_[j]);
    fetch_values_[j].Reset();
  }
  if (n) {
    s_.db->MultiGet(ro_, c.part->cf, n, fetch_slices_.data(), fetch_values_.data(), fetch_status_.data(),
                    /*sorted_input=*/true);
  }
  col_slot_.assign(columns.size(), SIZE_MAX);
  for (size_t j = 0; j < n; ++j) {
    if (!fetch_status_[j].ok()) return FromRocks(fetch_status_[j]);
    col_slot_[fetch_cols_[j]] = j;
  }
  for (size_t ci = 0; ci < columns.size(); ++ci) {
    const std::string& name = columns[ci];
    if (!wanted_cols_[ci] || name == field::kOriginal) continue;
    if (const DecodedColumn* dec = FindLoaded(loaded_, name)) {
      for (size_t k = 0; k < hits_.size(); ++k) {
        if (dec->present[hits_[k]]) (*events)[k].Add(name, dec->values[hits_[k]]);
      }
      continue;
    }
    const rocksdb::PinnableSlice& col = fetch_values_[col_slot_[ci]];
    KMT_RETURN(ExtractRows(std::string_view(col.data(), col.size()), c.header().count, hits_,
                           have_orig_ ? &orig_rows_ : nullptr, &vals_, &pres_));
    for (size_t k = 0; k < hits_.size(); ++k) {
      if (pres_[k]) (*events)[k].Add(name, vals_[k]);
    }
  }
  return Status::OK();
}

// Older blocks: every column, read with one iterator over the block's column keys (adjacent, in
// name order: one Next() each instead of one lookup each); fields are put back in the header's
// order afterwards.
Status BlockScanner::AddAllColumns(const Candidate& c, std::vector<Event>* events) {
  const std::string first = BlockKey(c.header().id, KeyKind::kColumn);
  const std::string bound = BlockKey(c.header().id, KeyKind::kFrameFilters);
  rocksdb::Slice upper(bound);
  rocksdb::ReadOptions iro = ro_;
  iro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator(iro, c.part->cf));
  for (it->Seek(first); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() <= first.size() || key[8] != static_cast<char>(KeyKind::kColumn)) break;
    const std::string_view name(key.data() + first.size(), key.size() - first.size());
    if (name == field::kOriginal) continue;
    if (const DecodedColumn* dec = FindLoaded(loaded_, name)) {
      for (size_t k = 0; k < hits_.size(); ++k) {
        if (dec->present[hits_[k]]) (*events)[k].Add(name, dec->values[hits_[k]]);
      }
      continue;
    }
    KMT_RETURN(ExtractRows(std::string_view(it->value().data(), it->value().size()), c.header().count, hits_,
                           have_orig_ ? &orig_rows_ : nullptr, &vals_, &pres_));
    for (size_t k = 0; k < hits_.size(); ++k) {
      if (pres_[k]) (*events)[k].Add(name, vals_[k]);
    }
  }
  if (!it->status().ok()) return FromRocks(it->status());
  std::unordered_map<std::string_view, size_t> order;
  for (size_t i = 0; i < c.header().columns.size(); ++i) order.emplace(c.header().columns[i], i);
  for (auto& ev : *events) {
    std::sort(ev.fields.begin(), ev.fields.end(),
              [&](const auto& a, const auto& b) { return order[a.first] < order[b.first]; });
  }
  return Status::OK();
}

// The hit rows as events (times, original line, fields).
Status BlockScanner::Materialise(const Candidate& c, std::vector<Event>* events) {
  events->resize(hits_.size());
  // event.ingested is read only for the rows materialised (the times column was read before).
  if (!whole_range_) {
    KMT_RETURN(DecodeTimes(std::string_view(times_data_.data(), times_data_.size()), c.header(), &ts_, &ing_,
                           hit_rows_));
  }
  for (size_t k = 0; k < hits_.size(); ++k) {
    (*events)[k].timestamp_ns = ts_[hits_[k]];
    (*events)[k].ingested_ns = ing_[hits_[k]];
    (*events)[k].fields.reserve(c.header().columns.size());
  }
  KMT_RETURN(ReadOriginals(c));
  if (have_orig_) {
    for (size_t k = 0; k < hits_.size(); ++k) (*events)[k].original.assign(orig_rows_[k]);
  }
  bool done = false;
  KMT_RETURN(AddRowColumns(c, events, &done));
  if (!done) KMT_RETURN(AddAllColumns(c, events));
  return Status::OK();
}

// The events into the top-k, or to the export's visitor in block order.
Status BlockScanner::Deliver(std::vector<Event>* events) {
  std::lock_guard lock(s_.mu);
  for (auto& ev : *events) {
    if (s_.plan.whole_events) {
      if (s_.stop) break;
      if (!so_.visit_event(std::move(ev))) {
        s_.res->complete = false;
        s_.stop = true;
      }
      continue;
    }
    s_.top.Push(std::move(ev));
  }
  if (s_.top.Full()) s_.cutoff.store(s_.top.MinTs(), std::memory_order_relaxed);
  if (so_.max_memory_bytes && s_.top.Bytes() > so_.max_memory_bytes) {
    return Status::ResourceExhausted(fmt::format(
        "the query holds more than {} MiB of events (query.max_memory); lower the limit or narrow the query",
        so_.max_memory_bytes >> 20));
  }
  return Status::OK();
}

}  // namespace kamatama::store
