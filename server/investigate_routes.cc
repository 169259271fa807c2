// server/investigate_routes.cc
#include "server/investigate_routes.h"

#include <fmt/format.h>

#include "core/metrics.h"
#include "core/time.h"
#include "investigate/entity.h"
#include "investigate/ip_owner.h"
#include "investigate/process_tree.h"

namespace kamatama::server {

namespace {

const std::string* Param(const Request& req, const std::string& name) {
  auto it = req.params.find(name);
  return it == req.params.end() || it->second.empty() ? nullptr : &it->second;
}

investigate::Searcher MakeSearcher(const Request& req, const InvestigateContext& ctx) {
  investigate::SearchLimits limits;
  limits.deadline_ns = store::NowSteady() + ctx.cfg.query.timeout_ns;
  limits.cancelled = req.cancelled;
  limits.max_memory_bytes = ctx.cfg.query.max_memory;
  limits.restrict = ctx.restrict;
  return investigate::Searcher(ctx.store, std::move(limits));
}

// from/to parameters (API times: RFC 3339, epoch, now-30d); absent means unbounded.
std::optional<Response> TimeRange(const Request& req, int64_t* from, int64_t* to) {
  const int64_t now = NowNanos();
  *from = INT64_MIN;
  *to = INT64_MAX;
  for (const char* name : {"from", "to"}) {
    if (const std::string* v = Param(req, name)) {
      auto t = ParseApiTime(*v, now);
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

Response IpOwner(const Request& req, const InvestigateContext& ctx) {
  const int64_t t0 = store::NowSteady();
  const std::string* ip = Param(req, "ip");
  if (!ip) return JsonError(400, "'ip' is required");
  int64_t at = NowNanos();
  if (const std::string* a = Param(req, "at")) {
    auto t = ParseApiTime(*a, at);
    if (!t) return JsonError(400, "bad 'at' time: " + *a);
    at = *t;
  }
  investigate::OwnerAnswer answer;
  Status s = investigate::ResolveOwner(ctx.leases, MakeSearcher(req, ctx), *ip, at, &answer);
  if (!s.ok()) return Failed(s, "ip owner");
  return Json(investigate::OwnerJson(answer), t0);
}

Response ProcessTree(const Request& req, const InvestigateContext& ctx) {
  const int64_t t0 = store::NowSteady();
  const std::string* id = Param(req, "entity_id");
  if (!id) return JsonError(400, "'entity_id' is required (process.entity_id, the Sysmon ProcessGuid)");
  const std::string* host = Param(req, "host");
  int64_t from, to;
  if (auto bad = TimeRange(req, &from, &to)) return std::move(*bad);
  investigate::ProcessTree tree;
  Status s = investigate::BuildProcessTree(MakeSearcher(req, ctx), host ? *host : "", *id, from, to,
                                           investigate::TreeLimits{}, &tree);
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

}  // namespace

std::optional<Response> HandleInvestigateRoute(const Request& req, const InvestigateContext& ctx) {
  using Handler = Response (*)(const Request&, const InvestigateContext&);
  static const std::pair<std::string_view, Handler> kRoutes[] = {
      {"/api/v1/ip/owner", &IpOwner}, {"/api/v1/process/tree", &ProcessTree}, {"/api/v1/entity", &Entity}};
  for (const auto& [path, handler] : kRoutes) {
    if (req.path != path) continue;
    if (req.method != "GET") return JsonError(405, "use GET");
    return handler(req, ctx);
  }
  return std::nullopt;
}

Status LoadLeases(const store::Store& store, const Config& cfg, investigate::LeaseIndex* leases, uint64_t* events) {
  investigate::Searcher searcher(store, investigate::SearchLimits{});
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
