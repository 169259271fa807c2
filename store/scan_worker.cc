// store/scan_worker.cc: one thread of a scan, taking candidate blocks (newest first) a chunk at a
// time and running each through the stages of scan_worker.h.
#include <algorithm>
#include <thread>

#include "store/scan_worker.h"

namespace kamatama::store {

BlockScanner::BlockScanner(ScanShared& s, unsigned self)
    : s_(s), filter_(*s.filter), so_(*s.so), self_(self), orig_name_(field::kOriginal), verdict_(kChunk),
      index_pruner_(*s.filter) {
  ro_.snapshot = s.snap;
  bulk_ = ro_;
  bulk_.fill_cache = false;
}

Status BlockScanner::Run() {
  size_t chunk_pos = 0, chunk_end = 0;
  while (!s_.stop.load(std::memory_order_relaxed)) {
    if (chunk_pos == chunk_end) {
      size_t b = s_.next.fetch_add(s_.chunk);
      if (b >= s_.cands.size()) break;
      chunk_first_ = chunk_pos = b;
      chunk_end = std::min(b + s_.chunk, s_.cands.size());
      if (s_.plan.read_filters) KMT_RETURN(TestChunkFilters(b, chunk_end));
    }
    const size_t ci = chunk_pos++;
    const Candidate& c = s_.cands[ci];
    if (c.header().max_ts < s_.cutoff.load(std::memory_order_relaxed)) {
      // The top-k is full and this block and every later one (older max_ts) are too old; other
      // threads may still hold newer blocks of their chunks, so only this thread stops.
      std::lock_guard lock(s_.mu);
      s_.res->complete = false;
      break;
    }
    if ((so_.deadline_ns && NowSteady() > so_.deadline_ns) || (so_.cancelled && so_.cancelled->load())) {
      std::lock_guard lock(s_.mu);
      s_.res->complete = false;
      s_.res->timed_out = true;
      s_.stop = true;
      break;
    }
    KMT_RETURN(ScanBlock(c, s_.plan.read_filters ? verdict_[ci - chunk_first_] : int8_t{kMaybe}));
  }
  return Status::OK();
}

// One candidate block through the stages: prune, fetch, evaluate, then aggregate or materialise.
Status BlockScanner::ScanBlock(const Candidate& c, int8_t verdict) {
  const BlockHeader& h = c.header();
  bool block_all = false;  // every row of the block matches (its tokens settle the filter)
  if (s_.plan.read_filters) {
    KMT_RETURN(BlockVerdict(c, &verdict));
    if (verdict == kPruned) {
      ++s_.pruned;
      return Status::OK();
    }
    block_all = verdict == kSettledAll;
  }
  frame_mask_ = nullptr;
  if (h.frame_rows) {
    bool any = true;
    KMT_RETURN(FrameVerdicts(c, block_all, &any));
    frame_mask_ = &frames_;
    if (!any) {
      ++s_.pruned;
      return Status::OK();
    }
  }
  ++s_.read;
  // The times column is read only where needed: to drop rows outside the range (a block partly in
  // it) or for the hits' times. A block wholly in range without a hit never reads it.
  whole_range_ = h.min_ts >= so_.from_ns && h.max_ts < so_.to_ns;
  have_times_ = false;
  if (!whole_range_) KMT_RETURN(ReadTimes(c, h.count));
  loaded_.clear();
  original_fetched_ = false;
  decode_mask_ = frame_mask_;
  rows_only_ = false;
  cand_rows_.clear();
  const auto& columns = h.columns;
  if (!block_all && !filter_.RequiredText().empty() &&
      std::find(columns.begin(), columns.end(), orig_name_) != columns.end()) {
    bool any = true;
    KMT_RETURN(NarrowByText(c, &any));
    if (!any) return Status::OK();
  }
  // Frames the tokens settled (kSettledAll) are neither decoded nor evaluated: their rows in range
  // are hits. `settled` says some are; loaded columns then lack those rows.
  bool settled = block_all, evaluate = !block_all;
  if (frame_mask_ && !block_all) {
    evaluate = false;
    eval_frames_.assign(frames_.size(), 0);
    for (size_t f = 0; f < frames_.size(); ++f) {
      settled = settled || frames_[f] == kSettledAll;
      evaluate = evaluate || frames_[f] == kMaybe;
      eval_frames_[f] = frames_[f] == kMaybe;
    }
    decode_mask_ = &eval_frames_;
  }
  if (evaluate) {
    for (const auto& r : filter_.ReferencedFields()) KMT_RETURN(Load(c, r));
  }
  row_.cols = loaded_;
  BlockEval in;
  in.count = h.count;
  in.frame_rows = h.frame_rows;
  in.frames = frame_mask_;
  in.block_all = block_all;
  in.evaluate = evaluate;
  in.same_for_all = s_.plan.same_for_all;
  in.all_match = s_.plan.all_match;
  in.cand_rows = rows_only_ ? &cand_rows_ : nullptr;
  in.ts = whole_range_ ? nullptr : &ts_;
  in.from_ns = so_.from_ns;
  in.to_ns = so_.to_ns;
  s_.scanned += EvaluateBlock(filter_, in, row_, memo_, &hits_);
  s_.matched += hits_.size();
  if (hits_.empty() || s_.plan.count_only) return Status::OK();  // counting: nothing of a hit is read
  if (settled) {
    // Hits in settled frames: what is read from here on must be decoded for every hit frame.
    loaded_.clear();
    row_.cols = loaded_;
    decode_mask_ = frame_mask_;
    rows_only_ = false;
  }
  hit_rows_ = hits_.back() + 1;  // hits are ascending until KeepNewest
  if (!have_times_) {
    if (s_.plan.visiting && !so_.need_timestamps) {
      ts_.assign(h.count, h.min_ts);  // the visitor ignores the time
    } else {
      KMT_RETURN(ReadTimes(c, hit_rows_));
    }
  }
  if (s_.plan.visiting && !so_.visit_fields.empty()) {
    // The fields the visitor reads, decoded only for blocks with a hit.
    for (const auto& r : so_.visit_fields) KMT_RETURN(Load(c, r));
    row_.cols = loaded_;
  }
  if (Aggregate()) return Status::OK();
  if (!s_.plan.whole_events && !KeepNewest()) return Status::OK();
  std::vector<Event> events;
  KMT_RETURN(Materialise(c, &events));
  return Deliver(&events);
}

}  // namespace kamatama::store

namespace kamatama::store {

Status RunScanners(ScanShared& s) {
  Status error;
  auto run = [&](unsigned self) {
    Status st = BlockScanner(s, self).Run();
    if (!st.ok()) {
      std::lock_guard lock(s.mu);
      if (error.ok()) error = std::move(st);
      s.stop = true;
    }
  };
  if (s.plan.threads <= 1) {
    run(0);
  } else {
    std::vector<std::thread> pool;
    pool.reserve(s.plan.threads - 1);
    for (unsigned t = 1; t < s.plan.threads; ++t) pool.emplace_back(run, t);
    run(0);
    for (auto& t : pool) t.join();
  }
  return error;
}

}  // namespace kamatama::store
