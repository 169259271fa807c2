// server/coverage.cc
#include "server/coverage.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"
#include "detect/tuning.h"
#include "server/alerts_routes.h"
#include "server/api.h"  // Api::SeenSources is defined here

namespace kamatama::server {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool In(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool AltFed(const detect::RouteAlt& a, const SeenSource& s) {
  const std::string channel = Lower(s.channel), provider = Lower(s.provider);
  bool where = a.channels.empty() && a.providers.empty() && a.datasets.empty();
  if (!channel.empty() && In(a.channels, channel)) where = true;
  if (!provider.empty() && In(a.providers, provider)) where = true;
  for (const std::string& d : a.datasets) {
    const std::string ds = Lower(s.dataset);
    if (ds == d || ds.rfind(d + ".", 0) == 0) where = true;
  }
  return where && (a.codes.empty() || In(a.codes, s.code));
}

void AppendList(std::string* j, const std::set<std::string>& v) {
  j->push_back('[');
  bool first = true;
  for (const auto& s : v) {
    if (!first) j->push_back(',');
    first = false;
    AppendJsonString(j, s);
  }
  j->push_back(']');
}

struct Blind {
  size_t rules = 0;
  std::set<std::string> sources;  // what is missing (LogsourceKey)
};

void AppendBlindMap(std::string* j, const char* name, const std::map<std::string, Blind>& m) {
  *j += fmt::format(",\"{}\":[", name);
  bool first = true;
  for (const auto& [k, b] : m) {
    if (!first) j->push_back(',');
    first = false;
    *j += "{\"id\":";
    AppendJsonString(j, k);
    *j += fmt::format(",\"blind_rules\":{},\"missing_logsources\":", b.rules);
    AppendList(j, b.sources);
    j->push_back('}');
  }
  j->push_back(']');
}

}  // namespace

bool RouteFed(const detect::Route& route, const std::vector<SeenSource>& seen) {
  if (route.alts.empty()) return true;
  for (const detect::RouteAlt& a : route.alts)
    for (const SeenSource& s : seen)
      if (AltFed(a, s)) return true;
  return false;
}

std::string RouteNeeds(const detect::Route& route) {
  std::string out;
  for (const detect::RouteAlt& a : route.alts) {
    std::string what;
    for (const auto& c : a.channels) what += (what.empty() ? "" : " or ") + ("winlog.channel " + c);
    for (const auto& p : a.providers) what += (what.empty() ? "" : " or ") + ("event.provider " + p);
    for (const auto& d : a.datasets) what += (what.empty() ? "" : " or ") + ("event.dataset " + d + " (or below)");
    if (!a.codes.empty()) {
      std::string codes;
      for (const auto& c : a.codes) codes += (codes.empty() ? "" : ",") + c;
      what += " with event.code " + codes;
    }
    out += (out.empty() ? "" : "; or ") + what;
  }
  return out.empty() ? "any event" : out;
}

std::vector<std::string> RuleTactics(const detect::Rule& rule) {
  std::vector<std::string> out;
  for (const std::string& tag : rule.tags) {
    const std::string t = Lower(tag);
    if (t.rfind("attack.", 0) != 0) continue;
    const std::string rest = t.substr(7);
    if (rest.empty() || ((rest[0] == 't' || rest[0] == 'g' || rest[0] == 's') && rest.size() > 1 && std::isdigit(rest[1])))
      continue;
    out.push_back(rest);
  }
  return out;
}

Response CoverageResponse(const Request& req, const AlertRoutes& ctx) {
  int days = 7;
  if (auto it = req.params.find("days"); it != req.params.end()) days = std::atoi(it->second.c_str());
  if (days < 1 || days > 3650) return JsonError(400, "days must be 1 to 3650");
  auto set = ctx.detection ? ctx.detection->Rules() : nullptr;
  if (!ctx.seen_sources) return JsonError(503, "the sources cannot be read");
  const std::vector<SeenSource> seen = ctx.seen_sources(NowNanos() - int64_t{days} * kNanosPerDay);
  std::map<std::string, Blind> by_tactic, by_technique, by_logsource;
  std::string rules = "[";
  size_t blind = 0, total = 0;
  if (set) {
    for (const auto& r : set->rules()) {
      ++total;
      const bool fed = RouteFed(r->route, seen);
      const std::string ls = detect::LogsourceKey(r->logsource);
      if (!fed) {
        ++blind;
        for (const auto& t : RuleTactics(*r)) ++by_tactic[t].rules, by_tactic[t].sources.insert(ls);
        for (const auto& t : r->techniques) ++by_technique[t].rules, by_technique[t].sources.insert(ls);
        Blind& b = by_logsource[ls];
        ++b.rules;
        b.sources.insert(RouteNeeds(r->route));
      }
      if (rules.size() > 1) rules.push_back(',');
      rules += "{\"id\":";
      AppendJsonString(&rules, r->id);
      rules += fmt::format(",\"fed\":{},\"logsource\":", fed ? "true" : "false");
      AppendJsonString(&rules, ls);
      if (!fed) {
        rules += ",\"needs\":";
        AppendJsonString(&rules, RouteNeeds(r->route));
      }
      rules += "}";
    }
  }
  std::string j = fmt::format("{{\"days\":{},\"rules_total\":{},\"rules_blind\":{},\"sources_seen\":{}", days, total,
                              blind, seen.size());
  AppendBlindMap(&j, "blind_by_tactic", by_tactic);
  AppendBlindMap(&j, "blind_by_technique", by_technique);
  // Per logsource: the missing source named ("needs"), e.g. windows/process_creation.
  j += ",\"blind_by_logsource\":[";
  bool first = true;
  for (const auto& [k, b] : by_logsource) {
    if (!first) j.push_back(',');
    first = false;
    j += "{\"logsource\":";
    AppendJsonString(&j, k);
    j += fmt::format(",\"blind_rules\":{},\"needs\":", b.rules);
    AppendJsonString(&j, *b.sources.begin());
    j += ",\"message\":";
    AppendJsonString(&j, fmt::format("{} {} rule(s) are blind: no events of {} in the last {} day(s)", b.rules, k,
                                     *b.sources.begin(), days));
    j += "}";
  }
  j += "],\"rules\":" + rules + "]}";
  return Response{200, "application/json", j};
}

}  // namespace kamatama::server

namespace kamatama::server {

std::vector<SeenSource> Api::SeenSources(int64_t since_ns, const std::atomic<bool>* cancelled) {
  auto parsed = query::ParsePipeline(
      "NOT event.dataset:kamatama.* | stats count() by event.dataset, winlog.channel, event.provider, event.code");
  auto q = query::Query::Parse(std::get<query::Pipeline>(parsed).filter);
  store::ScanOptions so;
  so.from_ns = since_ns;
  so.to_ns = NowNanos() + kNanosPerDay;
  so.cancelled = cancelled;
  so.deadline_ns = store::NowSteady() + cfg_.query.timeout_ns;
  query::Table table;
  store::ScanResult res;
  bool complete = true;
  std::vector<SeenSource> out;
  if (!ComputeTable(std::get<query::Pipeline>(parsed), std::get<query::Query>(q), so, &table, &res, &complete).ok())
    return out;
  for (const auto& row : table.rows) {
    if (row.size() < 4) continue;
    out.push_back({row[0], row[1], row[2], row[3]});
  }
  return out;
}

}  // namespace kamatama::server
