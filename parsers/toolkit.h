// parsers/toolkit.h
//! The helpers every hand-written source parser uses (internal to parsers/; not an API):
//! staged output (`Out`), splitting and trimming over string_views, number and address checks,
//! and the "recognised, now commit" step. Everything works on string_views into the message
//! and never reads past them. One copy, so a fix lands once (issue 23).
//!
//! Use it from a parser's anonymous namespace with `using namespace kamatama::toolkit;`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"
#include "core/tokenize.h"

namespace kamatama::toolkit {

using sv = std::string_view;
inline constexpr size_t npos = sv::npos;

//! Staged output: fields are collected while a line is scanned and written to the event only
//! once it is recognised, so a declined line leaves the event untouched. Names are string
//! literals (or outlive the Out); values are copies. Adding a name again replaces its value.
struct Out {
  std::vector<std::pair<sv, std::string>> f;
  void Add(sv k, sv v);
  bool Has(sv k) const;
  //! Writes every staged field with Event::Set.
  void Commit(Event* ev) const;
};

// ---- text ----

//! Removes `lit` from the front of `s` if it is there; tells whether it was.
inline bool Eat(sv& s, sv lit) {
  if (s.substr(0, lit.size()) != lit) return false;
  s.remove_prefix(lit.size());
  return true;
}
inline bool StartsWith(sv s, sv lit) { return s.substr(0, lit.size()) == lit; }
inline bool EndsWith(sv s, sv lit) {
  return s.size() >= lit.size() && s.substr(s.size() - lit.size()) == lit;
}
inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline sv TrimL(sv s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}
inline sv TrimR(sv s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}
inline sv Trim(sv s) { return TrimR(TrimL(s)); }
//! The next space-delimited word; `s` advances past it and the spaces after it.
sv Word(sv& s);
//! ASCII lowercase copy.
std::string Lower(sv s);

// ---- numbers and addresses ----

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsDigits(sv s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}
inline bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
//! Dotted quad, each part 1-3 digits and at most 255.
bool IsIPv4(sv s);
//! Loose IPv6 check (hex groups and 2-7 colons, an IPv4 tail, a %zone); for telling an address
//! from a host name, not for validating one.
bool IsIPv6(sv s);
inline bool IsIp(sv s) { return IsIPv4(s) || IsIPv6(s); }
//! A MAC address in ECS form (RFC 7042: uppercase hex octets joined by '-', "AA-BB-CC-DD-EE-FF") from
//! "aa:bb:cc:dd:ee:ff", "aa-bb-..", "0:c:29:.." (groups without zero padding, as ISC dhcpd prints
//! them), Cisco's "aabb.ccdd.eeff" or 12 bare hex digits; "" if `s` is none of these. Every parser
//! writing a `*.mac` field goes through it.
std::string NormalizeMac(sv s);
//! 1..12 for "Jan".."Dec" (ASCII case-insensitive), 0 otherwise.
int MonthFromAbbrev(sv m);
//! 1-5 digits (the value is not range-checked).
inline bool IsPort(sv s) { return IsDigits(s) && s.size() <= 5; }

// ---- the event ----

//! How well a scanner recognised a line: not at all, as a line of the product it cannot split
//! further, or fully.
enum class Match { kNo, kGeneric, kFull };

//! The event's message, or empty.
sv MessageOf(const Event& ev);

//! Whether process.name is one of `names` (ASCII case-insensitive).
template <size_t N>
bool ProgramIs(const Event& ev, const sv (&names)[N]) {
  const std::string* p = ev.Get("process.name");
  if (!p) return false;
  for (sv n : names) {
    if (EqualsIgnoreCase(*p, n)) return true;
  }
  return false;
}

//! Declines on kNo (the event is untouched); else commits `o` (with event.kind "event" unless
//! staged) and sets event.dataset. Returns whether the line was recognised.
bool Finish(Event* ev, Out& o, Match match, sv dataset);

}  // namespace kamatama::toolkit
