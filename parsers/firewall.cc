// parsers/firewall.cc: iptables, pfSense filterlog and FortiGate parsers (ASA: firewall_asa.cc).
#include "parsers/firewall.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "parsers/generic/fields.h"
#include "parsers/netlog_util.h"

namespace kamatama {

using namespace netlog;
using toolkit::NormalizeMac;

namespace {

void SetCommon(Event* ev, std::string_view dataset) {
  ev->Set(field::kDataset, dataset);
  ev->Set("event.kind", "event");
  ev->Set("event.category", "network");
}

//! "90:10:20:76:8d:20:90:10:65:29:b6:2a:08:00" -> destination and source MAC in ECS form.
void SetMacs(Event* ev, std::string_view mac) {
  // 14 bytes (dst 6, src 6, ethertype 2) written as 2 hex digits + ':'.
  if (mac.size() < 12 * 3 - 1 || (mac.size() > 35 && mac[35] != ':')) return;
  std::string dst = NormalizeMac(mac.substr(0, 17)), src = NormalizeMac(mac.substr(18, 17));
  if (dst.empty() || src.empty() || mac[17] != ':') return;
  ev->Set("destination.mac", dst);
  ev->Set("source.mac", src);
}

//! A MAC cell of a key=value firewall line, in ECS form (a value that is no MAC is left out).
void SetMac(Event* ev, std::string_view name, std::string_view value) {
  if (std::string mac = NormalizeMac(value); !mac.empty()) ev->Set(name, mac);
}

std::string TransportOfName(std::string_view proto) {
  if (IsAllDigits(proto)) return std::string(TransportOfNumber(proto));
  std::string l = Lower(proto);
  if (l == "icmpv6" || l == "icmp6" || l == "ipv6-icmp") return "ipv6-icmp";
  return l;
}

// ------------------------------------------------------------------ iptables

//! Position of the "IN=" key that starts the netfilter fields, or npos.
size_t FindIptablesStart(std::string_view m) {
  size_t pos = 0;
  while ((pos = m.find("IN=", pos)) != std::string_view::npos) {
    char prev = pos == 0 ? ' ' : m[pos - 1];
    if (prev == ' ' || prev == ']' || prev == ')' || prev == ':' || prev == '>') {
      if (m.find(" OUT=", pos) != std::string_view::npos) return pos;
    }
    pos += 3;
  }
  return std::string_view::npos;
}

std::string_view IptablesAction(std::string_view prefix) {
  std::string u = Upper(prefix);
  if (u.find("DROP") != std::string::npos) return "drop";
  if (u.find("REJECT") != std::string::npos || u.find("DENY") != std::string::npos ||
      u.find("BLOCK") != std::string::npos)
    return "deny";
  if (u.find("ACCEPT") != std::string::npos || u.find("ALLOW") != std::string::npos ||
      u.find("PASS") != std::string::npos || u.find("PERMIT") != std::string::npos)
    return "allow";
  return "";
}

}  // namespace

bool LooksLikeIptables(std::string_view m) {
  return m.find("IN=") != std::string_view::npos && m.find(" OUT=") != std::string_view::npos &&
         m.find("SRC=") != std::string_view::npos && FindIptablesStart(m) != std::string_view::npos;
}

bool ParseIptables(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  if (!msg) return false;
  std::string_view m = *msg;
  const size_t start = FindIptablesStart(m);
  if (start == std::string_view::npos) return false;

  struct Kv {
    std::string_view key, value;
  };
  std::vector<Kv> kvs;
  std::string tcp_flags, frag_flags;
  bool have_in = false, have_out = false, have_src = false;
  std::string_view body = m.substr(start);
  size_t i = 0;
  while (i < body.size()) {
    while (i < body.size() && body[i] == ' ') ++i;
    if (i >= body.size() || body[i] == '[') break;  // nested packet of an ICMP error
    size_t b = i;
    while (i < body.size() && body[i] != ' ') ++i;
    std::string_view tok = body.substr(b, i - b);
    size_t eq = tok.find('=');
    if (eq == std::string_view::npos) {
      static constexpr std::array<std::string_view, 8> kTcp = {"CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN", "FIN"};
      bool is_tcp = false;
      for (auto f : kTcp) is_tcp |= tok == f;
      std::string& dst = is_tcp ? tcp_flags : frag_flags;
      if (is_tcp || tok == "DF" || tok == "MF" || tok == "CE") {
        if (!dst.empty()) dst.push_back(',');
        dst.append(tok);
      }
      continue;
    }
    std::string_view key = tok.substr(0, eq), value = tok.substr(eq + 1);
    bool seen = false;
    for (const auto& kv : kvs) seen |= kv.key == key;
    if (seen) continue;  // first occurrence wins (LEN, ID repeat for UDP/ICMP)
    have_in |= key == "IN";
    have_out |= key == "OUT";
    have_src |= key == "SRC";
    kvs.push_back({key, value});
  }
  if (!have_in || !have_out || !have_src) return false;
  auto get = [&](std::string_view k) -> std::string_view {
    for (const auto& kv : kvs) {
      if (kv.key == k) return kv.value;
    }
    return {};
  };

  // The log prefix: what precedes IN=, minus a "[uptime]" and decoration.
  std::string_view prefix = Trim(m.substr(0, start));
  if (!prefix.empty() && prefix[0] == '[') {
    size_t close = prefix.find(']');
    bool uptime = close != std::string_view::npos && close > 1;
    for (size_t k = 1; uptime && k < close; ++k) uptime = IsDigit(prefix[k]) || prefix[k] == '.' || prefix[k] == ' ';
    if (uptime) prefix = Trim(prefix.substr(close + 1));
  }
  while (!prefix.empty() && prefix.back() == ':') prefix = Trim(prefix.substr(0, prefix.size() - 1));
  if (prefix.size() >= 2 && prefix.front() == '[' && prefix.back() == ']' &&
      prefix.find(']') == prefix.size() - 1)
    prefix = prefix.substr(1, prefix.size() - 2);
  std::string prefix_s(prefix);
  if (prefix_s.empty()) {
    const std::string* prog = ev->Get("process.name");
    if (prog && !EqualsIgnoreCase(*prog, "kernel")) prefix_s = *prog;  // "DENY: IN=..." read as a tag
  }

  SetCommon(ev, "firewall.iptables");
  std::string_view action = IptablesAction(prefix_s);
  // EdgeOS/VyOS: "[RULESET-RULE-A|D|R]".
  std::string_view p = prefix_s;
  if (p.size() > 4 && p[p.size() - 2] == '-' && (p.back() == 'A' || p.back() == 'D' || p.back() == 'R')) {
    std::string_view head = p.substr(0, p.size() - 2);
    size_t dash = head.rfind('-');
    if (dash != std::string_view::npos && dash > 0 && dash + 1 < head.size() &&
        head.find(' ') == std::string_view::npos) {
      ev->Set("rule.ruleset", head.substr(0, dash));
      ev->Set("rule.id", head.substr(dash + 1));
      action = p.back() == 'A' ? "allow" : p.back() == 'D' ? "drop" : "deny";
    }
  }
  SetDecision(ev, action);
  SetIf(ev, "rule.name", prefix_s);
  std::string_view in = get("IN"), out = get("OUT");
  SetIf(ev, "observer.ingress.interface.name", in);
  SetIf(ev, "observer.egress.interface.name", out);
  if (!in.empty() && out.empty()) ev->Set("network.direction", "ingress");
  else if (in.empty() && !out.empty()) ev->Set("network.direction", "egress");
  SetMacs(ev, get("MAC"));
  std::string_view src = get("SRC"), dst = get("DST");
  SetIp(ev, "source.ip", src);
  SetIp(ev, "destination.ip", dst);
  SetNetworkType(ev, src);
  std::string_view proto = get("PROTO");
  if (!proto.empty()) ev->Set("network.transport", TransportOfName(proto));
  SetPort(ev, "source.port", get("SPT"));
  SetPort(ev, "destination.port", get("DPT"));
  SetUint(ev, "iptables.length", get("LEN"));
  SetUint(ev, "iptables.ttl", get("TTL"));
  SetUint(ev, "iptables.ttl", get("HOPLIMIT"));
  SetIf(ev, "iptables.id", get("ID"));
  SetIf(ev, "iptables.tos", get("TOS"));
  SetIf(ev, "iptables.precedence_bits", get("PREC"));
  SetIf(ev, "iptables.flow_label", get("FLOWLBL"));
  SetIf(ev, "iptables.fragment_flags", frag_flags);
  SetIf(ev, "iptables.tcp.flags", tcp_flags);
  SetUint(ev, "iptables.tcp.window", get("WINDOW"));
  SetUint(ev, "iptables.icmp.type", get("TYPE"));
  SetUint(ev, "iptables.icmp.code", get("CODE"));
  SetIf(ev, "iptables.mark", get("MARK"));
  if (src.empty() || !IsIp(src)) ev->Set(field::kErrorMessage, "iptables: SRC is not an IP address");
  return true;
}

// ------------------------------------------------------------------ pfSense filterlog

namespace {

constexpr size_t kMaxCsv = 48;

size_t SplitCsv(std::string_view s, std::array<std::string_view, kMaxCsv>* out) {
  size_t n = 0, b = 0;
  for (size_t i = 0; i <= s.size() && n < kMaxCsv; ++i) {
    if (i == s.size() || s[i] == ',') {
      (*out)[n++] = s.substr(b, i - b);
      b = i + 1;
    }
  }
  return n;
}

}  // namespace

bool LooksLikePfsense(std::string_view m) {
  size_t i = 0;
  while (i < m.size() && IsDigit(m[i])) ++i;
  if (i == 0 || i >= m.size() || m[i] != ',') return false;
  std::string_view head = m.substr(0, 160);
  return head.find(",match,") != std::string_view::npos &&
         (head.find(",pass,") != std::string_view::npos || head.find(",block,") != std::string_view::npos ||
          head.find(",reject,") != std::string_view::npos);
}

bool ParsePfsense(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  if (!msg) return false;
  std::array<std::string_view, kMaxCsv> f;
  const size_t n = SplitCsv(Trim(*msg), &f);
  if (n < 9 || !IsAllDigits(f[0])) return false;
  std::string_view raw_action = f[6], dir = f[7], ver = f[8];
  if (raw_action != "pass" && raw_action != "block" && raw_action != "reject" && raw_action != "match")
    return false;
  if (dir != "in" && dir != "out") return false;
  if (ver != "4" && ver != "6") return false;

  SetCommon(ev, "firewall.pfsense");
  std::string_view action = raw_action == "pass" ? "allow" : raw_action == "match" ? "" : "deny";
  SetDecision(ev, action);
  ev->Set("pfsense.action", raw_action);
  ev->Set("pfsense.rule_number", f[0]);
  SetIf(ev, "pfsense.sub_rule_number", f[1]);
  SetIf(ev, "pfsense.anchor", f[2]);
  SetIf(ev, "rule.id", f[3]);
  SetIf(ev, "pfsense.reason", f[5]);
  ev->Set(dir == "in" ? "observer.ingress.interface.name" : "observer.egress.interface.name", f[4]);
  ev->Set("network.direction", dir == "in" ? "ingress" : "egress");
  ev->Set("network.type", ver == "4" ? "ipv4" : "ipv6");

  size_t rest = 0;
  std::string_view proto_name, proto_id, src, dst;
  if (ver == "4") {
    if (n < 20) {
      ev->Set(field::kErrorMessage, "filterlog: truncated IPv4 record");
      return true;
    }
    SetIf(ev, "pfsense.ip.tos", f[9]);
    SetIf(ev, "pfsense.ip.ecn", f[10]);
    SetUint(ev, "pfsense.ip.ttl", f[11]);
    SetIf(ev, "pfsense.ip.id", f[12]);
    SetIf(ev, "pfsense.ip.offset", f[13]);
    SetIf(ev, "pfsense.ip.flags", f[14]);
    proto_id = f[15];
    proto_name = f[16];
    SetUint(ev, "pfsense.ip.length", f[17]);
    src = f[18];
    dst = f[19];
    rest = 20;
  } else {
    if (n < 17) {
      ev->Set(field::kErrorMessage, "filterlog: truncated IPv6 record");
      return true;
    }
    SetIf(ev, "pfsense.ip.class", f[9]);
    SetIf(ev, "pfsense.ip.flow_label", f[10]);
    SetUint(ev, "pfsense.ip.ttl", f[11]);
    proto_name = f[12];
    proto_id = f[13];
    SetUint(ev, "pfsense.ip.length", f[14]);
    src = f[15];
    dst = f[16];
    rest = 17;
  }
  SetIp(ev, "source.ip", src);
  SetIp(ev, "destination.ip", dst);
  SetUint(ev, "network.iana_number", proto_id);
  std::string transport = TransportOfName(proto_name);
  if (transport.empty()) transport = std::string(TransportOfNumber(proto_id));
  SetIf(ev, "network.transport", transport);
  if (transport == "tcp" || transport == "udp") {
    if (n >= rest + 2) {
      SetPort(ev, "source.port", f[rest]);
      SetPort(ev, "destination.port", f[rest + 1]);
    }
    if (n >= rest + 3) SetUint(ev, "pfsense.data_length", f[rest + 2]);
    if (transport == "tcp" && n >= rest + 4) {
      SetIf(ev, "pfsense.tcp.flags", f[rest + 3]);
      if (n > rest + 4) SetIf(ev, "pfsense.tcp.seq", f[rest + 4]);
      if (n > rest + 5) SetIf(ev, "pfsense.tcp.ack", f[rest + 5]);
      if (n > rest + 6) SetUint(ev, "pfsense.tcp.window", f[rest + 6]);
      if (n > rest + 8) SetIf(ev, "pfsense.tcp.options", f[rest + 8]);
    }
    if (n < rest + 3) ev->Set(field::kErrorMessage, "filterlog: truncated port fields");
  } else if ((transport == "icmp" || transport == "ipv6-icmp") && n > rest) {
    std::string_view t = f[rest];
    if (StartsWith(t, "datalength=")) SetUint(ev, "pfsense.data_length", t.substr(11));
    else SetIf(ev, "pfsense.icmp.type", t);
  }
  if (!IsIp(src) || !IsIp(dst)) ev->Set(field::kErrorMessage, "filterlog: bad address");
  return true;
}

// ------------------------------------------------------------------ FortiGate

namespace {

bool TokenStartAt(std::string_view s, size_t pos) { return pos == 0 || s[pos - 1] == ' '; }

//! Where the FortiOS key=value part starts in `s`, or npos.
size_t FortiKvStart(std::string_view s) {
  static constexpr std::string_view kKeys[] = {"date=", "devname=", "devid=", "logid=", "device_id=", "log_id="};
  size_t best = std::string_view::npos;
  for (auto k : kKeys) {
    size_t pos = 0;
    while ((pos = s.find(k, pos)) != std::string_view::npos) {
      if (TokenStartAt(s, pos)) {
        best = std::min(best, pos);
        break;
      }
      pos += k.size();
    }
  }
  return best;
}

bool FortiShape(std::string_view s) {
  if (s.find("log_component=") != std::string_view::npos || StartsWith(s, "device=\"SFW\"") ||
      s.find(" device=\"SFW\"") != std::string_view::npos)
    return false;  // Sophos XG (SFOS)
  bool id = s.find("logid=") != std::string_view::npos || s.find("log_id=") != std::string_view::npos ||
            s.find("devid=") != std::string_view::npos || s.find("devname=") != std::string_view::npos ||
            s.find("device_id=") != std::string_view::npos;
  return id && s.find("type=") != std::string_view::npos && FortiKvStart(s) != std::string_view::npos;
}

std::string_view FortiCategory(std::string_view type, std::string_view subtype, std::string_view logdesc) {
  if (type == "event") {
    if (subtype == "user") return "authentication";
    if (subtype == "system") {
      return FindIgnoreCase(logdesc, "login") != std::string_view::npos ||
                     FindIgnoreCase(logdesc, "logout") != std::string_view::npos
                 ? "authentication"
                 : "configuration";
    }
    if (subtype == "vpn") return "network";
    return "host";
  }
  if (type == "utm" && (subtype == "ips" || subtype == "anomaly" || subtype == "virus"))
    return "intrusion_detection";
  return "network";
}

}  // namespace

bool LooksLikeFortigate(std::string_view m) { return FortiShape(m); }

bool ParseFortigate(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  std::string_view text;
  if (msg && FortiShape(*msg)) text = *msg;
  else if (FortiShape(ev->original)) text = ev->original;  // header split inside the kv part
  else return false;
  size_t start = FortiKvStart(text);
  // Include a "date=" that precedes the found key if the envelope cut it ("Dec 23 .. date=..").
  if (size_t d = text.find("date="); d != std::string_view::npos && d < start && TokenStartAt(text, d)) start = d;
  std::string_view kvtext = text.substr(start);

  std::vector<std::pair<std::string_view, std::string_view>> kv;
  kv.reserve(64);
  ForEachKv(kvtext, [&](std::string_view k, std::string_view v) { kv.emplace_back(k, v); });
  if (kv.size() < 3) return false;
  auto get = [&](std::string_view k) -> std::string_view {
    for (const auto& [key, v] : kv) {
      if (key == k) return v;
    }
    return {};
  };
  auto get2 = [&](std::string_view a, std::string_view b) {
    std::string_view v = get(a);
    return v.empty() ? get(b) : v;
  };

  ev->Set(field::kDataset, "firewall.fortigate");
  ev->Set("event.kind", "event");
  std::string_view type = get("type"), subtype = get("subtype");
  ev->Set("event.category", FortiCategory(type, subtype, get("logdesc")));
  ev->Set("observer.vendor", "Fortinet");
  ev->Set("observer.product", "FortiGate");
  ev->Set("observer.type", "firewall");

  // Mapped keys; everything else goes to fortinet.firewall.<key>.
  static constexpr std::string_view kMapped[] = {
      "date", "time", "devname", "devid", "device_id", "logid", "log_id", "srcip", "src", "dstip", "dst",
      "srcport", "src_port", "dstport", "dst_port", "srcintf", "dstintf", "src_int", "dst_int", "proto", "action",
      "policyid", "policyname", "poluuid", "sentbyte", "rcvdbyte", "sent", "rcvd", "sentpkt", "rcvdpkt",
      "duration", "user", "level", "pri", "hostname", "url", "catdesc", "logdesc", "service", "direction",
      "srcmac", "dstmac", "status", "agent", "transip", "transport", "tranip", "tranport", "group", "remip", "locip",
      "remport", "locport"};
  for (const auto& [k, v] : kv) {
    bool mapped = false;
    for (auto m : kMapped) mapped |= k == m;
    if (mapped || v.empty()) continue;
    // A log's key never reaches outside the prefix ("." or "a..b" would make an empty segment).
    std::string name = generic::PrefixedName("fortinet.firewall.", k);
    if (!name.empty()) ev->Set(name, v);
  }

  SetIf(ev, "observer.name", get("devname"));
  SetIf(ev, "observer.serial_number", get2("devid", "device_id"));
  SetIf(ev, "event.code", get2("logid", "log_id"));
  SetIf(ev, "log.level", get2("level", "pri"));
  SetIf(ev, "rule.description", get("logdesc"));
  std::string_view src = get2("srcip", "src"), dst = get2("dstip", "dst");
  SetIp(ev, "source.ip", src);
  SetIp(ev, "destination.ip", dst);
  SetNetworkType(ev, src.empty() ? dst : src);
  SetPort(ev, "source.port", get2("srcport", "src_port"));
  SetPort(ev, "destination.port", get2("dstport", "dst_port"));
  SetIp(ev, "source.nat.ip", get("transip"));
  SetPort(ev, "source.nat.port", get("transport"));
  SetIp(ev, "destination.nat.ip", get("tranip"));
  SetPort(ev, "destination.nat.port", get("tranport"));
  SetIf(ev, "observer.ingress.interface.name", get2("srcintf", "src_int"));
  SetIf(ev, "observer.egress.interface.name", get2("dstintf", "dst_int"));
  SetMac(ev, "source.mac", get("srcmac"));
  SetMac(ev, "destination.mac", get("dstmac"));
  if (std::string_view proto = get("proto"); IsAllDigits(proto)) {
    ev->Set("network.iana_number", proto);
    SetIf(ev, "network.transport", TransportOfNumber(proto));
  }
  if (std::string_view svc = get("service"); !svc.empty()) ev->Set("network.protocol", Lower(svc));
  SetIf(ev, "rule.id", get("policyid"));
  SetIf(ev, "rule.name", get("policyname"));
  SetIf(ev, "rule.uuid", get("poluuid"));
  SetIf(ev, "rule.category", get("catdesc"));
  SetUint(ev, "source.bytes", get2("sentbyte", "sent"));
  SetUint(ev, "destination.bytes", get2("rcvdbyte", "rcvd"));
  SetUint(ev, "source.packets", get("sentpkt"));
  SetUint(ev, "destination.packets", get("rcvdpkt"));
  {
    uint64_t a = 0, b = 0;
    bool ha = ParseUint(get2("sentbyte", "sent"), &a), hb = ParseUint(get2("rcvdbyte", "rcvd"), &b);
    if (ha || hb) ev->Set("network.bytes", std::to_string(a + b));
  }
  if (uint64_t d = 0; ParseUint(get("duration"), &d) && d < 10'000'000'000ULL)
    ev->Set("event.duration", std::to_string(d * 1'000'000'000ULL));
  if (std::string_view user = get("user"); !user.empty() && user != "N/A") ev->Set("user.name", user);
  SetIf(ev, "group.name", get("group") == "N/A" ? std::string_view() : get("group"));
  if (std::string_view host = get("hostname"); !host.empty()) ev->Set("url.domain", host);
  if (std::string_view url = get("url"); !url.empty()) {
    ev->Set("url.original", url);
    if (url[0] == '/') SetUrlParts(ev, url);
  }
  std::string_view direction = get("direction");
  if (direction == "outgoing") ev->Set("network.direction", "outbound");
  else if (direction == "incoming") ev->Set("network.direction", "inbound");
  if (!get("remip").empty()) {  // VPN events: remote peer is the source
    SetIp(ev, "source.ip", get("remip"));
    SetPort(ev, "source.port", get("remport"));
    SetIp(ev, "destination.ip", get("locip"));
    SetPort(ev, "destination.port", get("locport"));
  }

  std::string_view raw_action = get("action");
  if (raw_action.empty()) raw_action = get("status");
  std::string_view action = NormaliseAction(raw_action);
  if (!raw_action.empty()) ev->Set("fortinet.firewall.action", raw_action);
  if (type == "traffic" || (type == "utm" && !action.empty())) {
    std::string_view extra = type == "traffic" && action == "allow" && raw_action != "accept" ? "end" : "";
    SetDecision(ev, action, extra);
  } else {
    // event logs: keep the vendor action, outcome from status/action words.
    std::string_view status = get("status");
    std::string outcome = "unknown";
    if (status == "success" || status == "succeeded") outcome = "success";
    else if (status == "failed" || status == "failure" || FindIgnoreCase(raw_action, "fail") != std::string_view::npos)
      outcome = "failure";
    else if (!action.empty()) outcome = action == "allow" ? "success" : "failure";
    if (!raw_action.empty()) ev->Set("event.action", action.empty() ? Lower(raw_action) : std::string(action));
    ev->Set("event.outcome", outcome);
    ev->Set("event.type", type == "event" && subtype == "system" ? "info" : "info");
  }

  // Time: the device's local date/time (+ tz) is the event time.
  std::string_view date = get("date"), time = get("time");
  if (date.size() == 10 && time.size() == 8) {
    std::string iso(date);
    iso.push_back('T');
    iso.append(time);
    iso.push_back('Z');
    if (auto t = ParseRfc3339(iso)) {
      int64_t offset = 0;
      std::string_view tz = get("tz");
      bool has_tz = ParseZoneOffset(tz, &offset);
      if (has_tz || StartsWith(text, "date=") || ev->timestamp_ns == ev->ingested_ns) {
        ev->timestamp_ns = *t - offset * kNanosPerSecond;
        if (has_tz) ev->Set("event.timezone", tz);
      }
    }
  }
  return true;
}

// ------------------------------------------------------------------ registration

void RegisterFirewallParsers(ParserRegistry* registry) {
  registry->Register({"firewall.cisco_asa", {}, &LooksLikeCiscoAsa, &ParseCiscoAsa, nullptr});
  registry->Register({"firewall.fortigate", {}, &LooksLikeFortigate, &ParseFortigate, nullptr});
  registry->Register({"firewall.pfsense", {"filterlog"}, &LooksLikePfsense, &ParsePfsense, nullptr});
  registry->Register({"firewall.iptables", {"kernel"}, &LooksLikeIptables, &ParseIptables, nullptr});
}

}  // namespace kamatama
