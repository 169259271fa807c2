// server/intel_live.cc
#include "server/intel_live.h"

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"

namespace kamatama::server {

namespace {

//! ECS threat.indicator.type of our indicator types.
const char* EcsIndicatorType(intel::IndicatorType t) {
  switch (t) {
    case intel::IndicatorType::kIp:
    case intel::IndicatorType::kCidr: return "ipv4-addr";
    case intel::IndicatorType::kDomain: return "domain-name";
    case intel::IndicatorType::kUrl: return "url";
    case intel::IndicatorType::kEmail: return "email-addr";
    default: return "file";
  }
}

//! Longest matched value copied into an alert.
constexpr size_t kMaxValueBytes = 8192;

bool IsOwnEvent(const Event& ev) {
  const std::string* ds = ev.Get(field::kDataset);
  return ds && ds->starts_with("kamatama.");
}

}  // namespace

std::string IntelAlertJson(const intel::IntelList& list, const intel::Hit& hit, const Event& matched, int64_t now_ns) {
  const intel::Indicator& ind = list.matcher.indicators()[hit.indicator];
  const std::string& name = list.info.name;
  std::string j = "{";
  AppendJsonMember(&j, "@timestamp", FormatRfc3339(now_ns));
  AppendJsonMember(&j, "event.kind", "alert");
  AppendJsonMember(&j, "event.dataset", "kamatama.alert");
  AppendJsonMember(&j, "event.module", "intel");
  AppendJsonMember(&j, "rule.id", "intel-" + name);
  AppendJsonMember(&j, "rule.name", "Threat intelligence list " + name);
  AppendJsonMember(&j, "rule.ruleset", "intel");
  AppendJsonMember(&j, "rule.level", "high");
  if (!ind.description.empty()) AppendJsonMember(&j, "rule.description", ind.description);
  std::string ecs_type = EcsIndicatorType(ind.type);
  if (ecs_type == "ipv4-addr" && ind.value.find(':') != std::string::npos) ecs_type = "ipv6-addr";
  AppendJsonMember(&j, "threat.indicator.type", ecs_type);
  AppendJsonMember(&j, "threat.indicator.name", ind.value);
  if (!ind.source.empty()) AppendJsonMember(&j, "threat.indicator.provider", ind.source);
  if (!ind.description.empty()) AppendJsonMember(&j, "threat.indicator.description", ind.description);
  AppendJsonMember(&j, "kamatama.intel.list", name);
  AppendJsonMember(&j, "kamatama.intel.version", static_cast<int64_t>(list.info.version));
  AppendJsonMember(&j, "kamatama.intel.indicator", ind.value);
  AppendJsonMember(&j, "kamatama.intel.type", intel::IndicatorTypeName(ind.type));
  if (!ind.source.empty()) AppendJsonMember(&j, "kamatama.intel.source", ind.source);
  AppendJsonMember(&j, "kamatama.intel.field", hit.field);
  const std::string* host = matched.Get(field::kHostName);
  if (host) AppendJsonMember(&j, "host.name", *host);
  AppendJsonMember(&j, "kamatama.matched.timestamp", FormatRfc3339(matched.timestamp_ns));
  if (const std::string* ds = matched.Get(field::kDataset)) AppendJsonMember(&j, "kamatama.matched.dataset", *ds);
  AppendJsonMember(&j, "kamatama.matched.original", matched.original);
  AppendJsonMember(&j, "kamatama.matched.values." + hit.field, std::string_view(hit.value).substr(0, kMaxValueBytes));
  AppendJsonMember(&j, "message",
                   fmt::format("Threat intelligence: {} {} (list {}{}{}) seen in {} on {}", intel::IndicatorTypeName(ind.type),
                               ind.value, name, ind.source.empty() ? "" : ", source ", ind.source, hit.field,
                               host ? *host : std::string("an unnamed host")));
  j += "}";
  return j;
}

bool LiveIntel::Admit(const std::string& key, int64_t now) {
  if (dedup_ns_ <= 0) return true;
  std::lock_guard lock(mu_);
  if (last_alert_.size() > 100'000) {  // forget what is past the window
    std::erase_if(last_alert_, [&](const auto& kv) { return now - kv.second >= dedup_ns_; });
  }
  auto [it, fresh] = last_alert_.try_emplace(key, now);
  if (fresh) return true;
  if (now - it->second < dedup_ns_) return false;
  it->second = now;
  return true;
}

void LiveIntel::Evaluate(ingest::Batch* batch) {
  const std::vector<std::shared_ptr<const intel::IntelList>> lists = lists_->All();
  if (lists.empty()) return;
  static Counter& hits_total = GetCounter("kamatama_intel_hits_total", "", "Events that matched a threat-intelligence indicator");
  static Counter& alerts_total = GetCounter("kamatama_intel_alerts_total", "", "Alerts raised by threat-intelligence lists");
  thread_local std::vector<intel::Hit> hits;
  std::vector<RawRecord> raws;
  std::vector<Event> alerts;
  const int64_t now = NowNanos();
  for (const Event& ev : batch->events) {
    if (IsOwnEvent(ev)) continue;
    for (const auto& list : lists) {
      hits.clear();
      list->matcher.MatchEvent(ev, now, &hits);
      for (const intel::Hit& hit : hits) {
        hits_total.Add();
        const std::string* host = ev.Get(field::kHostName);
        if (!Admit(fmt::format("{}\n{}\n{}", list->info.name, hit.indicator, host ? *host : ""), now)) continue;
        RawRecord raw;
        raw.received_ns = now;
        raw.data = IntelAlertJson(*list, hit, ev, now);
        raw.flags = kRawJson | kRawInternal;  // may claim the reserved kamatama.* dataset
        alerts.push_back(ParseRecord(raw, parse_));
        raws.push_back(std::move(raw));
      }
    }
  }
  alerts_total.Add(alerts.size());
  for (size_t i = 0; i < alerts.size(); ++i) {
    batch->events.push_back(std::move(alerts[i]));
    batch->raws.push_back(std::move(raws[i]));
  }
}

}  // namespace kamatama::server
