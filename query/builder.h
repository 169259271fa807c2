// query/builder.h
//! QueryBuilder: builds a Query's filter tree node by node instead of from query text, for
//! compilers of other rule languages (detect/ compiles Sigma rules with it). The nodes are the
//! ones Query::Parse makes, with the same precomputed pruning data, so a built Query is
//! evaluated, pruned and ordered exactly as a parsed one. Not thread-safe; the Query it builds
//! is immutable and may be shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/query.h"

namespace kamatama::query {

class QueryBuilder {
 public:
  //! Returned by the adders that can fail (bad regex, bad CIDR); `error` says why.
  static constexpr uint32_t kInvalid = UINT32_MAX;

  uint32_t MatchAll();
  uint32_t MatchNone();  //!< NOT *
  //! AND / OR of `kids`, simplified as the parser does (match-all children vanish from an AND
  //! and absorb an OR; one child stands for itself; no child: match-all for AND, none for OR).
  uint32_t And(std::vector<uint32_t> kids);
  uint32_t Or(std::vector<uint32_t> kids);
  uint32_t Not(uint32_t kid);
  //! field equals value, ASCII-case-insensitively (kFieldEquals, as field:"value").
  uint32_t Equals(std::string_view field, std::string_view value);
  //! Case-insensitive glob: '*' in `pattern` is any run of bytes, everything else literal
  //! (kFieldGlob, as field:pat*tern). The field "event.original" globs the original line.
  uint32_t Glob(std::string_view field, std::string_view pattern);
  uint32_t Exists(std::string_view field);
  //! RE2 `pattern` on the field's value (whole value unless `partial`); kInvalid if RE2
  //! rejects it.
  uint32_t Regex(std::string_view field, std::string_view pattern, bool partial, std::string* error);
  //! field is an address inside `cidr` ("10.0.0.0/8", "fe80::/10"); kInvalid if malformed.
  uint32_t Cidr(std::string_view field, std::string_view cidr, std::string* error);
  //! field's value equals other's value, ASCII-case-insensitively.
  uint32_t FieldRef(std::string_view field, std::string_view other);
  //! field is an integer compared with `bound` (`op` one of < <= > >=; Sigma's lt/lte/gt/gte),
  //! as field:>N does; a value that is not an integer never matches.
  uint32_t IntCompare(std::string_view field, std::string_view op, int64_t bound);
  //! field's value is in `list` (as field:@name; the list decides how it compares).
  uint32_t InList(std::string_view field, std::string_view name, std::shared_ptr<const ValueList> list);

  //! The Query rooted at `root` (the builder's nodes move into it; the builder is then empty).
  Query Build(uint32_t root);

  size_t size() const { return nodes_.size(); }

 private:
  uint32_t Add(Node node);
  std::vector<Node> nodes_;
};

}  // namespace kamatama::query
