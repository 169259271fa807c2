// detect/tuning.cc
#include "detect/tuning.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/json.h"
#include "core/row.h"

namespace kamatama::detect {

namespace {

void AppendList(std::string* j, const std::vector<std::string>& values) {
  j->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) j->push_back(',');
    AppendJsonString(j, values[i]);
  }
  j->push_back(']');
}

bool ReadList(const YAML::Node& n, std::vector<std::string>* out) {
  if (!n || n.IsNull()) return true;
  if (!n.IsSequence()) return false;
  for (const auto& item : n) {
    if (!item.IsScalar()) return false;
    out->push_back(item.as<std::string>());
  }
  return true;
}

}  // namespace

std::string LogsourceKey(const Logsource& ls) { return ls.product + "/" + ls.category + "/" + ls.service; }

bool IsSigmaLevel(std::string_view level) {
  return level == "informational" || level == "low" || level == "medium" || level == "high" || level == "critical";
}

Status Tuning::Compile(const std::vector<std::string>& text, Compiled* out) {
  if (text.size() > kMaxExclusions) return Status::InvalidArgument(fmt::format("at most {} exclusions", kMaxExclusions));
  Compiled c;
  for (const std::string& t : text) {
    if (t.empty()) return Status::InvalidArgument("an empty exclusion would exclude everything");
    if (t.size() > kMaxExclusionBytes) return Status::InvalidArgument("exclusion too long");
    auto parsed = query::Query::Parse(t);
    if (auto* err = std::get_if<query::ParseError>(&parsed))
      return Status::InvalidArgument(fmt::format("exclusion '{}': {} at {}{}", t, err->message, err->position,
                                                 err->expected.empty() ? "" : ", expected " + err->expected));
    query::Query& q = std::get<query::Query>(parsed);
    if (q.MatchesAll()) return Status::InvalidArgument(fmt::format("exclusion '{}' would exclude everything", t));
    c.text.push_back(t);
    c.queries.push_back(std::move(q));
  }
  *out = std::move(c);
  return Status::OK();
}

Status Tuning::SetRule(const std::string& rule_id, const RuleTuning& t) {
  if (rule_id.empty()) return Status::InvalidArgument("no rule id");
  if (!t.level.empty() && !IsSigmaLevel(t.level))
    return Status::InvalidArgument(fmt::format("unknown level '{}' (informational, low, medium, high, critical)", t.level));
  RuleEntry e;
  e.tuning = t;
  if (Status s = Compile(t.exclusions, &e.exclusions); !s.ok()) return s;
  if (t.enabled && t.level.empty() && t.exclusions.empty()) rules_.erase(rule_id);
  else rules_[rule_id] = std::move(e);
  return Status::OK();
}

Status Tuning::SetLogsource(const std::string& key, const std::vector<std::string>& exclusions) {
  Compiled c;
  if (Status s = Compile(exclusions, &c); !s.ok()) return s;
  if (exclusions.empty()) logsources_.erase(key);
  else logsources_[key] = std::move(c);
  return Status::OK();
}

RuleTuning Tuning::Rule(const std::string& rule_id) const {
  auto it = rules_.find(rule_id);
  return it == rules_.end() ? RuleTuning{} : it->second.tuning;
}

std::vector<std::string> Tuning::LogsourceExclusions(const std::string& key) const {
  auto it = logsources_.find(key);
  return it == logsources_.end() ? std::vector<std::string>{} : it->second.text;
}

const std::map<std::string, std::vector<std::string>> Tuning::LogsourceMap() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [k, c] : logsources_) out[k] = c.text;
  return out;
}

bool Tuning::Enabled(const detect::Rule& rule) const {
  auto it = rules_.find(rule.id);
  return it == rules_.end() || it->second.tuning.enabled;
}

std::string Tuning::Level(const detect::Rule& rule) const {
  auto it = rules_.find(rule.id);
  return it == rules_.end() || it->second.tuning.level.empty() ? rule.level : it->second.tuning.level;
}

const std::string* Tuning::Excluding(const detect::Rule& rule, const Event& ev) const {
  EventAccessor row(ev);
  if (auto it = rules_.find(rule.id); it != rules_.end()) {
    const Compiled& c = it->second.exclusions;
    for (size_t i = 0; i < c.queries.size(); ++i)
      if (c.queries[i].Matches(row)) return &c.text[i];
  }
  if (logsources_.empty()) return nullptr;
  if (auto it = logsources_.find(LogsourceKey(rule.logsource)); it != logsources_.end()) {
    for (size_t i = 0; i < it->second.queries.size(); ++i)
      if (it->second.queries[i].Matches(row)) return &it->second.text[i];
  }
  return nullptr;
}

std::string Tuning::ToJson() const {
  std::string j = "{\"rules\":{";
  bool first = true;
  for (const auto& [id, e] : rules_) {
    if (!first) j.push_back(',');
    first = false;
    AppendJsonString(&j, id);
    j += fmt::format(":{{\"enabled\":{},\"level\":", e.tuning.enabled ? "true" : "false");
    AppendJsonString(&j, e.tuning.level);
    j += ",\"exclusions\":";
    AppendList(&j, e.tuning.exclusions);
    j += "}";
  }
  j += "},\"logsources\":{";
  first = true;
  for (const auto& [key, c] : logsources_) {
    if (!first) j.push_back(',');
    first = false;
    AppendJsonString(&j, key);
    j.push_back(':');
    AppendList(&j, c.text);
  }
  return j + "}}";
}

Status Tuning::FromJson(std::string_view json, Tuning* out) {
  Tuning t;
  try {
    YAML::Node root = YAML::Load(std::string(json));
    if (!root.IsMap()) return Status::InvalidArgument("not a JSON object");
    for (const auto& kv : root["rules"]) {
      RuleTuning rt;
      const YAML::Node& v = kv.second;
      if (v["enabled"]) rt.enabled = v["enabled"].as<bool>();
      if (v["level"]) rt.level = v["level"].as<std::string>();
      if (!ReadList(v["exclusions"], &rt.exclusions)) return Status::InvalidArgument("exclusions must be a list");
      if (Status s = t.SetRule(kv.first.as<std::string>(), rt); !s.ok()) return s;
    }
    for (const auto& kv : root["logsources"]) {
      std::vector<std::string> ex;
      if (!ReadList(kv.second, &ex)) return Status::InvalidArgument("logsource exclusions must be a list");
      if (Status s = t.SetLogsource(kv.first.as<std::string>(), ex); !s.ok()) return s;
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("tuning: ") + e.what());
  }
  *out = std::move(t);
  return Status::OK();
}

}  // namespace kamatama::detect
