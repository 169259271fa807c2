// server/notify_routes.cc
#include "server/notify_routes.h"

#include <simdjson.h>

#include <fmt/format.h>

#include "core/json.h"
#include "core/safe_file.h"
#include "core/time.h"

namespace kamatama::server {

namespace {

void AppendStats(const NotifyStats& s, std::string* j) {
  *j += fmt::format(",\"stats\":{{\"sent\":{},\"failed\":{},\"dropped\":{},\"held_back\":{},\"retries\":{},\"queued\":{}",
                    s.sent, s.failed, s.dropped, s.held_back, s.retries, s.queued);
  AppendJsonMember(j, "last_sent", s.last_sent_ns ? FormatRfc3339(s.last_sent_ns) : "");
  AppendJsonMember(j, "last_error", s.last_error);
  AppendJsonMember(j, "last_error_at", s.last_error_ns ? FormatRfc3339(s.last_error_ns) : "");
  j->push_back('}');
}

Response List(const Notifier& n) {
  const std::vector<NotifyTarget> targets = n.Targets();
  const std::map<std::string, NotifyStats> stats = n.Stats();
  std::string j = "{\"allowed_targets\":[";
  const auto& allowed = n.options().allowed_targets;
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i) j.push_back(',');
    AppendJsonString(&j, allowed[i]);
  }
  j += "],\"targets\":[";
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i) j.push_back(',');
    AppendTargetJson(targets[i], false, &j);
    j.pop_back();  // the object's '}': the counts go inside it
    auto it = stats.find(targets[i].name);
    AppendStats(it == stats.end() ? NotifyStats{} : it->second, &j);
    j.push_back('}');
  }
  return Response{200, "application/json", j + "]}"};
}

Response Put(const Request& req, const NotifyRoutes& ctx) {
  std::vector<NotifyTarget> targets;
  Status s = ParseTargets(req.body, ctx.notifier->Targets(), &targets);
  if (s.ok()) s = ctx.notifier->SetTargets(targets);
  std::string names;
  for (const NotifyTarget& t : targets) names += (names.empty() ? "" : ",") + t.name;
  std::vector<std::pair<std::string, std::string>> extra = {{"kamatama.targets", names}};
  if (!s.ok()) extra.emplace_back("error.message", s.ToString());
  if (ctx.audit) ctx.audit("notifications.update", s.ok() ? "success" : "failure", extra);
  if (!s.ok()) return JsonError(s.code() == Status::Code::kInvalidArgument ? 400 : 500, s.ToString());
  return List(*ctx.notifier);
}

Response Test(const Request& req, const NotifyRoutes& ctx) {
  simdjson::dom::parser parser;
  std::string_view name;
  if (parser.parse(req.body).get_object()["target"].get(name))
    return JsonError(400, "the body must be {\"target\": \"NAME\"}");
  bool found = false;
  const std::string error = ctx.notifier->SendTest(std::string(name), req.principal.name, &found);
  std::vector<std::pair<std::string, std::string>> extra = {{"kamatama.target", std::string(name)}};
  if (!error.empty()) extra.emplace_back("error.message", error);
  if (ctx.audit) ctx.audit("notifications.test", error.empty() ? "success" : "failure", extra);
  if (!found) return JsonError(404, fmt::format("no target named '{}'", EscapeControl(name)));
  if (!error.empty()) return JsonError(502, "the test notification was not delivered: " + EscapeControl(error));
  std::string j = "{\"sent\":true";
  AppendJsonMember(&j, "target", name);
  return Response{200, "application/json", j + "}"};
}

}  // namespace

std::optional<Response> HandleNotifyRoute(const Request& req, const NotifyRoutes& ctx) {
  if (req.path != "/api/v1/notifications" && req.path != "/api/v1/notifications/test") return std::nullopt;
  if (!ctx.notifier) return JsonError(503, "notifications are not available");
  if (req.path == "/api/v1/notifications/test") {
    if (req.method != "POST") return JsonError(405, "use POST");
    return Test(req, ctx);
  }
  if (req.method == "GET") return List(*ctx.notifier);
  if (req.method == "PUT") return Put(req, ctx);
  return JsonError(405, "use GET or PUT");
}

}  // namespace kamatama::server
