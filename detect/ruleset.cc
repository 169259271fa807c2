// detect/ruleset.cc
#include "detect/ruleset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.h"
#include "core/row.h"

namespace kamatama::detect {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

bool IsRuleFile(const std::filesystem::path& p) {
  const std::string ext = Lower(p.extension().string());
  return ext == ".yml" || ext == ".yaml";
}

}  // namespace

Status RuleSet::Load(const std::vector<std::string>& dirs, const CompileOptions& options, LoadSummary* summary) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  Status st;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (fs::is_regular_file(dir, ec)) {
      files.emplace_back(dir);
      continue;
    }
    if (!fs::is_directory(dir, ec)) {
      if (st.ok()) st = Status::IoError("cannot read rule directory " + dir);
      continue;
    }
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && IsRuleFile(it->path())) files.push_back(it->path());
      if (files.size() > kMaxRuleFiles) break;
    }
    if (ec && st.ok()) st = Status::IoError("cannot list " + dir + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > kMaxRuleFiles) {
    files.resize(kMaxRuleFiles);
    if (st.ok()) st = Status::ResourceExhausted("more than " + std::to_string(kMaxRuleFiles) + " rule files");
  }
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    LoadReport rep;
    if (!in || ec) {
      rep.path = f.string();
      rep.reason = "cannot read the file";
      if (st.ok()) st = Status::IoError("cannot read " + f.string());
    } else if (size > kMaxRuleFileBytes) {
      rep.path = f.string();
      rep.reason = "file larger than " + std::to_string(kMaxRuleFileBytes) + " bytes";
    } else {
      std::stringstream buf;
      buf << in.rdbuf();
      rep = CompileRule(buf.str(), f.string(), options);
    }
    switch (rep.status) {
      case RuleStatus::kLoaded: ++summary->loaded; break;
      case RuleStatus::kUnsupported: ++summary->unsupported; break;
      case RuleStatus::kInvalid: ++summary->invalid; break;
    }
    if (rep.rule) Add(rep.rule);
    summary->reports.push_back(std::move(rep));
  }
  CompilePrefilter();
  return st;
}

void RuleSet::Add(std::shared_ptr<const Rule> rule) {
  const uint32_t idx = static_cast<uint32_t>(rules_.size());
  const Route& route = rule->route;
  prefilter_.AddRule(idx, RequiredLiterals(rule->query, rule->detection_node));
  rules_.push_back(std::move(rule));
  if (route.alts.empty()) {
    always_.push_back(idx);
    return;
  }
  auto add = [&](std::unordered_map<std::string, std::vector<uint32_t>>* map, const std::string& key) {
    std::vector<uint32_t>& v = (*map)[key];
    if (v.empty() || v.back() != idx) v.push_back(idx);
  };
  for (const RouteAlt& a : route.alts) {
    for (const std::string& d : a.datasets) add(&by_dataset_, Lower(d));
    auto keyed = [&](std::unordered_map<std::string, std::vector<uint32_t>>* map, const std::vector<std::string>& names) {
      for (const std::string& n : names) {
        if (a.codes.empty()) {
          add(map, Lower(n) + '\n');
        } else {
          for (const std::string& c : a.codes) add(map, Lower(n) + '\n' + c);
        }
      }
    };
    keyed(&by_channel_, a.channels);
    keyed(&by_provider_, a.providers);
  }
}

template <class F>
void RuleSet::ForEachRoutedList(const Event& ev, F&& f) const {
  auto take = [&](const std::unordered_map<std::string, std::vector<uint32_t>>& map, const std::string& key) {
    auto it = map.find(key);
    if (it != map.end()) f(it->second);
  };
  const std::string* code = ev.Get("event.code");
  thread_local std::string key;
  for (auto [name, map] : {std::pair{"winlog.channel", &by_channel_}, std::pair{"event.provider", &by_provider_}}) {
    const std::string* v = ev.Get(name);
    if (!v || map->empty()) continue;
    key = Lower(*v);
    key.push_back('\n');
    take(*map, key);
    if (code) {
      key += *code;
      take(*map, key);
    }
  }
  if (const std::string* ds = ev.Get("event.dataset"); ds && !by_dataset_.empty()) {
    key = Lower(*ds);
    while (true) {
      take(by_dataset_, key);
      const size_t dot = key.rfind('.');
      if (dot == std::string::npos) break;
      key.resize(dot);
    }
  }
  f(always_);
}

template <class F>
void RuleSet::ForEachCandidate(const Event& ev, F&& f) const {
  // Candidates from every index, deduplicated (a rule routed by channel and by provider).
  thread_local std::vector<uint32_t> cand;
  cand.clear();
  ForEachRoutedList(ev, [&](const std::vector<uint32_t>& list) { cand.insert(cand.end(), list.begin(), list.end()); });
  std::sort(cand.begin(), cand.end());
  cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
  for (uint32_t i : cand) f(i);
}

bool RuleSet::CompilePrefilter() { return prefilter_.Compile(); }

namespace {

//! An event's fields hashed once, for the hundreds of lookups the routed rules make (an Event
//! finds a field by a linear scan of its names: 48% of the time was there before).
class IndexedEvent final : public FieldAccessor {
 public:
  explicit IndexedEvent(const Event& ev) : ev_(ev) {
    map_.clear();
    map_.reserve(ev.fields.size() * 2);
    for (const auto& [k, v] : ev.fields) map_.emplace(k, v);
  }
  bool Get(std::string_view name, std::string_view* value) const override {
    if (name == field::kOriginal) {
      *value = ev_.original;
      return true;
    }
    auto it = map_.find(name);
    if (it == map_.end()) return false;
    *value = it->second;
    return true;
  }

 private:
  const Event& ev_;
  static thread_local std::unordered_map<std::string_view, std::string_view> map_;
};
thread_local std::unordered_map<std::string_view, std::string_view> IndexedEvent::map_;

}  // namespace

template <class F>
void RuleSet::ForEachEvaluated(const Event& ev, const FieldAccessor& row, F&& f) const {
  if (!use_prefilter_ || !prefilter_.compiled()) return ForEachCandidate(ev, f);
  // The rules whose required literals the event holds, then those of them routed to it (stamped
  // with the scan's epoch): a few, where the routed ones are hundreds.
  thread_local Prefilter::Scratch scratch;
  thread_local std::vector<uint32_t> cand;
  prefilter_.Scan(ev, row, &scratch);
  std::vector<uint32_t>& routed_epoch = scratch.rule_mark;
  if (routed_epoch.size() < rules_.size()) routed_epoch.resize(rules_.size(), 0);
  ForEachRoutedList(ev, [&](const std::vector<uint32_t>& list) {
    for (uint32_t i : list) routed_epoch[i] = scratch.epoch;
  });
  cand.clear();
  const std::vector<uint32_t>* lists[] = {&scratch.passed, &prefilter_.unfiltered()};
  for (const std::vector<uint32_t>* list : lists) {
    for (uint32_t i : *list) {
      if (routed_epoch[i] == scratch.epoch) cand.push_back(i);
    }
  }
  std::sort(cand.begin(), cand.end());
  for (uint32_t i : cand) f(i);
}

void RuleSet::Match(const Event& ev, std::vector<const Rule*>* out) const {
  IndexedEvent row(ev);
  ForEachEvaluated(ev, row, [&](uint32_t i) {
    if (rules_[i]->query.Matches(row)) out->push_back(rules_[i].get());
  });
}

size_t RuleSet::CandidateCount(const Event& ev) const {
  size_t n = 0;
  ForEachCandidate(ev, [&](uint32_t) { ++n; });
  return n;
}

size_t RuleSet::EvaluatedCount(const Event& ev) const {
  IndexedEvent row(ev);
  size_t n = 0;
  ForEachEvaluated(ev, row, [&](uint32_t) { ++n; });
  return n;
}

std::string SummaryJson(const LoadSummary& s) {
  std::string out = "{\"loaded\":" + std::to_string(s.loaded) + ",\"unsupported\":" + std::to_string(s.unsupported) +
                    ",\"invalid\":" + std::to_string(s.invalid) + ",\"rules\":[";
  bool first = true;
  for (const LoadReport& r : s.reports) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"id\":";
    AppendJsonString(&out, r.id);
    out += ",\"title\":";
    AppendJsonString(&out, r.title);
    out += ",\"path\":";
    AppendJsonString(&out, r.path);
    out += ",\"status\":";
    AppendJsonString(&out, RuleStatusName(r.status));
    out += ",\"reason\":";
    AppendJsonString(&out, r.reason);
    out.push_back('}');
  }
  out += "]}";
  return out;
}

std::string SummaryText(const LoadSummary& s) {
  std::string out;
  for (const LoadReport& r : s.reports) {
    if (r.status == RuleStatus::kLoaded) continue;
    out += std::string(RuleStatusName(r.status)) + ": " + r.path;
    if (!r.id.empty()) out += " (" + r.id + ")";
    out += ": " + r.reason + "\n";
  }
  out += std::to_string(s.loaded) + " loaded, " + std::to_string(s.unsupported) + " unsupported, " +
         std::to_string(s.invalid) + " invalid\n";
  return out;
}

}  // namespace kamatama::detect
