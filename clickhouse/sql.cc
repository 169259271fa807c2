// clickhouse/sql.cc
#include "clickhouse/sql.h"

#include <re2/re2.h>

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
      if (size != 4) return Status::InvalidArgument("IPv6 ranges are not translated to ClickHouse SQL yet");
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
  if (n.ip.size != 4) return Status::InvalidArgument("IPv6 CIDR is not translated to ClickHouse SQL yet");
  const FieldSql f = Field(n.field);
  const uint32_t mask = n.prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - n.prefix_len);
  *out = fmt::format("({} AND {} AND bitAnd(IPv4StringToNum({}), {}) = {})", f.present, IsIpv4(f.value), f.value, mask,
                     Ipv4Number(n.ip) & mask);
  return Status::OK();
}

Status NodeSql(const query::Query& q, uint32_t index, std::string* out);

Status ListSql(const query::Query& q, const Node& n, const char* op, std::string* out) {
  std::string joined;
  for (uint32_t kid : n.children) {
    std::string part;
    if (Status s = NodeSql(q, kid, &part); !s.ok()) return s;
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

Status NodeSql(const query::Query& q, uint32_t index, std::string* out) {
  const Node& n = q.NodeAt(index);
  switch (n.kind) {
    case NodeKind::kMatchAll:
      *out = "1";
      return Status::OK();
    case NodeKind::kAnd:
      return ListSql(q, n, " AND ", out);
    case NodeKind::kOr:
      return ListSql(q, n, " OR ", out);
    case NodeKind::kNot: {
      std::string inner;
      if (Status s = NodeSql(q, n.children[0], &inner); !s.ok()) return s;
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
      return Status::InvalidArgument("lists (field:@name) are not translated to ClickHouse SQL yet");
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

Status StatsSql(const query::Stage& st, const std::string& where, const std::string& table, std::string* sql) {
  if (st.kind != query::StageKind::kStats || st.by.empty())
    return Status::InvalidArgument("only `stats ... by FIELD` is pushed down to ClickHouse yet");
  std::vector<std::string> columns, groups;
  for (size_t i = 0; i < st.by.size(); ++i) {
    columns.push_back(Field(st.by[i]).value + fmt::format(" AS g{}", i));
    groups.push_back(fmt::format("g{}", i));
  }
  for (const query::Agg& a : st.aggs) {
    const FieldSql f = Field(a.field);
    if (a.fn == query::AggFn::kCount) {
      columns.push_back(a.field.empty() ? "count()" : fmt::format("countIf({})", f.present));
    } else if (a.fn == query::AggFn::kDistinctCount) {
      columns.push_back(fmt::format("uniqExactIf({}, {})", f.value, f.present));
    } else {
      return Status::InvalidArgument(a.name + " is not pushed down to ClickHouse yet");
    }
  }
  std::string cols, by;
  for (const std::string& c : columns) cols += (cols.empty() ? "" : ", ") + c;
  for (const std::string& g : groups) by += (by.empty() ? "" : ", ") + g;
  *sql = fmt::format("SELECT {} FROM {} WHERE {} GROUP BY {}", cols, table, where, by);
  return Status::OK();
}

Status WhereSql(const query::Query& q, std::string* sql) {
  std::string filter;
  uint32_t root = 0;
  // The root's index: Root() is a reference into the node array.
  while (&q.NodeAt(root) != &q.Root()) ++root;
  if (Status s = NodeSql(q, root, &filter); !s.ok()) return s;
  const std::string time = TimeSql(q.TimeBounds());
  *sql = time == "1" ? filter : "(" + time + ") AND " + filter;
  return Status::OK();
}

}  // namespace kamatama::clickhouse
