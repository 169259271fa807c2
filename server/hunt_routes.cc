// server/hunt_routes.cc
// POST /api/v1/hunt (issue 20): Sigma rules run over stored events (Api::Hunt; see
// server/hunt_routes.h for the request and the stream it answers).
#include "server/hunt_routes.h"

#include <simdjson.h>

#include <algorithm>
#include <future>
#include <unordered_set>

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"
#include "detect/hunt.h"
#include "parsers/parse.h"
#include "query/query.h"
#include "server/alert_store.h"
#include "server/api.h"
#include "server/detection.h"
#include "server/investigate_routes.h"

namespace kamatama::server {

namespace {

//! A hunt's rules, range and options, parsed from the request.
struct HuntSpec {
  std::shared_ptr<const detect::RuleSet> set;  //!< the rules, in the order counts are reported
  int64_t from_ns = 0, to_ns = 0;
  size_t limit = 0;  //!< matching events returned (newest first, per day)
  bool create_alerts = false;
  int64_t deadline_ns = 0;  //!< steady clock; 0 = none
  std::string described;    //!< for the audit log: "yaml" or the rule ids
  //! The live correlations (issue 21) when live rules are hunted; those fed by the hunted rules
  //! are decided over the range, oldest first (detect::CorrelationHunt).
  std::shared_ptr<const detect::CorrelationSet> correlations;
};

//! Splits pasted YAML into its documents (`---` lines), so several rules can be pasted at once.
std::vector<std::string> YamlDocuments(std::string_view yaml) {
  std::vector<std::string> docs(1);
  size_t start = 0;
  while (start < yaml.size()) {
    size_t nl = yaml.find('\n', start);
    if (nl == std::string_view::npos) nl = yaml.size();
    std::string_view line = yaml.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == "---") docs.emplace_back();
    else docs.back().append(yaml.substr(start, nl - start)).push_back('\n');
    start = nl + 1;
  }
  std::erase_if(docs, [](const std::string& d) { return d.find_first_not_of(" \t\r\n") == std::string::npos; });
  return docs;
}

//! Compiles pasted rules; an error message (the first rule that does not load) or empty.
std::string CompilePasted(std::string_view yaml, const detect::Placeholders& placeholders, detect::RuleSet* set) {
  detect::CompileOptions co;
  co.placeholders = placeholders;
  const std::vector<std::string> docs = YamlDocuments(yaml);
  if (docs.empty()) return "'yaml' holds no rule";
  if (docs.size() > kMaxHuntRules) return fmt::format("'yaml' holds more than {} rules", kMaxHuntRules);
  for (size_t i = 0; i < docs.size(); ++i) {
    detect::LoadReport rep = detect::CompileRule(docs[i], fmt::format("pasted rule {}", i + 1), co);
    if (rep.status != detect::RuleStatus::kLoaded)
      return fmt::format("rule {} of 'yaml' is {}: {}", i + 1, detect::RuleStatusName(rep.status), rep.reason);
    set->Add(rep.rule);
  }
  return "";
}

//! The rules a correlation named `id` takes (through the correlations it takes), added to *set;
//! false if no correlation has that id.
bool AddCorrelationRules(std::string_view id, const detect::CorrelationSet* correlations,
                         const std::unordered_map<std::string_view, std::shared_ptr<const detect::Rule>>& by_id,
                         detect::RuleSet* set, std::unordered_set<std::string_view>* seen) {
  if (!correlations) return false;
  std::vector<std::string> todo{std::string(id)};
  std::unordered_set<std::string> visited;
  bool found = false;
  while (!todo.empty() && visited.size() < 1000) {
    const std::string next = std::move(todo.back());
    todo.pop_back();
    if (!visited.insert(next).second) continue;
    if (auto r = by_id.find(next); r != by_id.end()) {
      if (seen->insert(r->second->id).second) set->Add(r->second);
      continue;
    }
    for (const detect::Correlation& c : correlations->correlations()) {
      if (c.rule->id != next) continue;
      found = found || next == id;
      todo.insert(todo.end(), c.refs.begin(), c.refs.end());
    }
  }
  return found;
}

//! The live rules named by id (a correlation's id: the rules it takes; "all": every one); an
//! error message or empty.
std::string PickLiveRules(simdjson::dom::element rules, const detect::RuleSet* live,
                          const detect::CorrelationSet* correlations, detect::RuleSet* set, std::string* described) {
  if (!live || live->rules().empty()) return "no detection rules are loaded (detection.rules): paste 'yaml' instead";
  std::string_view all;
  if (!rules.get(all)) {
    if (all != "all") return "'rules' is a list of rule ids or \"all\"";
    for (const auto& r : live->rules()) set->Add(r);
    *described = "all";
    return "";
  }
  simdjson::dom::array ids;
  if (rules.get(ids)) return "'rules' is a list of rule ids or \"all\"";
  std::unordered_map<std::string_view, std::shared_ptr<const detect::Rule>> by_id;
  for (const auto& r : live->rules()) by_id.emplace(r->id, r);
  std::unordered_set<std::string_view> seen;
  for (simdjson::dom::element e : ids) {
    std::string_view id;
    if (e.get(id)) return "'rules' is a list of rule ids (strings)";
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      if (!AddCorrelationRules(id, correlations, by_id, set, &seen)) return fmt::format("no loaded rule has the id '{}'", id);
    } else if (seen.insert(it->second->id).second) {
      set->Add(it->second);
    }
    *described += (described->empty() ? "" : ",") + std::string(id);
  }
  if (set->rules().empty()) return "'rules' names no rule";
  return "";
}

//! Reads the request body into *spec; an error message or empty.
std::string ParseHunt(const Request& req, const Config& cfg, const detect::RuleSet* live,
                      std::shared_ptr<const detect::CorrelationSet> correlations, HuntSpec* spec) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(req.body).get(doc) || !doc.is_object()) return "the body must be a JSON object";
  auto set = std::make_shared<detect::RuleSet>();
  simdjson::dom::element rules;
  std::string_view yaml;
  const bool has_yaml = !doc["yaml"].get(yaml);
  const bool has_rules = !doc["rules"].get(rules);
  if (has_yaml == has_rules) return "give either 'rules' (ids of loaded rules, or \"all\") or 'yaml' (pasted rules)";
  std::string err = has_yaml ? CompilePasted(yaml, cfg.detection.placeholders, set.get())
                             : PickLiveRules(rules, live, correlations.get(), set.get(), &spec->described);
  if (!err.empty()) return err;
  if (!has_yaml) spec->correlations = std::move(correlations);
  if (has_yaml) spec->described = "yaml";
  set->CompilePrefilter();
  spec->set = std::move(set);
  const int64_t now = NowNanos();
  spec->to_ns = now;
  spec->from_ns = now - kDefaultHuntDays * kNanosPerDay;
  for (const char* name : {"from", "to"}) {
    std::string_view text;
    if (doc[name].get(text) || text.empty()) continue;
    TimeFault fault = TimeFault::kNone;
    auto t = ParseApiTime(text, now, &fault);
    if (fault == TimeFault::kRange) return fmt::format("'{}': {}", name, kTimeRangeText);
    if (!t) return fmt::format("bad '{}' time: {}", name, text);
    (std::string_view(name) == "from" ? spec->from_ns : spec->to_ns) = *t;
  }
  if (spec->from_ns >= spec->to_ns) return "'from' must be before 'to'";
  int64_t limit = static_cast<int64_t>(cfg.query.default_limit);
  if (auto l = doc["limit"]; !l.error() && (l.get(limit) || limit < 0)) return "bad 'limit': a count is expected";
  spec->limit = std::min<size_t>(static_cast<size_t>(limit), cfg.query.max_limit);
  bool create = false;
  if (auto c = doc["create_alerts"]; !c.error() && c.get(create)) return "'create_alerts' is true or false";
  spec->create_alerts = create;
  return "";
}

//! One line of the stream.
std::string Line(std::string_view type, const std::function<void(std::string*)>& body) {
  std::string j = "{\"type\":";
  AppendJsonString(&j, type);
  body(&j);
  j += "}\n";
  return j;
}

void Field(std::string* j, std::string_view key) {
  j->push_back(',');
  AppendJsonString(j, key);
  j->push_back(':');
}

//! The keys of the alerts earlier hunts raised (kamatama.alert.key), so a re-run adds none twice.
std::unordered_set<std::string> ExistingHuntKeys(store::Store* store, const clickhouse::Client* cluster,
                                                 const std::atomic<bool>* cancelled) {
  std::unordered_set<std::string> keys;
  auto q = query::Query::Parse("event.dataset:kamatama.alert AND kamatama.alert.origin:hunt");
  const query::Query& query = std::get<query::Query>(q);
  if (cluster) {  // issue 26: every node's hunt alerts
    (void)ClusterEventSource(*cluster, 0, cancelled)->Each(query, INT64_MIN, INT64_MAX, [&](Event&& ev) {
      if (const std::string* k = ev.Get("kamatama.alert.key")) keys.insert(*k);
      return true;
    });
    return keys;
  }
  query::QueryFilter filter(query);
  store::ScanOptions so;
  so.limit = 0;
  so.cancelled = cancelled;
  so.visit_fields = {"kamatama.alert.key"};
  std::mutex mu;
  so.visit = [&](const FieldAccessor& row, int64_t) {
    std::string_view k;
    if (!row.Get("kamatama.alert.key", &k)) return;
    std::lock_guard lock(mu);
    keys.emplace(k);
  };
  so.need_timestamps = false;
  store::ScanResult res;
  (void)store->Scan(filter, so, &res);  // none found on failure: at worst an alert is raised twice
  return keys;
}

//! State of one running hunt (lives in the stream).
struct HuntRun {
  const HuntSpec& spec;
  store::Store* store;
  ingest::Pipeline* pipeline;
  const ParseOptions& parse;
  const clickhouse::Client* cluster = nullptr;  //!< issue 26: hunted there instead of the store
  //! On the cluster: the rows the rules may match over the range, newest first
  //! (ClusterHuntRows), and how many of them the slices before took.
  std::vector<ClusterRow> rows = {};
  size_t rows_done = 0;
  std::vector<uint64_t> counts = {};
  uint64_t scanned = 0, events = 0, alerts = 0, duplicates = 0, blocks = 0, pruned = 0;
  bool complete = true;
  std::string error = {};
  std::unordered_set<std::string> keys = {};  //!< alert keys already raised
  std::vector<std::future<Status>> pending = {};  //!< alert batches being stored
  //! Correlations that fired over the range, in the order they first fired, with their counts.
  std::vector<std::pair<const detect::Correlation*, uint64_t>> correlated = {};
  bool correlations_ran = false;
};

//! Adds the alert of `rule` on `ev` to *batch, unless an earlier hunt (or this one) raised it.
void AddAlert(HuntRun* run, const detect::Rule& rule, const Event& ev, int64_t now, ingest::Batch* batch) {
  std::string key = AlertKey(rule, ev);
  if (!run->keys.insert(key).second) {
    ++run->duplicates;
    return;
  }
  RawRecord raw;
  raw.received_ns = now;
  raw.data = AddAlertFields(AlertJson(rule, ev, now), {{"kamatama.alert.origin", "hunt"}, {"kamatama.alert.key", key}});
  raw.flags = kRawJson | kRawInternal;
  batch->events.push_back(ParseRecord(raw, run->parse));
  batch->raws.push_back(std::move(raw));
}

//! Queues a batch of alerts to be stored (awaited before the hunt's last line).
void SubmitAlerts(HuntRun* run, ingest::Batch batch) {
  if (batch.events.empty()) return;
  run->alerts += batch.events.size();
  auto done = std::make_shared<std::promise<Status>>();
  run->pending.push_back(done->get_future());
  batch.done = [done](Status s) { done->set_value(s); };
  run->pipeline->Submit(std::move(batch), 10LL * kNanosPerSecond);
}

//! Queues alerts for the firings on the returned events (deduplicated by key).
void RaiseAlerts(HuntRun* run, const std::vector<std::pair<const Event*, std::vector<uint32_t>>>& found) {
  ingest::Batch batch;
  const int64_t now = NowNanos();
  for (const auto& [ev, rules] : found) {
    for (uint32_t i : rules) AddAlert(run, *run->spec.set->rules()[i], *ev, now, &batch);
  }
  SubmitAlerts(run, std::move(batch));
}

//! A `match` line: the ids that fired on `ev`.
std::string MatchLine(const std::vector<std::string_view>& ids, const Event& ev, bool correlation) {
  return Line("match", [&](std::string* j) {
    Field(j, "rule.id");
    j->push_back('[');
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i) j->push_back(',');
      AppendJsonString(j, ids[i]);
    }
    j->push_back(']');
    if (correlation) j->append(",\"correlation\":true");
    Field(j, "event");
    AppendEventJson(ev, j);
  });
}

//! The rows of the correlation pass's slices: the store's scan, or on the cluster the events of
//! the feeders' conditions, only in the slices that hold some (one GROUP BY first).
struct CorrelationSlices {
  HuntRun* run;
  detect::CorrelationHunt& hunt;
  const detect::RuleSetFilter& filter;
  int64_t slice;
  std::string where = {};
  std::vector<uint64_t> busy = {};

  //! False (the error noted) if the cluster did not answer.
  bool FindBusyOnCluster() {
    where = ClusterHuntSql(hunt.feeders());
    busy.assign(static_cast<size_t>((run->spec.to_ns - run->spec.from_ns + slice - 1) / slice), 0);
    return Check(ClusterHuntSlices(*run->cluster, where, run->spec.from_ns, slice, run->spec.deadline_ns, &busy));
  }
  bool Check(const Status& s) {
    if (s.ok()) return true;
    run->error = s.ToString();
    run->complete = false;
    return false;
  }
  //! Slice i, [from, to), into the hunt; false on an error (noted).
  bool Collect(int64_t i, int64_t from, int64_t to) {
    if (run->cluster) {
      if (busy[static_cast<size_t>(i)] == 0) return true;
      return Check(VisitClusterHunt(*run->cluster, where, from, to, run->spec.deadline_ns, [&](Event&& ev) {
        hunt.Collect(EventAccessor(ev), ev.timestamp_ns);
        return true;
      }));
    }
    store::ScanOptions so;
    so.from_ns = from;
    so.to_ns = to;
    so.limit = 0;
    so.deadline_ns = run->spec.deadline_ns;
    so.visit_fields = hunt.fields();
    so.visit = [this](const FieldAccessor& row, int64_t ts) { hunt.Collect(row, ts); };
    store::ScanResult res;
    if (!Check(run->store->Scan(filter, so, &res))) return false;
    if (res.timed_out) run->complete = false;
    return true;
  }
};

//! The correlations the hunted rules feed, decided over the range oldest hour first
//! (detect::CorrelationHunt): counts, `match` lines within the budget left (the event that
//! completed each, with the fields the correlation read), alerts. False once the client is gone.
bool HuntCorrelations(HuntRun* run, const BodyWriter& write) {
  detect::CorrelationHunt hunt(run->spec.correlations, *run->spec.set);
  if (!hunt.active()) return true;
  run->correlations_ran = true;
  detect::RuleSetFilter filter(hunt.feeders());
  ingest::Batch batch;
  const int64_t now = NowNanos();
  bool client = true;
  auto fired = [&](const detect::Correlation& c, const Event& ev) {
    auto it = std::find_if(run->correlated.begin(), run->correlated.end(), [&](const auto& p) { return p.first == &c; });
    if (it == run->correlated.end()) it = run->correlated.insert(it, {&c, 0});
    ++it->second;
    if (client && run->events < run->spec.limit) {
      ++run->events;
      client = write(MatchLine({c.rule->id}, ev, true));
    }
    if (run->spec.create_alerts) AddAlert(run, *c.rule, ev, now, &batch);
  };
  // An hour per slice, longer over long ranges (at most kMaxCorrelationSlices scans).
  const int64_t slice = std::max(kCorrelationSliceNs, (run->spec.to_ns - run->spec.from_ns) / kMaxCorrelationSlices + 1);
  CorrelationSlices slices{run, hunt, filter, slice};
  if (run->cluster && !slices.FindBusyOnCluster()) return true;
  for (int64_t from = run->spec.from_ns, i = 0; from < run->spec.to_ns && client; ++i) {
    const int64_t to = std::min(run->spec.to_ns, from + slice);
    if (!slices.Collect(i, from, to)) break;
    hunt.Flush(fired);
    if (!run->complete) break;
    from = to;
  }
  if (hunt.truncated()) run->complete = false;
  SubmitAlerts(run, std::move(batch));
  return client;
}

//! Writes the `match` line of `ev` (rules: the indices that fired); false once the client is gone.
bool WriteMatch(HuntRun* run, const Event& ev, const std::vector<uint32_t>& rules, const BodyWriter& write) {
  std::vector<std::string_view> ids;
  for (uint32_t i : rules) ids.push_back(run->spec.set->rules()[i]->id);
  ++run->events;
  return write(MatchLine(ids, ev, false));
}

//! HuntSlice on the cluster: the slice's rows (ClusterHuntRows) come back a page at a time and
//! the rules decide here (counts, match lines within the budget, their alerts).
bool ClusterHuntSlice(HuntRun* run, int64_t from, const BodyWriter& write) {
  const ClusterRow* begin = run->rows.data() + run->rows_done;
  size_t n = 0;
  while (run->rows_done + n < run->rows.size() && begin[n].ts_ns >= from) ++n;
  run->rows_done += n;
  if (n == 0) return true;
  detect::RuleSetFilter rules(*run->spec.set);
  std::vector<Event> returned;  // the events written (at most `limit`), for their alerts
  std::vector<std::vector<uint32_t>> fired_on;
  std::vector<uint32_t> fired;
  bool client = true;
  Status s = VisitClusterRows(*run->cluster, begin, begin + n, run->spec.deadline_ns, [&](Event&& ev) {
    ++run->scanned;
    rules.Fire(ev, &fired);
    for (uint32_t i : fired) ++run->counts[i];
    if (fired.empty() || run->events >= run->spec.limit) return true;
    if (!WriteMatch(run, ev, fired, write)) return client = false;
    if (run->spec.create_alerts) {
      returned.push_back(std::move(ev));
      fired_on.push_back(fired);
    }
    return true;
  });
  if (!client) return false;
  if (!s.ok()) {
    run->error = s.ToString();
    run->complete = false;
  }
  std::vector<std::pair<const Event*, std::vector<uint32_t>>> found;
  for (size_t i = 0; i < returned.size(); ++i) found.emplace_back(&returned[i], std::move(fired_on[i]));
  if (!found.empty()) RaiseAlerts(run, found);
  return true;
}

//! Scans one time slice: counts per rule, the newest matching events (within the budget left),
//! written as `match` lines. False once the client is gone.
bool HuntSlice(HuntRun* run, int64_t from, int64_t to, const BodyWriter& write) {
  if (run->cluster) return ClusterHuntSlice(run, from, write);
  const detect::RuleSet& set = *run->spec.set;
  const bool single = set.rules().size() == 1;
  store::ScanOptions so;
  so.from_ns = from;
  so.to_ns = to;
  so.limit = run->spec.limit > run->events ? run->spec.limit - run->events : 0;
  so.deadline_ns = run->spec.deadline_ns;
  std::unique_ptr<RowFilter> filter;
  if (single) filter = std::make_unique<detect::RuleFilter>(*set.rules()[0]);
  else filter = std::make_unique<detect::RuleSetFilter>(set);
  auto* many = single ? nullptr : static_cast<detect::RuleSetFilter*>(filter.get());
  store::ScanResult res;
  Status s = run->store->Scan(*filter, so, &res);
  if (s.ok() && !res.complete && !res.timed_out && so.limit > 0) {
    // The newest `limit` events were found, but the older blocks were skipped: count them.
    store::ScanOptions count = so;
    count.limit = 0;
    store::ScanResult counted;
    if (many) many->ResetCounts();
    s = run->store->Scan(*filter, count, &counted);
    res.matched = counted.matched;
    res.timed_out = counted.timed_out;
    res.scanned = counted.scanned;
  }
  if (!s.ok()) {
    run->error = s.ToString();
    run->complete = false;
    return true;
  }
  if (res.timed_out) run->complete = false;
  run->scanned += res.scanned;
  run->blocks += res.blocks_total;
  run->pruned += res.blocks_pruned;
  if (single) run->counts[0] += res.matched;
  else {
    for (size_t i = 0; i < set.rules().size(); ++i) run->counts[i] += many->Count(i);
  }
  std::vector<std::pair<const Event*, std::vector<uint32_t>>> found;
  for (const Event& ev : res.events) {
    std::vector<uint32_t> rules;
    if (single) rules = {0};
    else many->Fire(ev, &rules);
    if (rules.empty()) continue;  // cannot happen: the filter matched it
    if (!WriteMatch(run, ev, rules, write)) return false;
    if (run->spec.create_alerts) found.emplace_back(&ev, std::move(rules));
  }
  if (!found.empty()) RaiseAlerts(run, found);
  return true;
}

//! On the cluster: the rows the rules may match over the range (ClusterHuntRows). False (the
//! error noted) if the cluster failed or there are too many.
bool FindClusterRows(HuntRun* run) {
  Status s = ClusterHuntRows(*run->cluster, *run->spec.set, run->spec.from_ns, run->spec.to_ns, run->spec.deadline_ns,
                             &run->rows);
  if (s.ok()) return true;
  run->error = s.ToString();
  run->complete = false;
  return false;
}

//! The last line: counts per rule (rules that fired first), totals and whether it is complete.
std::string DoneLine(HuntRun* run, int64_t took_ns) {
  const auto& rules = run->spec.set->rules();
  std::vector<size_t> order(rules.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return run->counts[a] > run->counts[b]; });
  uint64_t matched = 0;
  for (uint64_t c : run->counts) matched += c;
  return Line("done", [&](std::string* j) {
    Field(j, "counts");
    j->push_back('[');
    size_t n = 0;
    for (size_t i : order) {
      if (run->counts[i] == 0 && n >= kMaxReportedRules) break;  // the rules that fired, and a few more
      if (n++) j->push_back(',');
      j->append(fmt::format("{{\"rule.id\":"));
      AppendJsonString(j, rules[i]->id);
      j->append(",\"rule.name\":");
      AppendJsonString(j, rules[i]->title);
      j->append(",\"rule.level\":");
      AppendJsonString(j, rules[i]->level);
      j->append(fmt::format(",\"count\":{}}}", run->counts[i]));
    }
    j->push_back(']');
    j->append(fmt::format(",\"rules\":{},\"matched\":{},\"events\":{},\"scanned\":{},\"blocks\":{},\"blocks_pruned\":{}",
                          rules.size(), matched, run->events, run->scanned, run->blocks, run->pruned));
    j->append(fmt::format(",\"alerts\":{},\"alerts_duplicate\":{},\"took_ms\":{},\"complete\":{}", run->alerts,
                          run->duplicates, took_ns / 1'000'000, run->complete ? "true" : "false"));
    if (run->correlations_ran) {
      j->append(",\"correlations\":[");
      for (size_t i = 0; i < run->correlated.size(); ++i) {
        const detect::Rule& r = *run->correlated[i].first->rule;
        j->append(i ? ",{\"rule.id\":" : "{\"rule.id\":");
        AppendJsonString(j, r.id);
        j->append(",\"rule.name\":");
        AppendJsonString(j, r.title);
        j->append(",\"rule.level\":");
        AppendJsonString(j, r.level);
        j->append(fmt::format(",\"count\":{}}}", run->correlated[i].second));
      }
      j->push_back(']');
    }
    if (!run->error.empty()) {
      Field(j, "error");
      AppendJsonString(j, run->error);
    }
  });
}

//! What a hunt ended with, for the audit log.
struct HuntOutcome {
  uint64_t events = 0;  //!< match lines written
  bool cancelled = false;  //!< the client went away
};

//! Runs the hunt day by day, newest day first, writing as it goes.
HuntOutcome RunHunt(const HuntSpec& spec, store::Store* store, const clickhouse::Client* cluster,
                    ingest::Pipeline* pipeline, const ParseOptions& parse, const BodyWriter& write) {
  const int64_t t0 = store::NowSteady();
  HuntRun run{spec, store, pipeline, parse, cluster};
  run.counts.assign(spec.set->rules().size(), 0);
  std::string head = Line("hunt", [&](std::string* j) {
    j->append(fmt::format(",\"rules\":{}", spec.set->rules().size()));
    Field(j, "from");
    AppendJsonString(j, FormatRfc3339(spec.from_ns));
    Field(j, "to");
    AppendJsonString(j, FormatRfc3339(spec.to_ns));
  });
  if (!write(head)) return {0, true};
  if (spec.create_alerts) run.keys = ExistingHuntKeys(store, cluster, nullptr);
  // Slices of whole UTC days (more than kMaxHuntSlices days: longer slices), newest first: the
  // client sees progress, and a client that went away stops the hunt within a slice.
  const int64_t span = std::max<int64_t>(kNanosPerDay, (spec.to_ns - spec.from_ns) / kMaxHuntSlices + 1);
  const bool found = !cluster || FindClusterRows(&run);
  for (int64_t end = spec.to_ns; found && end > spec.from_ns;) {
    const int64_t start = std::max(spec.from_ns, (DayOf(end - 1) * kNanosPerDay) - (span - kNanosPerDay));
    if (!HuntSlice(&run, start, end, write)) return {run.events, true};  // the client went away
    end = start;
    if (!run.complete) break;
    const std::string progress = Line("progress", [&](std::string* j) {
      Field(j, "through");
      AppendJsonString(j, FormatRfc3339(start));
      j->append(fmt::format(",\"scanned\":{}", run.scanned));
    });
    if (!write(progress)) return {run.events, true};
  }
  if (run.complete && spec.correlations && !HuntCorrelations(&run, write)) return {run.events, true};
  for (auto& f : run.pending) {
    Status s = f.get();
    if (!s.ok() && run.error.empty()) run.error = "alerts not stored: " + s.ToString();
  }
  return {run.events, !write(DoneLine(&run, store::NowSteady() - t0))};
}

}  // namespace

Response Api::Hunt(const Request& req) {
  static Counter& hunts = GetCounter("kamatama_hunts_total", "", "Retro-hunts started");
  if (req.method != "POST") return JsonError(405, "use POST");
  auto spec = std::make_shared<HuntSpec>();
  const auto live = detection_ ? detection_->Rules() : nullptr;
  auto correlations = alerts_ ? alerts_->Correlations() : nullptr;
  if (std::string err = ParseHunt(req, cfg_, live.get(), correlations ? correlations->shared_set() : nullptr, spec.get());
      !err.empty())
    return JsonError(400, err);
  if (spec->create_alerts && !pipeline_) return JsonError(503, "alerts cannot be stored by this process");
  // Bounded like an export (the hunt streams): query.export_timeout, 0 = none.
  spec->deadline_ns = cfg_.query.export_timeout_ns ? store::NowSteady() + cfg_.query.export_timeout_ns : 0;
  // Fail closed (issue 19): the hunt's audit record is written when it ends.
  if (pipeline_ && !pipeline_->ReserveHasRoom(64u << 10))
    return JsonError(503, "the audit log cannot record this hunt now (store read-only or audit queue full)");
  hunts.Add();
  auto req_copy = std::make_shared<Request>();
  req_copy->method = req.method;
  req_copy->path = req.path;
  req_copy->client = req.client;
  Response r;
  r.content_type = "application/x-ndjson";
  r.stream = [this, spec, req_copy, who = req.principal](const BodyWriter& write) {
    const HuntOutcome out = RunHunt(*spec, store_, clickhouse_, pipeline_, cfg_.parse, write);
    Audit(*req_copy, who, "hunt", out.cancelled ? "cancelled" : "success",
          {{"kamatama.query", "rules:" + spec->described.substr(0, 4096)}, {"kamatama.results", std::to_string(out.events)}});
  };
  return r;
}

}  // namespace kamatama::server
