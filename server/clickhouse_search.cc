// server/clickhouse_search.cc
//! Issue 26: the members of Api that answer /api/v1/search from the ClickHouse cluster
//! (store.backend: clickhouse). Pushed down: the filter (clickhouse::WhereSql) with the search's
//! time range, narrowed by the token table for a rare term (clickhouse::TokenPrefilter), newest
//! `limit` events and their count, and a first aggregating stage (`stats` with or without `by`,
//! `timechart`, every aggregate, `top`, `rare`: clickhouse::StatsSql), later stages applied to
//! its small table here; a pipeline that does not aggregate (sort, head, fields, where) works on
//! the newest query.max_limit events, as on one machine. Also the investigation layer's source
//! (ClusterEventSource: its searches on the cluster).
//! Anything else is refused with 400 naming what is not supported: the local store is only this
//! node's spool, so answering from it would silently leave out other nodes' events.
//! Limits: query.timeout as max_execution_time, query.max_limit / query.max_groups as row
//! limits; a client that goes away gets its query killed (KILL QUERY by query_id).
#include <algorithm>
#include <charconv>
#include <tuple>

#include <fmt/format.h>

#include "clickhouse/search.h"
#include "clickhouse/sql.h"
#include "detect/ruleset.h"
#include "server/api.h"
#include "server/hunt_routes.h"
#include "server/investigate_routes.h"

namespace kamatama::server {

namespace {

//! q's WHERE clause within so's time range.
Status TranslatedWhere(const query::Query& q, const store::ScanOptions& so, std::string* where) {
  if (Status s = clickhouse::WhereSql(q, where); !s.ok())
    return Status::InvalidArgument("store.backend clickhouse: " + s.message());
  const std::string time = clickhouse::TimeSql(query::TimeRange{so.from_ns, so.to_ns});
  if (time != "1") *where = "(" + time + ") AND (" + *where + ")";
  return Status::OK();
}

clickhouse::QueryLimits LimitsOf(int64_t deadline_ns, const std::atomic<bool>* cancelled, size_t max_rows) {
  clickhouse::QueryLimits lim;
  if (deadline_ns > 0) lim.timeout_ns = std::max<int64_t>(1, deadline_ns - store::NowSteady());
  lim.max_result_rows = max_rows;
  lim.cancelled = cancelled;
  return lim;
}

clickhouse::QueryLimits LimitsOf(const store::ScanOptions& so, size_t max_rows) {
  return LimitsOf(so.deadline_ns, so.cancelled, max_rows);
}

//! q's WHERE clause within so's time range, narrowed by the token table for a
//! rare term (clickhouse::TokenPrefilter).
Status ClusterWhere(const clickhouse::Client& client, const query::Query& q, const store::ScanOptions& so,
                    std::string* where) {
  if (Status s = TranslatedWhere(q, so, where); !s.ok()) return s;
  std::string cond;
  const std::string time = "(" + clickhouse::TimeSql(q.TimeBounds()) + ") AND (" +
                           clickhouse::TimeSql(query::TimeRange{so.from_ns, so.to_ns}) + ")";
  if (Status s = clickhouse::TokenPrefilter(client, q, time, LimitsOf(so, 0), &cond); !s.ok()) return s;
  if (!cond.empty()) *where = "(" + cond + ") AND (" + *where + ")";
  return Status::OK();
}

//! The investigation layer's searches on the cluster.
class ClusterSource final : public investigate::EventSource {
 public:
  ClusterSource(const clickhouse::Client& client, int64_t deadline_ns, const std::atomic<bool>* cancelled)
      : client_(client) {
    so_.deadline_ns = deadline_ns;
    so_.cancelled = cancelled;
  }
  Status Find(const query::Query& q, int64_t from_ns, int64_t to_ns, size_t limit, std::vector<Event>* out,
              uint64_t* matched) const override {
    std::string where;
    if (Status s = ClusterWhere(client_, q, Range(from_ns, to_ns), &where); !s.ok()) return s;
    clickhouse::EventsAnswer answer;
    if (Status s = clickhouse::SearchEvents(client_, where, limit, LimitsOf(so_, limit + 1), &answer); !s.ok()) return s;
    *out = std::move(answer.events);
    *matched = answer.matched;
    return Status::OK();
  }
  Status Each(const query::Query& q, int64_t from_ns, int64_t to_ns,
              const std::function<bool(Event&&)>& visit) const override {
    std::string where;
    if (Status s = ClusterWhere(client_, q, Range(from_ns, to_ns), &where); !s.ok()) return s;
    return clickhouse::VisitEvents(client_, where, 0, LimitsOf(so_, 0), visit);
  }

 private:
  store::ScanOptions Range(int64_t from_ns, int64_t to_ns) const {
    store::ScanOptions so = so_;
    so.from_ns = from_ns;
    so.to_ns = to_ns;
    return so;
  }
  const clickhouse::Client& client_;
  store::ScanOptions so_;
};

}  // namespace

namespace {

//! kamatama's own events (detect::IsOwnDataset) never match: left out in the cluster.
std::string NotOwnSql() {
  auto own = query::Query::Parse("NOT event.dataset:/kamatama\\..*/");
  return clickhouse::SupersetSql(std::get<query::Query>(own));
}

//! The rules' conditions ORed in groups of at most kMaxHuntSqlBytes (a larger rule alone).
std::vector<std::string> HuntSqlGroups(const detect::RuleSet& set) {
  std::vector<std::string> groups;
  std::string group;
  for (const auto& rule : set.rules()) {
    std::string one = clickhouse::SupersetSql(rule->query);
    if (!group.empty() && group.size() + one.size() > kMaxHuntSqlBytes) groups.push_back(std::move(group)), group.clear();
    group += (group.empty() ? "" : " OR ") + one;
  }
  if (!group.empty()) groups.push_back(std::move(group));
  return groups;
}

//! Appends the rows of `answer` (ts_ns, node, seq as TabSeparated).
Status ReadRows(std::string_view answer, std::vector<ClusterRow>* rows) {
  while (!answer.empty()) {
    const size_t nl = answer.find('\n');
    std::string_view line = answer.substr(0, nl);
    answer = nl == std::string_view::npos ? std::string_view() : answer.substr(nl + 1);
    const size_t a = line.find('\t'), b = line.rfind('\t');
    ClusterRow r;
    auto number = [](std::string_view t, auto* v) {
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), *v);
      return ec == std::errc() && end == t.data() + t.size();
    };
    if (a == b || !number(line.substr(0, a), &r.ts_ns) || !number(line.substr(b + 1), &r.seq))
      return Status::Corruption("unexpected row from ClickHouse: " + std::string(line.substr(0, 200)));
    r.node = clickhouse::UnescapeTsv(line.substr(a + 1, b - a - 1));
    rows->push_back(std::move(r));
  }
  return Status::OK();
}

}  // namespace

std::string ClusterHuntSql(const detect::RuleSet& set) {
  std::string sql = NotOwnSql() + " AND (";
  for (size_t i = 0; i < set.rules().size(); ++i) sql += (i ? " OR " : "") + clickhouse::SupersetSql(set.rules()[i]->query);
  return sql + ")";
}

Status ClusterHuntRows(const clickhouse::Client& client, const detect::RuleSet& set, int64_t from_ns, int64_t to_ns,
                       int64_t deadline_ns, std::vector<ClusterRow>* rows) {
  const std::string head = "(" + clickhouse::TimeSql(query::TimeRange{from_ns, to_ns}) + ") AND " + NotOwnSql();
  rows->clear();
  for (const std::string& group : HuntSqlGroups(set)) {
    std::string answer;
    const std::string sql = fmt::format("SELECT ts_ns, node, seq FROM {}.events WHERE {} AND ({}) LIMIT {} FORMAT TabSeparated",
                                        client.options().database, head, group, kMaxClusterHuntRows + 1);
    if (Status s = clickhouse::RunQuery(client, sql, LimitsOf(deadline_ns, nullptr, 0), &answer); !s.ok()) return s;
    if (Status s = ReadRows(answer, rows); !s.ok()) return s;
    auto newest_first = [](const ClusterRow& x, const ClusterRow& y) {
      return std::tie(y.ts_ns, x.node, x.seq) < std::tie(x.ts_ns, y.node, y.seq);
    };
    std::sort(rows->begin(), rows->end(), newest_first);
    rows->erase(std::unique(rows->begin(), rows->end(),
                            [](const ClusterRow& x, const ClusterRow& y) { return x.node == y.node && x.seq == y.seq && x.ts_ns == y.ts_ns; }),
                rows->end());
    if (rows->size() > kMaxClusterHuntRows)
      return Status::ResourceExhausted(fmt::format(
          "store.backend clickhouse: more than {} events may match these rules in the range: hunt a shorter range or "
          "fewer rules", kMaxClusterHuntRows));
  }
  return Status::OK();
}

Status VisitClusterRows(const clickhouse::Client& client, const ClusterRow* begin, const ClusterRow* end,
                        int64_t deadline_ns, const std::function<bool(Event&&)>& visit) {
  constexpr size_t kPage = 2000;
  for (const ClusterRow* page = begin; page < end; page += std::min<size_t>(kPage, static_cast<size_t>(end - page))) {
    const ClusterRow* last = page + std::min<size_t>(kPage, static_cast<size_t>(end - page));
    std::string in;
    for (const ClusterRow* r = page; r < last; ++r) in += fmt::format("{}({}, {})", in.empty() ? "" : ", ", clickhouse::SqlString(r->node), r->seq);
    // Newest first: this page's rows lie within [last - 1, page] in time.
    const std::string where = fmt::format("({}) AND (node, seq) IN ({})",
                                          clickhouse::TimeSql(query::TimeRange{(last - 1)->ts_ns, page->ts_ns + 1}), in);
    bool more = true;
    Status s = clickhouse::VisitEvents(client, where, 0, LimitsOf(deadline_ns, nullptr, 0), [&](Event&& ev) {
      return more = visit(std::move(ev));
    });
    if (!s.ok() || !more) return s;
  }
  return Status::OK();
}

Status VisitClusterHunt(const clickhouse::Client& client, const std::string& where, int64_t from_ns, int64_t to_ns,
                        int64_t deadline_ns, const std::function<bool(Event&&)>& visit) {
  const std::string sql = "(" + clickhouse::TimeSql(query::TimeRange{from_ns, to_ns}) + ") AND " + where;
  return clickhouse::VisitEvents(client, sql, 0, LimitsOf(deadline_ns, nullptr, 0), visit);
}

Status ClusterHuntSlices(const clickhouse::Client& client, const std::string& where, int64_t from_ns, int64_t width_ns,
                         int64_t deadline_ns, std::vector<uint64_t>* counts) {
  const int64_t to_ns = from_ns + width_ns * static_cast<int64_t>(counts->size());
  const std::string sql = "(" + clickhouse::TimeSql(query::TimeRange{from_ns, to_ns}) + ") AND " + where;
  uint64_t matched = 0;
  return clickhouse::BucketCounts(client, sql, from_ns, width_ns, LimitsOf(deadline_ns, nullptr, 0), counts, &matched);
}

std::shared_ptr<const investigate::EventSource> ClusterEventSource(const clickhouse::Client& client, int64_t deadline_ns,
                                                                   const std::atomic<bool>* cancelled) {
  return std::make_shared<ClusterSource>(client, deadline_ns, cancelled);
}

Status Api::RemoteWhere(const query::Query& q, const store::ScanOptions& so, std::string* where) {
  return TranslatedWhere(q, so, where);
}

Status Api::RemoteFilter(const query::Query& q, const store::ScanOptions& so, std::string* where) {
  return ClusterWhere(*clickhouse_, q, so, where);
}

Status Api::RemoteScan(const query::Query& q, const store::ScanOptions& so, store::ScanResult* res) {
  std::string where;
  if (Status s = RemoteFilter(q, so, &where); !s.ok()) return s;
  clickhouse::EventsAnswer answer;
  if (Status s = clickhouse::SearchEvents(*clickhouse_, where, so.limit, LimitsOf(so, so.limit + 1), &answer); !s.ok())
    return s;
  res->events = std::move(answer.events);
  res->matched = answer.matched;
  res->scanned = 0;  // the cluster does not say how many rows it read
  res->complete = true;
  return Status::OK();
}

Status Api::RemoteTable(const query::Pipeline& pipeline, const query::Query& q, const store::ScanOptions& so,
                        query::Table* table, store::ScanResult* res, bool* groups_complete) {
  const query::Stage& first = pipeline.stages[0];
  *groups_complete = true;
  if (!pipeline.Aggregates()) {
    // As ComputeTable: the newest query.max_limit events as a table, the stages applied to it.
    store::ScanOptions events = so;
    events.limit = cfg_.query.max_limit;
    if (Status s = RemoteScan(q, events, res); !s.ok()) return s;
    std::vector<std::string> cols;
    if (first.kind == query::StageKind::kFields) cols = first.fields;
    *table = query::EventsToTable(res->events, cols);
    return query::ApplyStages(pipeline.stages, 0, table);
  }
  std::string where;
  if (Status s = RemoteFilter(q, so, &where); !s.ok()) return s;
  const size_t max_groups = cfg_.query.max_groups;
  Status s = clickhouse::StatsTable(*clickhouse_, first, where, max_groups, LimitsOf(so, max_groups + 1), table,
                                    groups_complete);
  if (s.code() == Status::Code::kInvalidArgument && s.message().find("pushed down") != std::string::npos)
    return Status::InvalidArgument("store.backend clickhouse: " + s.message());
  if (!s.ok()) return s;
  res->complete = true;
  return query::ApplyStages(pipeline.stages, 1, table);
}

Status Api::RemoteHistogram(const query::Query& q, const store::ScanOptions& so, int64_t width,
                            std::vector<uint64_t>* counts, store::ScanResult* res) {
  std::string where;
  if (Status s = RemoteFilter(q, so, &where); !s.ok()) return s;
  res->complete = true;
  return clickhouse::BucketCounts(*clickhouse_, where, so.from_ns, width, LimitsOf(so, counts->size() + 1), counts,
                                  &res->matched);
}

Status Api::RemoteVisit(const query::Query& q, const store::ScanOptions& so, store::ScanResult* res) {
  std::string where;
  if (Status s = RemoteFilter(q, so, &where); !s.ok()) return s;
  uint64_t n = 0;
  Status s = clickhouse::VisitEvents(*clickhouse_, where, so.limit, LimitsOf(so, 0), [&](Event&& ev) {
    ++n;
    return so.visit_event(std::move(ev));
  });
  res->matched = n;
  res->complete = s.ok();
  return s;
}

Status Api::ScanEvents(const query::Query& q, const store::ScanOptions& so, store::ScanResult* res) {
  if (clickhouse_) return RemoteScan(q, so, res);
  query::QueryFilter filter(q);
  return store_->Scan(filter, so, res);
}

}  // namespace kamatama::server
