// detect/prefilter.cc
#include "detect/prefilter.h"

#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstring>

#include "core/tokenize.h"

namespace kamatama::detect {

namespace {

using query::Node;
using query::NodeKind;

//! Memory budget of one field's RE2::Set (its compiled program and DFA cache).
constexpr int64_t kSetMaxMem = 64 << 20;
//! Literals shorter than this make an AND's group worth keeping only if it has no better one.
constexpr size_t kMinUsefulLiteral = 3;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

size_t ShortestLiteral(const LiteralGroup& g) {
  size_t n = SIZE_MAX;
  for (const Literal& l : g) n = std::min(n, l.text.size());
  return n;
}

//! The more selective group first: a longer shortest literal, then fewer literals.
bool MoreSelective(const LiteralGroup& a, const LiteralGroup& b) {
  const size_t la = ShortestLiteral(a), lb = ShortestLiteral(b);
  if (la != lb) return la > lb;
  return a.size() < b.size();
}

std::vector<LiteralGroup> One(std::string_view field, std::string_view text) {
  if (text.empty()) return {};
  return {LiteralGroup{Literal{std::string(field), Lower(text)}}};
}

//! A glob's value holds every literal part: a group for each (the longest first, at most
//! kMaxGroups).
std::vector<LiteralGroup> Segments(std::string_view field, const std::vector<std::string>& segments) {
  std::vector<LiteralGroup> out;
  for (const std::string& s : segments) {
    for (LiteralGroup& g : One(field, s)) out.push_back(std::move(g));
  }
  std::stable_sort(out.begin(), out.end(), MoreSelective);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > kMaxGroups) out.resize(kMaxGroups);
  return out;
}

//! Bytes rare in log values: a literal of one or two of them still says much.
bool RarePunctuation(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::string_view("|&^`%$;<>~!{}").find(c) != std::string_view::npos;
  });
}

//! A group with a literal of one or two ordinary bytes is met by most values: checking it costs
//! more than the evaluations it saves, when a better group is there.
bool Weak(const LiteralGroup& g) {
  return std::any_of(g.begin(), g.end(), [](const Literal& l) {
    return l.text.size() < kMinUsefulLiteral && !RarePunctuation(l.text);
  });
}

void Dedupe(LiteralGroup* g) {
  LiteralGroup out;
  for (Literal& l : *g) {
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(std::move(l));
  }
  *g = std::move(out);
}

//! Whether RE2's prefilter atoms of `pattern`, found ASCII-case-insensitively in a value, tell a
//! match apart even under case folding: ASCII only (a non-ASCII character may fold to ASCII) and
//! no escape naming bytes or classes by number (`\x`, `\p`, `\P`, `\C`).
bool AtomsSearchable(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (static_cast<unsigned char>(pattern[i]) >= 0x80) return false;
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      const char e = pattern[++i];
      if (e == 'x' || e == 'p' || e == 'P' || e == 'C') return false;
    }
  }
  return true;
}

//! The KELVIN SIGN and LATIN SMALL LETTER LONG S in UTF-8: the only non-ASCII characters that
//! Unicode case folding (RE2's `(?i)`) matches to ASCII letters (k and s). RE2 lowercases the
//! KELVIN SIGN to 'k' when it derives atoms, so an atom holding a k (or s) may be met by a value
//! holding one of these instead: such an atom's group also takes them.
constexpr std::string_view kFoldsToK = "\xe2\x84\xaa", kFoldsToS = "\xc5\xbf";

void AddAtom(std::string_view field, const std::string& atom, bool folded, LiteralGroup* g) {
  g->push_back(Literal{std::string(field), Lower(atom)});
  if (!folded) return;
  // Read before pushing: a push may move the group's literals.
  const bool has_k = g->back().text.find('k') != std::string::npos;
  const bool has_s = g->back().text.find('s') != std::string::npos;
  if (has_k) g->push_back(Literal{std::string(field), std::string(kFoldsToK)});
  if (has_s) g->push_back(Literal{std::string(field), std::string(kFoldsToS)});
}

//! The groups a regex requires, from RE2's prefilter of it (`filter` holding only it, `atoms` its
//! atoms): each atom without which no match is possible is a group of its own; else, when no
//! match can lack every atom, one group of all of them. `folded`: the pattern may fold case.
std::vector<LiteralGroup> AtomGroups(const re2::FilteredRE2& filter, const std::vector<std::string>& atoms,
                                     std::string_view field, bool folded) {
  if (atoms.empty() || atoms.size() > 64) return {};
  for (const std::string& atom : atoms) {
    if (atom.empty()) return {};
  }
  std::vector<int> present, passed;
  filter.AllPotentials(present, &passed);
  if (!passed.empty()) return {};  // some match needs no atom
  std::vector<LiteralGroup> out;
  for (size_t i = 0; i < atoms.size(); ++i) {
    present.clear();
    passed.clear();
    for (size_t j = 0; j < atoms.size(); ++j) {
      if (j != i) present.push_back(static_cast<int>(j));
    }
    filter.AllPotentials(present, &passed);
    if (!passed.empty()) continue;  // a match may do without atom i
    out.emplace_back();
    AddAtom(field, atoms[i], folded, &out.back());
  }
  if (!out.empty()) return out;
  LiteralGroup g;
  for (const std::string& atom : atoms) AddAtom(field, atom, folded, &g);
  Dedupe(&g);
  return {std::move(g)};
}

//! Whether `pattern` may turn on case folding (an `i` among what could be inline flags: `(?i)`,
//! `(?is:`). Errs towards yes (`\(?i` says yes too): folding only adds literals to a group.
bool FoldsCase(std::string_view pattern) {
  for (size_t at = pattern.find("(?"); at != std::string_view::npos; at = pattern.find("(?", at + 2)) {
    for (size_t j = at + 2; j < pattern.size() && pattern[j] != ')' && pattern[j] != ':'; ++j) {
      if (pattern[j] == 'i') return true;
    }
  }
  return false;
}

//! A regex requires RE2's prefilter atoms, derived here down to 1 byte (RE2's default, and the
//! query's own prefilter, drop atoms under 3 bytes: a regex needing only "`" or "0x" would
//! require nothing). RE2 lowercases atoms, so only ASCII patterns without escapes naming bytes
//! are used; a case-folding pattern's atoms with k or s also take the KELVIN SIGN and LONG S.
std::vector<LiteralGroup> RegexLiterals(const Node& n, std::string_view field) {
  if (!n.regex || !AtomsSearchable(n.text)) return {};
  re2::FilteredRE2 filter(1);
  int id = 0;
  if (filter.Add(n.text, n.regex->options(), &id) != RE2::NoError) return {};
  std::vector<std::string> atoms;
  filter.Compile(&atoms);
  return AtomGroups(filter, atoms, field, FoldsCase(n.text) || !n.regex->options().case_sensitive());
}

std::vector<LiteralGroup> LeafLiterals(const Node& n) {
  const std::string_view original = field::kOriginal;
  switch (n.kind) {
    case NodeKind::kTerm:
    case NodeKind::kPhrase:
      return One(original, n.text);
    case NodeKind::kFieldEquals:
      if (n.timestamp_field || n.ip_equals) return {};
      return One(n.field, n.text);
    case NodeKind::kFieldGlob:
      if (n.timestamp_field) return {};
      return Segments(n.field, n.segments);
    case NodeKind::kWildcard:
      return Segments(original, n.segments);
    case NodeKind::kRegex:
      if (n.timestamp_field) return {};
      return RegexLiterals(n, n.field.empty() ? original : std::string_view(n.field));
    default:
      return {};  // NOT, exists, ranges, CIDR, fieldref, match-all: nothing required
  }
}

}  // namespace

std::vector<LiteralGroup> RequiredLiterals(const query::Query& q, uint32_t index) {
  const Node& n = q.NodeAt(index);
  if (n.kind == NodeKind::kAnd) {
    std::vector<LiteralGroup> all;
    for (uint32_t kid : n.children) {
      for (LiteralGroup& g : RequiredLiterals(q, kid)) all.push_back(std::move(g));
    }
    std::stable_sort(all.begin(), all.end(), MoreSelective);
    all.erase(std::unique(all.begin(), all.end()), all.end());
    if (std::any_of(all.begin(), all.end(), [](const LiteralGroup& g) { return !Weak(g); })) {
      all.erase(std::remove_if(all.begin(), all.end(), Weak), all.end());
    }
    if (all.size() > kMaxGroups) all.resize(kMaxGroups);
    return all;
  }
  if (n.kind == NodeKind::kOr) {
    // Each branch requires each of its groups: joining one group of every branch gives a group
    // the OR requires. Group k joins every branch's k-th (or last) group, most selective first.
    std::vector<std::vector<LiteralGroup>> branches;
    size_t most = 0;
    for (uint32_t kid : n.children) {
      branches.push_back(RequiredLiterals(q, kid));
      if (branches.back().empty()) return {};
      most = std::max(most, branches.back().size());
    }
    std::vector<LiteralGroup> out;
    for (size_t k = 0; k < most; ++k) {
      LiteralGroup joined;
      for (const std::vector<LiteralGroup>& groups : branches) {
        for (const Literal& l : groups[std::min(k, groups.size() - 1)]) joined.push_back(l);
      }
      Dedupe(&joined);
      if (std::find(out.begin(), out.end(), joined) == out.end()) out.push_back(std::move(joined));
    }
    return out;
  }
  return LeafLiterals(n);
}

namespace {

//! A field's literals when every one of them holds kAnchor (Hashes: `md5=...`, `imphash=...`):
//! an occurrence of a literal puts its first kAnchor on one of the value's, so the value is
//! searched at its few kAnchors (each literal by the bytes before its first kAnchor and its
//! length, then the candidate's lowercase bytes looked up) instead of by the field's RE2::Set
//! over every byte. Finds exactly the literals occurring (ASCII case ignored).
class AnchoredLiterals {
 public:
  static constexpr char kAnchor = '=';
  //! Most shapes (distinct bytes before the anchor) and (shape, length) pairs: what one anchor of
  //! a value may cost.
  static constexpr size_t kMaxShapes = 16, kMaxLengths = 64;

  //! False (and nothing kept) if `text` lacks the anchor or there would be too many shapes.
  bool Add(const std::string& text, uint32_t literal) {
    const size_t k = text.find(kAnchor);
    if (k == std::string::npos) return false;
    const std::string_view prefix = std::string_view(text).substr(0, k);
    auto shape = std::find_if(shapes_.begin(), shapes_.end(), [&](const Shape& sh) { return sh.prefix == prefix; });
    if (shape == shapes_.end()) {
      if (shapes_.size() == kMaxShapes) return false;
      shape = shapes_.insert(shapes_.end(), Shape{std::string(prefix), {}});
    }
    if (std::find(shape->lengths.begin(), shape->lengths.end(), text.size()) == shape->lengths.end()) {
      if (++lengths_ > kMaxLengths) return false;
      shape->lengths.push_back(text.size());
    }
    ids_.emplace(FoldedHash(text), Entry{text, literal});
    return true;
  }
  bool empty() const { return ids_.empty(); }
  void clear() {
    shapes_.clear();
    ids_.clear();
    lengths_ = 0;
  }
  //! Calls f(literal id) for each literal occurring in `value` (once per occurrence).
  template <class F>
  void Search(std::string_view value, F&& f) const {
    for (size_t q = value.find(kAnchor); q != std::string_view::npos; q = value.find(kAnchor, q + 1)) {
      const char before = q > 0 ? AsciiLower(value[q - 1]) : '\0';
      for (const Shape& sh : shapes_) {
        const size_t k = sh.prefix.size();
        // The byte before the anchor first: it tells most shapes apart (md5, sha1, sha256, imphash).
        if (k > 0 && (q < k || sh.prefix.back() != before || !LowerEquals(value.substr(q - k, k - 1), sh.prefix))) continue;
        for (size_t n : sh.lengths) {
          if (q - k + n > value.size()) continue;
          const std::string_view candidate = value.substr(q - k, n);
          auto [it, end] = ids_.equal_range(FoldedHash(candidate));
          for (; it != end; ++it) {
            if (EqualsIgnoreCase(candidate, it->second.text)) f(it->second.literal);
          }
        }
      }
    }
  }

 private:
  struct Shape {
    std::string prefix;            //!< the literals' bytes before their first anchor
    std::vector<size_t> lengths;   //!< the distinct lengths of those literals
  };
  //! A hash of `s` that ASCII case does not change (each byte ORed with 0x20: the letters' cases
  //! meet, so do a few other bytes; equality is checked after), read eight bytes at a time.
  static uint64_t FoldedHash(std::string_view s) {
    constexpr uint64_t kFold = 0x2020202020202020ull;
    uint64_t h = (s.size() + 1) * 0x9E3779B97F4A7C15ull;
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ (w | kFold)) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
    uint64_t w = 0;
    std::memcpy(&w, s.data() + i, s.size() - i);
    h = (h ^ (w | kFold)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
  }
  //! Whether `a`, ASCII-lowercased, equals the first a.size() bytes of `lower`.
  static bool LowerEquals(std::string_view a, std::string_view lower) {
    for (size_t i = 0; i < a.size(); ++i) {
      if (AsciiLower(a[i]) != lower[i]) return false;
    }
    return true;
  }
  std::vector<Shape> shapes_;
  size_t lengths_ = 0;  //!< (shape, length) pairs
  struct Entry {
    std::string text;  //!< lowercase
    uint32_t literal;
  };
  std::unordered_multimap<uint64_t, Entry> ids_;  //!< by FoldedHash of the text
};

}  // namespace

//! One field's literals, compiled into one RE2::Set (literal, ASCII-case-insensitive, Latin-1:
//! bytes are characters, so any byte string can be searched).
struct Prefilter::FieldSet {
  std::string name;
  size_t shortest = SIZE_MAX;  //!< bytes of the shortest literal: a shorter value holds none
  std::vector<uint32_t> pattern_literal;  //!< Set pattern index -> literal id
  std::unique_ptr<re2::RE2::Set> set;
  AnchoredLiterals anchored;  //!< used instead of the set when every literal holds the anchor
};

Prefilter::Prefilter() = default;
Prefilter::~Prefilter() = default;
Prefilter::Prefilter(Prefilter&&) noexcept = default;
Prefilter& Prefilter::operator=(Prefilter&&) noexcept = default;

void Prefilter::AddRule(uint32_t rule, const std::vector<LiteralGroup>& groups) {
  compiled_ = false;
  if (rule_groups_.size() <= rule) {
    rule_groups_.resize(rule + 1, 0);
    rule_literals_.resize(rule + 1);
  }
  rule_groups_[rule] = static_cast<uint16_t>(groups.size());
  for (const LiteralGroup& g : groups) {
    const uint32_t gid = static_cast<uint32_t>(group_rule_.size());
    group_rule_.push_back(rule);
    for (const Literal& l : g) {
      std::string key = l.field + '\0' + l.text;
      auto [it, added] = literal_ids_.try_emplace(std::move(key), static_cast<uint32_t>(literals_.size()));
      if (added) {
        literals_.push_back(l);
        literal_groups_.emplace_back();
      }
      rule_literals_[rule].push_back(it->second);
      std::vector<uint32_t>& gs = literal_groups_[it->second];
      if (gs.empty() || gs.back() != gid) gs.push_back(gid);
    }
  }
}

bool Prefilter::Compile() {
  fields_.clear();
  field_ids_.clear();
  literal_field_.assign(literals_.size(), 0);
  RE2::Options opt;
  opt.set_encoding(RE2::Options::EncodingLatin1);
  opt.set_case_sensitive(false);
  opt.set_literal(true);
  opt.set_log_errors(false);
  opt.set_max_mem(kSetMaxMem);
  for (uint32_t id = 0; id < literals_.size(); ++id) {
    const Literal& l = literals_[id];
    auto [it, added] = field_ids_.try_emplace(l.field, static_cast<uint32_t>(fields_.size()));
    if (added) {
      auto fs = std::make_unique<FieldSet>();
      fs->name = l.field;
      fs->set = std::make_unique<RE2::Set>(opt, RE2::UNANCHORED);
      fields_.push_back(std::move(fs));
    }
    literal_field_[id] = it->second;
    FieldSet& fs = *fields_[it->second];
    if (fs.set->Add(l.text, nullptr) < 0) return false;
    fs.pattern_literal.push_back(id);
    fs.shortest = std::min(fs.shortest, l.text.size());
  }
  for (auto& fs : fields_) {
    if (!fs->set->Compile()) return false;
    for (uint32_t id : fs->pattern_literal) {
      if (!fs->anchored.Add(literals_[id].text, id)) {
        fs->anchored.clear();
        break;
      }
    }
  }
  literal_refs_.assign(1, 0);
  group_refs_.clear();
  for (const std::vector<uint32_t>& groups : literal_groups_) {
    for (uint32_t g : groups) group_refs_.push_back(GroupRef{g, group_rule_[g], rule_groups_[group_rule_[g]]});
    literal_refs_.push_back(static_cast<uint32_t>(group_refs_.size()));
  }
  unfiltered_.clear();
  for (uint32_t r = 0; r < rule_groups_.size(); ++r) {
    if (rule_groups_[r] == 0) unfiltered_.push_back(r);
  }
  compiled_ = true;
  return true;
}

void Prefilter::SeeLiteral(uint32_t literal, Scratch* s) const {
  const GroupRef* ref = group_refs_.data() + literal_refs_[literal];
  const GroupRef* const end = group_refs_.data() + literal_refs_[literal + 1];
  for (; ref != end; ++ref) {
    uint32_t& seen = s->group_epoch[ref->group];
    if (seen == s->epoch) continue;
    seen = s->epoch;
    Scratch::RuleState& rule = s->rules[ref->rule];
    if (rule.epoch != s->epoch) {
      rule.epoch = s->epoch;
      rule.hits = 0;
    }
    if (++rule.hits == ref->rule_groups) s->passed.push_back(ref->rule);
  }
}

//! Scans of a field after which its counts are halved (recent values weigh most).
constexpr uint16_t kFieldScanWindow = 64;

void Prefilter::ScanValue(uint32_t field, std::string_view value, Scratch* s) const {
  const FieldSet& fs = *fields_[field];
  // Latin-1 case folding maps a byte to a byte: a match is as long as its literal.
  if (value.size() < fs.shortest) return;
  if (!fs.anchored.empty()) return fs.anchored.Search(value, [&](uint32_t id) { SeeLiteral(id, s); });
  const re2::StringPiece text(value.data(), value.size());
  RE2::Set::ErrorInfo err{};
  // RE2::Set::Match allocates a match set as large as the whole set on each call given a
  // vector; without one it only says whether a literal occurs, stopping at the first. Where most
  // values of a field hold none (Hashes, OriginalFileName, Product, ...), that is asked first.
  uint16_t& scans = s->field_scans[field];
  uint16_t& hits = s->field_hits[field];
  if (++scans == kFieldScanWindow) {
    scans /= 2;
    hits /= 2;
  }
  if (2 * hits < scans && !fs.set->Match(text, nullptr, &err)) {
    if (err.kind == RE2::Set::kNoError) return;
    for (uint32_t id : fs.pattern_literal) SeeLiteral(id, s);  // undecided: every literal counts as seen
    return;
  }
  s->matched.clear();
  const bool any = fs.set->Match(text, &s->matched, &err);
  if (!any && err.kind != RE2::Set::kNoError) {
    // The set could not decide (DFA out of memory): every literal of the field counts as seen.
    for (uint32_t id : fs.pattern_literal) SeeLiteral(id, s);
    return;
  }
  if (any) ++hits;
  for (int p : s->matched) SeeLiteral(fs.pattern_literal[static_cast<size_t>(p)], s);
}

void Prefilter::Begin(Scratch* s) const {
  if (s->group_epoch.size() < group_rule_.size()) s->group_epoch.resize(group_rule_.size(), 0);
  if (s->literal_epoch.size() < literals_.size()) s->literal_epoch.resize(literals_.size(), 0);
  if (s->field_scans.size() < fields_.size()) {
    s->field_scans.resize(fields_.size(), 0);
    s->field_hits.resize(fields_.size(), 0);
  }
  if (s->rules.size() < rule_groups_.size()) s->rules.resize(rule_groups_.size());
  s->passed.clear();
  if (++s->epoch == 0) {  // wrapped: old stamps could collide
    std::fill(s->group_epoch.begin(), s->group_epoch.end(), 0);
    std::fill(s->rules.begin(), s->rules.end(), Scratch::RuleState{});
    std::fill(s->literal_epoch.begin(), s->literal_epoch.end(), 0);
    std::fill(s->rule_mark.begin(), s->rule_mark.end(), 0);
    s->epoch = 1;
  }
}

void Prefilter::Scan(const FieldAccessor& row, const std::vector<uint64_t>& wanted, Scratch* s) const {
  if (!compiled_) return;
  std::string_view value;
  for (size_t w = 0; w < wanted.size(); ++w) {
    for (uint64_t bits = wanted[w]; bits; bits &= bits - 1) {
      const size_t id = w * 64 + static_cast<size_t>(__builtin_ctzll(bits));
      if (id < fields_.size() && row.Get(fields_[id]->name, &value)) ScanValue(static_cast<uint32_t>(id), value, s);
    }
  }
}

void Prefilter::RuleLiteralsOfField(uint32_t rule, uint32_t field, std::vector<uint32_t>* out) const {
  if (!compiled_ || rule >= rule_literals_.size()) return;
  for (uint32_t lid : rule_literals_[rule]) {
    if (literal_field_[lid] == field) out->push_back(lid);
  }
}

void Prefilter::SearchLiterals(const FieldAccessor& row, uint32_t field, const std::vector<uint32_t>& literals,
                               Scratch* s) const {
  std::string_view value;
  if (field >= fields_.size() || !row.Get(fields_[field]->name, &value)) return;
  for (uint32_t lid : literals) {
    if (s->literal_epoch[lid] == s->epoch) continue;  // looked for already (another routed list)
    s->literal_epoch[lid] = s->epoch;
    if (value.size() < literals_[lid].text.size()) continue;
    if (FindIgnoreCase(value, literals_[lid].text) != std::string_view::npos) SeeLiteral(lid, s);
  }
}

void Prefilter::AddRuleFields(uint32_t rule, std::vector<uint64_t>* mask) const {
  if (!compiled_ || rule >= rule_literals_.size()) return;
  mask->resize(FieldMaskWords(), 0);
  for (uint32_t lid : rule_literals_[rule]) {
    const uint32_t f = literal_field_[lid];
    (*mask)[f / 64] |= uint64_t{1} << (f % 64);
  }
}

}  // namespace kamatama::detect
