// server/detection.cc
#include "server/detection.h"

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"

namespace kamatama::server {

namespace {

//! Most matched field values copied into one alert.
constexpr size_t kMaxAlertValues = 32;
//! Most rules and correlations decided for one event (correlations naming each other in a cycle
//! stop here).
constexpr size_t kMaxDecisionsPerEvent = 256;

void Key(std::string* j, std::string_view key) {
  if (j->size() > 1) j->push_back(',');
  AppendJsonString(j, key);
  j->push_back(':');
}

void Str(std::string* j, std::string_view key, std::string_view value) {
  Key(j, key);
  AppendJsonString(j, value.substr(0, kMaxAlertValueBytes));
}

void StrIfSet(std::string* j, std::string_view key, std::string_view value) {
  if (!value.empty()) Str(j, key, value);
}

void List(std::string* j, std::string_view key, const std::vector<std::string>& values) {
  if (values.empty()) return;
  if (values.size() == 1) return Str(j, key, values.front());
  Key(j, key);
  j->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) j->push_back(',');
    AppendJsonString(j, values[i]);
  }
  j->push_back(']');
}

std::string Joined(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : " ") + v;
  return out;
}

//! The values of the fields the rule reads, as the matched event holds them.
void MatchedValues(std::string* j, const detect::Rule& rule, const Event& ev) {
  size_t n = 0;
  for (const std::string& f : rule.query.ReferencedFields()) {
    const std::string* v = f == field::kOriginal ? nullptr : ev.Get(f);
    if (!v || n++ >= kMaxAlertValues) continue;
    Str(j, "kamatama.matched.values." + f, *v);
  }
}

//! kamatama's own events (alerts, self-monitoring, audit) are not evaluated: an alert must not
//! raise alerts.
bool IsOwnEvent(const Event& ev) {
  const std::string* ds = ev.Get(field::kDataset);
  return ds && ds->starts_with("kamatama.");
}

}  // namespace

std::string AlertJson(const detect::Rule& rule, const Event& matched, int64_t now_ns, const AlertDecision* decision) {
  const std::string& level = decision && !decision->level.empty() ? decision->level : rule.level;
  std::string j = "{";
  Str(&j, "@timestamp", FormatRfc3339(now_ns));
  Str(&j, "event.kind", "alert");
  Str(&j, "event.dataset", "kamatama.alert");
  Str(&j, "event.module", "sigma");
  Str(&j, "rule.id", rule.id);
  Str(&j, "rule.name", rule.title);
  StrIfSet(&j, "rule.author", rule.author);  // DRL 1.1: every alert carries the rule's author
  StrIfSet(&j, "rule.level", level);
  if (decision && decision->id) {
    Key(&j, "kamatama.alert.id");
    j += std::to_string(decision->id);
  }
  StrIfSet(&j, "rule.description", rule.description);
  StrIfSet(&j, "rule.reference", Joined(rule.references));
  Str(&j, "rule.ruleset", "sigma");
  Str(&j, "rule.license", "DRL-1.1");
  List(&j, "threat.technique.id", rule.techniques);
  if (!rule.tags.empty()) {
    Key(&j, "tags");
    j += "[";
    for (size_t i = 0; i < rule.tags.size(); ++i) {
      if (i) j.push_back(',');
      AppendJsonString(&j, rule.tags[i]);
    }
    j += "]";
  }
  const std::string* host = matched.Get(field::kHostName);
  if (host) Str(&j, "host.name", *host);
  Str(&j, "kamatama.matched.timestamp", FormatRfc3339(matched.timestamp_ns));
  if (const std::string* ds = matched.Get(field::kDataset)) Str(&j, "kamatama.matched.dataset", *ds);
  Str(&j, "kamatama.matched.original", matched.original);
  MatchedValues(&j, rule, matched);
  Str(&j, "message", fmt::format("Sigma rule '{}' ({}) matched on {}", rule.title, level.empty() ? "-" : level,
                                 host ? *host : std::string("an unnamed host")));
  j += "}";
  return j;
}

Status LiveDetection::Load(const DetectionOptions& opt, detect::LoadSummary* summary) {
  detect::LoadSummary local;
  if (!summary) summary = &local;
  auto set = std::make_shared<detect::RuleSet>();
  detect::CompileOptions co;
  co.placeholders = opt.placeholders;
  co.lists = lists_;
  Status st = opt.rules.empty() ? Status::OK() : set->Load(opt.rules, co, summary);
  if (!st.ok() && RuleCount() > 0) return st;  // keep the rules that work
  std::lock_guard lock(mu_);
  rules_ = std::move(set);
  return st;
}

size_t LiveDetection::RuleCount() const {
  auto set = Rules();
  return set ? set->rules().size() : 0;
}

std::shared_ptr<const detect::RuleSet> LiveDetection::Rules() const {
  std::lock_guard lock(mu_);
  return rules_;
}

void LiveDetection::Evaluate(ingest::Batch* batch) const {
  const std::shared_ptr<const detect::RuleSet> set = Rules();
  if (!set || set->rules().empty()) return;
  static Counter& evaluated = GetCounter("kamatama_detection_events_total", "", "Events evaluated by the detection rules");
  static Counter& raised = GetCounter("kamatama_detection_alerts_total", "", "Alerts raised by detection rules");
  thread_local std::vector<const detect::Rule*> fired;
  std::vector<RawRecord> raws;
  std::vector<Event> alerts;
  const int64_t now = NowNanos();
  size_t n = 0;
  for (const Event& ev : batch->events) {
    if (IsOwnEvent(ev)) continue;
    ++n;
    fired.clear();
    set->Match(ev, &fired);
    // Correlations completed by a match are decided (and may complete others) in turn.
    std::vector<std::shared_ptr<const detect::Rule>> correlated;
    for (size_t i = 0; i < fired.size() + correlated.size() && i < kMaxDecisionsPerEvent; ++i) {
      const detect::Rule* rule = i < fired.size() ? fired[i] : correlated[i - fired.size()].get();
      AlertDecision decision;
      if (gate_) decision = gate_(*rule, ev, now);
      for (auto& c : decision.correlated) correlated.push_back(std::move(c));
      if (!decision.raise) continue;
      RawRecord raw;
      raw.received_ns = now;
      raw.data = AlertJson(*rule, ev, now, gate_ ? &decision : nullptr);
      raw.flags = kRawJson | kRawInternal;  // may claim the reserved kamatama.* dataset
      alerts.push_back(ParseRecord(raw, parse_));
      raws.push_back(std::move(raw));
    }
  }
  evaluated.Add(n);
  raised.Add(alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) {
    batch->events.push_back(std::move(alerts[i]));
    batch->raws.push_back(std::move(raws[i]));
  }
}

}  // namespace kamatama::server

namespace kamatama::server {

std::string AddAlertFields(std::string alert_json, const std::vector<std::pair<std::string, std::string>>& fields) {
  if (alert_json.empty() || alert_json.back() != '}') return alert_json;
  alert_json.pop_back();
  for (const auto& [k, v] : fields) Str(&alert_json, k, v);
  alert_json.push_back('}');
  return alert_json;
}

std::string AlertKey(const detect::Rule& rule, const Event& matched) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bits: stable across builds and runs
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // separator
  };
  mix(rule.id);
  mix(std::to_string(matched.timestamp_ns));
  mix(matched.original);
  return fmt::format("{:016x}", h);
}

}  // namespace kamatama::server
