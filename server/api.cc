// server/api.cc
#include "server/api.h"
#include "server/admin_routes.h"
#include "server/investigate_routes.h"
#include "server/alerts_routes.h"
#include "server/case_routes.h"

#include <simdjson.h>

#include <charconv>
#include <future>
#include <unordered_map>
#include <set>

#include <sys/statvfs.h>

#include <fmt/format.h>

#include "core/csv.h"
#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"
#include "parsers/json_event.h"
#include "parsers/parse.h"
#include "query/pipes.h"
#include "query/query.h"
#include "server/intel_routes.h"
#include "server/library_routes.h"
#include "server/unparsed_routes.h"
#include "server/shipped_dashboards.h"
#include "server/notify_routes.h"
#include "server/schedule_routes.h"
#include "server/selfmon.h"
#include "server/shipper_routes.h"
#include "server/web_routes.h"

namespace kamatama::server {

namespace {
// A failed scan: 422 when the query hit its memory cap (the client must narrow it), else 500.
Response ScanError(const Status& s, std::string_view what) {
  if (s.code() == Status::Code::kResourceExhausted) return JsonError(422, s.message());
  return JsonError(500, fmt::format("{} failed: {}", what, s.ToString()));
}

const std::string* Param(const Request& req, const std::string& name) {
  auto it = req.params.find(name);
  return it == req.params.end() ? nullptr : &it->second;
}

using query::QueryFilter;  // query/query.h
}  // namespace

Api::Api(const Config& cfg, store::Store* store, ingest::Pipeline* pipeline)
    : cfg_(cfg), store_(store), pipeline_(pipeline), tails_(cfg.query.max_tails) {
  if (pipeline_) {
    pipeline_->SetObserver([this](const std::vector<Event>& evs) {
      tails_.Publish(evs);
      for (const Event& ev : evs) leases_.Observe(ev);  // issue 22: DHCP leases as they arrive
      if (monitor_) monitor_->Observe(evs);  // issue 10: per-source last-seen, ingest lag
    });
  }
  RegisterGauge("kamatama_partitions", "Day partitions in the store",
                [this] { return static_cast<double>(store_->Stats().partitions); });
  RegisterGauge("kamatama_store_disk_bytes", "Bytes of the data directory",
                [this] { return static_cast<double>(store_->Stats().disk_bytes); });
  RegisterGauge("kamatama_store_filter_bytes", "Bytes of token filters held in memory (at most half of storage.cache)",
                [this] { return static_cast<double>(store_->Stats().filter_bytes); });
  RegisterGauge("kamatama_store_events", "Events in the store (blocks and in-memory builders)", [this] {
    auto s = store_->Stats();
    return static_cast<double>(s.events_in_blocks + s.events_in_memory);
  });
}

Response Api::Handle(Request& req) {
  // Issue 8: every request is checked against the route table before dispatch (auth.h).
  const RouteRule* rule = FindRoute(req);
  const bool open = (rule && !rule->auth) || (req.path == "/metrics" && cfg_.auth.metrics_anonymous);
  if (!open && !req.admitted) {
    if (auto refused = Authorize(req, rule)) return std::move(*refused);
  }
  Response r = Dispatch(req);
  if (rule && (rule->perm == kPermSearch || rule->perm == kPermExport) && req.path != "/metrics" &&
      req.path != "/api/v1/fieldnames" && req.path != "/api/v1/sources" && !r.stream) {
    std::vector<std::pair<std::string, std::string>> extra;
    auto q = req.params.find("q");
    std::string qtext = q == req.params.end() ? "" : q->second;
    // A POSTed query may be a megabyte (issue 28): the audit keeps its start and its size.
    if (qtext.size() > kMaxAuditedQuery) {
      extra.emplace_back("kamatama.query_bytes", std::to_string(qtext.size()));
      qtext = qtext.substr(0, kMaxAuditedQuery) + "...";
    }
    extra.emplace_back("kamatama.query", std::move(qtext));
    if (r.results >= 0) extra.emplace_back("kamatama.results", std::to_string(r.results));
    extra.emplace_back("http.response.status_code", std::to_string(r.status));
    // Fail closed (issue 19): what cannot be recorded is not answered.
    if (!Audit(req, req.principal, req.path.substr(8), r.status < 400 ? "success" : "failure", extra))
      return JsonError(503, "the audit log cannot record this search now (store read-only or audit queue full)");
  }
  return r;
}

Response Api::Dispatch(Request& req) {
  if (req.path == "/api/v1/login") return Login(req);
  if (req.path == "/api/v1/logout") return Logout(req);
  if (req.path == "/api/v1/me") return Me(req);
  if (req.path == "/api/v1/password") return ChangeOwnPassword(req);
  if (req.path == "/api/v1/users" || req.path.rfind("/api/v1/users/", 0) == 0) return Users(req);
  if (req.path == "/api/v1/tokens" || req.path.rfind("/api/v1/tokens/", 0) == 0) return Tokens(req);
  // Shipper dialects (Elasticsearch _bulk, Loki, Splunk HEC, GELF): before the web UI, which
  // also serves `/` (see LooksLikeElasticClient).
  if (auto r = HandleShipperRoute(req, ShipperContext{cfg_, pipeline_})) return std::move(*r);
  if (auto r = HandleAdminRoute(req, store_, cfg_)) {  // issue 10: /api/v1/admin/backup
    if (req.path == "/api/v1/admin/backup" && req.method == "POST") {  // issue 8: audited
      std::vector<std::pair<std::string, std::string>> extra;
      auto to = req.params.find("to");
      extra.emplace_back("kamatama.target", to == req.params.end() ? "" : to->second);
      extra.emplace_back("http.response.status_code", std::to_string(r->status));
      simdjson::dom::parser parser;
      auto doc = parser.parse(r->body);
      std::string_view err;
      int64_t id = 0;
      if (!doc.error() && !doc.value()["error"].get(err)) extra.emplace_back("error.message", std::string(err));
      if (!doc.error() && !doc.value()["backup_id"].get(id)) extra.emplace_back("kamatama.backup_id", std::to_string(id));
      Audit(req, req.principal, "backup", r->status < 400 ? "success" : "failure", extra);
    }
    return std::move(*r);
  }
  if (intel_ && req.path.starts_with("/api/v1/lists")) {  // issue 28
    std::optional<Response> r = intel_->Handle(req);
    if (r && req.method != "GET") {  // changes and hunts are audited
      const std::string name = req.path.size() > 14 ? req.path.substr(14, req.path.find('/', 14) - 14) : "";
      const char* action = req.method == "PUT" ? "list.put" : req.method == "DELETE" ? "list.delete" : "list.hunt";
      Audit(req, req.principal, action, r->status < 400 ? "success" : "failure",
            {{"kamatama.target", name}, {"http.response.status_code", std::to_string(r->status)}});
    }
    if (r) return std::move(*r);
  }
  if (alerts_ || req.path.rfind("/api/v1/alerts", 0) == 0 || req.path.rfind("/api/v1/rules", 0) == 0) {  // issue 21
    AlertRoutes ctx{alerts_, detection_, [this, &req](std::string_view action, std::string_view outcome, const auto& extra) {
                      return Audit(req, req.principal, action, outcome, extra);
                    },
                    [this, &req](int64_t since) { return SeenSources(since, req.cancelled); }};
    if (auto r = HandleAlertRoute(req, ctx)) return std::move(*r);
  }
  if (req.path.rfind("/api/v1/notifications", 0) == 0) {  // issue 21: notification targets
    NotifyRoutes ctx{notifier_, [this, &req](std::string_view action, std::string_view outcome, const auto& extra) {
                       return Audit(req, req.principal, action, outcome, extra);
                     }};
    if (auto r = HandleNotifyRoute(req, ctx)) return std::move(*r);
  }
  if (req.path.rfind("/api/v1/cases", 0) == 0) {  // issue 22: cases (server/case_routes.cc)
    CaseRoutes ctx{cases_, cfg_, *store_, alerts_, [&](const std::string& f) { return RestrictFilter(req.principal, f); },
                   [this, &req](std::string_view action, std::string_view outcome, const auto& extra) {
                     return Audit(req, req.principal, action, outcome, extra);
                   },
                   clickhouse_};
    if (auto r = HandleCaseRoute(req, ctx)) return std::move(*r);
  }
  AuditFn audit_library = [this, &req](std::string_view action, std::string_view outcome, const auto& extra) {
    return Audit(req, req.principal, action, outcome, extra);
  };
  // Issue 25: scheduled searches (server/schedule_routes.h); their CRUD is the library's.
  const ScheduleRoutes schedule_ctx{schedules_, saved_searches_, scheduler_, notifier_, audit_library};
  if (auto r = HandleScheduleRoute(req, schedule_ctx)) return std::move(*r);
  LibraryRoutes library{saved_searches_, dashboards_, &shipped_dashboards_,
                        [this](const std::string& q, bool filter_only) { return CheckQuery(q, filter_only); },
                        audit_library, schedules_,
                        [&schedule_ctx](const Principal& who, const LibraryKind& kind, const std::string& body) {
                          return &kind == &ScheduleKind() ? AuthorizeSchedule(who, body, schedule_ctx) : std::nullopt;
                        }};
  if (auto r = HandleLibraryRoute(req, library)) return std::move(*r);  // issue 25: saved searches, dashboards
  if (req.path.rfind("/api/v1/unparsed", 0) == 0) {  // issue 23: unparsed lines, parser builder
    UnparsedRoutes ctx{cfg_, *store_, [&](const std::string& f) { return RestrictFilter(req.principal, f); }, audit_library,
                       clickhouse_};
    if (auto r = HandleUnparsedRoute(req, ctx)) return std::move(*r);
  }
  if (auto r = ServeWeb(req)) return std::move(*r);
  if (req.path == "/healthz") return Response{200, "text/plain; charset=utf-8", "ok\n"};
  if (req.path == "/readyz") {
    if (!ready_) return Response{503, "text/plain; charset=utf-8", "starting\n"};
    // Not ready while nothing can be stored (reliability): a paused or read-only store says why.
    if (pipeline_ && pipeline_->State() != ingest::IngestState::kOk) {
      Response r{503, "text/plain; charset=utf-8",
                 std::string(pipeline_->State() == ingest::IngestState::kDiskFull ? "ingest paused: " : "read-only: ") +
                     pipeline_->StateMessage() + "\n"};
      r.headers.emplace_back("Retry-After", std::to_string(pipeline_->RetryAfterSeconds()));
      return r;
    }
    // Issue 26: ingest still works (into the spool) while the cluster is unreachable; say so.
    if (std::string problem = clickhouse_problem_ ? clickhouse_problem_() : ""; !problem.empty())
      return Response{200, "text/plain; charset=utf-8", "ready; clickhouse unreachable, spooling: " + problem + "\n"};
    return Response{200, "text/plain; charset=utf-8", "ready\n"};
  }
  if (req.path == "/metrics") return Metrics();
  if (req.path == "/api/v1/search") {
    if (req.method == "POST") {  // issue 28: the parameters in a JSON body, no URL limit
      if (auto bad = ReadSearchBody(req)) return std::move(*bad);
    } else if (req.method != "GET") {
      return JsonError(405, "use GET, or POST with a JSON body");
    }
    return Search(req);
  }
  if (req.path == "/api/v1/histogram" || req.path == "/api/v1/fields") {
    if (req.method != "GET") return JsonError(405, "use GET");
    return req.path == "/api/v1/histogram" ? HistogramCounts(req) : FieldsSummary(req);
  }
  if (req.path == "/api/v1/ingest") {
    if (req.method != "POST") return JsonError(405, "use POST");
    return Ingest(req);
  }
  if (req.path == "/api/v1/export" || req.path == "/api/v1/fieldnames" || req.path == "/api/v1/sources") {
    if (req.method != "GET") return JsonError(405, "use GET");
    if (req.path == "/api/v1/export") return Export(req);
    return req.path == "/api/v1/fieldnames" ? FieldNames() : Sources(req);
  }
  if (req.path == "/api/v1/hunt") return Hunt(req);  // issue 20: server/hunt_routes.cc
  if (auto r = HandleInvestigateRoute(req, InvestigateContext{cfg_, *store_, leases_,
                                                               [&](const std::string& f) {
                                                                 return RestrictFilter(req.principal, f);
                                                               },
                                                               clickhouse_}))
    return std::move(*r);  // issue 22: /api/v1/ip/owner, /process/tree, /entity
  if (req.path == "/api/v1/tail") return JsonError(426, "the live tail is a WebSocket: send an Upgrade request");
  return JsonError(404, "no such endpoint");
}

query::ParseSettings Api::QuerySettings() const {
  query::ParseSettings settings;
  // RestrictFilter adds a few dozen bytes around the user's query.
  settings.max_bytes = cfg_.query.max_query_bytes + 1024;
  settings.lists = intel_ ? intel_->lists() : nullptr;
  return settings;
}

std::optional<Response> Api::ReadSearchBody(Request& req) {
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  if (parser.parse(req.body).get(body))
    return JsonError(400, "send the search as a JSON object: {\"q\": \"...\", \"from\": \"-1h\", \"to\": \"now\", \"limit\": 100}");
  for (const char* name : {"q", "from", "to", "limit"}) {
    simdjson::dom::element v;
    if (body[name].get(v)) continue;
    std::string text;
    std::string_view sv;
    int64_t n = 0;
    if (!v.get(sv)) text = std::string(sv);
    else if (!v.get(n)) text = std::to_string(n);
    else return JsonError(400, fmt::format("'{}' must be a string{}", name, std::string_view(name) == "limit" ? " or an integer" : ""));
    req.params.erase(name);
    req.params.emplace(name, std::move(text));
  }
  return std::nullopt;
}

void Api::LoadLeases(const std::function<void(const std::string&)>& log) {
  const int64_t t0 = store::NowSteady();
  uint64_t events = 0;
  Status s;
  if (clickhouse_) {  // issue 26: then kept current with the other nodes' DHCP events
    lease_feed_ = std::make_unique<ClusterLeaseFeed>(*clickhouse_, clickhouse::NodeName(cfg_.clickhouse), &leases_);
    int64_t from = INT64_MIN;
    if (cfg_.storage.max_age_days > 0) from = NowNanos() - (cfg_.storage.max_age_days + 1) * kNanosPerDay;
    s = lease_feed_->Load(from, &events);
    lease_feed_->Start(cfg_.clickhouse.lease_poll_ns, log);
  } else {
    s = server::LoadLeases(*store_, cfg_, &leases_, &events, nullptr);
  }
  if (!s.ok()) log("warning: DHCP leases not loaded from the store: " + s.ToString());
  log(fmt::format("investigate: {} DHCP events read into {} lease observations of {} addresses in {:.0f} ms", events,
                  leases_.Size(), leases_.Addresses(), (store::NowSteady() - t0) / 1e6));
}

Response Api::Metrics() {
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = RenderMetrics();
  return r;
}

std::variant<Api::Prepared, Response> Api::Prepare(const Request& req) {
  static Counter& err_count = GetCounter("kamatama_queries_total", "result=\"error\"", "Searches run");
  Prepared p;
  p.t0 = store::NowSteady();
  int64_t now = NowNanos();
  auto fail = [&](Response r) {
    err_count.Add();
    return r;
  };
  std::string qtext;
  if (auto* q = Param(req, "q")) qtext = *q;
  store::ScanOptions& so = p.so;
  for (const char* name : {"from", "to"}) {
    if (auto* f = Param(req, name); f && !f->empty()) {
      TimeFault fault = TimeFault::kNone;
      auto t = ParseApiTime(*f, now, &fault);
      if (fault == TimeFault::kRange) return fail(JsonError(400, fmt::format("'{}': {}", name, kTimeRangeText)));
      if (!t) return fail(JsonError(400, fmt::format("bad '{}' time: {}", name, *f)));
      (std::string_view(name) == "from" ? so.from_ns : so.to_ns) = *t;
    }
  }
  so.limit = cfg_.query.default_limit;
  if (auto* l = Param(req, "limit"); l && !l->empty()) {
    size_t v = 0;
    auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
    if (ec != std::errc() || ptr != l->data() + l->size())
      return fail(JsonError(400, "bad 'limit': an integer is expected"));
    so.limit = std::min(v, cfg_.query.max_limit);
  }
  so.deadline_ns = p.t0 + cfg_.query.timeout_ns;
  so.cancelled = req.cancelled;
  so.max_memory_bytes = cfg_.query.max_memory;
  auto error_response = [&](const query::ParseError& e) {
    Response r;
    r.status = 400;
    r.body = "{\"error\":";
    AppendJsonString(&r.body, e.message);
    r.body += fmt::format(",\"position\":{},\"expected\":", e.position);
    AppendJsonString(&r.body, e.expected);
    r.body += "}";
    return fail(std::move(r));
  };
  auto pipeline_or = query::ParsePipeline(qtext);
  if (auto* e = std::get_if<query::ParseError>(&pipeline_or)) return error_response(*e);
  p.pipeline = std::get<query::Pipeline>(std::move(pipeline_or));
  if (qtext.size() > cfg_.query.max_query_bytes)
    return fail(JsonError(413, fmt::format("the query has {} bytes; query.max_query_bytes is {}", qtext.size(),
                                           cfg_.query.max_query_bytes)));
  const query::ParseSettings settings = QuerySettings();
  auto parsed = query::Query::Parse(p.pipeline.filter, settings);
  if (auto* e = std::get_if<query::ParseError>(&parsed)) return error_response(*e);
  p.query = std::get<query::Query>(std::move(parsed));
  {
    // Only admins see the audit log, and only when they name it (issue 8, RestrictFilter).
    auto restricted = query::Query::Parse(RestrictFilter(req.principal, p.pipeline.filter), settings);
    if (auto* e = std::get_if<query::ParseError>(&restricted)) return error_response(*e);
    p.query = std::get<query::Query>(std::move(restricted));
  }
  // @timestamp ranges ANDed at the top of the query narrow the scanned time range.
  const auto& tb = p.query->TimeBounds();
  so.from_ns = std::max(so.from_ns, tb.from_ns);
  so.to_ns = std::min(so.to_ns, tb.to_ns);
  return p;
}

void Api::SetLibrary(OwnedObjectStore* saved_searches, OwnedObjectStore* dashboards,
                     std::vector<std::string>* shipped_problems) {
  saved_searches_ = saved_searches;
  dashboards_ = dashboards;
  shipped_dashboards_ = LoadShippedDashboards(
      [this](const std::string& q, bool filter_only) { return CheckQuery(q, filter_only); }, shipped_problems);
}

std::string Api::CheckQuery(const std::string& q, bool filter_only) const {
  if (q.size() > cfg_.query.max_query_bytes)
    return fmt::format("the query has {} bytes; query.max_query_bytes is {}", q.size(), cfg_.query.max_query_bytes);
  auto pipeline = query::ParsePipeline(q);
  if (auto* e = std::get_if<query::ParseError>(&pipeline))
    return fmt::format("{} at position {} (expected {})", e->message, e->position, e->expected);
  const query::Pipeline& p = std::get<query::Pipeline>(pipeline);
  if (filter_only && !p.stages.empty()) return "a filter, without pipes, is expected";
  auto parsed = query::Query::Parse(p.filter, QuerySettings());
  if (auto* e = std::get_if<query::ParseError>(&parsed))
    return fmt::format("{} at position {} (expected {})", e->message, e->position, e->expected);
  return "";
}

Response Api::SearchAs(const std::string& owner, const std::string& q, int64_t from_ns, int64_t to_ns, size_t limit,
                       const std::atomic<bool>* cancelled) {
  auto user = auth_store_ ? auth_store_->FindUser(owner) : std::nullopt;
  if (!user) return JsonError(403, fmt::format("the owner {} is no longer a user", owner));
  Request req;
  req.method = "GET";
  req.path = "/api/v1/search";
  req.principal.name = user->name;
  req.principal.method = "schedule";
  req.principal.role = user->role;
  req.principal.perms = RolePerms(user->role);
  if (!req.principal.Has(kPermSearch)) return JsonError(403, fmt::format("the owner {} may not search", owner));
  req.cancelled = cancelled;
  req.params = {{"q", q}, {"from", FormatRfc3339(from_ns)}, {"to", FormatRfc3339(to_ns)}, {"limit", std::to_string(limit)}};
  return Search(req);
}

Response Api::Search(const Request& req) {
  static Counter& ok_count = GetCounter("kamatama_queries_total", "result=\"ok\"", "Searches run");
  static Counter& err_count = GetCounter("kamatama_queries_total", "result=\"error\"", "Searches run");
  static Histogram& latency = GetHistogram("kamatama_query_seconds", "", "Search latency");
  auto prepared = Prepare(req);
  if (auto* r = std::get_if<Response>(&prepared)) return std::move(*r);
  Prepared& p = std::get<Prepared>(prepared);
  const int64_t t0 = p.t0;
  store::ScanOptions& so = p.so;
  if (!p.pipeline.stages.empty()) return RunPipeline(p.pipeline, *p.query, so, t0);
  const query::Query& q = *p.query;
  QueryFilter filter(q);
  store::ScanResult res;
  Status s = clickhouse_ ? RemoteScan(q, so, &res) : store_->Scan(filter, so, &res);  // issue 26
  if (!s.ok()) {
    err_count.Add();
    if (s.code() == Status::Code::kInvalidArgument) return JsonError(400, s.ToString());
    return ScanError(s, "search");
  }
  int64_t took = store::NowSteady() - t0;
  latency.Observe(took / 1e9);
  ok_count.Add();
  Response r;
  r.results = static_cast<int64_t>(res.matched);
  r.body.reserve(256 + res.events.size() * 512);
  r.body += "{\"events\":[";
  for (size_t i = 0; i < res.events.size(); ++i) {
    if (i) r.body.push_back(',');
    AppendEventJson(res.events[i], &r.body);
  }
  r.body += "]";
  AppendWarnings(UnknownFieldWarnings(q, p.pipeline), &r.body);
  r.body += fmt::format(
      ",\"matched\":{},\"returned\":{},\"scanned\":{},\"complete\":{},\"timed_out\":{},\"took_ms\":{:.3f},"
      "\"blocks\":{{\"total\":{},\"pruned\":{},\"read\":{}}}}}",
      res.matched, res.events.size(), res.scanned, res.complete, res.timed_out, took / 1e6, res.blocks_total,
      res.blocks_pruned, res.blocks_read);
  return r;
}


Status Api::ComputeTable(const query::Pipeline& pipeline, const query::Query& q, store::ScanOptions so,
                         query::Table* table, store::ScanResult* res, bool* groups_complete) {
  QueryFilter filter(q);
  *groups_complete = true;
  if (pipeline.Aggregates()) {
    // One aggregator per scanning thread (no lock per row), merged at the end.
    std::vector<std::unique_ptr<query::Aggregator>> aggs(store::ScanOptions::kMaxScanWorkers);
    for (auto& a : aggs) a = std::make_unique<query::Aggregator>(pipeline.stages[0], cfg_.query.max_groups);
    so.visit_worker = [&aggs](unsigned w, const FieldAccessor& row, int64_t ts) { aggs[w]->Add(row, ts); };
    so.visit_batch = [&aggs](unsigned w, const RowBatch& rows) { aggs[w]->AddBatch(rows); };
    so.visit_fields = pipeline.AggregateFields();
    so.need_timestamps = pipeline.stages[0].kind == query::StageKind::kTimechart;
    if (Status s = store_->Scan(filter, so, res); !s.ok()) return s;
    for (size_t w = 1; w < aggs.size(); ++w) aggs[0]->Merge(std::move(*aggs[w]));
    *groups_complete = aggs[0]->complete();
    *table = aggs[0]->Finish();
    return query::ApplyStages(pipeline.stages, 1, table);
  }
  so.limit = cfg_.query.max_limit;
  if (Status s = store_->Scan(filter, so, res); !s.ok()) return s;
  std::vector<std::string> cols;
  if (pipeline.stages[0].kind == query::StageKind::kFields) cols = pipeline.stages[0].fields;
  *table = query::EventsToTable(res->events, cols);
  return query::ApplyStages(pipeline.stages, 0, table);
}

Response Api::RunPipeline(const query::Pipeline& pipeline, const query::Query& q, store::ScanOptions so, int64_t t0) {
  static Counter& ok_count = GetCounter("kamatama_queries_total", "result=\"ok\"", "Searches run");
  static Histogram& latency = GetHistogram("kamatama_query_seconds", "", "Search latency");
  store::ScanResult res;
  query::Table table;
  bool groups_complete = true;
  Status s = clickhouse_ ? RemoteTable(pipeline, q, so, &table, &res, &groups_complete)  // issue 26
                         : ComputeTable(pipeline, q, so, &table, &res, &groups_complete);
  if (!s.ok()) {
    if (s.code() == Status::Code::kInvalidArgument) return JsonError(400, s.ToString());
    return ScanError(s, "search");
  }
  int64_t took = store::NowSteady() - t0;
  latency.Observe(took / 1e9);
  ok_count.Add();
  Response r;
  r.results = static_cast<int64_t>(table.rows.size());
  r.body = "{\"columns\":[";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) r.body.push_back(',');
    AppendJsonString(&r.body, table.columns[i]);
  }
  r.body += "],\"rows\":[";
  for (size_t i = 0; i < table.rows.size(); ++i) {
    if (i) r.body.push_back(',');
    r.body.push_back('[');
    for (size_t j = 0; j < table.rows[i].size(); ++j) {
      if (j) r.body.push_back(',');
      const std::string& cell = table.rows[i][j];
      if (cell.empty()) r.body += "null";
      else if (LooksNumeric(cell)) r.body += cell;
      else AppendJsonString(&r.body, cell);
    }
    r.body.push_back(']');
  }
  r.body += "]";
  std::vector<std::string> warnings = UnknownFieldWarnings(q, pipeline);
  if (!groups_complete) {
    // Say why the answer is partial: the rows left out are groups first seen after the cap.
    warnings.push_back(fmt::format(
        "more than {} groups (query.max_groups): groups first seen after that were left out, so the rows "
        "are incomplete; narrow the filter or group by fewer values",
        cfg_.query.max_groups));
  }
  AppendWarnings(warnings, &r.body);
  r.body += fmt::format(
      ",\"matched\":{},\"scanned\":{},\"complete\":{},\"timed_out\":{},\"took_ms\":{:.3f}}}",
      res.matched, res.scanned, res.complete && groups_complete && !res.timed_out, res.timed_out, took / 1e6);
  return r;
}

Response Api::HistogramCounts(const Request& req) {
  auto prepared = Prepare(req);
  if (auto* r = std::get_if<Response>(&prepared)) return std::move(*r);
  Prepared& p = std::get<Prepared>(prepared);
  if (!p.pipeline.stages.empty()) return JsonError(400, "the histogram takes a filter, not pipes");
  int64_t now = NowNanos();
  store::ScanOptions& so = p.so;
  if (so.to_ns == INT64_MAX) so.to_ns = now;
  if (so.from_ns == INT64_MIN) so.from_ns = so.to_ns - kNanosPerDay;
  if (so.from_ns >= so.to_ns) return JsonError(400, "'from' must be before 'to'");
  size_t buckets = 60;
  if (auto* b = Param(req, "buckets"); b && !b->empty()) {
    auto [ptr, ec] = std::from_chars(b->data(), b->data() + b->size(), buckets);
    if (ec != std::errc() || ptr != b->data() + b->size() || buckets == 0 || buckets > 2000)
      return JsonError(400, "bad 'buckets': an integer from 1 to 2000 is expected");
  }
  const int64_t span = so.to_ns - so.from_ns;
  const int64_t width = std::max<int64_t>(1, (span + static_cast<int64_t>(buckets) - 1) / static_cast<int64_t>(buckets));
  std::vector<uint64_t> counts(buckets, 0);
  const int64_t from = so.from_ns;
  // Counted per scanning thread (each sizes its own counts on first use), summed at the end.
  std::vector<std::vector<uint64_t>> per_worker(store::ScanOptions::kMaxScanWorkers);
  so.visit_worker = [&](unsigned w, const FieldAccessor&, int64_t ts) {
    auto& c = per_worker[w];
    if (c.empty()) c.assign(buckets, 0);
    size_t i = static_cast<size_t>((ts - from) / width);
    if (i < c.size()) ++c[i];
  };
  QueryFilter filter(*p.query);
  store::ScanResult res;
  Status s = clickhouse_ ? RemoteHistogram(*p.query, so, width, &counts, &res)  // issue 26
                         : store_->Scan(filter, so, &res);
  if (s.code() == Status::Code::kInvalidArgument) return JsonError(400, s.ToString());
  if (!s.ok()) return ScanError(s, "histogram");
  for (const auto& c : per_worker) {
    for (size_t i = 0; i < c.size(); ++i) counts[i] += c[i];
  }
  Response r;
  r.body = "{\"from\":";
  AppendJsonString(&r.body, FormatRfc3339(so.from_ns));
  r.body += ",\"to\":";
  AppendJsonString(&r.body, FormatRfc3339(so.to_ns));
  r.body += fmt::format(",\"interval_ms\":{},\"buckets\":[", width / 1'000'000);
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i) r.body.push_back(',');
    r.body += "{\"time\":";
    AppendJsonString(&r.body, FormatRfc3339(from + static_cast<int64_t>(i) * width));
    r.body += fmt::format(",\"count\":{}}}", counts[i]);
  }
  r.body += fmt::format("],\"matched\":{},\"complete\":{},\"took_ms\":{:.3f}}}", res.matched,
                        res.complete && !res.timed_out, (store::NowSteady() - p.t0) / 1e6);
  return r;
}

Response Api::FieldsSummary(const Request& req) {
  auto prepared = Prepare(req);
  if (auto* r = std::get_if<Response>(&prepared)) return std::move(*r);
  Prepared& p = std::get<Prepared>(prepared);
  if (!p.pipeline.stages.empty()) return JsonError(400, "the field summary takes a filter, not pipes");
  store::ScanOptions& so = p.so;
  // The newest `limit` events (default 1,000, at most query.max_limit) are summarised.
  if (!Param(req, "limit")) so.limit = std::min<size_t>(1000, cfg_.query.max_limit);
  store::ScanResult res;
  Status s = ScanEvents(*p.query, so, &res);  // issue 26: the cluster's newest events
  if (s.code() == Status::Code::kInvalidArgument) return JsonError(400, s.ToString());
  if (!s.ok()) return ScanError(s, "field summary");
  struct FieldStats {
    uint64_t count = 0;
    std::unordered_map<std::string, uint64_t> values;
    bool values_capped = false;
  };
  std::map<std::string, FieldStats> stats;
  for (const auto& ev : res.events) {
    for (const auto& [name, value] : ev.fields) {
      FieldStats& f = stats[name];
      ++f.count;
      auto it = f.values.find(value);
      if (it != f.values.end()) ++it->second;
      else if (f.values.size() < 10000) f.values.emplace(value, 1);
      else f.values_capped = true;
    }
  }
  Response r;
  r.body = fmt::format("{{\"sampled\":{},\"matched\":{},\"fields\":[", res.events.size(), res.matched);
  bool first = true;
  for (auto& [name, f] : stats) {
    if (!first) r.body.push_back(',');
    first = false;
    std::vector<std::pair<std::string_view, uint64_t>> top(f.values.begin(), f.values.end());
    size_t k = std::min<size_t>(10, top.size());
    std::partial_sort(top.begin(), top.begin() + k, top.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    r.body += "{\"name\":";
    AppendJsonString(&r.body, name);
    r.body += fmt::format(",\"count\":{},\"distinct\":{},\"distinct_capped\":{},\"top\":[", f.count,
                          f.values.size(), f.values_capped);
    for (size_t i = 0; i < k; ++i) {
      if (i) r.body.push_back(',');
      r.body += "{\"value\":";
      AppendJsonString(&r.body, top[i].first);
      r.body += fmt::format(",\"count\":{}}}", top[i].second);
    }
    r.body += "]}";
  }
  r.body += fmt::format("],\"took_ms\":{:.3f}}}", (store::NowSteady() - p.t0) / 1e6);
  return r;
}

Response Api::Ingest(const Request& req) {
  static Counter& http_events = GetCounter("kamatama_received_total", "transport=\"http\"", "Messages received");
  static Counter& http_bytes = GetCounter("kamatama_received_bytes_total", "transport=\"http\"", "Bytes received");
  // reliability (issue 9): refused lines count as received and rejected (received = stored +
  // rejected + dropped).
  static Counter& rejected_count = GetCounter("kamatama_events_rejected_total", "reason=\"invalid_json\"",
                                              "Events refused with an error answer to their sender, by reason");
  static Counter& parsed_count = GetCounter("kamatama_events_parsed_total", "", "Events parsed");
  static Counter& truncated_count = GetCounter("kamatama_truncated_total", "", "Frames cut at the maximum frame size");
  http_bytes.Add(req.body.size());
  std::string source;
  if (auto* s = Param(req, "source")) source = *s;
  ingest::Batch batch;
  int64_t now = NowNanos();
  size_t rejected = 0;
  std::string errors;
  size_t nerrors = 0;
  std::string_view body = req.body;
  size_t line_no = 0;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;  // blank line
    RawRecord rec;
    rec.received_ns = now;
    rec.observer = req.client;
    rec.source = source;
    auto reject = [&](const std::string& why) {
      ++rejected;
      if (nerrors < 100) {
        if (nerrors++) errors.push_back(',');
        errors += fmt::format("{{\"line\":{},\"error\":", line_no);
        AppendJsonString(&errors, why);
        errors.push_back('}');
      }
    };
    bool is_json = line[first] == '{';
    if (line.size() > cfg_.syslog.max_frame) {
      // A cut JSON object is no longer JSON: refuse it rather than store half an event.
      if (is_json) {
        reject(fmt::format("JSON event longer than syslog.max_frame ({} bytes)", cfg_.syslog.max_frame));
        continue;
      }
      line = line.substr(0, cfg_.syslog.max_frame);
      rec.flags |= kRawTruncated;
      truncated_count.Add();
    }
    if (is_json) {
      Event probe;
      std::string err;
      if (!ParseJsonEvent(line, now, &probe, &err)) {
        reject(err);
        continue;
      }
      rec.flags |= kRawJson;
    }
    rec.data.assign(line);
    batch.events.push_back(ParseRecord(rec, cfg_.parse));
    batch.raws.push_back(std::move(rec));
  }
  rejected_count.Add(rejected);
  size_t accepted = batch.events.size();
  http_events.Add(accepted + rejected);
  parsed_count.Add(accepted);
  Status result;
  if (accepted > 0) {
    std::promise<Status> done;
    auto fut = done.get_future();
    batch.done = [&done](Status s) { done.set_value(std::move(s)); };
    pipeline_->Submit(std::move(batch), 10'000'000'000);  // queue full for 10 s: 429
    result = fut.get();
  }
  if (!result.ok()) {
    // reliability (issue 9): nothing of the body is stored; say when to come back.
    int code = result.code() == Status::Code::kResourceExhausted ? 507
               : result.message() == "ingest queue full"          ? 429
                                                                   : 503;
    Response r = JsonError(code, "not stored: " + result.ToString());
    r.headers.emplace_back("Retry-After", std::to_string(pipeline_->RetryAfterSeconds()));
    return r;
  }
  Response r;
  r.body = fmt::format("{{\"accepted\":{},\"rejected\":{},\"errors\":[{}]}}", accepted, rejected, errors);
  return r;
}

namespace {
std::vector<std::string> SplitFields(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view f = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
    while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
    if (!f.empty()) out.emplace_back(f);
  }
  return out;
}

std::string_view EventValue(const Event& ev, const std::string& name, std::string* tmp) {
  if (name == "@timestamp") return *tmp = FormatRfc3339(ev.timestamp_ns);
  if (name == "event.ingested") return *tmp = FormatRfc3339(ev.ingested_ns);
  if (name == field::kOriginal) return ev.original;
  const std::string* v = ev.Get(name);
  return v ? std::string_view(*v) : std::string_view();
}

// The family a dataset belongs to on the sources page.
std::string_view FamilyOf(std::string_view dataset) { return SourceFamily(dataset); }  // server/selfmon.h
}  // namespace

Response Api::Export(const Request& req) {
  static Counter& exports = GetCounter("kamatama_exports_total", "", "Exports started");
  static Counter& exported = GetCounter("kamatama_exported_events_total", "", "Events written by exports");
  std::string format = "ndjson";
  if (auto* f = Param(req, "format"); f && !f->empty()) format = *f;
  if (format != "ndjson" && format != "csv") return JsonError(400, "bad 'format': ndjson or csv is expected");
  auto prepared = Prepare(req);
  if (auto* r = std::get_if<Response>(&prepared)) return std::move(*r);
  auto p = std::make_shared<Prepared>(std::get<Prepared>(std::move(prepared)));
  // An export has no result limit unless one is given, and its own deadline.
  p->so.limit = 0;
  if (auto* l = Param(req, "limit"); l && !l->empty()) p->so.limit = std::stoull(*l);  // validated by Prepare
  p->so.deadline_ns = cfg_.query.export_timeout_ns ? p->t0 + cfg_.query.export_timeout_ns : 0;
  p->so.max_memory_bytes = 0;  // nothing is held: events are written as they are found
  std::vector<std::string> columns;
  if (auto* f = Param(req, "fields")) columns = SplitFields(*f);
  Response r;
  r.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
  r.headers.emplace_back("Content-Disposition",
                         fmt::format("attachment; filename=\"kamatama-export-{}.{}\"",
                                     FormatRfc3339(NowNanos()).substr(0, 19), format));
  for (char& c : r.headers.back().second) {
    if (c == ':') c = '-';
  }
  exports.Add();
  if (!p->pipeline.stages.empty()) {
    // Pipes give a bounded table: computed first, then written.
    store::ScanResult res;
    query::Table table;
    bool complete = true;
    Status s = clickhouse_ ? RemoteTable(p->pipeline, *p->query, p->so, &table, &res, &complete)  // issue 26
                           : ComputeTable(p->pipeline, *p->query, p->so, &table, &res, &complete);
    if (!s.ok()) {
      if (s.code() == Status::Code::kInvalidArgument) return JsonError(400, s.ToString());
      return ScanError(s, "export");
    }
    std::string body;
    if (format == "csv") {
      for (size_t i = 0; i < table.columns.size(); ++i) {
        if (i) body.push_back(',');
        AppendCsvCell(table.columns[i], &body);
      }
      body += "\r\n";
    }
    for (const auto& row : table.rows) {
      if (format == "csv") {
        for (size_t i = 0; i < row.size(); ++i) {
          if (i) body.push_back(',');
          AppendCsvCell(row[i], &body);
        }
        body += "\r\n";
      } else {
        body.push_back('{');
        for (size_t i = 0; i < row.size() && i < table.columns.size(); ++i) {
          if (i) body.push_back(',');
          AppendJsonString(&body, table.columns[i]);
          body.push_back(':');
          if (row[i].empty()) body += "null";
          else if (LooksNumeric(row[i])) body += row[i];
          else AppendJsonString(&body, row[i]);
        }
        body += "}\n";
      }
    }
    r.body = std::move(body);
    return r;
  }
  if (format == "csv" && columns.empty())
    columns = {"@timestamp", "host.name", "event.dataset", "event.action", "source.ip", "destination.ip",
               "user.name", "message"};
  store::Store* store = store_;
  if (clickhouse_) {  // issue 26: what the cluster cannot answer is refused before streaming starts
    store::ScanOptions unbounded;
    std::string where;
    if (Status s = RemoteWhere(*p->query, unbounded, &where); !s.ok()) return JsonError(400, s.ToString());
  }
  // Fail closed (issue 19): the export's audit record is written when it ends; one that could
  // not be recorded now is not started.
  if (pipeline_ && !pipeline_->ReserveHasRoom(64u << 10))
    return JsonError(503, "the audit log cannot record this export now (store read-only or audit queue full)");
  auto req_copy = std::make_shared<Request>();
  req_copy->method = req.method;
  req_copy->path = req.path;
  req_copy->params = req.params;
  req_copy->client = req.client;
  auto audit = [this, req_copy, who = req.principal](uint64_t n, bool ok) {
    auto q = req_copy->params.find("q");
    Audit(*req_copy, who, "export", ok ? "success" : "failure",
          {{"kamatama.query", q == req_copy->params.end() ? "" : q->second}, {"kamatama.results", std::to_string(n)}});
  };
  r.stream = [this, p, store, format, columns, audit](const BodyWriter& write) {
    std::string line, tmp;
    if (format == "csv") {
      for (size_t i = 0; i < columns.size(); ++i) {
        if (i) line.push_back(',');
        AppendCsvCell(columns[i], &line);
      }
      line += "\r\n";
      if (!write(line)) return;
    }
    QueryFilter filter(*p->query);
    store::ScanOptions so = p->so;
    uint64_t n = 0;
    bool client_gone = false;
    so.visit_event = [&](Event&& ev) {
      line.clear();
      if (format == "csv") {
        for (size_t i = 0; i < columns.size(); ++i) {
          if (i) line.push_back(',');
          AppendCsvCell(EventValue(ev, columns[i], &tmp), &line);
        }
        line += "\r\n";
      } else if (columns.empty()) {
        AppendEventJson(ev, &line);
        line.push_back('\n');
      } else {
        line.push_back('{');
        for (size_t i = 0; i < columns.size(); ++i) {
          if (i) line.push_back(',');
          AppendJsonString(&line, columns[i]);
          line.push_back(':');
          AppendJsonString(&line, EventValue(ev, columns[i], &tmp));
        }
        line += "}\n";
      }
      ++n;
      if (!write(line)) {
        client_gone = true;
        return false;
      }
      return !so.limit || n < so.limit;
    };
    store::ScanResult res;
    Status s = clickhouse_ ? RemoteVisit(*p->query, so, &res) : store->Scan(filter, so, &res);  // issue 26
    exported.Add(n);
    audit(n, s.ok());
    if (client_gone) return;
    // The status line is gone already: an error or a cut is reported in-band, last.
    if (!s.ok() || res.timed_out) {
      line.clear();
      std::string why = s.ok() ? "export stopped at query.export_timeout" : "export failed: " + s.ToString();
      if (format == "csv") {
        line = "# ";
        line += why;
        line += "\r\n";
      } else {
        line = "{\"error\":";
        AppendJsonString(&line, why);
        line += "}\n";
      }
      write(line);
    }
  };
  return r;
}

Response Api::FieldNames() {
  Response r;
  r.body = "{\"fields\":[";
  bool first = true;
  for (const auto& name : store_->FieldNames()) {
    if (!first) r.body.push_back(',');
    first = false;
    AppendJsonString(&r.body, name);
  }
  r.body += "]}";
  return r;
}

std::vector<std::string> Api::UnknownFieldWarnings(const query::Query& q, const query::Pipeline& p) {
  std::vector<std::string> names = q.Fields();
  for (const auto& f : p.AggregateFields()) names.push_back(f);
  for (const auto& st : p.stages) {
    for (const auto& f : st.fields) names.push_back(f);
    for (const auto& f : st.by) names.push_back(f);
    if (!st.where_field.empty()) names.push_back(st.where_field);
  }
  std::vector<std::string> warnings;
  std::vector<std::string> seen;
  for (const auto& n : names) {
    // event.dataset: every event has one (and the server adds it to non-admin filters).
    if (n.empty() || n == "@timestamp" || n == "count" || n == "_time" || n == "event.dataset") continue;
    // Names made by the pipes themselves (count, dc(x) ...) are not fields of events.
    if (n.find('(') != std::string::npos) continue;
    if (std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
    seen.push_back(n);
    // One lookup for a known name: building the whole list walked every field of every event
    // still in memory, under the store's lock, for each search (~1% of a rare-IP search).
    if (store_->KnowsField(n)) continue;
    warnings.push_back(fmt::format("unknown field '{}': no stored event has it, so it matches nothing", n));
  }
  return warnings;
}

void Api::AppendWarnings(const std::vector<std::string>& warnings, std::string* body) {
  *body += ",\"warnings\":[";
  for (size_t i = 0; i < warnings.size(); ++i) {
    if (i) body->push_back(',');
    AppendJsonString(body, warnings[i]);
  }
  body->push_back(']');
}

Api::TailStart Api::OpenTail(Request& req) {
  static Counter& tails = GetCounter("kamatama_tails_total", "", "Live tail sessions opened");
  TailStart out;
  // Issue 8: the tail needs the tail permission, and a browser's WebSocket must come from our
  // own page (cross-site WebSocket hijacking: cookies ride along on cross-site handshakes).
  if (!req.admitted) {
    if (auto refused = Authorize(req, FindRoute(req))) {
      out.refused = std::move(*refused);
      return out;
    }
  }
  auto fail = [&](std::string_view msg, size_t position, bool has_position) {
    out.error_json = "{\"type\":\"error\",\"error\":";
    AppendJsonString(&out.error_json, msg);
    if (has_position) out.error_json += fmt::format(",\"position\":{}", position);
    out.error_json += "}";
    return out;
  };
  std::string qtext;
  if (auto* q = Param(req, "q")) qtext = *q;
  auto pipeline_or = query::ParsePipeline(qtext);
  if (auto* e = std::get_if<query::ParseError>(&pipeline_or)) return fail(e->message, e->position, true);
  auto& pipeline = std::get<query::Pipeline>(pipeline_or);
  if (!pipeline.stages.empty()) return fail("the live tail takes a filter, not pipes", pipeline.stages[0].position, true);
  const query::ParseSettings settings = QuerySettings();
  auto parsed = query::Query::Parse(pipeline.filter, settings);
  if (auto* e = std::get_if<query::ParseError>(&parsed)) return fail(e->message, e->position, true);
  parsed = query::Query::Parse(RestrictFilter(req.principal, pipeline.filter), settings);
  if (auto* e = std::get_if<query::ParseError>(&parsed)) return fail(e->message, e->position, true);
  if (!Audit(req, req.principal, "tail", "success", {{"kamatama.query", qtext}}))
    return fail("the audit log cannot record this tail now (store read-only or audit queue full)", 0, false);
  bool mine_full = false;
  out.subscriber = tails_.Subscribe(std::get<query::Query>(std::move(parsed)), cfg_.query.tail_buffer, req.principal.Key(),
                                    cfg_.query.max_tails_per_principal, &mine_full);
  if (!out.subscriber && mine_full)
    return fail(fmt::format("too many live tails for {} (query.max_tails_per_principal = {})", req.principal.name,
                            cfg_.query.max_tails_per_principal), 0, false);
  if (!out.subscriber)
    return fail(fmt::format("too many live tails (query.max_tails = {})", cfg_.query.max_tails), 0, false);
  tails.Add();
  return out;
}

Response Api::Sources(const Request& req) {
  const int64_t steady = store::NowSteady();
  {
    std::lock_guard lock(sources_mu_);
    if (!sources_cache_.empty() && steady - sources_at_ < 30LL * 1'000'000'000 && !Param(req, "refresh"))
      return Response{200, "application/json", sources_cache_};
  }
  const int64_t now = NowNanos();
  const int64_t today = DayOf(now);
  constexpr int kDays = 30;
  struct HostStats {
    std::set<std::string, std::less<>> datasets;
    uint64_t events = 0;
    int64_t first = INT64_MAX, last = INT64_MIN;
    uint64_t per_day[kDays] = {};
    uint64_t recent = 0;  // events in the last 7 days
    int64_t recent_first = INT64_MAX;
    void Merge(const HostStats& o) {
      for (const auto& d : o.datasets)
        if (datasets.size() < 16) datasets.insert(d);
      events += o.events;
      first = std::min(first, o.first);
      last = std::max(last, o.last);
      for (int d = 0; d < kDays; ++d) per_day[d] += o.per_day[d];
      recent += o.recent;
      recent_first = std::min(recent_first, o.recent_first);
    }
  };
  // One accumulator per scanning thread, keyed by "family\x1fhost" (looked up through a reused
  // string: no allocation per row), merged at the end. A single-threaded visit that built two
  // strings and a map key per row took 9.9 s over the 10M-event bench store.
  struct Acc {
    std::unordered_map<std::string, HostStats> hosts;
    std::string key;
    int64_t oldest = INT64_MAX;
  };
  std::vector<Acc> accs(store::ScanOptions::kMaxScanWorkers);
  store::ScanOptions so;
  so.limit = 0;
  so.cancelled = req.cancelled;
  so.deadline_ns = steady + cfg_.query.timeout_ns;
  so.visit_fields = {std::string(field::kDataset), std::string(field::kHostName), std::string(field::kObserverIp)};
  // The oldest event kept, from the scan: the store's day partitions hold only sealed blocks,
  // so a young store (or one whose data is still in memory) has none yet.
  so.visit_worker = [&](unsigned w, const FieldAccessor& row, int64_t ts) {
    Acc& a = accs[w];
    a.oldest = std::min(a.oldest, ts);
    std::string_view ds, host;
    if (!row.Get(field::kDataset, &ds)) ds = "unknown";
    // The audit log and the server's own events are not sources (and admin-only).
    if (ds == "kamatama.audit" || ds == kInternalDataset) return;
    if (!row.Get(field::kHostName, &host) && !row.Get(field::kObserverIp, &host)) host = "unknown";
    a.key.assign(FamilyOf(ds));
    a.key.push_back('\x1f');
    a.key.append(host);
    HostStats& h = a.hosts.try_emplace(a.key).first->second;  // copies the key only when new
    if (h.datasets.size() < 16 && h.datasets.find(ds) == h.datasets.end()) h.datasets.emplace(ds);
    ++h.events;
    h.first = std::min(h.first, ts);
    h.last = std::max(h.last, ts);
    int64_t age_days = today - DayOf(ts);
    if (age_days >= 0 && age_days < kDays) ++h.per_day[age_days];
    if (now - ts <= 7 * kNanosPerDay) {
      ++h.recent;
      h.recent_first = std::min(h.recent_first, ts);
    }
  };
  query::Query all;
  QueryFilter filter(all);
  store::ScanResult res;
  Status s = store_->Scan(filter, so, &res);
  if (!s.ok()) return ScanError(s, "sources");
  std::map<std::pair<std::string, std::string>, HostStats> hosts;  // (family, host), in order
  int64_t oldest_ts = INT64_MAX;
  for (Acc& a : accs) {
    oldest_ts = std::min(oldest_ts, a.oldest);
    for (auto& [k, h] : a.hosts) {
      const size_t cut = k.find('\x1f');
      hosts[{k.substr(0, cut), k.substr(cut + 1)}].Merge(h);
    }
  }
  auto st = store_->Stats();
  struct statvfs vfs{};
  uint64_t total = 0, free_bytes = 0;
  if (::statvfs(cfg_.storage.dir.c_str(), &vfs) == 0) {
    total = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  int64_t oldest_day = oldest_ts == INT64_MAX ? INT64_MAX : DayOf(oldest_ts);
  if (st.partitions) oldest_day = std::min(oldest_day, st.oldest_day);
  const bool has_data = oldest_day != INT64_MAX;
  const int64_t days_kept = has_data ? std::max<int64_t>(1, today - oldest_day + 1) : 0;
  const uint64_t per_day = days_kept ? st.disk_bytes / static_cast<uint64_t>(days_kept) : 0;
  std::string b = "{\"now\":";
  AppendJsonString(&b, FormatRfc3339(now));
  b += fmt::format(",\"complete\":{},\"disk\":{{\"total_bytes\":{},\"free_bytes\":{},\"store_bytes\":{},"
                   "\"bytes_per_day\":{},\"days_left\":{},\"days_capacity\":{}}},\"retention_days\":{},\"oldest_day\":",
                   res.complete && !res.timed_out, total, free_bytes, st.disk_bytes, per_day,
                   per_day ? static_cast<int64_t>(free_bytes / per_day) : -1,
                   per_day ? static_cast<int64_t>((free_bytes + st.disk_bytes) / per_day) : -1,
                   cfg_.storage.max_age_days);
  if (has_data) AppendJsonString(&b, FormatRfc3339(oldest_day * kNanosPerDay).substr(0, 10));
  else b += "null";
  b += ",\"families\":[";
  std::string current;
  bool first_family = true, first_host = true;
  uint64_t fam_events = 0;
  int64_t fam_first = INT64_MAX, fam_last = INT64_MIN;
  auto close_family = [&] {
    if (current.empty()) return;
    b += fmt::format("],\"events\":{},\"first_seen\":", fam_events);
    AppendJsonString(&b, FormatRfc3339(fam_first));
    b += ",\"last_seen\":";
    AppendJsonString(&b, FormatRfc3339(fam_last));
    b += "}";
  };
  for (auto& [key, h] : hosts) {
    if (key.first != current) {
      close_family();
      if (!first_family) b.push_back(',');
      first_family = false;
      current = key.first;
      b += "{\"family\":";
      AppendJsonString(&b, current);
      b += ",\"hosts\":[";
      first_host = true;
      fam_events = 0;
      fam_first = INT64_MAX;
      fam_last = INT64_MIN;
    }
    fam_events += h.events;
    fam_first = std::min(fam_first, h.first);
    fam_last = std::max(fam_last, h.last);
    if (!first_host) b.push_back(',');
    first_host = false;
    b += "{\"host\":";
    AppendJsonString(&b, key.second);
    b += ",\"datasets\":[";
    bool fd = true;
    for (const auto& d : h.datasets) {
      if (!fd) b.push_back(',');
      fd = false;
      AppendJsonString(&b, d);
    }
    b += fmt::format("],\"events\":{},\"first_seen\":", h.events);
    AppendJsonString(&b, FormatRfc3339(h.first));
    b += ",\"last_seen\":";
    AppendJsonString(&b, FormatRfc3339(h.last));
    b += ",\"per_day\":[";
    for (int d = kDays - 1; d >= 0; --d) {
      b += "{\"day\":";
      AppendJsonString(&b, FormatRfc3339((today - d) * kNanosPerDay).substr(0, 10));
      b += fmt::format(",\"count\":{}}}", h.per_day[d]);
      if (d) b.push_back(',');
    }
    // Usual gap: the mean interval between its events over the last 7 days. A source is
    // silent when nothing came for 5 times that, and at least 5 minutes.
    int64_t gap_s = -1;
    if (h.recent >= 2) gap_s = (h.last - h.recent_first) / static_cast<int64_t>(h.recent - 1) / 1'000'000'000;
    int64_t quiet_s = (now - h.last) / 1'000'000'000;
    bool silent = h.recent < 2 ? quiet_s > 7 * 86400 : quiet_s > std::max<int64_t>(300, 5 * gap_s);
    b += fmt::format("],\"typical_gap_s\":{},\"silent_for_s\":{},\"silent\":{}}}", gap_s, std::max<int64_t>(0, quiet_s),
                     silent);
  }
  close_family();
  b += fmt::format("],\"took_ms\":{:.3f}}}", (store::NowSteady() - steady) / 1e6);
  {
    std::lock_guard lock(sources_mu_);
    sources_cache_ = b;
    sources_at_ = steady;
  }
  return Response{200, "application/json", std::move(b)};
}

}  // namespace kamatama::server
