// store/partition.h
//! A day's column family as the store and its scans see it (internal to store/).
#pragma once

#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/block.h"
#include "store/token_index.h"

namespace kamatama::store {

// The token filters of a partition's blocks, held in memory so that pruning does not go through
// RocksDB for each block (its lookups cost ~10x the Bloom test). Immutable once built; blocks
// sealed later are read from RocksDB until the set is rebuilt (Store::Impl::FiltersOf).
struct FilterSet {
  std::vector<uint64_t> ids;   // ascending
  std::vector<uint32_t> ends;  // end of each filter in data
  std::string data;
  std::atomic<size_t>* accounted = nullptr;  // the store's total, decreased when dropped
  size_t Bytes() const { return data.size() + ids.size() * (sizeof(uint64_t) + sizeof(uint32_t)); }
  //! The filter of block `id`, or nullopt if the set does not hold it.
  std::optional<std::string_view> Find(uint64_t id) const {
    auto it = std::lower_bound(ids.begin(), ids.end(), id);
    if (it == ids.end() || *it != id) return std::nullopt;
    const size_t i = static_cast<size_t>(it - ids.begin());
    const uint32_t begin = i ? ends[i - 1] : 0;
    return std::string_view(data.data() + begin, ends[i] - begin);
  }
  ~FilterSet() {
    if (accounted) accounted->fetch_sub(Bytes());
  }
};

// One day's column family; the handle is destroyed when the last scan using it is done.
struct Partition {
  int64_t day = 0;
  std::mutex filters_mu;                     // guards filters and filters_tried_at
  std::shared_ptr<const FilterSet> filters;  // null until a search needs them (or if refused)
  size_t filters_tried_at = 0;               // block count at the last load attempt (0: none)
  // issue 24: the day's token index, read when a search first needs it and again once 16 more
  // blocks were sealed (null: none stored, or unreadable: the filters decide). See IndexOf.
  std::mutex index_mu;
  std::shared_ptr<const TokenIndex> index;
  size_t index_tried_at = 0;  // block count at the last read (0: never read)
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  // Ascending id. A deque: appending never moves existing headers, so a scan may point at them
  // after releasing the store's lock (the partition itself is kept alive by its shared_ptr).
  std::deque<BlockHeader> blocks;
  ~Partition() {
    if (db && cf) db->DestroyColumnFamilyHandle(cf);
  }
};

}  // namespace kamatama::store
