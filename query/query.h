// query/query.h
//! The search filter language (Lucene/KQL-like): parsing a query string into a Query, evaluating
//! it against rows (events or store columns, through a FieldAccessor) and against per-block token
//! filters (MayMatch). Grammar and matching rules: query/README.md.
//! A Query is immutable once parsed; its const methods may be called from several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/row.h"
#include "query/ast.h"

namespace kamatama::query {

//! Longest query accepted by default, in bytes (ParseSettings::max_bytes raises it: the server's
//! query.max_query_bytes for POST /api/v1/search).
inline constexpr size_t kMaxQueryBytes = 64 * 1024;
//! Deepest nesting of parentheses and NOTs accepted.
inline constexpr int kMaxDepth = 100;
//! Most regular expressions accepted in one query.
inline constexpr int kMaxRegexes = 16;
//! RE2 memory budget per regular expression (compiled program and DFA cache).
inline constexpr int64_t kRegexMaxMem = 8 << 20;

//! A half-open time interval [from_ns, to_ns) in nanoseconds since the epoch (UTC).
struct TimeRange {
  int64_t from_ns = INT64_MIN;
  int64_t to_ns = INT64_MAX;
  bool Empty() const { return from_ns >= to_ns; }
  bool operator==(const TimeRange&) const = default;
};

//! Why a query did not parse.
struct ParseError {
  size_t position = 0;   //!< byte offset into the query where the problem was found
  std::string message;   //!< what is wrong, e.g. "unterminated quoted string"
  std::string expected;  //!< what would have been valid there, e.g. "')'"
};

// Rows are read through core/row.h: FieldAccessor (value of a field of the current row,
// "event.original" gives the original line), EventAccessor (over an Event) and TokenFilter (a
// block's "may contain this token hash?"). Also visible as query::FieldAccessor etc.
using ::kamatama::BlockAnswer;
using ::kamatama::EventAccessor;
using ::kamatama::FieldAccessor;
using ::kamatama::TokenFilter;

class Parser;
class QueryBuilder;

//! A named set of values that `field:@name` tests a field's value against (issue 28: the
//! threat-intelligence lists of intel/). Immutable; its methods may be called from several
//! threads at once.
class ValueList {
 public:
  virtual ~ValueList() = default;
  //! Whether `value` (as a row holds it) is in the list (the list decides how it compares:
  //! addresses inside networks, names under domains, case).
  virtual bool Contains(std::string_view value) const = 0;
  //! False only if no row of a block whose token filter is `has_hash` can hold a value of the
  //! list (true when the list cannot tell).
  virtual bool MayMatch(const TokenFilter& has_hash) const { return true; }

  //! What Contains tests, for a store that evaluates `field:@name` itself (the ClickHouse
  //! backend turns it into SQL). A value is in the list if it is an address inside one of
  //! `networks` (an IPv4 address, or an IPv6 one written ::ffff:a.b.c.d, only against IPv4
  //! networks), or ASCII-lowercase equal to one of `texts`, or equal to one of `urls` with its
  //! scheme and host compared ignoring case (each stored with them lowercased), or if it, with
  //! one final '.' removed, or any of its parents is one of `domains` (lowercase).
  struct Contents {
    struct Network {
      IpAddress ip;  //!< host bits cleared
      uint8_t prefix_len = 0;
    };
    std::vector<Network> networks;
    std::vector<std::string> texts, urls, domains;
  };
  //! Fills *out with what the list holds now (expired entries left out); false if this list
  //! cannot say (then such a store cannot evaluate it).
  virtual bool GetContents(Contents* out) const { return false; }
};

//! Finds lists by name for `field:@name`. Thread-safe.
class ListResolver {
 public:
  virtual ~ListResolver() = default;
  //! The list called `name` (as it is now), or null if there is none.
  virtual std::shared_ptr<const ValueList> Find(std::string_view name) const = 0;
};

//! How Query::Parse reads a query beyond its text.
struct ParseSettings {
  size_t max_bytes = kMaxQueryBytes;     //!< longer queries are refused (ParseError)
  const ListResolver* lists = nullptr;   //!< where `field:@name` looks; null: no lists
};

class Query {
 public:
  //! A query that matches everything (same as Parse("")).
  Query();

  //! Parses a query. Never throws; returns a ParseError for invalid input, including queries
  //! longer than kMaxQueryBytes or nested deeper than kMaxDepth.
  static std::variant<Query, ParseError> Parse(std::string_view text);
  //! The same with settings: a longer maximum, and the lists `field:@name` may name (a name
  //! that `settings.lists` does not know is a ParseError).
  static std::variant<Query, ParseError> Parse(std::string_view text, const ParseSettings& settings);

  //! Whether the row matches. Does not allocate.
  bool Matches(const FieldAccessor& row) const;

  //! False only if no row of a block whose token filter is `has_hash` can match.
  bool MayMatch(const TokenFilter& has_hash) const;

  //! The answer of every row of a block whose token filter is `has_hash`, where the tokens tell
  //! it: kNone (no row matches; implies MayMatch is false), kAll (every row matches: a NOT whose
  //! operand's required tokens are absent, `*`, ANDs and ORs of such), else kSome.
  BlockAnswer Answer(const TokenFilter& has_hash) const;

  //! Fields the filter reads (for column pruning), distinct, in order of first use; includes
  //! "event.original" if there is any free text.
  const std::vector<std::string>& ReferencedFields() const { return referenced_fields_; }

  //! Lowercase strings every matching row's event.original contains (ignoring ASCII case): the
  //! text of free-text terms and phrases ANDed at the top, and the literal of a free-text regex
  //! whose matches all contain it. Longest first. For skipping text that cannot match.
  const std::vector<std::string>& RequiredText() const { return required_text_; }

  //! Every field name written in the query (field:..., _exists_:...), distinct, in order of
  //! first appearance, including @timestamp and fields of subtrees simplified away; not
  //! event.original for free text. For warning about unknown fields.
  std::vector<std::string> Fields() const;

  //! The @timestamp interval implied by the @timestamp ranges ANDed at the top level of the
  //! query ([INT64_MIN, INT64_MAX) if none). Matches treats those ranges as true (the rows cannot
  //! tell their @timestamp), so the caller must restrict the scan to this interval; if it is
  //! Empty(), nothing matches (and Matches returns false). A @timestamp range anywhere else
  //! (under OR or NOT) is a ParseError.
  const TimeRange& TimeBounds() const { return time_bounds_; }

  //! Whether the query matches every row (empty query, `*`, or simplified to it).
  bool MatchesAll() const { return nodes_[root_].kind == NodeKind::kMatchAll; }

  //! The top node of the parsed tree (for tests: what the parser derived from a term).
  const Node& Root() const { return nodes_[root_]; }
  //! Node `index` of the tree (for tests: the children that Node::children and match_order name).
  const Node& NodeAt(uint32_t index) const { return nodes_[index]; }

  //! Canonical form for debugging and tests, e.g. (AND (TERM sshd) (FIELD host.name "web1")).
  std::string ToString() const;

 private:
  friend class Parser;
  friend class QueryBuilder;

  bool MatchNode(uint32_t index, const FieldAccessor& row) const;
  bool MayMatchNode(uint32_t index, const TokenFilter& has_hash) const;
  BlockAnswer AnswerNode(uint32_t index, const TokenFilter& has_hash) const;
  void AppendNode(uint32_t index, std::string* out) const;

  std::vector<Node> nodes_;  //!< all nodes; children refer to them by index
  uint32_t root_ = 0;
  std::vector<std::string> referenced_fields_;
  std::vector<std::string> required_text_;
  TimeRange time_bounds_;
};

//! A parsed query as the store's row filter (core/row.h), so that the store never sees query/.
//! Borrows the query, which must outlive it.
class QueryFilter final : public RowFilter {
 public:
  explicit QueryFilter(const Query& q) : q_(q) {}
  bool MayMatch(const TokenFilter& has) const override { return q_.MayMatch(has); }
  BlockAnswer Answer(const TokenFilter& has) const override { return q_.Answer(has); }
  bool Matches(const FieldAccessor& row) const override { return q_.Matches(row); }
  const std::vector<std::string>& ReferencedFields() const override { return q_.ReferencedFields(); }
  const std::vector<std::string>& RequiredText() const override { return q_.RequiredText(); }

 private:
  const Query& q_;
};

}  // namespace kamatama::query
