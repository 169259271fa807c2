// parsers/toolkit.cc
#include "parsers/toolkit.h"

namespace kamatama::toolkit {

void Out::Add(sv k, sv v) {
  for (auto& p : f) {
    if (p.first == k) {
      p.second.assign(v);
      return;
    }
  }
  f.emplace_back(k, std::string(v));
}

bool Out::Has(sv k) const {
  for (const auto& p : f) {
    if (p.first == k) return true;
  }
  return false;
}

void Out::Commit(Event* ev) const {
  for (const auto& [k, v] : f) ev->Set(k, v);
}

sv Word(sv& s) {
  size_t e = s.find(' ');
  sv w = s.substr(0, e);
  s = e == npos ? sv() : TrimL(s.substr(e + 1));
  return w;
}

std::string Lower(sv s) {
  std::string out(s);
  for (auto& c : out) c = AsciiLower(c);
  return out;
}

namespace {
char HexUpper(char c) { return (c >= 'a' && c <= 'f') ? static_cast<char>(c - 32) : c; }

//! `hex` (an even number of hex digits) as octets joined by '-'.
std::string DashOctets(sv hex) {
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (i) out.push_back('-');
    out.push_back(HexUpper(hex[i]));
    out.push_back(HexUpper(hex[i + 1]));
  }
  return out;
}

//! 12 hex digits with '.' after every 4 ("aabb.ccdd.eeff") or none at all.
std::string PlainOrDottedMac(sv s) {
  std::string hex;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.size() == 14 && (i == 4 || i == 9)) {
      if (s[i] != '.') return "";
      continue;
    }
    if (!IsHex(s[i])) return "";
    hex.push_back(s[i]);
  }
  return hex.size() == 12 ? DashOctets(hex) : "";
}
}  // namespace

std::string NormalizeMac(sv s) {
  if (s.find_first_of(":-") == sv::npos) return PlainOrDottedMac(s);
  if (s.size() < 11 || s.size() > 17) return "";
  std::string hex;
  char sep = 0;
  int groups = 0;
  for (size_t i = 0;; ++i) {
    size_t b = i;
    while (i < s.size() && IsHex(s[i])) ++i;
    if (i - b < 1 || i - b > 2) return "";
    if (i - b == 1) hex.push_back('0');
    hex.append(s.substr(b, i - b));
    ++groups;
    if (i == s.size()) break;
    if (sep == 0) sep = s[i];
    if ((s[i] != ':' && s[i] != '-') || s[i] != sep) return "";
  }
  return groups == 6 ? DashOctets(hex) : "";
}

bool IsIPv4(sv s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t b = i;
    int v = 0;
    while (i < s.size() && IsDigit(s[i]) && i - b < 3) v = v * 10 + (s[i++] - '0');
    if (i == b || v > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool IsIPv6(sv s) {
  if (size_t pct = s.find('%'); pct != npos) s = s.substr(0, pct);
  if (s.size() < 2 || s.size() > 45) return false;
  int colons = 0;
  size_t last_colon = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') {
      ++colons;
      last_colon = i;
    } else if (!IsHex(c) && c != '.') {
      return false;
    }
  }
  if (colons < 2 || colons > 7) return false;
  sv tail = s.substr(last_colon + 1);
  if (tail.find('.') != npos) return IsIPv4(tail);
  return tail.size() <= 4;
}

int MonthFromAbbrev(sv m) {
  static constexpr sv kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (m.size() != 3) return 0;
  for (int i = 0; i < 12; ++i) {
    if (EqualsIgnoreCase(m, kMonths[i])) return i + 1;
  }
  return 0;
}

sv MessageOf(const Event& ev) {
  const std::string* m = ev.Get(field::kMessage);
  return m ? sv(*m) : sv();
}

bool Finish(Event* ev, Out& o, Match match, sv dataset) {
  if (match == Match::kNo) return false;
  if (!o.Has("event.kind")) o.Add("event.kind", "event");
  o.Commit(ev);
  ev->Set(field::kDataset, dataset);
  return true;
}

}  // namespace kamatama::toolkit
