// parsers/generic/fields.cc
#include "parsers/generic/fields.h"

#include "core/time.h"
#include "parsers/toolkit.h"

namespace kamatama::generic {

using namespace toolkit;

namespace {

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '-';
}

sv StripMappedV4(sv ip) {
  if (ip.size() > 7 && (StartsWith(ip, "::ffff:") || StartsWith(ip, "::FFFF:")) && IsIPv4(ip.substr(7)))
    ip.remove_prefix(7);
  return ip;
}

// ---- device times ----

struct Civil {
  int64_t year = -1;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t frac_ns = 0;
  int64_t offset_s = 0;
  int pm = -1;  //!< -1 no am/pm marker, 0 am, 1 pm
};

//! Reads 1..max digits at s[*i].
bool Digits(sv s, size_t* i, size_t min, size_t max, int64_t* out) {
  size_t b = *i;
  int64_t v = 0;
  while (*i < s.size() && *i - b < max && IsDigit(s[*i])) v = v * 10 + (s[(*i)++] - '0');
  if (*i - b < min) return false;
  *out = v;
  return true;
}

bool Zone(sv s, size_t* i, int64_t* offset_s) {
  sv rest = s.substr(*i);
  if (StartsWith(rest, "Z")) {
    *i += 1;
    *offset_s = 0;
    return true;
  }
  if (StartsWith(rest, "UTC") || StartsWith(rest, "GMT")) {
    *i += 3;
    rest = s.substr(*i);
    if (rest.empty() || (rest[0] != '+' && rest[0] != '-')) {
      *offset_s = 0;
      return true;
    }
  }
  if (rest.empty() || (rest[0] != '+' && rest[0] != '-')) return false;
  int sign = rest[0] == '-' ? -1 : 1;
  size_t j = *i + 1;
  int64_t hh = 0, mm = 0;
  if (!Digits(s, &j, 2, 2, &hh)) return false;
  if (j < s.size() && s[j] == ':') ++j;
  if (j < s.size() && IsDigit(s[j]) && !Digits(s, &j, 2, 2, &mm)) return false;
  if (hh > 23 || mm > 59) return false;
  *offset_s = sign * (hh * 3600 + mm * 60);
  *i = j;
  return true;
}

bool Fraction(sv s, size_t* i, int64_t* ns) {
  size_t b = *i;
  int64_t v = 0;
  while (*i < s.size() && IsDigit(s[*i])) {
    if (*i - b < 9) v = v * 10 + (s[*i] - '0');
    ++*i;
  }
  size_t n = *i - b;
  if (n == 0) return false;
  for (size_t k = n; k < 9; ++k) v *= 10;
  *ns = v;
  return true;
}

bool Letters(sv s, size_t* i, sv* out) {
  size_t b = *i;
  while (*i < s.size() && ((s[*i] >= 'a' && s[*i] <= 'z') || (s[*i] >= 'A' && s[*i] <= 'Z'))) ++*i;
  *out = s.substr(b, *i - b);
  return *i > b;
}

//! One pattern letter run (`letter` repeated `n` times) against s[*i].
bool Field(char letter, size_t n, sv s, size_t* i, Civil* c) {
  int64_t v = 0;
  sv word;
  switch (letter) {
    case 'y':
      if (!Digits(s, i, n == 2 ? 2 : 4, n == 2 ? 2 : 4, &v)) return false;
      c->year = n == 2 ? 2000 + v : v;
      return true;
    case 'M':
      if (n >= 3) {
        if (!Letters(s, i, &word) || word.size() < 3) return false;
        c->month = MonthFromAbbrev(word.substr(0, 3));
        return c->month != 0;
      }
      if (!Digits(s, i, 1, 2, &v) || v < 1 || v > 12) return false;
      c->month = static_cast<int>(v);
      return true;
    case 'd': return Digits(s, i, 1, 2, &v) && v >= 1 && v <= 31 && ((c->day = static_cast<int>(v)), true);
    case 'H':
    case 'h': return Digits(s, i, 1, 2, &v) && v <= 23 && ((c->hour = static_cast<int>(v)), true);
    case 'm': return Digits(s, i, 1, 2, &v) && v <= 59 && ((c->minute = static_cast<int>(v)), true);
    case 's': return Digits(s, i, 1, 2, &v) && v <= 60 && ((c->second = static_cast<int>(v)), true);
    case 'S': return Fraction(s, i, &c->frac_ns);
    case 'Z':
    case 'X':
    case 'z': return Zone(s, i, &c->offset_s);
    case 'E': return Letters(s, i, &word);
    case 'a':
      if (!Letters(s, i, &word)) return false;
      if (EqualsIgnoreCase(word, "am")) c->pm = 0;
      else if (EqualsIgnoreCase(word, "pm")) c->pm = 1;
      else return false;
      return true;
    default: return false;
  }
}

//! Matches the whole of `s` against a Java SimpleDateFormat pattern.
bool MatchPattern(sv s, sv fmt, Civil* c) {
  size_t i = 0, f = 0;
  while (f < fmt.size()) {
    char p = fmt[f];
    if ((p >= 'a' && p <= 'z') || (p >= 'A' && p <= 'Z')) {
      size_t n = 1;
      while (f + n < fmt.size() && fmt[f + n] == p) ++n;
      if (!Field(p, n, s, &i, c)) return false;
      f += n;
    } else if (p == '\'') {
      size_t e = fmt.find('\'', f + 1);
      if (e == npos) return false;
      sv lit = fmt.substr(f + 1, e - f - 1);
      if (s.substr(i, lit.size()) != lit) return false;
      i += lit.size();
      f = e + 1;
    } else if (p == ' ') {
      if (i >= s.size() || s[i] != ' ') return false;
      while (i < s.size() && s[i] == ' ') ++i;
      ++f;
    } else {
      if (i >= s.size() || s[i] != p) return false;
      ++i;
      ++f;
    }
  }
  return i == s.size();
}

std::optional<int64_t> FromCivil(const Civil& c, int64_t reference_ns) {
  int64_t year = c.year;
  if (year < 0) year = CivilFromDays(DayOf(reference_ns)).year;
  if (year < 1970 || year > 9999) return std::nullopt;
  int hour = c.hour;
  if (c.pm == 1 && hour < 12) hour += 12;
  if (c.pm == 0 && hour == 12) hour = 0;
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day));
  int64_t secs = days * 86'400 + hour * 3600 + c.minute * 60 + c.second - c.offset_s;
  return secs * kNanosPerSecond + c.frac_ns;
}

bool SetOutcome(Event* ev, sv value) {
  std::string v = Lower(Trim(value));
  if (v == "success" || v == "succeeded" || v == "successful" || v == "allowed" || v == "ok" || v == "pass")
    v = "success";
  else if (v == "failure" || v == "failed" || v == "fail" || v == "denied" || v == "blocked" || v == "error")
    v = "failure";
  else if (v.empty())
    return false;
  else
    v = "unknown";
  ev->Set("event.outcome", v);
  return true;
}

std::optional<int64_t> Epoch(sv s) {
  size_t dot = s.find('.');
  sv whole = s.substr(0, dot);
  if (!IsDigits(whole) || (dot != npos && !IsDigits(s.substr(dot + 1)))) return std::nullopt;
  int64_t v = 0;
  for (char c : whole) v = v * 10 + (c - '0');
  if (whole.size() <= 10) return v * kNanosPerSecond;  // seconds
  if (whole.size() <= 13) return v * 1'000'000;        // milliseconds
  if (whole.size() <= 16) return v * 1'000;            // microseconds
  if (whole.size() <= 19) return v;                    // nanoseconds
  return std::nullopt;
}

}  // namespace

namespace {

//! Byte i of a key as it is written in a field name.
char NameByte(sv key, size_t i) {
  char c = key[i];
  bool inner_dot = c == '.' && i > 0 && i + 1 < key.size() && key[i - 1] != '.';
  return IsNameByte(c) || inner_dot ? c : '_';
}

}  // namespace

std::string PrefixedName(sv prefix, sv key) {
  if (key.empty() || key.size() > kMaxKeyLength) return {};
  std::string out(prefix);
  for (size_t i = 0; i < key.size(); ++i) out.push_back(NameByte(key, i));
  return out;
}

bool KeyNamed(sv key, sv name) {
  if (key.empty() || key.size() > kMaxKeyLength || key.size() != name.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (NameByte(key, i) != name[i]) return false;
  }
  return true;
}

PrefixWriter::PrefixWriter(Event* ev, std::string prefix, Repeat repeat)
    : ev_(ev), prefix_(std::move(prefix)), repeat_(repeat) {
  for (const auto& [name, value] : ev->fields) {
    if (StartsWith(name, prefix_)) had_prefix_ = true;
  }
}

bool PrefixWriter::Seen(sv name) const {
  for (const auto& s : seen_) {
    if (s.size() == name.size() && s == name) return true;
  }
  return false;
}

void PrefixWriter::Put(sv key, sv value) {
  std::string name = PrefixedName(prefix_, key);
  if (name.empty()) return;
  if (Seen(name)) {
    if (repeat_ == Repeat::kReplace) {
      ev_->Set(name, value);
      return;
    }
    const size_t base = name.size();
    for (int n = 2; Seen(name); ++n) {
      name.resize(base);
      name += "_" + std::to_string(n);
    }
  }
  seen_.push_back(name);
  if (had_prefix_) ev_->Set(name, value);
  else ev_->Add(name, value);
}

std::string LabelName(sv label) {
  std::string out;
  for (char c : Trim(label)) {
    if (IsNameByte(c)) {
      out.push_back(AsciiLower(c));
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
    if (out.size() >= kMaxKeyLength) break;
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

bool SetIp(Event* ev, sv name, sv value) {
  value = StripMappedV4(Trim(value));
  if (!IsIp(value)) return false;
  ev->Set(name, value);
  return true;
}

bool SetPort(Event* ev, sv name, sv value) {
  value = Trim(value);
  if (!IsPort(value)) return false;
  int v = 0;
  for (char c : value) v = v * 10 + (c - '0');
  if (v > 65535) return false;
  ev->Set(name, value);
  return true;
}

bool SetCount(Event* ev, sv name, sv value) {
  value = Trim(value);
  if (!IsDigits(value) || value.size() > 18) return false;
  ev->Set(name, value);
  return true;
}

bool SetTransport(Event* ev, sv value) {
  value = Trim(value);
  sv name;
  if (value == "6") name = "tcp";
  else if (value == "17") name = "udp";
  else if (value == "1") name = "icmp";
  else if (value == "58") name = "ipv6-icmp";
  else if (value == "47") name = "gre";
  else if (value == "50") name = "esp";
  if (!name.empty()) {
    ev->Set("network.transport", name);
    return true;
  }
  static constexpr sv kNames[] = {"tcp", "udp", "icmp", "icmpv6", "ipv6-icmp", "gre", "esp", "ah", "sctp", "igmp"};
  std::string lower = Lower(value);
  for (sv n : kNames) {
    if (lower == n) {
      ev->Set("network.transport", n);
      return true;
    }
  }
  return false;
}

bool SetMac(Event* ev, sv name, sv value) {
  std::string mac = NormalizeMac(Trim(value));
  if (mac.empty()) return false;
  ev->Set(name, mac);
  return true;
}

bool SetHash(Event* ev, sv base, sv value) {
  value = Trim(value);
  for (char c : value) {
    if (!IsHex(c)) return false;
  }
  sv kind;
  switch (value.size()) {
    case 32: kind = ".md5"; break;
    case 40: kind = ".sha1"; break;
    case 64: kind = ".sha256"; break;
    case 128: kind = ".sha512"; break;
    default: return false;
  }
  std::string name(base);
  name.append(kind);
  ev->Set(name, Lower(value));
  return true;
}

bool SetText(Event* ev, sv name, sv value) {
  value = Trim(value);
  if (value.empty()) return false;
  ev->Set(name, value);
  return true;
}

bool ApplyRule(Event* ev, const KeyRule& rule, sv value, sv time_format) {
  switch (rule.kind) {
    case Kind::kText: return SetText(ev, rule.ecs, value);
    case Kind::kLower: return !Trim(value).empty() && (ev->Set(rule.ecs, Lower(Trim(value))), true);
    case Kind::kIp: return SetIp(ev, rule.ecs, value);
    case Kind::kPort: return SetPort(ev, rule.ecs, value);
    case Kind::kCount: return SetCount(ev, rule.ecs, value);
    case Kind::kTransport: return SetTransport(ev, value);
    case Kind::kMac: return SetMac(ev, rule.ecs, value);
    case Kind::kHash: return SetHash(ev, rule.ecs, value);
    case Kind::kOutcome: return SetOutcome(ev, value);
    case Kind::kTime:
    case Kind::kTimestamp: {
      auto ns = ParseDeviceTime(value, time_format, ev->timestamp_ns);
      if (!ns) return false;
      if (rule.kind == Kind::kTimestamp) ev->timestamp_ns = *ns;
      else ev->Set(rule.ecs, FormatRfc3339(*ns));
      return true;
    }
  }
  return false;
}

size_t FindFormatMarker(sv message, sv marker) {
  sv head = message.substr(0, 512);
  for (size_t at = 0; at < head.size(); ++at) {
    at = head.find(marker, at);
    if (at == npos) return npos;
    if ((at == 0 || head[at - 1] == ' ') && at + marker.size() < message.size() &&
        IsDigit(message[at + marker.size()]))
      return at;
  }
  return npos;
}

std::optional<int64_t> ParseDeviceTime(sv text, sv java_format, int64_t reference_ns) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  Civil c;
  if (!java_format.empty()) {
    if (MatchPattern(text, Trim(java_format), &c)) return FromCivil(c, reference_ns);
    return std::nullopt;
  }
  if (IsDigit(text[0])) {
    if (auto e = Epoch(text)) return e;
    return ParseRfc3339(text);
  }
  static constexpr sv kDefaults[] = {
      "MMM dd yyyy HH:mm:ss.SSS zzz", "MMM dd yyyy HH:mm:ss.SSS", "MMM dd yyyy HH:mm:ss zzz",
      "MMM dd yyyy HH:mm:ss",         "MMM dd HH:mm:ss.SSS zzz",  "MMM dd HH:mm:ss.SSS",
      "MMM dd HH:mm:ss zzz",          "MMM dd HH:mm:ss"};
  for (sv fmt : kDefaults) {
    c = Civil{};
    if (MatchPattern(text, fmt, &c)) return FromCivil(c, reference_ns);
  }
  return std::nullopt;
}

}  // namespace kamatama::generic
