// detect/ruleset.cc
#include "detect/ruleset.h"

#include <algorithm>
#include <atomic>
#include <cstring>
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

void LowerInto(std::string_view s, std::string* out) {
  out->assign(s);
  for (char& c : *out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
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
  lists_.clear();  // renumbered by CompilePrefilter
  const uint32_t idx = static_cast<uint32_t>(rules_.size());
  const Route& route = rule->route;
  prefilter_.AddRule(idx, RequiredLiterals(rule->query, rule->detection_node));
  rules_.push_back(std::move(rule));
  if (route.alts.empty()) {
    always_.rules.push_back(idx);
    return;
  }
  auto add = [&](std::unordered_map<std::string, RouteList>* map, const std::string& key) {
    std::vector<uint32_t>& v = (*map)[key].rules;
    if (v.empty() || v.back() != idx) v.push_back(idx);
  };
  for (const RouteAlt& a : route.alts) {
    for (const std::string& d : a.datasets) add(&by_dataset_, Lower(d));
    auto keyed = [&](std::unordered_map<std::string, RouteList>* map, const std::vector<std::string>& names) {
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

//! The values an event is routed by (null: the event lacks the field).
struct RouteKeys {
  const std::string *code = nullptr, *channel = nullptr, *provider = nullptr, *dataset = nullptr;
};

namespace {

RouteKeys FindRouteKeys(const Event& ev) {
  // The routing fields, found in one pass over the event's fields.
  // Compared as string_views: the length first, no strlen per field.
  static constexpr std::string_view kCode = "event.code", kChannel = "winlog.channel",
                                    kProvider = "event.provider", kDataset = "event.dataset";
  static constexpr size_t kShortest = std::min({kCode.size(), kChannel.size(), kProvider.size(), kDataset.size()});
  static constexpr size_t kLongest = std::max({kCode.size(), kChannel.size(), kProvider.size(), kDataset.size()});
  RouteKeys k;
  for (const auto& [name, value] : ev.fields) {
    // The first of a repeated name, as Event::Get.
    const std::string_view n = name;
    if (n.size() < kShortest || n.size() > kLongest) continue;
    if (n == kCode) k.code = k.code ? k.code : &value;
    else if (n == kChannel) k.channel = k.channel ? k.channel : &value;
    else if (n == kProvider) k.provider = k.provider ? k.provider : &value;
    else if (n == kDataset) k.dataset = k.dataset ? k.dataset : &value;
  }
  return k;
}

//! The route lists (by id) of the last event a thread routed through a RuleSet, by the values it
//! was routed by: consecutive events of one source route alike, and comparing four values costs
//! less than lowercasing them into keys and looking those up.
class RouteMemo {
 public:
  bool Same(const void* set, uint64_t serial, const RouteKeys& k) const {
    return set == set_ && serial == serial_ && Equal(0, k.code) && Equal(1, k.channel) && Equal(2, k.provider) &&
           Equal(3, k.dataset);
  }
  void Reset(const void* set, uint64_t serial, const RouteKeys& k) {
    set_ = set;
    serial_ = serial;
    const std::string* values[] = {k.code, k.channel, k.provider, k.dataset};
    for (size_t i = 0; i < 4; ++i) {
      has_[i] = values[i] != nullptr;
      if (has_[i]) keys_[i] = *values[i];
    }
    ids.clear();
  }
  std::vector<uint32_t> ids;

 private:
  bool Equal(size_t i, const std::string* v) const { return v ? has_[i] && keys_[i] == *v : !has_[i]; }
  const void* set_ = nullptr;
  uint64_t serial_ = 0;
  bool has_[4] = {};
  std::string keys_[4];
};

std::atomic<uint64_t> g_route_serial{0};

}  // namespace

template <class F>
void RuleSet::ForEachLookedUpList(const RouteKeys& keys, F&& f) const {
  auto take = [&](const std::unordered_map<std::string, RouteList>& map, const std::string& key) {
    auto it = map.find(key);
    if (it != map.end()) f(it->second);
  };
  thread_local std::string key;
  for (auto [v, map] : {std::pair{keys.channel, &by_channel_}, std::pair{keys.provider, &by_provider_}}) {
    if (!v || map->empty()) continue;
    LowerInto(*v, &key);
    key.push_back('\n');
    take(*map, key);
    if (keys.code) {
      key += *keys.code;
      take(*map, key);
    }
  }
  if (keys.dataset && !by_dataset_.empty()) {
    LowerInto(*keys.dataset, &key);
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
void RuleSet::ForEachRoutedList(const Event& ev, F&& f) const {
  const RouteKeys keys = FindRouteKeys(ev);
  if (lists_.empty()) return ForEachLookedUpList(keys, f);  // not numbered yet (CompilePrefilter)
  thread_local RouteMemo memo;
  if (!memo.Same(this, serial_, keys)) {
    memo.Reset(this, serial_, keys);
    ForEachLookedUpList(keys, [&](const RouteList& list) { memo.ids.push_back(list.id); });
  }
  for (uint32_t id : memo.ids) f(id == always_.id ? always_ : *lists_[id]);
}

template <class F>
void RuleSet::ForEachCandidate(const Event& ev, F&& f) const {
  // Candidates from every index, deduplicated (a rule routed by channel and by provider).
  thread_local std::vector<uint32_t> cand;
  cand.clear();
  ForEachRoutedList(ev, [&](const RouteList& list) { cand.insert(cand.end(), list.rules.begin(), list.rules.end()); });
  std::sort(cand.begin(), cand.end());
  cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
  for (uint32_t i : cand) f(i);
}

void RuleSet::RouteFields(RouteList* list) const {
  std::vector<uint64_t> all(prefilter_.FieldMaskWords(), 0);
  for (uint32_t r : list->rules) prefilter_.AddRuleFields(r, &all);
  list->fields.assign(all.size(), 0);
  list->direct.clear();
  std::vector<uint32_t> lits;
  for (size_t w = 0; w < all.size(); ++w) {
    for (uint64_t bits = all[w]; bits; bits &= bits - 1) {
      const uint32_t f = static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
      lits.clear();
      for (uint32_t r : list->rules) prefilter_.RuleLiteralsOfField(r, f, &lits);
      std::sort(lits.begin(), lits.end());
      lits.erase(std::unique(lits.begin(), lits.end()), lits.end());
      if (lits.size() <= kMaxDirectLiterals) list->direct.emplace_back(f, lits);
      else list->fields[w] |= uint64_t{1} << (f % 64);
    }
  }
}

bool RuleSet::CompilePrefilter() {
  rule_lists_.assign(rules_.size(), {});
  list_count_ = 0;
  lists_.clear();
  serial_ = ++g_route_serial;
  auto number = [&](RouteList* list) {
    list->id = list_count_++;
    lists_.push_back(list == &always_ ? nullptr : list);  // always_ moves with the set: found by id
    for (uint32_t r : list->rules) rule_lists_[r].push_back(list->id);
  };
  for (auto* map : {&by_channel_, &by_provider_, &by_dataset_}) {
    for (auto& [key, list] : *map) number(&list);
  }
  number(&always_);
  if (!prefilter_.Compile()) return false;
  for (auto* map : {&by_channel_, &by_provider_, &by_dataset_}) {
    for (auto& [key, list] : *map) RouteFields(&list);
  }
  RouteFields(&always_);
  return true;
}

namespace {

constexpr std::string_view kEventData = "winlog.event_data.", kUserData = "winlog.user_data.";

bool IsWindowsData(std::string_view name) { return name.starts_with(kEventData) || name.starts_with(kUserData); }

bool HasWindowsData(const Event& ev) {
  return std::any_of(ev.fields.begin(), ev.fields.end(), [](const auto& f) { return IsWindowsData(f.first); });
}

}  // namespace

void KeywordText(const Event& ev, std::string* out) {
  out->clear();
  for (const auto& [name, value] : ev.fields) {
    if (!IsWindowsData(name)) continue;
    out->append(value);
    out->push_back('\n');
  }
  if (out->empty()) out->assign(ev.original);
}

namespace {

//! An event's fields in a small open-addressing table, for the hundreds of lookups the evaluated
//! rules and the prefilter make (an Event finds a field by a linear scan of its names). The hash
//! reads only the name's length and its first and last 8 bytes: names sharing a long prefix
//! (winlog.event_data.*) differ at the end. A repeated name keeps its first value.
class IndexedEvent final : public FieldAccessor {
 public:
  //! `event_text`: keywords search KeywordText (else the original line as it is).
  IndexedEvent(const Event& ev, bool event_text) : ev_(ev), windows_(event_text && HasWindowsData(ev)) {
    size_t cap = 16;
    while (cap < ev.fields.size() * 2) cap *= 2;
    mask_ = cap - 1;
    // Slots of earlier events are told apart by their generation: nothing to clear.
    if (slots_.size() < cap || ++gen_ == 0) {
      slots_.assign(std::max(cap, slots_.size()), Slot{});
      gen_ = 1;
    }
    for (const auto& f : ev.fields) {
      const uint32_t h = Hash(f.first);
      size_t i = h & mask_;
      while (Used(i) && !(slots_[i].hash == h && slots_[i].field->first == f.first)) i = (i + 1) & mask_;
      if (!Used(i)) slots_[i] = Slot{h, gen_, &f};
    }
  }
  bool Get(std::string_view name, std::string_view* value) const override {
    if (name == field::kOriginal) {  // what keywords search: see KeywordText
      if (!windows_) {
        *value = ev_.original;
        return true;
      }
      if (!keywords_built_) {
        KeywordText(ev_, &keywords_);
        keywords_built_ = true;
      }
      *value = keywords_;
      return true;
    }
    const uint32_t h = Hash(name);
    for (size_t i = h & mask_; Used(i); i = (i + 1) & mask_) {
      if (slots_[i].hash == h && slots_[i].field->first == name) {
        *value = slots_[i].field->second;
        return true;
      }
    }
    return false;
  }

 private:
  struct Slot {
    uint32_t hash = 0;
    uint32_t gen = 0;
    const std::pair<std::string, std::string>* field = nullptr;
  };
  bool Used(size_t i) const { return slots_[i].gen == gen_; }
  static uint32_t Hash(std::string_view s) {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, s.data(), std::min<size_t>(s.size(), 8));
    if (s.size() > 8) std::memcpy(&b, s.data() + s.size() - 8, 8);
    uint64_t h = (s.size() + 1) * 0x9E3779B97F4A7C15ull ^ a * 0xff51afd7ed558ccdull;
    h ^= (b ^ (h >> 31)) * 0xc4ceb9fe1a85ec53ull;
    return static_cast<uint32_t>(h ^ (h >> 29));
  }
  const Event& ev_;
  const bool windows_;
  mutable bool keywords_built_ = false;
  size_t mask_ = 0;
  static thread_local std::vector<Slot> slots_;
  static thread_local uint32_t gen_;
  static thread_local std::string keywords_;
};
thread_local uint32_t IndexedEvent::gen_ = 0;
thread_local std::vector<IndexedEvent::Slot> IndexedEvent::slots_;
thread_local std::string IndexedEvent::keywords_;

}  // namespace

template <class F>
void RuleSet::ForEachEvaluated(const Event& ev, Keywords keywords, F&& f) const {
  const bool event_text = keywords == Keywords::kEventText;
  if (!use_prefilter_ || !prefilter_.compiled()) {
    IndexedEvent row(ev, event_text);
    return ForEachCandidate(ev, [&](uint32_t i) { f(i, row); });
  }
  // Routing stamps the routed lists with the scan's epoch and gathers the fields their rules'
  // literals name; the scan of those fields gives the rules whose literals the event holds; the
  // routed ones of those (a rule of a stamped list) are evaluated: a few, where the routed ones
  // are hundreds.
  thread_local Prefilter::Scratch scratch;
  thread_local std::vector<uint64_t> wanted;
  thread_local std::vector<uint32_t> cand;
  prefilter_.Begin(&scratch);
  std::vector<uint32_t>& list_epoch = scratch.rule_mark;
  if (list_epoch.size() < list_count_) list_epoch.resize(list_count_, 0);
  thread_local std::vector<const RouteList*> routed;
  wanted.assign(prefilter_.FieldMaskWords(), 0);
  routed.clear();
  ForEachRoutedList(ev, [&](const RouteList& list) {
    if (list.rules.empty() || list.id >= list_count_) return;
    list_epoch[list.id] = scratch.epoch;
    for (size_t w = 0; w < list.fields.size() && w < wanted.size(); ++w) wanted[w] |= list.fields[w];
    routed.push_back(&list);
  });
  if (routed.empty()) return;  // most events of other sources: no field index, no scan
  IndexedEvent row(ev, event_text);
  prefilter_.Scan(row, wanted, &scratch);
  for (const RouteList* list : routed) {
    for (const auto& [f, lits] : list->direct) {
      if (!(wanted[f / 64] >> (f % 64) & 1)) prefilter_.SearchLiterals(row, f, lits, &scratch);  // else scanned
    }
  }
  cand.clear();
  const std::vector<uint32_t>* lists[] = {&scratch.passed, &prefilter_.unfiltered()};
  for (const std::vector<uint32_t>* list : lists) {
    for (uint32_t i : *list) {
      if (i >= rule_lists_.size()) continue;
      for (uint32_t l : rule_lists_[i]) {
        if (list_epoch[l] == scratch.epoch) {
          cand.push_back(i);
          break;
        }
      }
    }
  }
  std::sort(cand.begin(), cand.end());
  for (uint32_t i : cand) f(i, row);
}

void RuleSet::Match(const Event& ev, std::vector<const Rule*>* out, Keywords keywords) const {
  ForEachEvaluated(ev, keywords, [&](uint32_t i, const FieldAccessor& row) {
    if (rules_[i]->query.Matches(row)) out->push_back(rules_[i].get());
  });
}

size_t RuleSet::CandidateCount(const Event& ev) const {
  size_t n = 0;
  ForEachCandidate(ev, [&](uint32_t) { ++n; });
  return n;
}

size_t RuleSet::EvaluatedCount(const Event& ev) const {
  size_t n = 0;
  ForEachEvaluated(ev, Keywords::kEventText, [&](uint32_t, const FieldAccessor&) { ++n; });
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
