// store/block.h
//! The columnar block: the unit in which events are stored, pruned and read.
//!
//! A block of up to a few thousand events of one UTC day is kept under consecutive RocksDB keys of
//! that day's column family, all prefixed by the block id (8 bytes big-endian, increasing):
//!   id|0x00        header: count, time range, column names, raw size
//!   id|0x01        token filter: a Bloom filter of every token of every string value
//!   id|0x02        timestamps: @timestamp and event.ingested, delta-encoded
//!   id|0x03|name   one column: every row's value of field `name` (absent rows marked); in a
//!                  block with frames, prefixed by where each frame's values start
//!   id|0x04        frame filters (store format 3): one small Bloom filter per frame of 256 rows
//!   id|0x05        row columns (store format 3): which columns each row has, as an index into a
//!                  list of distinct column sets, so that materialising a hit reads only its columns
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

enum class KeyKind : char { kHeader = 0, kFilter = 1, kTimes = 2, kColumn = 3, kFrameFilters = 4, kRowColumns = 5 };

//! Rows per frame (store format 3): blocks of more rows are cut into frames of this many rows,
//! each with its own small token filter (id|0x04) and its start recorded in every column, so a
//! search decodes and evaluates only the frames of a block that may hold a match.
constexpr size_t kFrameRows = 256;

std::string BlockKey(uint64_t block_id, KeyKind kind, std::string_view column = {});

//! Where a block's token filter lives since store format 2: after every block key ("\xff" "F"
//! id), so the filters of a day sit together in their own table blocks, and a search that prunes
//! most blocks reads only filters, not the column data stored beside them. Block ids stay below
//! 2^56, so no block key starts with 0xff. Blocks written by format 1 keep theirs at
//! BlockKey(id, kFilter), read as a fallback.
std::string FilterKey(uint64_t block_id);
inline constexpr std::string_view kFilterKeyPrefix{"\xff" "F", 2};  //!< FilterKey = prefix + id (8 bytes BE)
inline bool IsFilterKey(std::string_view key) { return !key.empty() && static_cast<unsigned char>(key[0]) == 0xff; }

struct BlockHeader {
  uint64_t id = 0;
  uint32_t count = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  uint64_t raw_bytes = 0;  //!< bytes of original lines in the block
  std::vector<std::string> columns;
  uint32_t version = 2;     //!< header version: 1 before store format 3
  uint32_t frame_rows = 0;  //!< rows per frame; 0: one frame, no frame filters (blocks before format 3)
  uint32_t frames() const { return frame_rows ? (count + frame_rows - 1) / frame_rows : 1; }
};

std::string EncodeHeader(const BlockHeader& h);
Status DecodeHeader(std::string_view in, BlockHeader* h);

//! A Bloom filter over token hashes, 10 bits per distinct token, 7 probes (~1% false positives).
class TokenBloom {
 public:
  static std::string Build(std::vector<uint64_t>* hashes);  // dedups *hashes (10 bits/key, 7 probes)
  static std::string Build(std::vector<uint64_t>* hashes, int bits_per_key, int probes);
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
  std::string frame_filters;  //!< empty when frame_rows == 0; see DecodeFrameFilters
  std::string row_columns;    //!< see ColumnsOfRows
  std::string times;
  std::vector<std::pair<std::string, std::string>> columns;  // name, encoded column
  std::vector<uint64_t> tokens;  //!< the distinct indexed token hashes (store/token_index.h), not stored
};

//! Encodes events (all of one day) into a block with the given id.
void EncodeBlock(uint64_t id, const std::vector<const Event*>& events, EncodedBlock* out);

//! The per-frame token filters of a block (value under BlockKey(id, kFrameFilters)): one
//! TokenBloom per frame, in row order. Views into `in`.
Status DecodeFrameFilters(std::string_view in, uint32_t frames, std::vector<std::string_view>* filters);

//! From a block's row columns (value under BlockKey(id, kRowColumns)): sets (*wanted)[c] for every
//! column c (index into the header's columns) that any of `rows` (ascending) has.
Status ColumnsOfRows(std::string_view in, uint32_t count, size_t columns, const std::vector<uint32_t>& rows,
                     std::vector<uint8_t>* wanted);

//! Whether an encoded column is stored relative to event.original (message as its suffix; since
//! store format 4, span columns): DecodeColumn, DecodeRows and ExtractRows then need the
//! original lines of the rows they decode.
bool ColumnNeedsOriginal(std::string_view encoded_column);

//! The rows of a plain column (event.original) whose value contains `needle` ASCII-case-
//! insensitively (FindIgnoreCase), ascending, appended to *rows. Only the runs (frames) that
//! `frames` marks non-zero are searched (every row if it is null or the column has no frame
//! offsets). Each run is searched in one pass over its bytes and the hits mapped back to rows by
//! walking the length prefixes, so a frame holding the needle once costs one search, not one per
//! row. False if the column is not plain (dictionary or suffix encoded) or damaged: the caller
//! then cannot rule out any row.
bool RowsContaining(std::string_view in, uint32_t count, std::string_view needle, const std::vector<uint8_t>* frames,
                    std::vector<uint32_t>* rows);

//! A decoded column: per row, whether present and a view of the value (into the encoded buffer
//! or, for message columns stored as suffixes, into the original column).
//! values[i] is meaningful only where present[i] (a DecodedColumn reused for another block may
//! keep old views in rows it did not decode).
//! A dictionary-encoded column decoded by DecodeColumn also gives each row's index into `dict`
//! (the block's distinct values; `ids` is meaningful where present); `dict` is empty otherwise.
struct DecodedColumn {
  std::vector<std::string_view> values;
  std::vector<uint8_t> present;
  std::vector<uint32_t> ids;
  std::vector<std::string_view> dict;
};

//! Decodes absolute @timestamp and (if `ingested` is not null) event.ingested values of block `h`,
//! for its first `rows` rows (all by default; the vectors are sized for all of them).
//! Header version 1 stores each event.ingested relative to the event's @timestamp, version 2
//! relative to the previous event.ingested (arrival order: a few bytes, where the distance to an
//! old @timestamp took eight).
Status DecodeTimes(std::string_view in, const BlockHeader& h, std::vector<int64_t>* ts, std::vector<int64_t>* ingested,
                   uint32_t rows = UINT32_MAX);
//! `original` is needed only for columns stored relative to event.original (message).
//! `frames` (optional, one entry per frame of the block): only rows of frames marked non-zero
//! are decoded, the others read as absent; a column without frame offsets (blocks before store
//! format 3) is decoded whole. `original` must hold at least the same frames.
Status DecodeColumn(std::string_view in, uint32_t count, const DecodedColumn* original, DecodedColumn* out,
                    const std::vector<uint8_t>* frames = nullptr);

//! Decodes only `rows` (ascending) of a column: (*present)[k] and (*values)[k] for rows[k].
//! `original_rows` (same order as rows) is needed only for columns stored relative to
//! event.original. Cheaper than DecodeColumn when few rows are wanted from a wide block.
Status ExtractRows(std::string_view in, uint32_t count, const std::vector<uint32_t>& rows,
                   const std::vector<std::string_view>* original_rows, std::vector<std::string_view>* values,
                   std::vector<uint8_t>* present);

//! DecodeColumn for `rows` (ascending) only: the other rows read as absent. `original` must hold
//! those rows.
Status DecodeRows(std::string_view in, uint32_t count, const DecodedColumn* original, const std::vector<uint32_t>& rows,
                  DecodedColumn* out);

}  // namespace kamatama::store
