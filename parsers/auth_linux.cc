// parsers/auth_linux.cc
//! sshd, sudo, su, PAM and RADIUS authentication lines. Hand-written scanners over the
//! message (string_view only, never past its end); fields are staged and written to the event
//! only once a line is recognised, so a declined line leaves the event untouched.
#include "parsers/auth_linux.h"

#include <string>
#include <utility>
#include <vector>

#include "core/tokenize.h"
#include "parsers/toolkit.h"

namespace kamatama {

namespace {

using namespace toolkit;

//! An address that may be an IP or a host name.
void AddPeer(Out& o, sv host) {
  host = Trim(host);
  if (host.empty()) return;
  if (host.size() > 7 && (host.substr(0, 7) == "::ffff:" || host.substr(0, 7) == "::FFFF:") && IsIPv4(host.substr(7)))
    host.remove_prefix(7);
  if (IsIp(host)) o.Add("source.ip", host);
  else o.Add("source.domain", host);
}
void AddPort(Out& o, sv port) {
  if (IsPort(port)) o.Add("source.port", port);
}
void AddUser(Out& o, sv user) {
  if (!user.empty()) o.Add("user.name", user);
}

void Auth(Out& o, sv action, bool success) {
  o.Add("event.category", "authentication");
  o.Add("event.type", success ? "start" : "info");
  o.Add("event.action", action);
  o.Add("event.outcome", success ? "success" : "failure");
}
void Net(Out& o, sv action, sv outcome) {
  o.Add("event.category", "network");
  o.Add("event.type", "connection");
  o.Add("event.action", action);
  if (!outcome.empty()) o.Add("event.outcome", outcome);
}

//! Removes a trailing "[preauth]" (and spaces); tells whether it was there.
sv StripPreauth(sv s, bool* preauth) {
  s = TrimR(s);
  *preauth = false;
  if (EndsWith(s, "[preauth]")) {
    *preauth = true;
    s = TrimR(s.substr(0, s.size() - 9));
  }
  return s;
}

//! "IP port P" or "IP" at the end of `s` (after the last user part): sets source.*; returns
//! the text before the address (trimmed), or npos-like empty optional via `ok`.
bool TailAddress(sv s, Out& o, sv* before) {
  s = TrimR(s);
  sv port;
  if (size_t p = s.rfind(" port "); p != npos && IsPort(s.substr(p + 6))) {
    port = s.substr(p + 6);
    s = s.substr(0, p);
  }
  size_t sp = s.rfind(' ');
  sv host = sp == npos ? s : s.substr(sp + 1);
  if (!IsIp(host)) return false;
  o.Add("source.ip", host);
  AddPort(o, port);
  *before = sp == npos ? sv() : TrimR(s.substr(0, sp));
  return true;
}

// ---------------------------------------------------------------- PAM

//! "key=value key= key=value ..." as PAM writes it (values have no spaces).
void PamKeyValues(sv s, Out& o, bool* has_user) {
  sv logname, user, rhost, uid, euid;
  while (!s.empty()) {
    s = TrimL(s);
    sv w = Word(s);
    size_t eq = w.find('=');
    if (eq == npos) continue;
    sv k = w.substr(0, eq), v = w.substr(eq + 1);
    if (k == "logname") logname = v;
    else if (k == "user") user = v;
    else if (k == "rhost") rhost = v;
    else if (k == "uid") uid = v;
    else if (k == "euid") euid = v;
  }
  sv who = !user.empty() ? user : logname;
  AddUser(o, who);
  *has_user = !who.empty();
  if (IsDigits(uid)) o.Add("user.id", uid);
  if (IsDigits(euid)) o.Add("user.effective.id", euid);
  AddPeer(o, rhost);
}

//! PAM message forms, with or without the "pam_module(service:type): " prefix.
Match PamMessage(sv m, Out& o) {
  m = TrimR(m);
  bool prefixed = false;
  if (StartsWith(m, "pam_")) {
    size_t close = m.find("): ");
    size_t open = m.find('(');
    if (close == npos || open == npos || open > close) return Match::kNo;
    sv inside = m.substr(open + 1, close - open - 1);
    if (size_t colon = inside.find(':'); colon != npos) {
      o.Add("pam.service", inside.substr(0, colon));
      o.Add("pam.type", inside.substr(colon + 1));
    }
    o.Add("pam.module", m.substr(0, open));
    m = m.substr(close + 3);
    prefixed = true;
  }
  sv rest = m;
  if (Eat(rest, "authentication failure; ")) {
    Auth(o, "authentication_failure", false);
    bool has_user = false;
    PamKeyValues(rest, o, &has_user);
    return Match::kFull;
  }
  if (Eat(rest, "PAM ")) {
    sv n = Word(rest);
    if (IsDigits(n) && (Eat(rest, "more authentication failures; ") || Eat(rest, "more authentication failure; "))) {
      Auth(o, "authentication_failure", false);
      o.Add("event.count", n);  // the failures beyond the first
      bool has_user = false;
      PamKeyValues(rest, o, &has_user);
      return Match::kFull;
    }
    if (n.substr(0, 8) == "service(" && StartsWith(rest, "ignoring max retries")) {
      o.Add("event.category", "authentication");
      o.Add("event.type", "info");
      o.Add("event.action", "max_retries_exceeded");
      return Match::kFull;
    }
    return Match::kNo;
  }
  if (Eat(rest, "check pass; user unknown")) {
    Auth(o, "user_unknown", false);
    return Match::kFull;
  }
  if (Eat(rest, "session opened for user ")) {
    // "X by Y(uid=N)", "X by (uid=N)", "X(uid=A) by Y(uid=N)", "X by LOGIN(uid=0)".
    size_t by = rest.rfind(" by ");
    sv target = by == npos ? rest : rest.substr(0, by);
    sv invoker = by == npos ? sv() : rest.substr(by + 4);
    if (size_t p = target.find("(uid="); p != npos) target = target.substr(0, p);
    sv by_uid;
    if (size_t p = invoker.find("(uid="); p != npos) {
      by_uid = invoker.substr(p + 5);
      if (size_t e = by_uid.find(')'); e != npos) by_uid = by_uid.substr(0, e);
      invoker = invoker.substr(0, p);
    }
    target = Trim(target);
    invoker = Trim(invoker);
    if (invoker == "LOGIN") invoker = sv();
    if (!invoker.empty() && invoker != target) {
      if (IsDigits(by_uid)) o.Add("user.id", by_uid);
      AddUser(o, invoker);
      if (!target.empty()) o.Add("user.effective.name", target);
    } else {
      AddUser(o, target);
    }
    o.Add("event.category", "session");
    o.Add("event.type", "start");
    o.Add("event.action", "logged-on");
    o.Add("event.outcome", "success");
    return Match::kFull;
  }
  if (Eat(rest, "session closed for user ")) {
    sv user = Trim(rest);
    if (size_t p = user.find("(uid="); p != npos) user = user.substr(0, p);
    AddUser(o, user);
    o.Add("event.category", "session");
    o.Add("event.type", "end");
    o.Add("event.action", "logged-off");
    o.Add("event.outcome", "success");
    return Match::kFull;
  }
  if (Eat(rest, "password changed for ")) {
    AddUser(o, Trim(rest));
    o.Add("event.category", "iam");
    o.Add("event.type", "change");
    o.Add("event.action", "password_changed");
    o.Add("event.outcome", "success");
    return Match::kFull;
  }
  if (Eat(rest, "requirement ")) {
    size_t p = rest.rfind(" not met by user \"");
    if (p == npos) return prefixed ? Match::kGeneric : Match::kNo;
    sv user = rest.substr(p + 18);
    if (EndsWith(user, "\"")) user.remove_suffix(1);
    AddUser(o, user);
    Auth(o, "pam_requirement_not_met", false);
    return Match::kFull;
  }
  if (Eat(rest, "auth could not identify password for [")) {
    if (size_t e = rest.find(']'); e != npos) AddUser(o, rest.substr(0, e));
    Auth(o, "authentication_failure", false);
    return Match::kFull;
  }
  return prefixed ? Match::kGeneric : Match::kNo;
}

// ---------------------------------------------------------------- sshd

//! "[authenticating user |invalid user |user ]U IP port P": user part before the address.
void UserBeforeAddress(sv before, Out& o, bool* named_preauth_user) {
  *named_preauth_user = false;
  if (Eat(before, "authenticating user ") || Eat(before, "invalid user ")) {
    *named_preauth_user = true;
    AddUser(o, before);
  } else if (Eat(before, "user ")) {
    AddUser(o, before);
  }
}

Match SshdMessage(sv m, Out& o) {
  bool preauth = false;
  m = StripPreauth(m, &preauth);
  // "message repeated N times: [ inner]"
  if (sv r = m; Eat(r, "message repeated ")) {
    sv n = Word(r);
    if (IsDigits(n) && Eat(r, "times: [") && EndsWith(r, "]")) {
      o.Add("event.count", n);
      return SshdMessage(Trim(r.substr(0, r.size() - 1)), o);
    }
  }
  sv r = m;
  Eat(r, "error: ") || Eat(r, "fatal: ");
  sv s = r;

  // Accepted / Failed / Postponed <method> for [invalid user ]U from IP port P proto[: sig]
  bool accepted = Eat(s, "Accepted ");
  if (accepted || Eat(s, "Failed ")) {
    sv method = Word(s);
    if (!method.empty() && Eat(s, "for ")) {
      size_t port = s.rfind(" port ");
      size_t from = port == npos ? s.rfind(" from ") : s.rfind(" from ", port);
      if (from != npos) {
        sv user = s.substr(0, from);
        if (Eat(user, "invalid user ")) o.Add("sshd.invalid_user", "true");
        sv host = port == npos ? TrimR(s.substr(from + 6)) : s.substr(from + 6, port - from - 6);
        if (port == npos) {
          size_t sp = host.find(' ');
          host = host.substr(0, sp);
        }
        if (!host.empty()) {
          AddUser(o, user);
          AddPeer(o, host);
          if (port != npos) {
            sv tail = s.substr(port + 6);
            sv p = Word(tail);
            AddPort(o, p);
            sv proto = tail.substr(0, tail.find(':'));
            if (!proto.empty()) o.Add("network.protocol", Trim(proto));
            if (size_t colon = tail.find(": "); colon != npos) o.Add("sshd.key", Trim(tail.substr(colon + 2)));
          }
          o.Add("sshd.auth_method", method);
          Auth(o, "ssh_login", accepted);
          return Match::kFull;
        }
      }
    }
  }
  s = r;
  if (Eat(s, "Invalid user ")) {
    size_t from = s.rfind(" from ");
    if (from != npos || s.find(' ') == npos) {
      sv user = from == npos ? s : s.substr(0, from);
      AddUser(o, user);
      if (from != npos) {
        sv addr = s.substr(from + 6);
        sv host = Word(addr);
        AddPeer(o, host);
        if (Eat(addr, "port ")) AddPort(o, Word(addr));
      }
      o.Add("sshd.invalid_user", "true");
      Auth(o, "ssh_login", false);
      return Match::kFull;
    }
  }
  if (Eat(s, "input_userauth_request: invalid user ")) {
    AddUser(o, Trim(s));
    o.Add("sshd.invalid_user", "true");
    Auth(o, "ssh_login", false);
    return Match::kFull;
  }
  s = r;
  if (Eat(s, "Connection closed by ") || Eat(s, "Connection reset by ") || Eat(s, "Disconnected from ") ||
      Eat(s, "Disconnecting ")) {
    bool disconnecting = StartsWith(r, "Disconnecting ");
    sv body = s;
    if (disconnecting) {  // "Disconnecting invalid user U IP port P: Too many authentication failures"
      size_t colon = body.find(": ");
      body = colon == npos ? body : body.substr(0, colon);
    }
    sv before;
    if (TailAddress(body, o, &before)) {
      bool named_preauth = false;
      UserBeforeAddress(before, o, &named_preauth);
      if (named_preauth || disconnecting) {
        Auth(o, "ssh_login", false);
      } else if (!preauth && o.Has("user.name")) {
        o.Add("event.category", "session");
        o.Add("event.type", "end");
        o.Add("event.action", "logout");
        o.Add("event.outcome", "success");
      } else {
        Net(o, "ssh_disconnect", preauth ? "failure" : "");
      }
      return Match::kFull;
    }
    o.f.clear();
  }
  s = r;
  if (StartsWith(s, "Read from socket failed: ") || StartsWith(s, "Write failed: ") ||
      StartsWith(s, "Read error from remote host ")) {
    if (size_t c = s.find(": "); c != npos) o.Add("event.reason", Trim(s.substr(c + 2)));
    Net(o, "ssh_disconnect", preauth ? "failure" : "");
    return Match::kFull;
  }
  if (Eat(s, "Disconnecting: Too many authentication failures for ")) {
    sv user = Trim(s);
    Eat(user, "invalid user ");
    AddUser(o, user);
    Auth(o, "ssh_login", false);
    return Match::kFull;
  }
  if (Eat(s, "Received disconnect from ")) {
    // "IP[ port P]: CODE: reason"; an IPv6 address has colons, so split at ": ".
    size_t colon = s.find(": ");
    sv addr = colon == npos ? s : s.substr(0, colon);
    sv host = Word(addr);
    if (IsIp(host)) {
      AddPeer(o, host);
      if (Eat(addr, "port ")) AddPort(o, Word(addr));
      if (colon != npos) {
        sv reason = s.substr(colon + 2);
        sv code = reason.substr(0, reason.find(':'));
        if (IsDigits(code)) o.Add("sshd.disconnect_code", code);
        if (size_t c2 = reason.find(": "); c2 != npos) o.Add("event.reason", Trim(reason.substr(c2 + 2)));
      }
      if (preauth) {
        Net(o, "ssh_disconnect", "failure");
      } else {
        o.Add("event.category", "session");
        o.Add("event.type", "end");
        o.Add("event.action", "logout");
        o.Add("event.outcome", "success");
      }
      return Match::kFull;
    }
  }
  s = r;
  if (Eat(s, "Did not receive identification string from ")) {
    sv addr = s;
    AddPeer(o, Word(addr));
    if (Eat(addr, "port ")) AddPort(o, Word(addr));
    Net(o, "ssh_no_identification", "failure");
    return Match::kFull;
  }
  if (Eat(s, "Unable to negotiate with ")) {
    sv addr = s.substr(0, s.find(": "));
    AddPeer(o, Word(addr));
    if (Eat(addr, "port ")) AddPort(o, Word(addr));
    if (size_t c = s.find(": "); c != npos) o.Add("event.reason", Trim(s.substr(c + 2)));
    Net(o, "ssh_negotiation_failed", "failure");
    return Match::kFull;
  }
  if (Eat(s, "Magic value check failed")) {
    size_t from = s.find(" from ");
    if (from != npos) {
      sv addr = s.substr(from + 6);
      AddPeer(o, Word(addr));
      if (Eat(addr, "port ")) AddPort(o, Word(addr));
    }
    Net(o, "ssh_bad_handshake", "failure");
    return Match::kFull;
  }
  if (Eat(s, "Timeout before authentication for ")) {
    sv addr = s;
    AddPeer(o, Word(addr));
    if (Eat(addr, "port ")) AddPort(o, Word(addr));
    Net(o, "ssh_auth_timeout", "failure");
    return Match::kFull;
  }
  if (Eat(s, "ssh_dispatch_run_fatal: Connection from ")) {
    size_t colon = s.find(": ");
    sv body = colon == npos ? s : s.substr(0, colon);
    sv before;
    if (TailAddress(body, o, &before)) {
      bool named = false;
      UserBeforeAddress(before, o, &named);
    }
    if (colon != npos) o.Add("event.reason", Trim(s.substr(colon + 2)));
    Net(o, "ssh_dispatch_fatal", "failure");
    return Match::kFull;
  }
  if (Eat(s, "User ")) {
    size_t from = s.find(" from ");
    size_t na = s.find(" not allowed because ");
    if (from != npos && na != npos && from < na) {
      AddUser(o, s.substr(0, from));
      AddPeer(o, s.substr(from + 6, na - from - 6));
      o.Add("event.reason", s.substr(na + 1));
      Auth(o, "ssh_login", false);
      return Match::kFull;
    }
  }
  s = r;
  if (Eat(s, "refused connect from ")) {
    // "HOST (IP)"
    size_t open = s.rfind(" (");
    if (open != npos && EndsWith(s, ")")) {
      sv host = s.substr(0, open);
      sv ip = s.substr(open + 2, s.size() - open - 3);
      AddPeer(o, ip);
      if (!host.empty() && host != ip) o.Add("source.domain", host);
    } else {
      AddPeer(o, s);
    }
    Net(o, "ssh_refused_connection", "failure");
    return Match::kFull;
  }
  if (Eat(s, "reverse mapping checking getaddrinfo for ")) {
    size_t open = s.find(" [");
    size_t close = s.find(']');
    if (open != npos && close != npos && close > open) {
      o.Add("source.domain", s.substr(0, open));
      AddPeer(o, s.substr(open + 2, close - open - 2));
    }
    Net(o, "ssh_reverse_mapping_failed", "");
    return Match::kFull;
  }
  if (Eat(s, "Address ")) {
    sv addr = s;
    sv ip = Word(addr);
    if (IsIp(ip) && Eat(addr, "maps to ")) {
      o.Add("source.ip", ip);
      sv host = Word(addr);
      if (EndsWith(host, ",")) host.remove_suffix(1);
      if (!host.empty()) o.Add("source.domain", host);
      Net(o, "ssh_reverse_mapping_failed", "");
      return Match::kFull;
    }
  }
  s = r;
  if (Eat(s, "PAM: ")) {
    // "Authentication failure for [illegal user ]U from HOST",
    // "User not known to the underlying authentication module for illegal user U from HOST"
    size_t for_pos = s.find(" for ");
    size_t from = s.rfind(" from ");
    if (for_pos != npos && from != npos && from > for_pos) {
      sv user = s.substr(for_pos + 5, from - for_pos - 5);
      Eat(user, "illegal user ") || Eat(user, "invalid user ");
      AddUser(o, user);
      AddPeer(o, s.substr(from + 6));
      o.Add("event.reason", s.substr(0, for_pos));
      Auth(o, "ssh_login", false);
      return Match::kFull;
    }
  }
  s = r;
  if (Eat(s, "Connection from ")) {
    sv addr = s;
    sv ip = Word(addr);
    if (IsIp(ip)) {
      o.Add("source.ip", ip);
      if (Eat(addr, "port ")) AddPort(o, Word(addr));
      if (Eat(addr, "on ")) {
        sv dip = Word(addr);
        if (IsIp(dip)) o.Add("destination.ip", dip);
        if (Eat(addr, "port ")) {
          sv dp = Word(addr);
          if (IsPort(dp)) o.Add("destination.port", dp);
        }
      }
      Net(o, "ssh_connection", "");
      return Match::kFull;
    }
  }
  if (Eat(s, "subsystem request for ")) {
    size_t by = s.find(" by user ");
    if (by != npos) {
      o.Add("sshd.subsystem", s.substr(0, by));
      AddUser(o, Trim(s.substr(by + 9)));
      o.Add("event.category", "session");
      o.Add("event.type", "info");
      o.Add("event.action", "ssh_subsystem");
      o.Add("event.outcome", "success");
      return Match::kFull;
    }
  }
  return PamMessage(m, o);
}

constexpr sv kSshdPrograms[] = {"sshd", "sshd-session", "sshd-auth", "sshd(pam_unix)", "sshd2"};
constexpr sv kSuPrograms[] = {"su", "su(pam_unix)"};
constexpr sv kSudoPrograms[] = {"sudo"};

// ---------------------------------------------------------------- sudo

Match SudoMessage(sv m, Out& o) {
  m = Trim(m);
  size_t colon = m.find(" : ");
  if (colon == npos) return Match::kNo;
  sv user = Trim(m.substr(0, colon));
  if (user.empty() || user.find(' ') != npos) return Match::kNo;
  sv rest = m.substr(colon + 3);
  if (StartsWith(rest, "(command continued)")) {
    AddUser(o, user);
    return Match::kGeneric;
  }
  bool any_key = false;
  std::string reasons;
  while (!rest.empty()) {
    rest = TrimL(rest);
    if (Eat(rest, "COMMAND=")) {
      o.Add("process.command_line", TrimR(rest));
      any_key = true;
      break;
    }
    size_t semi = rest.find(" ; ");
    sv part = TrimR(semi == npos ? rest : rest.substr(0, semi));
    rest = semi == npos ? sv() : rest.substr(semi + 3);
    size_t eq = part.find('=');
    sv key = eq == npos ? sv() : part.substr(0, eq);
    bool upper_key = !key.empty();
    for (char c : key) upper_key = upper_key && ((c >= 'A' && c <= 'Z') || c == '_');
    if (!upper_key) {
      if (!reasons.empty()) reasons += "; ";
      reasons.append(part);
      continue;
    }
    sv val = part.substr(eq + 1);
    any_key = true;
    if (key == "TTY") o.Add("sudo.tty", val);
    else if (key == "PWD") o.Add("process.working_directory", val);
    else if (key == "USER") o.Add("user.effective.name", val);
    else if (key == "GROUP") o.Add("group.name", val);
    else if (key == "ENV") o.Add("sudo.env", val);
  }
  if (!any_key) return Match::kNo;
  AddUser(o, user);
  o.Add("event.category", "process");
  o.Add("event.type", reasons.empty() ? "start" : "info");
  o.Add("event.action", "sudo");
  o.Add("event.outcome", reasons.empty() ? "success" : "failure");
  if (!reasons.empty()) o.Add("event.reason", reasons);
  return Match::kFull;
}

// ---------------------------------------------------------------- su

Match SuMessage(sv m, Out& o) {
  m = Trim(m);
  sv s = m;
  bool ok = Eat(s, "Successful su for ");
  if (ok || Eat(s, "FAILED su for ")) {
    size_t by = s.rfind(" by ");
    if (by == npos) return Match::kNo;
    AddUser(o, s.substr(by + 4));
    o.Add("user.effective.name", s.substr(0, by));
    Auth(o, "su", ok);
    return Match::kFull;
  }
  s = m;
  bool failed = Eat(s, "FAILED SU ");
  if (Eat(s, "(to ")) {  // util-linux: "(to root) user on pts/0"
    size_t close = s.find(") ");
    if (close == npos) return Match::kNo;
    o.Add("user.effective.name", s.substr(0, close));
    sv rest = s.substr(close + 2);
    size_t on = rest.find(" on ");
    AddUser(o, rest.substr(0, on));
    if (on != npos) o.Add("su.tty", rest.substr(on + 4));
    Auth(o, "su", !failed);
    return Match::kFull;
  }
  s = m;
  if ((StartsWith(s, "+ ") || StartsWith(s, "- ")) && s.size() > 2) {  // "+ /dev/pts/1 root:user02"
    bool plus = s[0] == '+';
    s.remove_prefix(2);
    sv tty = Word(s);
    size_t colon = s.find(':');
    if (tty.empty() || colon == npos || s.find(' ') != npos) return Match::kNo;
    AddUser(o, s.substr(0, colon));
    o.Add("user.effective.name", s.substr(colon + 1));
    o.Add("su.tty", tty);
    Auth(o, "su", plus);
    return Match::kFull;
  }
  return PamMessage(m, o);
}

// ---------------------------------------------------------------- RADIUS


//! FortiAuthenticator: ` category="Event" subcategory="Authentication" typeid=20001 ... free text`.
Match FortiAuthMessage(sv m, Out& o) {
  m = TrimL(m);
  if (!StartsWith(m, "category=\"")) return Match::kNo;
  sv subcategory, action, status;
  bool has_typeid = false;
  while (!m.empty()) {
    m = TrimL(m);
    size_t eq = m.find('=');
    size_t sp = m.find(' ');
    if (eq == npos || (sp != npos && sp < eq) || eq == 0) break;  // free text starts
    sv key = m.substr(0, eq);
    bool ident = true;
    for (char c : key) ident = ident && (IsDigit(c) || (c >= 'a' && c <= 'z') || c == '_');
    if (!ident) break;
    sv v;
    sv after = m.substr(eq + 1);
    if (!after.empty() && after.front() == '"') {
      size_t close = after.find('"', 1);
      if (close == npos) return Match::kNo;
      v = after.substr(1, close - 1);
      m = after.substr(close + 1);
    } else {
      size_t e = after.find(' ');
      v = after.substr(0, e);
      m = e == npos ? sv() : after.substr(e);
    }
    if (key == "category") o.Add("fortiauth.category", v);
    else if (key == "subcategory") subcategory = v, o.Add("fortiauth.subcategory", v);
    else if (key == "typeid") has_typeid = true, o.Add("event.code", v);
    else if (key == "level") o.Add("log.level", v);
    else if (key == "user") AddUser(o, v);
    else if (key == "nas") {
      if (IsIp(v)) o.Add("source.ip", v);
      else if (!v.empty()) o.Add("source.address", v);
    } else if (key == "action") action = v;
    else if (key == "status") status = v;
  }
  if (!has_typeid) return Match::kNo;
  sv text = Trim(m);
  if (!text.empty()) o.Add("event.reason", text);
  if (subcategory == "Authentication") o.Add("event.category", "authentication");
  else if (subcategory.find("onfig") != npos) o.Add("event.category", "configuration");
  else o.Add("event.category", "host");
  o.Add("event.type", "info");
  std::string act = Lower(!action.empty() ? action : subcategory);
  if (!act.empty()) o.Add("event.action", act);
  if (status == "Success") o.Add("event.outcome", "success");
  else if (status == "Failed") o.Add("event.outcome", "failure");
  else if (!status.empty()) o.Add("event.outcome", "unknown");
  if (!status.empty()) o.Add("fortiauth.status", status);
  return Match::kFull;
}

//! FreeRADIUS radius.log: "Auth: (N) Login OK: [user] (from client X port N cli MAC)".
Match FreeRadiusMessage(sv m, Out& o) {
  m = Trim(m);
  // radius.log writes "Sat Nov 26 12:00:00 2026 : Auth: ..."; syslog gives "Auth: ...".
  if (size_t p = m.find(" : Auth: "); p != npos && p < 40) m = m.substr(p + 3);
  if (!Eat(m, "Auth: ")) return Match::kNo;
  if (StartsWith(m, "(")) {
    size_t close = m.find(") ");
    if (close == npos) return Match::kNo;
    sv id = m.substr(1, close - 1);
    if (IsDigits(id)) o.Add("radius.request_id", id);
    m = m.substr(close + 2);
  }
  bool ok;
  if (Eat(m, "Login OK")) ok = true;
  else if (Eat(m, "Login incorrect") || Eat(m, "Invalid user")) ok = false;
  else return Match::kNo;
  if (StartsWith(m, " (")) {
    size_t close = m.find("): ");
    if (close != npos) {
      o.Add("event.reason", m.substr(2, close - 2));
      m = m.substr(close + 1);
    }
  }
  if (!Eat(m, ": [")) return Match::kNo;
  size_t end = m.find("] (from client ");
  if (end == npos) return Match::kNo;
  sv user = m.substr(0, end);
  user = user.substr(0, user.find('/'));  // "user/<via Auth-Type = PAP>" or "user/password"
  AddUser(o, user);
  sv c = m.substr(end + 15);
  sv client = Word(c);
  if (!client.empty()) o.Add("radius.client", client);
  if (Eat(c, "port ")) {
    sv port = Word(c);
    if (EndsWith(port, ")")) port.remove_suffix(1);
    if (IsDigits(port)) o.Add("radius.nas_port", port);
  }
  if (Eat(c, "cli ")) {
    sv cli = Word(c);
    if (EndsWith(cli, ")")) cli.remove_suffix(1);
    if (!cli.empty()) o.Add("radius.calling_station_id", cli);
  }
  Auth(o, "authentication", ok);
  return Match::kFull;
}

}  // namespace

// ---------------------------------------------------------------- entry points

bool LooksLikeSshd(std::string_view m) {
  m = TrimL(m);
  return StartsWith(m, "Accepted password for ") || StartsWith(m, "Accepted publickey for ") ||
         StartsWith(m, "Accepted keyboard-interactive") || StartsWith(m, "Failed password for ") ||
         StartsWith(m, "Failed publickey for ") || StartsWith(m, "Failed keyboard-interactive") ||
         StartsWith(m, "Failed none for ") || StartsWith(m, "input_userauth_request: ") ||
         StartsWith(m, "pam_unix(sshd:") || StartsWith(m, "Connection closed by authenticating user ") ||
         StartsWith(m, "Disconnected from authenticating user ") || StartsWith(m, "Disconnected from invalid user ") ||
         StartsWith(m, "Connection closed by invalid user ") ||
         StartsWith(m, "Did not receive identification string from ") ||
         StartsWith(m, "reverse mapping checking getaddrinfo for ");
}

bool ParseSshd(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  Match match = SshdMessage(m, o);
  if (match == Match::kNo) {
    if (!ProgramIs(*ev, kSshdPrograms)) return false;
    o.f.clear();
    match = Match::kGeneric;
  }
  return Finish(ev, o, match, "auth.sshd");
}

bool LooksLikeSudo(std::string_view m) {
  return m.find(" : TTY=") != npos || (m.find(" ; USER=") != npos && m.find("COMMAND=") != npos) ||
         StartsWith(TrimL(m), "pam_unix(sudo:");
}

bool ParseSudo(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  Match match = SudoMessage(m, o);
  if (match == Match::kNo) {
    o.f.clear();
    match = PamMessage(m, o);
  }
  if (match == Match::kNo) {
    if (!ProgramIs(*ev, kSudoPrograms)) return false;
    o.f.clear();
    match = Match::kGeneric;
  }
  return Finish(ev, o, match, "auth.sudo");
}

bool LooksLikeSu(std::string_view m) {
  m = TrimL(m);
  return StartsWith(m, "Successful su for ") || StartsWith(m, "FAILED su for ") ||
         StartsWith(m, "FAILED SU (to ") || StartsWith(m, "pam_unix(su:") || StartsWith(m, "pam_unix(su-l:");
}

bool ParseSu(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  Match match = SuMessage(m, o);
  if (match == Match::kNo) {
    if (!ProgramIs(*ev, kSuPrograms)) return false;
    o.f.clear();
    match = Match::kGeneric;
  }
  return Finish(ev, o, match, "auth.su");
}

bool LooksLikePam(std::string_view m) {
  m = TrimL(m);
  if (StartsWith(m, "pam_")) {
    size_t open = m.find('(');
    return open != npos && open < 32 && m.find("): ") != npos;
  }
  return StartsWith(m, "authentication failure; logname=") || StartsWith(m, "session opened for user ") ||
         StartsWith(m, "session closed for user ") || StartsWith(m, "check pass; user unknown") ||
         (StartsWith(m, "PAM ") && m.find(" more authentication failure") != npos);
}

bool ParsePam(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  Match match = PamMessage(TrimL(m), o);
  if (match == Match::kNo) return false;
  sv dataset = "auth.pam";
  if (ProgramIs(*ev, kSshdPrograms)) dataset = "auth.sshd";
  else if (ProgramIs(*ev, kSuPrograms)) dataset = "auth.su";
  else if (ProgramIs(*ev, kSudoPrograms)) dataset = "auth.sudo";
  return Finish(ev, o, match, dataset);
}

bool LooksLikeRadius(std::string_view m) {
  sv t = TrimL(m);
  return (StartsWith(t, "category=\"") && t.find(" typeid=") != npos) ||
         (t.find("Auth: ") < 40 && t.find("Login ") != npos && t.find("(from client ") != npos);
}

bool ParseRadius(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  Match match = FortiAuthMessage(m, o);
  if (match == Match::kNo) {
    o.f.clear();
    match = FreeRadiusMessage(m, o);
  }
  return Finish(ev, o, match, "auth.radius");
}

void RegisterLinuxAuthParsers(ParserRegistry* registry) {
  registry->Register({"auth.sshd", {"sshd", "sshd-session", "sshd-auth", "sshd(pam_unix)", "sshd2"}, &LooksLikeSshd,
                      &ParseSshd, nullptr});
  registry->Register({"auth.sudo", {"sudo"}, &LooksLikeSudo, &ParseSudo, nullptr});
  registry->Register({"auth.su", {"su", "su(pam_unix)"}, &LooksLikeSu, &ParseSu, nullptr});
  registry->Register({"auth.radius", {"radiusd", "freeradius"}, &LooksLikeRadius, &ParseRadius, nullptr});
  registry->Register({"auth.pam",
                      {"login(pam_unix)", "gdm(pam_unix)", "crond(pam_unix)", "cron(pam_unix)", "passwd(pam_unix)"},
                      &LooksLikePam,
                      &ParsePam,
                      nullptr});
}

}  // namespace kamatama
