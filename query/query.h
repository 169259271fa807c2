// query/query.h
//! The search filter language (Lucene/KQL-like): parsing a query string into a Query, evaluating
//! it against rows (events or store columns, through a FieldAccessor) and against per-block token
//! filters (MayMatch). Grammar and matching rules: query/README.md.
//! A Query is immutable once parsed; its const methods may be called from several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/row.h"
#include "query/ast.h"

namespace kamatama::query {

//! Longest query accepted, in bytes.
inline constexpr size_t kMaxQueryBytes = 64 * 1024;
//! Deepest nesting of parentheses and NOTs accepted.
inline constexpr int kMaxDepth = 100;

//! Why a query did not parse.
struct ParseError {
  size_t position = 0;   //!< byte offset into the query where the problem was found
  std::string message;   //!< what is wrong, e.g. "unterminated quoted string"
  std::string expected;  //!< what would have been valid there, e.g. "')'"
};

// Rows are read through core/row.h: FieldAccessor (value of a field of the current row,
// "event.original" gives the original line), EventAccessor (over an Event) and TokenFilter (a
// block's "may contain this token hash?"). Also visible as query::FieldAccessor etc.
using ::kamatama::EventAccessor;
using ::kamatama::FieldAccessor;
using ::kamatama::TokenFilter;

class Parser;

class Query {
 public:
  //! A query that matches everything (same as Parse("")).
  Query();

  //! Parses a query. Never throws; returns a ParseError for invalid input, including queries
  //! longer than kMaxQueryBytes or nested deeper than kMaxDepth.
  static std::variant<Query, ParseError> Parse(std::string_view text);

  //! Whether the row matches. Does not allocate.
  bool Matches(const FieldAccessor& row) const;

  //! False only if no row of a block whose token filter is `has_hash` can match.
  bool MayMatch(const TokenFilter& has_hash) const;

  //! Fields the filter reads (for column pruning), distinct, in order of first use; includes
  //! "event.original" if there is any free text.
  const std::vector<std::string>& ReferencedFields() const { return referenced_fields_; }

  //! Whether the query matches every row (empty query, `*`, or simplified to it).
  bool MatchesAll() const { return nodes_[root_].kind == NodeKind::kMatchAll; }

  //! Canonical form for debugging and tests, e.g. (AND (TERM sshd) (FIELD host.name "web1")).
  std::string ToString() const;

 private:
  friend class Parser;

  bool MatchNode(uint32_t index, const FieldAccessor& row) const;
  bool MayMatchNode(uint32_t index, const TokenFilter& has_hash) const;
  void AppendNode(uint32_t index, std::string* out) const;

  std::vector<Node> nodes_;  //!< all nodes; children refer to them by index
  uint32_t root_ = 0;
  std::vector<std::string> referenced_fields_;
};

}  // namespace kamatama::query
