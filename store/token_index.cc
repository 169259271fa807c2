// store/token_index.cc
#include "store/token_index.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "core/tokenize.h"
#include "core/varint.h"

namespace kamatama::store {

namespace {

constexpr uint8_t kVersion = 1;
constexpr uint32_t kCommonOrdinal = UINT32_MAX;  // a builder pair marking a common token
constexpr uint64_t kMaxBlocks = 0xffff;          // ordinals fit 16 bits

uint32_t GetFixed32LE(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Reads one entry of a group: its fingerprint (delta from *fp) and posting.
bool ReadEntry(std::string_view* in, uint32_t* fp, TokenIndex::Posting* p) {
  uint64_t delta, n;
  if (!GetVarint(in, &delta) || !GetVarint(in, &n) || n > TokenIndex::kMaxPostings) return false;
  *fp += static_cast<uint32_t>(delta);
  p->count = static_cast<uint8_t>(n);
  p->kind = n ? TokenIndex::Kind::kBlocks : TokenIndex::Kind::kCommon;
  uint64_t ord = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t d;
    if (!GetVarint(in, &d)) return false;
    ord += d;
    p->ordinals[i] = static_cast<uint16_t>(ord);
  }
  return true;
}

}  // namespace

bool IsIndexedToken(std::string_view token) {
  if (token.size() < kIndexedTokenMin) return false;
  for (char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80) return true;
  }
  return false;
}

void AddIndexedTokenHashes(std::string_view value, std::vector<uint64_t>* out) {
  if (value.size() < kIndexedTokenMin) return;
  ForEachToken(value, [out](std::string_view token) {
    if (IsIndexedToken(token)) out->push_back(HashTokenLower(token));
  });
}

bool TokenIndex::Posting::Has(uint32_t ordinal) const {
  if (kind != Kind::kBlocks) return kind == Kind::kCommon;
  for (uint8_t i = 0; i < count; ++i) {
    if (ordinals[i] == ordinal) return true;
  }
  return false;
}

Status TokenIndex::Parse(std::string_view data, TokenIndex* out) {
  *out = TokenIndex();
  out->data_.assign(data);
  std::string_view in(out->data_);
  if (in.empty() || static_cast<uint8_t>(in[0]) != kVersion) return Status::Corruption("token index: unknown version");
  in.remove_prefix(1);
  uint64_t nblocks, id = 0, entries, groups;
  if (!GetVarint(&in, &nblocks) || nblocks > kMaxBlocks) return Status::Corruption("token index: bad block count");
  out->blocks_.reserve(nblocks);
  for (uint64_t i = 0; i < nblocks; ++i) {
    uint64_t d;
    if (!GetVarint(&in, &d)) return Status::Corruption("token index: bad block list");
    id += d;
    out->blocks_.push_back(id);
  }
  if (!GetVarint(&in, &entries) || !GetVarint(&in, &groups) || groups > in.size() / 8 ||
      groups != (entries + kGroupEntries - 1) / kGroupEntries)
    return Status::Corruption("token index: bad directory");
  out->entries_ = entries;
  out->groups_ = groups;
  out->directory_ = out->data_.size() - in.size();
  out->group_data_ = out->directory_ + groups * 8;
  for (size_t g = 0; g < groups; ++g) {
    if (GetFixed32LE(out->data_.data() + out->directory_ + g * 8 + 4) > out->data_.size() - out->group_data_)
      return Status::Corruption("token index: bad group offset");
  }
  return Status::OK();
}

int32_t TokenIndex::Ordinal(uint64_t block_id) const {
  auto it = std::lower_bound(blocks_.begin(), blocks_.end(), block_id);
  if (it == blocks_.end() || *it != block_id) return -1;
  return static_cast<int32_t>(it - blocks_.begin());
}

TokenIndex::Posting TokenIndex::Lookup(uint64_t token_hash) const {
  Posting absent;
  if (groups_ == 0) return absent;
  const uint32_t want = TokenFingerprint(token_hash);
  const char* dir = data_.data() + directory_;
  // The last group whose first fingerprint is <= want.
  size_t lo = 0, hi = groups_;
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (GetFixed32LE(dir + mid * 8) <= want) lo = mid;
    else hi = mid;
  }
  uint32_t fp = GetFixed32LE(dir + lo * 8);
  if (fp > want) return absent;
  std::string_view in = Group(lo);
  const size_t n = std::min<size_t>(kGroupEntries, entries_ - lo * kGroupEntries);
  for (size_t i = 0; i < n; ++i) {
    Posting p;
    if (!ReadEntry(&in, &fp, &p)) return Posting{Kind::kCommon};  // damaged: say nothing
    if (fp == want) return p;
    if (fp > want) return absent;
  }
  return absent;
}

std::string_view TokenIndex::Group(size_t g) const {
  const char* dir = data_.data() + directory_;
  const size_t begin = group_data_ + GetFixed32LE(dir + g * 8 + 4);
  const size_t end = g + 1 < groups_ ? group_data_ + GetFixed32LE(dir + (g + 1) * 8 + 4) : data_.size();
  if (end < begin) return {};
  return std::string_view(data_.data() + begin, end - begin);
}

Status TokenIndex::ForEachEntry(const std::function<void(uint32_t fp, const Posting& p)>& f) const {
  for (size_t g = 0; g < groups_; ++g) {
    uint32_t fp = GetFixed32LE(data_.data() + directory_ + g * 8);
    std::string_view in = Group(g);
    const size_t n = std::min<size_t>(kGroupEntries, entries_ - g * kGroupEntries);
    for (size_t i = 0; i < n; ++i) {
      Posting p;
      if (!ReadEntry(&in, &fp, &p)) return Status::Corruption("token index: bad entry");
      f(fp, p);
    }
  }
  return Status::OK();
}

Status TokenIndexBuilder::FromIndex(std::string_view data, TokenIndexBuilder* out) {
  TokenIndex idx;
  if (Status s = TokenIndex::Parse(data, &idx); !s.ok()) return s;
  *out = TokenIndexBuilder();
  out->blocks_ = idx.blocks();
  out->pairs_.reserve(idx.entries());
  return idx.ForEachEntry([out](uint32_t fp, const TokenIndex::Posting& p) {
    if (p.kind == TokenIndex::Kind::kCommon) {
      out->pairs_.push_back(uint64_t{fp} << 32 | kCommonOrdinal);
      return;
    }
    for (uint8_t k = 0; k < p.count; ++k) out->pairs_.push_back(uint64_t{fp} << 32 | p.ordinals[k]);
  });
}

void TokenIndexBuilder::AddBlock(uint64_t block_id, const std::vector<uint64_t>& distinct_hashes) {
  if (blocks_.size() >= kMaxBlocks || (!blocks_.empty() && block_id <= blocks_.back())) return;
  const uint64_t ordinal = blocks_.size();
  blocks_.push_back(block_id);
  pending_.reserve(pending_.size() + distinct_hashes.size());
  for (uint64_t h : distinct_hashes) pending_.push_back(uint64_t{TokenFingerprint(h)} << 32 | ordinal);
  ++pending_blocks_;
}

// Merges the pending pairs in and folds each fingerprint with more than kMaxPostings blocks
// into one common pair.
void TokenIndexBuilder::Merge() {
  std::sort(pending_.begin(), pending_.end());
  std::vector<uint64_t> merged;
  merged.reserve(pairs_.size() + pending_.size());
  std::merge(pairs_.begin(), pairs_.end(), pending_.begin(), pending_.end(), std::back_inserter(merged));
  pending_.clear();
  pending_.shrink_to_fit();
  pairs_.clear();
  for (size_t i = 0; i < merged.size();) {
    const uint64_t fp = merged[i] >> 32;
    size_t j = i;
    while (j < merged.size() && (merged[j] >> 32) == fp) ++j;
    // Distinct ordinals (a fingerprint shared by two tokens of one block appears twice).
    const size_t before = pairs_.size();
    bool common = false;
    for (size_t k = i; k < j && !common; ++k) {
      if (k > i && merged[k] == merged[k - 1]) continue;
      common = static_cast<uint32_t>(merged[k]) == kCommonOrdinal || pairs_.size() - before == TokenIndex::kMaxPostings;
      if (!common) pairs_.push_back(merged[k]);
    }
    if (common) {
      pairs_.resize(before);
      pairs_.push_back(fp << 32 | kCommonOrdinal);
    }
    i = j;
  }
  pending_blocks_ = 0;
}

std::string TokenIndexBuilder::Encode() {
  Merge();
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  PutVarint(&out, blocks_.size());
  uint64_t prev = 0;
  for (uint64_t id : blocks_) {
    PutVarint(&out, id - prev);
    prev = id;
  }
  // Entries: runs of pairs with one fingerprint.
  std::vector<size_t> starts;
  for (size_t i = 0; i < pairs_.size(); ++i) {
    if (i == 0 || (pairs_[i] >> 32) != (pairs_[i - 1] >> 32)) starts.push_back(i);
  }
  const size_t entries = starts.size();
  const size_t groups = (entries + TokenIndex::kGroupEntries - 1) / TokenIndex::kGroupEntries;
  PutVarint(&out, entries);
  PutVarint(&out, groups);
  const size_t directory = out.size();
  out.resize(directory + groups * 8);
  std::string data;
  uint32_t prev_fp = 0;
  for (size_t e = 0; e < entries; ++e) {
    const size_t begin = starts[e], end = e + 1 < entries ? starts[e + 1] : pairs_.size();
    const uint32_t fp = static_cast<uint32_t>(pairs_[begin] >> 32);
    if (e % TokenIndex::kGroupEntries == 0) {
      const size_t g = e / TokenIndex::kGroupEntries;
      std::memcpy(out.data() + directory + g * 8, &fp, 4);
      const uint32_t offset = static_cast<uint32_t>(data.size());
      std::memcpy(out.data() + directory + g * 8 + 4, &offset, 4);
      prev_fp = fp;
    }
    PutVarint(&data, fp - prev_fp);
    prev_fp = fp;
    if (static_cast<uint32_t>(pairs_[begin]) == kCommonOrdinal) {
      PutVarint(&data, 0);
      continue;
    }
    PutVarint(&data, end - begin);
    uint32_t prev_ord = 0;
    for (size_t k = begin; k < end; ++k) {
      const uint32_t ord = static_cast<uint32_t>(pairs_[k]);
      PutVarint(&data, ord - prev_ord);
      prev_ord = ord;
    }
  }
  out += data;
  return out;
}

IndexPruner::IndexPruner(const RowFilter& filter) : filter_(filter) {
  for (const std::string& text : filter.RequiredText()) AddIndexedTokenHashes(text, &known_);
  std::sort(known_.begin(), known_.end());
}

const TokenIndex::Posting& IndexPruner::Lookup(uint64_t hash) {
  static const TokenIndex::Posting kAnywhere{TokenIndex::Kind::kCommon};
  if (!std::binary_search(known_.begin(), known_.end(), hash)) return kAnywhere;
  for (const auto& [h, p] : memo_) {
    if (h == hash) return p;
  }
  memo_.emplace_back(hash, index_->Lookup(hash));
  return memo_.back().second;
}

void IndexPruner::Use(std::shared_ptr<const TokenIndex> index) {
  if (index == index_) return;
  index_ = Useful() ? std::move(index) : nullptr;
  memo_.clear();
  if (!index_) return;
  // A block in no posting: a token with blocks is absent from it, a common one may be there.
  base_none_ = filter_.Answer([this](uint64_t h) { return Lookup(h).kind == TokenIndex::Kind::kCommon; }) ==
               BlockAnswer::kNone;
  in_posting_.assign(index_->blocks().size(), 0);
  uniform_ = true;
  for (const auto& [h, p] : memo_) {
    if (p.kind != TokenIndex::Kind::kBlocks) continue;
    uniform_ = false;
    for (uint8_t k = 0; k < p.count; ++k) {
      if (p.ordinals[k] < in_posting_.size()) in_posting_[p.ordinals[k]] = 1;
    }
  }
}

bool IndexPruner::Prunes(uint64_t block_id) {
  if (!index_) return false;
  const int32_t ord = index_->Ordinal(block_id);
  if (ord < 0) return false;
  if (uniform_ || (base_none_ && !in_posting_[static_cast<size_t>(ord)])) return base_none_;
  const uint32_t o = static_cast<uint32_t>(ord);
  return filter_.Answer([this, o](uint64_t h) { return Lookup(h).Has(o); }) == BlockAnswer::kNone;
}

}  // namespace kamatama::store
