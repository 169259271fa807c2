// query/builder.cc
//! QueryBuilder: node construction mirroring parser.cc's (same precomputation through
//! query/internal.h).
#include "query/builder.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "core/event.h"
#include "core/tokenize.h"
#include "query/internal.h"

namespace kamatama::query {

namespace {

void AddHashOnce(uint64_t h, std::vector<uint64_t>* hashes) {
  if (std::find(hashes->begin(), hashes->end(), h) == hashes->end()) hashes->push_back(h);
}

}  // namespace

uint32_t QueryBuilder::Add(Node node) {
  nodes_.push_back(std::move(node));
  return static_cast<uint32_t>(nodes_.size() - 1);
}

uint32_t QueryBuilder::MatchAll() { return Add(Node{}); }

uint32_t QueryBuilder::MatchNone() { return Not(MatchAll()); }

uint32_t QueryBuilder::Not(uint32_t kid) {
  Node node;
  node.kind = NodeKind::kNot;
  node.children.push_back(kid);
  return Add(std::move(node));
}

uint32_t QueryBuilder::And(std::vector<uint32_t> kids) {
  auto is_all = [&](uint32_t k) { return nodes_[k].kind == NodeKind::kMatchAll; };
  kids.erase(std::remove_if(kids.begin(), kids.end(), is_all), kids.end());
  if (kids.empty()) return MatchAll();
  if (kids.size() == 1) return kids.front();
  Node node;
  node.kind = NodeKind::kAnd;
  node.children = std::move(kids);
  return Add(std::move(node));
}

uint32_t QueryBuilder::Or(std::vector<uint32_t> kids) {
  if (kids.empty()) return MatchNone();
  for (uint32_t k : kids) {
    if (nodes_[k].kind == NodeKind::kMatchAll) return k;
  }
  if (kids.size() == 1) return kids.front();
  Node node;
  node.kind = NodeKind::kOr;
  node.children = std::move(kids);
  return Add(std::move(node));
}

uint32_t QueryBuilder::Equals(std::string_view field, std::string_view value) {
  Node node;
  node.kind = NodeKind::kFieldEquals;
  node.field = std::string(field);
  node.text = std::string(value);
  node.timestamp_field = field == field::kTimestamp;
  internal::AddBoundedTokenHashes(value, false, false, &node.required_hashes);
  if (TypeOfField(field) == FieldType::kIp && ParseIpAddress(value, &node.ip)) {
    node.ip_equals = true;
    if (node.ip.size == 16) node.required_hashes.clear();
  }
  return Add(std::move(node));
}

uint32_t QueryBuilder::Glob(std::string_view field, std::string_view pattern) {
  if (pattern.find('*') == std::string_view::npos) return Equals(field, pattern);
  Node node;
  node.kind = NodeKind::kFieldGlob;
  node.field = std::string(field);
  node.text = std::string(pattern);
  node.timestamp_field = field == field::kTimestamp;
  std::vector<std::string_view> parts = internal::SplitStars(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    internal::AddBoundedTokenHashes(parts[i], i > 0, i + 1 < parts.size(), &node.required_hashes);
  }
  node.segments = internal::GlobSegments(pattern);
  return Add(std::move(node));
}

uint32_t QueryBuilder::Exists(std::string_view field) {
  Node node;
  node.kind = NodeKind::kFieldExists;
  node.field = std::string(field);
  node.timestamp_field = field == field::kTimestamp;
  return Add(std::move(node));
}

uint32_t QueryBuilder::IntCompare(std::string_view field, std::string_view op, int64_t bound) {
  Node node;
  node.kind = NodeKind::kRange;
  node.field = std::string(field);
  node.timestamp_field = field == field::kTimestamp;
  node.range_type = RangeType::kInt;
  RangeBound b;
  b.unbounded = false;
  b.inclusive = op == "<=" || op == ">=";
  b.number = bound;
  b.text = std::to_string(bound);
  (op[0] == '<' ? node.upper : node.lower) = std::move(b);
  return Add(std::move(node));
}

uint32_t QueryBuilder::InList(std::string_view field, std::string_view name, std::shared_ptr<const ValueList> list) {
  Node node;
  node.kind = NodeKind::kInList;
  node.field = std::string(field);
  node.text = std::string(name);
  node.timestamp_field = field == field::kTimestamp;
  node.list = std::move(list);
  return Add(std::move(node));
}

uint32_t QueryBuilder::Regex(std::string_view field, std::string_view pattern, bool partial,
                             std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kRegexMaxMem);
  std::string text(pattern);
  auto re = std::make_shared<const RE2>(text, options);
  if (!re->ok()) {
    if (error) {
      *error = re->error_code() == RE2::ErrorPatternTooLarge ? "regular expression is too large"
                                                             : "RE2 rejects the regular expression: " + re->error();
    }
    return kInvalid;
  }
  Node node;
  node.kind = NodeKind::kRegex;
  node.field = std::string(field);
  node.timestamp_field = field == field::kTimestamp;
  node.regex_partial = partial && !field.empty();
  internal::SetRegexPrefilter(&node, text, options);
  node.text = std::move(text);
  node.regex = std::move(re);
  return Add(std::move(node));
}

uint32_t QueryBuilder::Cidr(std::string_view field, std::string_view cidr, std::string* error) {
  const size_t slash = cidr.find('/');
  IpAddress ip;
  int len = -1;
  if (slash != std::string_view::npos && ParseIpAddress(cidr.substr(0, slash), &ip)) {
    std::string_view len_text = cidr.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
    if (ec != std::errc() || ptr != len_text.data() + len_text.size() || len < 0 || len > ip.size * 8) len = -1;
  } else if (slash == std::string_view::npos && ParseIpAddress(cidr, &ip)) {
    len = ip.size * 8;
  }
  if (len < 0) {
    if (error) *error = "bad CIDR '" + std::string(cidr) + "'";
    return kInvalid;
  }
  Node node;
  node.kind = NodeKind::kCidr;
  node.field = std::string(field);
  node.text = std::string(cidr);
  node.timestamp_field = field == field::kTimestamp;
  node.prefix_len = len;
  for (int b = 0; b < ip.size; ++b) {
    const int keep = std::clamp(len - 8 * b, 0, 8);
    ip.bytes[b] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  node.ip = ip;
  if (ip.size == 4) {
    for (int b = 0; b < len / 8 && b < 4; ++b) AddHashOnce(HashTokenLower(std::to_string(ip.bytes[b])), &node.required_hashes);
  }
  return Add(std::move(node));
}

uint32_t QueryBuilder::FieldRef(std::string_view field, std::string_view other) {
  Node node;
  node.kind = NodeKind::kFieldRef;
  node.field = std::string(field);
  node.text = std::string(other);
  return Add(std::move(node));
}

Query QueryBuilder::Build(uint32_t root) {
  Query query;
  query.nodes_ = std::move(nodes_);
  nodes_.clear();
  query.root_ = root;
  query.referenced_fields_ = internal::CollectFields(query.nodes_, root);
  query.required_text_ = internal::CollectRequiredText(query.nodes_, root);
  internal::OrderForMatching(&query.nodes_, root);
  return query;
}

}  // namespace kamatama::query
