// query/eval.cc
//! Evaluating a parsed Query: row matching through a FieldAccessor and block pruning through a
//! TokenFilter. Matches allocates nothing itself (RE2 keeps its DFA cache inside the RE2 object,
//! bounded by kRegexMaxMem; a value holding a regex's atoms uses two thread-local vectors);
//! MayMatch allocates two small vectors for a prefiltered regex.
#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <charconv>
#include <cstring>

#include "core/event.h"
#include "core/time.h"
#include "core/tokenize.h"
#include "query/query.h"

namespace kamatama::query {

namespace {

//! Free text T matches `text` if T occurs in it (case-insensitively) and every token of T is a
//! token of it; `tokens` are T's distinct lowercased tokens.
bool TextMatches(std::string_view text, std::string_view needle,
                 const std::vector<std::string>& tokens) {
  if (FindIgnoreCase(text, needle) == std::string_view::npos) return false;
  if (tokens.empty()) return true;
  if (tokens.size() > 64) {
    for (const std::string& token : tokens) {
      if (!HasToken(text, token)) return false;
    }
    return true;
  }
  // One pass over the text's tokens, marking the wanted ones found.
  const uint64_t want = tokens.size() == 64 ? ~uint64_t{0} : (uint64_t{1} << tokens.size()) - 1;
  uint64_t have = 0;
  ForEachToken(text, [&](std::string_view t) {
    if (have == want) return;
    for (size_t k = 0; k < tokens.size(); ++k) {
      if (!(have >> k & 1) && EqualsIgnoreCase(t, tokens[k])) have |= uint64_t{1} << k;
    }
  });
  return have == want;
}

//! Case-insensitive glob: `segments` are the literal parts around the '*'s (at least two).
bool GlobMatches(std::string_view value, const std::vector<std::string>& segments) {
  const std::string& first = segments.front();
  const std::string& last = segments.back();
  if (value.size() < first.size() + last.size()) return false;
  if (!EqualsIgnoreCase(value.substr(0, first.size()), first)) return false;
  if (!EqualsIgnoreCase(value.substr(value.size() - last.size()), last)) return false;
  const std::string_view middle = value.substr(0, value.size() - last.size());
  size_t pos = first.size();
  for (size_t i = 1; i + 1 < segments.size(); ++i) {
    const size_t found = FindIgnoreCase(middle, segments[i], pos);
    if (found == std::string_view::npos) return false;
    pos = found + segments[i].size();
  }
  return true;
}

//! A glob over the tokens of `text`: some token matches `segments`.
bool AnyTokenMatches(std::string_view text, const std::vector<std::string>& segments) {
  bool found = false;
  ForEachToken(text, [&](std::string_view token) {
    if (!found && GlobMatches(token, segments)) found = true;
  });
  return found;
}

//! ASCII-case-insensitive three-way byte comparison.
int CompareIgnoreCase(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = static_cast<unsigned char>(AsciiLower(a[i]));
    const unsigned char y = static_cast<unsigned char>(AsciiLower(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

int Compare(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

//! Whether `cmp` (value compared with a bound) satisfies that bound as the lower/upper end.
bool WithinLower(const RangeBound& b, int cmp) {
  return b.unbounded || cmp > 0 || (cmp == 0 && b.inclusive);
}
bool WithinUpper(const RangeBound& b, int cmp) {
  return b.unbounded || cmp < 0 || (cmp == 0 && b.inclusive);
}

bool InRange(const Node& node, std::string_view value) {
  const RangeBound& lo = node.lower;
  const RangeBound& hi = node.upper;
  if (lo.unbounded && hi.unbounded) return true;
  switch (node.range_type) {
    case RangeType::kInt:
    case RangeType::kTime: {
      int64_t v = 0;
      if (node.range_type == RangeType::kInt) {
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc() || ptr != value.data() + value.size() || value.empty()) return false;
      } else {
        auto t = ParseRfc3339(value);
        if (!t) return false;
        v = *t;
      }
      return WithinLower(lo, Compare(v, lo.number)) && WithinUpper(hi, Compare(v, hi.number));
    }
    case RangeType::kIp: {
      IpAddress ip;
      if (!ParseIpAddress(value, &ip)) return false;
      const uint8_t size = lo.unbounded ? hi.ip.size : lo.ip.size;
      if (ip.size != size) return false;
      return (lo.unbounded || WithinLower(lo, std::memcmp(ip.bytes, lo.ip.bytes, size))) &&
             (hi.unbounded || WithinUpper(hi, std::memcmp(ip.bytes, hi.ip.bytes, size)));
    }
    case RangeType::kString:
      return WithinLower(lo, lo.unbounded ? 0 : CompareIgnoreCase(value, lo.text)) &&
             WithinUpper(hi, hi.unbounded ? 0 : CompareIgnoreCase(value, hi.text));
  }
  return false;
}

bool InCidr(const Node& node, std::string_view value) {
  IpAddress ip;
  if (!ParseIpAddress(value, &ip) || ip.size != node.ip.size) return false;
  const int full = node.prefix_len / 8;
  if (std::memcmp(ip.bytes, node.ip.bytes, static_cast<size_t>(full)) != 0) return false;
  const int rest = node.prefix_len % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff00 >> rest);
  return (ip.bytes[full] & mask) == node.ip.bytes[full];
}

bool IpEquals(const Node& node, std::string_view value) {
  IpAddress ip;
  return ParseIpAddress(value, &ip) && ip.size == node.ip.size &&
         std::memcmp(ip.bytes, node.ip.bytes, ip.size) == 0;
}

//! Whether `value` holds a combination of the regex's atoms that a match needs (true without a
//! row prefilter).
bool RegexMayMatch(const Node& node, std::string_view value) {
  if (!node.row_prefilter || node.row_atoms.size() > 64) return true;  // > 64: RE2 decides
  uint64_t found = 0;
  const size_t n = node.row_atoms.size();
  for (size_t i = 0; i < n; ++i) {
    if (FindIgnoreCase(value, node.row_atoms[i]) != std::string_view::npos) found |= uint64_t{1} << i;
  }
  if (found == 0) return false;
  thread_local std::vector<int> present, passed;  // no allocation per value once grown
  present.clear();
  passed.clear();
  for (size_t i = 0; i < n; ++i) {
    if (found >> i & 1) present.push_back(static_cast<int>(i));
  }
  node.row_prefilter->AllPotentials(present, &passed);
  return !passed.empty();
}

}  // namespace

bool Query::Matches(const FieldAccessor& row) const { return MatchNode(root_, row); }

bool Query::MayMatch(const TokenFilter& has_hash) const { return MayMatchNode(root_, has_hash); }

bool Query::MatchNode(uint32_t index, const FieldAccessor& row) const {
  const Node& node = nodes_[index];
  std::string_view value;
  switch (node.kind) {
    case NodeKind::kMatchAll:
      return true;
    // match_order: every AND and OR reachable from the root has it (the parser's last step).
    case NodeKind::kAnd:
      for (uint32_t kid : node.match_order) {
        if (!MatchNode(kid, row)) return false;
      }
      return true;
    case NodeKind::kOr:
      for (uint32_t kid : node.match_order) {
        if (MatchNode(kid, row)) return true;
      }
      return false;
    case NodeKind::kNot:
      return !MatchNode(node.children[0], row);
    case NodeKind::kTerm:
    case NodeKind::kPhrase:
      return row.Get(field::kOriginal, &value) && TextMatches(value, node.text, node.tokens);
    case NodeKind::kFieldEquals:
      return !node.timestamp_field && row.Get(node.field, &value) &&
             (EqualsIgnoreCase(value, node.text) || (node.ip_equals && IpEquals(node, value)));
    case NodeKind::kFieldGlob:
      return !node.timestamp_field && row.Get(node.field, &value) &&
             GlobMatches(value, node.segments);
    case NodeKind::kFieldExists:
      return node.timestamp_field || row.Get(node.field, &value);
    case NodeKind::kRegex:
      if (node.field.empty()) {
        return row.Get(field::kOriginal, &value) && RegexMayMatch(node, value) &&
               RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *node.regex);
      }
      if (node.timestamp_field || !row.Get(node.field, &value) || !RegexMayMatch(node, value)) return false;
      return node.regex_partial
                 ? RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *node.regex)
                 : RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *node.regex);
    case NodeKind::kRange:
      if (node.timestamp_field) return node.time_folded;
      return row.Get(node.field, &value) && InRange(node, value);
    case NodeKind::kCidr:
      return !node.timestamp_field && row.Get(node.field, &value) && InCidr(node, value);
    case NodeKind::kWildcard:
      return row.Get(field::kOriginal, &value) && AnyTokenMatches(value, node.segments);
    case NodeKind::kFieldRef: {
      std::string_view other;
      return row.Get(node.field, &value) && row.Get(node.text, &other) && EqualsIgnoreCase(value, other);
    }
    case NodeKind::kInList:
      return !node.timestamp_field && row.Get(node.field, &value) && node.list->Contains(value);
  }
  return false;
}

BlockAnswer Query::Answer(const TokenFilter& has_hash) const { return AnswerNode(root_, has_hash); }

// Three-valued: what MatchNode returns for every row of a block with these tokens, if the
// tokens settle it. Mirrors MatchNode case by case (the constant cases exactly, the others
// only through the tokens a match requires, as MayMatchNode).
BlockAnswer Query::AnswerNode(uint32_t index, const TokenFilter& has_hash) const {
  const Node& node = nodes_[index];
  // What the required tokens say, as MayMatchNode: none if one is absent, else rows must tell.
  auto by_tokens = [&]() { return MayMatchNode(index, has_hash) ? BlockAnswer::kSome : BlockAnswer::kNone; };
  switch (node.kind) {
    case NodeKind::kMatchAll:
      return BlockAnswer::kAll;
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      // A child answering `decides` decides the node; if every child answers `unanimous`, so does
      // the node; anything else leaves it to the rows.
      const bool is_and = node.kind == NodeKind::kAnd;
      const BlockAnswer decides = is_and ? BlockAnswer::kNone : BlockAnswer::kAll;
      BlockAnswer out = is_and ? BlockAnswer::kAll : BlockAnswer::kNone;
      for (uint32_t kid : node.children) {
        const BlockAnswer a = AnswerNode(kid, has_hash);
        if (a == decides) return a;
        if (a == BlockAnswer::kSome) out = a;
      }
      return out;
    }
    case NodeKind::kNot:
      switch (AnswerNode(node.children[0], has_hash)) {
        case BlockAnswer::kNone: return BlockAnswer::kAll;
        case BlockAnswer::kAll: return BlockAnswer::kNone;
        case BlockAnswer::kSome: return BlockAnswer::kSome;
      }
      return BlockAnswer::kSome;
    case NodeKind::kTerm:
    case NodeKind::kPhrase:
      return by_tokens();
    case NodeKind::kFieldEquals:
    case NodeKind::kFieldGlob:
    case NodeKind::kCidr:
      return node.timestamp_field ? BlockAnswer::kNone : by_tokens();
    case NodeKind::kFieldExists:
      return node.timestamp_field ? BlockAnswer::kAll : BlockAnswer::kSome;
    case NodeKind::kRange:
      if (node.timestamp_field) return node.time_folded ? BlockAnswer::kAll : BlockAnswer::kNone;
      return BlockAnswer::kSome;
    case NodeKind::kRegex:
      if (!node.field.empty() && node.timestamp_field) return BlockAnswer::kNone;
      return by_tokens();
    case NodeKind::kWildcard:
    case NodeKind::kFieldRef:
      return BlockAnswer::kSome;
    case NodeKind::kInList:
      return node.timestamp_field ? BlockAnswer::kNone : by_tokens();
  }
  return BlockAnswer::kSome;
}

bool Query::MayMatchNode(uint32_t index, const TokenFilter& has_hash) const {
  const Node& node = nodes_[index];
  switch (node.kind) {
    case NodeKind::kAnd:
      for (uint32_t kid : node.children) {
        if (!MayMatchNode(kid, has_hash)) return false;
      }
      return true;
    case NodeKind::kOr:
      for (uint32_t kid : node.children) {
        if (MayMatchNode(kid, has_hash)) return true;
      }
      return false;
    case NodeKind::kTerm:
    case NodeKind::kPhrase:
    case NodeKind::kFieldEquals:
    case NodeKind::kFieldGlob:
    case NodeKind::kCidr:
      for (uint64_t h : node.required_hashes) {
        if (!has_hash(h)) return false;
      }
      return true;
    case NodeKind::kRegex: {
      if (!node.prefilter) return true;
      // Atoms that may occur: those whose bounded tokens are all in the block.
      std::vector<int> present;
      for (size_t i = 0; i < node.atom_hashes.size(); ++i) {
        bool may = true;
        for (uint64_t h : node.atom_hashes[i]) {
          if (!has_hash(h)) {
            may = false;
            break;
          }
        }
        if (may) present.push_back(static_cast<int>(i));
      }
      std::vector<int> passed;
      node.prefilter->AllPotentials(present, &passed);
      return !passed.empty();
    }
    case NodeKind::kInList:
      return node.list->MayMatch(has_hash);
    case NodeKind::kMatchAll:
    case NodeKind::kNot:
    case NodeKind::kFieldExists:
    case NodeKind::kRange:
    case NodeKind::kWildcard:
    case NodeKind::kFieldRef:
      return true;
  }
  return true;
}

}  // namespace kamatama::query
