// store/scan_prune.cc: the prune stage of a scan. Blocks out of the time range never become
// candidates (Store::Scan); the others are tested against their day's token index, then their
// token filters (in memory, else read from RocksDB a chunk at a time), then their frames' filters.
#include <algorithm>

#include "store/scan_worker.h"

namespace kamatama::store {

int8_t BlockScanner::Answer(std::string_view fd) const {
  switch (filter_.Answer([fd](uint64_t h) { return TokenBloom::MayContain(fd, h); })) {
    case BlockAnswer::kNone: return kPruned;
    case BlockAnswer::kAll: return kSettledAll;
    case BlockAnswer::kSome: return kMaybe;
  }
  return kMaybe;
}

// The verdicts of the candidates [b, e). The token filters of a chunk are read by walking the
// filter keys of its partition with one iterator (neighbouring blocks' filters are adjacent keys,
// usually in one table block) and tested as they pass by: one Next() per filter instead of one
// lookup (index seek, cache probe) each.
Status BlockScanner::TestChunkFilters(size_t b, size_t e) {
  std::fill(verdict_.begin(), verdict_.end(), int8_t{kNoFilter});
  const auto& cands = s_.cands;
  for (size_t first = b; first < e;) {
    // The candidates of one partition (a chunk rarely spans two), ascending by id: tested from the
    // partition's token index, then its filters in memory, else read from RocksDB below.
    Partition* part = cands[first].part.get();
    const size_t blocks_seen = s_.part_blocks.find(part)->second;
    if (so_.use_token_index && index_pruner_.Useful()) index_pruner_.Use(s_.index_of(part, blocks_seen));
    std::shared_ptr<const FilterSet> in_memory;
    bool filters_asked = false;
    wanted_.clear();
    size_t j = first;
    for (; j < e && cands[j].part.get() == part; ++j) {
      if (so_.use_token_index && index_pruner_.Prunes(cands[j].header().id)) {
        verdict_[j - b] = kPruned;
        s_.index_pruned.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (!filters_asked) {
        in_memory = s_.filters_of(part, blocks_seen);
        filters_asked = true;
      }
      if (in_memory) {
        if (auto fd = in_memory->Find(cands[j].header().id)) {
          verdict_[j - b] = Answer(*fd);
          continue;
        }
      }
      wanted_.emplace_back(cands[j].header().id, j - b);
    }
    first = j;
    if (wanted_.empty()) continue;
    std::sort(wanted_.begin(), wanted_.end());
    std::unique_ptr<rocksdb::Iterator> it(s_.db->NewIterator(ro_, part->cf));
    std::string target = FilterKey(wanted_.front().first);
    it->Seek(target);
    for (const auto& [id, slot] : wanted_) {
      target = FilterKey(id);
      // Usually the next key already; Seek only over a gap.
      for (int steps = 0; it->Valid() && it->key().compare(target) < 0; ++steps) {
        if (steps == 2) {
          it->Seek(target);
          break;
        }
        it->Next();
      }
      if (!it->Valid()) break;
      if (it->key().compare(target) != 0) continue;
      verdict_[slot] = Answer(std::string_view(it->value().data(), it->value().size()));
    }
    if (!it->status().ok()) return FromRocks(it->status());
  }
  return Status::OK();
}

// A block without a verdict from its chunk: one written by store format 1 keeps its filter
// beside its columns.
Status BlockScanner::BlockVerdict(const Candidate& c, int8_t* v) {
  if (*v != kNoFilter) return Status::OK();
  old_filter_.Reset();
  auto fs = s_.db->Get(ro_, c.part->cf, BlockKey(c.header().id, KeyKind::kFilter), &old_filter_);
  if (fs.ok()) *v = Answer(std::string_view(old_filter_.data(), old_filter_.size()));
  else if (!fs.IsNotFound()) return FromRocks(fs);
  return Status::OK();
}

// Frames (store format 3): frames_ says which frames may match (their own filters); *any false
// if none may. Every frame is kept where the filters are not read or the block is settled.
Status BlockScanner::FrameVerdicts(const Candidate& c, bool block_all, bool* any) {
  *any = true;
  frames_.assign(c.header().frames(), kMaybe);
  if (!s_.plan.read_filters || block_all) return Status::OK();
  frame_data_.Reset();
  auto fs = s_.db->Get(ro_, c.part->cf, BlockKey(c.header().id, KeyKind::kFrameFilters), &frame_data_);
  if (!fs.ok() && !fs.IsNotFound()) return FromRocks(fs);
  if (!fs.ok()) return Status::OK();
  KMT_RETURN(DecodeFrameFilters(std::string_view(frame_data_.data(), frame_data_.size()), c.header().frames(),
                                &frame_filters_));
  *any = false;
  for (size_t f = 0; f < frame_filters_.size(); ++f) {
    frames_[f] = static_cast<uint8_t>(Answer(frame_filters_[f]));
    *any = *any || frames_[f];
  }
  return Status::OK();
}

}  // namespace kamatama::store
