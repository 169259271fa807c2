// server/library_kinds.cc
#include "server/library_kinds.h"

#include <fmt/format.h>

#include <array>
#include <initializer_list>
#include <string_view>

#include "core/json.h"
#include "core/time.h"

namespace kamatama::server {

namespace {

constexpr std::array<std::string_view, 5> kPanelTypes = {"timechart", "bar", "table", "number", "events"};

bool HasControl(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

//! Reads the fields of one JSON object, remembering the first problem (`where` prefixes it:
//! "panels[2]: ") and writing the accepted fields to a JSON object in the order they are read.
class FieldReader {
 public:
  FieldReader(simdjson::dom::object in, std::string where) : in_(in), where_(std::move(where)) { out_ = "{"; }

  //! A string field: required ones must be present and not empty; at most `max` bytes, no
  //! control characters unless `multiline`. Missing and optional: `def` when not empty.
  void String(const char* name, bool required, size_t max, std::string* value = nullptr, std::string_view def = {},
              bool multiline = false) {
    std::string_view v;
    simdjson::dom::element e;
    if (in_[name].get(e)) {
      if (required) return Fail(fmt::format("'{}' is required", name));
      if (!def.empty()) Emit(name, def, value);
      return;
    }
    if (e.get(v)) return Fail(fmt::format("'{}' must be a string", name));
    if (required && v.empty()) return Fail(fmt::format("'{}' must not be empty", name));
    if (v.size() > max) return Fail(fmt::format("'{}' has {} bytes; at most {}", name, v.size(), max));
    if (!multiline && HasControl(v)) return Fail(fmt::format("'{}' must not hold control characters", name));
    Emit(name, v, value);
  }
  //! An optional integer field within [lo, hi].
  void Int(const char* name, int64_t lo, int64_t hi) {
    simdjson::dom::element e;
    if (in_[name].get(e)) return;
    int64_t v = 0;
    if (e.get(v) || v < lo || v > hi) return Fail(fmt::format("'{}' must be an integer from {} to {}", name, lo, hi));
    Key(name);
    out_ += std::to_string(v);
  }
  //! An optional boolean field; `def` when missing.
  void Bool(const char* name, bool def) {
    simdjson::dom::element e;
    bool v = def;
    if (!in_[name].get(e) && e.get(v)) return Fail(fmt::format("'{}' must be true or false", name));
    Key(name);
    out_ += v ? "true" : "false";
  }
  //! A time as the search API takes it (from, to).
  void Time(const char* name, std::string_view def) {
    std::string v;
    String(name, false, 64, &v, def);
    if (!ok() || v.empty()) return;
    TimeFault fault = TimeFault::kNone;
    if (!ParseApiTime(v, NowNanos(), &fault))
      Fail(fmt::format("'{}': '{}' is not a time (RFC 3339, epoch seconds, now, -15m, now-7d ...)", name, v));
  }
  //! A query the search API would accept.
  void Query(const char* name, bool required, const QueryCheck& check) {
    std::string v;
    String(name, required, SIZE_MAX, &v, {}, true);
    if (!ok() || v.empty()) return;
    if (std::string why = check(v, false); !why.empty()) Fail(fmt::format("'{}': {}", name, why));
  }
  //! Refuses fields not in `known`.
  void OnlyKnown(std::initializer_list<std::string_view> known) {
    for (auto [key, value] : in_) {
      (void)value;
      bool found = false;
      for (std::string_view k : known) found = found || k == key;
      if (!found && ok()) {
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        Fail(fmt::format("unknown field '{}' (the fields are {})", key, list));
      }
    }
  }
  //! Appends `name: raw` (raw already JSON).
  void Raw(const char* name, std::string_view raw) {
    Key(name);
    out_ += raw;
  }
  simdjson::dom::object in() const { return in_; }
  bool ok() const { return error_.empty(); }
  void Fail(std::string why) {
    if (ok()) error_ = where_ + why;
  }
  const std::string& error() const { return error_; }
  std::string Finish() { return out_ + "}"; }

 private:
  void Key(const char* name) {
    if (out_.size() > 1) out_.push_back(',');
    AppendJsonString(&out_, name);
    out_.push_back(':');
  }
  void Emit(const char* name, std::string_view v, std::string* value) {
    Key(name);
    AppendJsonString(&out_, v);
    if (value) *value = v;
  }
  simdjson::dom::object in_;
  std::string where_, out_, error_;
};

std::string CheckColumns(FieldReader& r) {
  simdjson::dom::element e;
  if (r.in()["columns"].get(e)) return "";
  simdjson::dom::array list;
  if (e.get(list)) return "'columns' must be an array of field names";
  if (list.size() > kMaxColumns) return fmt::format("'columns': at most {} columns", kMaxColumns);
  std::string raw = "[";
  for (simdjson::dom::element c : list) {
    std::string_view name;
    if (c.get(name) || name.empty() || name.size() > kMaxColumnBytes || HasControl(name))
      return fmt::format("'columns' must be field names of 1 to {} bytes", kMaxColumnBytes);
    if (raw.size() > 1) raw.push_back(',');
    AppendJsonString(&raw, name);
  }
  r.Raw("columns", raw + "]");
  return "";
}

std::string CheckSavedSearch(simdjson::dom::object in, const QueryCheck& check, std::string* out) {
  FieldReader r(in, "");
  r.OnlyKnown({"name", "description", "query", "from", "to", "columns"});
  r.String("name", true, kMaxNameBytes);
  r.String("description", false, kMaxDescriptionBytes, nullptr, {}, true);
  r.Query("query", true, check);
  r.Time("from", "-24h");
  r.Time("to", "now");
  if (r.ok()) r.Fail(CheckColumns(r));
  if (!r.ok()) return r.error();
  *out = r.Finish();
  return "";
}

//! One panel as stored; the reason it is refused, or "".
std::string CheckPanel(simdjson::dom::element e, size_t index, const QueryCheck& check, std::string* out) {
  simdjson::dom::object obj;
  const std::string where = fmt::format("panels[{}]: ", index);
  if (e.get(obj)) return where + "a panel must be an object {\"title\", \"query\", \"type\"}";
  FieldReader r(obj, where);
  r.OnlyKnown({"title", "query", "type", "options", "x", "y", "w", "h"});
  r.String("title", true, kMaxNameBytes);
  r.Query("query", true, check);
  std::string type;
  r.String("type", true, 16, &type);
  bool known = false;
  for (std::string_view t : kPanelTypes) known = known || t == type;
  if (r.ok() && !known) r.Fail(fmt::format("'type' must be one of timechart, bar, table, number, events, not '{}'", type));
  simdjson::dom::element options;
  if (r.ok() && !obj["options"].get(options)) {
    std::string raw = simdjson::minify(options);
    if (!options.is_object()) r.Fail("'options' must be an object");
    else if (raw.size() > kMaxPanelOptionsBytes) r.Fail(fmt::format("'options' has {} bytes; at most {}", raw.size(), kMaxPanelOptionsBytes));
    else r.Raw("options", raw);
  }
  r.Int("x", 0, kGridColumns - 1);
  r.Int("y", 0, 999);
  r.Int("w", 1, kGridColumns);
  r.Int("h", 1, 12);
  if (!r.ok()) return r.error();
  *out = r.Finish();
  return "";
}

std::string CheckDashboard(simdjson::dom::object in, const QueryCheck& check, std::string* out) {
  FieldReader r(in, "");
  r.OnlyKnown({"title", "description", "from", "to", "filter", "refresh", "panels"});
  r.String("title", true, kMaxNameBytes);
  r.String("description", false, kMaxDescriptionBytes, nullptr, {}, true);
  r.Time("from", "-24h");
  r.Time("to", "now");
  std::string filter;
  r.String("filter", false, SIZE_MAX, &filter, {}, true);
  if (r.ok() && !filter.empty()) {
    if (std::string why = check(filter, true); !why.empty()) r.Fail("'filter': " + why);
  }
  simdjson::dom::element refresh;
  if (r.ok() && !in["refresh"].get(refresh)) {
    int64_t s = -1;
    if (refresh.get(s) || (s != 0 && (s < 10 || s > 86400)))
      r.Fail("'refresh' must be 0 (off) or 10 to 86400 seconds");
    else r.Raw("refresh", std::to_string(s));
  }
  simdjson::dom::array panels;
  simdjson::dom::element pe;
  if (r.ok() && in["panels"].get(pe)) r.Fail("'panels' is required (an array, may be empty)");
  else if (r.ok() && pe.get(panels)) r.Fail("'panels' must be an array");
  else if (r.ok() && panels.size() > kMaxPanels) r.Fail(fmt::format("at most {} panels", kMaxPanels));
  if (!r.ok()) return r.error();
  std::string raw = "[";
  size_t i = 0;
  for (simdjson::dom::element p : panels) {
    std::string one;
    if (std::string why = CheckPanel(p, i++, check, &one); !why.empty()) return why;
    if (raw.size() > 1) raw.push_back(',');
    raw += one;
  }
  r.Raw("panels", raw + "]");
  *out = r.Finish();
  return "";
}

//! One of `allowed` (the first when missing and `required` is false); "" when refused.
std::string OneOf(FieldReader& r, const char* name, std::initializer_list<std::string_view> allowed, bool required) {
  std::string v;
  r.String(name, required, 32, &v, required ? std::string_view() : *allowed.begin());
  if (!r.ok()) return "";
  for (std::string_view a : allowed)
    if (a == v) return v;
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  r.Fail(fmt::format("'{}' must be one of {}, not '{}'", name, list, v));
  return "";
}

//! When a schedule runs: "every" (a duration, at least 1 s; the server's schedules.min_interval
//! is checked by the route) or "at" (HH:MM, UTC), exactly one.
void CheckWhen(FieldReader& r) {
  simdjson::dom::element e;
  const bool every = !r.in()["every"].get(e), at = !r.in()["at"].get(e);
  if (every == at) return r.Fail("give either 'every' (a duration such as 15m) or 'at' (HH:MM, UTC)");
  std::string v;
  if (every) {
    r.String("every", true, 16, &v);
    auto d = r.ok() ? ParseDuration(v) : std::nullopt;
    if (r.ok() && (!d || *d < kNanosPerSecond || *d > 7 * 86400 * kNanosPerSecond))
      r.Fail(fmt::format("'every': '{}' is not a duration from 1s to 7d (30s, 15m, 1h)", v));
    return;
  }
  r.String("at", true, 5, &v);
  if (r.ok() && ScheduleTimeOfDay(v) < 0) r.Fail(fmt::format("'at': '{}' is not a time of day HH:MM (UTC)", v));
}

std::string CheckSchedule(simdjson::dom::object in, const QueryCheck&, std::string* out) {
  FieldReader r(in, "");
  r.OnlyKnown({"name", "description", "saved_search", "every", "at", "enabled", "action", "condition", "threshold",
               "field", "level", "target", "max_rows", "rate_limit"});
  r.String("name", true, kMaxNameBytes);
  r.String("description", false, kMaxDescriptionBytes, nullptr, {}, true);
  r.String("saved_search", true, 64);
  CheckWhen(r);
  r.Bool("enabled", true);
  const std::string action = OneOf(r, "action", {"alert", "report"}, true);
  if (action == "alert") {
    const std::string condition = OneOf(r, "condition", {"count", "new_value"}, false);
    if (condition == "count") r.Int("threshold", 0, INT64_MAX);
    else r.String("field", true, kMaxColumnBytes);
    OneOf(r, "level", {"medium", "informational", "low", "high", "critical"}, false);
  } else if (action == "report") {
    r.String("target", true, 64);
    r.Int("max_rows", 1, static_cast<int64_t>(kMaxReportRows));
  }
  for (const char* other : {"condition", "threshold", "field", "level"}) {
    simdjson::dom::element e;
    if (action == "report" && !in[other].get(e)) r.Fail(fmt::format("'{}' is for alerts, not reports", other));
  }
  for (const char* other : {"target", "max_rows"}) {
    simdjson::dom::element e;
    if (action == "alert" && !in[other].get(e)) r.Fail(fmt::format("'{}' is for reports, not alerts", other));
  }
  r.Int("rate_limit", 0, 1000);
  if (!r.ok()) return r.error();
  *out = r.Finish();
  return "";
}

}  // namespace

int ScheduleTimeOfDay(std::string_view hhmm) {
  if (hhmm.size() != 5 || hhmm[2] != ':') return -1;
  for (size_t i : {0, 1, 3, 4})
    if (hhmm[i] < '0' || hhmm[i] > '9') return -1;
  const int h = (hhmm[0] - '0') * 10 + (hhmm[1] - '0'), m = (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

const LibraryKind& ScheduleKind() {
  static const LibraryKind kind{"/api/v1/schedules", "schedule", "schedule", "name", kMaxSchedules, CheckSchedule};
  return kind;
}

const LibraryKind& SavedSearchKind() {
  static const LibraryKind kind{"/api/v1/saved-searches", "saved search", "saved_search", "name", kMaxSavedSearches,
                                CheckSavedSearch};
  return kind;
}

const LibraryKind& DashboardKind() {
  static const LibraryKind kind{"/api/v1/dashboards", "dashboard", "dashboard", "title", kMaxDashboards,
                                CheckDashboard};
  return kind;
}

}  // namespace kamatama::server
