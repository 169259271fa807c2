// intel/matcher.h
//! ListMatcher: one list's indicators in hash tables built for lookups on every event (issue 28):
//! addresses and networks in one open-addressing table keyed by (address, prefix length), probed
//! once per prefix length the list holds (most specific first); names, URLs, hashes and e-mail
//! addresses in another keyed by the token hash of their lower-case text (a domain is also
//! looked up for every parent of a name, so evil.example matches www.evil.example).
//! It is the query language's ValueList for `field:@name`, and the block pruning of hunts.
//! Immutable once built: every method may be called from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/row.h"
#include "intel/indicator.h"
#include "query/query.h"

namespace kamatama::intel {

//! What kind of value an event field holds, for matching.
enum class FieldClass : uint8_t { kNone, kIp, kDomain, kUrl, kHash, kEmail };
//! The class of an ECS field that live matching and hunts check (kNone: not checked). The
//! fields: source/destination/client/server .ip (and .nat.ip), related.ip; dns.question.name,
//! url.domain, source/destination/client/server .domain, related.hosts; url.original, url.full;
//! file/process/process.parent .hash.{md5,sha1,sha256}, related.hash; email.{from,to,sender,
//! reply_to}.address, user.email, source/destination .user.email.
FieldClass ClassifyField(std::string_view name);
//! Every field ClassifyField knows, in a fixed order (what a hunt decodes).
const std::vector<std::string>& MatchedFields();

//! A field of an event whose value matched an indicator.
struct Hit {
  uint32_t indicator = 0;  //!< index into the list's indicators
  std::string field;
  std::string value;       //!< the field's value as the event holds it
};

//! Most indicators for which a list prunes blocks by their tokens (MayMatch); beyond it every
//! block is read: a probe per indicator per block would cost more than reading the block.
inline constexpr size_t kMaxPruneIndicators = 200'000;

class ListMatcher final : public query::ValueList {
 public:
  //! Indexes `indicators` (kept alive by the matcher). Later duplicates of a (type, value)
  //! already indexed are not indexed again; duplicates() counts them.
  explicit ListMatcher(std::shared_ptr<const std::vector<Indicator>> indicators);

  //! The indicator a value of a field of class `cls` matches, not expired at `now_ns`, or -1.
  int64_t Find(FieldClass cls, std::string_view value, int64_t now_ns) const;
  //! Appends a hit for every field of `ev` whose value matches an indicator live at `now_ns`.
  void MatchEvent(const Event& ev, int64_t now_ns, std::vector<Hit>* hits) const;
  //! The same over a stored row (MatchedFields() are asked for).
  void MatchRow(const FieldAccessor& row, int64_t now_ns, std::vector<Hit>* hits) const;

  // query::ValueList (field:@name): any field; the value is tried as an address, then as a
  // name, URL, hash or e-mail address. Expired indicators do not match.
  bool Contains(std::string_view value) const override;
  bool MayMatch(const TokenFilter& has_hash) const override;
  bool GetContents(Contents* out) const override;

  const std::vector<Indicator>& indicators() const { return *indicators_; }
  size_t duplicates() const { return duplicates_; }

 private:
  struct Slot {
    uint64_t key = 0;
    uint32_t entry = UINT32_MAX;  //!< UINT32_MAX: empty
  };
  struct IpEntry {
    uint8_t bytes[16] = {};
    uint8_t size = 0;  //!< 4 or 16
    uint8_t len = 0;   //!< prefix length (32 / 128 for an address)
    uint32_t indicator = 0;
  };
  void Index(uint32_t i);
  void IndexIp(uint32_t i);
  void BuildPruning();
  int64_t FindIp(std::string_view value, int64_t now_ns) const;
  int64_t FindText(std::string_view value, IndicatorType want, bool any_text, int64_t now_ns) const;
  int64_t FindDomain(std::string_view value, int64_t now_ns) const;
  static void Insert(std::vector<Slot>* table, uint64_t key, uint32_t entry);

  std::shared_ptr<const std::vector<Indicator>> indicators_;
  std::vector<Slot> ip_table_, text_table_;  // capacity a power of two, at most half full
  std::vector<IpEntry> ip_entries_;
  std::vector<uint8_t> v4_lens_, v6_lens_;   // prefix lengths present, longest first
  size_t duplicates_ = 0;
  // Pruning: per indicator, hashes of tokens every value matching it has (most selective
  // first); prune_offsets_[i]..[i+1] index prune_hashes_. Empty prune_offsets_: no pruning.
  std::vector<uint64_t> prune_hashes_;
  std::vector<uint32_t> prune_offsets_;
};

}  // namespace kamatama::intel
