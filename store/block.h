// store/block.h
//! The columnar block: the unit in which events are stored, pruned and read.
//!
//! A block of up to a few thousand events of one UTC day is kept under consecutive RocksDB keys of
//! that day's column family, all prefixed by the block id (8 bytes big-endian, increasing):
//!   id|0x00        header: count, time range, column names, raw size
//!   id|0x01        token filter: a Bloom filter of every token of every string value
//!   id|0x02        timestamps: @timestamp and event.ingested, delta-encoded
//!   id|0x03|name   one column: every row's value of field `name` (absent rows marked)
//! Because ids only grow, memtable flushes produce non-overlapping files and RocksDB moves them
//! down the levels without rewriting (write amplification close to 1). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace kamatama::store {

enum class KeyKind : char { kHeader = 0, kFilter = 1, kTimes = 2, kColumn = 3 };

std::string BlockKey(uint64_t block_id, KeyKind kind, std::string_view column = {});

//! Where a block's token filter lives since store format 2: after every block key ("\xff" "F"
//! id), so the filters of a day sit together in their own table blocks, and a search that prunes
//! most blocks reads only filters, not the column data stored beside them. Block ids stay below
//! 2^56, so no block key starts with 0xff. Blocks written by format 1 keep theirs at
//! BlockKey(id, kFilter), read as a fallback.
std::string FilterKey(uint64_t block_id);
inline bool IsFilterKey(std::string_view key) { return !key.empty() && static_cast<unsigned char>(key[0]) == 0xff; }

struct BlockHeader {
  uint64_t id = 0;
  uint32_t count = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  uint64_t raw_bytes = 0;  //!< bytes of original lines in the block
  std::vector<std::string> columns;
};

std::string EncodeHeader(const BlockHeader& h);
Status DecodeHeader(std::string_view in, BlockHeader* h);

//! A Bloom filter over token hashes, 10 bits per distinct token, 7 probes (~1% false positives).
class TokenBloom {
 public:
  static std::string Build(std::vector<uint64_t>* hashes);  // sorts and dedups *hashes
  //! `data` must outlive the view; an empty/corrupt filter answers true (never loses data).
  static bool MayContain(std::string_view data, uint64_t hash);
};

//! Collects the token hashes of a value into *out (see core/tokenize.h).
void AddTokenHashes(std::string_view value, std::vector<uint64_t>* out);

//! An encoded block, ready to be written under its keys.
struct EncodedBlock {
  BlockHeader header;
  std::string header_value;
  std::string filter;
  std::string times;
  std::vector<std::pair<std::string, std::string>> columns;  // name, encoded column
};

//! Encodes events (all of one day) into a block with the given id.
void EncodeBlock(uint64_t id, const std::vector<const Event*>& events, EncodedBlock* out);

//! A decoded column: per row, whether present and a view of the value (into the encoded buffer
//! or, for message columns stored as suffixes, into the original column).
struct DecodedColumn {
  std::vector<std::string_view> values;
  std::vector<uint8_t> present;
};

//! Decodes absolute @timestamp and event.ingested values of a block whose header says min_ts.
Status DecodeTimes(std::string_view in, uint32_t count, int64_t min_ts, std::vector<int64_t>* ts,
                   std::vector<int64_t>* ingested);
//! `original` is needed only for columns stored relative to event.original (message).
Status DecodeColumn(std::string_view in, uint32_t count, const DecodedColumn* original, DecodedColumn* out);

//! Decodes only `rows` (ascending) of a column: (*present)[k] and (*values)[k] for rows[k].
//! `original_rows` (same order as rows) is needed only for columns stored relative to
//! event.original. Cheaper than DecodeColumn when few rows are wanted from a wide block.
Status ExtractRows(std::string_view in, uint32_t count, const std::vector<uint32_t>& rows,
                   const std::vector<std::string_view>* original_rows, std::vector<std::string_view>* values,
                   std::vector<uint8_t>* present);

}  // namespace kamatama::store
