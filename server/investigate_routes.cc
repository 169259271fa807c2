// server/investigate_routes.cc
#include "server/investigate_routes.h"

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"
#include "investigate/connection.h"
#include "investigate/entity.h"
#include "investigate/ip_owner.h"
#include "investigate/logons.h"
#include "investigate/process_tree.h"

namespace kamatama::server {

namespace {

const std::string* Param(const Request& req, const std::string& name) {
  auto it = req.params.find(name);
  return it == req.params.end() || it->second.empty() ? nullptr : &it->second;
}

investigate::Searcher MakeSearcher(const Request& req, const InvestigateContext& ctx) {
  return RequestSearcher(req, ctx.cfg, ctx.store, ctx.restrict, ctx.cluster);
}

// from/to parameters (API times: RFC 3339, epoch, now-30d); absent means unbounded.
std::optional<Response> TimeRange(const Request& req, int64_t* from, int64_t* to) {
  const int64_t now = NowNanos();
  *from = INT64_MIN;
  *to = INT64_MAX;
  for (const char* name : {"from", "to"}) {
    if (const std::string* v = Param(req, name)) {
      TimeFault fault = TimeFault::kNone;
      auto t = ParseApiTime(*v, now, &fault);
      if (fault == TimeFault::kRange) return JsonError(400, fmt::format("'{}': {}", name, kTimeRangeText));
      if (!t) return JsonError(400, fmt::format("bad '{}' time: {}", name, *v));
      (std::string_view(name) == "from" ? *from : *to) = *t;
    }
  }
  if (*from >= *to) return JsonError(400, "'from' must be before 'to'");
  return std::nullopt;
}

Response Failed(const Status& s, std::string_view what) {
  if (s.code() == Status::Code::kNotFound) return JsonError(404, s.message());
  if (s.code() == Status::Code::kResourceExhausted) return JsonError(422, s.message());
  if (s.code() == Status::Code::kInvalidArgument) return JsonError(400, s.message());
  return JsonError(500, fmt::format("{} failed: {}", what, s.ToString()));
}

Response Json(std::string body, int64_t t0) {
  // Every answer is an object: the time it took goes in as its last member.
  body.pop_back();
  body += fmt::format(",\"took_ms\":{:.3f}}}", (store::NowSteady() - t0) / 1e6);
  return Response{200, "application/json", std::move(body)};
}

// The 'at' parameter (API time), now when absent; nullopt after writing a 400 into *bad.
std::optional<int64_t> AtParam(const Request& req, std::optional<Response>* bad) {
  int64_t at = NowNanos();
  if (const std::string* a = Param(req, "at")) {
    TimeFault fault = TimeFault::kNone;
    auto t = ParseApiTime(*a, at, &fault);
    if (!t) {
      *bad = JsonError(400, fault == TimeFault::kRange ? fmt::format("'at': {}", kTimeRangeText) : "bad 'at' time: " + *a);
      return std::nullopt;
    }
    at = *t;
  }
  return at;
}

Response IpOwner(const Request& req, const InvestigateContext& ctx) {
  const int64_t t0 = store::NowSteady();
  const std::string* ip = Param(req, "ip");
  if (!ip) return JsonError(400, "'ip' is required");
  std::optional<Response> bad;
  auto at = AtParam(req, &bad);
  if (!at) return std::move(*bad);
  investigate::OwnerAnswer answer;
  Status s = investigate::ResolveOwner(ctx.leases, MakeSearcher(req, ctx), *ip, *at, &answer);
  if (!s.ok()) return Failed(s, "ip owner");
  return Json(investigate::OwnerJson(answer), t0);
}

Response ProcessTree(const Request& req, const InvestigateContext& ctx) {
  const int64_t t0 = store::NowSteady();
  const std::string* id = Param(req, "entity_id");
  const std::string* host = Param(req, "host");
  const std::string* pid = Param(req, "pid");
  if (!id && !(pid && host))
    return JsonError(400, "'entity_id' (process.entity_id, the Sysmon ProcessGuid) or 'host' and 'pid' are required");
  int64_t from, to;
  if (auto bad = TimeRange(req, &from, &to)) return std::move(*bad);
  investigate::Searcher searcher = MakeSearcher(req, ctx);
  std::string entity_id = id ? *id : "";
  if (!id) {
    std::optional<Response> bad;
    auto at = AtParam(req, &bad);
    if (!at) return std::move(*bad);
    if (Status s = investigate::FindProcessStart(searcher, *host, *pid, *at, &entity_id); !s.ok())
      return Failed(s, "process tree");
  }
  investigate::ProcessTree tree;
  Status s = investigate::BuildProcessTree(searcher, host ? *host : "", entity_id, from, to, investigate::TreeLimits{},
                                           &tree);
  if (!s.ok()) return Failed(s, "process tree");
  return Json(investigate::ProcessTreeJson(tree), t0);
}

Response Entity(const Request& req, const InvestigateContext& ctx) {
  const int64_t t0 = store::NowSteady();
  const std::string* type_name = Param(req, "type");
  const std::string* value = Param(req, "value");
  if (!type_name || !value) return JsonError(400, "'type' and 'value' are required");
  auto type = investigate::ParseEntityType(*type_name);
  if (!type) return JsonError(400, "bad 'type': host, user, ip, process, hash or domain is expected");
  int64_t from, to;
  if (auto bad = TimeRange(req, &from, &to)) return std::move(*bad);
  investigate::EntityAnswer answer;
  Status s = investigate::DescribeEntity(MakeSearcher(req, ctx), *type, *value, from, to, investigate::EntityLimits{},
                                         &answer);
  if (!s.ok()) return Failed(s, "entity");
  return Json(investigate::EntityJson(answer), t0);
}

// Who was logged on to a host at a time: the sessions open then.
Response HostLogons(const Request& req, const InvestigateContext& ctx) {
  const int64_t t0 = store::NowSteady();
  const std::string* host = Param(req, "host");
  if (!host) return JsonError(400, "'host' is required");
  std::optional<Response> bad;
  auto at = AtParam(req, &bad);
  if (!at) return std::move(*bad);
  int64_t lookback = investigate::kDefaultLogonLookbackNs;
  if (const std::string* l = Param(req, "lookback")) {
    auto d = ParseDuration(*l);
    if (!d || *d <= 0) return JsonError(400, "bad 'lookback' duration: " + *l);
    lookback = *d;
  }
  std::vector<investigate::LogonSession> sessions;
  bool truncated = false;
  Status s = investigate::SessionsAt(MakeSearcher(req, ctx), *host, *at, lookback, &sessions, &truncated);
  if (!s.ok()) return Failed(s, "host logons");
  std::string body = "{\"host\":";
  AppendJsonString(&body, *host);
  body += ",\"at\":";
  AppendJsonString(&body, FormatRfc3339(*at));
  body += fmt::format(",\"lookback_s\":{},\"truncated\":{},\"sessions\":[", lookback / kNanosPerSecond, truncated);
  for (size_t i = 0; i < sessions.size(); ++i) {
    if (i) body.push_back(',');
    investigate::AppendSessionJson(sessions[i], &body);
  }
  body += "]}";
  return Json(std::move(body), t0);
}

// One connection as every source saw it, and the DNS answer before it.
Response Connection(const Request& req, const InvestigateContext& ctx) {
  const int64_t t0 = store::NowSteady();
  const std::string* src = Param(req, "src");
  const std::string* dst = Param(req, "dst");
  if (!src || !dst) return JsonError(400, "'src' and 'dst' are required");
  std::optional<Response> bad;
  auto at = AtParam(req, &bad);
  if (!at) return std::move(*bad);
  investigate::ConnectionQuery q;
  q.src = *src;
  q.dst = *dst;
  q.at_ns = *at;
  q.tolerance_ns = ctx.cfg.query.clock_skew_ns;
  if (const std::string* t = Param(req, "tolerance")) {
    auto d = ParseDuration(*t);
    if (!d || *d < 0 || *d > kNanosPerDay) return JsonError(400, "bad 'tolerance' (a duration up to 1d): " + *t);
    q.tolerance_ns = *d;
  }
  for (const char* name : {"dport", "sport"}) {
    const std::string* v = Param(req, name);
    if (!v) continue;
    if (v->size() > 5 || v->find_first_not_of("0123456789") != std::string::npos)
      return JsonError(400, fmt::format("bad '{}': a port number is expected", name));
    (std::string_view(name) == "dport" ? q.dport : q.sport) = *v;
  }
  investigate::ConnectionAnswer answer;
  Status s = investigate::JoinConnection(MakeSearcher(req, ctx), q, &answer);
  if (!s.ok()) return Failed(s, "connection");
  return Json(investigate::ConnectionJson(answer), t0);
}

}  // namespace

std::optional<Response> RequestTimeRange(const Request& req, int64_t* from, int64_t* to) {
  return TimeRange(req, from, to);
}

investigate::Searcher RequestSearcher(const Request& req, const Config& cfg, const store::Store& store,
                                      std::function<std::string(const std::string&)> restrict,
                                      const clickhouse::Client* cluster) {
  investigate::SearchLimits limits;
  limits.deadline_ns = store::NowSteady() + cfg.query.timeout_ns;
  limits.cancelled = req.cancelled;
  limits.max_memory_bytes = cfg.query.max_memory;
  limits.restrict = std::move(restrict);
  if (cluster) limits.source = ClusterEventSource(*cluster, limits.deadline_ns, req.cancelled);
  return investigate::Searcher(store, std::move(limits));
}

std::optional<Response> HandleInvestigateRoute(const Request& req, const InvestigateContext& ctx) {
  using Handler = Response (*)(const Request&, const InvestigateContext&);
  static const std::pair<std::string_view, Handler> kRoutes[] = {
      {"/api/v1/ip/owner", &IpOwner}, {"/api/v1/process/tree", &ProcessTree}, {"/api/v1/entity", &Entity},
      {"/api/v1/host/logons", &HostLogons}, {"/api/v1/connection", &Connection}};
  for (const auto& [path, handler] : kRoutes) {
    if (req.path != path) continue;
    if (req.method != "GET") return JsonError(405, "use GET");
    return handler(req, ctx);
  }
  return std::nullopt;
}

Status LoadLeases(const store::Store& store, const Config& cfg, investigate::LeaseIndex* leases, uint64_t* events,
                  const clickhouse::Client* cluster) {
  investigate::SearchLimits limits;
  if (cluster) limits.source = ClusterEventSource(*cluster, 0, nullptr);
  investigate::Searcher searcher(store, std::move(limits));
  int64_t from = INT64_MIN;
  if (cfg.storage.max_age_days > 0) from = NowNanos() - (cfg.storage.max_age_days + 1) * kNanosPerDay;
  *events = 0;
  return searcher.Each("event.dataset:dhcp.*", from, INT64_MAX, [&](Event&& ev) {
    ++*events;
    leases->Observe(ev);
    return true;
  });
}

}  // namespace kamatama::server
