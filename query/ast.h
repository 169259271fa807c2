// query/ast.h
//! The parsed form of a query: a flat array of nodes, each with a kind and child indices.
//! Later query features (wildcards in free text, regex, ranges, CIDR, pipes) add kinds and
//! per-kind precomputed data here; evaluation switches on the kind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
class FilteredRE2;
}  // namespace re2

namespace kamatama::query {

class ValueList;  // query/query.h

enum class NodeKind : uint8_t {
  kMatchAll,     //!< `*` or the empty query
  kAnd,          //!< every child matches (two or more children)
  kOr,           //!< some child matches (two or more children)
  kNot,          //!< the one child does not match
  kTerm,         //!< a bare free-text term, e.g. sshd, 10.1.2.3, /usr/bin/ssh
  kPhrase,       //!< a quoted free-text phrase, e.g. "Failed password"
  kFieldEquals,  //!< field:value or field:"value": case-insensitive equality
  kFieldGlob,    //!< field:va*ue: case-insensitive glob, '*' matches any run of bytes
  kFieldExists,  //!< field:* or _exists_:field
  kRegex,        //!< field:/re/ (whole value) or free-text /re/ (anywhere in event.original)
  kRange,        //!< field:[a TO b], field:{a TO b}, field:>a, field:<=b, ...
  kCidr,         //!< field:10.0.0.0/8, field:2001:db8::/32
  kWildcard,     //!< free-text term with '*': a glob over the tokens of event.original
  kFieldRef,     //!< built only (no query syntax): `field` equals the value of field `text`,
                 //!< ASCII-case-insensitively; both present (Sigma's fieldref modifier)
  kInList,       //!< field:@name: the field's value is in the named list (ValueList, issue 28)
};

//! How a range compares values (chosen at parse time from the field type and the bounds).
enum class RangeType : uint8_t { kString, kInt, kIp, kTime };

//! An IPv4 (size 4) or IPv6 (size 16) address, network byte order.
struct IpAddress {
  uint8_t bytes[16] = {};
  uint8_t size = 0;
};

//! Parses a dotted IPv4 address (no leading zeros) or an IPv6 address (RFC 4291 text, no zone).
//! Does not allocate.
bool ParseIpAddress(std::string_view text, IpAddress* out);

//! One end of a range.
struct RangeBound {
  bool unbounded = true;   //!< '*': no limit on this side
  bool inclusive = false;  //!< '[' / ']' / >= / <=
  std::string text;        //!< as written (unescaped if quoted)
  int64_t number = 0;      //!< kInt: the value; kTime: nanoseconds since the epoch
  IpAddress ip;            //!< kIp
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
  //! kAnd/kOr: the children in the order Matches asks them, cheapest first (a field compared
  //! with a value before a search through the whole line, a regex last). The answer is the
  //! same in any order; only the work to reach it changes. `children` keeps the written order.
  std::vector<uint32_t> match_order;
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

  //! kRegex: the compiled pattern (full match on a field, partial on event.original).
  std::shared_ptr<const re2::RE2> regex;
  //! kRegex on a field: PartialMatch (the pattern may match anywhere in the value) instead of
  //! FullMatch. Never set by the query syntax; QueryBuilder sets it for Sigma's `re` modifier.
  bool regex_partial = false;
  //! kRegex: RE2's prefilter for the pattern, when its atoms can be trusted for pruning (no case
  //! folding, ASCII-only pattern); with `atom_hashes[i]`, the bounded token hashes of atom i
  //! (empty: the atom cannot be ruled out by a token filter).
  std::shared_ptr<const re2::FilteredRE2> prefilter;
  std::vector<std::vector<uint64_t>> atom_hashes;
  //! kRegex: the same prefilter for single values, before RE2 runs on them: RE2's atoms
  //! (lowercase literals, at least one of a passing combination must occur in any match, ignoring
  //! ASCII case) and the filter deciding from those found. Null when the pattern has no atoms or
  //! is not trustworthy (see `prefilter`). A value with none of the atoms is rejected at once:
  //! a substring search runs at ~10 GB/s, RE2 on short lines at a fraction of that.
  std::shared_ptr<const re2::FilteredRE2> row_prefilter;
  std::vector<std::string> row_atoms;

  //! kRange: comparison type and bounds.
  RangeType range_type = RangeType::kString;
  RangeBound lower, upper;
  //! kRange on @timestamp: true when folded into Query::TimeBounds (then it matches every row,
  //! unless the bounds are contradictory, in which case it matches none).
  bool time_folded = false;

  //! kCidr: the network (host bits cleared) and the prefix length; kFieldEquals with
  //! `ip_equals`: the address compared by value (IP-typed fields).
  IpAddress ip;
  int prefix_len = 0;
  bool ip_equals = false;

  //! kInList: the list as it was when the query was parsed (`text` holds its name).
  std::shared_ptr<const ValueList> list;
};

}  // namespace kamatama::query
