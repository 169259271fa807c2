// server/schedule_run.cc
#include "server/schedule_run.h"

#include <simdjson.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"
#include "detect/sigma_rule.h"
#include "ingest/pipeline.h"
#include "query/pipes.h"
#include "server/alert_store.h"
#include "server/library_kinds.h"
#include "server/notifier.h"

namespace kamatama::server {

namespace {

constexpr int64_t kHourNs = 3600LL * kNanosPerSecond;
//! New values named in an alert (the rest are counted).
constexpr size_t kAlertValuesShown = 20;
//! The columns of a report of a search without pipes and without chosen columns.
const std::vector<std::string> kDefaultColumns = {"@timestamp", "host.name", "event.dataset", "message"};

//! The result of the search: a table and the count the condition compares.
struct Result {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  uint64_t count = 0;  //!< events matched, or rows of a search with pipes
  bool truncated = false;
};

std::string CellText(simdjson::dom::element v) {
  std::string_view s;
  if (!v.get(s)) return std::string(s);
  if (v.is_null()) return "";
  return simdjson::minify(v);
}

//! The saved search a schedule runs: its query and columns; the reason when it cannot run.
struct Search {
  std::string name, query;
  std::vector<std::string> columns;
};
std::string FindSearch(const ScheduleSpec& spec, const ScheduleRunContext& ctx, Search* out) {
  auto o = ctx.saved_searches ? ctx.saved_searches->Get(spec.saved_search) : std::nullopt;
  if (!o) return fmt::format("the saved search {} no longer exists", spec.saved_search);
  if (!o->shared && o->owner != spec.owner)
    return fmt::format("the saved search {} is private to {}", spec.saved_search, o->owner);
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  std::string_view name, query;
  if (parser.parse(o->body).get(body) || body["name"].get(name) || body["query"].get(query))
    return "the saved search is not readable";
  out->name = name;
  out->query = query;
  simdjson::dom::array cols;
  if (!body["columns"].get(cols)) {
    for (simdjson::dom::element c : cols) {
      std::string_view s;
      if (!c.get(s)) out->columns.emplace_back(s);
    }
  }
  return "";
}

//! Reads the search API's answer into *r; the error when it is one.
std::string ReadAnswer(const Response& resp, const std::vector<std::string>& want_columns, size_t max_rows, Result* r) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(resp.body).get(obj)) return fmt::format("the search answered HTTP {}", resp.status);
  std::string_view err;
  if (!obj["error"].get(err)) return fmt::format("the search failed: {}", err);
  bool timed_out = false;
  if (!obj["timed_out"].get(timed_out) && timed_out) return "the search timed out (query.timeout)";
  simdjson::dom::array rows, columns, events;
  if (!obj["columns"].get(columns) && !obj["rows"].get(rows)) {
    for (simdjson::dom::element c : columns) r->columns.push_back(CellText(c));
    r->count = rows.size();
    for (simdjson::dom::array row : rows) {
      if (r->rows.size() >= max_rows) {
        r->truncated = true;
        break;
      }
      auto& cells = r->rows.emplace_back();
      for (simdjson::dom::element v : row) cells.push_back(CellText(v));
    }
    return "";
  }
  if (obj["events"].get(events)) return "the search's answer has neither events nor rows";
  uint64_t matched = 0;
  if (obj["matched"].get(matched)) matched = 0;
  r->count = matched;
  r->columns = want_columns.empty() ? kDefaultColumns : want_columns;
  for (simdjson::dom::object ev : events) {
    if (r->rows.size() >= max_rows) break;
    auto& cells = r->rows.emplace_back();
    for (const std::string& c : r->columns) {
      simdjson::dom::element v;
      cells.push_back(ev[c].get(v) ? std::string() : CellText(v));
    }
  }
  r->truncated = matched > r->rows.size();
  return "";
}

//! Whether the query has pipes (then the rows are the result).
bool HasPipes(const std::string& q) {
  auto p = query::ParsePipeline(q);
  auto* pipeline = std::get_if<query::Pipeline>(&p);
  return pipeline && !pipeline->stages.empty();
}

//! Whether the rate limit lets one more alert or report through now (sent_ns pruned).
bool UnderRateLimit(const ScheduleSpec& spec, ScheduleState* st, int64_t now) {
  while (!st->sent_ns.empty() && st->sent_ns.front() <= now - kHourNs) st->sent_ns.pop_front();
  return spec.rate_limit == 0 || st->sent_ns.size() < static_cast<size_t>(spec.rate_limit);
}

std::string AlertEventJson(const ScheduleSpec& spec, const Search& search, int64_t from, int64_t to, int64_t now,
                           uint64_t id, const std::string& key, const std::string& what) {
  std::string j = "{";
  AppendJsonMember(&j, "@timestamp", FormatRfc3339(now));
  AppendJsonMember(&j, "event.kind", "alert");
  AppendJsonMember(&j, "event.dataset", "kamatama.alert");
  AppendJsonMember(&j, "event.module", "schedule");
  AppendJsonMember(&j, "rule.id", "schedule-" + spec.id);
  AppendJsonMember(&j, "rule.name", "Scheduled search: " + spec.name);
  AppendJsonMember(&j, "rule.ruleset", "schedule");
  AppendJsonMember(&j, "rule.level", spec.level);
  AppendJsonMember(&j, "rule.author", spec.owner);
  if (id) AppendJsonMember(&j, "kamatama.alert.id", static_cast<int64_t>(id));
  AppendJsonMember(&j, "kamatama.alert.origin", "schedule");
  AppendJsonMember(&j, "kamatama.alert.key", key);
  AppendJsonMember(&j, "kamatama.schedule.id", spec.id);
  AppendJsonMember(&j, "kamatama.schedule.saved_search", spec.saved_search);
  AppendJsonMember(&j, "kamatama.schedule.query", search.query);
  AppendJsonMember(&j, "kamatama.schedule.from", FormatRfc3339(from));
  AppendJsonMember(&j, "kamatama.schedule.to", FormatRfc3339(to));
  AppendJsonMember(&j, "kamatama.matched.timestamp", FormatRfc3339(to - 1));
  AppendJsonMember(&j, "kamatama.matched.dataset", "kamatama.schedule");
  AppendJsonMember(&j, "kamatama.matched.original", what);
  AppendJsonMember(&j, "message", fmt::format("Scheduled search '{}': {}", spec.name, what));
  return j + "}";
}

//! Raises the window's alert; fills run->outcome, alert_id and detail.
void RaiseAlert(const ScheduleSpec& spec, const Search& search, int64_t from, int64_t to, const std::string& what,
                const ScheduleRunContext& ctx, ScheduleState* st, ScheduleRun* run) {
  const int64_t now = NowNanos();
  run->detail = what;
  if (!UnderRateLimit(spec, st, now)) {
    run->outcome = "rate_limited";
    run->detail = fmt::format("{} (no alert: rate_limit {} an hour reached)", what, spec.rate_limit);
    return;
  }
  detect::Rule rule;
  rule.id = "schedule-" + spec.id;
  rule.title = "Scheduled search: " + spec.name;
  rule.level = spec.level;
  Event ev;
  ev.timestamp_ns = to - 1;
  ev.original = what;
  ev.Set(field::kDataset, "kamatama.schedule");
  const std::string key = fmt::format("{}\x1fwindow\x1f{}", rule.id, to);
  AlertStore::Decision d = ctx.alerts->Observe(rule, ev, now, &key);
  if (d.verdict != Verdict::kRaised) {
    run->outcome = "ok";
    run->alert_id = d.id;
    run->detail = fmt::format("{} (alert {}: {})", what, d.id, VerdictName(d.verdict));
    return;
  }
  st->sent_ns.push_back(now);
  RawRecord raw;
  raw.received_ns = now;
  raw.data = AlertEventJson(spec, search, from, to, now, d.id, key, what);
  raw.flags = kRawJson | kRawInternal;
  ingest::Batch batch;
  batch.events.push_back(ParseRecord(raw, ctx.parse));
  batch.raws.push_back(std::move(raw));
  batch.evaluated = true;  // an alert: nothing for the rules to look at
  if (ctx.notifier) ctx.notifier->OfferAlerts(batch.events);
  if (ctx.pipeline) ctx.pipeline->Submit(std::move(batch), 10LL * kNanosPerSecond);
  run->outcome = "alert";
  run->alert_id = d.id;
}

//! The alert condition over the result; the text of what held, or "" when nothing did.
std::string CheckCondition(const ScheduleSpec& spec, const Result& r, ScheduleState* st, ScheduleRun* run) {
  if (spec.condition == "count") {
    if (r.count <= static_cast<uint64_t>(spec.threshold)) return "";
    return fmt::format("{} results from {} to {}, more than {}", r.count, FormatRfc3339(run->from_ns),
                       FormatRfc3339(run->to_ns), spec.threshold);
  }
  auto col = std::find(r.columns.begin(), r.columns.end(), spec.field);
  if (col == r.columns.end()) {
    run->outcome = "error";
    run->detail = fmt::format("the result has no column {}", spec.field);
    return "";
  }
  const size_t at = col - r.columns.begin();
  std::vector<std::string> fresh;
  for (const auto& row : r.rows) {
    if (at >= row.size() || row[at].empty()) continue;
    if (RememberSeen(st, SeenKey(row[at]))) fresh.push_back(row[at]);
  }
  if (!st->baseline) {
    st->baseline = true;
    run->outcome = "baseline";
    run->detail = fmt::format("{} value(s) of {} learned", fresh.size(), spec.field);
    return "";
  }
  if (fresh.empty()) return "";
  std::string list;
  for (size_t i = 0; i < fresh.size() && i < kAlertValuesShown; ++i)
    list += (i ? ", " : "") + std::string(fresh[i].substr(0, 256));
  if (fresh.size() > kAlertValuesShown) list += fmt::format(" and {} more", fresh.size() - kAlertValuesShown);
  return fmt::format("{} new value(s) of {} never seen before: {}", fresh.size(), spec.field, list);
}

void SendReport(const ScheduleSpec& spec, const Search& search, const Result& r, const ScheduleRunContext& ctx,
                ScheduleState* st, ScheduleRun* run) {
  const int64_t now = NowNanos();
  if (!UnderRateLimit(spec, st, now)) {
    run->outcome = "rate_limited";
    run->detail = fmt::format("no report: rate_limit {} an hour reached", spec.rate_limit);
    return;
  }
  Note note;
  note.kind = NoteKind::kReport;
  ReportNote& rep = note.report;
  rep.schedule_id = spec.id;
  rep.schedule_name = spec.name;
  rep.search_name = search.name;
  rep.query = search.query;
  rep.owner = spec.owner;
  rep.from_ns = run->from_ns;
  rep.to_ns = run->to_ns;
  rep.matched = r.count;
  rep.columns = r.columns;
  rep.rows = r.rows;
  rep.truncated = r.truncated;
  bool found = false;
  std::string error = ctx.notifier ? ctx.notifier->SendNow(spec.target, note, &found) : "notifications are off";
  if (!error.empty()) {
    run->outcome = "error";
    run->detail = fmt::format("report to {} not sent: {}", spec.target, error);
    return;
  }
  st->sent_ns.push_back(now);
  run->outcome = "report";
  run->detail = fmt::format("sent to {} ({} rows)", spec.target, r.rows.size());
}

std::string StringField(simdjson::dom::object o, const char* name) {
  std::string_view v;
  return o[name].get(v) ? std::string() : std::string(v);
}

}  // namespace

int64_t ScheduleSpec::PeriodNs() const { return every_ns > 0 ? every_ns : kNanosPerDay; }

int64_t ScheduleSpec::SlotAtOrBefore(int64_t t) const {
  const int64_t offset = every_ns > 0 ? 0 : at_minute * 60LL * kNanosPerSecond;
  const int64_t p = PeriodNs();
  const int64_t k = (t - offset) >= 0 ? (t - offset) / p : -((offset - t + p - 1) / p);
  return k * p + offset;
}

std::optional<ScheduleSpec> ParseScheduleSpec(const OwnedObject& o) {
  simdjson::dom::parser parser;
  simdjson::dom::object b;
  if (parser.parse(o.body).get(b)) return std::nullopt;
  ScheduleSpec s;
  s.id = o.id;
  s.owner = o.owner;
  s.name = StringField(b, "name");
  s.saved_search = StringField(b, "saved_search");
  if (std::string every = StringField(b, "every"); !every.empty()) s.every_ns = ParseDuration(every).value_or(0);
  else s.at_minute = ScheduleTimeOfDay(StringField(b, "at"));
  if (s.every_ns <= 0 && s.at_minute < 0) return std::nullopt;
  if (b["enabled"].get(s.enabled)) s.enabled = true;
  s.action = StringField(b, "action");
  if (std::string c = StringField(b, "condition"); !c.empty()) s.condition = c;
  s.field = StringField(b, "field");
  if (std::string l = StringField(b, "level"); !l.empty()) s.level = l;
  s.target = StringField(b, "target");
  if (b["threshold"].get(s.threshold)) s.threshold = 0;
  int64_t n = 0;
  if (!b["max_rows"].get(n)) s.max_rows = static_cast<size_t>(n);
  if (!b["rate_limit"].get(n)) s.rate_limit = static_cast<int>(n);
  return s;
}

ScheduleRun RunSchedule(const ScheduleSpec& spec, int64_t from, int64_t to, const std::string& trigger,
                        const ScheduleRunContext& ctx, ScheduleState* st) {
  ScheduleRun run;
  run.started_ns = NowNanos();
  run.from_ns = from;
  run.to_ns = to;
  run.trigger = trigger;
  run.outcome = "ok";
  auto fail = [&](std::string why) {
    run.outcome = "error";
    run.detail = std::move(why);
  };
  Search search;
  Result result;
  if (std::string why = FindSearch(spec, ctx, &search); !why.empty()) {
    fail(why);
  } else {
    const bool values = spec.action == "alert" && spec.condition == "new_value";
    // A new_value schedule over a plain search counts by the field: every value, not a page of events.
    std::string q = search.query;
    if (values && !HasPipes(q)) q = "(" + (q.empty() ? std::string("*") : q) + ") | stats count() by " + spec.field;
    const size_t rows = spec.action == "report" ? spec.max_rows : values ? SIZE_MAX : 1;
    Response resp = ctx.search(spec.owner, q, from, to, spec.action == "report" ? std::min(spec.max_rows, ctx.max_limit) : 1,
                               ctx.cancelled);
    if (std::string why = ReadAnswer(resp, search.columns, rows, &result); !why.empty()) fail(why);
    run.rows = result.count;
  }
  if (run.outcome != "error" && spec.action == "alert") {
    std::string what = CheckCondition(spec, result, st, &run);
    if (!what.empty()) RaiseAlert(spec, search, from, to, what, ctx, st, &run);
  } else if (run.outcome != "error" && spec.action == "report") {
    SendReport(spec, search, result, ctx, st, &run);
  }
  if (run.detail.size() > kRunDetailBytes) run.detail.resize(kRunDetailBytes);
  run.duration_ns = NowNanos() - run.started_ns;
  if (ctx.audit) ctx.audit(spec, search.query, run);
  return run;
}

}  // namespace kamatama::server
