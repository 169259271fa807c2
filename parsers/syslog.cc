// parsers/syslog.cc
//! Two phases: Parse* functions fill a Parts of views into the line without touching the event
//! (so a line that turns out not to be syslog leaves no trace), then Emit writes the fields.
#include "parsers/syslog.h"

#include <array>
#include <charconv>
#include <string>

#include "core/tokenize.h"

namespace kamatama {

namespace {

constexpr std::array<std::string_view, 24> kFacilityNames = {
    "kern",     "user",    "mail",   "daemon", "auth",     "syslog", "lpr",    "news",
    "uucp",     "cron",    "authpriv", "ftp",  "ntp",      "security", "console", "solaris-cron",
    "local0",   "local1",  "local2", "local3", "local4",   "local5", "local6", "local7"};
constexpr std::array<std::string_view, 8> kSeverityNames = {
    "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"};

constexpr std::string_view kSdPrefix = "log.syslog.structured_data.";

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

//! The pieces of a syslog line, as views into it.
struct Parts {
  int pri = -1;      //!< -1: no PRI
  int version = 0;   //!< RFC 5424 VERSION, 0 for everything else
  bool have_time = false;
  bool explicit_year = false;  //!< the time carries its own year: clamp, don't infer
  int64_t time_ns = 0;
  std::string_view host, app, procid, msgid;
  std::string_view sd;  //!< RFC 5424 structured data elements, validated, or empty
  std::string_view msg;
};

//! "<PRI>" with 1 to 3 digits and a value up to 191. Advances *pos past '>'.
bool ParsePri(std::string_view s, size_t* pos, int* pri) {
  if (s.empty() || s[0] != '<') return false;
  size_t i = 1;
  int v = 0;
  while (i < s.size() && i <= 3 && IsDigit(s[i])) v = v * 10 + (s[i++] - '0');
  if (i == 1 || i >= s.size() || s[i] != '>' || v > 191) return false;
  *pos = i + 1;
  *pri = v;
  return true;
}

size_t SkipSpaces(std::string_view s, size_t i) {
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

//! The token from i up to the next space (or the end).
std::string_view TokenAt(std::string_view s, size_t i) {
  size_t e = i;
  while (e < s.size() && s[e] != ' ') ++e;
  return s.substr(i, e - i);
}

// ---- timestamps ----

int MonthIndex(const char* p) {
  static constexpr char kMonths[] = "janfebmaraprmayjunjulaugsepoctnovdec";
  const char a = AsciiLower(p[0]), b = AsciiLower(p[1]), c = AsciiLower(p[2]);
  for (int m = 0; m < 12; ++m) {
    if (kMonths[m * 3] == a && kMonths[m * 3 + 1] == b && kMonths[m * 3 + 2] == c) return m + 1;
  }
  return 0;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

//! Parses up to 9 fraction digits after a '.', skipping any further digits.
size_t ParseFraction(std::string_view s, size_t i, int64_t* frac_ns) {
  int64_t f = 0;
  int digits = 0;
  while (i < s.size() && IsDigit(s[i])) {
    if (digits < 9) {
      f = f * 10 + (s[i] - '0');
      ++digits;
    }
    ++i;
  }
  for (int d = digits; d < 9; ++d) f *= 10;
  *frac_ns = f;
  return i;
}

//! "hh:mm:ss" at i with range checks (second 60 is clamped to 59).
bool ParseClock(std::string_view s, size_t i, int64_t* secs) {
  if (i + 8 > s.size()) return false;
  const char* p = s.data() + i;
  if (!IsDigit(p[0]) || !IsDigit(p[1]) || p[2] != ':' || !IsDigit(p[3]) || !IsDigit(p[4]) ||
      p[5] != ':' || !IsDigit(p[6]) || !IsDigit(p[7]))
    return false;
  int hh = (p[0] - '0') * 10 + (p[1] - '0');
  int mm = (p[3] - '0') * 10 + (p[4] - '0');
  int ss = (p[6] - '0') * 10 + (p[7] - '0');
  if (hh > 23 || mm > 59 || ss > 60) return false;
  if (ss == 60) ss = 59;
  *secs = hh * 3600 + mm * 60 + ss;
  return true;
}

struct BsdTime {
  unsigned month = 0, day = 0;
  int64_t year = -1;  //!< -1: not given
  int64_t day_ns = 0;  //!< time of day including the fraction
};

//! "Mmm dd hh:mm:ss", "Mmm  d ...", "Mmm d ...", with optional "yyyy " before the clock and
//! optional ".fff" after it. On success *pos is just past the time.
bool ParseBsdTime(std::string_view s, size_t* pos, BsdTime* t) {
  size_t i = *pos;
  const size_t n = s.size();
  if (i + 3 > n) return false;
  t->month = MonthIndex(s.data() + i);
  if (t->month == 0) return false;
  i += 3;
  if (i >= n || s[i] != ' ') return false;
  ++i;
  if (i < n && s[i] == ' ') ++i;
  if (i >= n || !IsDigit(s[i])) return false;
  unsigned day = s[i++] - '0';
  if (i < n && IsDigit(s[i])) day = day * 10 + (s[i++] - '0');
  if (day < 1 || day > 31) return false;
  t->day = day;
  if (i >= n || s[i] != ' ') return false;
  ++i;
  if (i + 5 <= n && IsDigit(s[i]) && IsDigit(s[i + 1]) && IsDigit(s[i + 2]) && IsDigit(s[i + 3]) &&
      s[i + 4] == ' ') {
    t->year = (s[i] - '0') * 1000 + (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
    i += 5;
  }
  int64_t secs;
  if (!ParseClock(s, i, &secs)) return false;
  i += 8;
  int64_t frac = 0;
  if (i + 1 < n && s[i] == '.' && IsDigit(s[i + 1])) i = ParseFraction(s, i + 1, &frac);
  if (i < n && s[i] != ' ' && s[i] != ':') return false;
  t->day_ns = secs * kNanosPerSecond + frac;
  *pos = i;
  return true;
}

//! days * kNanosPerDay + day_ns, false outside what int64 nanoseconds hold (1678..2262).
bool CivilNanos(int64_t days, int64_t day_ns, int64_t* out) {
  if (days <= -INT64_MAX / kNanosPerDay + 1 || days >= INT64_MAX / kNanosPerDay - 1) return false;
  *out = days * kNanosPerDay + day_ns;
  return true;
}

//! Resolves a BSD time to nanoseconds: the given year, or the latest year that keeps the time
//! at or before `limit`. False if the date does not exist (e.g. Feb 30).
bool ResolveBsdTime(const BsdTime& t, int64_t limit, int64_t* out) {
  if (t.year >= 0) {
    if (t.day > DaysInMonth(t.year, t.month)) return false;
    return CivilNanos(DaysFromCivil(t.year, t.month, t.day), t.day_ns, out);
  }
  const int64_t top = CivilFromDays(DayOf(limit)).year;
  for (int64_t y = top; y >= top - 8; --y) {  // 8 years always reach a Feb 29
    if (t.day > DaysInMonth(y, t.month)) continue;
    int64_t ns;
    if (!CivilNanos(DaysFromCivil(y, t.month, t.day), t.day_ns, &ns)) continue;
    if (ns <= limit) {
      *out = ns;
      return true;
    }
  }
  return false;
}

// ---- RFC 3164 host and tag ----

inline bool IsTagStart(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool IsTagByte(unsigned char c) { return c > ' ' && c != ':' && c != '[' && c != ']' && c != 0x7f; }

//! Matches "name[pid]:" (anything may follow) or "name:" (followed by a space or the end) at i.
//! On success sets app/procid and returns the position just past the ':'.
size_t MatchTag(std::string_view s, size_t i, std::string_view* app, std::string_view* procid) {
  constexpr size_t kMaxTag = 64, kMaxPid = 32;
  const size_t n = s.size();
  if (i >= n || !IsTagStart(static_cast<unsigned char>(s[i]))) return 0;
  size_t e = i + 1;
  while (e < n && e - i <= kMaxTag && IsTagByte(static_cast<unsigned char>(s[e]))) ++e;
  if (e >= n || e - i > kMaxTag) return 0;
  std::string_view name = s.substr(i, e - i);
  if (s[e] == '[') {
    size_t p = e + 1;
    while (p < n && p - e <= kMaxPid && s[p] != ']' && s[p] != ' ') ++p;
    if (p + 1 >= n || s[p] != ']' || s[p + 1] != ':') return 0;
    *app = name;
    *procid = s.substr(e + 1, p - e - 1);
    return p + 2;
  }
  if (s[e] != ':' || (e + 1 < n && s[e + 1] != ' ')) return 0;
  *app = name;
  *procid = {};
  return e + 1;
}

//! Everything after the timestamp of a BSD or ISO header: [HOST] [TAG:] MSG, plus the Cisco
//! forms "TIME: %ASA-...", "TIME HOST : %ASA-..." and "TIME ZONE: %ASA-...".
void ParseHostTagMsg(std::string_view s, size_t i, Parts* p) {
  const size_t n = s.size();
  if (i < n && s[i] == ':') {  // "Nov 26 2026 12:00:00: %ASA-..." (no host)
    p->msg = s.substr(SkipSpaces(s, i + 1));
    return;
  }
  i = SkipSpaces(s, i);
  if (i < n && s[i] == ':' && (i + 1 == n || s[i + 1] == ' ')) {  // "12:00:00 : %ASA-..." (empty host)
    p->msg = s.substr(SkipSpaces(s, i + 1));
    return;
  }
  if (i + 1 < n && s[i] == '%' && s[i + 1] >= 'A' && s[i + 1] <= 'Z') {  // "...T08:41:37Z   %FTD-1-430003: ..." (no host)
    p->msg = s.substr(i);
    return;
  }
  {  // Cisco time zone abbreviation: "12:00:00 EDT: %ASA-..."
    size_t e = i;
    while (e < n && e - i < 6 && s[e] >= 'A' && s[e] <= 'Z') ++e;
    if (e - i >= 2 && e - i <= 5 && e + 2 < n && s[e] == ':' && s[e + 1] == ' ' && s[e + 2] == '%') {
      p->msg = s.substr(e + 2);
      return;
    }
  }
  size_t after = MatchTag(s, i, &p->app, &p->procid);
  if (after != 0 && p->procid.empty() && after + 2 < n && s[after + 1] == '%' &&
      s[after + 2] >= 'A' && s[after + 2] <= 'Z') {
    // "fw01: %ASA-...": a Cisco device id, not a tag.
    p->host = p->app;
    p->app = {};
    p->msg = s.substr(after + 1);
    return;
  }
  if (after == 0) {
    p->host = TokenAt(s, i);
    i = SkipSpaces(s, i + p->host.size());
    if (p->host.size() > 1 && p->host.back() == ':') {  // "<IP>: %ASA-..."
      p->host.remove_suffix(1);
      p->msg = s.substr(i);
      return;
    }
    if (i < n && s[i] == ':' && (i + 1 == n || s[i + 1] == ' ')) {  // "fw01 : %ASA-..."
      p->msg = s.substr(SkipSpaces(s, i + 1));
      return;
    }
    after = MatchTag(s, i, &p->app, &p->procid);
  }
  if (after != 0) {
    i = after;
    if (i < n && s[i] == ' ') ++i;
  }
  p->msg = s.substr(i);
}

bool ParseBsd(std::string_view s, size_t i, int64_t limit, Parts* p) {
  BsdTime t;
  if (!ParseBsdTime(s, &i, &t)) return false;
  if (!ResolveBsdTime(t, limit, &p->time_ns)) return false;
  p->have_time = true;
  p->explicit_year = t.year >= 0;
  ParseHostTagMsg(s, i, p);
  return true;
}

//! "2026-11-26T12:00:00.123+01:00 HOST TAG: MSG" (RSYSLOG_ForwardFormat, syslog-ng ISO dates).
bool ParseIso(std::string_view s, size_t i, Parts* p) {
  std::string_view tok = TokenAt(s, i);
  if (tok.size() < 16 || !IsDigit(tok[0]) || tok[4] != '-' || (tok[10] != 'T' && tok[10] != 't'))
    return false;
  auto ns = ParseRfc3339(tok);
  if (!ns) return false;
  p->have_time = true;
  p->explicit_year = true;
  p->time_ns = *ns;
  ParseHostTagMsg(s, i + tok.size(), p);
  return true;
}

// ---- RFC 5424 ----

inline bool IsSdNameByte(char c) { return c != ' ' && c != ']' && c != '=' && c != '"'; }

//! Walks SD-ELEMENTs starting at s[i] == '['. Calls on_param(id, name, raw_value) for each
//! parameter. Returns the position after the last element, or npos if malformed.
template <class F>
size_t WalkSd(std::string_view s, size_t i, F&& on_param) {
  const size_t n = s.size();
  while (i < n && s[i] == '[') {
    size_t b = ++i;
    while (i < n && IsSdNameByte(s[i])) ++i;
    if (i == b) return std::string_view::npos;
    std::string_view id = s.substr(b, i - b);
    for (;;) {
      if (i >= n) return std::string_view::npos;
      if (s[i] == ']') {
        ++i;
        break;
      }
      if (s[i] != ' ') return std::string_view::npos;
      i = SkipSpaces(s, i);
      b = i;
      while (i < n && IsSdNameByte(s[i])) ++i;
      if (i == b || i + 1 >= n || s[i] != '=' || s[i + 1] != '"') return std::string_view::npos;
      std::string_view name = s.substr(b, i - b);
      i += 2;
      b = i;
      while (i < n && s[i] != '"') i += (s[i] == '\\' && i + 1 < n) ? 2 : 1;
      if (i >= n) return std::string_view::npos;
      on_param(id, name, s.substr(b, i - b));
      ++i;
    }
  }
  return i;
}

bool Parse5424(std::string_view s, size_t i, Parts* p) {
  const size_t n = s.size();
  if (i >= n || s[i] < '1' || s[i] > '9') return false;
  int version = 0;
  size_t b = i;
  while (i < n && i - b < 3 && IsDigit(s[i])) version = version * 10 + (s[i++] - '0');
  if (i >= n || s[i] != ' ') return false;
  ++i;
  std::string_view* const headers[] = {nullptr, &p->host, &p->app, &p->procid, &p->msgid};
  for (int h = 0; h < 5; ++h) {
    std::string_view tok = TokenAt(s, i);
    if (tok.empty()) return false;
    i += tok.size();
    // Every header field is followed by a space, except that MSGID may end the line.
    if (i >= n && h != 4) return false;
    if (i < n) ++i;
    if (tok == "-") continue;
    if (h == 0) {
      auto ns = ParseRfc3339(tok);
      if (!ns) return false;
      p->have_time = true;
      p->explicit_year = true;
      p->time_ns = *ns;
    } else {
      *headers[h] = tok;
    }
  }
  p->version = version;
  size_t msg_at = i;
  if (i < n && s[i] == '-' && (i + 1 == n || s[i + 1] == ' ')) {
    msg_at = i + 1;
  } else if (i < n && s[i] == '[') {
    size_t end = WalkSd(s, i, [](std::string_view, std::string_view, std::string_view) {});
    if (end != std::string_view::npos && (end == n || s[end] == ' ')) {
      p->sd = s.substr(i, end - i);
      msg_at = end;
    }  // else malformed: the rest is the message
  }
  if (msg_at < n && s[msg_at] == ' ' && msg_at != i) {
    ++msg_at;
    if (msg_at < n && s[msg_at] == ' ') ++msg_at;  // rsyslog's "%STRUCTURED-DATA% %msg%"
  }
  std::string_view msg = s.substr(std::min(msg_at, n));
  if (msg.size() >= 3 && msg[0] == '\xEF' && msg[1] == '\xBB' && msg[2] == '\xBF') msg.remove_prefix(3);
  p->msg = msg;
  return true;
}

// ---- FortiOS "date=... time=..." ----

//! The value of `key=` where the key starts the text or follows a space (quotes removed).
std::string_view KvValue(std::string_view s, std::string_view key) {
  size_t at = 0;
  while ((at = s.find(key, at)) != std::string_view::npos) {
    const size_t v = at + key.size();
    if ((at == 0 || s[at - 1] == ' ') && v < s.size() && s[v] == '=') {
      std::string_view rest = s.substr(v + 1);
      if (!rest.empty() && rest[0] == '"') {
        size_t q = rest.find('"', 1);
        return q == std::string_view::npos ? std::string_view() : rest.substr(1, q - 1);
      }
      return TokenAt(rest, 0);
    }
    at = v;
  }
  return {};
}

bool LooksLikeKv(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && i < 32 && (IsWordByte(static_cast<unsigned char>(s[i])) || s[i] == '-')) ++i;
  return i > 0 && i < s.size() && s[i] == '=';
}

//! Body starting with key=value pairs: keeps it whole as the message, time from date=/time=.
bool ParseFortinet(std::string_view body, bool require_date_first, Parts* p) {
  if (require_date_first ? body.substr(0, 5) != "date=" : !LooksLikeKv(body)) return false;
  std::string_view date = KvValue(body, "date"), clock = KvValue(body, "time");
  int64_t secs;
  if (date.size() == 10 && clock.size() >= 8 && ParseClock(clock, 0, &secs)) {
    if (auto day = ParseRfc3339(date)) {
      int64_t frac = 0;
      if (clock.size() > 9 && clock[8] == '.') ParseFraction(clock, 9, &frac);
      p->have_time = true;
      p->explicit_year = true;
      p->time_ns = *day + secs * kNanosPerSecond + frac;
    }
  }
  if (require_date_first && !p->have_time) return false;
  p->msg = body;
  return true;
}

// ---- output ----

std::string_view IntText(int64_t v, char* buf, size_t size) {
  auto r = std::to_chars(buf, buf + size, v);
  return std::string_view(buf, r.ptr - buf);
}

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

void AppendUnescapedSdValue(std::string* out, std::string_view raw) {
  for (size_t k = 0; k < raw.size(); ++k) {
    if (raw[k] == '\\' && k + 1 < raw.size() &&
        (raw[k + 1] == '"' || raw[k + 1] == '\\' || raw[k + 1] == ']')) {
      ++k;
    }
    out->push_back(raw[k]);
  }
}

void Emit(const Parts& p, int64_t received_ns, int64_t limit, Event* ev) {
  const bool fresh = ev->fields.empty();
  auto put = [&](std::string_view k, std::string_view v) {
    if (v.empty()) return;
    if (fresh) {
      ev->Add(k, v);
    } else {
      ev->Set(k, v);
    }
  };
  ev->fields.reserve(ev->fields.size() + 16);
  char buf[24];
  if (p.pri >= 0) {
    put("log.syslog.priority", IntText(p.pri, buf, sizeof buf));
    put("log.syslog.facility.code", IntText(p.pri >> 3, buf, sizeof buf));
    put("log.syslog.facility.name", SyslogFacilityName(p.pri >> 3));
    put("log.syslog.severity.code", IntText(p.pri & 7, buf, sizeof buf));
    put("log.syslog.severity.name", SyslogSeverityName(p.pri & 7));
  }
  if (p.version > 0) put("log.syslog.version", IntText(p.version, buf, sizeof buf));
  put(field::kHostName, p.host);
  put("log.syslog.appname", p.app);
  put("log.syslog.procid", p.procid);
  put("log.syslog.msgid", p.msgid);
  put("process.name", p.app);
  if (AllDigits(p.procid)) put("process.pid", p.procid);
  if (!p.sd.empty()) {
    std::string name(kSdPrefix);
    std::string value;
    WalkSd(p.sd, 0, [&](std::string_view id, std::string_view param, std::string_view raw) {
      name.resize(kSdPrefix.size());
      name.append(id);
      name.push_back('.');
      name.append(param);
      if (raw.find('\\') == std::string_view::npos) {
        ev->Set(name, raw);
      } else {
        value.clear();
        AppendUnescapedSdValue(&value, raw);
        ev->Set(name, value);
      }
    });
  }
  put(field::kMessage, p.msg);

  int64_t ts = p.have_time ? p.time_ns : received_ns;
  if (p.have_time && p.explicit_year && ts > limit) {
    ts = received_ns;
    ev->AddTag("timestamp_in_future");
  }
  ev->timestamp_ns = ts;
}

}  // namespace

std::string_view SyslogFacilityName(int facility) {
  return facility >= 0 && facility < static_cast<int>(kFacilityNames.size()) ? kFacilityNames[facility]
                                                                             : std::string_view();
}

std::string_view SyslogSeverityName(int severity) {
  return severity >= 0 && severity < 8 ? kSeverityNames[severity] : std::string_view();
}

bool ParseSyslog(std::string_view line, int64_t received_ns, const SyslogOptions& opt, Event* ev) {
  const int64_t limit = SaturatingAdd(received_ns, opt.future_margin_ns);
  int pri = -1;
  size_t start = 0;
  const bool has_pri = ParsePri(line, &start, &pri);
  const size_t body = has_pri ? SkipSpaces(line, start) : 0;

  Parts p;
  bool ok = false;
  if (has_pri || line.empty() || line[0] != '<') {
    if (has_pri && (ok = Parse5424(line, start, &p))) {
    } else if (p = Parts(); (ok = ParseBsd(line, body, limit, &p))) {
    } else if (p = Parts(); (ok = ParseIso(line, body, &p))) {
    } else if (p = Parts(); (ok = ParseFortinet(line.substr(body), !has_pri, &p))) {
    } else if (has_pri) {
      p = Parts();
      p.msg = line.substr(body);  // "<13>anything": syslog with a free-form body
      ok = true;
    }
  }
  if (!ok) {
    if (!line.empty()) {
      if (ev->fields.empty()) {
        ev->Add(field::kMessage, line);
      } else {
        ev->Set(field::kMessage, line);
      }
    }
    ev->timestamp_ns = received_ns;
    return false;
  }
  p.pri = pri;
  Emit(p, received_ns, limit, ev);
  return true;
}

}  // namespace kamatama
