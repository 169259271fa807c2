// clickhouse/sql.cc
#include "clickhouse/sql.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "clickhouse/schema.h"
#include "core/tokenize.h"

namespace kamatama::clickhouse {

namespace {

using query::Node;
using query::NodeKind;

// ASCII bytes that end a word (core/tokenize.h: words are [0-9A-Za-z_] and every non-ASCII
// byte), and those that end a compound (the same less '.' and '-'). Written as ASCII ranges, so
// that RE2 in UTF-8 mode never takes a non-ASCII character for a boundary.
constexpr std::string_view kNotWord = R"([\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f])";
constexpr std::string_view kNotStrong = R"([\x00-\x2c\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f])";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

//! `token` as an RE2 literal.
std::string QuoteRegex(std::string_view token) { return RE2::QuoteMeta(re2::StringPiece(token.data(), token.size())); }

//! A LIKE pattern for a glob's literal segments (lowercase), '*' between them.
std::string LikePattern(const std::vector<std::string>& segments) {
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out += '%';
    for (char c : segments[i]) {
      if (c == '%' || c == '_' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out;
}

//! The regex finding `token` (lowercase) as a token of a lowercased line.
std::string TokenRegex(std::string_view token) {
  const bool compound = token.find_first_of(".-") != std::string_view::npos;
  if (compound) return fmt::format("(^|{0})[.\\-]*{1}[.\\-]*({0}|$)", kNotStrong, QuoteRegex(token));
  return fmt::format("(^|{0}){1}({0}|$)", kNotWord, QuoteRegex(token));
}

struct FieldSql {
  std::string value;    //!< the value (a String expression)
  std::string present;  //!< whether the event has the field
};

FieldSql Field(const std::string& name) {
  const std::string key = SqlString(name);
  const std::string_view column = ColumnOf(name);
  if (column == "event_original") return {"event_original", "1"};
  if (!column.empty()) {
    // An empty value of a column field is kept in the arrays (clickhouse/writer.cc).
    return {fmt::format("if(notEmpty({0}), {0}, kv_values[indexOf(kv_keys, {1})])", column, key),
            fmt::format("(notEmpty({}) OR has(kv_keys, {}))", column, key)};
  }
  return {fmt::format("kv_values[indexOf(kv_keys, {})]", key), fmt::format("has(kv_keys, {})", key)};
}

//! `value` is an IPv4 address as query::ParseIpAddress reads one (dotted, no leading zeros).
std::string IsIpv4(const std::string& value) {
  return fmt::format("IPv4NumToString(IPv4StringToNum({0})) = {0}", value);
}

uint32_t Ipv4Number(const query::IpAddress& ip) {
  return uint32_t{ip.bytes[0]} << 24 | uint32_t{ip.bytes[1]} << 16 | uint32_t{ip.bytes[2]} << 8 | ip.bytes[3];
}

//! An IP address's bytes (or a prefix of them) as a FixedString literal.
std::string BytesLiteral(const uint8_t* bytes, size_t n) {
  return fmt::format("toFixedString({}, {})", SqlString(std::string_view(reinterpret_cast<const char*>(bytes), n)), n);
}

//! `value` is an IPv6 address as query::ParseIpAddress reads one (it has a ':' and inet_pton
//! takes it). ClickHouse's IPv6StringToNum accepts the same texts (checked on 18.16: zone ids,
//! brackets, spaces, 5-digit groups, two '::' all refused) and answers :: for what it refuses,
//! so :: itself is recognised by its text (any text of '0' and ':' only).
std::string IsIpv6(const std::string& value) {
  static const uint8_t kZero[16] = {};
  return fmt::format("(position({0}, ':') > 0 AND (IPv6StringToNum({0}) != {1} OR match({0}, '^[0:]+$')))", value,
                     BytesLiteral(kZero, 16));
}

//! The CIDR block `ip`/`len` (host bits clear) as an inclusive range of addresses.
std::pair<query::IpAddress, query::IpAddress> CidrBounds(const query::IpAddress& ip, int len) {
  query::IpAddress hi = ip;
  for (int b = 0; b < ip.size; ++b) {
    const int keep = std::clamp(len - 8 * b, 0, 8);
    hi.bytes[b] |= static_cast<uint8_t>(0xff >> keep);
  }
  return {ip, hi};
}

//! Whether word token `tok` is a word of a compound among `tokens` (a line holding the compound
//! as a token holds its words as tokens too: no test of their own).
bool InsideCompound(const std::string& tok, const std::vector<std::string>& tokens) {
  if (tok.find_first_of(".-") != std::string::npos) return false;
  for (const std::string& c : tokens) {
    if (c.find_first_of(".-") == std::string::npos) continue;
    bool found = false;
    ForEachToken(c, [&](std::string_view t) { found = found || t == tok; });
    if (found) return true;
  }
  return false;
}

std::string TextSql(const Node& n) {
  std::string out = fmt::format("positionCaseInsensitive(event_original, {}) > 0", SqlString(n.text));
  for (const std::string& tok : n.tokens) {
    if (InsideCompound(tok, n.tokens)) continue;
    out += fmt::format(" AND match(lower(event_original), {})", SqlString(TokenRegex(tok)));
  }
  return "(" + out + ")";
}

//! The tokens of the line (lowercased): its words, and its compounds trimmed of '.'/'-'.
std::string LineTokensSql() {
  return R"(arrayConcat(extractAll(lower(event_original), '[0-9a-z_\\x{80}-\\x{10ffff}]+'), )"
         R"(arrayMap(t -> replaceRegexpOne(t, '[.\\-]+$', ''), )"
         R"(extractAll(lower(event_original), '[0-9a-z_\\x{80}-\\x{10ffff}][0-9a-z_.\\-\\x{80}-\\x{10ffff}]*'))))";
}

Status RangeSql(const Node& n, std::string* out) {
  const FieldSql f = Field(n.field);
  std::vector<std::string> parts = {f.present};
  auto bound = [&](const query::RangeBound& b, const char* strict, const char* inclusive, const std::string& lhs,
                   const std::string& rhs) {
    if (!b.unbounded) parts.push_back(fmt::format("{} {} {}", lhs, b.inclusive ? inclusive : strict, rhs));
  };
  switch (n.range_type) {
    case query::RangeType::kInt: {
      parts.push_back(fmt::format("match({}, '^-?[0-9]{{1,18}}$')", f.value));
      const std::string v = fmt::format("toInt64OrZero({})", f.value);
      bound(n.lower, ">", ">=", v, std::to_string(n.lower.number));
      bound(n.upper, "<", "<=", v, std::to_string(n.upper.number));
      break;
    }
    case query::RangeType::kString: {
      const std::string v = fmt::format("lower({})", f.value);
      bound(n.lower, ">", ">=", v, SqlString(Lower(n.lower.text)));
      bound(n.upper, "<", "<=", v, SqlString(Lower(n.upper.text)));
      break;
    }
    case query::RangeType::kIp: {
      const uint8_t size = n.lower.unbounded ? n.upper.ip.size : n.lower.ip.size;
      if (size == 16) {  // byte order, as memcmp: FixedString comparisons are unsigned bytes
        parts.push_back(IsIpv6(f.value));
        const std::string v = fmt::format("IPv6StringToNum({})", f.value);
        bound(n.lower, ">", ">=", v, BytesLiteral(n.lower.ip.bytes, 16));
        bound(n.upper, "<", "<=", v, BytesLiteral(n.upper.ip.bytes, 16));
        break;
      }
      parts.push_back(IsIpv4(f.value));
      const std::string v = fmt::format("IPv4StringToNum({})", f.value);
      bound(n.lower, ">", ">=", v, std::to_string(Ipv4Number(n.lower.ip)));
      bound(n.upper, "<", "<=", v, std::to_string(Ipv4Number(n.upper.ip)));
      break;
    }
    case query::RangeType::kTime:
      return Status::InvalidArgument("time ranges on " + n.field + " are not translated to ClickHouse SQL yet");
  }
  std::string joined;
  for (const std::string& p : parts) joined += (joined.empty() ? "" : " AND ") + p;
  *out = "(" + joined + ")";
  return Status::OK();
}

Status CidrSql(const Node& n, std::string* out) {
  const FieldSql f = Field(n.field);
  if (n.ip.size == 16) {
    const auto [lo, hi] = CidrBounds(n.ip, n.prefix_len);
    *out = fmt::format("({} AND {} AND IPv6StringToNum({}) BETWEEN {} AND {})", f.present, IsIpv6(f.value), f.value,
                       BytesLiteral(lo.bytes, 16), BytesLiteral(hi.bytes, 16));
    return Status::OK();
  }
  const uint32_t mask = n.prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - n.prefix_len);
  *out = fmt::format("({} AND {} AND bitAnd(IPv4StringToNum({}), {}) = {})", f.present, IsIpv4(f.value), f.value, mask,
                     Ipv4Number(n.ip) & mask);
  return Status::OK();
}

// ---- field:@list (query::ValueList::Contents as IN sets) ----------------------------------

//! The first 12 bytes of an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

//! Most values a list may become in SQL (its entries, networks expanded to whole bytes).
constexpr size_t kMaxListValues = 200'000;

//! `values` as the right-hand side of IN: ('a', 'b', ...).
std::string InSet(const std::vector<std::string>& values) {
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + SqlString(values[i]);
  return out + ")";
}

//! Networks as prefixes of whole bytes of the 16-byte address (IPv4 ones in their ::ffff:
//! form), keyed by their length in bytes: a network whose length is not a multiple of 8 becomes
//! every longer prefix it holds. False past kMaxListValues.
bool NetworkPrefixes(const std::vector<query::ValueList::Contents::Network>& nets, bool v4,
                     std::map<int, std::vector<std::string>>* out, size_t* count) {
  for (const auto& n : nets) {
    if ((n.ip.size == 4) != v4) continue;
    uint8_t bytes[16] = {};
    int len = n.prefix_len;
    if (v4) {
      std::memcpy(bytes, kMapped, 12);
      std::memcpy(bytes + 12, n.ip.bytes, 4);
      len += 96;
    } else {
      std::memcpy(bytes, n.ip.bytes, 16);
    }
    const int whole = (len + 7) / 8;
    const int free_bits = whole * 8 - len;
    *count += size_t{1} << free_bits;
    if (*count > kMaxListValues) return false;
    for (int x = 0; x < (1 << free_bits); ++x) {
      std::string prefix(reinterpret_cast<const char*>(bytes), static_cast<size_t>(whole));
      if (whole > 0) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) | x);
      (*out)[whole].push_back(std::move(prefix));
    }
  }
  return true;
}

//! The address part of a list: v (an address) inside one of the networks, an IPv4 one (or
//! ::ffff:a.b.c.d) only against IPv4 networks, as intel::ListMatcher::FindIp.
//! False past kMaxListValues.
bool ListNetworksSql(const std::string& v, const query::ValueList::Contents& c, size_t* count, std::string* out) {
  const std::string x16 = fmt::format("if({0}, IPv4ToIPv6(IPv4StringToNum({1})), IPv6StringToNum({1}))", IsIpv4(v), v);
  const std::string is_v4 =
      fmt::format("({} OR ({} AND substring(IPv6StringToNum({}), 1, 12) = {}))", IsIpv4(v), IsIpv6(v), v, BytesLiteral(kMapped, 12));
  std::vector<std::string> parts;
  for (bool v4 : {true, false}) {
    std::map<int, std::vector<std::string>> prefixes;
    if (!NetworkPrefixes(c.networks, v4, &prefixes, count)) return false;
    std::string any;
    for (const auto& [whole, values] : prefixes)
      any += fmt::format("{}substring({}, 1, {}) IN {}", any.empty() ? "" : " OR ", x16, whole, InSet(values));
    if (any.empty()) continue;
    parts.push_back(v4 ? fmt::format("({} AND ({}))", is_v4, any)
                       : fmt::format("({} AND NOT {} AND ({}))", IsIpv6(v), is_v4, any));
  }
  std::string joined;
  for (const std::string& p : parts) joined += (joined.empty() ? "" : " OR ") + p;
  *out = joined;
  return true;
}

Status InListSql(const Node& n, std::string* out) {
  query::ValueList::Contents c;
  if (!n.list || !n.list->GetContents(&c))
    return Status::InvalidArgument("the list @" + n.text + " cannot be translated to ClickHouse SQL");
  const FieldSql f = Field(n.field);
  size_t count = c.texts.size() + c.urls.size() + c.domains.size();
  std::string nets;
  if (count > kMaxListValues || !ListNetworksSql(f.value, c, &count, &nets))
    return Status::InvalidArgument(fmt::format(
        "the list @{} is too large to be sent to ClickHouse as SQL (more than {} values, networks counted as the "
        "whole-byte prefixes they hold)", n.text, kMaxListValues));
  std::vector<std::string> parts;
  if (!nets.empty()) parts.push_back(nets);
  if (!c.texts.empty()) parts.push_back(fmt::format("lower({}) IN {}", f.value, InSet(c.texts)));
  if (!c.urls.empty()) {
    // As intel's UrlEquals: up to the end of the host (after the first "://") ignoring case.
    const std::string head = fmt::format("extract({}, '(?s)^.*?://[^/?#]*')", f.value);
    parts.push_back(fmt::format("concat(lower({0}), substring({1}, length({0}) + 1)) IN {2}", head, f.value, InSet(c.urls)));
  }
  if (!c.domains.empty()) {
    // The name (one final '.' removed) and each of its parents.
    const std::string labels = fmt::format("splitByChar('.', replaceRegexpOne(lower({}), {}, ''))", f.value, SqlString("\\.$"));
    parts.push_back(fmt::format("arrayExists(s -> s IN {}, arrayMap(i -> arrayStringConcat(arraySlice({}, i), '.'), "
                                "arrayEnumerate({})))", InSet(c.domains), labels, labels));
  }
  std::string any;
  for (const std::string& p : parts) any += (any.empty() ? "" : " OR ") + p;
  *out = any.empty() ? "0" : fmt::format("({} AND ({}))", f.present, any);
  return Status::OK();
}

//! What a translation must be: the node's exact answer (what cannot be translated is an
//! error), or a condition true for at least (kSuperset) / at most (kSubset) the events the node
//! matches, when the node itself decides on what the cluster returns (hunts).
enum class Fit : uint8_t { kExact, kSuperset, kSubset };

Fit Flip(Fit f) { return f == Fit::kSuperset ? Fit::kSubset : f == Fit::kSubset ? Fit::kSuperset : f; }

//! Whether an RE2 pattern turns case folding on somewhere ((?i), (?is), (?i:...)).
bool FoldsCase(std::string_view re) {
  for (size_t at = re.find("(?"); at != std::string_view::npos; at = re.find("(?", at + 2)) {
    const size_t end = re.find_first_of(":)", at + 2);
    const std::string_view flags = re.substr(at + 2, end == std::string_view::npos ? 0 : end - at - 2);
    const size_t minus = flags.find('-');
    if (flags.substr(0, minus).find('i') != std::string_view::npos) return true;
  }
  return false;
}

Status NodeSql(const query::Query& q, uint32_t index, Fit fit, std::string* out);

Status ListSql(const query::Query& q, const Node& n, const char* op, Fit fit, std::string* out) {
  std::string joined;
  for (uint32_t kid : n.children) {
    std::string part;
    if (Status s = NodeSql(q, kid, fit, &part); !s.ok()) return s;
    joined += (joined.empty() ? "" : op) + part;
  }
  *out = "(" + joined + ")";
  return Status::OK();
}

Status FieldNodeSql(const Node& n, std::string* out) {
  const FieldSql f = Field(n.field);
  switch (n.kind) {
    case NodeKind::kFieldEquals: {
      std::string eq = fmt::format("lower({}) = {}", f.value, SqlString(Lower(n.text)));
      if (n.ip_equals && n.ip.size == 4) eq += fmt::format(" OR ({} AND IPv4StringToNum({}) = {})", IsIpv4(f.value), f.value, Ipv4Number(n.ip));
      if (n.ip_equals && n.ip.size == 16)
        eq += fmt::format(" OR ({} AND IPv6StringToNum({}) = {})", IsIpv6(f.value), f.value, BytesLiteral(n.ip.bytes, 16));
      *out = fmt::format("({} AND ({}))", f.present, eq);
      return Status::OK();
    }
    case NodeKind::kFieldGlob:
      *out = fmt::format("({} AND lower({}) LIKE {})", f.present, f.value, SqlString(LikePattern(n.segments)));
      return Status::OK();
    case NodeKind::kFieldExists:
      *out = f.present;
      return Status::OK();
    case NodeKind::kRegex: {
      const std::string& re = n.regex->pattern();
      const std::string pattern = n.regex_partial ? re : "^(?:" + re + ")$";
      *out = fmt::format("({} AND match({}, {}))", f.present, f.value, SqlString(pattern));
      return Status::OK();
    }
    case NodeKind::kRange:
      return RangeSql(n, out);
    case NodeKind::kCidr:
      return CidrSql(n, out);
    case NodeKind::kFieldRef: {
      const FieldSql other = Field(n.text);
      *out = fmt::format("({} AND {} AND lower({}) = lower({}))", f.present, other.present, f.value, other.value);
      return Status::OK();
    }
    default:
      return Status::InvalidArgument(fmt::format("{} is not translated to ClickHouse SQL yet", query::NodeKindName(n.kind)));
  }
}

Status ExactNodeSql(const query::Query& q, const Node& n, Fit fit, std::string* out);

//! One node as SQL, as `fit` asks. 18.16's match() looks for a pattern's literal part without
//! folding case, so a `(?i)` pattern can miss matches: in a superset it becomes the field's
//! presence, in a subset false; what is not translated becomes true or false the same way.
Status NodeSql(const query::Query& q, uint32_t index, Fit fit, std::string* out) {
  const Node& n = q.NodeAt(index);
  if (fit != Fit::kExact && n.kind == NodeKind::kRegex && !n.timestamp_field && FoldsCase(n.regex->pattern())) {
    *out = fit == Fit::kSubset ? "0" : n.field.empty() ? "1" : Field(n.field).present;
    return Status::OK();
  }
  Status s = ExactNodeSql(q, n, fit, out);
  if (!s.ok() && fit != Fit::kExact && s.code() == Status::Code::kInvalidArgument) {
    *out = fit == Fit::kSuperset ? "1" : "0";
    return Status::OK();
  }
  return s;
}

Status ExactNodeSql(const query::Query& q, const Node& n, Fit fit, std::string* out) {
  switch (n.kind) {
    case NodeKind::kMatchAll:
      *out = "1";
      return Status::OK();
    case NodeKind::kAnd:
      return ListSql(q, n, " AND ", fit, out);
    case NodeKind::kOr:
      return ListSql(q, n, " OR ", fit, out);
    case NodeKind::kNot: {
      std::string inner;
      if (Status s = NodeSql(q, n.children[0], Flip(fit), &inner); !s.ok()) return s;
      *out = "NOT " + inner;
      return Status::OK();
    }
    case NodeKind::kTerm:
    case NodeKind::kPhrase:
      *out = TextSql(n);
      return Status::OK();
    case NodeKind::kWildcard:
      *out = fmt::format("arrayExists(t -> t LIKE {}, {})", SqlString(LikePattern(n.segments)), LineTokensSql());
      return Status::OK();
    case NodeKind::kRegex:
      if (n.field.empty()) {
        *out = fmt::format("match(event_original, {})", SqlString(n.regex->pattern()));
        return Status::OK();
      }
      break;
    case NodeKind::kInList:
      if (n.timestamp_field) break;
      return InListSql(n, out);
    default:
      break;
  }
  if (n.timestamp_field) {
    // @timestamp is matched by its bounds only (query/README.md): field:* always, a folded range
    // as its bounds (TimeSql), any other test never.
    *out = n.kind == NodeKind::kFieldExists || (n.kind == NodeKind::kRange && n.time_folded) ? "1" : "0";
    return Status::OK();
  }
  return FieldNodeSql(n, out);
}

}  // namespace

std::string SqlString(std::string_view bytes) {
  std::string out = "'";
  for (unsigned char c : bytes) {
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

std::string TimeSql(const query::TimeRange& r) {
  std::vector<std::string> parts;
  auto seconds_floor = [](int64_t ns) { return ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000); };
  if (r.from_ns != INT64_MIN) {
    parts.push_back(fmt::format("ts >= toDateTime({})", std::max<int64_t>(0, seconds_floor(r.from_ns))));
    parts.push_back(fmt::format("ts_ns >= {}", r.from_ns));
  }
  if (r.to_ns != INT64_MAX) {
    parts.push_back(fmt::format("ts <= toDateTime({})", std::max<int64_t>(0, seconds_floor(r.to_ns))));
    parts.push_back(fmt::format("ts_ns < {}", r.to_ns));
  }
  if (parts.empty()) return "1";
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : " AND ") + p;
  return out;
}

namespace {

//! top/rare: the fields' values and the count of events that have them all, WITH TOTALS (the
//! percentages' base), ordered as query::Aggregator::Finish orders them, cut to N.
std::string TopSql(const query::Stage& st, const std::string& where, const std::string& table) {
  std::string cols, present, by, order;
  for (size_t i = 0; i < st.by.size(); ++i) {
    const FieldSql f = Field(st.by[i]);
    cols += fmt::format("{} AS g{}, ", f.value, i);
    present += " AND " + f.present;
    by += fmt::format("{}g{}", i ? ", " : "", i);
  }
  return fmt::format("SELECT {}count() AS c FROM {} WHERE ({}){} GROUP BY {} WITH TOTALS ORDER BY c {}, {} LIMIT {}", cols,
                     table, where, present, by, st.kind == query::StageKind::kTop ? "DESC" : "ASC", by, st.n);
}

}  // namespace

namespace {

// A value std::from_chars reads whole as a double (query/pipes.cc's AsNumber): sum, avg, min and
// max count only these as numbers. inf, nan and exponents out of range are not (docs/scale-out.md).
constexpr std::string_view kNumberRegex = R"(^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$)";

//! The columns of one aggregate (AggSqlColumns of them), read back by StatsTable.
std::vector<std::string> AggColumns(const query::Agg& a) {
  const FieldSql f = Field(a.field);
  const std::string numeric = fmt::format("{} AND match({}, {})", f.present, f.value, SqlString(kNumberRegex));
  const std::string number = fmt::format("toFloat64OrZero({})", f.value);
  const std::string text = fmt::format("{} AND notEmpty({}) AND NOT match({}, {})", f.present, f.value, f.value, SqlString(kNumberRegex));
  switch (a.fn) {
    case query::AggFn::kCount:
      return {a.field.empty() ? "count()" : fmt::format("countIf({})", f.present)};
    case query::AggFn::kDistinctCount:
      return {fmt::format("uniqExactIf({}, {})", f.value, f.present)};
    case query::AggFn::kSum:
      return {fmt::format("sumIf({}, {})", number, numeric)};
    case query::AggFn::kAvg:
      return {fmt::format("countIf({})", f.present), fmt::format("sumIf({}, {})", number, numeric)};
    case query::AggFn::kMin:
    case query::AggFn::kMax: {
      const char* fn = a.fn == query::AggFn::kMin ? "min" : "max";
      return {fmt::format("countIf({})", numeric), fmt::format("{}If({}, {})", fn, number, numeric),
              fmt::format("{}If({}, {})", fn, f.value, text)};
    }
  }
  return {};
}

}  // namespace

size_t AggSqlColumns(query::AggFn fn) {
  switch (fn) {
    case query::AggFn::kAvg: return 2;
    case query::AggFn::kMin:
    case query::AggFn::kMax: return 3;
    default: return 1;
  }
}

Status StatsSql(const query::Stage& st, const std::string& where, const std::string& table, std::string* sql) {
  if (st.kind == query::StageKind::kTop || st.kind == query::StageKind::kRare) {
    *sql = TopSql(st, where, table);
    return Status::OK();
  }
  const bool timechart = st.kind == query::StageKind::kTimechart;
  if (st.kind != query::StageKind::kStats && !timechart)
    return Status::InvalidArgument("only `stats`, `timechart`, `top` and `rare` are pushed down to ClickHouse");
  std::vector<std::string> columns, groups;
  if (timechart) {
    // The bucket as query::Aggregator makes it: ts_ns rounded down (towards -inf) to the span.
    const int64_t span = st.span_ns > 0 ? st.span_ns : 3600 * int64_t{1'000'000'000};
    columns.push_back(fmt::format("intDiv(ts_ns - if(ts_ns < 0, {0} - 1, 0), {0}) * {0} AS t", span));
    groups.push_back("t");
  }
  for (size_t i = 0; i < st.by.size(); ++i) {
    columns.push_back(Field(st.by[i]).value + fmt::format(" AS g{}", i));
    groups.push_back(fmt::format("g{}", i));
  }
  for (const query::Agg& a : st.aggs) {
    for (std::string& c : AggColumns(a)) columns.push_back(std::move(c));
  }
  std::string cols, by;
  for (const std::string& c : columns) cols += (cols.empty() ? "" : ", ") + c;
  for (const std::string& g : groups) by += (by.empty() ? "" : ", ") + g;
  // Without groups, one machine has no row when nothing matched: HAVING drops ClickHouse's row.
  *sql = groups.empty() ? fmt::format("SELECT {} FROM {} WHERE {} HAVING count() > 0", cols, table, where)
                        : fmt::format("SELECT {} FROM {} WHERE {} GROUP BY {}", cols, table, where, by);
  return Status::OK();
}

namespace {

Status RootSql(const query::Query& q, Fit fit, std::string* sql) {
  std::string filter;
  uint32_t root = 0;
  // The root's index: Root() is a reference into the node array.
  while (&q.NodeAt(root) != &q.Root()) ++root;
  if (Status s = NodeSql(q, root, fit, &filter); !s.ok()) return s;
  const std::string time = TimeSql(q.TimeBounds());
  *sql = time == "1" ? filter : "(" + time + ") AND " + filter;
  return Status::OK();
}

}  // namespace

Status WhereSql(const query::Query& q, std::string* sql) { return RootSql(q, Fit::kExact, sql); }

std::string SupersetSql(const query::Query& q) {
  std::string sql;
  if (!RootSql(q, Fit::kSuperset, &sql).ok()) return "1";  // only a failure of the server's own kind: read everything
  return sql;
}

}  // namespace kamatama::clickhouse
