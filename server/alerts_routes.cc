// server/alerts_routes.cc
#include "server/alerts_routes.h"

#include <simdjson.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"
#include "detect/tuning.h"
#include "server/coverage.h"

namespace kamatama::server {

namespace {

using Extra = std::vector<std::pair<std::string, std::string>>;

std::string Param(const Request& req, const char* name) {
  auto it = req.params.find(name);
  return it == req.params.end() ? "" : it->second;
}

std::shared_ptr<const detect::Rule> FindRule(const AlertRoutes& ctx, std::string_view id) {
  auto set = ctx.detection ? ctx.detection->Rules() : nullptr;
  if (!set) return nullptr;
  for (const auto& r : set->rules())
    if (r->id == id) return r;
  return nullptr;
}

void AppendStringList(std::string* j, const std::vector<std::string>& v) {
  j->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) j->push_back(',');
    AppendJsonString(j, v[i]);
  }
  j->push_back(']');
}

void AppendCounts(std::string* j, const char* name, const std::map<std::string, uint64_t>& m) {
  *j += fmt::format(",\"{}\":{{", name);
  bool first = true;
  for (const auto& [k, n] : m) {
    if (!first) j->push_back(',');
    first = false;
    AppendJsonString(j, k);
    *j += fmt::format(":{}", n);
  }
  j->push_back('}');
}

//! Alerts per time bucket (by the first match's event time) over [from, to): the shape of
//! GET /api/v1/histogram. An open end is taken from the alerts (to: now at least).
void AppendAlertHistogram(std::string* j, const std::vector<AlertRecord>& alerts, int64_t from, int64_t to) {
  constexpr int64_t kBuckets = 60;
  if (to == INT64_MAX) {
    to = NowNanos();
    for (const AlertRecord& a : alerts) to = std::max(to, a.first_ns + 1);
  }
  if (from == INT64_MIN) {
    from = to - kNanosPerDay;
    for (const AlertRecord& a : alerts) from = std::min(from, a.first_ns);
  }
  // Times far outside 1843..2096 are clamped, so that to - from cannot overflow.
  constexpr int64_t kLimit = 4'000'000'000'000'000'000;
  from = std::clamp(from, -kLimit, kLimit);
  to = std::clamp(to, -kLimit, kLimit);
  if (from >= to) from = to - 1;
  const int64_t width = std::max<int64_t>(1'000'000, (to - from + kBuckets - 1) / kBuckets);
  std::vector<uint64_t> counts(static_cast<size_t>((to - from + width - 1) / width), 0);
  for (const AlertRecord& a : alerts) {
    const int64_t t = std::clamp(a.first_ns, from, to - 1);
    ++counts[static_cast<size_t>((t - from) / width)];
  }
  *j += ",\"histogram\":{\"from\":";
  AppendJsonString(j, FormatRfc3339(from));
  *j += ",\"to\":";
  AppendJsonString(j, FormatRfc3339(to));
  *j += fmt::format(",\"interval_ms\":{},\"buckets\":[", width / 1'000'000);
  for (size_t i = 0; i < counts.size(); ++i) {
    *j += i ? ",{\"time\":" : "{\"time\":";
    AppendJsonString(j, FormatRfc3339(from + static_cast<int64_t>(i) * width));
    *j += fmt::format(",\"count\":{}}}", counts[i]);
  }
  *j += "]}";
}

//! A non-negative integer parameter, at most `max` (`def` when absent).
size_t SizeParam(const Request& req, const char* name, size_t def, size_t max) {
  const std::string v = Param(req, name);
  return v.empty() ? def : std::min<size_t>(std::strtoull(v.c_str(), nullptr, 10), max);
}

Response ListAlerts(const Request& req, const AlertRoutes& ctx) {
  AlertFilter f;
  const int64_t now = NowNanos();
  for (const char* name : {"from", "to"}) {
    const std::string v = Param(req, name);
    if (v.empty()) continue;
    TimeFault fault = TimeFault::kNone;
    auto t = ParseApiTime(v, now, &fault);
    if (fault == TimeFault::kRange) return JsonError(400, fmt::format("'{}': {}", name, kTimeRangeText));
    if (!t) return JsonError(400, fmt::format("'{}' is not a time (RFC 3339, epoch milliseconds or now-1h)", name));
    (std::string_view(name) == "from" ? f.from_ns : f.to_ns) = *t;
  }
  f.level = Param(req, "level");
  f.status = Param(req, "status");
  f.rule = Param(req, "rule");
  f.host = Param(req, "host");
  f.limit = SizeParam(req, "limit", f.limit, 5000);
  const size_t offset = SizeParam(req, "offset", 0, kMaxAlertRecords);
  // Counts and the histogram cover the whole filtered set, not only the page.
  AlertFilter all = f;
  all.limit = kMaxAlertRecords;
  size_t total = 0;
  std::vector<AlertRecord> every = ctx.alerts->List(all, &total);
  std::map<std::string, uint64_t> by_level, by_status, by_rule, by_host;
  uint64_t matches = 0;
  for (const AlertRecord& a : every) {
    ++by_level[a.level];
    ++by_status[a.status];
    ++by_rule[a.rule_name];
    ++by_host[a.host];
    matches += a.count;
  }
  std::string j = fmt::format("{{\"total\":{},\"matches\":{},\"offset\":{}", total, matches, offset);
  AppendCounts(&j, "by_level", by_level);
  AppendCounts(&j, "by_status", by_status);
  AppendCounts(&j, "by_rule", by_rule);
  AppendCounts(&j, "by_host", by_host);
  AppendAlertHistogram(&j, every, f.from_ns, f.to_ns);
  j += ",\"alerts\":[";
  for (size_t i = offset; i < every.size() && i < offset + f.limit; ++i) {
    if (i > offset) j.push_back(',');
    AppendAlertJson(every[i], &j);
  }
  return Response{200, "application/json", j + "]}"};
}

Response PatchAlert(const Request& req, const AlertRoutes& ctx, uint64_t id) {
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  if (parser.parse(req.body).get(body)) return JsonError(400, "the body must be a JSON object");
  AlertPatch p;
  for (auto [key, value] : body) {
    std::string_view v;
    if (value.get(v)) return JsonError(400, fmt::format("'{}' must be a string", key));
    if (key == "status") p.status = std::string(v);
    else if (key == "assignee") p.assignee = std::string(v);
    else if (key == "comment") p.comment = std::string(v);
    else return JsonError(400, fmt::format("unknown key '{}' (status, assignee, comment)", key));
  }
  AlertRecord out;
  Status s = ctx.alerts->Update(id, p, req.principal.name, &out);
  Extra extra = {{"kamatama.alert.id", std::to_string(id)}};
  if (p.status) extra.emplace_back("kamatama.alert.status", *p.status);
  if (p.assignee) extra.emplace_back("kamatama.alert.assignee", *p.assignee);
  if (p.comment) extra.emplace_back("kamatama.alert.comment", *p.comment);
  if (!s.ok()) extra.emplace_back("error.message", s.ToString());
  if (ctx.audit) ctx.audit("alert.update", s.ok() ? "success" : "failure", extra);
  if (s.code() == Status::Code::kNotFound) return JsonError(404, s.ToString());
  if (!s.ok()) return JsonError(s.code() == Status::Code::kInvalidArgument ? 400 : 500, s.ToString());
  std::string j;
  AppendAlertJson(out, &j);
  return Response{200, "application/json", j};
}

void AppendRuleJson(const detect::Rule& r, const AlertStore& alerts, std::string* j) {
  const detect::RuleTuning t = alerts.RuleTuning(r.id);
  const RuleStats st = alerts.Stats(r.id);
  *j += "{\"id\":";
  AppendJsonString(j, r.id);
  *j += ",\"title\":";
  AppendJsonString(j, r.title);
  *j += ",\"level\":";
  AppendJsonString(j, r.level);
  *j += ",\"effective_level\":";
  AppendJsonString(j, t.level.empty() ? r.level : t.level);
  *j += ",\"author\":";
  AppendJsonString(j, r.author);
  *j += ",\"status\":\"loaded\",\"logsource\":";
  AppendJsonString(j, detect::LogsourceKey(r.logsource));
  *j += ",\"file\":";
  AppendJsonString(j, r.path.substr(r.path.rfind('/') + 1));
  *j += ",\"techniques\":";
  AppendStringList(j, r.techniques);
  *j += ",\"references\":";
  AppendStringList(j, r.references);
  *j += fmt::format(",\"enabled\":{},\"exclusions\":", t.enabled ? "true" : "false");
  AppendStringList(j, t.exclusions);
  *j += fmt::format(",\"hits\":{{\"matches\":{},\"raised\":{},\"deduplicated\":{},\"excluded\":{},\"disabled\":{},"
                    "\"capped\":{},\"correlated\":{},\"raised_this_hour\":{}}}}}",
                    st.matches, st.raised, st.deduplicated, st.excluded, st.disabled, st.capped, st.correlated,
                    st.hour == NowNanos() / 3'600'000'000'000 ? st.raised_hour : 0);
}

Response ListRules(const AlertRoutes& ctx) {
  auto set = ctx.detection ? ctx.detection->Rules() : nullptr;
  std::string j = fmt::format("{{\"per_rule_cap\":{},\"dedup_window_seconds\":{},\"dedup_fields\":",
                              ctx.alerts->options().per_rule_cap, ctx.alerts->options().dedup_window_ns / 1'000'000'000);
  AppendStringList(&j, ctx.alerts->options().dedup_fields);
  j += ",\"rules\":[";
  if (set) {
    for (size_t i = 0; i < set->rules().size(); ++i) {
      if (i) j.push_back(',');
      AppendRuleJson(*set->rules()[i], *ctx.alerts, &j);
    }
  }
  j += "],\"not_loaded\":[";
  const detect::LoadSummary summary = ctx.alerts->LoadSummaryCopy();
  bool first = true;
  for (const detect::LoadReport& r : summary.reports) {
    if (r.status == detect::RuleStatus::kLoaded) continue;
    if (!first) j.push_back(',');
    first = false;
    j += "{\"file\":";
    AppendJsonString(&j, r.path.substr(r.path.rfind('/') + 1));
    j += ",\"id\":";
    AppendJsonString(&j, r.id);
    j += ",\"title\":";
    AppendJsonString(&j, r.title);
    j += ",\"status\":";
    AppendJsonString(&j, detect::RuleStatusName(r.status));
    j += ",\"reason\":";
    AppendJsonString(&j, r.reason);
    j += "}";
  }
  j += "],\"logsource_exclusions\":{";
  first = true;
  for (const auto& [key, ex] : ctx.alerts->LogsourceExclusions()) {
    if (!first) j.push_back(',');
    first = false;
    AppendJsonString(&j, key);
    j.push_back(':');
    AppendStringList(&j, ex);
  }
  return Response{200, "application/json", j + "}}"};
}

Response GetRule(const AlertRoutes& ctx, const detect::Rule& r) {
  std::string j;
  AppendRuleJson(r, *ctx.alerts, &j);
  j.pop_back();
  j += ",\"description\":";
  AppendJsonString(&j, r.description);
  j += ",\"tags\":";
  AppendStringList(&j, r.tags);
  std::ifstream in(r.path, std::ios::binary);
  std::string yaml(detect::kMaxRuleFileBytes, '\0');
  in.read(yaml.data(), static_cast<std::streamsize>(yaml.size()));
  yaml.resize(static_cast<size_t>(in.gcount()));
  j += ",\"yaml\":";
  AppendJsonString(&j, yaml);
  j += fmt::format(",\"per_rule_cap\":{}", ctx.alerts->options().per_rule_cap);
  return Response{200, "application/json", j + "}"};
}

//! Reads a JSON list of strings.
bool StringList(simdjson::dom::element e, std::vector<std::string>* out) {
  simdjson::dom::array a;
  if (e.get(a)) return false;
  for (simdjson::dom::element x : a) {
    std::string_view v;
    if (x.get(v)) return false;
    out->emplace_back(v);
  }
  return true;
}

Response PatchRule(const Request& req, const AlertRoutes& ctx, const detect::Rule& rule) {
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  if (parser.parse(req.body).get(body)) return JsonError(400, "the body must be a JSON object");
  detect::RuleTuning t = ctx.alerts->RuleTuning(rule.id);
  std::optional<std::vector<std::string>> ls_ex;
  Extra extra = {{"rule.id", rule.id}, {"rule.name", rule.title}};
  for (auto [key, value] : body) {
    std::string_view v;
    if (key == "enabled") {
      if (value.get(t.enabled)) return JsonError(400, "'enabled' must be true or false");
      extra.emplace_back("kamatama.rule.enabled", t.enabled ? "true" : "false");
    } else if (key == "level") {
      if (value.get(v)) return JsonError(400, "'level' must be a string");
      t.level = v;
      extra.emplace_back("kamatama.rule.level", t.level);
    } else if (key == "exclusions") {
      t.exclusions.clear();
      if (!StringList(value, &t.exclusions)) return JsonError(400, "'exclusions' must be a list of queries");
      for (const auto& x : t.exclusions) extra.emplace_back("kamatama.rule.exclusion", x);
    } else if (key == "add_exclusion") {
      if (value.get(v)) return JsonError(400, "'add_exclusion' must be a query");
      t.exclusions.emplace_back(v);
      extra.emplace_back("kamatama.rule.exclusion", std::string(v));
    } else if (key == "logsource_exclusions") {
      ls_ex.emplace();
      if (!StringList(value, &*ls_ex)) return JsonError(400, "'logsource_exclusions' must be a list of queries");
      for (const auto& x : *ls_ex) extra.emplace_back("kamatama.logsource.exclusion", x);
    } else {
      return JsonError(400, fmt::format("unknown key '{}' (enabled, level, exclusions, add_exclusion, "
                                        "logsource_exclusions)", key));
    }
  }
  Status s = ctx.alerts->SetRuleTuning(rule.id, t);
  if (s.ok() && ls_ex) s = ctx.alerts->SetLogsourceExclusions(detect::LogsourceKey(rule.logsource), *ls_ex);
  if (!s.ok()) extra.emplace_back("error.message", s.ToString());
  if (ctx.audit) ctx.audit("rule.update", s.ok() ? "success" : "failure", extra);
  if (!s.ok()) return JsonError(s.code() == Status::Code::kInvalidArgument ? 400 : 500, s.ToString());
  return GetRule(ctx, rule);
}

}  // namespace

std::optional<Response> HandleAlertRoute(const Request& req, const AlertRoutes& ctx) {
  const bool alerts = req.path == "/api/v1/alerts" || req.path.rfind("/api/v1/alerts/", 0) == 0;
  const bool rules = req.path == "/api/v1/rules" || req.path.rfind("/api/v1/rules/", 0) == 0;
  if (!alerts && !rules) return std::nullopt;
  if (!ctx.alerts) return JsonError(404, "detection is not running");
  if (req.path == "/api/v1/alerts") {
    if (req.method != "GET") return JsonError(405, "use GET");
    return ListAlerts(req, ctx);
  }
  if (req.path == "/api/v1/rules") {
    if (req.method != "GET") return JsonError(405, "use GET");
    return ListRules(ctx);
  }
  if (req.path == "/api/v1/rules/coverage") {
    if (req.method != "GET") return JsonError(405, "use GET");
    return CoverageResponse(req, ctx);
  }
  if (alerts) {
    const std::string tail = req.path.substr(std::string_view("/api/v1/alerts/").size());
    char* end = nullptr;
    const uint64_t id = std::strtoull(tail.c_str(), &end, 10);
    if (tail.empty() || *end || id == 0) return JsonError(404, "no such alert");
    if (req.method == "PATCH") return PatchAlert(req, ctx, id);
    if (req.method != "GET") return JsonError(405, "use GET or PATCH");
    auto a = ctx.alerts->Get(id);
    if (!a) return JsonError(404, fmt::format("no alert {}", id));
    std::string j;
    AppendAlertJson(*a, &j);
    return Response{200, "application/json", j};
  }
  const std::string id = req.path.substr(std::string_view("/api/v1/rules/").size());
  auto rule = FindRule(ctx, id);
  if (!rule) return JsonError(404, "no loaded rule with that id");
  if (req.method == "PATCH") return PatchRule(req, ctx, *rule);
  if (req.method != "GET") return JsonError(405, "use GET or PATCH");
  return GetRule(ctx, *rule);
}

}  // namespace kamatama::server
