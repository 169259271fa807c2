// server/schedule_routes.cc
#include "server/schedule_routes.h"

#include <simdjson.h>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"
#include "server/notifier.h"
#include "server/scheduler.h"

namespace kamatama::server {

namespace {

bool FieldName(std::string_view f) {
  if (f.empty()) return false;
  for (char c : f)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '@') return false;
  return true;
}

Response Runs(const OwnedObject& o, const ScheduleRoutes& ctx) {
  std::string j = "{";
  AppendJsonMember(&j, "id", o.id);
  const bool running = ctx.scheduler->Running(o.id);
  j += running ? ",\"running\":true" : ",\"running\":false";
  auto spec = ParseScheduleSpec(o);
  const int64_t next = spec ? ctx.scheduler->NextSlot(*spec) : 0;
  if (next) AppendJsonMember(&j, "next_run", FormatRfc3339(next + ctx.scheduler->options().lag_ns));
  else j += ",\"next_run\":null";
  j += ",\"runs\":[";
  bool first = true;
  for (const ScheduleRun& r : ctx.scheduler->Runs(o.id)) {
    if (!first) j.push_back(',');
    first = false;
    AppendRunJson(r, &j);
  }
  return Response{200, "application/json", j + "]}"};
}

Response RunNow(const Request& req, const OwnedObject& o, const ScheduleRoutes& ctx) {
  if (!CanChange(req.principal, o)) {
    if (ctx.audit) ctx.audit("schedule.run", "failure", {{"kamatama.object.id", o.id}});
    return JsonError(403, "only its owner or an administrator runs this schedule");
  }
  Status s = ctx.scheduler->RunNow(o.id);
  if (ctx.audit) ctx.audit("schedule.run", s.ok() ? "success" : "failure", {{"kamatama.object.id", o.id}});
  if (s.code() == Status::Code::kBusy) return JsonError(409, s.message());
  if (!s.ok()) return JsonError(404, "no schedule " + o.id);
  return Response{202, "application/json", "{\"queued\":\"" + o.id + "\"}"};
}

}  // namespace

std::optional<Response> HandleScheduleRoute(const Request& req, const ScheduleRoutes& ctx) {
  constexpr std::string_view base = "/api/v1/schedules/";
  if (!req.path.starts_with(base)) return std::nullopt;
  const std::string_view rest = std::string_view(req.path).substr(base.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string id(rest.substr(0, slash));
  const std::string_view tail = rest.substr(slash + 1);
  if (tail != "runs" && tail != "run") return std::nullopt;
  if (!ctx.schedules || !ctx.scheduler) return JsonError(503, "schedules are not available");
  auto o = ctx.schedules->Get(id);
  if (!o || !CanRead(req.principal, *o)) return JsonError(404, "no schedule " + id);
  if (tail == "runs") return req.method == "GET" ? Runs(*o, ctx) : JsonError(405, "use GET");
  return req.method == "POST" ? RunNow(req, *o, ctx) : JsonError(405, "use POST");
}

std::optional<Response> AuthorizeSchedule(const Principal& who, const std::string& body, const ScheduleRoutes& ctx) {
  simdjson::dom::parser parser;
  simdjson::dom::object b;
  if (parser.parse(body).get(b)) return JsonError(500, "a schedule is not JSON");
  if (who.method == "token" || who.method == "hec")
    return JsonError(403, "a schedule runs as its owner, a user: create it with a user's credentials, not a token");
  std::string_view saved, target, every, field;
  if (b["saved_search"].get(saved)) saved = {};
  auto search = ctx.saved_searches ? ctx.saved_searches->Get(std::string(saved)) : std::nullopt;
  if (!search || !CanRead(who, *search))
    return JsonError(400, fmt::format("invalid schedule: no saved search {}", saved));
  if (!b["every"].get(every) && ctx.scheduler) {
    const int64_t min = ctx.scheduler->options().min_interval_ns;
    if (ParseDuration(every).value_or(0) < min)
      return JsonError(400, fmt::format("invalid schedule: 'every' must be at least {} s (schedules.min_interval)",
                                        min / kNanosPerSecond));
  }
  if (!b["field"].get(field) && !FieldName(field))
    return JsonError(400, "invalid schedule: 'field' must be a field name (letters, digits, . _ - @)");
  if (!b["target"].get(target)) {
    if (!who.Has(kPermAdmin))
      return JsonError(403, "only administrators make a schedule send to a notification target (as only they set the targets)");
    if (!ctx.notifier || !ctx.notifier->HasTarget(std::string(target)))
      return JsonError(400, fmt::format("invalid schedule: no notification target '{}'", target));
  }
  return std::nullopt;
}

}  // namespace kamatama::server
