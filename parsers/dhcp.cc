// parsers/dhcp.cc
//! DHCP servers: ISC dhcpd (and dhclient), dnsmasq-dhcp, Kea DHCPv4/v6 and the Windows DHCP
//! Server audit CSV. Hand-written scanners over the message; fields are staged and written only
//! once a line is recognised, so a declined line leaves the event untouched.
#include "parsers/dhcp.h"

#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "core/tokenize.h"
#include "parsers/toolkit.h"

namespace kamatama {

namespace {

using namespace toolkit;

void Network(Out& o, sv action, bool success) {
  o.Add("event.category", "network");
  o.Add("event.type", "protocol");
  if (!action.empty()) o.Add("event.action", action);
  o.Add("event.outcome", success ? "success" : "failure");
}
void ClientIp(Out& o, sv ip) {
  o.Add("client.ip", ip);
  o.Add("source.ip", ip);
}
bool ClientMac(Out& o, sv mac) {
  std::string norm = NormalizeMac(mac);
  if (norm.empty()) return false;
  o.Add("source.mac", norm);
  return true;
}

// ---------------------------------------------------------------- ISC dhcpd / dhclient

constexpr sv kIscVerbs[] = {"DHCPDISCOVER", "DHCPOFFER",   "DHCPREQUEST", "DHCPACK",       "DHCPNAK",
                            "DHCPRELEASE",  "DHCPDECLINE", "DHCPINFORM",  "DHCPLEASEQUERY", "BOOTREQUEST",
                            "BOOTREPLY"};

std::string IscAction(sv verb) {
  if (StartsWith(verb, "BOOT")) return "bootp-" + Lower(verb.substr(4));
  return "dhcp-" + Lower(verb.substr(4));
}

//! "DHCPVERB (from|on|to|for|of|via) X [(paren)] ... [: reason]".
Match IscVerbLine(sv m, Out& o) {
  sv verb;
  for (sv v : kIscVerbs) {
    if (StartsWith(m, v) && m.size() > v.size() && m[v.size()] == ' ') {
      verb = v;
      break;
    }
  }
  if (verb.empty()) return Match::kNo;
  sv s = m.substr(verb.size() + 1);
  bool inform = verb == "DHCPINFORM";
  bool failed = verb == "DHCPNAK" || verb == "DHCPDECLINE";
  sv last_kind;   // preposition of the last value
  sv last_value;  // the value itself
  bool any = false;
  bool address = false;  // an IP or MAC was named: "DHCPOFFER on x" alone is not a DHCP line
  while (!s.empty()) {
    s = TrimL(s);
    sv w = Word(s);
    if (w.empty()) break;
    if (w.front() == '(') {  // parenthesised detail of the previous value
      sv inner = w;
      while (!EndsWith(inner, ")") && !s.empty()) {  // hostnames may contain spaces
        sv more = Word(s);
        inner = sv(inner.data(), static_cast<size_t>(more.data() + more.size() - inner.data()));
      }
      bool colon = EndsWith(inner, "):");
      if (colon) inner.remove_suffix(1);
      inner = inner.substr(1, inner.size() >= 2 ? inner.size() - 2 : 0);
      if (last_kind == "via") {
        o.Add("dhcp.lease_status", inner);  // RELEASE: (found) / (not found)
      } else if (!last_value.empty() && !NormalizeMac(last_value).empty()) {
        if (!inner.empty()) o.Add("dhcp.client.hostname", inner);
      } else if (IsIp(last_value)) {
        if (!NormalizeMac(inner).empty()) {  // "DHCPACK to IP (MAC)"
          ClientMac(o, inner);
          ClientIp(o, last_value);
        } else if (IsIp(inner)) {
          o.Add("server.ip", inner);  // "DHCPREQUEST for IP (server-id)"
        }
      }
      if (colon) {
        o.Add("event.reason", Trim(s));
        failed = true;
        break;
      }
      continue;
    }
    if (w == "uid" || w == "port" || w == "interval") {
      sv v = Word(s);
      if (w == "uid") o.Add("dhcp.client.id", v);
      else if (w == "port" && IsPort(v)) o.Add("destination.port", v);
      continue;
    }
    if (w != "from" && w != "on" && w != "to" && w != "for" && w != "of" && w != "via") {
      if (w == "--" || w == "found" || w == "not") continue;
      break;  // unexpected text: keep what we have
    }
    sv v = Word(s);
    if (v.empty() || v == ":") break;
    bool reason_follows = EndsWith(v, ":");
    if (reason_follows) v.remove_suffix(1);
    last_kind = w;
    last_value = v;
    any = true;
    if (w == "via") {
      if (IsIp(v)) o.Add("dhcp.relay.ip", v);
      else o.Add("observer.ingress.interface.name", v);
    } else if (ClientMac(o, v)) {
      address = true;  // from/to MAC: the client
    } else if (IsIp(v)) {
      address = true;
      if (w == "on" || w == "for" || w == "of" || (w == "from" && inform)) ClientIp(o, v);
      else if (w == "from") o.Add("server.ip", v);  // dhclient: "DHCPACK of IP from SERVER"
      else o.Add("destination.ip", v);              // dhclient: "to 255.255.255.255 port 67"
    } else if (w == "on") {
      o.Add("observer.ingress.interface.name", v);  // dhclient: "DHCPREQUEST on eth0 to ..."
    }
    if (reason_follows) {
      o.Add("event.reason", Trim(s));
      failed = true;
      break;
    }
  }
  if (!any || !address) return Match::kNo;
  Network(o, IscAction(verb), !failed);
  return Match::kFull;
}

//! DHCPv6 and the other dhcpd messages worth a field.
Match IscOtherLine(sv m, Out& o) {
  sv s = m;
  if (Eat(s, "no free leases on subnet ") || Eat(s, "no free leases on ")) {
    o.Add("dhcp.subnet", Trim(s));
    Network(o, "dhcp-no-free-leases", false);
    return Match::kFull;
  }
  if (Eat(s, "IP address ")) {
    sv ip = Word(s);
    if (IsIp(ip) && StartsWith(s, "answers a ping")) {
      ClientIp(o, ip);
      Network(o, "dhcp-address-in-use", false);
      return Match::kFull;
    }
    return Match::kNo;
  }
  s = m;
  if (Eat(s, "Possible release spoof - Not releasing address ")) {
    sv ip = Word(s);
    if (IsIp(ip)) ClientIp(o, ip);
    Network(o, "dhcp-release-spoof", false);
    return Match::kFull;
  }
  if (Eat(s, "Abandoning IP address ")) {
    size_t colon = s.find(": ");
    sv ip = s.substr(0, colon);
    if (IsIp(ip)) ClientIp(o, ip);
    if (colon != npos) o.Add("event.reason", s.substr(colon + 2));
    Network(o, "dhcp-abandon", false);
    return Match::kFull;
  }
  // DHCPv6: "Solicit message from IP port 546, transaction ID 0x3C21A200"
  size_t msg = s.find(" message from ");
  if (msg != npos && msg < 24) {
    sv type = s.substr(0, msg);
    sv rest = s.substr(msg + 14);
    sv ip = Word(rest);
    if (!IsIp(ip)) return Match::kNo;
    o.Add("source.ip", ip);
    if (Eat(rest, "port ")) {
      sv p = Word(rest);
      if (EndsWith(p, ",")) p.remove_suffix(1);
      if (IsPort(p)) o.Add("source.port", p);
    }
    if (Eat(rest, "transaction ID ")) o.Add("dhcp.transaction_id", Word(rest));
    Network(o, "dhcpv6-" + Lower(type), true);
    return Match::kFull;
  }
  // "Advertise NA: address X to client with duid D iaid = N valid for S seconds"
  size_t na = s.find(" NA: address ");
  if (na == npos) na = s.find(" TA: address ");
  if (na != npos && na < 16) {
    sv type = s.substr(0, na);
    sv rest = s.substr(na + 13);
    sv ip = Word(rest);
    if (!IsIp(ip)) return Match::kNo;
    ClientIp(o, ip);
    if (size_t d = rest.find("duid "); d != npos) {
      sv t = rest.substr(d + 5);
      o.Add("dhcp.client.id", Word(t));
    }
    Network(o, "dhcpv6-" + Lower(type), true);
    return Match::kFull;
  }
  if (Eat(s, "Sending ")) {
    sv type = Word(s);
    if (Eat(s, "to ")) {
      sv ip = Word(s);
      if (IsIp(ip)) {
        o.Add("destination.ip", ip);
        if (Eat(s, "port ")) {
          sv p = Word(s);
          if (IsPort(p)) o.Add("destination.port", p);
        }
        Network(o, "dhcpv6-send-" + Lower(type), true);
        return Match::kFull;
      }
    }
    return Match::kNo;
  }
  // dhclient: "bound to 10.0.0.5 -- renewal in 1234 seconds."
  if (Eat(s, "bound to ")) {
    sv ip = Word(s);
    if (IsIp(ip)) {
      ClientIp(o, ip);
      Network(o, "dhcp-bound", true);
      return Match::kFull;
    }
  }
  return Match::kNo;
}

Match IscMessage(sv m, Out& o) {
  m = Trim(m);
  Match r = IscVerbLine(m, o);
  if (r != Match::kNo) return r;
  o.f.clear();
  r = IscOtherLine(m, o);
  if (r == Match::kNo) o.f.clear();
  return r;
}

// ---------------------------------------------------------------- dnsmasq-dhcp

//! "[TXID ]DHCPVERB(IF) [IP] [MAC|DUID] [hostname | reason]".
Match DnsmasqMessage(sv m, Out& o) {
  m = Trim(m);
  sv s = m;
  sv txid;
  if (!s.empty() && IsDigit(s.front())) {
    txid = Word(s);
    if (!IsDigits(txid)) return Match::kNo;
  }
  if (!StartsWith(s, "DHCP")) return Match::kNo;
  size_t open = s.find('(');
  size_t close = s.find(')');
  if (open == npos || close == npos || close < open || open > 32) return Match::kNo;
  sv verb = s.substr(0, open);
  for (char c : verb) {
    if (!((c >= 'A' && c <= 'Z') || c == '-')) return Match::kNo;
  }
  if (close + 1 < s.size() && s[close + 1] != ' ') return Match::kNo;
  if (!txid.empty()) o.Add("dhcp.transaction_id", txid);
  sv iface = s.substr(open + 1, close - open - 1);
  if (!iface.empty()) o.Add("observer.ingress.interface.name", iface);
  sv rest = TrimL(s.substr(close + 1));
  sv first = rest.substr(0, rest.find(' '));
  if (!first.empty() && NormalizeMac(first).empty() && IsIp(first)) {
    ClientIp(o, first);
    Word(rest);
  }
  first = rest.substr(0, rest.find(' '));
  if (!first.empty()) {
    if (ClientMac(o, first)) {
      Word(rest);
    } else if (first.find(':') != npos && first.size() > 17) {  // DHCPv6 DUID / client id
      bool hex = true;
      for (char c : first) hex = hex && (IsHex(c) || c == ':' || c == '-');
      if (hex) {
        o.Add("dhcp.client.id", first);
        Word(rest);
      }
    }
  }
  rest = Trim(rest);
  bool failed = verb == "DHCPNAK" || verb == "DHCPDECLINE";
  if (!rest.empty()) {
    if (rest.find(' ') != npos || rest == "ignored" || rest == "disabled") {
      o.Add("event.reason", rest);
      failed = true;
    } else {
      o.Add("dhcp.client.hostname", rest);
    }
  }
  Network(o, "dhcp-" + Lower(verb.substr(4)), !failed);
  return Match::kFull;
}

// ---------------------------------------------------------------- Kea

bool IsKeaCodeChar(char c) { return (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_'; }

bool IsKeaCode(sv w) {
  if (!(StartsWith(w, "DHCP4_") || StartsWith(w, "DHCP6_") || StartsWith(w, "DHCPSRV_") || StartsWith(w, "ALLOC_ENGINE_")))
    return false;
  if (w.back() == '_') return false;  // a bare prefix ("DHCP4_") names no message
  for (char c : w) {
    if (!IsKeaCodeChar(c)) return false;
  }
  return true;
}

//! The DHCP message type named in a Kea packet line ("DHCPDISCOVER (type 1)").
sv KeaPacketType(sv text) {
  size_t p = text.find("DHCP");
  while (p != npos) {
    size_t e = p + 4;
    while (e < text.size() && text[e] >= 'A' && text[e] <= 'Z') ++e;
    if (e > p + 4 && text.substr(e, 7) == " (type ") return text.substr(p, e - p);
    p = text.find("DHCP", p + 4);
  }
  return sv();
}

//! [YYYY-MM-DD HH:MM:SS.mmm] [LEVEL] [[logger/pid.tid]] CODE [hwtype=1 MAC], cid=[..], tid=0x..: text
Match KeaMessage(sv m, Out& o) {
  m = Trim(m);
  sv s = m;
  if (s.size() > 20 && IsDigit(s[0]) && s[4] == '-' && s[7] == '-') {
    Word(s);
    Word(s);
  }
  sv level;
  for (sv l : {sv("FATAL"), sv("ERROR"), sv("WARN"), sv("INFO"), sv("DEBUG")}) {
    if (StartsWith(s, l) && s.size() > l.size() && s[l.size()] == ' ') {
      level = l;
      s = TrimL(s.substr(l.size()));
      break;
    }
  }
  if (StartsWith(s, "[")) {
    size_t close = s.find("] ");
    if (close == npos || close > 80) return Match::kNo;
    s = TrimL(s.substr(close + 2));
  }
  sv code = s.substr(0, s.find(' '));
  if (!IsKeaCode(code)) return Match::kNo;
  s = TrimL(s.substr(code.size()));
  o.Add("event.code", code);
  if (!level.empty()) o.Add("log.level", Lower(level));
  // Identification prefix, up to the first ": " after it.
  sv text = s;
  if (size_t hw = s.find("[hwtype="); hw != npos && hw < 200) {
    sv t = s.substr(hw + 8);
    Word(t);  // the type number
    sv mac = t.substr(0, t.find(']'));
    ClientMac(o, mac);
  }
  if (size_t c = s.find("cid=["); c != npos && c < 300) {
    sv t = s.substr(c + 5);
    sv id = t.substr(0, t.find(']'));
    if (id != "no info" && !id.empty()) o.Add("dhcp.client.id", id);
  }
  if (size_t d = s.find("duid=["); d != npos && d < 300) {
    sv t = s.substr(d + 6);
    sv id = t.substr(0, t.find(']'));
    if (id != "no info" && !id.empty()) o.Add("dhcp.client.id", id);
  }
  if (size_t t = s.find("tid="); t != npos && t < 400) {
    sv v = s.substr(t + 4);
    size_t e = 0;
    while (e < v.size() && (IsHex(v[e]) || v[e] == 'x')) ++e;
    if (e) o.Add("dhcp.transaction_id", v.substr(0, e));
    if (size_t colon = v.find(": "); colon != npos) text = v.substr(colon + 2);
  }
  // The leased address: "lease 192.0.2.5 ...", "lease for address 2001:db8::1 ...",
  // "address 192.0.2.5 was released", "Lease 192.0.2.5 has been moved".
  for (sv key : {sv("lease for address "), sv("lease "), sv("Lease "), sv("address ")}) {
    size_t p = text.find(key);
    if (p == npos) continue;
    sv t = text.substr(p + key.size());
    sv ip = Word(t);
    if (EndsWith(ip, ",") || EndsWith(ip, ".")) ip.remove_suffix(1);
    if (IsIp(ip)) {
      ClientIp(o, ip);
      break;
    }
  }
  std::string action;
  bool ok = code.find("FAIL") == npos && code.find("_DROP") == npos && code.find("NAK") == npos;
  if (EndsWith(code, "_LEASE_ALLOC") || code == "DHCP4_LEASE_REUSE" || code == "DHCP6_LEASE_RENEW") action = "dhcp-ack";
  else if (EndsWith(code, "_LEASE_ADVERT")) action = "dhcp-offer";
  else if (StartsWith(code, "DHCP4_RELEASE") || StartsWith(code, "DHCP6_RELEASE")) action = "dhcp-release";
  else if (code.find("DECLINE") != npos) action = "dhcp-decline";
  else if (code.find("NAK") != npos) action = "dhcp-nak";
  else if (code == "DHCP4_INIT_REBOOT") action = "dhcp-request";
  else if (code.find("_PACKET_DROP") != npos) action = "dhcp-drop";
  else if (code.find("_ALLOC_FAIL") != npos) action = "dhcp-no-free-leases";
  else if (code.find("_PACKET_") != npos || code.find("_BUFFER_RECEIVED") != npos || code.find("_QUERY_DATA") != npos) {
    sv type = KeaPacketType(text);
    if (!type.empty()) action = "dhcp-" + Lower(type.substr(4));
  }
  if (level == "ERROR" || level == "FATAL") ok = false;
  Network(o, action, ok);
  return Match::kFull;
}

// ---------------------------------------------------------------- Windows DHCP audit CSV

struct WinId {
  int id;
  sv action;
  bool ok;
};
constexpr WinId kWinIds[] = {
    {0, "log-start", true},           {1, "log-stop", true},
    {2, "log-pause", false},          {10, "dhcp-assign", true},
    {11, "dhcp-renew", true},         {12, "dhcp-release", true},
    {13, "dhcp-conflict", false},     {14, "dhcp-scope-full", false},
    {15, "dhcp-nak", false},          {16, "dhcp-lease-deleted", true},
    {17, "dhcp-lease-expired", true}, {18, "dhcp-lease-expired", true},
    {20, "bootp-assign", true},       {21, "bootp-assign", true},
    {22, "bootp-scope-full", false},  {23, "bootp-deleted", true},
    {24, "ip-cleanup-start", true},   {25, "ip-cleanup-stats", true},
    {30, "dns-update-request", true}, {31, "dns-update-failed", false},
    {32, "dns-update-success", true}, {33, "dhcp-drop-nap", false},
    {34, "dns-update-failed", false}, {35, "dns-update-failed", false},
    {36, "dhcp-drop-standby", false}, {11000, "dhcpv6-solicit", true},
    {11001, "dhcpv6-advertise", true}, {11002, "dhcpv6-request", true},
    {11003, "dhcpv6-confirm", true},  {11004, "dhcpv6-renew", true},
    {11005, "dhcpv6-rebind", true},   {11006, "dhcpv6-decline", false},
    {11007, "dhcpv6-release", true},  {11008, "dhcpv6-information-request", true},
    {11009, "dhcpv6-scope-full", false},
};

bool IsWindowsDhcpPrefix(sv m) {
  // "NN,MM/DD/YY,HH:MM:SS," (year may have 4 digits; ID 2 to 5 digits)
  size_t c1 = m.find(',');
  if (c1 < 2 || c1 > 5 || !IsDigits(m.substr(0, c1))) return false;
  sv d = m.substr(c1 + 1);
  if (d.size() < 18) return false;
  if (!(IsDigit(d[0]) && IsDigit(d[1]) && d[2] == '/' && IsDigit(d[3]) && IsDigit(d[4]) && d[5] == '/')) return false;
  size_t c2 = d.find(',');
  if (c2 != 8 && c2 != 10) return false;
  if (!IsDigits(d.substr(6, c2 - 6))) return false;
  sv t = d.substr(c2 + 1);
  return t.size() >= 9 && IsDigit(t[0]) && IsDigit(t[1]) && t[2] == ':' && IsDigit(t[3]) && IsDigit(t[4]) &&
         t[5] == ':' && IsDigit(t[6]) && IsDigit(t[7]) && t[8] == ',';
}

int ToInt(sv s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

Match WindowsMessage(sv m, Out& o, int64_t* ts) {
  m = Trim(m);
  if (!IsWindowsDhcpPrefix(m)) return Match::kNo;
  std::vector<sv> col;
  size_t b = 0;
  while (col.size() < 24) {
    size_t e = m.find(',', b);
    col.push_back(m.substr(b, e == npos ? npos : e - b));
    if (e == npos) break;
    b = e + 1;
  }
  auto at = [&](size_t i) { return i < col.size() ? Trim(col[i]) : sv(); };
  int id = ToInt(col[0]);
  o.Add("event.code", col[0]);
  sv date = col[1], time = col[2];
  int64_t year = ToInt(date.substr(6));
  if (date.size() == 8) year += 2000;
  unsigned month = ToInt(date.substr(0, 2)), day = ToInt(date.substr(3, 2));
  int hh = ToInt(time.substr(0, 2)), mi = ToInt(time.substr(3, 2)), ss = ToInt(time.substr(6, 2));
  if (month >= 1 && month <= 12 && day >= 1 && day <= 31 && hh < 24 && mi < 60 && ss < 61) {
    *ts = (DaysFromCivil(year, month, day) * 86400 + hh * 3600 + mi * 60 + ss) * kNanosPerSecond;
  }
  if (!at(3).empty()) o.Add("event.reason", at(3));
  bool v6 = id >= 11000;
  if (!at(4).empty() && IsIp(at(4))) ClientIp(o, at(4));
  if (!at(5).empty()) o.Add("dhcp.client.hostname", at(5));
  if (v6) {
    if (!at(6).empty() && at(6) != "0") o.Add("dhcp.error_code", at(6));
    if (!at(8).empty()) o.Add("dhcp.client.id", at(8));
    if (!at(9).empty()) o.Add("user.name", at(9));
    if (!at(11).empty()) o.Add("dhcp.subnet", at(11));
  } else {
    if (sv mac = at(6); !mac.empty()) {
      if (!ClientMac(o, mac)) o.Add("dhcp.client.id", mac);
    }
    if (!at(7).empty()) o.Add("user.name", at(7));
    if (!at(8).empty()) o.Add("dhcp.transaction_id", at(8));
    if (!at(9).empty()) o.Add("dhcp.qresult", at(9));
    if (!at(11).empty()) o.Add("dhcp.correlation_id", at(11));
    if (!at(12).empty()) o.Add("dhcp.dhcid", at(12));
    if (!at(13).empty()) o.Add("dhcp.vendor_class.hex", at(13));
    if (!at(14).empty()) o.Add("dhcp.vendor_class.ascii", at(14));
    if (!at(15).empty()) o.Add("dhcp.user_class.hex", at(15));
    if (!at(16).empty()) o.Add("dhcp.user_class.ascii", at(16));
    if (!at(17).empty()) o.Add("dhcp.relay_agent_information", at(17));
    if (!at(18).empty()) o.Add("dhcp.dns_error_code", at(18));
  }
  sv action;
  bool ok = true;
  for (const auto& w : kWinIds) {
    if (w.id == id) {
      action = w.action;
      ok = w.ok;
    }
  }
  if (action.empty()) {
    if (id >= 50 && id <= 64) action = "rogue-detection";
    else action = v6 ? "dhcpv6-event" : "dhcp-event";
  }
  Network(o, action, ok);
  return Match::kFull;
}

}  // namespace

// ---------------------------------------------------------------- entry points

bool LooksLikeIscDhcp(std::string_view m) {
  m = TrimL(m);
  return StartsWith(m, "DHCPDISCOVER from ") || StartsWith(m, "DHCPOFFER on ") || StartsWith(m, "DHCPREQUEST for ") ||
         StartsWith(m, "DHCPACK on ") || StartsWith(m, "DHCPACK to ") || StartsWith(m, "DHCPNAK on ") ||
         StartsWith(m, "DHCPRELEASE of ") || StartsWith(m, "DHCPDECLINE of ") || StartsWith(m, "DHCPINFORM from ") ||
         StartsWith(m, "BOOTREQUEST from ") || StartsWith(m, "no free leases on ");
}

bool ParseIscDhcp(Event* ev) {
  constexpr sv kPrograms[] = {"dhcpd", "dhcpd6", "dhclient"};
  sv m = MessageOf(*ev);
  Out o;
  Match match = IscMessage(m, o);
  if (match == Match::kNo) {
    if (!ProgramIs(*ev, kPrograms)) return false;
    o.f.clear();
    o.Add("event.category", "network");
    o.Add("event.type", "info");
    match = Match::kGeneric;
  }
  return Finish(ev, o, match, "dhcp.isc");
}

bool LooksLikeDnsmasqDhcp(std::string_view m) {
  m = TrimL(m);
  size_t i = 0;
  while (i < m.size() && IsDigit(m[i])) ++i;
  if (i > 0) {
    if (i >= m.size() || m[i] != ' ') return false;
    ++i;
  }
  m = m.substr(i);
  if (!StartsWith(m, "DHCP")) return false;
  size_t j = 4;
  while (j < m.size() && ((m[j] >= 'A' && m[j] <= 'Z') || m[j] == '-')) ++j;
  return j > 4 && j < m.size() && m[j] == '(';
}

bool ParseDnsmasqDhcp(Event* ev) {
  constexpr sv kPrograms[] = {"dnsmasq-dhcp"};
  sv m = MessageOf(*ev);
  Out o;
  Match match = DnsmasqMessage(m, o);
  if (match == Match::kNo) {
    if (!ProgramIs(*ev, kPrograms)) return false;
    o.f.clear();
    o.Add("event.category", "network");
    o.Add("event.type", "info");
    // "<txid> client provides name: x", "<txid> vendor class: y", ...: keep the transaction id.
    sv s = TrimL(m);
    sv first = s.substr(0, s.find(' '));
    if (IsDigits(first) && first.size() < 12) o.Add("dhcp.transaction_id", first);
    match = Match::kGeneric;
  }
  return Finish(ev, o, match, "dhcp.dnsmasq");
}

bool LooksLikeKeaDhcp(std::string_view m) {
  for (sv key : {sv("DHCP4_"), sv("DHCP6_"), sv("DHCPSRV_")}) {
    size_t p = m.find(key);
    if (p != npos && (p == 0 || m[p - 1] == ' ') && p + key.size() < m.size() && m[p + key.size()] >= 'A' &&
        m[p + key.size()] <= 'Z')
      return true;
  }
  return false;
}

bool ParseKeaDhcp(Event* ev) {
  constexpr sv kPrograms[] = {"kea-dhcp4", "kea-dhcp6"};
  sv m = MessageOf(*ev);
  Out o;
  Match match = KeaMessage(m, o);
  if (match == Match::kNo) {
    if (!ProgramIs(*ev, kPrograms)) return false;
    o.f.clear();
    o.Add("event.category", "network");
    o.Add("event.type", "info");
    match = Match::kGeneric;
  }
  return Finish(ev, o, match, "dhcp.kea");
}

bool LooksLikeWindowsDhcp(std::string_view m) { return IsWindowsDhcpPrefix(TrimL(m)); }

bool ParseWindowsDhcp(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  int64_t ts = 0;
  Match match = WindowsMessage(m, o, &ts);
  if (match == Match::kNo) return false;
  // The CSV time is the server's local time; used (as UTC) only when no envelope gave a time.
  if (ts != 0 && ev->timestamp_ns == ev->ingested_ns) ev->timestamp_ns = ts;
  return Finish(ev, o, match, "dhcp.windows");
}

void RegisterDhcpParsers(ParserRegistry* registry) {
  registry->Register({"dhcp.isc", {"dhcpd", "dhcpd6", "dhclient"}, &LooksLikeIscDhcp, &ParseIscDhcp, nullptr});
  registry->Register({"dhcp.dnsmasq", {"dnsmasq-dhcp"}, &LooksLikeDnsmasqDhcp, &ParseDnsmasqDhcp, nullptr});
  registry->Register({"dhcp.kea", {"kea-dhcp4", "kea-dhcp6"}, &LooksLikeKeaDhcp, &ParseKeaDhcp, nullptr});
  registry->Register({"dhcp.windows", {}, &LooksLikeWindowsDhcp, &ParseWindowsDhcp, nullptr});
}

}  // namespace kamatama
