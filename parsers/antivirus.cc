// parsers/antivirus.cc
//! ClamAV, amavis, Sophos XG anti-virus, ESET and McAfee ePO lines. Hand-written scanners (ESET's
//! JSON payload goes through simdjson); fields are staged and written only once a line is
//! recognised, so a declined line leaves the event untouched.
#include "parsers/antivirus.h"

#include <simdjson.h>

#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "core/tokenize.h"
#include "parsers/toolkit.h"

namespace kamatama {

namespace {

using namespace toolkit;

void Detection(Out& o, sv action) {
  o.Add("event.kind", "alert");
  o.Add("event.category", "malware");
  o.Add("event.type", "info");
  o.Add("event.action", action);
  o.Add("event.outcome", "success");
}
void Info(Out& o, sv category, sv action, sv outcome) {
  o.Add("event.category", category);
  o.Add("event.type", "info");
  if (!action.empty()) o.Add("event.action", action);
  if (!outcome.empty()) o.Add("event.outcome", outcome);
}

//! A file scanned through a stream or descriptor has no path.
void AddScanTarget(Out& o, sv target) {
  if (StartsWith(target, "instream(") || StartsWith(target, "stream(") || StartsWith(target, "fd[")) {
    o.Add("clamav.scan_target", target);
  } else if (!target.empty()) {
    o.Add("file.path", target);
  }
}

// ---------------------------------------------------------------- ClamAV

//! Strips clamd/freshclam's own "Wed Jun  3 12:00:00 2020 -> " LogTime prefix.
sv StripLogTime(sv m) {
  size_t arrow = m.find(" -> ");
  if (arrow != npos && arrow >= 20 && arrow <= 32 && m.size() > 3 && m[0] >= 'A' && m[0] <= 'Z') {
    return m.substr(arrow + 4);
  }
  return m;
}

Match ClamavMessage(sv m, Out& o) {
  m = Trim(StripLogTime(Trim(m)));
  Eat(m, "ScanOnAccess: ") || Eat(m, "OnAccessScan: ");
  if (EndsWith(m, " FOUND")) {
    sv body = m.substr(0, m.size() - 6);
    size_t colon = body.rfind(": ");
    if (colon == npos) return Match::kNo;
    sv sig = Trim(body.substr(colon + 2));
    // --extended-detection-info: "Sig(md5:size)"
    if (EndsWith(sig, ")")) {
      size_t open = sig.rfind('(');
      if (open != npos) {
        sv detail = sig.substr(open + 1, sig.size() - open - 2);
        size_t c = detail.find(':');
        if (c == 32) {
          o.Add("file.hash.md5", detail.substr(0, 32));
          if (IsDigits(detail.substr(33))) o.Add("file.size", detail.substr(33));
          sig = sig.substr(0, open);
        }
      }
    }
    if (sig.empty()) return Match::kNo;
    o.Add("rule.name", sig);
    AddScanTarget(o, body.substr(0, colon));
    Detection(o, "detected");
    return Match::kFull;
  }
  if (size_t p = m.find(": moved to '"); p != npos) {
    AddScanTarget(o, m.substr(0, p));
    sv dst = m.substr(p + 12);
    if (EndsWith(dst, "'")) dst.remove_suffix(1);
    o.Add("clamav.quarantine_path", dst);
    Detection(o, "quarantined");
    return Match::kFull;
  }
  if (size_t p = m.find(": copied to '"); p != npos) {
    AddScanTarget(o, m.substr(0, p));
    sv dst = m.substr(p + 13);
    if (EndsWith(dst, "'")) dst.remove_suffix(1);
    o.Add("clamav.quarantine_path", dst);
    Detection(o, "quarantined");
    return Match::kFull;
  }
  if (EndsWith(m, ": Removed.")) {
    AddScanTarget(o, m.substr(0, m.size() - 10));
    Detection(o, "removed");
    return Match::kFull;
  }
  if (EndsWith(m, " ERROR") && m.find(": ") != npos) {
    sv body = m.substr(0, m.size() - 6);
    size_t colon = body.rfind(": ");
    AddScanTarget(o, body.substr(0, colon));
    o.Add("event.reason", Trim(body.substr(colon + 2)));
    o.Add("log.level", "error");
    Info(o, "malware", "scan-error", "failure");
    return Match::kFull;
  }
  if (EndsWith(m, ": OK") && m.find(' ') != 0) {
    AddScanTarget(o, m.substr(0, m.size() - 4));
    Info(o, "malware", "scanned", "success");
    return Match::kFull;
  }
  sv s = m;
  if (Eat(s, "SelfCheck: ")) {
    o.Add("event.reason", s);
    Info(o, "malware", "self-check", StartsWith(s, "Database status OK") || StartsWith(s, "Database modification") ? "success" : "");
    return Match::kFull;
  }
  if (Eat(s, "Database correctly reloaded (")) {
    sv n = s.substr(0, s.find(' '));
    if (IsDigits(n)) o.Add("clamav.signatures", n);
    Info(o, "malware", "reload", "success");
    return Match::kFull;
  }
  // freshclam: "daily.cld updated (version: 26000, sigs: 2000000, f-level: 90, builder: raynman)"
  //            "daily.cvd database is up-to-date (version: 26851, sigs: ...)"
  size_t dot = s.find('.');
  if (dot != npos && dot < 24 && dot + 4 <= s.size()) {
    sv ext = s.substr(dot + 1, 3);
    if (ext == "cld" || ext == "cvd" || ext == "cdiff") {
      sv db = s.substr(0, dot);
      sv rest = s.substr(dot + 4);
      bool updated = StartsWith(rest, " updated (version: ");
      bool current = StartsWith(rest, " database is up-to-date (version: ") || StartsWith(rest, " is up to date (version: ");
      if (updated || current) {
        o.Add("clamav.database", db);
        size_t v = rest.find("version: ");
        sv ver = rest.substr(v + 9);
        ver = ver.substr(0, ver.find(','));
        if (IsDigits(ver)) o.Add("clamav.database_version", ver);
        if (size_t sg = rest.find("sigs: "); sg != npos) {
          sv n = rest.substr(sg + 6);
          n = n.substr(0, n.find(','));
          if (IsDigits(n)) o.Add("clamav.signatures", n);
        }
        Info(o, "malware", "update", "success");
        return Match::kFull;
      }
    }
  }
  if (Eat(s, "Database updated (")) {
    sv n = s.substr(0, s.find(' '));
    if (IsDigits(n)) o.Add("clamav.signatures", n);
    if (size_t f = s.find(" from "); f != npos) {
      sv t = s.substr(f + 6);
      sv host = Word(t);
      if (!host.empty()) o.Add("server.address", host);
      if (Eat(t, "(IP: ")) {
        sv ip = t.substr(0, t.find(')'));
        if (IsIp(ip)) o.Add("server.ip", ip);
      }
    }
    Info(o, "malware", "update", "success");
    return Match::kFull;
  }
  if (StartsWith(s, "ClamAV update process started at ")) {
    Info(o, "malware", "update-start", "");
    return Match::kFull;
  }
  // clamav-milter: "Message QID from <a> to <b> with subject '...' ... infected by Sig"
  if (size_t inf = s.find(" infected by "); inf != npos && StartsWith(s, "Message ")) {
    o.Add("rule.name", Trim(s.substr(inf + 13)));
    sv t = s.substr(8);
    o.Add("clamav.queue_id", Word(t));
    if (Eat(t, "from ")) {
      sv from = Word(t);
      if (from.size() >= 2 && from.front() == '<' && from.back() == '>') from = from.substr(1, from.size() - 2);
      if (!from.empty()) o.Add("email.from.address", from);
    }
    if (Eat(t, "to ")) {
      sv to = Word(t);
      if (to.size() >= 2 && to.front() == '<' && to.back() == '>') to = to.substr(1, to.size() - 2);
      if (!to.empty()) o.Add("email.to.address", to);
    }
    Detection(o, "detected");
    return Match::kFull;
  }
  if (Eat(s, "ERROR: ")) {
    o.Add("log.level", "error");
    o.Add("event.reason", s);
    Info(o, "malware", "", "failure");
    return Match::kGeneric;
  }
  if (Eat(s, "WARNING: ")) {
    o.Add("log.level", "warning");
    o.Add("event.reason", s);
    Info(o, "malware", "", "");
    return Match::kGeneric;
  }
  return Match::kNo;
}

// ---------------------------------------------------------------- amavis

//! "(4051607-09) Blocked INFECTED (sig) {DiscardedInbound,Quarantined}, [ip]:port [ip] <from> ->
//! <to>,<to2>, quarantine: q, Queue-ID: X, Message-ID: <m>, mail_id: i, Hits: -, size: N, 104 ms"
Match AmavisMessage(sv m, Out& o) {
  m = Trim(m);
  sv s = m;
  if (StartsWith(s, "(")) {
    size_t close = s.find(") ");
    if (close == npos || close > 40) return Match::kNo;
    o.Add("amavis.id", s.substr(1, close - 1));
    s = s.substr(close + 2);
  }
  sv verdict = Word(s);
  if (verdict != "Passed" && verdict != "Blocked" && verdict != "Not-Delivered") return Match::kNo;
  sv category = Word(s);
  if (category.empty()) return Match::kNo;
  for (char c : category) {
    if (!((c >= 'A' && c <= 'Z') || IsDigit(c) || c == '-')) return Match::kNo;
  }
  if (EndsWith(category, ",")) category.remove_suffix(1);
  o.Add("amavis.category", category);
  if (StartsWith(s, "(")) {  // "(sig1,sig2)" or the banned part description; may nest parens
    int depth = 0;
    size_t i = 0;
    for (; i < s.size(); ++i) {
      if (s[i] == '(') ++depth;
      else if (s[i] == ')' && --depth == 0) break;
    }
    if (i >= s.size()) return Match::kNo;
    sv detail = s.substr(1, i - 1);
    if (category == "INFECTED") o.Add("rule.name", detail);
    else o.Add("amavis.detail", detail);
    s = TrimL(s.substr(i + 1));
  }
  if (StartsWith(s, "{")) {
    size_t close = s.find('}');
    if (close == npos) return Match::kNo;
    o.Add("amavis.actions", s.substr(1, close - 1));
    s = s.substr(close + 1);
  }
  Eat(s, ",");
  s = TrimL(s);
  Eat(s, "LOCAL ");
  // [client]:port [origin]
  if (StartsWith(s, "[")) {
    size_t close = s.find(']');
    if (close == npos) return Match::kNo;
    sv ip = s.substr(1, close - 1);
    if (IsIp(ip)) o.Add("source.ip", ip);
    s = s.substr(close + 1);
    if (Eat(s, ":")) {
      sv port = s.substr(0, s.find(' '));
      if (IsPort(port)) o.Add("source.port", port);
      s = s.substr(port.size());
    }
    s = TrimL(s);
    if (StartsWith(s, "[")) {
      size_t c2 = s.find(']');
      if (c2 == npos) return Match::kNo;
      sv origin = s.substr(1, c2 - 1);
      if (IsIp(origin)) o.Add("amavis.origin_ip", origin);
      s = TrimL(s.substr(c2 + 1));
    }
  }
  // <from> -> <to>,<to>
  if (StartsWith(s, "<")) {
    size_t arrow = s.find("> -> <");
    if (arrow != npos) {
      sv from = s.substr(1, arrow - 1);
      if (!from.empty()) o.Add("email.from.address", from);
      sv t = s.substr(arrow + 5);
      size_t end = t.find(">, ");
      sv tos = end == npos ? TrimR(t) : t.substr(0, end + 1);
      std::string joined;
      while (!tos.empty()) {
        size_t open = tos.find('<');
        size_t close = tos.find('>');
        if (open == npos || close == npos || close < open) break;
        if (!joined.empty()) joined += ',';
        joined.append(tos.substr(open + 1, close - open - 1));
        tos = tos.substr(close + 1);
      }
      if (!joined.empty()) o.Add("email.to.address", joined);
      s = end == npos ? sv() : t.substr(end + 3);
    }
  }
  // ", key: value" pairs, then "N ms"
  while (!s.empty()) {
    s = TrimL(s);
    size_t comma = s.find(", ");
    sv part = comma == npos ? s : s.substr(0, comma);
    // Message-ID values may contain ", "? They are <...>: extend to the closing '>'.
    if (StartsWith(part, "Message-ID: <") && part.find('>') == npos) {
      size_t close = s.find('>');
      if (close != npos) {
        comma = s.find(", ", close);
        part = comma == npos ? s : s.substr(0, comma);
      }
    }
    s = comma == npos ? sv() : s.substr(comma + 2);
    if (EndsWith(part, " ms")) {
      sv ms = part.substr(0, part.size() - 3);
      if (IsDigits(ms) && ms.size() < 10) o.Add("event.duration", std::to_string(std::stoll(std::string(ms)) * 1000000));
      continue;
    }
    size_t c = part.find(": ");
    if (c == npos) continue;
    sv k = part.substr(0, c), v = part.substr(c + 2);
    if (k == "quarantine") o.Add("amavis.quarantine", v);
    else if (k == "Queue-ID") o.Add("amavis.queue_id", v);
    else if (k == "Message-ID") {
      if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
      o.Add("email.message_id", v);
    } else if (k == "mail_id") o.Add("amavis.mail_id", v);
    else if (k == "Hits") o.Add("amavis.hits", v);
    else if (k == "size") o.Add("amavis.size", v);
    else if (k == "queued_as") o.Add("amavis.queued_as", v);
  }
  bool infected = category == "INFECTED";
  sv action = verdict == "Passed" ? "passed" : "blocked";
  if (infected) {
    Detection(o, action);
  } else {
    Info(o, "email", action, "success");
  }
  return Match::kFull;
}

// ---------------------------------------------------------------- Sophos XG

//! key=value and key="value" pairs (values may hold spaces inside quotes).
template <class F>
bool ForEachKv(sv s, F&& f) {
  bool any = false;
  while (!s.empty()) {
    s = TrimL(s);
    size_t eq = s.find('=');
    if (eq == npos || eq == 0) break;
    sv key = s.substr(0, eq);
    if (key.find(' ') != npos) {  // free text: skip a word
      Word(s);
      continue;
    }
    sv rest = s.substr(eq + 1);
    sv val;
    if (!rest.empty() && rest.front() == '"') {
      size_t close = rest.find('"', 1);
      if (close == npos) {
        val = rest.substr(1);
        s = sv();
      } else {
        val = rest.substr(1, close - 1);
        s = rest.substr(close + 1);
      }
    } else {
      size_t sp = rest.find(' ');
      val = rest.substr(0, sp);
      s = sp == npos ? sv() : rest.substr(sp);
    }
    f(key, val);
    any = true;
  }
  return any;
}

//! Offsets of the zone abbreviations SFOS writes, in minutes east of UTC.
bool ZoneOffset(sv tz, int* minutes) {
  struct Z {
    sv name;
    int min;
  };
  static constexpr Z kZones[] = {{"UTC", 0},    {"GMT", 0},    {"WET", 0},     {"WEST", 60},  {"BST", 60},
                                 {"CET", 60},   {"CEST", 120}, {"MET", 60},    {"MEST", 120}, {"EET", 120},
                                 {"EEST", 180}, {"MSK", 180},  {"IST", 330},   {"SGT", 480},  {"HKT", 480},
                                 {"JST", 540},  {"KST", 540},  {"AEST", 600},  {"AEDT", 660}, {"NZST", 720},
                                 {"NZDT", 780}, {"EST", -300}, {"EDT", -240},  {"CST", -360}, {"CDT", -300},
                                 {"MST", -420}, {"MDT", -360}, {"PST", -480},  {"PDT", -420}};
  for (const auto& z : kZones) {
    if (z.name == tz) {
      *minutes = z.min;
      return true;
    }
  }
  return false;
}

Match SophosAvMessage(sv m, Out& o, int64_t* ts) {
  m = Trim(m);
  if (m.find("log_type=\"Anti-Virus\"") == npos) return Match::kNo;
  sv date, time, tz, subtype, quarantine, virus;
  bool device = false;
  ForEachKv(m, [&](sv k, sv v) {
    if (k == "device") device = true;
    else if (k == "date") date = v;
    else if (k == "time") time = v;
    else if (k == "timezone") tz = v;
    else if (k == "device_name") o.Add("observer.name", v);
    else if (k == "device_id") o.Add("observer.serial_number", v);
    else if (k == "log_id") o.Add("event.code", v);
    else if (k == "log_component") o.Add("sophos.xg.log_component", v);
    else if (k == "log_subtype") subtype = v, o.Add("sophos.xg.log_subtype", v);
    else if (k == "priority") o.Add("log.level", v);
    else if (k == "fw_rule_id" && !v.empty()) o.Add("rule.id", v);
    else if (k == "user_name" && !v.empty()) o.Add("user.name", v);
    else if (k == "av_policy_name") o.Add("sophos.xg.av_policy_name", v);
    else if (k == "from_email_address" && !v.empty()) o.Add("source.user.email", v);
    else if (k == "to_email_address" && !v.empty()) o.Add("destination.user.email", v);
    else if (k == "subject" && !v.empty()) o.Add("email.subject", v);
    else if (k == "mailid" && !v.empty()) o.Add("sophos.xg.mailid", v);
    else if (k == "mailsize") o.Add("sophos.xg.mailsize", v);
    else if (k == "virus") virus = v;
    else if (k == "filename" && !v.empty()) o.Add("file.path", v);
    else if (k == "quarantine") quarantine = v;
    else if (k == "src_domainname" && !v.empty()) o.Add("source.domain", v);
    else if (k == "dst_domainname" && !v.empty()) o.Add("destination.domain", v);
    else if (k == "src_ip" && IsIp(v)) o.Add("source.ip", v);
    else if (k == "dst_ip" && IsIp(v)) o.Add("destination.ip", v);
    else if (k == "src_port" && IsPort(v)) o.Add("source.port", v);
    else if (k == "dst_port" && IsPort(v)) o.Add("destination.port", v);
    else if (k == "src_country_code" && !v.empty()) o.Add("source.geo.country_iso_code", v);
    else if (k == "dst_country_code" && !v.empty()) o.Add("destination.geo.country_iso_code", v);
    else if (k == "protocol" && !v.empty()) o.Add("network.transport", Lower(v));
    else if (k == "sent_bytes" && IsDigits(v)) o.Add("source.bytes", v);
    else if (k == "recv_bytes" && IsDigits(v)) o.Add("destination.bytes", v);
    else if (k == "quarantine_reason" && !v.empty()) o.Add("sophos.xg.quarantine_reason", v);
    else if (k == "url" && !v.empty()) o.Add("url.original", v);
    else if (k == "status" && !v.empty()) o.Add("sophos.xg.status", v);
  });
  if (!device) return Match::kNo;
  if (!virus.empty()) o.Add("rule.name", virus);
  if (!quarantine.empty()) o.Add("sophos.xg.quarantine", quarantine);
  // date=2020-05-18 time=14:38:35 timezone="CEST"
  if (date.size() == 10 && time.size() == 8) {
    std::string iso = std::string(date) + "T" + std::string(time) + "Z";
    if (auto t = ParseRfc3339(iso)) {
      int off = 0;
      ZoneOffset(tz, &off);
      *ts = *t - static_cast<int64_t>(off) * 60 * kNanosPerSecond;
    }
  }
  Detection(o, !quarantine.empty() ? "quarantined" : "detected");
  return Match::kFull;
}

// ---------------------------------------------------------------- ESET

std::string ActionOf(sv raw) {
  std::string a = Lower(raw);
  if (a.find("quarant") != std::string::npos) return "quarantined";
  if (a.find("clean") != std::string::npos || a.find("delet") != std::string::npos) return "cleaned";
  if (a.find("block") != std::string::npos || a.find("denied") != std::string::npos) return "blocked";
  return "";
}

Match EsetMessage(sv m, Out& o) {
  m = Trim(m);
  if (!StartsWith(m, "{\"event_type\":\"") && !StartsWith(m, "{ \"event_type\"")) return Match::kNo;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(m.data(), m.size()).get(obj)) return Match::kNo;
  std::string_view event_type;
  if (obj["event_type"].get(event_type)) return Match::kNo;
  sv action_raw, action_taken, result;
  std::string num;
  for (auto [key, value] : obj) {
    sv v;
    if (value.is_string()) {
      v = value.get_string().value_unsafe();
    } else if (value.is_int64() || value.is_uint64() || value.is_double() || value.is_bool()) {
      num = simdjson::minify(value);
      v = num;
    } else {
      continue;
    }
    if (key.size() > 64) continue;
    if (key == "hostname" && !v.empty()) o.Add("host.hostname", v);
    else if (key == "ipv4" && IsIp(v)) o.Add("host.ip", v);
    else if (key == "ipv6" && IsIp(v) && !o.Has("host.ip")) o.Add("host.ip", v);
    else if (key == "severity" && !v.empty()) o.Add("log.level", v);
    else if (key == "threat_name" && !v.empty()) o.Add("rule.name", v);
    else if (key == "threat_type" && !v.empty()) o.Add("eset.threat_type", v);
    else if (key == "rule_name" && !v.empty() && !o.Has("rule.name")) o.Add("rule.name", v);
    else if (key == "object_uri" && !v.empty()) {
      sv p = v;
      if (Eat(p, "file:///")) o.Add("file.path", p);
      else o.Add("url.original", v);
    } else if (key == "action_taken") action_taken = v;
    else if (key == "action") action_raw = v;
    else if (key == "result") result = v;
    else if ((key == "username" || key == "user") && !v.empty()) o.Add("user.name", v);
    else if (key == "processname" && !v.empty()) o.Add("process.executable", v);
    else if (key == "hash" && !v.empty()) o.Add("file.hash.sha1", v);
    else if (key == "source_address" && IsIp(v)) o.Add("source.ip", v);
    else if (key == "target_address" && IsIp(v)) o.Add("destination.ip", v);
    else if (key == "source_port" && IsPort(v)) o.Add("source.port", v);
    else if (key == "target_port" && IsPort(v)) o.Add("destination.port", v);
    else if (key == "protocol" && !v.empty()) o.Add("network.transport", Lower(v));
    else if (key == "detail" && !v.empty()) o.Add("event.reason", v);
    else if (key == "occured" && !v.empty()) o.Add("eset.occured", v);
    else if (key == "source_uuid" && !v.empty()) o.Add("eset.source_uuid", v);
    else if (key == "domain" && !v.empty()) o.Add("eset.domain", v);
    else if (key == "target" && !v.empty()) o.Add("eset.target", v);
    else if (key == "circumstances" && !v.empty()) o.Add("eset.circumstances", v);
    else if (key == "scanner_id" && !v.empty()) o.Add("eset.scanner_id", v);
  }
  o.Add("eset.event_type", event_type);
  if (!action_taken.empty()) o.Add("eset.action_taken", action_taken);
  if (!action_raw.empty()) o.Add("eset.action", action_raw);
  std::string outcome;
  if (EqualsIgnoreCase(result, "Success")) outcome = "success";
  else if (EqualsIgnoreCase(result, "Failed") || EqualsIgnoreCase(result, "Failure")) outcome = "failure";
  if (event_type == "Threat_Event" || event_type == "BlockedFiles_Event") {
    std::string act = ActionOf(!action_taken.empty() ? action_taken : action_raw);
    Detection(o, act.empty() ? "detected" : act);
    if (!outcome.empty()) o.Add("event.outcome", outcome);
    return Match::kFull;
  }
  sv category = "configuration";
  if (event_type == "FirewallAggregated_Event") category = "network";
  else if (event_type == "HipsAggregated_Event" || event_type == "EnterpriseInspectorAlert_Event") category = "intrusion_detection";
  else if (event_type == "FilteredWebsites_Event") category = "web";
  if (event_type == "EnterpriseInspectorAlert_Event") o.Add("event.kind", "alert");
  std::string act = ActionOf(action_raw);
  if (act.empty() && !action_raw.empty()) {
    act = Lower(action_raw);
    for (auto& c : act) {
      if (c == ' ') c = '-';
    }
  }
  Info(o, category, act, outcome);
  return Match::kFull;
}

// ---------------------------------------------------------------- McAfee ePO

//! The text of the first <tag>...</tag> in `xml` ("" if absent), XML entities left as written.
sv Tag(sv xml, sv tag) {
  std::string open = "<" + std::string(tag) + ">";
  size_t b = xml.find(open);
  if (b == npos) return sv();
  b += open.size();
  size_t e = xml.find("</", b);
  if (e == npos) return sv();
  return Trim(xml.substr(b, e - b));
}

std::string Unescape(sv s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      sv r = s.substr(i);
      if (StartsWith(r, "&amp;")) out += '&', i += 4;
      else if (StartsWith(r, "&lt;")) out += '<', i += 3;
      else if (StartsWith(r, "&gt;")) out += '>', i += 3;
      else if (StartsWith(r, "&quot;")) out += '"', i += 5;
      else if (StartsWith(r, "&apos;")) out += '\'', i += 5;
      else out += '&';
    } else {
      out += s[i];
    }
  }
  return out;
}

Match McafeeMessage(sv m, Out& o) {
  size_t root = m.find("<EPOevent>");
  if (root == npos) root = m.find("<EPOEvent>");
  if (root == npos) return Match::kNo;
  sv xml = m.substr(root);
  auto put = [&](sv name, sv tag) {
    sv v = Tag(xml, tag);
    if (!v.empty()) o.Add(name, Unescape(v));
    return v;
  };
  put("host.hostname", "MachineName");
  if (sv ip = Tag(xml, "IPAddress"); IsIp(ip)) o.Add("host.ip", ip);
  put("host.os.name", "OSName");
  put("mcafee.agent_guid", "AgentGUID");
  if (size_t p = xml.find("ProductName=\""); p != npos) {
    sv t = xml.substr(p + 13);
    o.Add("observer.product", Unescape(t.substr(0, t.find('"'))));
  }
  put("observer.version", "AnalyzerVersion");
  put("mcafee.analyzer", "Analyzer");
  put("mcafee.detection_method", "AnalyzerDetectionMethod");
  put("event.code", "EventID");
  put("mcafee.threat_category", "ThreatCategory");
  sv threat = put("rule.name", "ThreatName");
  put("mcafee.threat_type", "ThreatType");
  sv action = put("mcafee.action_taken", "ThreatActionTaken");
  put("mcafee.threat_handled", "ThreatHandled");
  put("user.name", "SourceUserName");
  put("mcafee.source_process_name", "SourceProcessName");
  put("file.path", "TargetFileName");
  put("destination.domain", "TargetHostName");
  put("event.severity", "ThreatSeverity");
  if (sv ip = Tag(xml, "SourceIPV4"); IsIp(ip)) o.Add("source.ip", ip);
  if (sv ip = Tag(xml, "TargetIPV4"); IsIp(ip)) o.Add("destination.ip", ip);
  if (std::string mac = NormalizeMac(Tag(xml, "RawMACAddress")); !mac.empty()) o.Add("host.mac", mac);
  std::string act = ActionOf(action);
  if (act.empty()) act = "detected";
  sv cat = Tag(xml, "ThreatCategory");
  if (StartsWith(cat, "hip.") || StartsWith(cat, "fw.") || StartsWith(cat, "ids.")) {
    o.Add("event.kind", "alert");
    Info(o, "intrusion_detection", act, "success");
  } else if (!threat.empty()) {
    Detection(o, act);
  } else {
    Info(o, "malware", "", "");
  }
  return Match::kFull;
}

}  // namespace

// ---------------------------------------------------------------- entry points

bool LooksLikeClamav(std::string_view m) {
  m = TrimR(m);
  if (EndsWith(m, " FOUND") && m.find(": ") != npos) return true;
  m = TrimL(m);
  return StartsWith(m, "SelfCheck: Database") || m.find(".cld updated (version: ") != npos ||
         m.find(".cvd updated (version: ") != npos || m.find(" database is up-to-date (version: ") != npos;
}

bool ParseClamav(Event* ev) {
  constexpr sv kPrograms[] = {"clamd", "clamscan", "freshclam", "clamonacc", "clamav-milter", "clamdscan"};
  sv m = MessageOf(*ev);
  Out o;
  Match match = ClamavMessage(m, o);
  if (match == Match::kNo) {
    if (!ProgramIs(*ev, kPrograms)) return false;
    o.f.clear();
    Info(o, "malware", "", "");
    match = Match::kGeneric;
  }
  return Finish(ev, o, match, "antivirus.clamav");
}

bool LooksLikeAmavis(std::string_view m) {
  m = TrimL(m);
  if (!StartsWith(m, "(")) return StartsWith(m, "Passed ") || StartsWith(m, "Blocked ");
  size_t close = m.find(") ");
  if (close == npos || close > 40) return false;
  sv rest = m.substr(close + 2);
  return StartsWith(rest, "Passed ") || StartsWith(rest, "Blocked ");
}

bool ParseAmavis(Event* ev) {
  constexpr sv kPrograms[] = {"amavis", "amavisd", "amavisd-new"};
  sv m = MessageOf(*ev);
  Out o;
  Match match = AmavisMessage(m, o);
  if (match == Match::kNo) {
    if (!ProgramIs(*ev, kPrograms)) return false;
    o.f.clear();
    sv s = TrimL(m);
    if (StartsWith(s, "(")) {
      size_t close = s.find(") ");
      if (close != npos && close <= 40) o.Add("amavis.id", s.substr(1, close - 1));
    }
    Info(o, "email", "", "");
    match = Match::kGeneric;
  }
  return Finish(ev, o, match, "antivirus.amavis");
}

bool LooksLikeSophosXgAv(std::string_view m) {
  return m.find("log_type=\"Anti-Virus\"") != npos && m.find("device=") != npos;
}

bool ParseSophosXgAv(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  int64_t ts = 0;
  Match match = SophosAvMessage(m, o, &ts);
  if (match == Match::kNo) return false;
  // The record's own time, used only when the syslog envelope gave none.
  if (ts != 0 && ev->timestamp_ns == ev->ingested_ns) ev->timestamp_ns = ts;
  return Finish(ev, o, match, "antivirus.sophos_xg");
}

bool LooksLikeEset(std::string_view m) {
  m = TrimL(m);
  return StartsWith(m, "{\"event_type\":\"") || StartsWith(m, "{ \"event_type\"");
}

bool ParseEset(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  Match match = EsetMessage(m, o);
  return Finish(ev, o, match, "antivirus.eset");
}

bool LooksLikeMcafee(std::string_view m) { return m.find("<EPOevent>") != npos || m.find("<EPOEvent>") != npos; }

bool ParseMcafee(Event* ev) {
  sv m = MessageOf(*ev);
  Out o;
  Match match = McafeeMessage(m, o);
  return Finish(ev, o, match, "antivirus.mcafee");
}

void RegisterAntivirusParsers(ParserRegistry* registry) {
  registry->Register({"antivirus.amavis", {"amavis", "amavisd", "amavisd-new"}, &LooksLikeAmavis, &ParseAmavis, nullptr});
  registry->Register({"antivirus.clamav",
                      {"clamd", "clamscan", "freshclam", "clamonacc", "clamav-milter", "clamdscan"},
                      &LooksLikeClamav,
                      &ParseClamav,
                      nullptr});
  registry->Register({"antivirus.sophos_xg", {}, &LooksLikeSophosXgAv, &ParseSophosXgAv, nullptr});
  registry->Register({"antivirus.eset", {"eraserver", "eraagent"}, &LooksLikeEset, &ParseEset, nullptr});
  registry->Register({"antivirus.mcafee", {"epoevents"}, &LooksLikeMcafee, &ParseMcafee, nullptr});
}

}  // namespace kamatama
