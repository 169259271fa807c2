// parsers/mail.cc: Postfix, Exim, Sendmail and Exchange protocol log parsers (see mail.h).
#include "parsers/mail.h"

#include <string>

#include "parsers/mail_dns_scan.h"

namespace kamatama {

using namespace scan;

namespace {

void Base(Fields* f, std::string_view dataset) {
  f->S("event.dataset", dataset);
  f->S("event.kind", "event");
  f->S("event.category", "email");
}

void SetReply(Fields* f, std::string_view text) {
  SmtpReply r;
  if (!ParseSmtpReply(text, &r)) return;
  f->S("smtp.response.code", r.code);
  f->S("smtp.response.enhanced_code", r.enhanced);
  f->S("smtp.response.text", r.text);
}

void SetClient(Fields* f, const Peer& p) {
  f->S("source.ip", p.ip);
  f->S("source.port", p.port);
  if (!p.host.empty() && p.host != "unknown") f->S("source.domain", p.host);
}
void SetRelay(Fields* f, const Peer& p) {
  f->S("destination.ip", p.ip);
  f->S("destination.port", p.port);
  if (!p.host.empty() && p.host != "unknown") f->S("destination.domain", p.host);
}

// Outcome and event.type for a delivery status word.
void SetStatus(Fields* f, std::string_view status) {
  f->S("event.action", status);
  if (status == "sent" || status == "delivered") {
    f->S("event.outcome", "success");
    f->S("event.type", "info");
  } else {
    f->S("event.outcome", "failure");
    f->S("event.type", "info");
  }
}

// ------------------------------------------------------------------------------ Postfix

// Queue id: NOQUEUE, short hex (uppercase) or long (base-52 with digits), followed by ": ".
bool IsQueueId(std::string_view t) {
  if (t == "NOQUEUE") return true;
  if (t.size() < 5 || t.size() > 24) return false;
  bool upper_hex = true, digit = false, lower = false;
  for (char c : t) {
    if (!IsAlnum(c)) return false;
    if (IsDigit(c)) digit = true;
    if (c >= 'a' && c <= 'z') lower = true;
    if (!(IsDigit(c) || (c >= 'A' && c <= 'F'))) upper_hex = false;
  }
  return upper_hex ? digit || t.size() >= 8 : (digit && (lower || t.size() >= 10));
}

std::string_view Daemon(const Event& ev) {
  const std::string* p = ev.Get("process.name");
  if (!p) return {};
  std::string_view d = *p;
  size_t s = d.rfind('/');
  return s == std::string_view::npos ? std::string_view() : d.substr(s + 1);
}

bool IsDeliveryDaemon(std::string_view d) {
  return d == "smtp" || d == "lmtp" || d == "local" || d == "pipe" || d == "virtual" ||
         d == "qmgr" || d == "bounce" || d == "error" || d == "discard" || d == "relay" ||
         d == "retry" || d == "oqmgr";
}

}  // namespace

bool LooksLikePostfix(std::string_view m) {
  {
    size_t c = m.find(": ");
    if (c != std::string_view::npos && c <= 24 && IsQueueId(m.substr(0, c)) &&
        (m.substr(c + 2, 8) == "reject: " || m.substr(c + 2, 15) == "milter-reject: "))
      return true;
  }
  if (StartsWith(m, "improper command pipelining after ")) return true;
  if (StartsWith(m, "warning: ") && m.find("]: SASL ") != std::string_view::npos &&
      m.find(" authentication failed") != std::string_view::npos)
    return true;
  return StartsWith(m, "NOQUEUE: reject: ") ||
         (m.size() > 14 && m.find(": to=<") != std::string_view::npos &&
          m.find(", relay=") != std::string_view::npos && m.find(", status=") != std::string_view::npos);
}

bool ParsePostfix(Event* ev) {
  const std::string* msgp = ev->Get(field::kMessage);
  if (!msgp) return false;
  std::string_view m = *msgp;
  const std::string* prog = ev->Get("process.name");
  const bool by_program = prog && (StartsWith(*prog, "postfix") || StartsWith(*prog, "Postfix"));
  if (!by_program && !LooksLikePostfix(m)) return false;
  std::string_view daemon = Daemon(*ev);

  Fields f;
  Base(&f, "mail.postfix");
  std::string_view rest = m;
  // queue id
  {
    size_t c = rest.find(": ");
    if (c != std::string_view::npos && IsQueueId(rest.substr(0, c))) {
      if (rest.substr(0, c) != "NOQUEUE") f.S("email.local_id", rest.substr(0, c));
      rest.remove_prefix(c + 2);
    }
  }
  {
    // "warning: QUEUEID: ..." (cleanup, trivial-rewrite)
    std::string_view w = rest;
    if (Consume(&w, "warning: ")) {
      size_t c = w.find(": ");
      if (c != std::string_view::npos && w.substr(0, c) != "NOQUEUE" && IsQueueId(w.substr(0, c)))
        f.S("email.local_id", w.substr(0, c));
    }
  }
  // key=value data found anywhere
  if (auto v = KeyValue(rest, "from=")) f.S("email.from.address", StripAngle(*v));
  if (auto v = KeyValue(rest, "to=")) f.S("email.to.address", StripAngle(*v));
  if (auto v = KeyValue(rest, "orig_to=")) f.S("postfix.orig_to", StripAngle(*v));
  if (auto v = KeyValue(rest, "message-id=")) f.S("email.message_id", StripAngle(*v));
  if (auto v = KeyValue(rest, "proto=")) f.S("network.protocol", ToLower(*v));
  if (auto v = KeyValue(rest, "helo=")) f.S("postfix.helo", StripAngle(*v));
  if (auto v = KeyValue(rest, "sasl_username=")) f.S("user.name", *v);
  if (auto v = KeyValue(rest, "sasl_method=")) f.S("postfix.sasl_method", *v);
  if (auto v = KeyValue(rest, "size=")) f.S("postfix.size", *v);
  if (auto v = KeyValue(rest, "nrcpt=")) f.S("postfix.nrcpt", *v);
  if (auto v = KeyValue(rest, "delay=")) f.S("postfix.delay", *v);
  if (auto v = KeyValue(rest, "dsn=")) f.S("smtp.response.enhanced_code", *v);

  // client / relay
  size_t relay_pos = FindKey(rest, "relay=");
  if (relay_pos != std::string_view::npos) {
    std::string_view rv = rest.substr(relay_pos + 6);
    rv = Until(Until(rv, ','), ' ');
    if (auto p = FindPeer(rv)) SetRelay(&f, *p);
    else f.S("destination.domain", rv);
  }
  size_t client_pos = FindKey(rest, "client=");
  std::optional<Peer> client;
  if (client_pos != std::string_view::npos) {
    client = FindPeer(rest, client_pos);
  } else if (relay_pos == std::string_view::npos && !IsDeliveryDaemon(daemon)) {
    client = FindPeer(rest);
  } else if (daemon == "smtp" || daemon == "lmtp") {
    if (relay_pos == std::string_view::npos) {
      if (auto p = FindPeer(rest)) SetRelay(&f, *p);
    }
  }
  if (client) SetClient(&f, *client);
  if (!client && StartsWith(rest, "statistics: ")) {
    // anvil: "for (service:ip) at ..." / "for (ip:port:ip) at ..."
    size_t lp = rest.find(" for (");
    if (lp != std::string_view::npos) {
      std::string_view in = Until(rest.substr(lp + 6), ')');
      for (size_t c = in.find(':'); c != std::string_view::npos; c = in.find(':', c + 1)) {
        if (IsIp(in.substr(c + 1))) {
          f.S("source.ip", in.substr(c + 1));
          break;
        }
      }
    }
  } else if (!client && StartsWith(rest, "addr ")) {
    // dnsblog: "addr IP listed by domain D as A"
    std::string_view ip = Until(rest.substr(5), ' ');
    if (IsIp(ip)) f.S("source.ip", ip);
  }

  // action
  auto act = [&](std::string_view a, std::string_view type, std::string_view outcome) {
    f.S("event.action", a);
    f.S("event.type", type);
    f.S("event.outcome", outcome);
  };
  size_t st = FindKey(rest, "status=");
  std::string_view lead = rest;
  if (st != std::string_view::npos) {
    std::string_view sv = rest.substr(st + 7);
    std::string_view status = Span(sv, [](char c) { return IsAlnum(c) || c == '-' || c == '_'; });
    SetStatus(&f, status);
    sv.remove_prefix(status.size());
    if (StartsWith(sv, " (") && sv.back() == ')') {
      std::string_view text = sv.substr(2, sv.size() - 3);
      SmtpReply r;
      if (ParseSmtpReply(text, &r)) SetReply(&f, text);
      else f.S("smtp.response.text", text);
    }
  } else if (Consume(&lead, "reject: ") || Consume(&lead, "milter-reject: ") ||
             Consume(&lead, "reject_warning: ") || Consume(&lead, "discard: ") ||
             Consume(&lead, "hold: ") || Consume(&lead, "redirect: ") || Consume(&lead, "filter: ")) {
    std::string_view verb = rest.substr(0, rest.find(':'));
    if (verb == "milter-reject") verb = "reject";
    act(verb, verb == "reject" ? "denied" : "info",
        verb == "reject" || verb == "discard" ? "failure" : "unknown");
    std::string_view cmd = Until(lead, ' ');
    f.S("postfix.smtp_stage", cmd);
    if (client) {
      std::string_view after = rest.substr(client->end);
      if (Consume(&after, ": ")) {
        size_t semi = after.find("; from=");
        if (semi == std::string_view::npos) semi = after.find("; to=");
        SetReply(&f, semi == std::string_view::npos ? after : after.substr(0, semi));
      }
    }
  } else if (StartsWith(rest, "connect from ") || StartsWith(rest, "CONNECT from ")) {
    act("connect", "connection", "success");
    size_t to = rest.find(" to [");
    if (to != std::string_view::npos) {
      if (auto p = FindPeer(rest, to)) {
        f.S("destination.ip", p->ip);
        f.S("destination.port", p->port);
      }
    }
  } else if (StartsWith(rest, "disconnect from ") || StartsWith(rest, "DISCONNECT ")) {
    act("disconnect", "end", "success");
  } else if (StartsWith(rest, "lost connection after ")) {
    act("lost-connection", "end", "failure");
    f.S("postfix.smtp_stage", Until(rest.substr(22), ' '));
  } else if (StartsWith(rest, "timeout after ")) {
    act("timeout", "end", "failure");
    f.S("postfix.smtp_stage", Until(rest.substr(14), ' '));
  } else if (StartsWith(rest, "warning: ") && rest.find("authentication failed") != std::string_view::npos) {
    act("authentication-failure", "start", "failure");
    f.S("event.category", "authentication");
    size_t p = rest.find("SASL ");
    if (p != std::string_view::npos) f.S("postfix.sasl_method", Until(rest.substr(p + 5), ' '));
  } else if (StartsWith(rest, "improper command pipelining")) {
    act("improper-pipelining", "denied", "failure");
  } else if (StartsWith(rest, "warning: non-SMTP command")) {
    act("non-smtp-command", "denied", "failure");
  } else if (StartsWith(rest, "client=")) {
    act("accepted", "info", "success");
  } else if (StartsWith(rest, "message-id=")) {
    act("message-id", "info", "success");
  } else if (StartsWith(rest, "removed")) {
    act("removed", "deletion", "success");
  } else if (StartsWith(rest, "from=<")) {
    act("queued", "info", "success");
  } else if (StartsWith(rest, "uid=")) {
    act("pickup", "info", "success");
  } else if (StartsWith(rest, "sender non-delivery notification: ") ||
             StartsWith(rest, "sender delivery status notification: ") ||
             StartsWith(rest, "postmaster non-delivery notification: ")) {
    act("notification", "info", "success");
    size_t c = rest.find(": ");
    f.S("postfix.bounce_queue_id", Trim(rest.substr(c + 2)));
  } else if (StartsWith(rest, "PASS ") || StartsWith(rest, "WHITELISTED") || StartsWith(rest, "BLACKLISTED") ||
             StartsWith(rest, "WHITELIST VETO") || StartsWith(rest, "PREGREET") || StartsWith(rest, "DNSBL") ||
             StartsWith(rest, "HANGUP") || StartsWith(rest, "COMMAND ") || StartsWith(rest, "BARE NEWLINE") ||
             StartsWith(rest, "NON-SMTP COMMAND") || StartsWith(rest, "ALLOWLISTED") ||
             StartsWith(rest, "DENYLISTED")) {
    // postscreen verdicts
    bool bad = !(StartsWith(rest, "PASS ") || StartsWith(rest, "WHITELISTED") || StartsWith(rest, "ALLOWLISTED"));
    std::string_view word = rest;
    size_t e = rest.find(" [");
    if (e == std::string_view::npos) e = rest.find(" from [");
    if (e == std::string_view::npos) e = rest.find(' ');
    word = rest.substr(0, e);
    if (StartsWith(word, "PREGREET") || StartsWith(word, "HANGUP") || StartsWith(word, "DNSBL"))
      word = Until(word, ' ');
    if (StartsWith(word, "COMMAND ") || StartsWith(word, "NON-SMTP")) {
      size_t fr = word.find(" from");
      if (fr != std::string_view::npos) word = word.substr(0, fr);
    }
    std::string a = ToLower(word);
    for (char& c : a)
      if (c == ' ') c = '-';
    act(a, bad ? "denied" : "allowed", bad ? "failure" : "success");
  } else if (StartsWith(rest, "warning: ") || StartsWith(rest, "error: ") || StartsWith(rest, "fatal: ") ||
             StartsWith(rest, "panic: ")) {
    act(Until(rest, ':'), "error", "unknown");
    f.S("log.level", Until(rest, ':'));
  } else {
    std::string_view w = Span(rest, [](char c) { return IsAlpha(c) || c == '-' || c == '_'; });
    act(w.empty() ? std::string_view("log") : std::string_view(ToLower(w)), "info", "unknown");
  }
  if (!f.Has("event.action")) f.S("event.action", "log");
  f.Commit(ev);
  return true;
}

// ------------------------------------------------------------------------------ Exim

namespace {

// Strips what comes before the Exim body: timestamps, "host exim[pid]: ", "[pid] ", msg id.
struct EximHead {
  int64_t ts = 0;
  bool has_ts = false;
  std::string_view msgid, body;
};

bool IsEximId(std::string_view t) {
  // 6-6-2 (classic) or 6-11-4 (Exim 4.97+), base62
  if (t.size() != 16 && t.size() != 23) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    bool dash = (i == 6) || (t.size() == 16 ? i == 13 : i == 18);
    if (dash != (t[i] == '-')) return false;
    if (!dash && !IsAlnum(t[i])) return false;
  }
  return true;
}

bool EximSplit(std::string_view m, EximHead* h) {
  size_t len;
  int64_t ns;
  bool any = false;
  for (int round = 0; round < 3; ++round) {
    if (IsoLocalTime(m, &ns, &len)) {
      if (!h->has_ts) {
        h->ts = ns;
        h->has_ts = true;
      }
      m.remove_prefix(len);
      // optional zone "+0100"
      if (m.size() > 6 && m[0] == ' ' && (m[1] == '+' || m[1] == '-') && AllDigits(m.substr(2, 4)))
        m.remove_prefix(6);
      m = Trim(m);
      any = true;
      continue;
    }
    // "host exim[pid]: " / "exim[pid]: " / "info exim[pid]: "
    size_t e = m.find("exim");
    if (e != std::string_view::npos && e < 80) {
      std::string_view t = m.substr(e);
      size_t colon = t.find(": ");
      if (colon != std::string_view::npos && colon < 20 &&
          (t[4] == '[' || t[4] == ':' || (t.size() > 5 && t[4] == '4'))) {
        std::string_view pre = m.substr(0, e);
        if (pre.find(' ') == std::string_view::npos || pre.find(' ') == pre.size() - 1 ||
            Trim(pre).find(' ') == std::string_view::npos) {
          m = m.substr(e + colon + 2);
          any = true;
          continue;
        }
      }
    }
    break;
  }
  // "[pid] "
  if (m.size() > 3 && m[0] == '[') {
    size_t rb = m.find(']');
    if (rb != std::string_view::npos && rb > 1 && AllDigits(m.substr(1, rb - 1)) && rb + 1 < m.size() &&
        m[rb + 1] == ' ') {
      m.remove_prefix(rb + 2);
    }
  }
  std::string_view first = Until(m, ' ');
  if (IsEximId(first)) {
    h->msgid = first;
    m.remove_prefix(std::min(m.size(), first.size() + 1));
  }
  h->body = m;
  return any;
}

bool EximBodyKnown(std::string_view b) {
  static constexpr std::string_view kKeys[] = {
      " authenticator failed for ", "H=", "SMTP protocol", "SMTP call from", "SMTP connection from",
      "no MAIL in SMTP connection", "no host name found for IP address", "no IP address found for host",
      "<= ", "=> ", "-> ", "** ", "== ", "Completed", "Message is frozen", "rejected", "Start queue run",
      "End queue run", "exim ", "SMTP command timeout", "unexpected disconnection", "TLS error"};
  for (auto k : kKeys)
    if (b.find(k) != std::string_view::npos) return true;
  return false;
}

}  // namespace

bool LooksLikeExim(std::string_view m) {
  EximHead h;
  if (!EximSplit(m, &h)) return false;
  return EximBodyKnown(h.body);
}

bool ParseExim(Event* ev) {
  const std::string* msgp = ev->Get(field::kMessage);
  if (!msgp) return false;
  std::string_view m = *msgp;
  const std::string* prog = ev->Get("process.name");
  bool by_program = prog && StartsWith(*prog, "exim");
  EximHead h;
  bool split = EximSplit(m, &h);
  if (!by_program && !(split && EximBodyKnown(h.body))) return false;
  std::string_view b = h.body;

  Fields f;
  Base(&f, "mail.exim");
  f.S("email.local_id", h.msgid);
  auto act = [&](std::string_view a, std::string_view type, std::string_view outcome) {
    f.S("event.action", a);
    f.S("event.type", type);
    f.S("event.outcome", outcome);
  };

  // The client: after the last "H=" (quoted injection comes earlier), skipping "([helo])",
  // else the first [ip] not preceded by "I=" or "(".
  auto find_client = [&](size_t from) -> std::optional<Peer> {
    while (from < b.size()) {
      auto p = FindPeer(b, from);
      if (!p) return p;
      size_t lb = b.find('[', p->begin);
      bool helo = lb > 0 && b[lb - 1] == '(';
      bool iface = lb >= 2 && b.substr(lb - 2, 2) == "I=";
      if (!helo && !iface) return p;
      from = p->end;
    }
    return std::nullopt;
  };
  size_t hkey = RFindKey(b, "H=");
  std::optional<Peer> client = find_client(hkey == std::string_view::npos ? 0 : hkey);
  if (client) {
    f.S("source.ip", client->ip);
    f.S("source.port", client->port);
    // host name: "H=name (helo) [ip]" or "for name (helo) [ip]" or "from name [ip]"
    std::string_view before = b.substr(0, client->begin);
    before = Trim(before);
    if (!before.empty() && before.back() == ')') {
      size_t lp = before.rfind('(');
      if (lp != std::string_view::npos) {
        f.S("exim.helo", before.substr(lp + 1, before.size() - lp - 2));
        before = Trim(before.substr(0, lp));
      }
    }
    std::string_view name = before.substr(before.rfind(' ') == std::string_view::npos ? 0 : before.rfind(' ') + 1);
    Consume(&name, "H=");
    if (!name.empty() && name.front() != '(' && name.find('.') != std::string_view::npos &&
        name.find('=') == std::string_view::npos && name.find('"') == std::string_view::npos)
      f.S("source.domain", name);
  }
  size_t ikey = FindKey(b, "I=");
  if (ikey != std::string_view::npos) {
    if (auto p = FindPeer(b, ikey); p && p->begin == ikey + 2) {
      f.S("destination.ip", p->ip);
      f.S("destination.port", p->port);
    }
  }
  if (auto v = KeyValue(b, "F=")) f.S("email.from.address", StripAngle(*v));
  if (auto v = KeyValue(b, "A=")) {
    size_t c = v->find(':');
    if (c != std::string_view::npos) f.S("user.name", v->substr(c + 1));
  }
  if (auto v = KeyValue(b, "id=")) f.S("email.message_id", *v);
  size_t sid = b.find("(set_id=");
  if (sid != std::string_view::npos) f.S("user.name", Until(b.substr(sid + 8), ')'));

  size_t af = b.find(" authenticator failed for ");
  if (af != std::string_view::npos && af < 40) {
    act("authentication-failure", "start", "failure");
    f.S("event.category", "authentication");
    f.S("exim.authenticator", b.substr(0, af));
    size_t colon = client ? b.find(": ", client->end) : std::string_view::npos;
    if (colon != std::string_view::npos) {
      std::string_view r = b.substr(colon + 2);
      size_t paren = r.find(" (set_id=");
      SetReply(&f, paren == std::string_view::npos ? r : r.substr(0, paren));
    }
  } else if (StartsWith(b, "<= ")) {
    act("received", "info", "success");
    f.S("email.from.address", StripAngle(Until(b.substr(3), ' ')));
  } else if (StartsWith(b, "=> ") || StartsWith(b, "-> ") || StartsWith(b, "** ") || StartsWith(b, "== ")) {
    std::string_view rcpt = Until(b.substr(3), ' ');
    f.S("email.to.address", StripAngle(rcpt));
    if (b[0] == '*') act("bounced", "info", "failure");
    else if (b[0] == '=' && b[1] == '=') act("deferred", "info", "failure");
    else act("delivered", "info", "success");
    // H=host [ip] is the remote MTA for deliveries
    if (client) {
      f.S("destination.ip", client->ip);
      f.S("destination.port", client->port);
      if (f.Has("source.domain")) {
        for (auto& e : f.f)
          if (e.first == "source.domain") e.first = "destination.domain";
      }
      for (auto it = f.f.begin(); it != f.f.end();) {
        if (it->first == "source.ip" || it->first == "source.port") it = f.f.erase(it);
        else ++it;
      }
    }
    size_t c = b.find("C=\"");
    if (c != std::string_view::npos) SetReply(&f, Until(b.substr(c + 3), '"'));
  } else if (StartsWith(b, "Completed")) {
    act("completed", "info", "success");
  } else if (b.find("rejected RCPT") != std::string_view::npos) {
    act("reject", "denied", "failure");
    size_t p = b.find("rejected RCPT ");
    std::string_view rc = Until(b.substr(p + 14), ':');
    f.S("email.to.address", StripAngle(Trim(rc)));
    size_t colon = b.find(": ", p);
    if (colon != std::string_view::npos) f.S("exim.reason", Trim(b.substr(colon + 2)));
  } else if (b.find("sender verify fail") != std::string_view::npos) {
    act("sender-verify-fail", "denied", "failure");
  } else if (StartsWith(b, "SMTP protocol synchronization error")) {
    act("protocol-synchronization-error", "denied", "failure");
  } else if (StartsWith(b, "SMTP protocol error")) {
    act("protocol-error", "denied", "failure");
  } else if (StartsWith(b, "SMTP call from") && b.find(" dropped") != std::string_view::npos) {
    act("dropped", "denied", "failure");
  } else if (StartsWith(b, "SMTP connection from") && b.find("closed by DROP") != std::string_view::npos) {
    act("dropped", "denied", "failure");
  } else if (StartsWith(b, "no MAIL in SMTP connection")) {
    act("no-mail", "end", "failure");
  } else if (StartsWith(b, "no host name found for IP address ")) {
    act("no-reverse-dns", "info", "failure");
    std::string_view ip = Trim(b.substr(34));
    if (IsIp(ip)) f.S("source.ip", ip);
  } else if (StartsWith(b, "no IP address found for host ")) {
    act("no-forward-dns", "info", "failure");
    f.S("source.domain", Until(b.substr(29), ' '));
  } else if (b.find("rejected connection") != std::string_view::npos ||
             b.find("dropped by") != std::string_view::npos || b.find("rejected") != std::string_view::npos) {
    act("reject", "denied", "failure");
  } else if (StartsWith(b, "SMTP connection from")) {
    act(b.find(" closed") != std::string_view::npos ? "disconnect" : "connect", "connection", "success");
  } else {
    act("log", "info", "unknown");
  }
  f.Commit(ev);
  if (h.has_ts && NoEnvelope(*ev, m)) ev->timestamp_ns = h.ts;
  return true;
}

// ------------------------------------------------------------------------------ Sendmail

namespace {
bool IsSendmailProgram(std::string_view pn) { return StartsWith(pn, "sendmail") || StartsWith(pn, "sm-"); }
// A header the envelope did not split ("Jun 17 14:37:39 <mail.notice> host sm-mta[1]: "):
// the body after the sendmail tag, or npos.
size_t SendmailInnerBody(std::string_view m) {
  std::string_view head = m.substr(0, 120);
  for (std::string_view tag : {" sm-mta[", " sendmail[", " sm-acceptingconnections[", " sm-msp-queue["}) {
    size_t p = head.find(tag);
    if (p == std::string_view::npos) continue;
    size_t e = m.find("]: ", p + tag.size());
    if (e != std::string_view::npos && e - p - tag.size() <= 10 &&
        AllDigits(m.substr(p + tag.size(), e - p - tag.size())))
      return e + 3;
  }
  return std::string_view::npos;
}
}  // namespace

bool LooksLikeSendmail(std::string_view m) { return SendmailInnerBody(m) != std::string_view::npos; }

bool ParseSendmail(Event* ev) {
  const std::string* msgp = ev->Get(field::kMessage);
  if (!msgp) return false;
  const std::string* prog = ev->Get("process.name");
  std::string_view b = *msgp;
  if (!prog || !IsSendmailProgram(*prog)) {
    size_t body = SendmailInnerBody(b);
    if (body == std::string_view::npos) return false;
    b.remove_prefix(body);
  }
  Fields f;
  Base(&f, "mail.sendmail");
  auto act = [&](std::string_view a, std::string_view type, std::string_view outcome) {
    f.S("event.action", a);
    f.S("event.type", type);
    f.S("event.outcome", outcome);
  };
  {
    size_t c = b.find(": ");
    if (c != std::string_view::npos && c >= 8 && c <= 20) {
      std::string_view q = b.substr(0, c);
      bool ok = true;
      for (char ch : q) ok = ok && IsAlnum(ch);
      if (ok && IsDigit(q.back())) {
        f.S("email.local_id", q);
        b.remove_prefix(c + 2);
      }
    }
  }
  // the client: last "relay=" (a forged user= may inject an earlier one), else first [ip]
  std::optional<Peer> peer;
  size_t rk = RFindKey(b, "relay=");
  if (rk != std::string_view::npos) peer = FindPeer(b, rk);
  else peer = FindPeer(b);
  if (auto v = KeyValue(b, "from=")) f.S("email.from.address", StripAngle(*v));
  if (auto v = KeyValue(b, "to=")) f.S("email.to.address", StripAngle(*v));
  if (auto v = KeyValue(b, "msgid=")) f.S("email.message_id", StripAngle(*v));
  if (auto v = KeyValue(b, "user=")) f.S("user.name", *v);
  const bool delivery = FindKey(b, "to=") != std::string_view::npos && FindKey(b, "stat=") != std::string_view::npos;
  if (peer) {
    if (delivery) SetRelay(&f, *peer);
    else SetClient(&f, *peer);
  }
  if (StartsWith(b, "ruleset=")) {
    f.S("sendmail.ruleset", Until(b.substr(8), ','));
    if (auto v = KeyValue(b, "arg1=")) f.S("sendmail.arg1", *v);
    size_t r = FindKey(b, "reject=");
    if (r != std::string_view::npos) {
      act("reject", "denied", "failure");
      SetReply(&f, b.substr(r + 7));
    } else {
      act("ruleset", "info", "unknown");
    }
  } else if (StartsWith(b, "AUTH failure")) {
    act("authentication-failure", "start", "failure");
    f.S("event.category", "authentication");
    size_t lp = b.find('(');
    if (lp != std::string_view::npos) f.S("sendmail.auth_mechanism", Until(b.substr(lp + 1), ')'));
  } else if (b.find("possible SMTP attack") != std::string_view::npos) {
    act("possible-attack", "denied", "failure");
  } else if (StartsWith(b, "rejecting commands from")) {
    act("pregreet", "denied", "failure");
  } else if (delivery) {
    std::string_view stat = *KeyValue(b, "stat=");
    size_t sk = FindKey(b, "stat=");
    std::string_view stext = b.substr(sk + 5);
    std::string_view word = Span(stat, IsAlpha);
    std::string w = ToLower(word);
    if (w == "sent") act("sent", "info", "success");
    else if (w == "deferred") act("deferred", "info", "failure");
    else act(w.empty() ? std::string("bounced") : w, "info", "failure");
    size_t paren = stext.find('(');
    if (paren != std::string_view::npos) SetReply(&f, stext.substr(paren + 1));
    if (auto v = KeyValue(b, "dsn=")) f.S("smtp.response.enhanced_code", *v);
  } else if (FindKey(b, "from=") == 0) {
    act("received", "info", "success");
  } else if (b.find("did not issue MAIL/EXPN/VRFY/ETRN") != std::string_view::npos) {
    act("no-mail", "end", "failure");
  } else if (StartsWith(b, "lost input channel")) {
    act("lost-connection", "end", "failure");
  } else {
    act("log", "info", "unknown");
  }
  f.Commit(ev);
  return true;
}

// ------------------------------------------------------------------------------ Exchange

namespace {

// Splits one CSV record (RFC 4180 quoting); at most `max` fields.
size_t SplitCsv(std::string_view s, std::string_view* out, size_t max) {
  size_t n = 0, i = 0;
  while (n < max) {
    size_t b = i;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (i < s.size()) {
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') i += 2;
          else break;
        } else {
          ++i;
        }
      }
      if (i < s.size()) ++i;  // closing quote
      out[n++] = s.substr(b + 1, i > b + 1 ? i - b - 2 : 0);
      while (i < s.size() && s[i] != ',') ++i;
    } else {
      while (i < s.size() && s[i] != ',') ++i;
      out[n++] = s.substr(b, i - b);
    }
    if (i >= s.size()) break;
    ++i;  // ','
  }
  return n;
}

bool SplitEndpoint(std::string_view e, std::string_view* ip, std::string_view* port) {
  size_t c = e.rfind(':');
  if (c == std::string_view::npos || !AllDigits(e.substr(c + 1))) return false;
  std::string_view a = e.substr(0, c);
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  if (!IsIp(a)) return false;
  *ip = a;
  *port = e.substr(c + 1);
  return true;
}

bool ExchangeTime(std::string_view s, int64_t* ns) {
  size_t len;
  if (!IsoLocalTime(s, ns, &len)) return false;
  return len == s.size() && s.find('T') != std::string_view::npos;
}

}  // namespace

std::string CsvUnescape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    out += v[i];
    if (v[i] == '"' && i + 1 < v.size() && v[i + 1] == '"') ++i;
  }
  return out;
}

bool LooksLikeExchange(std::string_view m) {
  if (m.size() < 40 || m[4] != '-' || m[10] != 'T') return false;
  size_t c = m.find(',');
  if (c == std::string_view::npos || c > 32) return false;
  int64_t ns;
  if (!ExchangeTime(m.substr(0, c), &ns)) return false;
  std::string_view f[12];
  size_t n = SplitCsv(m, f, 12);
  std::string_view ip, port;
  return n >= 9 && (SplitEndpoint(f[3], &ip, &port) || SplitEndpoint(f[4], &ip, &port));
}

bool ParseExchange(Event* ev) {
  const std::string* msgp = ev->Get(field::kMessage);
  if (!msgp) return false;
  std::string_view m = *msgp;
  if (!LooksLikeExchange(m)) return false;
  std::string_view c[13];
  size_t n = SplitCsv(m, c, 13);
  Fields f;
  Base(&f, "mail.exchange");
  int64_t ts = 0;
  ExchangeTime(c[0], &ts);
  std::string_view ip, port, ip2, port2;
  auto act = [&](std::string_view a, std::string_view type, std::string_view outcome) {
    f.S("event.action", a);
    f.S("event.type", type);
    f.S("event.outcome", outcome);
  };
  if (SplitEndpoint(c[3], &ip, &port) && n >= 11) {
    // IMAP / POP: dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context
    SplitEndpoint(c[4], &ip2, &port2);
    f.S("destination.ip", ip);
    f.S("destination.port", port);
    f.S("source.ip", ip2);
    f.S("source.port", port2);
    f.S("exchange.session_id", c[1]);
    f.S("exchange.sequence_number", c[2]);
    f.S("user.name", c[5]);
    f.S("event.duration_ms", c[6]);
    f.S("exchange.command", c[9]);
    f.S("exchange.parameters", Trim(c[10]));
    std::string_view ctx = n > 11 ? c[11] : std::string_view();
    f.S("exchange.context", CsvUnescape(ctx));
    bool pop = port == "110" || port == "995" || StartsWith(ToLower(c[9]), "user") || c[9] == "pass";
    f.S("network.protocol", pop ? "pop3" : "imap");
    bool failed = ctx.find("AuthFailed") != std::string_view::npos ||
                  ctx.find("NO AUTHENTICATE failed") != std::string_view::npos ||
                  ctx.find("-ERR") != std::string_view::npos;
    std::string cmd = ToLower(Trim(c[9]));
    bool auth = cmd == "authenticate" || cmd == "auth" || cmd == "login" || cmd == "pass" || cmd == "user";
    if (auth) f.S("event.category", "authentication");
    act(cmd.empty() ? std::string_view("log") : std::string_view(cmd), auth ? "start" : "info",
        failed ? "failure" : "unknown");
  } else if (SplitEndpoint(c[4], &ip, &port)) {
    // SMTP: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
    SplitEndpoint(c[5], &ip2, &port2);
    f.S("destination.ip", ip);
    f.S("destination.port", port);
    f.S("source.ip", ip2);
    f.S("source.port", port2);
    f.S("network.protocol", "smtp");
    f.S("exchange.connector_id", c[1]);
    f.S("exchange.session_id", c[2]);
    f.S("exchange.sequence_number", c[3]);
    f.S("exchange.event", c[6]);
    f.S("exchange.data", CsvUnescape(c[7]));
    if (n > 8) f.S("exchange.context", CsvUnescape(c[8]));
    std::string_view e = c[6];
    SmtpReply r;
    bool reply = ParseSmtpReply(c[7], &r);
    if (reply) SetReply(&f, c[7]);
    if (e == "+") act("connect", "connection", "success");
    else if (e == "-") act("disconnect", "end", "success");
    else if (reply && (r.code[0] == '4' || r.code[0] == '5')) {
      bool auth = r.code == "535" || r.code == "454";
      if (auth) f.S("event.category", "authentication");
      act(auth ? "authentication-failure" : "reject", auth ? "start" : "denied", "failure");
    } else if (e == ">") act("send", "info", "success");
    else if (e == "<") act("receive", "info", "success");
    else act("log", "info", "unknown");
  } else {
    return false;
  }
  f.Commit(ev);
  if (NoEnvelope(*ev, m)) ev->timestamp_ns = ts;
  return true;
}

void RegisterMailParsers(ParserRegistry* r) {
  r->Register({"mail.postfix", {"postfix"}, &LooksLikePostfix, &ParsePostfix, nullptr});
  r->Register({"mail.exim", {"exim", "exim4"}, &LooksLikeExim, &ParseExim, nullptr});
  r->Register({"mail.sendmail", {"sendmail", "sm-mta", "sm-msp-queue", "sm-acceptingconnections"}, &LooksLikeSendmail,
               &ParseSendmail, nullptr});
  r->Register({"mail.exchange", {}, &LooksLikeExchange, &ParseExchange, nullptr});
}

}  // namespace kamatama
