// server/alert_store.cc
#include "server/alert_store.h"

#include <fcntl.h>
#include <simdjson.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"

namespace kamatama::server {

namespace {

constexpr const char* kAlertsFile = "alerts.json";
constexpr const char* kTuningFile = "rule_tuning.json";
constexpr int64_t kHourNs = 3'600'000'000'000;

bool ValidStatus(std::string_view s) { return s == "new" || s == "acknowledged" || s == "closed"; }

std::string_view Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  return e[key].get(v) ? std::string_view() : v;
}
int64_t Int(simdjson::dom::element e, const char* key) {
  int64_t v = 0;
  return e[key].get(v) ? 0 : v;
}

AlertRecord ReadRecord(simdjson::dom::element e) {
  AlertRecord a;
  a.id = static_cast<uint64_t>(Int(e, "id"));
  a.rule_id = Str(e, "rule_id");
  a.rule_name = Str(e, "rule_name");
  a.level = Str(e, "level");
  a.host = Str(e, "host");
  a.key = Str(e, "key");
  a.dataset = Str(e, "dataset");
  a.excerpt = Str(e, "excerpt");
  a.first_ns = Int(e, "first_ns");
  a.last_ns = Int(e, "last_ns");
  a.raised_ns = Int(e, "raised_ns");
  a.count = static_cast<uint64_t>(Int(e, "count"));
  a.status = Str(e, "status");
  a.assignee = Str(e, "assignee");
  simdjson::dom::array comments;
  if (!e["comments"].get(comments)) {
    for (simdjson::dom::element c : comments)
      a.comments.push_back({Int(c, "at_ns"), std::string(Str(c, "user")), std::string(Str(c, "text"))});
  }
  simdjson::dom::array history;
  if (!e["history"].get(history)) {
    for (simdjson::dom::element c : history)
      a.history.push_back({Int(c, "at_ns"), std::string(Str(c, "user")), std::string(Str(c, "field")),
                           std::string(Str(c, "value"))});
  }
  simdjson::dom::object values;
  if (!e["values"].get(values)) {
    for (auto [k, v] : values) {
      std::string_view text;
      if (!v.get(text)) a.values.emplace_back(std::string(k), std::string(text));
    }
  }
  if (!ValidStatus(a.status)) a.status = "new";
  return a;
}

//! The values of the fields the rule reads (the original line excepted), bounded.
std::vector<std::pair<std::string, std::string>> MatchedValues(const detect::Rule& rule, const Event& ev) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t bytes = 0;
  for (const std::string& f : rule.query.ReferencedFields()) {
    const std::string* v = f == field::kOriginal ? nullptr : ev.Get(f);
    if (!v || std::any_of(out.begin(), out.end(), [&](const auto& p) { return p.first == f; })) continue;
    const size_t n = std::min({v->size(), kAlertValueBytes, kAlertValuesBytes - bytes});
    if (out.size() >= kMaxAlertRecordValues || (n == 0 && !v->empty())) break;
    out.emplace_back(f, SanitizeUtf8(std::string_view(*v).substr(0, n)));
    bytes += n;
  }
  return out;
}

//! Records a change of `field` in the alert's history (the oldest dropped beyond the bound).
void AddChange(AlertRecord* a, const std::string& user, const char* field, const std::string& value) {
  if (a->history.size() >= kMaxAlertHistory) a->history.erase(a->history.begin());
  a->history.push_back({NowNanos(), user, field, value});
}

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kRaised: return "raised";
    case Verdict::kDeduplicated: return "deduplicated";
    case Verdict::kExcluded: return "excluded";
    case Verdict::kDisabled: return "disabled";
    case Verdict::kCapped: return "capped";
    case Verdict::kCorrelated: return "correlated";
  }
  return "?";
}

void AppendAlertJson(const AlertRecord& a, std::string* j) {
  *j += fmt::format("{{\"id\":{},\"rule_id\":", a.id);
  AppendJsonString(j, a.rule_id);
  auto field = [j](const char* k, const std::string& v) {
    *j += fmt::format(",\"{}\":", k);
    AppendJsonString(j, v);
  };
  field("rule_name", a.rule_name);
  field("level", a.level);
  field("host", a.host);
  field("key", a.key);
  field("dataset", a.dataset);
  field("excerpt", a.excerpt);
  field("status", a.status);
  field("assignee", a.assignee);
  // The times also as RFC 3339 text: a browser's numbers cannot hold nanoseconds since 1970.
  field("first", FormatRfc3339(a.first_ns));
  field("last", FormatRfc3339(a.last_ns));
  field("raised", FormatRfc3339(a.raised_ns));
  *j += fmt::format(",\"first_ns\":{},\"last_ns\":{},\"raised_ns\":{},\"count\":{},\"comments\":[", a.first_ns,
                    a.last_ns, a.raised_ns, a.count);
  for (size_t i = 0; i < a.comments.size(); ++i) {
    *j += fmt::format("{}{{\"at_ns\":{},\"user\":", i ? "," : "", a.comments[i].at_ns);
    AppendJsonString(j, a.comments[i].user);
    *j += ",\"text\":";
    AppendJsonString(j, a.comments[i].text);
    *j += "}";
  }
  *j += "],\"history\":[";
  for (size_t i = 0; i < a.history.size(); ++i) {
    const AlertChange& c = a.history[i];
    *j += fmt::format("{}{{\"at_ns\":{}", i ? "," : "", c.at_ns);
    field("user", c.user);
    field("field", c.field);
    field("value", c.value);
    *j += "}";
  }
  *j += "],\"values\":{";
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (i) j->push_back(',');
    AppendJsonString(j, a.values[i].first);
    j->push_back(':');
    AppendJsonString(j, a.values[i].second);
  }
  *j += "}}";
}

Status AlertStore::Open(const std::string& data_dir, const AlertOptions& opt) {
  opt_ = opt;
  if (Status s = OpenDir(data_dir, &dir_); !s.ok()) return s;
  return Load();
}

Status AlertStore::Load() {
  std::string text;
  Status s = ReadFileInDir(dir_.get(), kTuningFile, &text);
  if (s.ok()) {
    if (Status t = detect::Tuning::FromJson(text, &tuning_); !t.ok())
      return Status::InvalidArgument(std::string(kTuningFile) + ": " + t.ToString());
  } else if (s.code() != Status::Code::kNotFound) {
    return s;
  }
  s = ReadFileInDir(dir_.get(), kAlertsFile, &text);
  if (s.code() == Status::Code::kNotFound) return Status::OK();
  if (!s.ok()) return s;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array list;
  if (parser.parse(text).get(root) || root["alerts"].get(list))
    return Status::Corruption(std::string(kAlertsFile) + " is not an alerts file");
  next_id_ = std::max<uint64_t>(1, static_cast<uint64_t>(Int(root, "next_id")));
  for (simdjson::dom::element e : list) {
    AlertRecord a = ReadRecord(e);
    if (a.id == 0) continue;
    next_id_ = std::max(next_id_, a.id + 1);
    if (a.status != "closed") open_by_key_[a.key] = a.id;
    alerts_[a.id] = std::move(a);
  }
  return Status::OK();
}

std::string AlertStore::Key(const detect::Rule& rule, const Event& ev) const {
  std::string key = rule.id;
  for (const std::string& f : opt_.dedup_fields) {
    const std::string* v = ev.Get(f);
    key += '\x1f';
    if (v) key += *v;
  }
  return key;
}

AlertStore::Decision AlertStore::Observe(const detect::Rule& rule, const Event& ev, int64_t now_ns,
                                         const std::string* key_override) {
  Decision d;
  std::lock_guard lock(mu_);
  RuleStats& st = stats_[rule.id];
  ++st.matches;
  st.last_match_ns = now_ns;
  if (!tuning_.Enabled(rule)) {
    ++st.disabled;
    d.verdict = Verdict::kDisabled;
    return d;
  }
  if (tuning_.Excluding(rule, ev)) {
    ++st.excluded;
    d.verdict = Verdict::kExcluded;
    return d;
  }
  if (correlations_) {
    std::vector<const detect::Correlation*> fired;
    correlations_->Feed(rule.id, ev, &fired);
    for (const detect::Correlation* c : fired) d.correlated.push_back(c->rule);
    if (!correlations_->set().Generates(rule.id)) {
      ++st.correlated;
      d.verdict = Verdict::kCorrelated;
      return d;
    }
  }
  d.level = tuning_.Level(rule);
  const std::string key = key_override ? *key_override : Key(rule, ev);
  const int64_t ts = ev.timestamp_ns;
  if (auto it = open_by_key_.find(key); it != open_by_key_.end()) {
    auto a = alerts_.find(it->second);
    if (a != alerts_.end() && a->second.status != "closed" && ts >= a->second.first_ns - opt_.dedup_window_ns &&
        ts <= a->second.last_ns + opt_.dedup_window_ns) {
      ++a->second.count;
      a->second.last_ns = std::max(a->second.last_ns, ts);
      ++st.deduplicated;
      dirty_ = true;
      d.verdict = Verdict::kDeduplicated;
      d.id = a->first;
      return d;
    }
  }
  if (st.hour != now_ns / kHourNs) {
    st.hour = now_ns / kHourNs;
    st.raised_hour = 0;
  }
  if (st.raised_hour >= opt_.per_rule_cap) {
    ++st.capped;
    d.verdict = Verdict::kCapped;
    return d;
  }
  ++st.raised_hour;
  ++st.raised;
  AlertRecord a;
  a.id = next_id_++;
  a.rule_id = rule.id;
  a.rule_name = rule.title;
  a.level = d.level;
  if (const std::string* h = ev.Get(field::kHostName)) a.host = *h;
  if (const std::string* ds = ev.Get(field::kDataset)) a.dataset = *ds;
  a.excerpt = SanitizeUtf8(std::string_view(ev.original).substr(0, kAlertExcerptBytes));
  a.values = MatchedValues(rule, ev);
  a.key = key;
  a.first_ns = a.last_ns = ts;
  a.raised_ns = now_ns;
  a.count = 1;
  open_by_key_[key] = a.id;
  d.id = a.id;
  alerts_.emplace(a.id, std::move(a));
  dirty_ = true;
  Evict();
  return d;
}

void AlertStore::Evict() {
  if (alerts_.size() <= kMaxAlertRecords) return;
  auto victim = alerts_.begin();  // the oldest closed alert, else the oldest
  for (auto it = alerts_.begin(); it != alerts_.end(); ++it) {
    if (it->second.status == "closed") {
      victim = it;
      break;
    }
  }
  if (auto k = open_by_key_.find(victim->second.key); k != open_by_key_.end() && k->second == victim->first)
    open_by_key_.erase(k);
  alerts_.erase(victim);
}

std::vector<AlertRecord> AlertStore::List(const AlertFilter& f, size_t* total) const {
  std::vector<AlertRecord> out;
  size_t n = 0;
  std::lock_guard lock(mu_);
  for (auto it = alerts_.rbegin(); it != alerts_.rend(); ++it) {  // newest first
    const AlertRecord& a = it->second;
    if (a.last_ns < f.from_ns || a.first_ns >= f.to_ns) continue;
    if (!f.level.empty() && a.level != f.level) continue;
    if (!f.status.empty() && a.status != f.status) continue;
    if (!f.rule.empty() && a.rule_id != f.rule && a.rule_name != f.rule) continue;
    if (!f.host.empty() && a.host != f.host) continue;
    ++n;
    if (out.size() < f.limit) out.push_back(a);
  }
  if (total) *total = n;
  return out;
}

std::optional<AlertRecord> AlertStore::Get(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = alerts_.find(id);
  if (it == alerts_.end()) return std::nullopt;
  return it->second;
}

Status AlertStore::Update(uint64_t id, const AlertPatch& p, const std::string& user, AlertRecord* out) {
  if (p.status && !ValidStatus(*p.status)) return Status::InvalidArgument("status must be new, acknowledged or closed");
  if (p.assignee && p.assignee->size() > 256) return Status::InvalidArgument("assignee too long");
  if (p.comment && (p.comment->empty() || p.comment->size() > kMaxCommentBytes))
    return Status::InvalidArgument(fmt::format("a comment is 1 to {} bytes", kMaxCommentBytes));
  {
    std::lock_guard lock(mu_);
    auto it = alerts_.find(id);
    if (it == alerts_.end()) return Status::NotFound(fmt::format("no alert {}", id));
    AlertRecord& a = it->second;
    if (p.comment && a.comments.size() >= kMaxAlertComments) return Status::InvalidArgument("too many comments");
    if (p.status && *p.status != a.status) AddChange(&a, user, "status", *p.status);
    if (p.assignee && SanitizeUtf8(*p.assignee) != a.assignee) AddChange(&a, user, "assignee", SanitizeUtf8(*p.assignee));
    if (p.status) {
      a.status = *p.status;
      // A closed alert takes no more matches: the next one raises a new alert.
      if (a.status == "closed") {
        if (auto k = open_by_key_.find(a.key); k != open_by_key_.end() && k->second == id) open_by_key_.erase(k);
      } else {
        open_by_key_[a.key] = id;
      }
    }
    if (p.assignee) a.assignee = SanitizeUtf8(*p.assignee);
    if (p.comment) a.comments.push_back({NowNanos(), user, SanitizeUtf8(*p.comment)});
    dirty_ = true;
    *out = a;
  }
  return Flush();
}

detect::RuleTuning AlertStore::RuleTuning(const std::string& rule_id) const {
  std::lock_guard lock(mu_);
  return tuning_.Rule(rule_id);
}

std::map<std::string, std::vector<std::string>> AlertStore::LogsourceExclusions() const {
  std::lock_guard lock(mu_);
  return tuning_.LogsourceMap();
}

Status AlertStore::SetRuleTuning(const std::string& rule_id, const detect::RuleTuning& t) {
  std::lock_guard lock(mu_);
  detect::Tuning next = tuning_;
  if (Status s = next.SetRule(rule_id, t); !s.ok()) return s;
  if (Status s = WriteFileAtomic(dir_.get(), kTuningFile, next.ToJson(), 0600); !s.ok()) return s;
  tuning_ = std::move(next);
  return Status::OK();
}

Status AlertStore::SetLogsourceExclusions(const std::string& key, const std::vector<std::string>& ex) {
  std::lock_guard lock(mu_);
  detect::Tuning next = tuning_;
  if (Status s = next.SetLogsource(key, ex); !s.ok()) return s;
  if (Status s = WriteFileAtomic(dir_.get(), kTuningFile, next.ToJson(), 0600); !s.ok()) return s;
  tuning_ = std::move(next);
  return Status::OK();
}

RuleStats AlertStore::Stats(const std::string& rule_id) const {
  std::lock_guard lock(mu_);
  auto it = stats_.find(rule_id);
  return it == stats_.end() ? RuleStats{} : it->second;
}

std::string AlertStore::RecordsJson() const {
  std::string j = fmt::format("{{\"next_id\":{},\"alerts\":[", next_id_);
  bool first = true;
  for (const auto& [id, a] : alerts_) {
    if (!first) j.push_back(',');
    first = false;
    AppendAlertJson(a, &j);
  }
  return j + "]}";
}

Status AlertStore::Flush() {
  std::lock_guard flushing(flush_mu_);  // writes leave in the order their bodies were made
  std::string body;
  {
    std::lock_guard lock(mu_);
    if (!dirty_ || !dir_.ok()) return Status::OK();
    body = RecordsJson();
    dirty_ = false;
  }
  Status s = WriteFileAtomic(dir_.get(), kAlertsFile, body, 0600);
  if (!s.ok()) {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  return s;
}

}  // namespace kamatama::server
