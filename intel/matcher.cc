// intel/matcher.cc
#include "intel/matcher.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <unordered_map>

#include "core/time.h"
#include "core/tokenize.h"
#include "query/ast.h"

namespace kamatama::intel {

namespace {

constexpr uint32_t kEmpty = UINT32_MAX;
//! Most token hashes a block must hold for one indicator (the longest tokens: the rarest).
constexpr size_t kMaxPruneHashesPerIndicator = 4;

struct FieldName {
  const char* name;
  FieldClass cls;
};

constexpr FieldName kFields[] = {
    {"source.ip", FieldClass::kIp},
    {"destination.ip", FieldClass::kIp},
    {"client.ip", FieldClass::kIp},
    {"server.ip", FieldClass::kIp},
    {"source.nat.ip", FieldClass::kIp},
    {"destination.nat.ip", FieldClass::kIp},
    {"related.ip", FieldClass::kIp},
    {"dns.question.name", FieldClass::kDomain},
    {"url.domain", FieldClass::kDomain},
    {"source.domain", FieldClass::kDomain},
    {"destination.domain", FieldClass::kDomain},
    {"client.domain", FieldClass::kDomain},
    {"server.domain", FieldClass::kDomain},
    {"related.hosts", FieldClass::kDomain},
    {"url.original", FieldClass::kUrl},
    {"url.full", FieldClass::kUrl},
    {"file.hash.md5", FieldClass::kHash},
    {"file.hash.sha1", FieldClass::kHash},
    {"file.hash.sha256", FieldClass::kHash},
    {"process.hash.md5", FieldClass::kHash},
    {"process.hash.sha1", FieldClass::kHash},
    {"process.hash.sha256", FieldClass::kHash},
    {"process.parent.hash.md5", FieldClass::kHash},
    {"process.parent.hash.sha1", FieldClass::kHash},
    {"process.parent.hash.sha256", FieldClass::kHash},
    {"related.hash", FieldClass::kHash},
    {"email.from.address", FieldClass::kEmail},
    {"email.to.address", FieldClass::kEmail},
    {"email.sender.address", FieldClass::kEmail},
    {"email.reply_to.address", FieldClass::kEmail},
    {"user.email", FieldClass::kEmail},
    {"source.user.email", FieldClass::kEmail},
    {"destination.user.email", FieldClass::kEmail},
};

//! A quick "certainly not a matched field" by (length, last byte) before the map is asked: most
//! fields of an event (host.name, event.action, message ...) stop here.
struct FieldTable {
  std::unordered_map<std::string_view, FieldClass> by_name;
  bool maybe[64][128] = {};
  FieldTable() {
    for (const FieldName& f : kFields) {
      std::string_view n = f.name;
      by_name.emplace(n, f.cls);
      maybe[n.size()][static_cast<unsigned char>(n.back())] = true;
    }
  }
};

const FieldTable& Fields() {
  static const FieldTable table;
  return table;
}

uint64_t Mix(uint64_t x) {  // the murmur3 finaliser
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t IpKey(const uint8_t* bytes, uint8_t size, uint8_t len) {
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, bytes, 8);
  std::memcpy(&lo, bytes + 8, 8);
  return Mix(lo ^ Mix(hi ^ (static_cast<uint64_t>(len) << 8 | size)));
}

void Mask(uint8_t* bytes, int size, int len) {
  for (int b = len; b < size * 8; ++b) bytes[b / 8] &= static_cast<uint8_t>(~(0x80u >> (b % 8)));
}

bool IsHashType(IndicatorType t) {
  return t == IndicatorType::kMd5 || t == IndicatorType::kSha1 || t == IndicatorType::kSha256;
}

//! A URL as a field holds it against a stored one: scheme and host ignoring case, the rest exact.
bool UrlEquals(std::string_view stored, std::string_view v) {
  if (stored.size() != v.size()) return false;
  const size_t scheme = v.find("://");
  const size_t host_end = scheme == std::string_view::npos ? 0 : v.find_first_of("/?#", scheme + 3);
  const size_t split = host_end == std::string_view::npos ? v.size() : host_end;
  return EqualsIgnoreCase(stored.substr(0, split), v.substr(0, split)) && stored.substr(split) == v.substr(split);
}

std::string_view TrimDot(std::string_view v) {
  if (!v.empty() && v.back() == '.') v.remove_suffix(1);
  return v;
}

}  // namespace

FieldClass ClassifyField(std::string_view name) {
  const FieldTable& t = Fields();
  if (name.empty() || name.size() >= 64 || static_cast<unsigned char>(name.back()) >= 128 ||
      !t.maybe[name.size()][static_cast<unsigned char>(name.back())])
    return FieldClass::kNone;
  auto it = t.by_name.find(name);
  return it == t.by_name.end() ? FieldClass::kNone : it->second;
}

const std::vector<std::string>& MatchedFields() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const FieldName& f : kFields) v.emplace_back(f.name);
    return v;
  }();
  return names;
}

ListMatcher::ListMatcher(std::shared_ptr<const std::vector<Indicator>> indicators) : indicators_(std::move(indicators)) {
  size_t ips = 0;
  for (const Indicator& ind : *indicators_) ips += ind.type == IndicatorType::kIp || ind.type == IndicatorType::kCidr;
  auto capacity = [](size_t n) {
    size_t c = 16;
    while (c < 2 * n) c <<= 1;
    return c;
  };
  ip_table_.resize(capacity(ips));
  text_table_.resize(capacity(indicators_->size() - ips));
  ip_entries_.reserve(ips);
  for (uint32_t i = 0; i < indicators_->size(); ++i) Index(i);
  auto longest_first = [](std::vector<uint8_t>* lens) {
    std::sort(lens->begin(), lens->end(), std::greater<>());
    lens->erase(std::unique(lens->begin(), lens->end()), lens->end());
  };
  longest_first(&v4_lens_);
  longest_first(&v6_lens_);
  BuildPruning();
}

void ListMatcher::Insert(std::vector<Slot>* table, uint64_t key, uint32_t entry) {
  const size_t mask = table->size() - 1;
  for (size_t i = key & mask;; i = (i + 1) & mask) {
    if ((*table)[i].entry == kEmpty) {
      (*table)[i] = Slot{key, entry};
      return;
    }
  }
}

void ListMatcher::Index(uint32_t i) {
  const Indicator& ind = (*indicators_)[i];
  if (ind.type == IndicatorType::kIp || ind.type == IndicatorType::kCidr) return IndexIp(i);
  if (FindText(ind.value, ind.type, false, 0) >= 0) {
    ++duplicates_;
    return;
  }
  Insert(&text_table_, HashTokenLower(ind.value), i);
}

void ListMatcher::IndexIp(uint32_t i) {
  const Indicator& ind = (*indicators_)[i];
  const size_t slash = ind.value.find('/');
  IpEntry e;
  query::IpAddress ip;
  if (!query::ParseIpAddress(std::string_view(ind.value).substr(0, slash), &ip)) return;  // checked at import
  std::memcpy(e.bytes, ip.bytes, 16);
  e.size = ip.size;
  e.len = static_cast<uint8_t>(slash == std::string::npos ? ip.size * 8 : std::stoi(ind.value.substr(slash + 1)));
  e.indicator = i;
  const uint64_t key = IpKey(e.bytes, e.size, e.len);
  const size_t mask = ip_table_.size() - 1;
  for (size_t s = key & mask; ip_table_[s].entry != kEmpty; s = (s + 1) & mask) {
    const IpEntry& o = ip_entries_[ip_table_[s].entry];
    if (ip_table_[s].key == key && o.size == e.size && o.len == e.len && std::memcmp(o.bytes, e.bytes, 16) == 0) {
      ++duplicates_;
      return;
    }
  }
  ip_entries_.push_back(e);
  Insert(&ip_table_, key, static_cast<uint32_t>(ip_entries_.size() - 1));
  (e.size == 4 ? v4_lens_ : v6_lens_).push_back(e.len);
}

void ListMatcher::BuildPruning() {
  if (indicators_->size() > kMaxPruneIndicators) return;
  std::vector<std::string_view> tokens;
  prune_offsets_.push_back(0);
  for (const Indicator& ind : *indicators_) {
    tokens.clear();
    const bool v6 = ind.value.find(':') != std::string::npos;
    if ((ind.type == IndicatorType::kIp || ind.type == IndicatorType::kCidr) && v6) {
      // IPv6 text has many spellings (2001:DB8::1, 2001:db8:0::1): no token is certain.
      prune_offsets_.clear();
      prune_hashes_.clear();
      return;
    }
    if (ind.type == IndicatorType::kCidr) {
      // The octets the prefix covers are words of every address inside it.
      const int len = std::stoi(ind.value.substr(ind.value.find('/') + 1));
      std::string_view rest = ind.value;
      for (int octet = 0; octet < len / 8; ++octet) {
        const size_t dot = rest.find('.');
        tokens.push_back(rest.substr(0, dot));
        rest = rest.substr(dot + 1);
      }
    } else {
      // A value equal to the indicator has all of its tokens; a name under a domain only the
      // domain's words (the compound www.evil.example is not evil.example).
      const bool words_only = ind.type == IndicatorType::kDomain;
      ForEachToken(ind.value, [&](std::string_view tok) {
        if (words_only && tok.find_first_of(".-") != std::string_view::npos) return;
        tokens.push_back(tok);
      });
    }
    std::stable_sort(tokens.begin(), tokens.end(), [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    for (size_t t = 0; t < tokens.size() && t < kMaxPruneHashesPerIndicator; ++t) prune_hashes_.push_back(HashTokenLower(tokens[t]));
    prune_offsets_.push_back(static_cast<uint32_t>(prune_hashes_.size()));
  }
}

bool ListMatcher::MayMatch(const TokenFilter& has_hash) const {
  if (prune_offsets_.empty()) return true;
  for (size_t i = 0; i + 1 < prune_offsets_.size(); ++i) {
    bool all = true;
    for (uint32_t h = prune_offsets_[i]; h < prune_offsets_[i + 1] && all; ++h) all = has_hash(prune_hashes_[h]);
    if (all) return true;
  }
  return false;
}

int64_t ListMatcher::FindIp(std::string_view value, int64_t now_ns) const {
  if (ip_entries_.empty()) return -1;
  query::IpAddress ip;
  if (!query::ParseIpAddress(value, &ip)) return -1;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (ip.size == 16 && std::memcmp(ip.bytes, kMapped, 12) == 0) {  // ::ffff:a.b.c.d is a.b.c.d
    std::memmove(ip.bytes, ip.bytes + 12, 4);
    std::memset(ip.bytes + 4, 0, 12);
    ip.size = 4;
  }
  const size_t mask = ip_table_.size() - 1;
  for (uint8_t len : ip.size == 4 ? v4_lens_ : v6_lens_) {
    uint8_t bytes[16];
    std::memcpy(bytes, ip.bytes, 16);
    Mask(bytes, ip.size, len);
    const uint64_t key = IpKey(bytes, ip.size, len);
    for (size_t s = key & mask; ip_table_[s].entry != kEmpty; s = (s + 1) & mask) {
      if (ip_table_[s].key != key) continue;
      const IpEntry& e = ip_entries_[ip_table_[s].entry];
      if (e.size != ip.size || e.len != len || std::memcmp(e.bytes, bytes, 16) != 0) continue;
      if (!(*indicators_)[e.indicator].Expired(now_ns)) return e.indicator;
    }
  }
  return -1;
}

int64_t ListMatcher::FindText(std::string_view value, IndicatorType want, bool any_text, int64_t now_ns) const {
  if (text_table_.empty()) return -1;
  const uint64_t key = HashTokenLower(value);
  const size_t mask = text_table_.size() - 1;
  for (size_t s = key & mask; text_table_[s].entry != kEmpty; s = (s + 1) & mask) {
    if (text_table_[s].key != key) continue;
    const Indicator& ind = (*indicators_)[text_table_[s].entry];
    const bool type_ok = any_text || ind.type == want || (IsHashType(want) && IsHashType(ind.type));
    if (!type_ok) continue;
    const bool equal = ind.type == IndicatorType::kUrl ? UrlEquals(ind.value, value) : EqualsIgnoreCase(ind.value, value);
    if (equal && !ind.Expired(now_ns)) return text_table_[s].entry;
  }
  return -1;
}

int64_t ListMatcher::FindDomain(std::string_view value, int64_t now_ns) const {
  std::string_view name = TrimDot(value);
  while (name.find('.') != std::string_view::npos) {  // a domain indicator has two labels or more
    if (int64_t i = FindText(name, IndicatorType::kDomain, false, now_ns); i >= 0) return i;
    name.remove_prefix(name.find('.') + 1);
  }
  return -1;
}

int64_t ListMatcher::Find(FieldClass cls, std::string_view value, int64_t now_ns) const {
  switch (cls) {
    case FieldClass::kNone: return -1;
    case FieldClass::kIp: return FindIp(value, now_ns);
    case FieldClass::kDomain: return FindDomain(value, now_ns);
    case FieldClass::kUrl: return FindText(value, IndicatorType::kUrl, false, now_ns);
    case FieldClass::kHash: return FindText(value, IndicatorType::kSha256, false, now_ns);
    case FieldClass::kEmail: {
      if (value.size() > 2 && value.front() == '<' && value.back() == '>') value = value.substr(1, value.size() - 2);
      return FindText(value, IndicatorType::kEmail, false, now_ns);
    }
  }
  return -1;
}

bool ListMatcher::Contains(std::string_view value) const {
  const int64_t now = NowNanos();
  if (FindIp(value, now) >= 0 || FindText(value, IndicatorType::kDomain, true, now) >= 0) return true;
  return FindDomain(value, now) >= 0;
}

bool ListMatcher::GetContents(Contents* out) const {
  const int64_t now = NowNanos();
  for (const IpEntry& e : ip_entries_) {
    if ((*indicators_)[e.indicator].Expired(now)) continue;
    Contents::Network n;
    std::memcpy(n.ip.bytes, e.bytes, 16);
    n.ip.size = e.size;
    n.prefix_len = e.len;
    out->networks.push_back(n);
  }
  for (const Slot& slot : text_table_) {
    if (slot.entry == kEmpty) continue;
    const Indicator& ind = (*indicators_)[slot.entry];
    if (ind.Expired(now)) continue;
    std::string v = ind.value;
    if (ind.type == IndicatorType::kUrl) {
      // Lower-case up to where UrlEquals starts comparing exactly.
      const size_t scheme = v.find("://");
      const size_t host_end = scheme == std::string::npos ? 0 : v.find_first_of("/?#", scheme + 3);
      const size_t split = host_end == std::string::npos ? v.size() : host_end;
      for (size_t i = 0; i < split; ++i) v[i] = AsciiLower(v[i]);
      out->urls.push_back(std::move(v));
      continue;
    }
    for (char& c : v) c = AsciiLower(c);
    if (ind.type == IndicatorType::kDomain) out->domains.push_back(v);
    out->texts.push_back(std::move(v));
  }
  return true;
}

void ListMatcher::MatchEvent(const Event& ev, int64_t now_ns, std::vector<Hit>* hits) const {
  for (const auto& [name, value] : ev.fields) {
    const FieldClass cls = ClassifyField(name);
    if (cls == FieldClass::kNone) continue;
    if (int64_t i = Find(cls, value, now_ns); i >= 0) hits->push_back(Hit{static_cast<uint32_t>(i), name, value});
  }
}

void ListMatcher::MatchRow(const FieldAccessor& row, int64_t now_ns, std::vector<Hit>* hits) const {
  std::string_view value;
  for (const FieldName& f : kFields) {
    if (!row.Get(f.name, &value)) continue;
    if (int64_t i = Find(f.cls, value, now_ns); i >= 0)
      hits->push_back(Hit{static_cast<uint32_t>(i), f.name, std::string(value)});
  }
}

}  // namespace kamatama::intel
