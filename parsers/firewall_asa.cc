// parsers/firewall_asa.cc: Cisco ASA / FTD / PIX "%ASA-<sev>-<id>: text" messages.
#include <string>
#include <string_view>

#include "parsers/firewall.h"
#include "parsers/firewall/ftd_events.h"
#include "parsers/netlog_util.h"
#include "parsers/syslog.h"

namespace kamatama {

using namespace netlog;

namespace {

//! Finds "%ASA-", "%FTD-" or "%PIX-" (or "%FTD<...>-") at a token start; npos if absent.
size_t FindAsaMarker(std::string_view s) {
  size_t pos = 0;
  while ((pos = s.find('%', pos)) != std::string_view::npos) {
    std::string_view t = s.substr(pos);
    if ((StartsWith(t, "%ASA") || StartsWith(t, "%FTD") || StartsWith(t, "%PIX")) && t.size() > 4 &&
        (t[4] == '-' || t[4] == '<') &&
        (pos == 0 || s[pos - 1] == ' ' || s[pos - 1] == ':' || s[pos - 1] == '>'))
      return pos;
    ++pos;
  }
  return std::string_view::npos;
}

struct AsaHeader {
  std::string_view product;  // ASA, FTD, PIX
  int severity = -1;
  std::string_view id;
  std::string_view body;
};

//! "%ASA-[session-]6-302013[:] body" (also "%FTD<Up>-4-313005")
bool ParseAsaHeader(std::string_view s, AsaHeader* h) {
  if (s.size() < 12) return false;
  h->product = s.substr(1, 3);
  size_t i = 4;
  if (s[i] == '<') {  // "%FTD<Up>-4-313005", as some FTD versions write it
    const size_t close = s.find(">-", i);
    if (close == std::string_view::npos || close > 24) return false;
    i = close + 1;
  }
  if (s[i] != '-') return false;
  ++i;
  // optional facility word(s) such as "session-"
  while (i < s.size() && !IsDigit(s[i])) {
    size_t dash = s.find('-', i);
    if (dash == std::string_view::npos || dash - i > 16) return false;
    for (size_t k = i; k < dash; ++k) {
      char c = s[k];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) return false;
    }
    i = dash + 1;
  }
  if (i + 2 >= s.size() || !IsDigit(s[i]) || s[i + 1] != '-') return false;
  h->severity = s[i] - '0';
  i += 2;
  size_t b = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i - b < 5 || i - b > 6) return false;
  h->id = s.substr(b, i - b);
  if (i < s.size() && s[i] == ':') ++i;
  if (i < s.size() && s[i] != ' ') return false;
  h->body = Trim(s.substr(i));
  return true;
}

struct Endpoint {
  std::string_view iface, addr, port, user;
  bool found = false;
};

//! Parses an endpoint at the start of `s` ("[iface:]addr[/port][(user)]"), advancing `s`.
Endpoint ReadEndpoint(std::string_view* s) {
  Endpoint e;
  std::string_view t = *s;
  while (!t.empty() && t[0] == ' ') t.remove_prefix(1);
  bool paren = !t.empty() && t[0] == '(';  // "(0.0.0.0)"
  if (paren) t.remove_prefix(1);
  size_t end = 0;
  while (end < t.size() && t[end] != ' ' && t[end] != ',' && t[end] != '(' && t[end] != ')') ++end;
  std::string_view tok = t.substr(0, end);
  t.remove_prefix(end);
  if (paren && !t.empty() && t[0] == ')') t.remove_prefix(1);
  while (!tok.empty() && (tok.back() == ':' || tok.back() == '.')) tok.remove_suffix(1);
  if (tok.empty()) return e;
  std::string_view addr = tok;
  if (size_t slash = tok.rfind('/'); slash != std::string_view::npos) {
    addr = tok.substr(0, slash);
    e.port = tok.substr(slash + 1);
  }
  if (!IsIp(addr)) {
    if (size_t colon = addr.find(':'); colon != std::string_view::npos) {
      e.iface = addr.substr(0, colon);
      addr = addr.substr(colon + 1);
    }
  }
  e.addr = addr;
  // "(LOCAL\user)" glued to the endpoint
  if (!t.empty() && t[0] == '(') {
    size_t close = t.find(')');
    if (close != std::string_view::npos) {
      std::string_view inner = t.substr(1, close - 1);
      if (!IsIp(inner.substr(0, inner.find('/')))) {
        if (StartsWith(inner, "LOCAL\\")) inner.remove_prefix(6);
        e.user = inner;
        t.remove_prefix(close + 1);
      }
    }
  }
  e.found = !e.addr.empty();
  *s = t;
  return e;
}

//! Text after the first occurrence of `word` (matched at a token start), or npos-empty.
bool After(std::string_view s, std::string_view word, std::string_view* out) {
  size_t pos = 0;
  while ((pos = s.find(word, pos)) != std::string_view::npos) {
    if (pos == 0 || s[pos - 1] == ' ') {
      *out = s.substr(pos + word.size());
      return true;
    }
    pos += word.size();
  }
  return false;
}

void SetEndpoint(Event* ev, std::string_view side, const Endpoint& e, bool ingress_iface) {
  if (!e.found) return;
  std::string name(side);
  if (IsIp(e.addr)) ev->Set(name + ".ip", e.addr);
  else ev->Set(name + ".address", e.addr);
  SetPort(ev, name + ".port", e.port);
  if (!e.iface.empty())
    ev->Set(ingress_iface ? "observer.ingress.interface.name" : "observer.egress.interface.name", e.iface);
  if (!e.user.empty() && !ev->Get("user.name")) ev->Set("user.name", e.user);
}

std::string_view ProtoWord(std::string_view w) {
  std::string l = Lower(w);
  if (l == "tcp") return "tcp";
  if (l == "udp") return "udp";
  if (l == "icmp") return "icmp";
  if (l == "icmp6" || l == "icmpv6") return "ipv6-icmp";
  if (l == "gre") return "gre";
  if (l == "esp") return "esp";
  if (l == "sctp") return "sctp";
  return "";
}

//! First protocol word among the first few tokens of `s`.
std::string_view FindProto(std::string_view s) {
  for (int k = 0; k < 8 && !s.empty(); ++k) {
    while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
    size_t e = s.find_first_of(" ,");
    std::string_view w = s.substr(0, e);
    if (auto p = ProtoWord(w); !p.empty()) return p;
    if (e == std::string_view::npos) break;
    s.remove_prefix(e + 1);
  }
  return "";
}

//! "1:23:45" -> ns.
bool ParseHms(std::string_view s, int64_t* ns) {
  while (!s.empty() && (s.back() == '.' || s.back() == ',')) s.remove_suffix(1);
  uint64_t h = 0, m = 0, sec = 0;
  size_t c1 = s.find(':'), c2 = s.rfind(':');
  if (c1 == std::string_view::npos || c1 == c2) return false;
  if (!ParseUint(s.substr(0, c1), &h) || !ParseUint(s.substr(c1 + 1, c2 - c1 - 1), &m) ||
      !ParseUint(s.substr(c2 + 1), &sec) || h > 100'000 || m > 59 || sec > 59)
    return false;
  *ns = static_cast<int64_t>(h * 3600 + m * 60 + sec) * kNanosPerSecond;
  return true;
}

std::string_view Word(std::string_view s) {
  while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  return s.substr(0, s.find(' '));
}

//! Value after "key = " up to " :" or end (AAA messages).
std::string_view AaaValue(std::string_view body, std::string_view key) {
  size_t pos = 0;
  while ((pos = body.find(key, pos)) != std::string_view::npos) {
    std::string_view after = body.substr(pos + key.size());
    if ((pos == 0 || body[pos - 1] == ' ') && StartsWith(after, " = ")) {
      std::string_view v = after.substr(3);
      return Trim(v.substr(0, v.find(" :")));
    }
    pos += key.size();
  }
  return {};
}

//! The account and the address an administrative or AAA message names when no endpoint was
//! read: "User 'admin' executed ...", "Uname: admin", "... from IP 192.0.2.1", "(from 192.0.2.1)".
void SetAccount(Event* ev, std::string_view body, Endpoint* src) {
  std::string_view r;
  if (!ev->Get("user.name")) {
    if (After(body, "User '", &r) && r.find('\'') != std::string_view::npos) ev->Set("user.name", r.substr(0, r.find('\'')));
    else if (After(body, "Uname: ", &r) && !Word(r).empty()) ev->Set("user.name", Word(r));
  }
  if (src->found) return;
  if (After(body, "from IP ", &r) || After(body, "(from ", &r)) {
    std::string_view ip = Word(r);
    while (!ip.empty() && (ip.back() == ',' || ip.back() == ')')) ip.remove_suffix(1);
    if (IsIp(ip)) src->addr = ip, src->found = true;
  }
}

}  // namespace

bool LooksLikeCiscoAsa(std::string_view m) { return FindAsaMarker(m) != std::string_view::npos; }

bool ParseCiscoAsa(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  std::string joined;
  std::string_view text;
  if (msg && FindAsaMarker(*msg) != std::string_view::npos) {
    text = std::string_view(*msg).substr(FindAsaMarker(*msg));
  } else if (const std::string* prog = ev->Get("process.name"); prog && FindAsaMarker(*prog) == 0) {
    joined = *prog + " " + (msg ? *msg : std::string());  // program "%ASA-6-302013", message the text
    text = joined;
  } else {
    return false;
  }
  AsaHeader h;
  if (!ParseAsaHeader(text, &h)) return false;

  ev->Set(field::kDataset, "firewall.cisco_asa");
  ev->Set("event.kind", "event");
  ev->Set("event.category", "network");
  ev->Set("event.code", h.id);
  ev->Set("cisco.asa.message_id", h.id);
  ev->Set("observer.vendor", "Cisco");
  ev->Set("observer.product", h.product);
  ev->Set("observer.type", "firewall");
  ev->Set("log.level", SyslogSeverityName(h.severity));

  const std::string_view id = h.id, body = h.body;
  if (ftd::IsSecurityEvent(id)) {
    ftd::ParseSecurityEvent(ev, id, body);
    return true;
  }
  const std::string_view first = Word(body);
  std::string_view rest;
  std::string_view action;
  std::string_view extra_type;
  bool decision = true;
  Endpoint src, dst;
  std::string_view transport = FindProto(body);

  if (id == "106100") {
    // access-list ACL permitted|denied|est-allowed PROTO IFC/IP(PORT) -> IFC/IP(PORT) hit-cnt N ...
    std::string_view s = body;
    if (After(s, "access-list ", &s)) {
      std::string_view acl = Word(s);
      SetIf(ev, "rule.name", acl);
      s = Trim(s.substr(acl.size()));
      action = NormaliseAction(Word(s));
      s = Trim(s.substr(Word(s).size()));
      transport = ProtoWord(Word(s));
      s = Trim(s.substr(Word(s).size()));
      auto ep = [](std::string_view tok) {
        Endpoint e;
        size_t slash = tok.find('/'), open = tok.find('(');
        if (slash == std::string_view::npos) return e;
        e.iface = tok.substr(0, slash);
        e.addr = tok.substr(slash + 1, open == std::string_view::npos ? std::string_view::npos : open - slash - 1);
        if (open != std::string_view::npos) {
          size_t close = tok.find(')', open);
          if (close != std::string_view::npos) e.port = tok.substr(open + 1, close - open - 1);
        }
        e.found = !e.addr.empty();
        return e;
      };
      src = ep(Word(s));
      std::string_view r;
      if (After(s, "-> ", &r)) dst = ep(Word(r));
    }
  } else if (id == "302020" || id == "302021") {
    // Built|Teardown [inbound|outbound] ICMP connection for faddr A gaddr G laddr L
    std::string_view s;
    Endpoint f, l;
    if (After(body, "faddr ", &s)) f = ReadEndpoint(&s);
    if (After(body, "laddr ", &s)) l = ReadEndpoint(&s);
    bool outbound = body.find(" outbound ") != std::string_view::npos;
    src = outbound ? l : f;
    dst = outbound ? f : l;
    if (!f.found && !l.found && After(body, "from ", &s)) {  // "Teardown ICMP connection 9 from outside:A/22 (..) to inside:B/7"
      src = ReadEndpoint(&s);
      if (After(s, "to ", &s)) dst = ReadEndpoint(&s);
    }
    action = "allow";
    extra_type = first == "Built" ? "start" : "end";
  } else if (id == "304001") {
    // [user@]A[(..)] Accessed URL B:url
    std::string_view s = body;
    std::string_view who = Word(s);
    if (size_t at = who.find('@'); at != std::string_view::npos) {
      ev->Set("user.name", who.substr(0, at));
      s.remove_prefix(at + 1);
    }
    src = ReadEndpoint(&s);
    src.user = {};
    std::string_view r;
    if (After(body, "Accessed URL ", &r)) {
      r = Trim(r);
      size_t colon = r.find(':');
      if (colon != std::string_view::npos) {
        std::string_view ip = r.substr(0, colon);
        if (IsIp(ip)) {
          dst.addr = ip;
          dst.found = true;
        }
        std::string_view url = r.substr(colon + 1);
        SetIf(ev, "url.original", url);
        if (!url.empty()) SetUrlParts(ev, url);
      }
    }
    action = "allow";
  } else if (id == "304002") {
    // Access denied URL u SRC a DEST b on interface i
    std::string_view r;
    if (After(body, "URL ", &r)) {
      std::string_view url = Word(r);
      SetIf(ev, "url.original", url);
      SetUrlParts(ev, url);
    }
    if (After(body, "SRC ", &r)) src = ReadEndpoint(&r);
    if (After(body, "DEST ", &r)) dst = ReadEndpoint(&r);
    action = "deny";
  } else if (StartsWith(id, "113") || id == "611101" || id == "611102" || id == "605004" || id == "605005" ||
             id == "109005" || id == "109006") {
    ev->Set("event.category", "authentication");
    decision = false;
    std::string_view user = AaaValue(body, "user");
    if (user.empty()) user = AaaValue(body, "Uname");
    std::string_view r;
    if (user.empty() && After(body, "for user \"", &r)) user = r.substr(0, r.find('"'));
    if (user.empty() && After(body, "Uname: ", &r)) user = Word(r);
    SetIf(ev, "user.name", user);
    std::string_view ip = AaaValue(body, "user IP");
    if (IsIp(ip)) ev->Set("source.ip", ip);
    std::string_view server = AaaValue(body, "server");
    SetIp(ev, "destination.ip", server);
    if (After(body, "from ", &r)) src = ReadEndpoint(&r);
    if (After(body, " to ", &r)) dst = ReadEndpoint(&r);
    bool ok = body.find("Successful") != std::string_view::npos || body.find("succeeded") != std::string_view::npos ||
              body.find("permitted") != std::string_view::npos;
    bool bad = body.find("Rejected") != std::string_view::npos || body.find("failed") != std::string_view::npos ||
               body.find("denied") != std::string_view::npos;
    ev->Set("event.outcome", ok ? "success" : bad ? "failure" : "unknown");
    ev->Set("event.type", ok ? "start" : "info");
    ev->Set("event.action", body.find("authorization") != std::string_view::npos ? "authorization" : "authentication");
    std::string_view reason = AaaValue(body, "reason");
    SetIf(ev, "event.reason", reason);
  } else {
    std::string_view s;
    bool built = first == "Built", teardown = first == "Teardown";
    if (built || teardown) {
      action = (id == "305011" || id == "305012") ? "" : "allow";
      extra_type = built ? "start" : "end";
    } else if (first == "Deny" || first == "Denied") {
      action = "deny";
    } else if (id == "106001" || id == "710003") {
      action = "deny";
    } else if (id == "710002") {
      action = "allow";
    } else if (id == "710005" || id == "202010") {
      action = "drop";
    } else if (id == "313005") {
      action = "drop";
    } else if (StartsWith(id, "338")) {
      std::string_view verb;
      if (After(body, "Filter ", &verb)) {
        verb = Word(verb);
        action = verb == "dropped" ? "drop" : (verb == "permitted" || verb == "monitored") ? "allow" : "";
      }
    } else if (StartsWith(id, "421")) {
      action = body.find(" is dropped") != std::string_view::npos ? "drop" : "";
    } else {
      decision = body.find(" from ") != std::string_view::npos && body.find(" to ") != std::string_view::npos;
    }
    if (After(body, "src ", &s)) {
      src = ReadEndpoint(&s);
      if (After(s, "dst ", &s)) dst = ReadEndpoint(&s);
    } else if ((built || teardown) && After(body, "for ", &s)) {
      src = ReadEndpoint(&s);
      if (After(s, "to ", &s)) dst = ReadEndpoint(&s);
      if (built && body.find(" outbound ") != std::string_view::npos) std::swap(src, dst);
    } else if (After(body, "from ", &s)) {
      if (StartsWith(s, "laddr ")) s.remove_prefix(6);
      if (StartsWith(s, "IP ")) s.remove_prefix(3);  // 111010: "running 'CLI' from IP 192.0.2.46, executed ..."
      src = ReadEndpoint(&s);
      if (After(s, "to ", &s)) dst = ReadEndpoint(&s);
    }
    if (id == "305011" || id == "305012") {  // NAT: translated address of the source
      if (IsIp(dst.addr)) ev->Set("source.nat.ip", dst.addr);
      SetPort(ev, "source.nat.port", dst.port);
      if (!dst.iface.empty()) ev->Set("observer.egress.interface.name", dst.iface);
      dst = Endpoint{};
      ev->Set("event.action", built ? "translation-built" : "translation-teardown");
    }
    if (teardown) {
      std::string_view r;
      if (After(body, "duration ", &r)) {
        int64_t ns = 0;
        if (ParseHms(Word(r), &ns)) ev->Set("event.duration", std::to_string(ns));
      }
      if (After(body, "bytes ", &r)) SetUint(ev, "network.bytes", Word(r));
    }
    if (src.found && (StartsWith(body, "Inbound ") || body.find(" inbound ") != std::string_view::npos))
      ev->Set("network.direction", "inbound");
    else if (src.found && (StartsWith(body, "Outbound ") || body.find(" outbound ") != std::string_view::npos))
      ev->Set("network.direction", "outbound");
    std::string_view r;
    if (After(body, "access-group \"", &r)) ev->Set("rule.name", r.substr(0, r.find('"')));
    if (After(body, "on interface ", &r) && src.iface.empty()) {
      std::string_view ifc = Word(r);
      SetIf(ev, "observer.ingress.interface.name", ifc);
    }
    if (id == "106010" && transport.empty() && After(body, "protocol ", &r))
      transport = TransportOfNumber(Word(r));
  }

  SetAccount(ev, body, &src);
  SetEndpoint(ev, "source", src, true);
  SetEndpoint(ev, "destination", dst, false);
  if (src.found && IsIp(src.addr)) SetNetworkType(ev, src.addr);
  else if (dst.found) SetNetworkType(ev, dst.addr);
  SetIf(ev, "network.transport", transport);
  if (decision) SetDecision(ev, action, extra_type);
  else if (!ev->Get("event.outcome")) {
    ev->Set("event.outcome", "unknown");
    ev->Set("event.type", "info");
  }
  if (!ev->Get("event.action")) ev->Set("event.action", std::string("message-") + std::string(id));
  return true;
}

}  // namespace kamatama
