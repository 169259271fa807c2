// store/scan_eval.h
//! The evaluate stage of a scan (issue 24): a block's decoded columns as rows, the query filter
//! asked per row (or once per combination of dictionary indexes), giving the block's hits. No
//! RocksDB here: it works on columns already fetched and decoded (store/block.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/row.h"
#include "store/block.h"

namespace kamatama::store {

//! What token filters say of a block or a frame. kNoFilter: the block has none under FilterKey.
enum Verdict : int8_t { kNoFilter = -1, kPruned = 0, kMaybe = 1, kSettledAll = 2 };

//! The decoded columns of a block seen as one row at a time.
class BlockRow final : public FieldAccessor {
 public:
  std::vector<std::pair<std::string_view, const DecodedColumn*>> cols;
  uint32_t row = 0;
  bool Get(std::string_view name, std::string_view* value) const override;
  bool ForEachField(const std::function<void(std::string_view, std::string_view)>& f) const override;
};

//! The column `name` among `loaded`, or null.
const DecodedColumn* FindLoaded(const std::vector<std::pair<std::string_view, const DecodedColumn*>>& loaded,
                                std::string_view name);

// A filter's answers by the values it reads, for a block whose loaded columns are all
// dictionary-encoded: rows with the same dictionary indexes (and absences) get the same answer,
// so the filter is asked once per distinct combination instead of once per row (a
// `event.dataset:firewall.* event.type:*denied*` over a block of 2,048 rows asks a few dozen times).
class DictMemo {
 public:
  //! Whether the memo serves `row`'s columns (else Matches asks the filter for every row); `on`
  //! false: never.
  bool Reset(const BlockRow& row, bool on);
  bool Matches(const RowFilter& filter, const BlockRow& row);

 private:
  static constexpr size_t kMaxStates = 4096;
  std::vector<std::pair<const DecodedColumn*, size_t>> cols_;
  std::vector<int8_t> answers_;
  bool usable_ = false;
};

//! What EvaluateBlock asks of a block.
struct BlockEval {
  uint32_t count = 0;       //!< rows of the block
  uint32_t frame_rows = 0;  //!< rows per frame (0: one run of `count`)
  //! Per frame: kPruned skipped, kMaybe evaluated, kSettledAll every row in range a hit; null:
  //! every frame evaluated.
  const std::vector<uint8_t>* frames = nullptr;
  bool block_all = false;  //!< every row in range is a hit (the block's tokens settled it)
  bool evaluate = true;    //!< some frame is evaluated (false: the memo is not set up)
  bool same_for_all = false, all_match = false;  //!< ScanPlan's
  //! Non-null: only these rows (ascending) of evaluated frames can match (they hold the filter's
  //! required text); the others count as scanned, not asked.
  const std::vector<uint32_t>* cand_rows = nullptr;
  //! Null: every row is in range; else each row's time, compared with [from_ns, to_ns).
  const std::vector<int64_t>* ts = nullptr;
  int64_t from_ns = INT64_MIN, to_ns = INT64_MAX;
};

//! The block's hits (ascending) into *hits, asking `filter` through `row` (its columns set) and
//! `memo`; returns the rows in range (scanned).
uint64_t EvaluateBlock(const RowFilter& filter, const BlockEval& in, BlockRow& row, DictMemo& memo,
                       std::vector<uint32_t>* hits);

}  // namespace kamatama::store
