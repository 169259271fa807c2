// parsers/mail_dns_scan.h
//! Small scanning helpers shared by the mail and DNS parsers (internal). Everything works on
//! string_views and never reads outside them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"
#include "core/time.h"
#include "parsers/toolkit.h"

namespace kamatama::scan {

using toolkit::IsDigit;
using toolkit::IsHex;
inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
inline bool IsHostChar(char c) { return IsAlnum(c) || c == '.' || c == '-' || c == '_'; }

using toolkit::StartsWith;
inline bool Consume(std::string_view* s, std::string_view p) {
  if (!StartsWith(*s, p)) return false;
  s->remove_prefix(p.size());
  return true;
}
inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}
inline bool AllDigits(std::string_view s) { return toolkit::IsDigits(s); }
//! Leading run of characters accepted by pred.
template <class P>
inline std::string_view Span(std::string_view s, P pred) {
  size_t i = 0;
  while (i < s.size() && pred(s[i])) ++i;
  return s.substr(0, i);
}
//! The text up to the first `stop` (or all of it).
inline std::string_view Until(std::string_view s, char stop) {
  size_t p = s.find(stop);
  return p == std::string_view::npos ? s : s.substr(0, p);
}

inline bool IsIpv4(std::string_view s) { return toolkit::IsIPv4(s); }
inline bool IsIpv6(std::string_view s) {
  if (s.size() < 2 || s.size() > 45 || s.find(':') == std::string_view::npos) return false;
  size_t colons = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') ++colons;
    else if (c == '.') {
      // embedded IPv4 tail
      size_t last = s.rfind(':');
      return colons >= 2 && last != std::string_view::npos && last < i && IsIpv4(s.substr(last + 1));
    } else if (!IsHex(c)) return false;
  }
  return colons >= 2 && colons <= 7;
}
inline bool IsIp(std::string_view s) { return IsIpv4(s) || IsIpv6(s); }

//! "host[ip]:port" / "[ip]" as MTAs write a peer.
struct Peer {
  std::string_view host, ip, port;
  size_t begin = 0, end = 0;  //!< span in the scanned text
};

//! Finds the first `[ip]` at or after `from` whose content is an IP address (an "IPv6:"
//! prefix is dropped); the host is the run of host characters just before '[' and the port the
//! digits after "]:" (when followed by a digit).
inline std::optional<Peer> FindPeer(std::string_view s, size_t from = 0) {
  while (from < s.size()) {
    size_t lb = s.find('[', from);
    if (lb == std::string_view::npos) return std::nullopt;
    size_t rb = s.find(']', lb + 1);
    if (rb == std::string_view::npos) return std::nullopt;
    std::string_view ip = s.substr(lb + 1, rb - lb - 1);
    if (StartsWith(ip, "IPv6:") || StartsWith(ip, "ipv6:")) ip.remove_prefix(5);
    if (IsIp(ip)) {
      Peer p;
      p.ip = ip;
      size_t hb = lb;
      while (hb > 0 && IsHostChar(s[hb - 1])) --hb;
      p.host = s.substr(hb, lb - hb);
      p.begin = hb;
      p.end = rb + 1;
      if (rb + 2 < s.size() + 0 && s[rb + 1] == ':' && rb + 2 < s.size() && IsDigit(s[rb + 2])) {
        p.port = Span(s.substr(rb + 2), IsDigit);
        p.end = rb + 2 + p.port.size();
      }
      return p;
    }
    from = lb + 1;
  }
  return std::nullopt;
}

//! Position of `key` (e.g. "relay=") where it starts a token (start, after ' ', ',', ';', '(').
inline size_t FindKey(std::string_view s, std::string_view key, size_t from = 0) {
  while (true) {
    size_t p = s.find(key, from);
    if (p == std::string_view::npos) return p;
    if (p == 0 || s[p - 1] == ' ' || s[p - 1] == ',' || s[p - 1] == ';' || s[p - 1] == '(' ||
        s[p - 1] == '\t')
      return p;
    from = p + 1;
  }
}
inline size_t RFindKey(std::string_view s, std::string_view key) {
  size_t best = std::string_view::npos;
  for (size_t p = FindKey(s, key); p != std::string_view::npos; p = FindKey(s, key, p + 1)) best = p;
  return best;
}
//! Value of key=: `<...>` kept whole (brackets included), else up to ',' or ' ' (or ';').
inline std::optional<std::string_view> KeyValue(std::string_view s, std::string_view key, bool last = false) {
  size_t p = last ? RFindKey(s, key) : FindKey(s, key);
  if (p == std::string_view::npos) return std::nullopt;
  std::string_view v = s.substr(p + key.size());
  if (!v.empty() && v.front() == '<') {
    size_t e = v.find('>');
    return e == std::string_view::npos ? Until(Until(v, ' '), ',') : v.substr(0, e + 1);
  }
  size_t e = 0;
  while (e < v.size() && v[e] != ',' && v[e] != ' ' && v[e] != ';') ++e;
  return v.substr(0, e);
}
inline std::string_view StripAngle(std::string_view v) {
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') return v.substr(1, v.size() - 2);
  return v;
}

//! SMTP reply "550 5.7.1 text": code, enhanced code, text. Returns false if no 3-digit code.
struct SmtpReply {
  std::string_view code, enhanced, text;
};
inline bool ParseSmtpReply(std::string_view s, SmtpReply* r) {
  if (s.size() < 3 || !IsDigit(s[0]) || !IsDigit(s[1]) || !IsDigit(s[2])) return false;
  if (s.size() > 3 && s[3] != ' ' && s[3] != '-') return false;
  if (s[0] < '2' || s[0] > '5') return false;
  r->code = s.substr(0, 3);
  std::string_view rest = s.size() > 4 ? s.substr(4) : std::string_view();
  // enhanced: d.d{1,3}.d{1,3}
  size_t i = 0;
  if (!rest.empty() && IsDigit(rest[0]) && rest.size() >= 5 && rest[1] == '.') {
    i = 2;
    size_t b = i;
    while (i < rest.size() && IsDigit(rest[i])) ++i;
    if (i > b && i < rest.size() && rest[i] == '.') {
      ++i;
      size_t c = i;
      while (i < rest.size() && IsDigit(rest[i])) ++i;
      if (i > c && (i == rest.size() || rest[i] == ' ')) {
        r->enhanced = rest.substr(0, i);
        rest = i < rest.size() ? rest.substr(i + 1) : std::string_view();
      }
    }
  }
  r->text = Trim(rest);
  return true;
}

inline int MonthIndex(std::string_view m) {
  static constexpr std::string_view kM[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};
  if (m.size() != 3) return 0;
  char l[3] = {static_cast<char>(m[0] | 0x20), static_cast<char>(m[1] | 0x20), static_cast<char>(m[2] | 0x20)};
  for (int i = 0; i < 12; ++i)
    if (kM[i] == std::string_view(l, 3)) return i + 1;
  return 0;
}

//! Reads n digits at s[*i]; false if absent.
inline bool Digits(std::string_view s, size_t* i, size_t n, int* out) {
  if (*i + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[*i + k];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *i += n;
  *out = v;
  return true;
}
//! HH:MM:SS[.frac] at s[*i]; returns nanoseconds of the day.
inline bool ClockTime(std::string_view s, size_t* i, int64_t* ns) {
  int h, m, sec;
  size_t j = *i;
  if (!Digits(s, &j, 2, &h)) {
    j = *i;
    if (!Digits(s, &j, 1, &h)) return false;
  }
  if (j >= s.size() || s[j] != ':') return false;
  ++j;
  if (!Digits(s, &j, 2, &m) || j >= s.size() || s[j] != ':') return false;
  ++j;
  if (!Digits(s, &j, 2, &sec) || h > 23 || m > 59 || sec > 60) return false;
  int64_t frac = 0;
  if (j < s.size() && (s[j] == '.' || s[j] == ',')) {
    size_t k = j + 1;
    int64_t scale = 100'000'000;
    while (k < s.size() && IsDigit(s[k])) {
      if (scale > 0) frac += (s[k] - '0') * scale;
      scale /= 10;
      ++k;
    }
    if (k > j + 1) j = k;
  }
  *ns = ((h * 60 + m) * 60 + sec) * kNanosPerSecond + frac;
  *i = j;
  return true;
}
//! Callers keep y within [1970, 2200] so the result fits in int64 nanoseconds.
inline int64_t CivilNs(int y, int mo, int d) { return DaysFromCivil(y, mo, d) * kNanosPerDay; }

//! "YYYY-MM-DD HH:MM:SS[.fff]" or with 'T' (zone-less, taken as UTC; a trailing Z is
//! accepted). Sets *len to the characters used.
inline bool IsoLocalTime(std::string_view s, int64_t* ns, size_t* len) {
  size_t i = 0;
  int y, mo, d;
  if (!Digits(s, &i, 4, &y) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!Digits(s, &i, 2, &mo) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!Digits(s, &i, 2, &d) || i >= s.size() || (s[i] != ' ' && s[i] != 'T')) return false;
  ++i;
  int64_t t;
  if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || !ClockTime(s, &i, &t)) return false;
  if (i < s.size() && s[i] == 'Z') ++i;
  *ns = CivilNs(y, mo, d) + t;
  *len = i;
  return true;
}

//! Collects fields, then writes them at once (so a parser can give up without touching ev).
struct Fields {
  std::vector<std::pair<std::string_view, std::string>> f;
  void S(std::string_view k, std::string_view v) {
    if (v.empty()) return;
    for (auto& e : f) {
      if (e.first == k) {
        e.second.assign(v);
        return;
      }
    }
    f.emplace_back(k, std::string(v));
  }
  bool Has(std::string_view k) const {
    for (auto& e : f)
      if (e.first == k) return true;
    return false;
  }
  void Commit(Event* ev) const {
    for (auto& [k, v] : f) ev->Set(k, v);
  }
};

//! Whether the syslog envelope did not parse (the message is the whole original line).
inline bool NoEnvelope(const Event& ev, std::string_view message) {
  return ev.original.size() == message.size() || !ev.Get("process.name");
}

inline std::string ToLower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return r;
}

}  // namespace kamatama::scan
