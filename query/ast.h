// query/ast.h
//! The parsed form of a query: a flat array of nodes, each with a kind and child indices.
//! Later query features (wildcards in free text, regex, ranges, CIDR, pipes) add kinds and
//! per-kind precomputed data here; evaluation switches on the kind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kamatama::query {

enum class NodeKind : uint8_t {
  kMatchAll,     //!< `*` or the empty query
  kAnd,          //!< every child matches (two or more children)
  kOr,           //!< some child matches (two or more children)
  kNot,          //!< the one child does not match
  kTerm,         //!< a bare free-text term, e.g. sshd, 10.1.2.3, /usr/bin/ssh
  kPhrase,       //!< a quoted free-text phrase, e.g. "Failed password"
  kFieldEquals,  //!< field:value or field:"value": case-insensitive equality
  kFieldGlob,    //!< field:va*ue: case-insensitive glob, '*' matches any run of bytes
  kFieldExists,  //!< field:*
};

//! Upper-case name of a kind as ToString prints it (ALL, AND, OR, NOT, TERM, ...).
std::string_view NodeKindName(NodeKind kind);

//! One node. Everything evaluation needs is computed at parse time, so evaluating allocates
//! nothing.
struct Node {
  NodeKind kind = NodeKind::kMatchAll;
  //! Byte offset in the query text where the node starts.
  uint32_t position = 0;
  //! kAnd/kOr/kNot: indices of the children in the query's node array.
  std::vector<uint32_t> children;
  //! kField*: the field name, as written (field names are case-sensitive).
  std::string field;
  //! kTerm/kPhrase: the text (unescaped); kFieldEquals: the value; kFieldGlob: the pattern.
  std::string text;
  //! kTerm/kPhrase: the distinct tokens of `text` (core/tokenize.h), lowercased.
  std::vector<std::string> tokens;
  //! kFieldGlob: the literal parts between runs of '*', lowercased; the first and the last may be
  //! empty (pattern starts or ends with '*'), the ones between are not.
  std::vector<std::string> segments;
  //! Token hashes (HashTokenLower) that a block must contain to possibly hold a match.
  std::vector<uint64_t> required_hashes;
  //! kField* on @timestamp: not matchable by value in this version (field:* always matches).
  bool timestamp_field = false;
};

}  // namespace kamatama::query
