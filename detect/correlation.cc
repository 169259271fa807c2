// detect/correlation.cc
#include "detect/correlation.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/time.h"

namespace kamatama::detect {

namespace {

namespace fs = std::filesystem;

std::string Scalar(const YAML::Node& n, const char* key) {
  const YAML::Node v = n[key];
  return v && v.IsScalar() ? v.as<std::string>() : "";
}

std::vector<std::string> List(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n && n.IsScalar()) out.push_back(n.as<std::string>());
  if (n && n.IsSequence())
    for (const auto& x : n)
      if (x.IsScalar()) out.push_back(x.as<std::string>());
  return out;
}

std::vector<std::string> RuleFiles(const std::vector<std::string>& dirs) {
  std::vector<std::string> files;
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (fs::is_regular_file(d, ec)) {
      files.push_back(d);
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(d, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      const auto ext = it->path().extension();
      if ((ext == ".yml" || ext == ".yaml") && it->is_regular_file(ec) && files.size() < kMaxRuleFiles)
        files.push_back(it->path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

//! The correlation part of a document; an empty reason when it reads.
std::string ReadCorrelation(const YAML::Node& doc, const std::string& path, Correlation* c) {
  const YAML::Node cn = doc["correlation"];
  auto rule = std::make_shared<Rule>();
  rule->id = Scalar(doc, "id");
  rule->title = Scalar(doc, "title");
  rule->author = Scalar(doc, "author");
  rule->level = Scalar(doc, "level");
  rule->description = Scalar(doc, "description");
  rule->sigma_status = Scalar(doc, "status");
  rule->references = List(doc["references"]);
  rule->tags = List(doc["tags"]);
  rule->techniques = AttackTechniques(rule->tags);
  rule->path = path;
  if (rule->title.empty() || rule->id.empty()) return "a correlation needs a title and an id";
  c->name = Scalar(doc, "name");
  const std::string type = Scalar(cn, "type");
  if (type == "event_count") c->type = CorrelationType::kEventCount;
  else if (type == "value_count") c->type = CorrelationType::kValueCount;
  else if (type == "temporal") c->type = CorrelationType::kTemporal;
  else if (type == "temporal_ordered") c->type = CorrelationType::kTemporalOrdered;
  else return "unknown correlation type '" + type + "'";
  c->refs = List(cn["rules"]);
  if (c->refs.empty()) return "correlation.rules names no rule";
  c->group_by = List(cn["group-by"]);
  auto span = ParseDuration(Scalar(cn, "timespan"));
  if (!span || *span <= 0) return "correlation.timespan must be a duration (10m, 1h, 1d)";
  c->timespan_ns = *span;
  c->generate = cn["generate"] && cn["generate"].IsScalar() && cn["generate"].as<std::string>() == "true";
  const YAML::Node cond = cn["condition"];
  if (c->type == CorrelationType::kEventCount || c->type == CorrelationType::kValueCount) {
    if (!cond || !cond.IsMap()) return "correlation.condition must be a map (gte: N)";
    if (cond["gte"]) c->gte = cond["gte"].as<uint64_t>();
    else if (cond["gt"]) c->gte = cond["gt"].as<uint64_t>() + 1;
    else return "only gte and gt conditions are supported";
    if (c->type == CorrelationType::kValueCount) {
      c->value_field = Scalar(cond, "field");
      if (c->value_field.empty()) return "value_count needs condition.field";
    }
  }
  if (c->gte == 0) c->gte = 1;
  c->rule = std::move(rule);
  return "";
}

}  // namespace

Status CorrelationSet::Load(const std::vector<std::string>& dirs, const RuleSet& rules, LoadSummary* summary) {
  std::unordered_map<std::string, std::string> ids;  // name or id → rule/correlation id
  for (const auto& r : rules.rules()) ids[r->id] = r->id;
  std::vector<std::pair<Correlation, LoadReport*>> pending;
  std::vector<LoadReport> reports;
  for (const std::string& path : RuleFiles(dirs)) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find("correlation") == std::string::npos && ss.str().find("name:") == std::string::npos) continue;
    try {
      for (const YAML::Node& doc : YAML::LoadAll(ss.str())) {
        if (!doc.IsMap()) continue;
        const std::string id = Scalar(doc, "id"), name = Scalar(doc, "name");
        if (!doc["correlation"]) {
          if (!name.empty() && !id.empty()) ids[name] = id;
          continue;
        }
        Correlation c;
        LoadReport rep;
        rep.path = path;
        rep.id = id;
        rep.title = Scalar(doc, "title");
        rep.reason = ReadCorrelation(doc, path, &c);
        rep.status = rep.reason.empty() ? RuleStatus::kLoaded : RuleStatus::kInvalid;
        if (rep.reason.empty()) {
          ids[id] = id;
          if (!c.name.empty()) ids[c.name] = id;
          rep.rule = c.rule;
          pending.emplace_back(std::move(c), nullptr);
        }
        reports.push_back(std::move(rep));
      }
    } catch (const YAML::Exception& e) {
      // The rule loader reports malformed YAML already.
    }
  }
  for (auto& [c, unused] : pending) {
    std::vector<std::string> resolved;
    std::string missing;
    for (const std::string& ref : c.refs) {
      auto it = ids.find(ref);
      if (it == ids.end()) missing += (missing.empty() ? "" : ", ") + ref;
      else resolved.push_back(it->second);
    }
    if (!missing.empty()) {
      for (LoadReport& r : reports)
        if (r.id == c.rule->id) r.status = RuleStatus::kInvalid, r.reason = "names no loaded rule: " + missing, r.rule.reset();
      continue;
    }
    const uint32_t index = static_cast<uint32_t>(corr_.size());
    for (const std::string& id : resolved) {
      consumers_[id].push_back(index);
      if (!c.generate) generates_[id] = false;
    }
    c.refs = std::move(resolved);
    corr_.push_back(std::move(c));
  }
  if (summary) {
    // The rule loader called these files unsupported: they are correlations, loaded or not.
    for (LoadReport& r : reports) {
      auto same = std::find_if(summary->reports.begin(), summary->reports.end(),
                               [&](const LoadReport& s) { return s.path == r.path && s.id == r.id; });
      if (same != summary->reports.end()) {
        if (same->status == RuleStatus::kUnsupported) --summary->unsupported;
        *same = r;
      } else {
        summary->reports.push_back(r);
      }
      ++(r.status == RuleStatus::kLoaded ? summary->loaded : summary->invalid);
    }
  }
  return Status::OK();
}

const std::vector<uint32_t>* CorrelationSet::Consumers(const std::string& id) const {
  auto it = consumers_.find(id);
  return it == consumers_.end() ? nullptr : &it->second;
}

bool CorrelationSet::Generates(const std::string& rule_id) const { return !generates_.contains(rule_id); }

std::string CorrelationState::GroupKey(const Correlation& c, const Event& ev) const {
  std::string key;
  for (const std::string& f : c.group_by) {
    const std::string* v = ev.Get(f);
    key += v ? *v : "";
    key += '\x1f';
  }
  return key;
}

bool CorrelationState::Step(const Correlation& c, uint32_t ref, const Event& ev, Group* g) {
  const int64_t ts = ev.timestamp_ns;
  g->last = std::max(g->last, ts);
  const int64_t from = g->last - c.timespan_ns;
  switch (c.type) {
    case CorrelationType::kEventCount: {
      g->times.insert(std::upper_bound(g->times.begin(), g->times.end(), ts), ts);
      if (g->times.size() > c.gte) g->times.erase(g->times.begin());
      return g->times.size() >= c.gte && g->times.back() - g->times.front() <= c.timespan_ns;
    }
    case CorrelationType::kValueCount: {
      const std::string* v = ev.Get(c.value_field);
      if (!v) return false;
      int64_t& at = g->values[*v];
      at = std::max(at, ts);
      std::erase_if(g->values, [from](const auto& kv) { return kv.second < from; });
      while (g->values.size() > kMaxDistinctValues) g->values.erase(g->values.begin());
      return g->values.size() >= c.gte;
    }
    case CorrelationType::kTemporal:
    case CorrelationType::kTemporalOrdered: {
      // Ordered: a reference counts only once every earlier one was seen (and not after it).
      if (c.type == CorrelationType::kTemporalOrdered && ref > 0) {
        auto prev = g->seen.find(ref - 1);
        if (prev == g->seen.end() || prev->second > ts) return false;
      }
      g->seen[ref] = std::max(g->seen[ref], ts);
      std::erase_if(g->seen, [from](const auto& kv) { return kv.second < from; });
      return g->seen.size() >= c.refs.size();
    }
  }
  return false;
}

void CorrelationState::Feed(const std::string& id, const Event& ev, std::vector<const Correlation*>* fired) {
  std::lock_guard lock(mu_);
  if (groups_.size() != set_->correlations().size()) groups_.resize(set_->correlations().size());
  FeedLocked(id, ev, fired);
}

void CorrelationState::FeedLocked(const std::string& id, const Event& ev, std::vector<const Correlation*>* fired) {
  const std::vector<uint32_t>* consumers = set_->Consumers(id);
  if (!consumers) return;
  for (uint32_t index : *consumers) {
    const Correlation& c = set_->correlations()[index];
    const uint32_t ref = static_cast<uint32_t>(std::find(c.refs.begin(), c.refs.end(), id) - c.refs.begin());
    auto& groups = groups_[index];
    const std::string key = GroupKey(c, ev);
    if (!groups.contains(key) && groups.size() >= kMaxCorrelationGroups) {
      auto oldest = std::min_element(groups.begin(), groups.end(),
                                     [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
      groups.erase(oldest);
    }
    if (!Step(c, ref, ev, &groups[key])) continue;
    groups.erase(key);
    fired->push_back(&c);  // its own consumers are fed when its match is observed in turn
  }
}

void CorrelationState::FeedAll(const std::vector<const Rule*>& rules, const Event& ev,
                               std::vector<const Correlation*>* fired) {
  std::lock_guard lock(mu_);
  if (groups_.size() != set_->correlations().size()) groups_.resize(set_->correlations().size());
  const size_t first = fired->size();
  size_t steps = 0;
  for (const Rule* r : rules) {
    if (++steps > kMaxChainSteps) return;
    FeedLocked(r->id, ev, fired);
  }
  for (size_t i = first; i < fired->size() && ++steps <= kMaxChainSteps; ++i) FeedLocked((*fired)[i]->rule->id, ev, fired);
}

size_t CorrelationState::GroupCount() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& g : groups_) n += g.size();
  return n;
}

}  // namespace kamatama::detect
