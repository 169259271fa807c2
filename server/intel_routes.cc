// server/intel_routes.cc
#include "server/intel_routes.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"
#include "core/tokenize.h"
#include "intel/formats.h"

namespace kamatama::server {

namespace {

constexpr std::string_view kPrefix = "/api/v1/lists";
//! Indicators listed by GET /api/v1/lists/NAME, and sightings kept from a hunt.
constexpr size_t kMaxListed = 1000;

bool Flag(const Request& req, const char* name, bool dflt) {
  auto it = req.params.find(name);
  if (it == req.params.end()) return dflt;
  return it->second == "true" || it->second == "1" || it->second == "yes";
}

//! The stored alerts of one list (event.dataset kamatama.alert, kamatama.intel.list NAME).
class AlertsOfList final : public RowFilter {
 public:
  explicit AlertsOfList(std::string name) : name_(std::move(name)) {
    ForEachToken(name_, [&](std::string_view t) { hashes_.push_back(HashTokenLower(t)); });
    ForEachToken("kamatama.alert", [&](std::string_view t) { hashes_.push_back(HashTokenLower(t)); });
  }
  bool MayMatch(const TokenFilter& has) const override {
    return std::all_of(hashes_.begin(), hashes_.end(), [&](uint64_t h) { return has(h); });
  }
  bool Matches(const FieldAccessor& row) const override {
    std::string_view ds, list;
    return row.Get("event.dataset", &ds) && ds == "kamatama.alert" && row.Get("kamatama.intel.list", &list) &&
           list == name_;
  }
  const std::vector<std::string>& ReferencedFields() const override {
    static const std::vector<std::string> f = {"event.dataset", "kamatama.intel.list"};
    return f;
  }

 private:
  std::string name_;
  std::vector<uint64_t> hashes_;
};

struct Tally {
  uint64_t count = 0;
  int64_t first = INT64_MAX, last = INT64_MIN;
};

void AppendTime(std::string* j, std::string_view key, int64_t ns) {
  if (ns == INT64_MAX || ns == INT64_MIN) return;
  AppendJsonMember(j, key, FormatRfc3339(ns));
}

int StatusFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument: return 400;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kResourceExhausted: return 413;
    default: return 500;
  }
}

}  // namespace

std::optional<Response> IntelRoutes::Handle(const Request& req) {
  if (!req.path.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = std::string_view(req.path).substr(kPrefix.size());
  if (rest.empty() || rest == "/") {
    if (req.method != "GET") return JsonError(405, "use GET (PUT /api/v1/lists/NAME writes a list)");
    return ListLists(nullptr);
  }
  if (rest[0] != '/') return JsonError(404, "no such endpoint");
  rest.remove_prefix(1);
  const size_t slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  const std::string_view sub = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  if (!intel::ListStore::ValidName(name)) return JsonError(400, "a list name is 1-64 letters, digits, '_' or '-'");
  if (sub == "hits") return req.method == "GET" ? Hits(name) : JsonError(405, "use GET");
  if (sub == "hunt") return req.method == "POST" ? Hunt(name, req.cancelled) : JsonError(405, "use POST");
  if (!sub.empty()) return JsonError(404, "no such endpoint");
  if (req.method == "GET") return ListLists(&name);
  if (req.method == "DELETE") {
    Status s = lists_->Delete(name);
    if (!s.ok()) return JsonError(StatusFor(s), s.message());
    std::lock_guard lock(hunts_mu_);
    last_hunts_.erase(name);
    hunt_summaries_.erase(name);
    return Response{200, "application/json", "{\"deleted\":true}"};
  }
  if (req.method != "PUT") return JsonError(405, "use GET, PUT or DELETE");
  const std::string* ct = req.Header("content-type");
  return PutList(name, ct ? *ct : "", req.body, Flag(req, "lenient", false), "upload by " + req.principal.name,
                 Flag(req, "hunt", cfg_.intel.hunt_on_import), req.cancelled);
}

Response IntelRoutes::PutList(const std::string& name, const std::string& content_type, std::string_view body,
                              bool lenient, const std::string& origin, bool hunt, const std::atomic<bool>* cancelled) {
  static Counter& imported = GetCounter("kamatama_intel_indicators_imported_total", "", "Indicators imported into lists");
  if (body.size() > cfg_.intel.max_list_bytes)
    return JsonError(413, fmt::format("a list of {} bytes; intel.max_list_bytes is {}", body.size(), cfg_.intel.max_list_bytes));
  intel::ListFormat format;
  if (Status s = intel::DetectFormat(content_type, body, &format); !s.ok()) return JsonError(415, s.message());
  const int64_t now = NowNanos();
  intel::ImportOptions opt;
  opt.default_source = name;
  opt.now_ns = now;
  opt.lenient = lenient;
  opt.max_indicators = cfg_.intel.max_indicators;
  std::vector<intel::Indicator> indicators;
  intel::ImportReport rep;
  Status s = intel::ParseIndicators(body, format, opt, &indicators, &rep);
  std::string j = "{";
  auto report = [&] {
    AppendJsonMember(&j, "name", name);
    AppendJsonMember(&j, "format", intel::ListFormatName(format));
    const std::pair<const char*, size_t> counts[] = {
        {"accepted", rep.accepted}, {"rejected", rep.rejected}, {"expired", rep.expired}, {"skipped", rep.skipped}};
    for (const auto& [k, v] : counts) AppendJsonMember(&j, k, static_cast<int64_t>(v));
    j += ",\"errors\":[";
    for (size_t i = 0; i < rep.errors.size(); ++i) {
      if (i) j += ",";
      AppendJsonString(&j, rep.errors[i]);
    }
    j += "]";
  };
  if (!s.ok()) {
    AppendJsonMember(&j, "error", s.message());
    report();
    return Response{StatusFor(s), "application/json", j + "}"};
  }
  std::shared_ptr<const intel::IntelList> list;
  if (s = lists_->Put(name, std::move(indicators), intel::ListFormatName(format), origin, now, &list); !s.ok())
    return JsonError(StatusFor(s), s.message());
  imported.Add(rep.accepted);
  report();
  AppendJsonMember(&j, "version", static_cast<int64_t>(list->info.version));
  AppendJsonMember(&j, "size", static_cast<int64_t>(list->matcher.indicators().size()));
  AppendJsonMember(&j, "duplicates", static_cast<int64_t>(list->matcher.duplicates()));
  int hunt_status = 200;
  j += ",\"hunt\":" + (hunt ? RunHunt(list, cancelled, &hunt_status) : std::string("null"));
  return Response{200, "application/json", j + "}"};
}

std::string IntelRoutes::ListJson(const intel::IntelList& list, int64_t now, bool with_indicators) {
  const intel::ListInfo& info = list.info;
  const auto& inds = list.matcher.indicators();
  std::string j = "{";
  AppendJsonMember(&j, "name", info.name);
  AppendJsonMember(&j, "version", static_cast<int64_t>(info.version));
  const size_t active = list.Active(now);
  AppendJsonMember(&j, "size", static_cast<int64_t>(inds.size()));
  AppendJsonMember(&j, "active", static_cast<int64_t>(active));
  AppendJsonMember(&j, "expired", static_cast<int64_t>(inds.size() - active));
  size_t by_type[intel::kIndicatorTypes] = {};
  for (const auto& i : inds) ++by_type[static_cast<int>(i.type)];
  j += ",\"types\":{";
  for (int t = 0; t < intel::kIndicatorTypes; ++t) {
    if (by_type[t]) AppendJsonMember(&j, intel::IndicatorTypeName(static_cast<intel::IndicatorType>(t)), static_cast<int64_t>(by_type[t]));
  }
  j += "}";
  AppendTime(&j, "created", info.created_ns);
  AppendTime(&j, "updated", info.updated_ns);
  AppendJsonMember(&j, "format", info.format);
  AppendJsonMember(&j, "origin", info.origin);
  j += ",\"history\":[";
  for (const intel::VersionNote& v : info.history) {
    j += j.back() == '[' ? "{" : ",{";
    AppendJsonMember(&j, "version", static_cast<int64_t>(v.version));
    AppendTime(&j, "updated", v.updated_ns);
    AppendJsonMember(&j, "size", static_cast<int64_t>(v.size));
    AppendJsonMember(&j, "origin", v.origin);
    j += "}";
  }
  j += "]";
  {
    std::lock_guard lock(hunts_mu_);
    auto it = hunt_summaries_.find(info.name);
    j += ",\"last_hunt\":" + (it == hunt_summaries_.end() ? std::string("null") : it->second);
  }
  if (with_indicators) {
    j += ",\"indicators\":[";
    for (size_t i = 0; i < inds.size() && i < kMaxListed; ++i) {
      j += i ? ",{" : "{";
      AppendJsonMember(&j, "value", inds[i].value);
      AppendJsonMember(&j, "type", intel::IndicatorTypeName(inds[i].type));
      AppendJsonMember(&j, "source", inds[i].source);
      AppendJsonMember(&j, "description", inds[i].description);
      AppendTime(&j, "expires", inds[i].expires_ns == 0 ? INT64_MAX : inds[i].expires_ns);
      j += "}";
    }
    j += fmt::format("],\"truncated\":{}", inds.size() > kMaxListed);
  }
  return j + "}";
}

Response IntelRoutes::ListLists(const std::string* only) {
  const int64_t now = NowNanos();
  if (only) {
    auto list = lists_->Get(*only);
    if (!list) return JsonError(404, "no list named '" + *only + "'");
    return Response{200, "application/json", ListJson(*list, now, true)};
  }
  std::string j = "{\"lists\":[";
  bool first = true;
  for (const auto& list : lists_->All()) {
    if (!first) j += ",";
    first = false;
    j += ListJson(*list, now, false);
  }
  return Response{200, "application/json", j + "]}"};
}

Response IntelRoutes::Hits(const std::string& name) {
  auto list = lists_->Get(name);
  if (!list) return JsonError(404, "no list named '" + name + "'");
  // Live: the stored alerts of this list, per indicator (each alert is a hit the dedup window
  // let through).
  std::unordered_map<std::string, Tally> live;
  std::mutex mu;
  AlertsOfList filter(name);
  store::ScanOptions so;
  so.limit = 0;
  so.visit_fields = {"kamatama.intel.indicator", "kamatama.matched.timestamp"};
  so.deadline_ns = store::NowSteady() + cfg_.query.timeout_ns;
  so.visit = [&](const FieldAccessor& row, int64_t ts) {
    std::string_view ind, when;
    if (!row.Get("kamatama.intel.indicator", &ind)) return;
    const int64_t t = row.Get("kamatama.matched.timestamp", &when) ? ParseRfc3339(when).value_or(ts) : ts;
    std::lock_guard lock(mu);
    Tally& tally = live[std::string(ind)];
    ++tally.count;
    tally.first = std::min(tally.first, t);
    tally.last = std::max(tally.last, t);
  };
  store::ScanResult res;
  if (Status s = store_->Scan(filter, so, &res); !s.ok()) return JsonError(500, "reading the alerts failed: " + s.ToString());
  std::vector<std::pair<std::string, Tally>> rows(live.begin(), live.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second.count != b.second.count ? a.second.count > b.second.count : a.first < b.first;
  });
  std::string j = "{";
  AppendJsonMember(&j, "name", name);
  j += ",\"live\":[";
  for (size_t i = 0; i < rows.size() && i < kMaxListed; ++i) {
    j += i ? ",{" : "{";
    AppendJsonMember(&j, "indicator", rows[i].first);
    AppendJsonMember(&j, "alerts", static_cast<int64_t>(rows[i].second.count));
    AppendTime(&j, "first_seen", rows[i].second.first);
    AppendTime(&j, "last_seen", rows[i].second.last);
    j += "}";
  }
  j += fmt::format("],\"live_complete\":{}", res.complete && !res.timed_out);
  std::lock_guard lock(hunts_mu_);
  auto it = last_hunts_.find(name);
  j += ",\"hunt\":" + (it == last_hunts_.end() ? std::string("null") : it->second);
  return Response{200, "application/json", j + "}"};
}

Response IntelRoutes::Hunt(const std::string& name, const std::atomic<bool>* cancelled) {
  auto list = lists_->Get(name);
  if (!list) return JsonError(404, "no list named '" + name + "'");
  int status = 200;
  std::string report = RunHunt(list, cancelled, &status);
  return Response{status, "application/json", std::move(report)};
}

std::string IntelRoutes::RunHunt(const std::shared_ptr<const intel::IntelList>& list, const std::atomic<bool>* cancelled,
                                 int* status) {
  static Histogram& secs = GetHistogram("kamatama_intel_hunt_seconds", "", "Time of one hunt over the stored history");
  const int64_t now = NowNanos();
  const int64_t t0 = store::NowSteady();
  intel::HuntFilter filter(list, now, store::ScanOptions::kMaxScanWorkers);
  store::ScanOptions so;
  so.limit = 0;
  so.to_ns = now + 1;
  so.deadline_ns = t0 + cfg_.query.timeout_ns;
  so.cancelled = cancelled;
  so.visit_worker = [&filter](unsigned w, const FieldAccessor& row, int64_t ts) { filter.Visit(w, row, ts); };
  store::ScanResult res;
  Status s = store_->Scan(filter, so, &res);
  const int64_t took = store::NowSteady() - t0;
  secs.Observe(took / 1e9);
  std::string j = "{";
  if (!s.ok()) {
    *status = 500;
    AppendJsonMember(&j, "error", "the hunt failed: " + s.ToString());
    return j + "}";
  }
  const std::vector<intel::Sighting> found = filter.Result();
  const auto& inds = list->matcher.indicators();
  AppendJsonMember(&j, "list", list->info.name);
  AppendJsonMember(&j, "version", static_cast<int64_t>(list->info.version));
  AppendTime(&j, "ran_at", now);
  j += fmt::format(",\"took_ms\":{:.1f}", took / 1e6);
  AppendJsonMember(&j, "indicators", static_cast<int64_t>(inds.size()));
  AppendJsonMember(&j, "indicators_hit", static_cast<int64_t>(found.size()));
  const std::string summary = j + fmt::format(",\"complete\":{}}}", res.complete && !res.timed_out);
  j += fmt::format(",\"complete\":{},\"timed_out\":{},\"scanned\":{},\"blocks\":{{\"total\":{},\"pruned\":{},\"read\":{}}}",
                   res.complete && !res.timed_out, res.timed_out, res.scanned, res.blocks_total, res.blocks_pruned,
                   res.blocks_read);
  j += ",\"hits\":[";
  for (size_t i = 0; i < found.size() && i < kMaxListed; ++i) {
    const intel::Indicator& ind = inds[found[i].indicator];
    j += i ? ",{" : "{";
    AppendJsonMember(&j, "indicator", ind.value);
    AppendJsonMember(&j, "type", intel::IndicatorTypeName(ind.type));
    AppendJsonMember(&j, "source", ind.source);
    AppendJsonMember(&j, "description", ind.description);
    AppendJsonMember(&j, "count", static_cast<int64_t>(found[i].count));
    AppendTime(&j, "first_seen", found[i].first_ns);
    AppendTime(&j, "last_seen", found[i].last_ns);
    AppendJsonMember(&j, "field", found[i].field);
    j += "}";
  }
  j += "]}";
  std::lock_guard lock(hunts_mu_);
  last_hunts_[list->info.name] = j;
  hunt_summaries_[list->info.name] = summary;
  return j;
}

}  // namespace kamatama::server
