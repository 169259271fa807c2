// parsers/dns.cc: BIND, dnsmasq, Unbound, Windows DNS debug log and Suricata EVE dns (see dns.h).
#include "parsers/dns.h"

#include <simdjson.h>

#include <cmath>
#include <string>

#include "core/json.h"
#include "core/tokenize.h"
#include "parsers/mail_dns_scan.h"

namespace kamatama {

using namespace scan;

namespace {

void Base(Fields* f, std::string_view dataset) {
  f->S("event.dataset", dataset);
  f->S("event.kind", "event");
  f->S("event.category", "network");
  f->S("event.type", "protocol");
  f->S("network.protocol", "dns");
}
void Act(Fields* f, std::string_view action, std::string_view outcome) {
  f->S("event.action", action);
  f->S("event.outcome", outcome);
}
std::string_view StripDot(std::string_view n) {
  if (n.size() > 1 && n.back() == '.') n.remove_suffix(1);
  return n;
}
bool IsLevel(std::string_view w) {
  return w == "info" || w == "error" || w == "warning" || w == "notice" || w == "debug" || w == "critical" ||
         w == "debug 1" || w == "debug 2" || w == "debug 3";
}

// ------------------------------------------------------------------------------ BIND

// "client [@0xADDR ]IP#PORT" at s[p]; returns the end of the port and sets ip/port.
size_t BindClientAt(std::string_view s, size_t p, std::string_view* ip, std::string_view* port) {
  std::string_view t = s.substr(p);
  if (!Consume(&t, "client ")) return std::string_view::npos;
  if (StartsWith(t, "@0x")) {
    std::string_view a = Span(t.substr(3), IsHex);
    t.remove_prefix(3 + a.size());
    if (!Consume(&t, " ")) return std::string_view::npos;
  }
  size_t hash = t.find('#');
  if (hash == std::string_view::npos || hash > 45) return std::string_view::npos;
  std::string_view a = t.substr(0, hash);
  std::string_view pt = Span(t.substr(hash + 1), IsDigit);
  if (!IsIp(a) || pt.empty()) return std::string_view::npos;
  *ip = a;
  *port = pt;
  return s.size() - t.size() + hash + 1 + pt.size();
}

size_t FindBindClient(std::string_view s, std::string_view* ip, std::string_view* port, size_t* at) {
  size_t from = 0;
  for (int n = 0; n < 4; ++n) {
    size_t p = FindKey(s, "client ", from);
    if (p == std::string_view::npos || p > 240) return std::string_view::npos;
    size_t e = BindClientAt(s, p, ip, port);
    if (e != std::string_view::npos) {
      *at = p;
      return e;
    }
    from = p + 1;
  }
  return std::string_view::npos;
}

// "DD-Mon-YYYY HH:MM:SS.mmm"
bool BindTime(std::string_view s, int64_t* ns, size_t* len) {
  size_t i = 0;
  int d, y;
  if (!Digits(s, &i, 2, &d) || i >= s.size() || s[i] != '-') return false;
  int mo = MonthIndex(s.substr(i + 1, 3));
  i += 4;
  if (!mo || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!Digits(s, &i, 4, &y) || i >= s.size() || s[i] != ' ' || y < 1970 || y > 2200 || d < 1 || d > 31)
    return false;
  ++i;
  int64_t t;
  if (!ClockTime(s, &i, &t)) return false;
  *ns = CivilNs(y, mo, d) + t;
  *len = i;
  return true;
}

// 'name/type/class' or 'name/class'
void BindQuestion(Fields* f, std::string_view q) {
  size_t s2 = q.rfind('/');
  if (s2 == std::string_view::npos) return;
  size_t s1 = s2 > 0 ? q.rfind('/', s2 - 1) : std::string_view::npos;
  if (s1 == std::string_view::npos) {
    f->S("dns.question.name", StripDot(q.substr(0, s2)));
    f->S("dns.question.class", q.substr(s2 + 1));
  } else {
    f->S("dns.question.name", StripDot(q.substr(0, s1)));
    f->S("dns.question.type", q.substr(s1 + 1, s2 - s1 - 1));
    f->S("dns.question.class", q.substr(s2 + 1));
  }
}
std::string_view Quoted(std::string_view s) {
  size_t a = s.find('\'');
  if (a == std::string_view::npos) return {};
  size_t b = s.find('\'', a + 1);
  if (b == std::string_view::npos) return {};
  return s.substr(a + 1, b - a - 1);
}

bool IsBindProgram(const Event& ev) {
  const std::string* p = ev.Get("process.name");
  return p && (*p == "named" || *p == "bind" || *p == "bind9" || StartsWith(*p, "named-"));
}

}  // namespace

bool LooksLikeBind(std::string_view m) {
  std::string_view ip, port;
  size_t at;
  return FindBindClient(m, &ip, &port, &at) != std::string_view::npos;
}

bool ParseBind(Event* ev) {
  const std::string* msgp = ev->Get(field::kMessage);
  if (!msgp) return false;
  std::string_view m = *msgp;
  std::string_view ip, port;
  size_t at = 0;
  size_t end = FindBindClient(m, &ip, &port, &at);
  if (end == std::string_view::npos && !IsBindProgram(*ev)) return false;

  Fields f;
  Base(&f, "dns.bind");
  // the head before "client": [host named[pid]: ][DD-Mon-YYYY time ][category: ][severity: ]
  std::string_view head = end == std::string_view::npos ? m : m.substr(0, at);
  {
    size_t np = head.find("named[");
    if (np != std::string_view::npos) {
      size_t c = head.find("]: ", np);
      if (c != std::string_view::npos) head.remove_prefix(c + 3);
    }
  }
  int64_t ts = 0;
  size_t len = 0;
  bool has_ts = BindTime(head, &ts, &len);
  if (has_ts) head = head.substr(len);
  while (!head.empty() && head.front() == ' ') head.remove_prefix(1);
  for (int k = 0; k < 3; ++k) {
    size_t c = head.find(": ");
    if (c == std::string_view::npos || c > 24) break;
    std::string_view w = head.substr(0, c);
    bool word = !w.empty() && w.find(' ') == std::string_view::npos;
    if (!word && !StartsWith(w, "debug ")) break;
    if (IsLevel(w)) f.S("log.level", w);
    else f.S("bind.category", w);
    head.remove_prefix(c + 2);
  }
  if (end == std::string_view::npos) {
    Act(&f, "log", "unknown");
    std::string_view q = Quoted(m);
    if (StartsWith(head, "zone ")) f.S("dns.question.name", StripDot(Until(Until(head.substr(5), '/'), ':')));
    else if (!q.empty()) BindQuestion(&f, q);
    f.Commit(ev);
    if (has_ts && NoEnvelope(*ev, m)) ev->timestamp_ns = ts;
    return true;
  }
  f.S("source.ip", ip);
  f.S("source.port", port);
  std::string_view b = m.substr(end);
  if (StartsWith(b, " (")) {
    size_t rp = b.find("): ");
    if (rp != std::string_view::npos) {
      f.S("dns.question.name", StripDot(b.substr(2, rp - 2)));
      b.remove_prefix(rp + 1);
    }
  }
  Consume(&b, ":");
  b = Trim(b);
  if (StartsWith(b, "view ")) {
    size_t c = b.find(": ");
    if (c != std::string_view::npos) {
      f.S("bind.view", b.substr(5, c - 5));
      b.remove_prefix(c + 2);
    }
  }
  const bool denied = b.find(" denied") != std::string_view::npos;
  if (StartsWith(b, "query: ")) {
    // query: NAME CLASS TYPE FLAGS (SERVER)
    std::string_view t = b.substr(7);
    std::string_view parts[5];
    size_t n = 0;
    while (n < 5 && !t.empty()) {
      std::string_view w = Until(t, ' ');
      parts[n++] = w;
      t.remove_prefix(std::min(t.size(), w.size() + 1));
    }
    if (n >= 3) {
      f.S("dns.question.name", StripDot(parts[0]));
      f.S("dns.question.class", parts[1]);
      f.S("dns.question.type", parts[2]);
    }
    if (n >= 4) {
      f.S("bind.query_flags", parts[3]);
      if (!parts[3].empty() && parts[3][0] == '+') f.S("dns.header_flags", "RD");
    }
    if (n >= 5 && parts[4].size() > 2 && parts[4].front() == '(' && parts[4].back() == ')') {
      std::string_view srv = parts[4].substr(1, parts[4].size() - 2);
      if (IsIp(srv)) f.S("destination.ip", srv);
    }
    f.S("dns.type", "query");
    Act(&f, "query", "success");
  } else if (StartsWith(b, "query")) {
    BindQuestion(&f, Quoted(b));
    if (StartsWith(b, "query failed (")) {
      f.S("dns.response_code", Until(b.substr(14), ')'));
      Act(&f, "query-failed", "failure");
    } else {
      Act(&f, denied ? "query-denied" : "query", denied ? "failure" : "unknown");
    }
  } else if (StartsWith(b, "zone transfer ")) {
    BindQuestion(&f, Quoted(b));
    Act(&f, denied ? "zone-transfer-denied" : "zone-transfer", denied ? "failure" : "unknown");
  } else if (StartsWith(b, "bad zone transfer request")) {
    BindQuestion(&f, Quoted(b));
    size_t lp = b.rfind('(');
    if (lp != std::string_view::npos && b.back() == ')') f.S("dns.response_code", b.substr(lp + 1, b.size() - lp - 2));
    Act(&f, "zone-transfer-bad-request", "failure");
  } else if (StartsWith(b, "transfer of ")) {
    BindQuestion(&f, Quoted(b));
    Act(&f, "zone-transfer", b.find("failed") != std::string_view::npos ? "failure" : "success");
  } else if (StartsWith(b, "update ") || StartsWith(b, "updating zone ")) {
    BindQuestion(&f, Quoted(b));
    Act(&f, denied ? "update-denied" : "update", denied ? "failure" : "unknown");
  } else if (StartsWith(b, "notify")) {
    BindQuestion(&f, Quoted(b));
    Act(&f, denied ? "notify-denied" : "notify", denied ? "failure" : "unknown");
  } else {
    Act(&f, denied ? "denied" : "log", denied ? "failure" : "unknown");
  }
  if (denied) f.S("event.type", "denied");
  f.Commit(ev);
  if (has_ts && NoEnvelope(*ev, m)) ev->timestamp_ns = ts;
  return true;
}

// ------------------------------------------------------------------------------ dnsmasq

namespace {
void SetAnswer(Fields* f, std::string_view data) {
  f->S("dns.answers", data);
  if (IsIp(data)) {
    f->S("dns.resolved_ip", data);
    f->S("dns.response_code", "NOERROR");
  } else if (data == "NXDOMAIN") {
    f->S("dns.response_code", "NXDOMAIN");
  } else if (StartsWith(data, "NODATA")) {
    f->S("dns.response_code", "NOERROR");
  } else if (data == "SERVFAIL" || data == "REFUSED") {
    f->S("dns.response_code", data);
  }
}
}  // namespace

bool ParseDnsmasq(Event* ev) {
  const std::string* msgp = ev->Get(field::kMessage);
  const std::string* prog = ev->Get("process.name");
  if (!msgp || !prog || !EqualsIgnoreCase(*prog, "dnsmasq")) return false;
  std::string_view b = *msgp;
  Fields f;
  Base(&f, "dns.dnsmasq");
  // log-queries=extra: "SERIAL IP/PORT "
  {
    std::string_view serial = Span(b, IsDigit);
    if (!serial.empty() && serial.size() < b.size() && b[serial.size()] == ' ') {
      std::string_view t = b.substr(serial.size() + 1);
      std::string_view ep = Until(t, ' ');
      size_t slash = ep.rfind('/');
      if (slash != std::string_view::npos && IsIp(ep.substr(0, slash)) && AllDigits(ep.substr(slash + 1))) {
        f.S("dnsmasq.serial", serial);
        f.S("source.ip", ep.substr(0, slash));
        f.S("source.port", ep.substr(slash + 1));
        b = t.substr(std::min(t.size(), ep.size() + 1));
      }
    }
  }
  std::string_view verb = Until(b, ' ');
  std::string_view t = b.substr(std::min(b.size(), verb.size() + 1));
  std::string_view name = Until(t, ' ');
  std::string_view rest = t.substr(std::min(t.size(), name.size() + 1));
  if (StartsWith(verb, "query[") && verb.back() == ']') {
    f.S("dns.question.type", verb.substr(6, verb.size() - 7));
    f.S("dns.question.name", StripDot(name));
    f.S("dns.type", "query");
    if (Consume(&rest, "from ") && IsIp(Trim(rest))) f.S("source.ip", Trim(rest));
    Act(&f, "query", "success");
  } else if (verb == "forwarded" || verb == "dnssec-query" || StartsWith(verb, "dnssec-query[")) {
    f.S("dns.question.name", StripDot(name));
    if (Consume(&rest, "to ") && IsIp(Trim(rest))) f.S("destination.ip", Trim(rest));
    Act(&f, verb == "forwarded" ? "forwarded" : "dnssec-query", "success");
  } else if ((verb == "reply" || verb == "cached" || verb == "config" || StartsWith(verb, "/")) &&
             StartsWith(rest, "is ")) {
    f.S("dns.question.name", StripDot(name));
    f.S("dns.type", "answer");
    SetAnswer(&f, Trim(rest.substr(3)));
    if (StartsWith(verb, "/")) {
      f.S("dnsmasq.hosts_file", verb);
      Act(&f, "hosts", "success");
    } else {
      Act(&f, verb, "success");
    }
  } else if (verb == "validation" || verb == "secure" || verb == "insecure") {
    Act(&f, "validation", "unknown");
  } else {
    Act(&f, "log", "unknown");
  }
  f.Commit(ev);
  return true;
}

// ------------------------------------------------------------------------------ Unbound

bool ParseUnbound(Event* ev) {
  const std::string* msgp = ev->Get(field::kMessage);
  const std::string* prog = ev->Get("process.name");
  if (!msgp || !prog || !EqualsIgnoreCase(*prog, "unbound")) return false;
  std::string_view b = *msgp;
  Fields f;
  Base(&f, "dns.unbound");
  if (StartsWith(b, "[")) {
    size_t rb = b.find("] ");
    if (rb != std::string_view::npos && rb < 24) {
      std::string_view id = b.substr(1, rb - 1);
      size_t c = id.find(':');
      if (c != std::string_view::npos) f.S("unbound.thread", id.substr(c + 1));
      b.remove_prefix(rb + 2);
    }
  }
  std::string_view level;
  {
    size_t c = b.find(": ");
    if (c != std::string_view::npos && c < 12 && Span(b, IsAlpha).size() == c) {
      level = b.substr(0, c);
      f.S("log.level", level);
      b.remove_prefix(c + 2);
    }
  }
  // query log "IP NAME. TYPE CLASS" / reply log "IP NAME. TYPE CLASS RCODE TIME CACHED SIZE"
  std::string_view w[8];
  size_t n = 0;
  for (std::string_view t = b; n < 8 && !t.empty();) {
    std::string_view x = Until(t, ' ');
    w[n++] = x;
    t.remove_prefix(std::min(t.size(), x.size() + 1));
  }
  if (level == "info" && n >= 4 && IsIp(w[0]) && !w[1].empty() && w[1].back() == '.' && w[2].size() <= 10) {
    f.S("source.ip", w[0]);
    f.S("dns.question.name", StripDot(w[1]));
    f.S("dns.question.type", w[2]);
    f.S("dns.question.class", w[3]);
    if (n >= 5) {
      f.S("dns.type", "answer");
      f.S("dns.response_code", w[4]);
      Act(&f, "reply", w[4] == "NOERROR" ? "success" : "failure");
    } else {
      f.S("dns.type", "query");
      Act(&f, "query", "success");
    }
  } else if (StartsWith(b, "server stats")) {
    Act(&f, "stats", "unknown");
  } else {
    Act(&f, "log", "unknown");
  }
  f.Commit(ev);
  return true;
}

// ------------------------------------------------------------------------------ Windows DNS

namespace {

struct WinDns {
  int64_t ts = 0;
  std::string_view thread, proto, dir, ip, xid, opcode, flags_hex, flag_chars, rcode, qtype, qname;
  bool response = false;
};

std::string_view NextWord(std::string_view* s) {
  size_t i = 0;
  while (i < s->size() && (*s)[i] == ' ') ++i;
  size_t b = i;
  while (i < s->size() && (*s)[i] != ' ') ++i;
  std::string_view w = s->substr(b, i - b);
  s->remove_prefix(i);
  return w;
}

// "M/D/YYYY h:mm:ss [AM|PM] THREAD PACKET  ADDR PROTO DIR IP XID [R] OPCODE [FLAGS CHARS RCODE] TYPE NAME"
bool ParseWinDns(std::string_view s, WinDns* w) {
  std::string_view date = NextWord(&s);
  int mo = 0, d = 0, y = 0;
  {
    size_t i = 0;
    auto num = [&](int* v, size_t maxd) {
      size_t b = i;
      *v = 0;
      while (i < date.size() && IsDigit(date[i]) && i - b < maxd) *v = *v * 10 + (date[i++] - '0');
      return i > b;
    };
    if (!num(&mo, 2) || i >= date.size() || date[i++] != '/' || !num(&d, 2) || i >= date.size() ||
        date[i++] != '/' || !num(&y, 4) || i != date.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || y > 2200)
      return false;
  }
  std::string_view tm = NextWord(&s);
  size_t ti = 0;
  int64_t t;
  if (!ClockTime(tm, &ti, &t) || ti != tm.size()) return false;
  std::string_view x = NextWord(&s);
  if (x == "AM" || x == "PM") {
    int64_t h = t / (3600 * kNanosPerSecond);
    if (h == 12) t -= 12 * 3600 * kNanosPerSecond;
    if (x == "PM") t += 12 * 3600 * kNanosPerSecond;
    x = NextWord(&s);
  }
  w->ts = CivilNs(y, mo, d) + t;
  w->thread = x;
  if (x.empty() || Span(x, IsHex).size() != x.size()) return false;
  if (NextWord(&s) != "PACKET") return false;
  NextWord(&s);  // internal packet address
  w->proto = NextWord(&s);
  w->dir = NextWord(&s);
  if ((w->proto != "UDP" && w->proto != "TCP") || (w->dir != "Rcv" && w->dir != "Snd")) return false;
  w->ip = NextWord(&s);
  if (!IsIp(w->ip)) return false;
  w->xid = NextWord(&s);
  if (w->xid.empty() || w->xid.size() > 4 || Span(w->xid, IsHex).size() != w->xid.size()) return false;
  std::string_view op = NextWord(&s);
  if (op == "R") {
    w->response = true;
    op = NextWord(&s);
  }
  w->opcode = op;
  size_t lb = s.find('[');
  size_t rb = s.find(']');
  if (lb == std::string_view::npos || rb == std::string_view::npos || rb < lb) return false;
  std::string_view in = s.substr(lb + 1, rb - lb - 1);
  // [HEX flag-chars RCODE]: the flag characters sit in fixed columns, spaces between them
  w->flags_hex = NextWord(&in);
  std::string_view body = Trim(in);
  size_t sp = body.rfind(' ');
  w->rcode = sp == std::string_view::npos ? body : body.substr(sp + 1);
  w->flag_chars = sp == std::string_view::npos ? std::string_view() : body.substr(0, sp);
  s.remove_prefix(rb + 1);
  w->qtype = NextWord(&s);
  w->qname = NextWord(&s);
  return true;
}

// "(7)example(3)com(0)" -> "example.com"
std::string WireName(std::string_view q) {
  std::string out;
  size_t i = 0;
  while (i < q.size()) {
    if (q[i] == '(') {
      size_t r = q.find(')', i);
      if (r == std::string_view::npos) break;
      i = r + 1;
      size_t e = q.find('(', i);
      std::string_view label = q.substr(i, e == std::string_view::npos ? q.size() - i : e - i);
      if (!label.empty()) {
        if (!out.empty()) out += '.';
        out.append(label);
      }
      i = e == std::string_view::npos ? q.size() : e;
    } else {
      out += q[i++];
    }
  }
  return out.empty() ? std::string(".") : out;
}

}  // namespace

bool LooksLikeWindowsDns(std::string_view m) {
  if (m.size() < 30 || !IsDigit(m[0]) || m.find(" PACKET ") == std::string_view::npos) return false;
  WinDns w;
  return ParseWinDns(m, &w);
}

bool ParseWindowsDns(Event* ev) {
  const std::string* msgp = ev->Get(field::kMessage);
  if (!msgp) return false;
  std::string_view m = *msgp;
  WinDns w;
  if (!ParseWinDns(m, &w)) return false;
  Fields f;
  Base(&f, "dns.windows");
  f.S("network.transport", w.proto == "UDP" ? "udp" : "tcp");
  f.S("network.direction", w.dir == "Rcv" ? "inbound" : "outbound");
  // The remote is the client for received queries and sent responses, else an upstream server.
  bool client = (w.dir == "Rcv") != w.response;
  f.S(client ? "source.ip" : "destination.ip", w.ip);
  unsigned id = 0;
  for (char c : w.xid) id = id * 16 + static_cast<unsigned>(IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
  f.S("dns.id", std::to_string(id));
  f.S("dns.type", w.response ? "answer" : "query");
  f.S("dns.op_code", w.opcode == "Q" ? std::string_view("QUERY") : w.opcode == "N" ? std::string_view("NOTIFY")
                                                                  : w.opcode == "U" ? std::string_view("UPDATE")
                                                                                    : w.opcode);
  std::string flags;
  for (char c : w.flag_chars) {
    const char* n = c == 'A' ? "AA" : c == 'T' ? "TC" : c == 'D' ? "RD" : c == 'R' ? "RA" : nullptr;
    if (!n) continue;
    if (!flags.empty()) flags += ',';
    flags += n;
  }
  f.S("dns.header_flags", flags);
  f.S("dns.question.type", w.qtype);
  f.S("dns.question.name", WireName(w.qname));
  f.S("windows.dns.thread_id", w.thread);
  if (w.response) {
    f.S("dns.response_code", w.rcode);
    Act(&f, "answer", w.rcode == "NOERROR" ? "success" : "failure");
  } else {
    Act(&f, "query", "success");
  }
  f.Commit(ev);
  if (NoEnvelope(*ev, m)) ev->timestamp_ns = w.ts;
  return true;
}

// ------------------------------------------------------------------------------ Suricata

bool ClaimsSuricataDns(const Event& ev) {
  const std::string* t = ev.Get("event_type");
  return t && *t == "dns" && ev.Get("dns.type");
}

namespace {
void AppendAnswer(std::string* out, std::string_view name, std::string_view type, std::string_view ttl,
                  std::string_view data) {
  out->push_back(out->empty() ? '[' : ',');
  out->append("{\"name\":");
  AppendJsonString(out, name);
  out->append(",\"type\":");
  AppendJsonString(out, type);
  if (!ttl.empty() && AllDigits(ttl)) {
    out->append(",\"ttl\":");
    out->append(ttl);
  }
  out->append(",\"data\":");
  AppendJsonString(out, data);
  out->push_back('}');
}
void AddResolved(std::string* ips, std::string_view type, std::string_view data) {
  if ((type != "A" && type != "AAAA") || !IsIp(data)) return;
  // no duplicates
  std::string_view all = *ips;
  for (size_t p = 0; p <= all.size();) {
    size_t e = all.find(',', p);
    if (all.substr(p, e == std::string_view::npos ? all.size() - p : e - p) == data) return;
    if (e == std::string_view::npos) break;
    p = e + 1;
  }
  if (!ips->empty()) ips->push_back(',');
  ips->append(data);
}
}  // namespace

bool ParseSuricataDns(Event* ev) {
  if (!ClaimsSuricataDns(*ev)) return false;
  auto get = [&](std::string_view k) -> std::string_view {
    const std::string* v = ev->Get(k);
    return v ? std::string_view(*v) : std::string_view();
  };
  Fields f;
  Base(&f, "dns.suricata");
  f.S("source.ip", get("src_ip"));
  f.S("source.port", get("src_port"));
  f.S("destination.ip", get("dest_ip"));
  f.S("destination.port", get("dest_port"));
  f.S("network.transport", ToLower(get("proto")));
  std::string_view type = get("dns.type");
  f.S("dns.question.name", get("dns.rrname"));
  f.S("dns.question.type", get("dns.rrtype"));
  f.S("dns.response_code", get("dns.rcode"));
  std::string flags;
  for (auto [k, n] : {std::pair{"dns.aa", "AA"}, {"dns.tc", "TC"}, {"dns.rd", "RD"}, {"dns.ra", "RA"},
                      {"dns.z", "Z"}, {"dns.ad", "AD"}, {"dns.cd", "CD"}}) {
    if (get(k) == "true") {
      if (!flags.empty()) flags += ',';
      flags += n;
    }
  }
  f.S("dns.header_flags", flags);
  std::string answers, ips;
  if (type == "answer") {
    std::string_view raw = get("dns.answers");
    if (!raw.empty()) {
      // EVE v2: an array of {rrname, rrtype, ttl, rdata}
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      if (!parser.parse(raw.data(), raw.size()).get(doc)) {
        simdjson::dom::array arr;
        if (!doc.get_array().get(arr)) {
          for (simdjson::dom::element a : arr) {
            std::string_view n, t, d;
            int64_t ttl = -1;
            if (a["rrname"].get_string().get(n)) {}
            if (a["rrtype"].get_string().get(t)) {}
            if (a["rdata"].get_string().get(d)) {}
            if (a["ttl"].get_int64().get(ttl)) {}
            AppendAnswer(&answers, n, t, ttl >= 0 ? std::to_string(ttl) : std::string(), d);
            AddResolved(&ips, t, d);
          }
        }
      }
    } else if (!get("dns.rdata").empty()) {
      // EVE v1: one answer per event
      AppendAnswer(&answers, get("dns.rrname"), get("dns.rrtype"), get("dns.ttl"), get("dns.rdata"));
      AddResolved(&ips, get("dns.rrtype"), get("dns.rdata"));
    }
    if (!answers.empty()) answers.push_back(']');
    std::string_view rc = get("dns.rcode");
    Act(&f, "answer", rc.empty() || rc == "NOERROR" ? "success" : "failure");
  } else {
    Act(&f, type.empty() ? std::string_view("log") : type, "success");
  }
  f.Commit(ev);
  if (!answers.empty()) ev->Set("dns.answers", answers);
  if (!ips.empty()) ev->Set("dns.resolved_ip", ips);
  return true;
}

namespace {

//! Second levels under which a two-letter country TLD registers names (co.uk, com.au, ...).
bool IsCommonSecondLevel(std::string_view label) {
  for (std::string_view l : {"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil", "nic"}) {
    if (label == l) return true;
  }
  return false;
}

//! A parser, then the kamatama.dns.* name features of what it parsed.
template <bool (*P)(Event*)>
bool WithNameFeatures(Event* ev) {
  if (!P(ev)) return false;
  AddDnsNameFeatures(ev);
  return true;
}

}  // namespace

void AddDnsNameFeatures(Event* ev) {
  const std::string* q = ev->Get("dns.question.name");
  if (!q || q->size() > 1024) return;
  std::string name = *q;
  for (char& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  while (!name.empty() && name.back() == '.') name.pop_back();
  const size_t last = name.rfind('.');
  if (last == std::string::npos || last == 0 || last + 1 == name.size()) return;
  size_t start = name.rfind('.', last - 1);
  start = start == std::string::npos ? 0 : start + 1;
  const std::string_view second(name.data() + start, last - start);
  if (name.size() - last - 1 == 2 && IsCommonSecondLevel(second) && start > 1) {
    const size_t third = name.rfind('.', start - 2);
    start = third == std::string::npos ? 0 : third + 1;
  }
  ev->Set("kamatama.dns.registered_domain", std::string_view(name).substr(start));
  const std::string_view sub = std::string_view(name).substr(0, start > 0 ? start - 1 : 0);
  ev->Set("kamatama.dns.subdomain_length", std::to_string(sub.size()));
  if (sub.empty()) return;
  uint32_t counts[256] = {};
  size_t n = 0;
  for (unsigned char c : sub) {
    if (c == '.') continue;
    ++counts[c];
    ++n;
  }
  double bits = 0;
  for (uint32_t k : counts) {
    if (k == 0) continue;
    const double p = static_cast<double>(k) / static_cast<double>(n);
    bits -= p * std::log2(p);
  }
  ev->Set("kamatama.dns.entropy", std::to_string(static_cast<int64_t>(bits * 100 + 0.5)));
}

void RegisterDnsParsers(ParserRegistry* r) {
  r->Register({"dns.bind", {"named", "bind", "bind9"}, &LooksLikeBind, &WithNameFeatures<ParseBind>, nullptr});
  r->Register({"dns.dnsmasq", {"dnsmasq"}, nullptr, &WithNameFeatures<ParseDnsmasq>, nullptr});
  r->Register({"dns.unbound", {"unbound"}, nullptr, &WithNameFeatures<ParseUnbound>, nullptr});
  r->Register({"dns.windows", {}, &LooksLikeWindowsDns, &WithNameFeatures<ParseWindowsDns>, nullptr});
  r->Register({"dns.suricata", {}, nullptr, &WithNameFeatures<ParseSuricataDns>, &ClaimsSuricataDns});
}

}  // namespace kamatama
