// parsers/generic/cef.cc
//! ArcSight Common Event Format (CEF), bare or after a syslog header:
//!   CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension
//! Header fields escape '|' and '\' with a backslash; the extension is space-separated
//! key=value pairs whose values may hold spaces (a value ends where " key=" begins) and escape
//! '=', '\', newline (\n) and carriage return (\r). Keys are the short names (src, dpt, ...) or
//! the full dictionary names (sourceAddress, ...); both map to the same ECS fields.
#include <array>
#include <string>
#include <vector>

#include "parsers/generic/fields.h"
#include "parsers/generic/generic.h"
#include "parsers/netlog_util.h"
#include "parsers/toolkit.h"

namespace kamatama {

namespace {

using namespace toolkit;
using generic::Kind;
using generic::KeyRule;

constexpr size_t kHeaderFields = 7;  //!< Version .. Severity; the extension follows

//! The standard extension keys that have an ECS home: {short, full} name -> field.
struct CefKey {
  sv short_key;
  sv full_key;
  sv ecs;
  Kind kind;
};
constexpr CefKey kCefKeys[] = {
    {"src", "sourceAddress", "source.ip", Kind::kIp},
    {"dst", "destinationAddress", "destination.ip", Kind::kIp},
    {"spt", "sourcePort", "source.port", Kind::kPort},
    {"dpt", "destinationPort", "destination.port", Kind::kPort},
    {"smac", "sourceMacAddress", "source.mac", Kind::kMac},
    {"dmac", "destinationMacAddress", "destination.mac", Kind::kMac},
    {"shost", "sourceHostName", "source.domain", Kind::kText},
    {"dhost", "destinationHostName", "destination.domain", Kind::kText},
    {"suser", "sourceUserName", "source.user.name", Kind::kText},
    {"duser", "destinationUserName", "destination.user.name", Kind::kText},
    {"suid", "sourceUserId", "source.user.id", Kind::kText},
    {"duid", "destinationUserId", "destination.user.id", Kind::kText},
    {"sntdom", "sourceNtDomain", "source.user.domain", Kind::kText},
    {"dntdom", "destinationNtDomain", "destination.user.domain", Kind::kText},
    {"act", "deviceAction", "event.action", Kind::kText},
    {"outcome", "eventOutcome", "event.outcome", Kind::kOutcome},
    {"request", "requestUrl", "url.original", Kind::kText},
    {"requestMethod", "requestMethod", "http.request.method", Kind::kText},
    {"requestClientApplication", "requestClientApplication", "user_agent.original", Kind::kText},
    {"requestContext", "requestContext", "http.request.referrer", Kind::kText},
    {"fileHash", "fileHash", "file.hash", Kind::kHash},
    {"fname", "fileName", "file.name", Kind::kText},
    {"filePath", "filePath", "file.path", Kind::kText},
    {"fsize", "fileSize", "file.size", Kind::kCount},
    {"in", "bytesIn", "source.bytes", Kind::kCount},
    {"out", "bytesOut", "destination.bytes", Kind::kCount},
    {"proto", "transportProtocol", "network.transport", Kind::kTransport},
    {"app", "applicationProtocol", "network.protocol", Kind::kLower},
    {"msg", "message", "event.reason", Kind::kText},
    {"rt", "deviceReceiptTime", "@timestamp", Kind::kTimestamp},
    {"start", "startTime", "event.start", Kind::kTime},
    {"end", "endTime", "event.end", Kind::kTime},
    {"dvc", "deviceAddress", "observer.ip", Kind::kIp},
    {"dvchost", "deviceHostName", "observer.hostname", Kind::kText},
    {"dvcmac", "deviceMacAddress", "observer.mac", Kind::kMac},
    {"deviceExternalId", "deviceExternalId", "observer.name", Kind::kText},
    {"externalId", "externalId", "event.id", Kind::kText},
    {"eventId", "eventId", "event.id", Kind::kText},
    {"sourceTranslatedAddress", "sourceTranslatedAddress", "source.nat.ip", Kind::kIp},
    {"destinationTranslatedAddress", "destinationTranslatedAddress", "destination.nat.ip", Kind::kIp},
    {"sourceTranslatedPort", "sourceTranslatedPort", "source.nat.port", Kind::kPort},
    {"destinationTranslatedPort", "destinationTranslatedPort", "destination.nat.port", Kind::kPort},
    {"sourceServiceName", "sourceServiceName", "source.service.name", Kind::kText},
    {"destinationServiceName", "destinationServiceName", "destination.service.name", Kind::kText},
    {"slat", "sourceGeoLatitude", "source.geo.location.lat", Kind::kText},
    {"slong", "sourceGeoLongitude", "source.geo.location.lon", Kind::kText},
    {"dlat", "destinationGeoLatitude", "destination.geo.location.lat", Kind::kText},
    {"dlong", "destinationGeoLongitude", "destination.geo.location.lon", Kind::kText},
};

//! Cheap first: most keys differ from a table entry in length or first byte.
bool SameKey(sv a, sv b) { return a.size() == b.size() && !a.empty() && a[0] == b[0] && a == b; }

const CefKey* FindCefKey(sv key) {
  for (const auto& k : kCefKeys) {
    if (SameKey(key, k.short_key) || SameKey(key, k.full_key)) return &k;
  }
  return nullptr;
}

// ---- header ----

//! Undoes the header escapes \| and \\ (other backslashes stay as they are).
std::string UnescapeHeader(sv s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '|' || s[i + 1] == '\\')) ++i;
    out.push_back(s[i]);
  }
  return out;
}

//! Splits "CEF:..." at unescaped '|' into up to 7 header fields; returns how many were found
//! (7 when the header is whole) and sets *ext to where the extension begins.
size_t SplitHeader(sv s, std::array<sv, kHeaderFields>* f, size_t* ext) {
  size_t count = 0, begin = 0;
  for (size_t i = 0; i < s.size() && count < kHeaderFields; ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '|') {
      (*f)[count++] = s.substr(begin, i - begin);
      begin = i + 1;
    }
  }
  *ext = begin;
  if (count < kHeaderFields && begin < s.size()) (*f)[count] = s.substr(begin);  // the partial tail
  return count;
}

//! CEF severity: 0-10, or Unknown/Low/Medium/High/Very-High (the lowest number of each range).
sv SeverityNumber(sv s) {
  s = Trim(s);
  if (IsDigits(s) && s.size() <= 2) return s;
  if (EqualsIgnoreCase(s, "low")) return "0";
  if (EqualsIgnoreCase(s, "medium")) return "4";
  if (EqualsIgnoreCase(s, "high")) return "7";
  if (EqualsIgnoreCase(s, "very-high") || EqualsIgnoreCase(s, "very high")) return "9";
  return {};
}

// ---- extension ----

bool IsKeyByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_' || c == '.' ||
         c == ',' || c == '[' || c == ']' || c == '-';
}

//! Length of a key at s[i] that is followed by '=', else 0.
size_t KeyAt(sv s, size_t i) {
  size_t j = i;
  while (j < s.size() && j - i <= generic::kMaxKeyLength && IsKeyByte(s[j])) ++j;
  return (j > i && j < s.size() && s[j] == '=') ? j - i : 0;
}

//! Undoes the extension escapes \= \\ \n \r; other backslashes stay.
std::string UnescapeValue(sv s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[i + 1];
      if (n == '=' || n == '\\') {
        out.push_back(n);
        ++i;
        continue;
      }
      if (n == 'n' || n == 'r') {
        out.push_back(n == 'n' ? '\n' : '\r');
        ++i;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

struct Pair {
  sv key;
  std::string value;
};

//! The extension's pairs in order. A value runs to the space before the next key= (escaped
//! characters never end it); trailing spaces are dropped. Text before the first key is skipped.
std::vector<Pair> ExtensionPairs(sv s) {
  std::vector<Pair> pairs;
  size_t i = 0;
  const size_t n = s.size();
  while (i < n && pairs.size() < generic::kMaxPairs) {
    while (i < n && s[i] == ' ') ++i;
    size_t klen = i < n ? KeyAt(s, i) : 0;
    if (klen == 0) {  // not a key: skip this word
      while (i < n && s[i] != ' ') ++i;
      continue;
    }
    size_t v = i + klen + 1, j = v, end = n, next = n;
    while (j < n) {
      if (s[j] == '\\') {
        j += 2;
      } else if (s[j] == ' ') {
        size_t t = j;
        while (t < n && s[t] == ' ') ++t;
        if (t < n && KeyAt(s, t)) {
          end = j;
          next = t;
          break;
        }
        j = t;
      } else {
        ++j;
      }
    }
    pairs.push_back({s.substr(i, klen), UnescapeValue(TrimR(s.substr(v, std::min(end, n) - v)))});
    i = next;
  }
  return pairs;
}

//! The value of `key` among the pairs, or nullptr.
const std::string* Find(const std::vector<Pair>& pairs, sv key) {
  for (const auto& p : pairs) {
    if (p.key == key) return &p.value;
  }
  return nullptr;
}

//! cs1..cs6, cn1..cn3, ... with a "<key>Label" pair: the value also under cef.label.<label>.
void AddLabelled(Event* ev, const std::vector<Pair>& pairs) {
  std::string label_key;
  for (const auto& p : pairs) {
    if (EndsWith(p.key, "Label")) continue;
    label_key.assign(p.key);
    label_key.append("Label");
    const std::string* label = Find(pairs, label_key);
    if (!label) continue;
    std::string name = generic::LabelName(*label);
    if (!name.empty()) ev->Set("cef.label." + name, p.value);
  }
}

void AddExtension(Event* ev, sv ext) {
  std::vector<Pair> pairs = ExtensionPairs(ext);
  ev->fields.reserve(ev->fields.size() + pairs.size() + pairs.size() / 2 + 8);
  generic::PrefixWriter out(ev, "cef.", generic::PrefixWriter::Repeat::kReplace);
  for (const auto& p : pairs) {
    out.Put(p.key, p.value);
    if (const CefKey* k = FindCefKey(p.key)) {
      generic::ApplyRule(ev, KeyRule{k->short_key, k->ecs, k->kind}, p.value);
    }
  }
  AddLabelled(ev, pairs);
  // request= is a URL (web and proxy products: Apex One, Zscaler, ...): its parts as every URL
  if (const std::string* url = ev->Get("url.original")) netlog::SetUrlParts(ev, std::string(*url));
  if (!ev->Get("user.name")) {
    if (const std::string* u = ev->Get("source.user.name")) ev->Set("user.name", *u);
    else if (const std::string* d = ev->Get("destination.user.name")) ev->Set("user.name", *d);
  }
}

constexpr sv kHeaderNames[kHeaderFields] = {"cef.version",    "observer.vendor", "observer.product",
                                            "observer.version", "event.code",    "cef.name",
                                            "cef.severity"};

}  // namespace

bool LooksLikeCef(sv message) { return generic::FindFormatMarker(message, "CEF:") != npos; }

bool ParseCef(Event* ev) {
  // A copy: setting fields may move the message (a short one lives inside its string object).
  const std::string text(MessageOf(*ev));
  const sv m = text;
  size_t at = generic::FindFormatMarker(m, "CEF:");
  if (at == npos) return false;
  sv s = m.substr(at + 4);
  std::array<sv, kHeaderFields> f{};
  size_t ext = 0;
  size_t count = SplitHeader(s, &f, &ext);
  size_t have = std::min(kHeaderFields, count + (ext < s.size() ? 1 : 0));
  for (size_t i = 0; i < have; ++i) {
    std::string v = UnescapeHeader(f[i]);
    if (!Trim(v).empty()) ev->Set(kHeaderNames[i], v);
  }
  ev->Set(field::kDataset, "cef");
  if (count < kHeaderFields) {
    ev->Set(field::kErrorMessage, "CEF header incomplete: " + std::to_string(have) + " of 7 '|'-separated fields");
    return true;
  }
  if (sv sev = SeverityNumber(f[6]); !sev.empty()) ev->Set("event.severity", sev);
  AddExtension(ev, s.substr(ext));
  return true;
}

}  // namespace kamatama
