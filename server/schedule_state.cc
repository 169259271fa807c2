// server/schedule_state.cc
#include "server/schedule_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <simdjson.h>

#include <filesystem>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"
#include "server/auth.h"  // Sha256Hex

namespace kamatama::server {

namespace {

constexpr int kFileVersion = 1;
constexpr std::string_view kPrefix = "schedule_", kSuffix = ".json";

std::string FileOf(const std::string& id) { return std::string(kPrefix) + id + std::string(kSuffix); }

void AppendRunRecord(const ScheduleRun& r, std::string* j) {
  *j += fmt::format("{{\"started_ns\":{},\"duration_ns\":{},\"from_ns\":{},\"to_ns\":{},\"rows\":{},\"alert_id\":{}",
                    r.started_ns, r.duration_ns, r.from_ns, r.to_ns, r.rows, r.alert_id);
  AppendJsonMember(j, "trigger", r.trigger);
  AppendJsonMember(j, "outcome", r.outcome);
  AppendJsonMember(j, "detail", r.detail);
  j->push_back('}');
}

std::string StateJson(const ScheduleState& st) {
  std::string j = fmt::format("{{\"version\":{},\"last_slot_ns\":{},\"baseline\":{},\"sent_ns\":[", kFileVersion,
                              st.last_slot_ns, st.baseline);
  for (size_t i = 0; i < st.sent_ns.size(); ++i) j += (i ? "," : "") + std::to_string(st.sent_ns[i]);
  j += "],\"seen\":[";
  for (size_t i = 0; i < st.seen.size(); ++i) {
    if (i) j.push_back(',');
    AppendJsonString(&j, st.seen[i]);
  }
  j += "],\"runs\":[";
  for (size_t i = 0; i < st.runs.size(); ++i) {
    if (i) j += ",\n";
    AppendRunRecord(st.runs[i], &j);
  }
  return j + "]}\n";
}

bool ReadRun(simdjson::dom::element e, ScheduleRun* r) {
  std::string_view trigger, outcome, detail;
  uint64_t rows = 0, alert_id = 0;
  if (e["started_ns"].get(r->started_ns) || e["duration_ns"].get(r->duration_ns) || e["from_ns"].get(r->from_ns) ||
      e["to_ns"].get(r->to_ns) || e["rows"].get(rows) || e["alert_id"].get(alert_id) || e["trigger"].get(trigger) ||
      e["outcome"].get(outcome) || e["detail"].get(detail))
    return false;
  r->rows = rows;
  r->alert_id = alert_id;
  r->trigger = trigger;
  r->outcome = outcome;
  r->detail = detail;
  return true;
}

//! Parses one state file; false when it is not one.
bool ReadState(const std::string& text, ScheduleState* st) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array sent, seen, runs;
  int64_t version = 0;
  if (parser.parse(text).get(root) || root["version"].get(version) || version > kFileVersion ||
      root["last_slot_ns"].get(st->last_slot_ns) || root["baseline"].get(st->baseline) || root["sent_ns"].get(sent) ||
      root["seen"].get(seen) || root["runs"].get(runs))
    return false;
  for (simdjson::dom::element e : sent) {
    int64_t t = 0;
    if (e.get(t)) return false;
    st->sent_ns.push_back(t);
  }
  for (simdjson::dom::element e : seen) {
    std::string_view k;
    if (e.get(k)) return false;
    RememberSeen(st, std::string(k));
  }
  for (simdjson::dom::element e : runs) {
    ScheduleRun r;
    if (!ReadRun(e, &r)) return false;
    st->runs.push_back(std::move(r));
  }
  return true;
}

}  // namespace

Status ScheduleStateStore::Open(const std::string& data_dir) {
  if (Status s = OpenDir(data_dir, &dir_); !s.ok()) return s;
  std::error_code ec;
  std::map<std::string, ScheduleState> loaded;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) continue;
    std::string text;
    if (Status s = ReadFileInDir(dir_.get(), name, &text); !s.ok()) return s;
    ScheduleState st;
    if (!ReadState(text, &st)) return Status::Corruption(name + " is not a kamatama schedule state file");
    while (st.runs.size() > history_) st.runs.pop_front();
    loaded.emplace(name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size()), std::move(st));
  }
  if (ec) return Status::IoError(fmt::format("{}: {}", data_dir, ec.message()));
  std::lock_guard lock(mu_);
  states_ = std::move(loaded);
  return Status::OK();
}

ScheduleState ScheduleStateStore::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = states_.find(id);
  return it == states_.end() ? ScheduleState{} : it->second;
}

Status ScheduleStateStore::Put(const std::string& id, ScheduleState state) {
  while (state.runs.size() > history_) state.runs.pop_front();
  const std::string text = StateJson(state);
  std::lock_guard lock(mu_);
  states_[id] = std::move(state);
  return WriteFileAtomic(dir_.get(), FileOf(id), text, 0600);
}

void ScheduleStateStore::Retain(const std::unordered_set<std::string>& ids) {
  std::lock_guard lock(mu_);
  for (auto it = states_.begin(); it != states_.end();) {
    if (ids.count(it->first)) {
      ++it;
      continue;
    }
    ::unlinkat(dir_.get(), FileOf(it->first).c_str(), 0);
    it = states_.erase(it);
  }
}

std::string SeenKey(std::string_view value) { return Sha256Hex(value).substr(0, 16); }

bool RememberSeen(ScheduleState* st, const std::string& key) {
  if (!st->seen_set.insert(key).second) return false;
  st->seen.push_back(key);
  while (st->seen.size() > kMaxSeenValues) {
    st->seen_set.erase(st->seen.front());
    st->seen.pop_front();
  }
  return true;
}

void AppendRunJson(const ScheduleRun& r, std::string* j) {
  *j += "{";
  AppendJsonMember(j, "started", FormatRfc3339(r.started_ns));
  *j += fmt::format(",\"duration_ms\":{:.3f}", r.duration_ns / 1e6);
  AppendJsonMember(j, "from", FormatRfc3339(r.from_ns));
  AppendJsonMember(j, "to", FormatRfc3339(r.to_ns));
  AppendJsonMember(j, "trigger", r.trigger);
  AppendJsonMember(j, "outcome", r.outcome);
  *j += fmt::format(",\"rows\":{}", r.rows);
  if (r.alert_id) *j += fmt::format(",\"alert_id\":{}", r.alert_id);
  AppendJsonMember(j, "detail", r.detail);
  j->push_back('}');
}

}  // namespace kamatama::server
