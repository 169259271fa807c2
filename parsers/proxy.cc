// parsers/proxy.cc: Squid, CLF access logs, HAProxy, Sophos XG web filter, Proxifier.
#include "parsers/proxy.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "parsers/generic/fields.h"
#include "parsers/netlog_util.h"

namespace kamatama {

using namespace netlog;

namespace {

//! Splits on runs of spaces into at most N tokens (the last one is not the rest of the line).
template <size_t N>
size_t SplitSpaces(std::string_view s, std::array<std::string_view, N>* out, size_t* end_of_last = nullptr) {
  size_t n = 0, i = 0;
  while (n < N) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    (*out)[n++] = s.substr(b, i - b);
  }
  if (end_of_last) *end_of_last = i;
  return n;
}

void SetWeb(Event* ev, std::string_view dataset) {
  ev->Set(field::kDataset, dataset);
  ev->Set("event.kind", "event");
  ev->Set("event.category", "web");
}

//! event.type/outcome from an HTTP status (0 = unknown).
void SetHttpOutcome(Event* ev, uint64_t status, bool denied = false) {
  if (denied) {
    ev->Set("event.type", "access,denied");
    ev->Set("event.outcome", "failure");
    return;
  }
  ev->Set("event.type", "access");
  ev->Set("event.outcome", status == 0 ? "unknown" : status < 400 ? "success" : "failure");
}

bool IsMethod(std::string_view m) {
  if (m.empty() || m.size() > 20) return false;
  for (char c : m) {
    if (!((c >= 'A' && c <= 'Z') || c == '_' || c == '-')) return false;
  }
  return true;
}

//! "GET /x HTTP/1.1" -> method, url.original, url parts, http.version.
void SetRequestLine(Event* ev, std::string_view req) {
  std::array<std::string_view, 4> t;
  size_t n = SplitSpaces(req, &t);
  if (n >= 2 && IsMethod(t[0])) {
    ev->Set("http.request.method", t[0]);
    ev->Set("url.original", t[1]);
    SetUrlParts(ev, t[1]);
    if (n >= 3 && StartsWith(t[2], "HTTP/")) ev->Set("http.version", t[2].substr(5));
  } else if (!req.empty() && req != "-") {
    ev->Set("url.original", req);
  }
}

}  // namespace

// ------------------------------------------------------------------ Squid native

namespace {

struct SquidLine {
  std::string_view time, elapsed, client, code, status, bytes, method, url, user, hier, peer, type;
};

bool ScanSquid(std::string_view m, SquidLine* l) {
  std::array<std::string_view, 10> t;
  size_t n = SplitSpaces(Trim(m), &t);
  if (n < 9) return false;
  std::string_view ts = t[0];
  size_t dot = ts.find('.');
  if (dot == std::string_view::npos || !IsAllDigits(ts.substr(0, dot)) || !IsAllDigits(ts.substr(dot + 1)) ||
      dot < 9 || dot > 11)
    return false;
  if (!IsAllDigits(t[1]) && t[1] != "-") return false;
  size_t slash = t[3].find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  for (char c : t[3].substr(0, slash)) {
    if (!((c >= 'A' && c <= 'Z') || c == '_')) return false;
  }
  if (!IsAllDigits(t[3].substr(slash + 1))) return false;
  if (!IsAllDigits(t[4])) return false;
  l->time = ts;
  l->elapsed = t[1];
  l->client = t[2];
  l->code = t[3].substr(0, slash);
  l->status = t[3].substr(slash + 1);
  l->bytes = t[4];
  l->method = t[5];
  l->url = t[6];
  l->user = t[7];
  size_t hs = t[8].find('/');
  l->hier = t[8].substr(0, hs);
  l->peer = hs == std::string_view::npos ? std::string_view() : t[8].substr(hs + 1);
  l->type = n > 9 ? t[9] : std::string_view();
  return true;
}

}  // namespace

bool LooksLikeSquid(std::string_view m) {
  SquidLine l;
  return !m.empty() && IsDigit(m[0]) && ScanSquid(m.substr(0, 4096), &l);
}

bool ParseSquid(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  if (!msg) return false;
  SquidLine l;
  if (!ScanSquid(*msg, &l)) return false;
  SetWeb(ev, "proxy.squid");
  // epoch.millis -> timestamp
  size_t dot = l.time.find('.');
  uint64_t sec = 0, frac = 0;
  if (ParseUint(l.time.substr(0, dot), &sec) && sec < 7'000'000'000ULL) {
    std::string_view f = l.time.substr(dot + 1);
    int64_t ns = static_cast<int64_t>(sec) * kNanosPerSecond;
    int64_t scale = kNanosPerSecond / 10;
    for (size_t i = 0; i < f.size() && i < 9; ++i, scale /= 10) ns += (f[i] - '0') * scale;
    (void)frac;
    ev->timestamp_ns = ns;
  }
  if (uint64_t ms = 0; ParseUint(l.elapsed, &ms) && ms < 1'000'000'000'000ULL) ev->Set("event.duration", std::to_string(ms * 1'000'000));
  if (IsIp(l.client)) ev->Set("source.ip", l.client);
  else SetIf(ev, "source.address", l.client);
  ev->Set("squid.result_code", l.code);
  ev->Set("event.action", l.code);
  uint64_t status = 0;
  ParseUint(l.status, &status);
  if (status != 0) ev->Set("http.response.status_code", l.status);
  ev->Set("http.response.bytes", l.bytes);
  SetIf(ev, "http.request.method", l.method);
  if (!l.url.empty() && l.url != "-") {
    ev->Set("url.original", l.url);
    SetUrlParts(ev, l.url);
    if (const std::string* port = ev->Get("url.port")) ev->Set("destination.port", *port);
  }
  SetIf(ev, "user.name", l.user);
  SetIf(ev, "squid.hierarchy_code", l.hier);
  if (IsIp(l.peer)) ev->Set("destination.ip", l.peer);
  else SetIf(ev, "destination.address", l.peer);
  SetIf(ev, "http.response.mime_type", l.type);
  bool denied = l.code.find("DENIED") != std::string_view::npos || (l.code == "NONE" && status >= 400);
  SetHttpOutcome(ev, status, denied);
  return true;
}

// ------------------------------------------------------------------ CLF / combined

namespace {

struct ClfLine {
  std::string_view vhost, client, ident, user, date, request, status, bytes, referrer, agent;
  int64_t ts = -1;
};

//! Reads a double-quoted field at s[*i] (backslash escapes skipped); false if not quoted.
bool ReadQuoted(std::string_view s, size_t* i, std::string_view* out) {
  while (*i < s.size() && s[*i] == ' ') ++*i;
  if (*i >= s.size() || s[*i] != '"') return false;
  size_t b = ++*i;
  while (*i < s.size() && s[*i] != '"') {
    if (s[*i] == '\\' && *i + 1 < s.size()) ++*i;
    ++*i;
  }
  if (*i >= s.size()) return false;
  *out = s.substr(b, *i - b);
  ++*i;
  return true;
}

std::string_view ReadToken(std::string_view s, size_t* i) {
  while (*i < s.size() && s[*i] == ' ') ++*i;
  size_t b = *i;
  while (*i < s.size() && s[*i] != ' ') ++*i;
  return s.substr(b, *i - b);
}

bool ScanClf(std::string_view s, ClfLine* l) {
  size_t i = 0;
  std::array<std::string_view, 4> pre;
  size_t npre = 0;
  while (npre < 4) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size() || s[i] == '[') break;
    pre[npre++] = ReadToken(s, &i);
  }
  if (i >= s.size() || s[i] != '[') return false;
  if (npre == 4) {
    l->vhost = pre[0];
    l->client = pre[1];
    l->ident = pre[2];
    l->user = pre[3];
  } else if (npre == 3) {
    l->client = pre[0];
    l->ident = pre[1];
    l->user = pre[2];
  } else {
    return false;
  }
  size_t close = s.find(']', i);
  if (close == std::string_view::npos) return false;
  l->date = s.substr(i + 1, close - i - 1);
  size_t used = 0;
  int64_t ts = ParseClfDate(l->date, &used);
  if (ts < 0) return false;
  std::string_view zone = Trim(l->date.substr(used));
  int64_t off = 0;
  if (!zone.empty()) {
    if (!ParseZoneOffset(zone, &off)) return false;
  }
  l->ts = ts - off * kNanosPerSecond;
  i = close + 1;
  if (!ReadQuoted(s, &i, &l->request)) return false;
  l->status = ReadToken(s, &i);
  if (!IsAllDigits(l->status) || l->status.size() != 3) return false;
  l->bytes = ReadToken(s, &i);
  if (!IsAllDigits(l->bytes) && l->bytes != "-") return false;
  if (ReadQuoted(s, &i, &l->referrer)) ReadQuoted(s, &i, &l->agent);
  return true;
}

}  // namespace

bool LooksLikeAccessLog(std::string_view m) {
  if (m.find(" [") == std::string_view::npos || m.find("] \"") == std::string_view::npos) return false;
  ClfLine l;
  return ScanClf(m, &l);
}

bool ParseAccessLog(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  if (!msg) return false;
  ClfLine l;
  if (!ScanClf(*msg, &l)) return false;
  SetWeb(ev, "proxy.access");
  ev->timestamp_ns = l.ts;
  if (IsIp(l.client)) ev->Set("source.ip", l.client);
  else SetIf(ev, "source.address", l.client);
  SetIf(ev, "user.name", l.user);
  SetRequestLine(ev, l.request);
  if (!l.vhost.empty()) {
    std::string_view host = l.vhost;
    if (size_t c = host.rfind(':'); c != std::string_view::npos && IsPort(host.substr(c + 1))) {
      ev->Set("destination.port", host.substr(c + 1));
      host = host.substr(0, c);
    }
    SetIf(ev, "destination.domain", host);
  }
  uint64_t status = 0;
  ParseUint(l.status, &status);
  ev->Set("http.response.status_code", l.status);
  SetUint(ev, "http.response.body.bytes", l.bytes);
  SetIf(ev, "http.request.referrer", l.referrer);
  SetIf(ev, "user_agent.original", l.agent);
  ev->Set("event.action", "access");
  SetHttpOutcome(ev, status);
  return true;
}

// ------------------------------------------------------------------ HAProxy

namespace {

//! "ip:port" (IPv6 as "[..]:port" or bare with last colon).
bool SplitHostPort(std::string_view s, std::string_view* ip, std::string_view* port) {
  size_t c = s.rfind(':');
  if (c == std::string_view::npos || !IsPort(s.substr(c + 1))) return false;
  std::string_view h = s.substr(0, c);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (!IsIp(h)) return false;
  *ip = h;
  *port = s.substr(c + 1);
  return true;
}

size_t CountChar(std::string_view s, char c) {
  size_t n = 0;
  for (char x : s) n += x == c;
  return n;
}

bool IsTimerList(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(IsDigit(c) || c == '/' || c == '-' || c == '+')) return false;
  }
  return true;
}

struct HaHead {
  std::string_view ip, port, date, rest;
  int64_t ts = -1;
};

bool ScanHaHead(std::string_view m, HaHead* h) {
  size_t sp = m.find(' ');
  if (sp == std::string_view::npos || !SplitHostPort(m.substr(0, sp), &h->ip, &h->port)) return false;
  std::string_view r = m.substr(sp + 1);
  if (r.empty() || r[0] != '[') return false;
  size_t close = r.find(']');
  if (close == std::string_view::npos) return false;
  h->date = r.substr(1, close - 1);
  size_t used = 0;
  h->ts = ParseClfDate(h->date, &used);
  if (h->ts < 0 || used != h->date.size()) return false;
  h->rest = Trim(r.substr(close + 1));
  return !h->rest.empty();
}

void SetSlashList(Event* ev, std::string_view list, std::initializer_list<std::string_view> names) {
  size_t b = 0;
  for (auto name : names) {
    if (b > list.size()) break;
    size_t e = list.find('/', b);
    std::string_view v = list.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
    if (!v.empty()) ev->Set(name, v);
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
}

}  // namespace

bool LooksLikeHaproxy(std::string_view m) {
  HaHead h;
  return !m.empty() && (IsDigit(m[0]) || m[0] == '[' || IsHex(m[0])) && ScanHaHead(m, &h);
}

bool ParseHaproxy(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  if (!msg) return false;
  HaHead h;
  if (!ScanHaHead(*msg, &h)) return false;
  std::string_view rest = h.rest;
  std::array<std::string_view, 12> t;
  size_t end_last = 0;
  size_t n = SplitSpaces(rest, &t, &end_last);
  // Connection error: "frontend/bind: message"
  const bool error_line = n >= 1 && EndsWith(t[0], ":") && (n < 3 || !IsTimerList(t[2]));
  const bool http = !error_line && n >= 11 && IsTimerList(t[2]) && CountChar(t[2], '/') == 4 && IsAllDigits(t[3]);
  const bool tcp = !error_line && !http && n >= 7 && IsTimerList(t[2]) && CountChar(t[2], '/') == 2;
  if (!error_line && !http && !tcp) return false;

  ev->Set(field::kDataset, "proxy.haproxy");
  ev->Set("event.kind", "event");
  ev->Set("event.category", http ? "web" : "network");
  if (ev->timestamp_ns == ev->ingested_ns) ev->timestamp_ns = h.ts;  // no syslog header time
  ev->Set("source.ip", h.ip);
  ev->Set("source.port", h.port);
  if (error_line) {
    std::string_view fb = t[0].substr(0, t[0].size() - 1);
    size_t slash = fb.find('/');
    ev->Set("haproxy.frontend_name", fb.substr(0, slash));
    if (slash != std::string_view::npos) SetIf(ev, "haproxy.bind_name", fb.substr(slash + 1));
    std::string_view text = Trim(rest.substr(t[0].size()));
    SetIf(ev, "haproxy.error_message", text);
    ev->Set("event.action", "connection-error");
    ev->Set("event.type", "connection,error");
    ev->Set("event.outcome", "failure");
    return true;
  }
  ev->Set("haproxy.frontend_name", t[0]);
  size_t slash = t[1].find('/');
  ev->Set("haproxy.backend_name", t[1].substr(0, slash));
  if (slash != std::string_view::npos) ev->Set("haproxy.server_name", t[1].substr(slash + 1));
  if (http) {
    SetSlashList(ev, t[2], {"haproxy.time_request", "haproxy.time_queue", "haproxy.time_backend_connect",
                            "haproxy.time_backend_response", "haproxy.time_duration"});
    ev->Set("http.response.status_code", t[3]);
    SetUint(ev, "http.response.bytes", t[4]);
    SetIf(ev, "haproxy.http.request.captured_cookie", t[5]);
    SetIf(ev, "haproxy.http.response.captured_cookie", t[6]);
    ev->Set("haproxy.termination_state", t[7]);
    SetSlashList(ev, t[8], {"haproxy.connections.active", "haproxy.connections.frontend", "haproxy.connections.backend",
                            "haproxy.connections.server", "haproxy.connections.retries"});
    SetSlashList(ev, t[9], {"haproxy.server_queue", "haproxy.backend_queue"});
    std::string_view tt = t[2].substr(t[2].rfind('/') + 1);
    if (!tt.empty() && tt[0] == '+') tt.remove_prefix(1);
    if (uint64_t ms = 0; ParseUint(tt, &ms) && ms < 1'000'000'000'000ULL) ev->Set("event.duration", std::to_string(ms * 1'000'000));
    // The request: the last quoted string of the line.
    std::string_view line = rest;
    size_t q2 = line.rfind('"');
    size_t q1 = q2 == std::string_view::npos || q2 == 0 ? std::string_view::npos : line.rfind('"', q2 - 1);
    if (q1 != std::string_view::npos) SetRequestLine(ev, line.substr(q1 + 1, q2 - q1 - 1));
    uint64_t status = 0;
    ParseUint(t[3], &status);
    ev->Set("event.action", "access");
    SetHttpOutcome(ev, status, t[7].size() >= 1 && (t[7][0] == 'P' || t[7][0] == 'R'));
  } else {
    SetSlashList(ev, t[2], {"haproxy.time_queue", "haproxy.time_backend_connect", "haproxy.time_duration"});
    std::string_view tt = t[2].substr(t[2].rfind('/') + 1);
    if (!tt.empty() && tt[0] == '+') tt.remove_prefix(1);
    if (uint64_t ms = 0; ParseUint(tt, &ms) && ms < 1'000'000'000'000ULL) ev->Set("event.duration", std::to_string(ms * 1'000'000));
    SetUint(ev, "destination.bytes", t[3]);
    ev->Set("haproxy.termination_state", t[4]);
    SetSlashList(ev, t[5], {"haproxy.connections.active", "haproxy.connections.frontend", "haproxy.connections.backend",
                            "haproxy.connections.server", "haproxy.connections.retries"});
    SetSlashList(ev, t[6], {"haproxy.server_queue", "haproxy.backend_queue"});
    ev->Set("network.transport", "tcp");
    ev->Set("event.action", "connection");
    ev->Set("event.type", "connection,end");
    bool failed = !t[4].empty() && t[4][0] != '-';
    ev->Set("event.outcome", failed ? "failure" : "success");
  }
  return true;
}

// ------------------------------------------------------------------ Sophos XG web filter

bool LooksLikeSophosXgWeb(std::string_view m) {
  return m.find("log_type=\"Content Filtering\"") != std::string_view::npos &&
         m.find("log_component=") != std::string_view::npos;
}

bool ParseSophosXgWeb(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  std::string_view text;
  if (msg && LooksLikeSophosXgWeb(*msg)) text = *msg;
  else if (LooksLikeSophosXgWeb(ev->original)) text = ev->original;
  else return false;
  size_t start = text.find("device=");
  if (start == std::string_view::npos) start = text.find("date=");
  if (start == std::string_view::npos) start = 0;
  std::vector<std::pair<std::string_view, std::string_view>> kv;
  kv.reserve(64);
  ForEachKv(text.substr(start), [&](std::string_view k, std::string_view v) { kv.emplace_back(k, v); });
  auto get = [&](std::string_view k) -> std::string_view {
    for (const auto& [key, v] : kv) {
      if (key == k) return v;
    }
    return {};
  };
  if (get("log_type") != "Content Filtering") return false;

  SetWeb(ev, "proxy.sophos_xg");
  ev->Set("observer.vendor", "Sophos");
  ev->Set("observer.product", "XG");
  ev->Set("observer.type", "firewall");
  static constexpr std::string_view kMapped[] = {"date", "time", "src_ip", "dst_ip", "src_port", "dst_port",
                                                 "protocol", "url", "domain", "user_name", "user_agent",
                                                 "referer", "sent_bytes", "recv_bytes", "device_name",
                                                 "device_id", "log_id", "fw_rule_id", "priority"};
  for (const auto& [k, v] : kv) {
    bool mapped = false;
    for (auto m : kMapped) mapped |= k == m;
    if (mapped || v.empty()) continue;
    // A log's key never reaches outside the prefix ("." or "a..b" would make an empty segment).
    std::string name = generic::PrefixedName("sophos.xg.", k);
    if (!name.empty()) ev->Set(name, v);
  }
  SetIf(ev, "observer.name", get("device_name"));
  SetIf(ev, "observer.serial_number", get("device_id"));
  SetIf(ev, "event.code", get("log_id"));
  SetIf(ev, "log.level", get("priority"));
  SetIf(ev, "rule.id", get("fw_rule_id"));
  SetIp(ev, "source.ip", get("src_ip"));
  SetIp(ev, "destination.ip", get("dst_ip"));
  SetPort(ev, "source.port", get("src_port"));
  SetPort(ev, "destination.port", get("dst_port"));
  if (std::string_view p = get("protocol"); !p.empty()) ev->Set("network.transport", Lower(p));
  SetUint(ev, "source.bytes", get("sent_bytes"));
  SetUint(ev, "destination.bytes", get("recv_bytes"));
  SetIf(ev, "user.name", get("user_name"));
  SetIf(ev, "user_agent.original", get("user_agent"));
  SetIf(ev, "http.request.referrer", get("referer"));
  if (std::string_view url = get("url"); !url.empty()) {
    ev->Set("url.original", url);
    SetUrlParts(ev, url);
  }
  SetIf(ev, "url.domain", get("domain"));
  std::string_view code = get("httpresponsecode");
  if (!IsAllDigits(code)) code = get("status_code");
  uint64_t status = 0;
  if (ParseUint(code, &status)) ev->Set("http.response.status_code", code);
  std::string_view sub = get("log_subtype");
  std::string_view action = NormaliseAction(sub);
  if (action.empty() && EqualsIgnoreCase(sub, "Warned")) action = "allow";
  if (!action.empty()) ev->Set("event.action", action);
  else SetIf(ev, "event.action", Lower(sub));
  if (action == "deny" || action == "drop") {
    ev->Set("event.type", "access,denied");
    ev->Set("event.outcome", "failure");
  } else {
    ev->Set("event.type", action == "allow" ? "access,allowed" : "access");
    ev->Set("event.outcome", action == "allow" ? "success" : "unknown");
  }
  std::string_view date = get("date"), time = get("time");
  if (ev->timestamp_ns == ev->ingested_ns && date.size() == 10 && time.size() == 8) {
    std::string iso(date);
    iso.push_back('T');
    iso.append(time);
    iso.push_back('Z');
    if (auto t = ParseRfc3339(iso)) ev->timestamp_ns = *t;  // SFOS names its zone (CEST): kept as is
  }
  return true;
}

// ------------------------------------------------------------------ Proxifier

namespace {

struct ProxifierLine {
  int month = 0, day = 0, hh = 0, mm = 0, ss = 0;
  std::string_view app, target, rest;
};

bool ScanProxifier(std::string_view m, ProxifierLine* l) {
  // "[MM.DD HH:MM:SS] app - target rest"
  if (m.size() < 20 || m[0] != '[' || m[3] != '.' || m[6] != ' ' || m[9] != ':' || m[12] != ':' || m[15] != ']' ||
      m[16] != ' ')
    return false;
  auto d2 = [&](size_t p, int* out) {
    if (!IsDigit(m[p]) || !IsDigit(m[p + 1])) return false;
    *out = (m[p] - '0') * 10 + (m[p + 1] - '0');
    return true;
  };
  if (!d2(1, &l->month) || !d2(4, &l->day) || !d2(7, &l->hh) || !d2(10, &l->mm) || !d2(13, &l->ss)) return false;
  if (l->month < 1 || l->month > 12 || l->day < 1 || l->day > 31 || l->hh > 23 || l->mm > 59 || l->ss > 60)
    return false;
  std::string_view r = m.substr(17);
  size_t sep = r.find(" - ");
  if (sep == std::string_view::npos || sep == 0) return false;
  l->app = r.substr(0, sep);
  r = r.substr(sep + 3);
  size_t sp = r.find(' ');
  if (sp == std::string_view::npos) return false;
  l->target = r.substr(0, sp);
  l->rest = r.substr(sp + 1);
  return StartsWith(l->rest, "open ") || StartsWith(l->rest, "close") || StartsWith(l->rest, "error");
}

//! "02:24" or "1:02:24" or "<1 sec" -> ns.
bool ProxifierLifetime(std::string_view s, int64_t* ns) {
  if (StartsWith(s, "<")) {
    *ns = 0;
    return true;
  }
  int64_t total = 0;
  size_t b = 0;
  int parts = 0;
  while (b <= s.size() && parts < 3) {
    size_t e = s.find(':', b);
    uint64_t v = 0;
    if (!ParseUint(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b), &v) || v > 1'000'000)
      return false;
    total = total * 60 + static_cast<int64_t>(v);
    ++parts;
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
  *ns = total * kNanosPerSecond;
  return true;
}

}  // namespace

bool LooksLikeProxifier(std::string_view m) {
  ProxifierLine l;
  return !m.empty() && m[0] == '[' && ScanProxifier(m, &l);
}

bool ParseProxifier(Event* ev) {
  // A copy: views into it must survive ev->Set() reallocating the field vector.
  const std::string* msg_field = ev->Get(field::kMessage);
  const std::string msg_copy = msg_field ? *msg_field : std::string();
  const std::string* msg = msg_field ? &msg_copy : nullptr;
  ProxifierLine l;
  if (!msg || !ScanProxifier(*msg, &l)) return false;
  ev->Set(field::kDataset, "proxy.proxifier");
  ev->Set("event.kind", "event");
  ev->Set("event.category", "network");
  // No year in the line: the latest year that does not put it more than a day after receipt.
  {
    const int64_t ref = ev->ingested_ns;
    int64_t year = CivilFromDays(DayOf(ref)).year;
    for (int k = 0; k < 2; ++k, --year) {
      int64_t ns = (DaysFromCivil(year, l.month, l.day) * 86400 + l.hh * 3600 + l.mm * 60 + l.ss) * kNanosPerSecond;
      if (ns <= ref + kNanosPerDay || k == 1) {
        ev->timestamp_ns = ns;
        break;
      }
    }
  }
  std::string_view app = l.app;
  if (EndsWith(app, " *64")) {
    app.remove_suffix(4);
    ev->Set("proxifier.process_64bit", "true");
  }
  ev->Set("process.name", app);
  std::string_view host = l.target, port;
  if (size_t c = l.target.rfind(':'); c != std::string_view::npos && IsPort(l.target.substr(c + 1))) {
    host = l.target.substr(0, c);
    port = l.target.substr(c + 1);
  }
  if (IsIp(host)) ev->Set("destination.ip", host);
  else {
    ev->Set("destination.address", host);
    ev->Set("destination.domain", host);
  }
  SetIf(ev, "destination.port", port);
  std::string_view r = l.rest;
  std::string_view via;
  auto set_proxy = [&](std::string_view text) {
    std::array<std::string_view, 3> t;
    size_t n = SplitSpaces(text, &t);
    if (n >= 1) {
      std::string_view p = t[0];
      if (size_t c = p.rfind(':'); c != std::string_view::npos && IsPort(p.substr(c + 1))) {
        ev->Set("proxifier.proxy.address", p.substr(0, c));
        ev->Set("proxifier.proxy.port", p.substr(c + 1));
      } else {
        ev->Set("proxifier.proxy.address", p);
      }
    }
    if (n >= 2 && t[1] != "-") ev->Set("proxifier.proxy.type", t[1]);
  };
  if (StartsWith(r, "open ")) {
    ev->Set("event.action", "open");
    ev->Set("event.type", "connection,start");
    ev->Set("event.outcome", "success");
    if (size_t p = r.find("through proxy "); p != std::string_view::npos) set_proxy(r.substr(p + 14));
  } else if (StartsWith(r, "close")) {
    ev->Set("event.action", "close");
    ev->Set("event.type", "connection,end");
    ev->Set("event.outcome", "success");
    // "close, 22083 bytes (21.5 KB) sent, 71944 bytes (70.2 KB) received, lifetime 01:28"
    size_t p = r.find(", ");
    if (p != std::string_view::npos) {
      std::string_view s = r.substr(p + 2);
      std::array<std::string_view, 1> t;
      SplitSpaces(s, &t);
      if (s.find(" sent") != std::string_view::npos) SetUint(ev, "source.bytes", t[0]);
      if (size_t q = s.find(" sent, "); q != std::string_view::npos) {
        std::string_view s2 = s.substr(q + 7);
        SplitSpaces(s2, &t);
        SetUint(ev, "destination.bytes", t[0]);
      }
      if (size_t q = s.find("lifetime "); q != std::string_view::npos) {
        int64_t ns = 0;
        if (ProxifierLifetime(Trim(s.substr(q + 9)), &ns)) ev->Set("event.duration", std::to_string(ns));
      }
    }
  } else {
    ev->Set("event.action", "error");
    ev->Set("event.type", "connection,error");
    ev->Set("event.outcome", "failure");
    std::string_view text = r.substr(5);
    while (!text.empty() && (text[0] == ' ' || text[0] == ':')) text.remove_prefix(1);
    text = Trim(text);
    SetIf(ev, "event.reason", text);
    if (size_t p = text.find("proxy "); p != std::string_view::npos) {
      std::string_view pr = text.substr(p + 6);
      ev->Set("proxifier.proxy.address", pr.substr(0, pr.find(' ')));
      std::string_view a = pr.substr(0, pr.find(' '));
      if (size_t c = a.rfind(':'); c != std::string_view::npos && IsPort(a.substr(c + 1))) {
        ev->Set("proxifier.proxy.address", a.substr(0, c));
        ev->Set("proxifier.proxy.port", a.substr(c + 1));
      }
    }
  }
  (void)via;
  return true;
}

// ------------------------------------------------------------------ registration

void RegisterProxyParsers(ParserRegistry* registry) {
  registry->Register({"proxy.squid", {"squid", "squid3"}, &LooksLikeSquid, &ParseSquid, nullptr});
  registry->Register({"proxy.haproxy", {"haproxy"}, &LooksLikeHaproxy, &ParseHaproxy, nullptr});
  registry->Register({"proxy.sophos_xg", {}, &LooksLikeSophosXgWeb, &ParseSophosXgWeb, nullptr});
  registry->Register({"proxy.proxifier", {"proxifier"}, &LooksLikeProxifier, &ParseProxifier, nullptr});
  registry->Register({"proxy.access", {"nginx", "apache", "apache2", "httpd"}, &LooksLikeAccessLog, &ParseAccessLog,
                      nullptr});
}

}  // namespace kamatama
