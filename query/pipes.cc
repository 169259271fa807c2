// query/pipes.cc
#include "query/pipes.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "core/time.h"

namespace kamatama::query {

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '@' || c == '-';
}

// A tiny tokenizer over one stage's text: names, numbers, punctuation, operators.
class StageLexer {
 public:
  StageLexer(std::string_view s, size_t base) : s_(s), base_(base) {}
  void Skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool AtEnd() {
    Skip();
    return i_ >= s_.size();
  }
  size_t Pos() {
    Skip();
    return base_ + i_;
  }
  std::string_view Name() {
    Skip();
    size_t b = i_;
    while (i_ < s_.size() && IsNameChar(s_[i_])) ++i_;
    return s_.substr(b, i_ - b);
  }
  bool Eat(std::string_view t) {
    Skip();
    if (s_.substr(i_, t.size()) == t) {
      i_ += t.size();
      return true;
    }
    return false;
  }
  // A keyword: a name equal to `kw` (case-insensitive), not followed by a name char.
  bool EatWord(std::string_view kw) {
    Skip();
    size_t save = i_;
    std::string_view w = Name();
    if (w.size() == kw.size() && std::equal(w.begin(), w.end(), kw.begin(), [](char a, char b) {
          return (a | 0x20) == (b | 0x20);
        }))
      return true;
    i_ = save;
    return false;
  }
  std::string_view Rest() {
    Skip();
    return s_.substr(i_);
  }
  std::string_view Value() {  // a bare or quoted value (where)
    Skip();
    if (i_ < s_.size() && s_[i_] == '"') {
      size_t b = ++i_;
      while (i_ < s_.size() && s_[i_] != '"') ++i_;
      std::string_view v = s_.substr(b, i_ - b);
      if (i_ < s_.size()) ++i_;
      return v;
    }
    size_t b = i_;
    while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != '\t') ++i_;
    return s_.substr(b, i_ - b);
  }

 private:
  std::string_view s_;
  size_t base_;
  size_t i_ = 0;
};

ParseError Err(size_t pos, std::string msg, std::string expected) {
  ParseError e;
  e.position = pos;
  e.message = std::move(msg);
  e.expected = std::move(expected);
  return e;
}

bool ParseCount(std::string_view s, size_t* n) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *n);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// agg := count() | dc(f) | sum(f) | avg(f) | min(f) | max(f) [as name]
std::optional<ParseError> ParseAggs(StageLexer& lx, std::vector<Agg>* aggs) {
  for (;;) {
    size_t pos = lx.Pos();
    std::string_view fn = lx.Name();
    Agg a;
    if (fn == "count") a.fn = AggFn::kCount;
    else if (fn == "dc" || fn == "distinct_count") a.fn = AggFn::kDistinctCount;
    else if (fn == "sum") a.fn = AggFn::kSum;
    else if (fn == "avg") a.fn = AggFn::kAvg;
    else if (fn == "min") a.fn = AggFn::kMin;
    else if (fn == "max") a.fn = AggFn::kMax;
    else return Err(pos, fmt::format("unknown aggregation '{}'", fn), "count(), dc(f), sum(f), avg(f), min(f) or max(f)");
    if (!lx.Eat("(")) return Err(lx.Pos(), "missing '('", "'('");
    if (a.fn != AggFn::kCount) {
      size_t fpos = lx.Pos();
      std::string_view f = lx.Name();
      if (f.empty()) return Err(fpos, "missing field name", "a field name");
      a.field = std::string(f);
    } else {
      std::string_view f = lx.Name();  // count(field) counts rows having the field
      a.field = std::string(f);
    }
    if (!lx.Eat(")")) return Err(lx.Pos(), "missing ')'", "')'");
    a.name = a.field.empty() ? std::string(fn) : fmt::format("{}({})", fn, a.field);
    if (lx.EatWord("as")) {
      size_t npos = lx.Pos();
      std::string_view n = lx.Name();
      if (n.empty()) return Err(npos, "missing column name after 'as'", "a name");
      a.name = std::string(n);
    }
    aggs->push_back(std::move(a));
    if (!lx.Eat(",")) return std::nullopt;
  }
}

std::optional<ParseError> ParseFieldList(StageLexer& lx, std::vector<std::string>* out) {
  for (;;) {
    size_t pos = lx.Pos();
    std::string_view f = lx.Name();
    if (f.empty()) return Err(pos, "missing field name", "a field name");
    out->emplace_back(f);
    if (!lx.Eat(",")) return std::nullopt;
  }
}

std::variant<Stage, ParseError> ParseStage(std::string_view text, size_t base) {
  StageLexer lx(text, base);
  Stage st;
  st.position = lx.Pos();
  std::string_view cmd = lx.Name();
  if (cmd.empty()) {  // not a word: say what is there (`| <x>` used to read "unknown pipe command ''")
    constexpr const char* kCommands = "stats, top, rare, timechart, sort, head, fields or where";
    if (lx.AtEnd()) return Err(lx.Pos(), "missing pipe command after '|'", kCommands);
    return Err(lx.Pos(), fmt::format("unexpected '{}'", lx.Rest().substr(0, 20)), kCommands);
  }
  if (cmd == "stats" || cmd == "timechart") {
    st.kind = cmd == "stats" ? StageKind::kStats : StageKind::kTimechart;
    if (st.kind == StageKind::kTimechart) {
      st.span_ns = 0;
      if (lx.EatWord("span")) {
        if (!lx.Eat("=")) return Err(lx.Pos(), "missing '=' after span", "'='");
        size_t pos = lx.Pos();
        std::string_view v = lx.Value();
        auto d = ParseDuration(v);
        if (!d || *d <= 0) return Err(pos, fmt::format("bad span '{}'", v), "a duration like 5m, 1h, 1d");
        st.span_ns = *d;
      }
    }
    if (auto e = ParseAggs(lx, &st.aggs)) return *e;
    if (lx.EatWord("by")) {
      if (auto e = ParseFieldList(lx, &st.by)) return *e;
    }
    if (st.kind == StageKind::kTimechart && st.by.size() > 1)
      return Err(st.position, "timechart takes at most one 'by' field", "one field");
  } else if (cmd == "top" || cmd == "rare") {
    st.kind = cmd == "top" ? StageKind::kTop : StageKind::kRare;
    size_t pos = lx.Pos();
    std::string_view first = lx.Name();
    size_t n;
    if (ParseCount(first, &n)) {
      st.n = n;
      pos = lx.Pos();
      first = lx.Name();
    }
    if (first.empty()) return Err(pos, "missing field name", "a field name");
    st.by.emplace_back(first);
    while (lx.Eat(",")) {
      pos = lx.Pos();
      std::string_view f = lx.Name();
      if (f.empty()) return Err(pos, "missing field name", "a field name");
      st.by.emplace_back(f);
    }
  } else if (cmd == "sort") {
    st.kind = StageKind::kSort;
    for (;;) {
      SortKey k;
      if (lx.Eat("-")) k.descending = true;
      else lx.Eat("+");
      size_t pos = lx.Pos();
      std::string_view f = lx.Name();
      if (f.empty()) return Err(pos, "missing field name", "a field name");
      k.field = std::string(f);
      if (lx.EatWord("desc")) k.descending = true;
      else lx.EatWord("asc");
      st.sort.push_back(std::move(k));
      if (!lx.Eat(",")) break;
    }
  } else if (cmd == "head" || cmd == "limit") {
    st.kind = StageKind::kHead;
    st.n = 10;
    if (!lx.AtEnd()) {
      size_t pos = lx.Pos();
      std::string_view v = lx.Name();
      if (!ParseCount(v, &st.n)) return Err(pos, fmt::format("bad count '{}'", v), "a number");
    }
  } else if (cmd == "fields") {
    st.kind = StageKind::kFields;
    if (auto e = ParseFieldList(lx, &st.fields)) return *e;
  } else if (cmd == "where") {
    st.kind = StageKind::kWhere;
    size_t pos = lx.Pos();
    std::string_view f = lx.Name();
    if (f.empty()) return Err(pos, "missing field name", "a field name");
    st.where_field = std::string(f);
    pos = lx.Pos();
    for (std::string_view op : {">=", "<=", "!=", "==", ">", "<", "="}) {
      if (lx.Eat(op)) {
        st.where_op = std::string(op == "==" ? "=" : op);
        break;
      }
    }
    if (st.where_op.empty()) return Err(pos, "missing comparison", "=, !=, >, >=, < or <=");
    pos = lx.Pos();
    st.where_value = std::string(lx.Value());
    if (st.where_value.empty()) return Err(pos, "missing value", "a value");
  } else {
    return Err(st.position, fmt::format("unknown pipe command '{}'", cmd),
               "stats, top, rare, timechart, sort, head, fields or where");
  }
  if (!lx.AtEnd()) return Err(lx.Pos(), fmt::format("unexpected '{}'", lx.Rest().substr(0, 20)), "'|' or the end");
  return st;
}

// Compares two cells: numerically when both are numbers, else as strings; "" (null) sorts last.
int CompareCells(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return a.empty() == b.empty() ? 0 : (a.empty() ? 1 : -1);
  auto x = AsNumber(a), y = AsNumber(b);
  if (x && y) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

// Orders group keys (values joined by \x1f) as the rows holding their values compare: value by
// value, a value that is a prefix of another first. Ties of top and rare are broken this way.
bool GroupKeyLess(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    if (a[i] == '\x1f') return true;
    if (b[i] == '\x1f') return false;
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

}  // namespace

std::optional<double> AsNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string FormatNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.6g}", v);
}

bool Pipeline::Aggregates() const {
  if (stages.empty()) return false;
  auto k = stages[0].kind;
  return k == StageKind::kStats || k == StageKind::kTop || k == StageKind::kRare || k == StageKind::kTimechart;
}

std::vector<std::string> Pipeline::AggregateFields() const {
  std::vector<std::string> out;
  if (!Aggregates()) return out;
  const Stage& s = stages[0];
  for (const auto& b : s.by) out.push_back(b);
  for (const auto& a : s.aggs) {
    if (!a.field.empty()) out.push_back(a.field);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::variant<Pipeline, ParseError> ParsePipeline(std::string_view text) {
  // Top-level '|': outside "quotes" and /regex/ (a '/' that starts a value or a term).
  // A /regex/ starts a word (after start, space, '(', ':', '-' or '!') and its closing '/' ends
  // the word, as in the filter parser; a '/' without such a closing one is an ordinary byte.
  auto regex_end = [&](size_t open) -> size_t {
    for (size_t j = open + 1; j < text.size(); ++j) {
      if (text[j] == '\\') {
        ++j;
        continue;
      }
      if (text[j] == '/') {
        char next = j + 1 < text.size() ? text[j + 1] : ' ';
        if (next == ' ' || next == '\t' || next == ')' || next == '|') return j;
      }
    }
    return std::string_view::npos;
  };
  std::vector<size_t> cuts;
  bool in_quote = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quote && c == '\\') {
      ++i;
      continue;
    }
    if (in_quote) {
      if (c == '"') in_quote = false;
    } else if (c == '"') {
      in_quote = true;
    } else if (c == '/' && (i == 0 || text[i - 1] == ':' || text[i - 1] == ' ' || text[i - 1] == '(' ||
                            text[i - 1] == '-' || text[i - 1] == '!')) {
      size_t end = regex_end(i);
      if (end != std::string_view::npos) i = end;
    } else if (c == '|') {
      if (i + 1 < text.size() && text[i + 1] == '|') {  // "||" is the OR operator
        ++i;
        continue;
      }
      cuts.push_back(i);
    }
  }
  Pipeline p;
  if (cuts.empty()) {
    p.filter = std::string(text);
    return p;
  }
  p.filter = std::string(text.substr(0, cuts[0]));
  cuts.push_back(text.size());
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    size_t b = cuts[k] + 1;
    auto r = ParseStage(text.substr(b, cuts[k + 1] - b), b);
    if (auto* e = std::get_if<ParseError>(&r)) return *e;
    p.stages.push_back(std::get<Stage>(std::move(r)));
  }
  for (size_t k = 1; k < p.stages.size(); ++k) {
    auto kind = p.stages[k].kind;
    if (kind == StageKind::kTimechart)
      return Err(p.stages[k].position, "timechart must be the first pipe", "stats, sort, head, fields or where");
  }
  return p;
}

// ---- Aggregation --------------------------------------------------------------------------
namespace {

// The distinct values of one dc() in one group, kept as 64-bit hashes of the values in an
// open-addressing table: 8-16 bytes a value and no allocation per row. A set of strings took 20 s
// and 1.3 GB at peak for `* | stats dc(source.ip) by host.name` over the 10M-event bench store
// (8.2 million distinct pairs: nearly every row allocated a node and a string). Exact unless two
// different values of a group share a hash: for a million values the odds are about 1 in 37 million.
class DistinctSet {
 public:
  static constexpr size_t kMax = 1'000'000;  //!< values counted per group; more are not added

  size_t size() const { return n_; }
  void Insert(std::string_view v) { InsertHash(std::hash<std::string_view>()(v)); }
  void Merge(DistinctSet&& o) {
    if (slots_.size() < o.slots_.size()) std::swap(*this, o);
    for (uint64_t h : o.slots_)
      if (h != 0) InsertHash(h);
    o.slots_.clear();
    o.n_ = 0;
  }

 private:
  // The slot holding h, or the empty slot where it belongs.
  uint64_t& SlotOf(uint64_t h) {
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i] != 0 && slots_[i] != h) i = (i + 1) & mask;
    return slots_[i];
  }
  void InsertHash(uint64_t h) {
    if (h == 0) h = 1;  // 0 marks an empty slot
    if (slots_.empty()) slots_.assign(16, 0);
    uint64_t& slot = SlotOf(h);
    if (slot == h || n_ >= kMax) return;
    slot = h;
    if (++n_ * 2 > slots_.size()) Grow();
  }
  void Grow() {
    std::vector<uint64_t> old(slots_.size() * 2, 0);
    old.swap(slots_);
    for (uint64_t h : old)
      if (h != 0) SlotOf(h) = h;
  }

  std::vector<uint64_t> slots_;
  size_t n_ = 0;
};

}  // namespace

namespace {
// The hash of a group key: eight bytes at a time, then mixed (splitmix64's finaliser) so that its
// low bits, which pick the slot, depend on every byte. Seeded once per process: lines are written
// by whoever sends them, and a fixed hash would let them pick keys that collide. A third of the
// instructions of std::hash on the keys of a stats by IP (issue 24).
uint64_t GroupSeed() {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  return seed;
}
uint64_t MixWord(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 29);
}
uint64_t Finalise(uint64_t h, uint64_t w) {
  h ^= w;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}
template <typename T>
uint64_t Load(const char* p) {
  T t;
  std::memcpy(&t, p, sizeof t);
  return t;
}
// The bytes of k from i on (fewer than eight) as a little-endian word, read with fixed-size loads
// (a copy of a variable length to the stack then read as a word stalls the load that follows: 15%
// of a count by source.ip).
uint64_t TailWord(std::string_view k, size_t i) {
  const size_t left = k.size() - i;
  const char* p = k.data() + i;
  if (left == 0) return 0;
  if (k.size() >= 8) return Load<uint64_t>(k.data() + k.size() - 8) >> (8 * (8 - left));
  if (left >= 4) return Load<uint32_t>(p) | (Load<uint32_t>(p + left - 4) << (8 * (left - 4)));
  return Load<uint8_t>(p) | (Load<uint8_t>(p + left / 2) << (8 * (left / 2))) |
         (Load<uint8_t>(p + left - 1) << (8 * (left - 1)));
}
uint64_t GroupHash(std::string_view k) {
  uint64_t h = GroupSeed() ^ (k.size() * 0x9E3779B97F4A7C15ULL);
  size_t i = 0;
  for (; i + 8 <= k.size(); i += 8) h = MixWord(h, Load<uint64_t>(k.data() + i));
  return Finalise(h, TailWord(k, i));
}
// GroupHash of the key of one field's value (`v` then \x1f) without copying v: the same bytes
// in the same words (little-endian).
uint64_t GroupHashValue(std::string_view v) {
  uint64_t h = GroupSeed() ^ ((v.size() + 1) * 0x9E3779B97F4A7C15ULL);
  size_t i = 0;
  for (; i + 8 <= v.size(); i += 8) h = MixWord(h, Load<uint64_t>(v.data() + i));
  const size_t left = v.size() - i;  // 0-7 bytes, then the separator
  const uint64_t w = TailWord(v, i) | uint64_t{0x1f} << (8 * left);
  if (left == 7) return Finalise(MixWord(h, w), 0);  // the separator completes a word
  return Finalise(h, w);
}
}  // namespace

struct Aggregator::Impl {
  const Stage& stage;
  size_t max_groups;
  bool complete = true;
  struct AggState {
    double count = 0, sum = 0;
    std::optional<double> min, max;
    std::string smin, smax;  // for non-numeric min/max
    DistinctSet distinct;
  };
  // group key (values joined by \x1f, with time bucket first for timechart) and states, in
  // insertion order, found through an open-addressing index (cache-friendly: a stats over
  // millions of rows spends its time here).
  std::vector<std::pair<std::string, std::vector<AggState>>> groups;
  std::vector<uint64_t> hashes;  // per group
  // Open addressing, power-of-two size, 32-byte slots holding the full hash and, for keys of up
  // to 19 bytes (an IP, a user name, a port), the key itself: a probe compares within the slot
  // and does not touch the group (a stats by a high-cardinality field lives here).
  struct Slot {
    uint64_t h = 0;
    int32_t g = -1;  // -1 = empty
    uint8_t len = 0;  // kLongKey: compare groups[g].first
    char k[19] = {};
  };
  static_assert(sizeof(Slot) == 32);
  static constexpr uint8_t kLongKey = 255;
  std::vector<Slot> slots;
  std::vector<double> hot;  // per group: counts not yet added to its states (see Defer)
  std::string key;

  // The group of `k`, or -1.
  int32_t Find(std::string_view k, uint64_t h) const {
    if (slots.empty()) return -1;
    const size_t mask = slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& e = slots[i];
      if (e.g < 0) return -1;
      if (e.h != h) continue;
      if (e.len != kLongKey ? (e.len == k.size() && std::memcmp(e.k, k.data(), k.size()) == 0)
                            : groups[static_cast<size_t>(e.g)].first == k)
        return e.g;
    }
  }
  // Find for the key of one field's value: `v` then \x1f.
  int32_t FindValue(std::string_view v, uint64_t h) const {
    const size_t mask = slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& e = slots[i];
      if (e.g < 0) return -1;
      if (e.h != h) continue;
      const std::string_view k =
          e.len != kLongKey ? std::string_view(e.k, e.len) : std::string_view(groups[static_cast<size_t>(e.g)].first);
      if (k.size() == v.size() + 1 && k.back() == '\x1f' && k.starts_with(v)) return e.g;
    }
  }
  // Once the table holds max_groups groups, no key is added: a bitset of the groups' hashes
  // (2^21 bits, in the L2 cache) then turns most keys not held away before they probe the table.
  static constexpr unsigned kFullBits = 21;
  std::vector<uint64_t> full_bits;
  static size_t FullBit(uint64_t h) { return static_cast<size_t>(h >> (64 - kFullBits)); }
  void MarkFull() {
    full_bits.assign((size_t{1} << kFullBits) / 64, 0);
    for (uint64_t h : hashes) full_bits[FullBit(h) / 64] |= uint64_t{1} << (FullBit(h) % 64);
  }
  // True if the table is full and certainly lacks a key of hash h.
  bool Refused(uint64_t h) const {
    return !full_bits.empty() && !((full_bits[FullBit(h) / 64] >> (FullBit(h) % 64)) & 1);
  }
  void Place(uint64_t h, size_t g) {
    const size_t mask = slots.size() - 1;
    size_t i = h & mask;
    while (slots[i].g >= 0) i = (i + 1) & mask;
    Slot& e = slots[i];
    e.h = h;
    e.g = static_cast<int32_t>(g);
    const std::string& k = groups[g].first;
    if (k.size() <= sizeof e.k) {
      e.len = static_cast<uint8_t>(k.size());
      std::memcpy(e.k, k.data(), k.size());
    } else {
      e.len = kLongKey;
    }
  }
  int32_t Insert(std::string_view k, uint64_t h, size_t n_states) {
    groups.emplace_back(std::string(k), std::vector<AggState>(n_states));
    hashes.push_back(h);
    hot.push_back(0);
    if (groups.size() * 2 > slots.size()) {
      slots.assign(std::max<size_t>(64, slots.size() * 2), Slot{});
      for (size_t g = 0; g < groups.size(); ++g) Place(hashes[g], g);
    } else {
      Place(h, groups.size() - 1);
    }
    if (groups.size() == max_groups) MarkFull();
    return static_cast<int32_t>(groups.size() - 1);
  }
  // Adds the deferred counts to the groups' states.
  void Settle() {
    for (size_t g = 0; g < hot.size(); ++g) {
      if (hot[g] == 0) continue;
      for (auto& st : groups[g].second) st.count += hot[g];
      hot[g] = 0;
    }
  }

  // Rows whose aggregations are all plain counts (top, rare, `stats count()`) are counted a few
  // rows late: their slot is prefetched when the row arrives and probed kRing rows later, so
  // that the cache misses of a high-cardinality group table overlap instead of adding up.
  static constexpr size_t kRing = 16;
  bool counts_only = false;
  struct Pending {
    uint64_t h = 0;
    std::string key;
  };
  std::array<Pending, kRing> ring;
  size_t ring_head = 0, ring_n = 0;

  void Count(std::string_view k, uint64_t h, double n = 1) {
    if (Refused(h)) {
      complete = false;
      return;
    }
    int32_t g = Find(k, h);
    if (g < 0) {
      if (groups.size() >= max_groups) {
        complete = false;
        return;
      }
      g = Insert(k, h, stage.aggs.empty() ? 1 : stage.aggs.size());
    }
    hot[static_cast<size_t>(g)] += n;
  }
  static uint64_t HashKey(std::string_view k) { return GroupHash(k); }
  // The ring's next free slot, counting its oldest entry first when the ring is full.
  Pending& NextSlot() {
    if (ring_n == kRing) {
      Pending& old = ring[ring_head];
      Count(old.key, old.h);
      ring_head = (ring_head + 1) % kRing;
      --ring_n;
    }
    return ring[(ring_head + ring_n) % kRing];
  }
  void Defer(uint64_t h) {
    if (!slots.empty()) __builtin_prefetch(&slots[h & (slots.size() - 1)]);
    Pending& p = NextSlot();
    p.h = h;
    p.key.swap(key);
    ++ring_n;
  }
  // Counts of one field's values over a block's rows, by dictionary index: each distinct value
  // is looked up once. Rows without the field group as "" (stats) or are left out (top, rare).
  std::vector<uint32_t> tally;
  void CountByIds(const ColumnView& c, const std::vector<uint32_t>& rows) {
    const size_t absent = c.dict->size();
    tally.assign(absent + 1, 0);
    for (uint32_t r : rows) ++tally[(*c.present)[r] ? (*c.ids)[r] : absent];
    const bool skip_absent = stage.kind == StageKind::kTop || stage.kind == StageKind::kRare;
    for (size_t id = 0; id <= absent; ++id) {
      if (tally[id] == 0 || (id == absent && skip_absent)) continue;
      key.assign(id == absent ? std::string_view() : (*c.dict)[id]);
      key.push_back('\x1f');
      Count(key, HashKey(key), tally[id]);
    }
  }
  // Counts of one field's plain values over a block's rows: each value hashed where it lies (no
  // key copied), looked up kRing rows later (its slot prefetched), all before the block's
  // columns go. Rows without the field group as "" (stats) or are left out (top, rare).
  std::array<std::pair<uint64_t, std::string_view>, kRing> vring;
  void CountValue(std::string_view v, uint64_t h) {
    if (Refused(h)) {
      complete = false;
      return;
    }
    int32_t g = slots.empty() ? -1 : FindValue(v, h);
    if (g < 0) {
      if (groups.size() >= max_groups) {
        complete = false;
        return;
      }
      key.assign(v);
      key.push_back('\x1f');
      g = Insert(key, h, stage.aggs.empty() ? 1 : stage.aggs.size());
    }
    hot[static_cast<size_t>(g)] += 1;
  }
  void CountValues(const ColumnView& c, const std::vector<uint32_t>& rows) {
    DrainRing();  // rows given one by one before, in their order
    const bool skip_absent = stage.kind == StageKind::kTop || stage.kind == StageKind::kRare;
    size_t n = 0;
    for (uint32_t r : rows) {
      std::string_view v;
      if (c.present && (*c.present)[r]) v = (*c.values)[r];
      else if (skip_absent) continue;
      const uint64_t h = GroupHashValue(v);
      if (Refused(h)) {
        complete = false;
        continue;
      }
      if (!slots.empty()) __builtin_prefetch(&slots[h & (slots.size() - 1)]);
      auto& e = vring[n++ % kRing];
      if (n > kRing) CountValue(e.second, e.first);
      e = {h, v};
    }
    for (size_t i = n > kRing ? n - kRing : 0; i < n; ++i) CountValue(vring[i % kRing].second, vring[i % kRing].first);
  }

  // The start of the timechart bucket holding ts_ns.
  int64_t Bucket(int64_t ts_ns) const {
    const int64_t span = stage.span_ns > 0 ? stage.span_ns : 3600 * kNanosPerSecond;
    return ts_ns >= 0 ? ts_ns / span * span : -((-ts_ns + span - 1) / span) * span;
  }
  // A timechart of counts by at most one dictionary-encoded field (or none): a block's rows
  // tallied by (bucket, dictionary index), each pair's key built and looked up once per block (a
  // block spans minutes: one or two buckets). False, nothing counted, if the field has no
  // dictionary here or the rows span more than kMaxBuckets buckets: then row by row.
  static constexpr size_t kMaxBuckets = 16;
  std::vector<int64_t> buckets;
  std::vector<uint8_t> bucket_of;  // by position in rows
  bool CountTimechart(const RowBatch& b, const std::vector<uint32_t>& rows) {
    ColumnView c;
    if (!stage.by.empty()) {
      c = b.Column(stage.by[0]);
      if (!c.ids && c.present) return false;  // plain values: row by row
    }
    buckets.clear();
    bucket_of.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t bk = Bucket(b.Timestamp(rows[i]));
      size_t k = buckets.size();
      if (k > 0 && buckets[k - 1] == bk) k = k - 1;  // rows are mostly in time order
      else k = static_cast<size_t>(std::find(buckets.begin(), buckets.end(), bk) - buckets.begin());
      if (k == buckets.size()) {
        if (k == kMaxBuckets) return false;
        buckets.push_back(bk);
      }
      bucket_of[i] = static_cast<uint8_t>(k);
    }
    const size_t absent = c.ids ? c.dict->size() : 0;  // the last index: rows without the field
    const size_t width = absent + 1;
    tally.assign(buckets.size() * width, 0);
    for (size_t i = 0; i < rows.size(); ++i) {
      const uint32_t r = rows[i];
      const size_t id = c.ids && (*c.present)[r] ? (*c.ids)[r] : absent;
      ++tally[bucket_of[i] * width + id];
    }
    for (size_t k = 0; k < buckets.size(); ++k) {
      for (size_t id = 0; id < width; ++id) {
        const uint32_t n = tally[k * width + id];
        if (n == 0) continue;
        key = std::to_string(buckets[k]);
        key.push_back('\x1f');
        if (!stage.by.empty()) {
          if (id != absent) key.append((*c.dict)[id]);
          key.push_back('\x1f');
        }
        Count(key, HashKey(key), n);
      }
    }
    return true;
  }

  void DrainRing() {
    for (; ring_n > 0; --ring_n, ring_head = (ring_head + 1) % kRing) Count(ring[ring_head].key, ring[ring_head].h);
  }
  void Flush() {
    DrainRing();
    Settle();
  }

  Impl(const Stage& s, size_t m) : stage(s), max_groups(m) {
    counts_only = std::all_of(s.aggs.begin(), s.aggs.end(),
                              [](const Agg& a) { return a.fn == AggFn::kCount && a.field.empty(); });
  }
};

Aggregator::Aggregator(const Stage& stage, size_t max_groups) : impl_(std::make_unique<Impl>(stage, max_groups)) {}
Aggregator::~Aggregator() = default;
bool Aggregator::complete() const {
  impl_->Flush();
  return impl_->complete;
}

void Aggregator::Add(const FieldAccessor& row, int64_t ts_ns) {
  Impl& m = *impl_;
  const Stage& st = m.stage;
  m.key.clear();
  if (st.kind == StageKind::kTimechart) {
    m.key = std::to_string(m.Bucket(ts_ns));
    m.key.push_back('\x1f');
  }
  for (const auto& b : st.by) {
    std::string_view v;
    if (!row.Get(b, &v)) {
      if (st.kind == StageKind::kTop || st.kind == StageKind::kRare) return;  // only rows with the field
      v = {};
    }
    m.key.append(v);
    m.key.push_back('\x1f');
  }
  const uint64_t h = Impl::HashKey(m.key);
  if (m.counts_only) {
    m.Defer(h);
    return;
  }
  int32_t g = m.Find(m.key, h);
  if (g < 0) {
    if (m.groups.size() >= m.max_groups) {
      m.complete = false;
      return;
    }
    g = m.Insert(m.key, h, st.aggs.empty() ? 1 : st.aggs.size());
  }
  auto* it = &m.groups[static_cast<size_t>(g)];
  if (st.aggs.empty()) {  // top/rare: a count
    it->second[0].count += 1;
    return;
  }
  for (size_t i = 0; i < st.aggs.size(); ++i) {
    const Agg& a = st.aggs[i];
    Impl::AggState& s = it->second[i];
    if (a.field.empty()) {
      s.count += 1;
      continue;
    }
    std::string_view v;
    if (!row.Get(a.field, &v)) continue;
    s.count += 1;
    switch (a.fn) {
      case AggFn::kCount:
        break;
      case AggFn::kDistinctCount:
        s.distinct.Insert(v);
        break;
      case AggFn::kSum:
      case AggFn::kAvg:
        if (auto x = AsNumber(v)) s.sum += *x;
        break;
      case AggFn::kMin:
      case AggFn::kMax: {
        if (auto x = AsNumber(v)) {
          if (!s.min || *x < *s.min) s.min = *x;
          if (!s.max || *x > *s.max) s.max = *x;
        } else if (!v.empty()) {  // an empty value is no minimum (it used to reset it)
          if (s.smin.empty() || v < s.smin) s.smin = std::string(v);
          if (s.smax.empty() || v > s.smax) s.smax = std::string(v);
        }
        break;
      }
    }
  }
}

void Aggregator::AddBatch(const RowBatch& b) {
  Impl& m = *impl_;
  const std::vector<uint32_t>& rows = b.Rows();
  if (m.counts_only && m.stage.by.size() == 1 && m.stage.kind != StageKind::kTimechart) {
    const ColumnView c = b.Column(m.stage.by[0]);
    if (c.ids) m.CountByIds(c, rows);
    else m.CountValues(c, rows);
    return;
  }
  if (m.counts_only && m.stage.by.size() <= 1 && m.stage.kind == StageKind::kTimechart && m.CountTimechart(b, rows))
    return;
  for (uint32_t r : rows) Add(b.At(r), b.Timestamp(r));
}

void Aggregator::Merge(Aggregator&& other) {
  Impl& m = *impl_;
  Impl& o = *other.impl_;
  m.Flush();
  o.Flush();
  m.complete = m.complete && o.complete;
  for (size_t og = 0; og < o.groups.size(); ++og) {
    auto& [key, states] = o.groups[og];
    const uint64_t h = o.hashes[og];
    int32_t g = m.Find(key, h);
    if (g < 0) {
      if (m.groups.size() >= m.max_groups) {
        m.complete = false;
        continue;
      }
      g = m.Insert(key, h, states.size());
      m.groups[static_cast<size_t>(g)].second = std::move(states);
      continue;
    }
    auto& mine = m.groups[static_cast<size_t>(g)].second;
    for (size_t i = 0; i < mine.size() && i < states.size(); ++i) {
      Impl::AggState& a = mine[i];
      Impl::AggState& b = states[i];
      a.count += b.count;
      a.sum += b.sum;
      if (b.min && (!a.min || *b.min < *a.min)) a.min = b.min;
      if (b.max && (!a.max || *b.max > *a.max)) a.max = b.max;
      if (!b.smin.empty() && (a.smin.empty() || b.smin < a.smin)) a.smin = std::move(b.smin);
      if (!b.smax.empty() && (a.smax.empty() || b.smax > a.smax)) a.smax = std::move(b.smax);
      a.distinct.Merge(std::move(b.distinct));
    }
  }
  o.groups.clear();
  o.hashes.clear();
  o.hot.clear();
  o.slots.clear();
}

Table Aggregator::Finish() {
  Impl& m = *impl_;
  m.Flush();
  const Stage& st = m.stage;
  Table t;
  bool timechart = st.kind == StageKind::kTimechart;
  if (timechart) t.columns.push_back("_time");
  for (const auto& b : st.by) t.columns.push_back(b);
  if (st.aggs.empty()) {
    t.columns.push_back("count");
    t.columns.push_back("percent");
  }
  for (const auto& a : st.aggs) t.columns.push_back(a.name);
  double total = 0;
  for (auto& [k, v] : m.groups) total += v[0].count;
  // top and rare: only their N first groups become rows (a top 10 over 100k groups formatted
  // and sorted every group's cells, parsing the counts back at each comparison).
  const bool ranked = st.kind == StageKind::kTop || st.kind == StageKind::kRare;
  std::vector<size_t> order(m.groups.size());
  for (size_t g = 0; g < order.size(); ++g) order[g] = g;
  if (ranked) {
    const bool desc = st.kind == StageKind::kTop;
    auto before = [&](size_t a, size_t b) {
      const double ca = m.groups[a].second[0].count, cb = m.groups[b].second[0].count;
      if (ca != cb) return desc ? ca > cb : ca < cb;
      return GroupKeyLess(m.groups[a].first, m.groups[b].first);
    };
    const size_t n = std::min(st.n, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(n), order.end(), before);
    order.resize(n);
  }
  for (size_t g : order) {
    auto& group = m.groups[g];
    // Named, not a structured binding: clang before 16 cannot capture bindings in the lambda
    // below, and the fuzzing build (fuzz/query_fuzz) compiles this file with the system clang.
    const std::string& key = group.first;
    auto& states = group.second;
    std::vector<std::string> row;
    size_t pos = 0;
    auto next_part = [&]() {
      size_t e = key.find('\x1f', pos);
      std::string part = key.substr(pos, e - pos);
      pos = e + 1;
      return part;
    };
    if (timechart) row.push_back(FormatRfc3339(std::stoll(next_part())));
    for (size_t i = 0; i < st.by.size(); ++i) row.push_back(next_part());
    if (st.aggs.empty()) {
      row.push_back(FormatNumber(states[0].count));
      row.push_back(fmt::format("{:.2f}", total > 0 ? 100.0 * states[0].count / total : 0.0));
    }
    for (size_t i = 0; i < st.aggs.size(); ++i) {
      const auto& s = states[i];
      switch (st.aggs[i].fn) {
        case AggFn::kCount: row.push_back(FormatNumber(s.count)); break;
        case AggFn::kDistinctCount: row.push_back(FormatNumber(static_cast<double>(s.distinct.size()))); break;
        case AggFn::kSum: row.push_back(FormatNumber(s.sum)); break;
        case AggFn::kAvg: row.push_back(s.count > 0 ? FormatNumber(s.sum / s.count) : ""); break;
        case AggFn::kMin: row.push_back(s.min ? FormatNumber(*s.min) : s.smin); break;
        case AggFn::kMax: row.push_back(s.max ? FormatNumber(*s.max) : s.smax); break;
      }
    }
    t.rows.push_back(std::move(row));
  }
  // Default orders: top by count desc, rare by count asc (both cut to N, above), timechart by
  // time, stats by its group columns.
  if (!ranked) std::sort(t.rows.begin(), t.rows.end());
  return t;
}

// ---- Table stages -------------------------------------------------------------------------
Status ApplyStages(const std::vector<Stage>& stages, size_t first, Table* t) {
  auto col = [&](const std::string& name) -> int {
    for (size_t i = 0; i < t->columns.size(); ++i) {
      if (t->columns[i] == name) return static_cast<int>(i);
    }
    return -1;
  };
  for (size_t k = first; k < stages.size(); ++k) {
    const Stage& st = stages[k];
    switch (st.kind) {
      case StageKind::kHead:
        if (t->rows.size() > st.n) t->rows.resize(st.n);
        break;
      case StageKind::kSort: {
        std::vector<std::pair<int, bool>> keys;
        for (const auto& sk : st.sort) {
          int c = col(sk.field);
          if (c < 0) return Status::InvalidArgument(fmt::format("sort: no column '{}'", sk.field));
          keys.emplace_back(c, sk.descending);
        }
        std::stable_sort(t->rows.begin(), t->rows.end(), [&](const auto& a, const auto& b) {
          for (auto [c, desc] : keys) {
            int r = CompareCells(a[c], b[c]);
            if (r != 0) return desc ? r > 0 : r < 0;
          }
          return false;
        });
        break;
      }
      case StageKind::kFields: {
        std::vector<int> idx;
        for (const auto& f : st.fields) idx.push_back(col(f));
        Table out;
        out.columns = st.fields;
        for (auto& r : t->rows) {
          std::vector<std::string> nr;
          for (int i : idx) nr.push_back(i >= 0 ? r[i] : "");
          out.rows.push_back(std::move(nr));
        }
        *t = std::move(out);
        break;
      }
      case StageKind::kWhere: {
        int c = col(st.where_field);
        std::vector<std::vector<std::string>> kept;
        for (auto& r : t->rows) {
          std::string cell = c >= 0 ? r[c] : "";
          int cmp = CompareCells(cell, st.where_value);
          bool ok = false;
          if (cell.empty()) ok = st.where_op == "!=";
          else if (st.where_op == "=") ok = cmp == 0;
          else if (st.where_op == "!=") ok = cmp != 0;
          else if (st.where_op == ">") ok = cmp > 0;
          else if (st.where_op == ">=") ok = cmp >= 0;
          else if (st.where_op == "<") ok = cmp < 0;
          else if (st.where_op == "<=") ok = cmp <= 0;
          if (ok) kept.push_back(std::move(r));
        }
        t->rows = std::move(kept);
        break;
      }
      case StageKind::kStats:
      case StageKind::kTop:
      case StageKind::kRare: {
        // Aggregating again over a table: feed its rows through an Aggregator.
        class TableRow final : public FieldAccessor {
         public:
          const Table* t = nullptr;
          const std::vector<std::string>* row = nullptr;
          bool Get(std::string_view name, std::string_view* v) const override {
            for (size_t i = 0; i < t->columns.size(); ++i) {
              if (t->columns[i] == name) {
                if ((*row)[i].empty()) return false;
                *v = (*row)[i];
                return true;
              }
            }
            return false;
          }
        };
        Aggregator agg(st, 1'000'000);
        TableRow tr;
        tr.t = t;
        for (const auto& r : t->rows) {
          tr.row = &r;
          agg.Add(tr, 0);
        }
        *t = agg.Finish();
        break;
      }
      case StageKind::kTimechart:
        return Status::InvalidArgument("timechart must be the first pipe");
    }
  }
  return Status::OK();
}

Table EventsToTable(const std::vector<Event>& events, const std::vector<std::string>& fields) {
  Table t;
  t.columns = fields.empty() ? std::vector<std::string>{"@timestamp", "host.name", "event.dataset", "message"} : fields;
  for (const auto& ev : events) {
    std::vector<std::string> row;
    for (const auto& f : t.columns) {
      if (f == "@timestamp") row.push_back(FormatRfc3339(ev.timestamp_ns));
      else if (f == "event.original") row.push_back(ev.original);
      else if (const std::string* v = ev.Get(f)) row.push_back(*v);
      else row.emplace_back();
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace kamatama::query
