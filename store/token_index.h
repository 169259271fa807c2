// store/token_index.h
//! The token index of a day (issue 24): token -> the blocks of that day holding it, above the
//! blocks' Bloom filters, so that a search for a rare token (a user, a hash) finds its few blocks
//! without testing every block's filter and without reading the blocks the filters let through
//! by mistake.
//!
//! It holds only tokens that tell a row apart (IsIndexedToken: 8 bytes or more with a letter: user
//! names, hashes, host and domain names, file names), not numbers and addresses, nor short words:
//! on the bench's lines an index of every token took 10.8 bytes per event.
//! It is complete over the blocks it covers: every distinct indexed token hash of those blocks has an
//! entry, keyed by a 32-bit fingerprint (the hash's high half). Tokens sharing a fingerprint share
//! an entry whose blocks are the union of theirs, so a lookup may name blocks that lack the token
//! (the Bloom filter and the rows then decide) but never misses one that has it:
//!  - no entry: the token is in none of the covered blocks;
//!  - an entry with blocks: only those (at most kMaxPostings) may hold it;
//!  - a common entry (in more blocks than that): the index says nothing, the filters decide.
//! Blocks the index does not cover (older stores, blocks sealed after its last write before a
//! crash) are pruned by their filters as before.
//!
//! Stored as one value under kTokenIndexKey in the day's column family, rewritten whole, in the
//! same atomic batch as the block whose sealing brings it up to date: after a crash it is
//! consistent with the blocks it lists. Layout (all varints unless said):
//!   version (1 byte, 1) | block count | first block id, then deltas |
//!   entry count | group count | per group: first fingerprint (4 bytes LE), byte offset of the
//!   group from the start of the group data (4 bytes LE) | group data: per entry, fingerprint
//!   delta from the previous entry of the group (0 for the first), posting count n (0: common),
//!   n block ordinals (index into the block list) ascending, as deltas.
//! Entries are sorted by fingerprint and cut into groups of kGroupEntries for the lookup.
//! Thread-safety: TokenIndex is immutable (any number of readers); TokenIndexBuilder is used by
//! the writer thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/row.h"
#include "core/status.h"

namespace kamatama::store {

//! Whether a token is indexed: at least kIndexedTokenMin bytes, and a letter, '_' or a non-ASCII
//! byte among them (the same answer for every case variant).
constexpr size_t kIndexedTokenMin = 8;
bool IsIndexedToken(std::string_view token);
//! Appends the hashes (HashTokenLower) of the indexed tokens of `value` to *out.
void AddIndexedTokenHashes(std::string_view value, std::vector<uint64_t>* out);

//! Key of a day's token index (after every block key and every filter key of the day).
inline constexpr std::string_view kTokenIndexKey{"\xff" "I", 2};

class TokenIndex {
 public:
  static constexpr uint32_t kMaxPostings = 8;  //!< a token in more blocks is common
  static constexpr uint32_t kGroupEntries = 128;
  //! What a lookup says: kAbsent, or kBlocks (`ordinals` lists them), or kCommon.
  enum class Kind : uint8_t { kAbsent, kBlocks, kCommon };
  struct Posting {
    Kind kind = Kind::kAbsent;
    uint8_t count = 0;
    uint16_t ordinals[kMaxPostings] = {};
    bool Has(uint32_t ordinal) const;
  };

  //! Parses an encoded index (copied: the index owns its bytes).
  static Status Parse(std::string_view data, TokenIndex* out);
  //! The position of block `id` in the index's block list, or -1 if it does not cover it.
  int32_t Ordinal(uint64_t block_id) const;
  Posting Lookup(uint64_t token_hash) const;
  const std::vector<uint64_t>& blocks() const { return blocks_; }
  size_t entries() const { return entries_; }
  size_t Bytes() const { return data_.size() + blocks_.size() * sizeof(uint64_t); }
  //! Every entry in fingerprint order (for a builder continuing from a stored index).
  Status ForEachEntry(const std::function<void(uint32_t fingerprint, const Posting& p)>& f) const;

 private:
  std::string_view Group(size_t g) const;
  std::string data_;
  std::vector<uint64_t> blocks_;
  size_t entries_ = 0, groups_ = 0;
  size_t directory_ = 0, group_data_ = 0;  // offsets in data_
};

//! Builds a day's index block by block (writer thread). Holds one 8-byte pair per token and
//! block (fewer for common tokens) until the day is done.
class TokenIndexBuilder {
 public:
  //! Continues from a stored index (its blocks stay covered).
  static Status FromIndex(std::string_view data, TokenIndexBuilder* out);
  //! Adds a block's distinct token hashes. Blocks must come with increasing ids; a day of more
  //! than 65,535 blocks leaves the later ones uncovered.
  void AddBlock(uint64_t block_id, const std::vector<uint64_t>& distinct_hashes);
  //! Blocks added since the last Encode.
  size_t pending_blocks() const { return pending_blocks_; }
  size_t blocks() const { return blocks_.size(); }
  //! The whole index as stored.
  std::string Encode();

 private:
  void Merge();
  std::vector<uint64_t> blocks_;
  std::vector<uint64_t> pairs_;    // fingerprint << 32 | ordinal, sorted; at most kMaxPostings + 1 per fingerprint
  std::vector<uint64_t> pending_;  // pairs of the blocks added since the last Merge, unsorted
  size_t pending_blocks_ = 0;
};

//! Prunes the blocks of one day by its token index for one filter (Store::Scan, before the
//! blocks' filters). One per scanning thread: not thread-safe.
class IndexPruner {
 public:
  //! Only the tokens of the filter's required text (RowFilter::RequiredText) are looked up: their
  //! text, hence whether they are indexed, is known; every other token may be in any block.
  explicit IndexPruner(const RowFilter& filter);
  //! Whether the index can prune anything for this filter.
  bool Useful() const { return !known_.empty(); }
  //! The index of the day whose blocks are asked next (null: none, nothing is pruned).
  void Use(std::shared_ptr<const TokenIndex> index);
  //! Whether the index proves that no row of block `block_id` matches.
  bool Prunes(uint64_t block_id);

 private:
  const TokenIndex::Posting& Lookup(uint64_t hash);
  const RowFilter& filter_;
  std::vector<uint64_t> known_;  // hashes of the indexed tokens of the required text, sorted
  std::shared_ptr<const TokenIndex> index_;
  std::vector<std::pair<uint64_t, TokenIndex::Posting>> memo_;  // lookups of this day
  // The answer for a block in no posting of the tokens that answer asked about (then every
  // such block gets it), and which blocks are in one.
  bool base_none_ = false, uniform_ = false;
  std::vector<uint8_t> in_posting_;
};

//! The fingerprint under which a token hash is indexed (0 read as 1, as the Bloom filters do).
inline uint32_t TokenFingerprint(uint64_t hash) { return static_cast<uint32_t>((hash ? hash : 1) >> 32); }

}  // namespace kamatama::store
