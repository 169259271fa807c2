// parsers/netlog_util.h
//! Small scanning helpers shared by the firewall and proxy parsers (internal; not an API).
//! Everything works on string_views into the message and never reads past them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/time.h"
#include "core/tokenize.h"
#include "parsers/toolkit.h"

namespace kamatama::netlog {

using toolkit::EndsWith;
using toolkit::IsDigit;
using toolkit::IsHex;
using toolkit::Lower;
using toolkit::StartsWith;
inline bool IsAllDigits(std::string_view s) { return toolkit::IsDigits(s); }
inline std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}
inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
//! Parses an unsigned decimal (at most 18 digits); false if not all digits.
inline bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}
inline bool IsPort(std::string_view s) {
  uint64_t v = 0;
  return ParseUint(s, &v) && v <= 65535;
}

inline bool IsIpv4(std::string_view s) { return toolkit::IsIPv4(s); }
//! IPv6 (optionally with an embedded IPv4 tail and a %zone); structural check.
inline bool IsIpv6(std::string_view s) {
  if (size_t pct = s.find('%'); pct != std::string_view::npos) {
    if (pct + 1 >= s.size()) return false;
    s = s.substr(0, pct);
  }
  if (s.size() < 2 || s.size() > 45) return false;
  int groups = 0;
  bool double_colon = false;
  size_t i = 0;
  if (StartsWith(s, "::")) {
    double_colon = true;
    i = 2;
    if (i == s.size()) return true;
  } else if (s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    size_t b = i;
    while (i < s.size() && IsHex(s[i]) && i - b < 4) ++i;
    if (i < s.size() && s[i] == '.') {  // embedded IPv4 tail
      if (!IsIpv4(s.substr(b))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (i == b) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (double_colon) return false;
      double_colon = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;
    }
  }
  return double_colon ? groups < 8 : groups == 8;
}
inline bool IsIp(std::string_view s) { return IsIpv4(s) || IsIpv6(s); }

//! Sets `name` only when `value` is non-empty (and not "-").
inline void SetIf(Event* ev, std::string_view name, std::string_view value) {
  if (!value.empty() && value != "-") ev->Set(name, value);
}
inline void SetIp(Event* ev, std::string_view name, std::string_view value) {
  if (IsIp(value)) ev->Set(name, value);
}
inline void SetPort(Event* ev, std::string_view name, std::string_view value) {
  if (IsPort(value)) ev->Set(name, value);
}
inline void SetUint(Event* ev, std::string_view name, std::string_view value) {
  uint64_t v = 0;
  if (ParseUint(value, &v)) ev->Set(name, std::to_string(v));
}
//! "ipv4" / "ipv6" from an address.
inline void SetNetworkType(Event* ev, std::string_view ip) {
  if (IsIpv4(ip)) ev->Set("network.type", "ipv4");
  else if (IsIpv6(ip)) ev->Set("network.type", "ipv6");
}

//! IANA protocol number to ECS network.transport ("" if not a common one).
inline std::string_view TransportOfNumber(std::string_view num) {
  if (num == "6") return "tcp";
  if (num == "17") return "udp";
  if (num == "1") return "icmp";
  if (num == "58") return "ipv6-icmp";
  if (num == "2") return "igmp";
  if (num == "47") return "gre";
  if (num == "50") return "esp";
  if (num == "51") return "ah";
  if (num == "132") return "sctp";
  return "";
}

//! The normalised decision of a firewall/proxy: allow, deny, drop or "" (not a decision).
//! Also accepts vendor words: accept/pass/permit(ted)/allowed/close/timeout..., block(ed)/
//! reject/denied, dropped.
inline std::string_view NormaliseAction(std::string_view raw) {
  std::string l = Lower(raw);
  if (l == "allow" || l == "allowed" || l == "accept" || l == "accepted" || l == "pass" ||
      l == "passthrough" || l == "permit" || l == "permitted" || l == "est-allowed" ||
      l == "close" || l == "timeout" || l == "server-rst" || l == "client-rst")
    return "allow";
  if (l == "deny" || l == "denied" || l == "block" || l == "blocked" || l == "reject" ||
      l == "rejected" || l == "reset")
    return "deny";
  if (l == "drop" || l == "dropped") return "drop";
  return "";
}

//! Sets event.action/event.outcome/event.type for a network decision: allow -> success,
//! connection+allowed; deny/drop -> failure, connection+denied; otherwise `action` as given
//! (may be empty), outcome unknown, type connection. `extra_type` is appended to event.type.
inline void SetDecision(Event* ev, std::string_view action, std::string_view extra_type = "") {
  std::string type = "connection";
  if (action == "allow") {
    ev->Set("event.outcome", "success");
    type += ",allowed";
  } else if (action == "deny" || action == "drop") {
    ev->Set("event.outcome", "failure");
    type += ",denied";
  } else {
    ev->Set("event.outcome", "unknown");
  }
  if (!extra_type.empty()) {
    type += ',';
    type += extra_type;
  }
  if (!action.empty()) ev->Set("event.action", action);
  ev->Set("event.type", type);
}

using toolkit::MonthFromAbbrev;

//! Parses "dd/Mon/yyyy:HH:MM:SS[.fff]" (Apache/HAProxy); returns ns UTC (no zone) or -1.
//! `*used` gets the number of bytes consumed.
inline int64_t ParseClfDate(std::string_view s, size_t* used) {
  // dd/Mon/yyyy:HH:MM:SS = 20 chars
  if (s.size() < 20 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':')
    return -1;
  auto num = [&](size_t pos, size_t len, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!IsDigit(s[i])) return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int day, year, hh, mm, ss;
  int mon = MonthFromAbbrev(s.substr(3, 3));
  if (!mon || !num(0, 2, &day) || !num(7, 4, &year) || !num(12, 2, &hh) || !num(15, 2, &mm) ||
      !num(18, 2, &ss))
    return -1;
  if (year < 1900 || year > 2200 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return -1;
  int64_t ns = (DaysFromCivil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss) * kNanosPerSecond;
  size_t i = 20;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = kNanosPerSecond / 10;
    while (i < s.size() && IsDigit(s[i])) {
      ns += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  *used = i;
  return ns;
}

//! Parses a numeric zone "+hhmm", "-hhmm", "+hh:mm" into seconds east of UTC; false if not one.
inline bool ParseZoneOffset(std::string_view z, int64_t* seconds) {
  if (z.size() != 5 && z.size() != 6) return false;
  if (z[0] != '+' && z[0] != '-') return false;
  std::string_view d = z.substr(1);
  if (d.size() == 5 && d[2] != ':') return false;
  char buf[4];
  size_t n = 0;
  for (char c : d) {
    if (c == ':') continue;
    if (!IsDigit(c) || n >= 4) return false;
    buf[n++] = c;
  }
  if (n != 4) return false;
  int hh = (buf[0] - '0') * 10 + (buf[1] - '0');
  int mm = (buf[2] - '0') * 10 + (buf[3] - '0');
  if (hh > 14 || mm > 59) return false;
  *seconds = (z[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
  return true;
}

//! Splits a URL into url.scheme/domain/port/path/query (url.original set by the caller).
//! Also handles "host:port" (CONNECT) and bare "/path?query".
inline void SetUrlParts(Event* ev, std::string_view url) {
  std::string_view rest = url;
  size_t scheme_end = rest.find("://");
  bool has_authority = false;
  if (scheme_end != std::string_view::npos && scheme_end > 0 && scheme_end < 16) {
    bool ok = true;
    for (char c : rest.substr(0, scheme_end)) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '+' || c == '-' || c == '.')) ok = false;
    }
    if (ok) {
      ev->Set("url.scheme", Lower(rest.substr(0, scheme_end)));
      rest.remove_prefix(scheme_end + 3);
      has_authority = true;
    }
  }
  if (!has_authority && !rest.empty() && rest[0] != '/') {
    // "host:port" (CONNECT)
    size_t colon = rest.rfind(':');
    if (colon != std::string_view::npos && IsPort(rest.substr(colon + 1)) && colon > 0 &&
        rest.find('/') == std::string_view::npos) {
      std::string_view host = rest.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      ev->Set("url.domain", host);
      ev->Set("url.port", rest.substr(colon + 1));
    }
    return;
  }
  if (has_authority) {
    size_t end = rest.find_first_of("/?#");
    std::string_view auth = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (size_t at = auth.rfind('@'); at != std::string_view::npos) auth.remove_prefix(at + 1);
    std::string_view host = auth;
    if (!auth.empty() && auth[0] == '[') {
      size_t close = auth.find(']');
      if (close != std::string_view::npos) {
        host = auth.substr(1, close - 1);
        std::string_view after = auth.substr(close + 1);
        if (after.size() > 1 && after[0] == ':' && IsPort(after.substr(1))) ev->Set("url.port", after.substr(1));
      }
    } else if (size_t colon = auth.rfind(':'); colon != std::string_view::npos) {
      host = auth.substr(0, colon);
      if (IsPort(auth.substr(colon + 1))) ev->Set("url.port", auth.substr(colon + 1));
    }
    SetIf(ev, "url.domain", host);
  }
  size_t frag = rest.find('#');
  if (frag != std::string_view::npos) {
    SetIf(ev, "url.fragment", rest.substr(frag + 1));
    rest = rest.substr(0, frag);
  }
  size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    SetIf(ev, "url.query", rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  SetIf(ev, "url.path", rest);
}

//! A key=value scanner for FortiOS/SFOS style lines: keys are [A-Za-z0-9_.-]+, values are
//! bare (up to a space) or double-quoted (backslash escapes kept as written). Calls
//! f(key, value) per pair; skips tokens that are not key=value. Returns the pair count.
template <class F>
size_t ForEachKv(std::string_view s, F&& f) {
  size_t i = 0, n = s.size(), count = 0;
  auto keych = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '-' || c == '.';
  };
  while (i < n) {
    while (i < n && s[i] == ' ') ++i;
    size_t kb = i;
    while (i < n && keych(s[i])) ++i;
    if (i < n && s[i] == '=' && i > kb) {
      std::string_view key = s.substr(kb, i - kb);
      ++i;
      std::string_view value;
      if (i < n && s[i] == '"') {
        size_t vb = ++i;
        while (i < n && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < n) ++i;
          ++i;
        }
        value = s.substr(vb, (i < n ? i : n) - vb);
        if (i < n) ++i;
      } else {
        size_t vb = i;
        while (i < n && s[i] != ' ') ++i;
        value = s.substr(vb, i - vb);
      }
      f(key, value);
      ++count;
    } else {
      while (i < n && s[i] != ' ') ++i;  // not a pair: skip the token
    }
  }
  return count;
}

}  // namespace kamatama::netlog
