// parsers/firewall/ftd_events.cc: Cisco FTD security events 430001-430005 (see ftd_events.h).
// Written from Cisco's "Firepower Threat Defense Syslog Messages" (the 430001-430005 field
// lists); tried on Elastic's cisco_ftd pipeline test lines.
#include "parsers/firewall/ftd_events.h"

#include <string>

#include "parsers/generic/fields.h"
#include "parsers/netlog_util.h"

namespace kamatama::ftd {

using namespace netlog;

namespace {

//! Length of the key if `s` starts with "Key: " (letters, digits, '_', '-', inner spaces; at
//! most 40 bytes), else 0.
size_t KeyAt(std::string_view s) {
  size_t i = 0;
  auto word = [](char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'; };
  while (i < s.size() && i <= 40 && (word(s[i]) || (s[i] == ' ' && i > 0))) ++i;
  if (i == 0 || s[i - 1] == ' ' || i + 1 >= s.size() || s[i] != ':' || s[i + 1] != ' ') return 0;
  return i;
}

//! Calls fn(key, value) for each pair, at most generic::kMaxPairs; a value runs to the next ", "
//! that starts a "Key: " (values such as user agents may hold ", ").
template <class Fn>
void ForEachPair(std::string_view body, Fn fn) {
  for (size_t pairs = 0; !body.empty() && pairs < generic::kMaxPairs; ++pairs) {
    const size_t klen = KeyAt(body);
    if (klen == 0) return;
    const std::string_view rest = body.substr(klen + 2);
    size_t end = rest.size();
    for (size_t p = rest.find(", "); p != std::string_view::npos; p = rest.find(", ", p + 1)) {
      if (KeyAt(rest.substr(p + 2))) {
        end = p;
        break;
      }
    }
    fn(body.substr(0, klen), Trim(rest.substr(0, end)));
    body = end == rest.size() ? std::string_view() : rest.substr(end + 2);
  }
}

enum class Kind { kText, kIp, kPort, kCount, kLower };

struct Mapping {
  std::string_view key, field;
  Kind kind = Kind::kText;
};

// Keys with one ECS home each. User, Protocol, the actions and ConnectionDuration are read below.
constexpr Mapping kMappings[] = {
    {"SrcIP", "source.ip", Kind::kIp},
    {"DstIP", "destination.ip", Kind::kIp},
    {"SrcPort", "source.port", Kind::kPort},
    {"DstPort", "destination.port", Kind::kPort},
    {"IngressInterface", "observer.ingress.interface.name"},
    {"EgressInterface", "observer.egress.interface.name"},
    {"IngressZone", "observer.ingress.zone"},
    {"EgressZone", "observer.egress.zone"},
    {"AccessControlRuleName", "rule.name"},
    {"ACPolicy", "rule.ruleset"},
    {"ApplicationProtocol", "network.protocol", Kind::kLower},
    {"Client", "network.application", Kind::kLower},
    {"InitiatorBytes", "source.bytes", Kind::kCount},
    {"ResponderBytes", "destination.bytes", Kind::kCount},
    {"InitiatorPackets", "source.packets", Kind::kCount},
    {"ResponderPackets", "destination.packets", Kind::kCount},
    {"URL", "url.original"},
    {"URI", "url.original"},
    {"UserAgent", "user_agent.original"},
    {"HTTPResponse", "http.response.status_code", Kind::kCount},
    {"DNSQuery", "dns.question.name"},
    {"SID", "rule.id"},
    {"Revision", "rule.version"},
    {"Classification", "rule.category"},
    {"Message", "rule.description"},
    {"FileSHA256", "file.hash.sha256"},
    {"FileName", "file.name"},
    {"FileSize", "file.size", Kind::kCount},
    {"ThreatName", "threat.software.name"},
};

//! FTD's words for "no value": an absent user, an unknown threat.
bool Placeholder(std::string_view v) {
  return v.empty() || v == "No Authentication Required" || v == "Not Found" || v == "Unknown" || v == "Invalid ID" ||
         v == "N/A";
}

void SetMapped(Event* ev, const Mapping& m, std::string_view v) {
  if (Placeholder(v)) return;
  switch (m.kind) {
    case Kind::kText: SetIf(ev, m.field, v); break;
    case Kind::kIp: SetIp(ev, m.field, v); break;
    case Kind::kPort: SetPort(ev, m.field, v); break;
    case Kind::kCount: SetUint(ev, m.field, v); break;
    case Kind::kLower: SetIf(ev, m.field, Lower(v)); break;
  }
}

//! FTD's rule actions: Allow, Trust, Monitor, Fastpath -> allow; Block, Block with reset,
//! Interactive Block[ with reset] -> deny.
std::string_view RuleAction(std::string_view v) {
  const std::string l = Lower(v);
  if (l == "allow" || l == "trust" || l == "monitor" || l == "fastpath") return "allow";
  if (l.rfind("block", 0) == 0 || l.rfind("interactive block", 0) == 0) return "deny";
  return NormaliseAction(v);
}

//! The account (none for a placeholder); "REALM\user" is split into user.domain and user.name.
void SetUser(Event* ev, std::string_view v) {
  if (Placeholder(v)) return;
  if (const size_t slash = v.find('\\'); slash != std::string_view::npos && slash + 1 < v.size()) {
    ev->Set("user.domain", v.substr(0, slash));
    v.remove_prefix(slash + 1);
  }
  ev->Set("user.name", v);
}

//! What each id is: kind, category, action; connections get their verdict.
void Classify(Event* ev, std::string_view id, std::string_view rule_action, std::string_view file_action) {
  if (id == "430001") {
    ev->Set("event.kind", "alert");
    ev->Set("event.category", "intrusion_detection");
    ev->Set("event.type", "info");
    ev->Set("event.action", "intrusion-detected");
  } else if (id == "430002" || id == "430003") {
    SetDecision(ev, RuleAction(rule_action), id == "430002" ? "start" : "end");
  } else {
    const bool malware = id == "430005";
    const bool blocked = Lower(file_action).find("block") != std::string::npos;
    ev->Set("event.kind", malware ? "alert" : "event");
    ev->Set("event.category", malware ? "malware,file" : "file");
    ev->Set("event.type", blocked ? "info,denied" : "info");
    ev->Set("event.action", malware ? "malware-detected" : "file-detected");
    ev->Set("event.outcome", blocked ? "failure" : "unknown");
  }
}

}  // namespace

bool IsSecurityEvent(std::string_view id) { return id.size() == 6 && id.substr(0, 5) == "43000" && id[5] >= '1' && id[5] <= '5'; }

void ParseSecurityEvent(Event* ev, std::string_view id, std::string_view body) {
  generic::PrefixWriter all(ev, "cisco.ftd.", generic::PrefixWriter::Repeat::kReplace);
  std::string rule_action, file_action;
  ForEachPair(body, [&](std::string_view key, std::string_view value) {
    all.Put(key, value);
    for (const Mapping& m : kMappings) {
      if (m.key == key) SetMapped(ev, m, value);
    }
    if (key == "User") SetUser(ev, value);
    else if (key == "Protocol") SetIf(ev, "network.transport", IsAllDigits(value) ? std::string(TransportOfNumber(value)) : Lower(value));
    else if (key == "AccessControlRuleAction") rule_action = value;
    else if (key == "FileAction") file_action = value;
    else if (uint64_t s = 0; key == "ConnectionDuration" && ParseUint(value, &s)) ev->Set("event.duration", std::to_string(s * 1'000'000'000ULL));
  });
  if (const std::string* url = ev->Get("url.original")) SetUrlParts(ev, std::string(*url));
  if (const std::string* ip = ev->Get("source.ip")) SetNetworkType(ev, std::string(*ip));
  Classify(ev, id, rule_action, file_action);
}

}  // namespace kamatama::ftd
