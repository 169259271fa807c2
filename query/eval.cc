// query/eval.cc
//! Evaluating a parsed Query: row matching through a FieldAccessor and block pruning through a
//! TokenFilter. Nothing here allocates.
#include "core/event.h"
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

}  // namespace

bool Query::Matches(const FieldAccessor& row) const { return MatchNode(root_, row); }

bool Query::MayMatch(const TokenFilter& has_hash) const { return MayMatchNode(root_, has_hash); }

bool Query::MatchNode(uint32_t index, const FieldAccessor& row) const {
  const Node& node = nodes_[index];
  std::string_view value;
  switch (node.kind) {
    case NodeKind::kMatchAll:
      return true;
    case NodeKind::kAnd:
      for (uint32_t kid : node.children) {
        if (!MatchNode(kid, row)) return false;
      }
      return true;
    case NodeKind::kOr:
      for (uint32_t kid : node.children) {
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
             EqualsIgnoreCase(value, node.text);
    case NodeKind::kFieldGlob:
      return !node.timestamp_field && row.Get(node.field, &value) &&
             GlobMatches(value, node.segments);
    case NodeKind::kFieldExists:
      return node.timestamp_field || row.Get(node.field, &value);
  }
  return false;
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
      for (uint64_t h : node.required_hashes) {
        if (!has_hash(h)) return false;
      }
      return true;
    case NodeKind::kMatchAll:
    case NodeKind::kNot:
    case NodeKind::kFieldExists:
      return true;
  }
  return true;
}

}  // namespace kamatama::query
