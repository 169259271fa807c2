// parsers/generic/leef.cc
//! IBM QRadar Log Event Extended Format, bare or after a syslog header:
//!   LEEF:1.0|Vendor|Product|Version|EventID|key=value<tab>key=value...
//!   LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|key=value<delim>key=value...
//! LEEF 1.0 separates attributes with a tab; LEEF 2.0 names its delimiter in the header as one
//! character or as a hex code "x5E"/"0x5E" (1-4 hex digits, a code point; empty means tab).
//! Keys cannot hold '=' or spaces; a piece without '=' belongs to the value before it.
#include <string>

#include "parsers/generic/fields.h"
#include "parsers/generic/generic.h"
#include "parsers/toolkit.h"

namespace kamatama {

namespace {

using namespace toolkit;
using generic::Kind;
using generic::KeyRule;

//! The predefined LEEF attributes that have an ECS home.
constexpr KeyRule kLeefKeys[] = {
    {"src", "source.ip", Kind::kIp},
    {"dst", "destination.ip", Kind::kIp},
    {"srcPort", "source.port", Kind::kPort},
    {"dstPort", "destination.port", Kind::kPort},
    {"srcPostNAT", "source.nat.ip", Kind::kIp},
    {"dstPostNAT", "destination.nat.ip", Kind::kIp},
    {"srcPostNATPort", "source.nat.port", Kind::kPort},
    {"dstPostNATPort", "destination.nat.port", Kind::kPort},
    {"srcMAC", "source.mac", Kind::kMac},
    {"dstMAC", "destination.mac", Kind::kMac},
    {"usrName", "user.name", Kind::kText},
    {"srcBytes", "source.bytes", Kind::kCount},
    {"dstBytes", "destination.bytes", Kind::kCount},
    {"srcPackets", "source.packets", Kind::kCount},
    {"dstPackets", "destination.packets", Kind::kCount},
    {"totalPackets", "network.packets", Kind::kCount},
    {"proto", "network.transport", Kind::kTransport},
    {"sev", "event.severity", Kind::kCount},
    {"url", "url.original", Kind::kText},
    {"policy", "rule.name", Kind::kText},
    {"action", "event.action", Kind::kText},
    {"devTime", "@timestamp", Kind::kTimestamp},
};

//! The delimiter a LEEF 2.0 header names: one character, or x/0x and 1-4 hex digits (UTF-8
//! encoded). Empty if the field is not a delimiter.
std::string Delimiter(sv field) {
  if (field.empty()) return "\t";
  sv hex = field;
  if (!Eat(hex, "0x") && !Eat(hex, "x") && !Eat(hex, "X")) hex = {};
  if (!hex.empty() && hex.size() <= 4) {
    uint32_t cp = 0;
    for (char c : hex) {
      if (!IsHex(c)) return field.size() == 1 ? std::string(field) : std::string();
      cp = cp * 16 + static_cast<uint32_t>(IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    std::string out;
    if (cp == 0) return {};
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return out;
  }
  if (field.size() == 1) return std::string(field);
  return {};
}

bool IsLeefKey(sv k) {
  if (k.empty() || k.size() > generic::kMaxKeyLength) return false;
  for (char c : k) {
    if (c == ' ' || c == '\t' || c == '|') return false;
  }
  return true;
}

struct Attr {
  sv key;
  std::string value;
};

//! Splits the attributes at `delim`; a piece that is not key=value joins the previous value.
std::vector<Attr> Attributes(sv s, sv delim) {
  std::vector<Attr> out;
  while (!s.empty() && out.size() < generic::kMaxPairs) {
    size_t e = s.find(delim);
    sv piece = s.substr(0, e);
    s = e == npos ? sv() : s.substr(e + delim.size());
    size_t eq = piece.find('=');
    if (eq != npos && IsLeefKey(piece.substr(0, eq))) {
      out.push_back({piece.substr(0, eq), std::string(TrimR(piece.substr(eq + 1)))});
    } else if (!out.empty() && !piece.empty()) {
      out.back().value.append(delim);
      out.back().value.append(TrimR(piece));
    }
  }
  return out;
}

void AddAttributes(Event* ev, const std::vector<Attr>& attrs) {
  sv time_format;
  for (const auto& a : attrs) {
    if (a.key == "devTimeFormat") time_format = a.value;
  }
  ev->fields.reserve(ev->fields.size() + attrs.size() + attrs.size() / 2 + 8);
  generic::PrefixWriter out(ev, "leef.", generic::PrefixWriter::Repeat::kReplace);
  for (const auto& a : attrs) {
    out.Put(a.key, a.value);
    for (const auto& rule : kLeefKeys) {
      if (a.key == rule.key) generic::ApplyRule(ev, rule, a.value, time_format);
    }
  }
}

constexpr sv kHeaderNames[] = {"leef.version", "observer.vendor", "observer.product", "observer.version",
                               "event.code"};

}  // namespace

bool LooksLikeLeef(sv message) { return generic::FindFormatMarker(message, "LEEF:") != npos; }

bool ParseLeef(Event* ev) {
  // A copy: setting fields may move the message (a short one lives inside its string object).
  const std::string text(MessageOf(*ev));
  const sv m = text;
  size_t at = generic::FindFormatMarker(m, "LEEF:");
  if (at == npos) return false;
  sv s = m.substr(at + 5);
  sv f[6];
  size_t count = 0;
  const bool v2 = StartsWith(s, "2");
  const size_t want = v2 ? 6 : 5;
  while (count < want) {
    size_t bar = s.find('|');
    if (bar == npos && v2 && count == 5 && s.find('=') != npos) {  // 2.0 without a delimiter field
      f[count++] = s;
      break;
    }
    if (bar == npos) {  // the last field, unterminated
      if (!s.empty()) f[count++] = s;
      s = {};
      break;
    }
    f[count++] = s.substr(0, bar);
    s = s.substr(bar + 1);
  }
  for (size_t i = 0; i < count && i < 5; ++i) {
    if (!Trim(f[i]).empty()) ev->Set(kHeaderNames[i], Trim(f[i]));
  }
  ev->Set(field::kDataset, "leef");
  if (count < want) {
    ev->Set(field::kErrorMessage, "LEEF header has " + std::to_string(count) + " of the " +
                                      std::to_string(want) + " '|'-terminated fields");
    return true;
  }
  if (v2 && f[5].find('=') != npos) {  // no delimiter field: tab, attributes start here
    s = m.substr(static_cast<size_t>(f[5].data() - m.data()));
    f[5] = {};
  }
  std::string delim = v2 ? Delimiter(f[5]) : std::string("\t");
  if (delim.empty()) {
    ev->Set(field::kErrorMessage, "LEEF 2.0 delimiter not understood");
    return true;
  }
  AddAttributes(ev, Attributes(TrimR(s), delim));
  return true;
}

}  // namespace kamatama
