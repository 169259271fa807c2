// store/scan_worker.h
//! One thread of a stored-block scan (issue 24), cut into its stages, each in its own file:
//! prune (scan_prune.cc: time range, token index, block and frame filters), fetch (scan_fetch.cc:
//! read and decode columns, narrow rows by the required text), evaluate (scan_eval.cc), aggregate
//! (scan_aggregate.cc: hits to a visitor) and materialise (scan_materialise.cc: hits to events).
//! scan_worker.cc runs them block by block. Internal to store/; Store::Scan sets up the shared
//! state (candidates, snapshot, plan) and runs one BlockScanner per thread.
#pragma once

#include <rocksdb/db.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "core/row.h"
#include "core/status.h"
#include "store/partition.h"
#include "store/scan_eval.h"
#include "store/scan_plan.h"
#include "store/store.h"

namespace kamatama::store {

// A block whose time range overlaps the query's.
struct Candidate {
  std::shared_ptr<Partition> part;
  const BlockHeader* h;
  const BlockHeader& header() const { return *h; }
};

// Keeps the newest `limit` events.
class TopK {
 public:
  explicit TopK(size_t limit) : limit_(limit) {}
  bool Full() const { return limit_ > 0 && heap_.size() >= limit_; }
  // Whether an event at ts would be kept.
  bool WouldKeep(int64_t ts) const { return limit_ > 0 && (!Full() || ts > heap_.top().timestamp_ns); }
  int64_t MinTs() const { return heap_.top().timestamp_ns; }
  void Push(Event ev);
  //! Approximate bytes of the events held.
  size_t Bytes() const { return bytes_; }
  std::vector<Event> TakeNewestFirst();

 private:
  struct Newer {
    bool operator()(const Event& a, const Event& b) const { return a.timestamp_ns > b.timestamp_ns; }
  };
  size_t limit_;
  size_t bytes_ = 0;
  std::priority_queue<Event, std::vector<Event>, Newer> heap_;  // top = oldest kept
};

// What the threads of one scan share. The top-k, stop flags and callbacks are guarded by `mu`;
// reading and decoding, the expensive part, runs unlocked.
struct ScanShared {
  rocksdb::DB* db = nullptr;
  const rocksdb::Snapshot* snap = nullptr;
  const RowFilter* filter = nullptr;
  const ScanOptions* so = nullptr;
  ScanPlan plan;
  std::vector<Candidate> cands;                                // newest first
  std::unordered_map<const Partition*, size_t> part_blocks;  // block count of each partition searched
  std::function<std::shared_ptr<const FilterSet>(Partition*, size_t)> filters_of;
  std::function<std::shared_ptr<const TokenIndex>(Partition*, size_t)> index_of;
  // A large scan must not flush the block cache: the columns it decodes fill the cache only up to
  // this many bytes (half of it); beyond that they are read uncached.
  uint64_t fill_budget = 0;
  size_t chunk = 1;  // candidates claimed at once (their filters are read together)
  std::mutex mu;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  // Once the top-k is full: its oldest time. Blocks entirely older are not read.
  std::atomic<int64_t> cutoff{INT64_MIN};
  std::atomic<uint64_t> matched{0}, scanned{0}, pruned{0}, read{0}, index_pruned{0}, decoded_bytes{0};
  TopK top{0};
  ScanResult* res = nullptr;
};

class BlockScanner {
 public:
  static constexpr size_t kChunk = 64;  // at most this many candidates claimed at once
  BlockScanner(ScanShared& s, unsigned self);
  //! Scans candidates until none is left, the scan stops, or an error.
  Status Run();

 private:
  using Loaded = std::vector<std::pair<std::string_view, const DecodedColumn*>>;
  // A column read and decoded for the block being evaluated (reused from block to block).
  struct ColumnSlot {
    rocksdb::PinnableSlice data;
    DecodedColumn col;
  };

  // run (scan_worker.cc)
  Status ScanBlock(const Candidate& c, int8_t verdict);
  // prune (scan_prune.cc)
  int8_t Answer(std::string_view filter_data) const;
  Status TestChunkFilters(size_t b, size_t e);
  Status BlockVerdict(const Candidate& c, int8_t* v);
  Status FrameVerdicts(const Candidate& c, bool block_all, bool* any);
  // fetch (scan_fetch.cc)
  Status GetColumn(const Candidate& c, const std::string& name, rocksdb::PinnableSlice* out);
  Status ReadTimes(const Candidate& c, uint32_t rows);
  Status Load(const Candidate& c, const std::string& name);
  Status Fetch(const Candidate& c, const std::string& name);
  Status NarrowByText(const Candidate& c, bool* any);
  // aggregate (scan_aggregate.cc): true if a visitor took the hits
  bool Aggregate();
  // materialise (scan_materialise.cc)
  bool KeepNewest();
  Status Materialise(const Candidate& c, std::vector<Event>* events);
  Status ReadOriginals(const Candidate& c);
  Status AddRowColumns(const Candidate& c, std::vector<Event>* events, bool* done);
  Status AddAllColumns(const Candidate& c, std::vector<Event>* events);
  Status Deliver(std::vector<Event>* events);

  ScanShared& s_;
  const RowFilter& filter_;
  const ScanOptions& so_;
  const unsigned self_;
  rocksdb::ReadOptions ro_, bulk_;
  const std::string orig_name_;

  // prune: the verdicts of the claimed chunk's candidates (Verdict; -1 none under FilterKey)
  size_t chunk_first_ = 0;
  std::vector<int8_t> verdict_;
  std::vector<std::pair<uint64_t, size_t>> wanted_;  // block id, index in the chunk
  IndexPruner index_pruner_;
  rocksdb::PinnableSlice old_filter_, frame_data_;
  std::vector<std::string_view> frame_filters_;

  // the block being scanned
  bool whole_range_ = false, have_times_ = false;
  bool original_fetched_ = false;  // event.original read for the required text
  bool rows_only_ = false;         // Load decodes only cand_rows_
  const std::vector<uint8_t>* frame_mask_ = nullptr;   // frames_ where the block has frames
  const std::vector<uint8_t>* decode_mask_ = nullptr;  // frames whose rows Load decodes
  std::vector<uint8_t> frames_, eval_frames_, search_frames_;
  std::vector<uint32_t> cand_rows_;  // rows holding the required text, ascending
  std::vector<uint32_t> hits_;
  uint32_t hit_rows_ = 0;  // the last hit's row + 1 (before KeepNewest)
  rocksdb::PinnableSlice times_data_;
  std::vector<int64_t> ts_, ing_;
  std::unordered_map<std::string, ColumnSlot> slots_;  // decoded columns by name
  Loaded loaded_;                                     // this block's
  BlockRow row_;
  DictMemo memo_;

  // materialise
  std::vector<uint8_t> wanted_cols_;
  std::vector<size_t> fetch_cols_, col_slot_;
  std::vector<std::string> fetch_keys_;
  std::vector<rocksdb::Slice> fetch_slices_;
  std::vector<rocksdb::PinnableSlice> fetch_values_;
  std::vector<rocksdb::Status> fetch_status_;
  rocksdb::PinnableSlice orig_slice_, row_cols_;
  std::vector<std::string_view> orig_rows_, vals_;
  std::vector<uint8_t> pres_;
  bool have_orig_ = false;
};

//! Runs s.plan.threads BlockScanners (the calling thread is one); the first error, if any.
Status RunScanners(ScanShared& s);

//! Converts a RocksDB status (store.cc).
Status FromRocks(const rocksdb::Status& s);
//! Grows a vector of PinnableSlices without moving any (store.cc: RocksDB 7.8's move constructor).
void GrowSlices(std::vector<rocksdb::PinnableSlice>* v, size_t n);

}  // namespace kamatama::store

#define KMT_RETURN(expr)     \
  do {                       \
    Status _s = (expr);      \
    if (!_s.ok()) return _s; \
  } while (0)
