// investigate/logons.cc
#include "investigate/logons.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "core/time.h"
#include "investigate/json_out.h"

namespace kamatama::investigate {

namespace {

// A second start or end of the same session within this is the same session told twice (sshd's
// "Accepted" and "session opened"; 4647 then 4634).
constexpr int64_t kSameSessionNs = 60 * kNanosPerSecond;

const char* const kRowFields[] = {"host.name", "event.dataset", "event.code", "event.type", "event.outcome",
                                  "winlog.logon.id", "process.pid", "user.name", "user.domain", "winlog.logon.type",
                                  "source.ip"};

struct Row {
  int64_t ts = 0;
  std::string host, dataset, code, type, outcome, logon_id, pid, user, domain, logon_type, source_ip;
};

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Row ReadRow(const FieldAccessor& r, int64_t ts) {
  Row row;
  row.ts = ts;
  std::string* dst[] = {&row.host, &row.dataset, &row.code, &row.type, &row.outcome, &row.logon_id,
                        &row.pid, &row.user, &row.domain, &row.logon_type, &row.source_ip};
  for (size_t i = 0; i < std::size(kRowFields); ++i) {
    std::string_view v;
    if (r.Get(kRowFields[i], &v)) dst[i]->assign(v);
  }
  return row;
}

Status ReadRows(const Searcher& s, const std::string& q, int64_t from, int64_t to, std::vector<Row>* rows,
                bool* truncated) {
  std::mutex mu;
  std::vector<std::string> fields(std::begin(kRowFields), std::end(kRowFields));
  Status st = s.Visit(q, from, to, fields, [&](unsigned, const FieldAccessor& r, int64_t ts) {
    Row row = ReadRow(r, ts);
    std::lock_guard<std::mutex> lock(mu);
    if (rows->size() >= kMaxLogonRows) {
      if (truncated) *truncated = true;
      return;
    }
    rows->push_back(std::move(row));
  });
  std::sort(rows->begin(), rows->end(), [](const Row& a, const Row& b) { return a.ts < b.ts; });
  return st;
}

bool IsWindows(const Row& r) { return r.dataset == "auth.windows_security"; }

// Pairs starts and ends (rows oldest first) into sessions, oldest first.
std::vector<LogonSession> Pair(const std::vector<Row>& rows) {
  std::vector<LogonSession> out;
  std::unordered_map<std::string, size_t> open;       // key -> index in out
  std::unordered_map<std::string, int64_t> closed;    // key -> time it closed
  for (const Row& r : rows) {
    const bool windows = IsWindows(r);
    const std::string id = windows ? r.logon_id : r.pid;
    if (id.empty() || id == "0x0") continue;
    const std::string key = LowerAscii(r.host) + "|" + id;
    const bool start = windows ? r.code == "4624" : r.type == "start";
    if (start && r.outcome == "failure") continue;
    auto it = open.find(key);
    if (start) {
      if (it != open.end() && r.ts - out[it->second].start_ns <= kSameSessionNs && out[it->second].user == r.user) {
        LogonSession& same = out[it->second];
        if (same.source_ip.empty()) same.source_ip = r.source_ip;
        continue;
      }
      LogonSession sess{r.user, r.domain, r.host, id, windows ? r.logon_type : "ssh", r.source_ip, r.dataset, r.ts, 0};
      open[key] = out.size();
      out.push_back(std::move(sess));
      continue;
    }
    if (r.type != "end" && !(windows && (r.code == "4634" || r.code == "4647"))) continue;
    if (it != open.end()) {
      out[it->second].end_ns = r.ts;
      open.erase(it);
      closed[key] = r.ts;
      continue;
    }
    auto c = closed.find(key);
    if (c != closed.end() && r.ts - c->second <= kSameSessionNs) continue;
    closed[key] = r.ts;
    out.push_back(LogonSession{r.user, r.domain, r.host, id, windows ? r.logon_type : "ssh", r.source_ip, r.dataset, 0,
                               r.ts});
  }
  return out;
}

LogonSession WellKnown(std::string_view host, std::string_view id) {
  static const std::pair<std::string_view, std::string_view> kIds[] = {
      {"0x3e7", "SYSTEM"}, {"0x3e4", "NETWORK SERVICE"}, {"0x3e5", "LOCAL SERVICE"}};
  LogonSession s;
  const std::string lower = LowerAscii(id);
  for (const auto& [k, name] : kIds) {
    if (lower == k) {
      s.user = name;
      s.domain = "NT AUTHORITY";
      s.host = host;
      s.logon_id = id;
      s.logon_type = "Service";
      s.well_known = true;
    }
  }
  return s;
}

std::string Time(int64_t ns) { return ns ? FormatRfc3339(ns) : std::string(); }

}  // namespace

std::string LogonEventsFilter() {
  return "((event.dataset:auth.windows_security AND (event.code:4624 OR event.code:4634 OR event.code:4647)) OR "
         "(event.dataset:auth.sshd AND (event.type:start OR event.type:end)))";
}

Status FindSessions(const Searcher& s, const std::string& who, int64_t from_ns, int64_t to_ns, size_t max,
                    std::vector<LogonSession>* out, bool* truncated) {
  std::vector<Row> rows;
  if (Status st = ReadRows(s, who + " AND " + LogonEventsFilter(), from_ns, to_ns, &rows, truncated); !st.ok())
    return st;
  *out = Pair(rows);
  if (out->size() > max) out->erase(out->begin(), out->end() - static_cast<ptrdiff_t>(max));
  return Status::OK();
}

Status SessionsAt(const Searcher& s, std::string_view host, int64_t at_ns, int64_t lookback_ns,
                  std::vector<LogonSession>* out, bool* truncated) {
  std::vector<Row> rows;
  const int64_t from = at_ns > INT64_MIN + lookback_ns ? at_ns - lookback_ns : INT64_MIN;
  const int64_t to = at_ns < INT64_MAX - lookback_ns ? at_ns + lookback_ns : INT64_MAX;
  const std::string q = HostNameFilter(host) + " AND " + LogonEventsFilter();
  if (Status st = ReadRows(s, q, from, to, &rows, truncated); !st.ok()) return st;
  out->clear();
  for (LogonSession& sess : Pair(rows)) {
    const bool started = sess.start_ns ? sess.start_ns <= at_ns : true;
    const bool ended = sess.end_ns && sess.end_ns <= at_ns;
    // An end with no start is a session that began before the range only if it ends after `at`.
    if (started && !ended && (sess.start_ns || sess.end_ns > at_ns)) out->push_back(std::move(sess));
  }
  return Status::OK();
}

Status SessionsByLogonId(const Searcher& s, std::string_view host, const std::map<std::string, int64_t>& before_ns,
                         int64_t from_ns, int64_t to_ns, std::map<std::string, LogonSession>* out) {
  std::vector<std::string> ids;
  for (const auto& [id, before] : before_ns) {
    LogonSession w = WellKnown(host, id);
    if (w.well_known) (*out)[id] = std::move(w);
    else if (!id.empty() && id != "0x0") ids.push_back(id);
  }
  if (ids.empty()) return Status::OK();
  std::vector<Row> rows;
  const std::string q = HostNameFilter(host) +
                        " AND event.dataset:auth.windows_security AND (event.code:4624 OR event.code:4634 OR "
                        "event.code:4647) AND " + AnyValue("winlog.logon.id", ids);
  if (Status st = ReadRows(s, q, from_ns, to_ns, &rows, nullptr); !st.ok()) return st;
  for (LogonSession& sess : Pair(rows)) {
    auto b = before_ns.find(sess.logon_id);
    if (b == before_ns.end() || !sess.start_ns || sess.start_ns > b->second) continue;
    (*out)[sess.logon_id] = std::move(sess);  // oldest first: the newest before wins
  }
  return Status::OK();
}

std::string ProcessLogonId(const Event& ev) {
  auto get = [&](const char* f) { const std::string* v = ev.Get(f); return v ? *v : std::string(); };
  std::string id = get("winlog.event_data.LogonId");
  if (!id.empty()) return id;
  id = get("winlog.event_data.TargetLogonId");
  if (!id.empty() && id != "0x0" && id != "-") return id;
  return get("winlog.event_data.SubjectLogonId");
}

void AppendSessionJson(const LogonSession& s, std::string* out) {
  out->push_back('{');
  AppendMember(out, "user", s.user, true);
  AppendMember(out, "domain", s.domain);
  AppendMember(out, "host", s.host);
  AppendMember(out, "logon_id", s.logon_id);
  AppendMember(out, "logon_type", s.logon_type);
  AppendMember(out, "source_ip", s.source_ip);
  AppendMember(out, "dataset", s.dataset);
  AppendMember(out, "start", Time(s.start_ns));
  AppendMember(out, "end", Time(s.end_ns));
  out->append(s.well_known ? ",\"well_known\":true}" : ",\"well_known\":false}");
}

}  // namespace kamatama::investigate
