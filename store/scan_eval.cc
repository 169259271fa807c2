// store/scan_eval.cc
#include "store/scan_eval.h"

#include <algorithm>

namespace kamatama::store {

bool BlockRow::Get(std::string_view name, std::string_view* value) const {
  for (const auto& [n, c] : cols) {
    if (n == name) {
      if (!c->present[row]) return false;
      *value = c->values[row];
      return true;
    }
  }
  return false;
}

bool BlockRow::ForEachField(const std::function<void(std::string_view, std::string_view)>& f) const {
  for (const auto& [n, c] : cols) {
    if (c->present[row]) f(n, c->values[row]);
  }
  return true;
}

const DecodedColumn* FindLoaded(const std::vector<std::pair<std::string_view, const DecodedColumn*>>& loaded,
                                std::string_view name) {
  for (const auto& [n, c] : loaded) {
    if (n == name) return c;
  }
  return nullptr;
}

bool DictMemo::Reset(const BlockRow& row, bool on) {
  cols_.clear();
  if (!on) return usable_ = false;
  size_t states = 1;
  for (const auto& [n, c] : row.cols) {
    if (c->dict.empty()) return usable_ = false;
    cols_.push_back({c, states});
    states *= c->dict.size() + 1;  // + absent
    if (states > kMaxStates) return usable_ = false;
  }
  answers_.assign(states, -1);
  return usable_ = true;
}

bool DictMemo::Matches(const RowFilter& filter, const BlockRow& row) {
  if (!usable_) return filter.Matches(row);
  size_t k = 0;
  for (const auto& [c, stride] : cols_) k += (c->present[row.row] ? c->ids[row.row] + 1 : 0) * stride;
  int8_t& a = answers_[k];
  if (a < 0) a = filter.Matches(row) ? 1 : 0;
  return a == 1;
}

namespace {
// Rows of [begin, end) in range; only the candidate rows among them are asked.
uint64_t EvaluateCandidates(const RowFilter& filter, const BlockEval& in, uint32_t begin, uint32_t end,
                            size_t* next_cand, BlockRow& row, std::vector<uint32_t>* hits) {
  const std::vector<int64_t>* ts = in.ts;
  uint64_t in_range = 0;
  if (!ts) {
    in_range += end - begin;
  } else {
    for (uint32_t i = begin; i < end; ++i) in_range += (*ts)[i] >= in.from_ns && (*ts)[i] < in.to_ns;
  }
  const std::vector<uint32_t>& cand = *in.cand_rows;
  while (*next_cand < cand.size() && cand[*next_cand] < begin) ++*next_cand;
  for (; *next_cand < cand.size() && cand[*next_cand] < end; ++*next_cand) {
    const uint32_t i = cand[*next_cand];
    if (ts && ((*ts)[i] < in.from_ns || (*ts)[i] >= in.to_ns)) continue;
    row.row = i;
    if (in.same_for_all ? in.all_match : filter.Matches(row)) hits->push_back(i);
  }
  return in_range;
}
}  // namespace

uint64_t EvaluateBlock(const RowFilter& filter, const BlockEval& in, BlockRow& row, DictMemo& memo,
                       std::vector<uint32_t>* hits) {
  const bool rows_only = in.cand_rows != nullptr;
  memo.Reset(row, in.evaluate && !in.same_for_all && !rows_only);
  hits->clear();
  uint64_t in_range = 0;
  const std::vector<int64_t>* ts = in.ts;
  const std::vector<uint8_t>* frames = in.frames;
  const uint32_t run = in.frame_rows ? in.frame_rows : in.count;
  size_t next_cand = 0;
  for (uint32_t f = 0, begin = 0; begin < in.count; ++f, begin += run) {
    if (frames && !(*frames)[f]) continue;
    const uint32_t end = std::min(in.count, begin + run);
    const bool frame_all = in.block_all || (frames && (*frames)[f] == kSettledAll);
    if (rows_only && !frame_all) {
      in_range += EvaluateCandidates(filter, in, begin, end, &next_cand, row, hits);
      continue;
    }
    for (uint32_t i = begin; i < end; ++i) {
      if (ts && ((*ts)[i] < in.from_ns || (*ts)[i] >= in.to_ns)) continue;
      ++in_range;
      row.row = i;
      if (frame_all || (in.same_for_all ? in.all_match : memo.Matches(filter, row))) hits->push_back(i);
    }
  }
  return in_range;
}

}  // namespace kamatama::store
