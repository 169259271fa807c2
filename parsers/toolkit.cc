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
