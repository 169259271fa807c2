// server/case_routes.cc
#include "server/case_routes.h"

#include <simdjson.h>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"
#include "investigate/case_export.h"
#include "investigate/searcher.h"
#include "investigate/sentence.h"
#include "server/alert_store.h"
#include "server/auth.h"
#include "server/investigate_routes.h"

namespace kamatama::server {

namespace {

using Extra = std::vector<std::pair<std::string, std::string>>;
using investigate::Case;
using investigate::CaseEvent;
using Obj = simdjson::dom::object;

//! Most items one request pins (each event is a small search).
constexpr size_t kMaxPinsPerRequest = 200;

std::string Param(const Request& req, const char* name) {
  auto it = req.params.find(name);
  return it == req.params.end() ? "" : it->second;
}

Response Failed(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound: return JsonError(404, s.message());
    case Status::Code::kInvalidArgument: return JsonError(400, s.message());
    case Status::Code::kResourceExhausted: return JsonError(409, s.message());
    default: return JsonError(500, s.ToString());
  }
}

bool Hidden(const CaseEvent& e) { return e.dataset == "kamatama.audit" || e.dataset == "kamatama.internal"; }

//! The case as the caller may see it: non-admins never see pinned audit or internal events.
Case Visible(Case c, const Request& req) {
  if (!req.principal.Has(kPermAdmin)) std::erase_if(c.events, Hidden);
  return c;
}

Response CaseResponse(const Case& c, const Request& req, int status = 200, int64_t added = -1) {
  std::string j;
  if (added >= 0) j = fmt::format("{{\"added\":{},\"case\":", added);
  investigate::AppendCaseJson(Visible(c, req), &j);
  if (added >= 0) j += "}";
  return Response{status, "application/json", std::move(j)};
}

//! Audits `action` on case `id` and answers `ok` or the failure.
Response Audited(const CaseRoutes& ctx, std::string_view action, uint64_t id, const Status& s, Extra extra,
                 const std::function<Response()>& ok) {
  extra.insert(extra.begin(), {"kamatama.case.id", std::to_string(id)});
  if (!s.ok()) extra.emplace_back("error.message", s.ToString());
  if (ctx.audit && !ctx.audit(action, s.ok() ? "success" : "failure", extra) && s.ok())
    return JsonError(503, "the change was made but the audit log could not record it now");
  return s.ok() ? ok() : Failed(s);
}

// ------------------------------------------------------------------ list, create, patch, delete

Response ListCases(const Request& req, const CaseRoutes& ctx) {
  const std::string status = Param(req, "status");
  std::string j = "{\"cases\":[";
  size_t n = 0;
  for (const Case& c : ctx.cases->List()) {
    if (!status.empty() && c.status != status) continue;
    if (n++) j.push_back(',');
    investigate::AppendCaseSummaryJson(Visible(c, req), &j);
  }
  j += fmt::format("],\"total\":{}}}", n);
  return Response{200, "application/json", std::move(j)};
}

//! Reads the string members of a case body into *c / *p; an error message, or "".
std::string ReadCaseFields(Obj body, Case* c, investigate::CasePatch* p, Extra* extra) {
  for (auto [key, value] : body) {
    std::string_view v;
    const bool head = key == "title" || key == "description" || key == "status" || key == "owner";
    if (!head) continue;
    if (value.get(v)) return fmt::format("'{}' must be a string", key);
    std::string s = SanitizeUtf8(v);
    extra->emplace_back(fmt::format("kamatama.case.{}", key), s);
    if (c) (key == "title" ? c->title : key == "description" ? c->description : key == "status" ? c->status : c->owner) = s;
    if (p) (key == "title" ? p->title : key == "description" ? p->description : key == "status" ? p->status : p->owner) = s;
  }
  return "";
}

Response CreateCase(const Request& req, const CaseRoutes& ctx) {
  simdjson::dom::parser parser;
  Obj body;
  if (parser.parse(req.body).get(body)) return JsonError(400, "the body must be a JSON object");
  Case c;
  Extra extra;
  if (std::string bad = ReadCaseFields(body, &c, nullptr, &extra); !bad.empty()) return JsonError(400, bad);
  Case out;
  Status s = ctx.cases->Create(std::move(c), req.principal.name, NowNanos(), &out);
  return Audited(ctx, "case.create", out.id, s, extra, [&] { return CaseResponse(out, req, 201); });
}

//! A JSON list of item ids.
bool IdList(simdjson::dom::element e, std::vector<uint64_t>* out) {
  simdjson::dom::array a;
  if (e.get(a)) return false;
  for (simdjson::dom::element x : a) {
    uint64_t id = 0;
    if (x.get(id)) return false;
    out->push_back(id);
  }
  return true;
}

Response PatchCase(const Request& req, const CaseRoutes& ctx, uint64_t id) {
  simdjson::dom::parser parser;
  Obj body;
  if (parser.parse(req.body).get(body)) return JsonError(400, "the body must be a JSON object");
  investigate::CasePatch p;
  Extra extra;
  if (std::string bad = ReadCaseFields(body, nullptr, &p, &extra); !bad.empty()) return JsonError(400, bad);
  for (auto [key, value] : body) {
    std::vector<uint64_t>* ids = key == "remove_events" ? &p.remove_events : key == "remove_entities" ? &p.remove_entities
                               : key == "remove_alerts" ? &p.remove_alerts : nullptr;
    const bool head = key == "title" || key == "description" || key == "status" || key == "owner";
    if (!ids && !head)
      return JsonError(400, fmt::format("unknown key '{}' (title, description, status, owner, remove_events, "
                                        "remove_entities, remove_alerts)", key));
    if (ids && !IdList(value, ids)) return JsonError(400, fmt::format("'{}' must be a list of item ids", key));
    if (ids) extra.emplace_back("kamatama.case." + std::string(key), std::string(simdjson::minify(value)));
  }
  Case out;
  Status s = ctx.cases->Update(id, p, NowNanos(), &out);
  return Audited(ctx, "case.update", id, s, extra, [&] { return CaseResponse(out, req); });
}

Response DeleteCase(const CaseRoutes& ctx, uint64_t id) {
  auto c = ctx.cases->Get(id);
  Status s = c ? ctx.cases->Remove(id) : Status::NotFound(fmt::format("no case {}", id));
  Extra extra;
  if (c) extra.emplace_back("kamatama.case.title", c->title);
  return Audited(ctx, "case.delete", id, s, extra, [] { return Response{204, "application/json", ""}; });
}

// ------------------------------------------------------------------ pinned events

//! Adds pinned items with `add` and audits it as `action`: {"added":N,"case":...}.
template <class T>
Response AddItems(const Request& req, const CaseRoutes& ctx, uint64_t id, std::string_view action, std::vector<T> items,
                  Extra extra,
                  Status (investigate::CaseBook::*add)(uint64_t, std::vector<T>, const std::string&, int64_t, Case*, size_t*)) {
  Case out;
  size_t added = 0;
  Status s = (ctx.cases->*add)(id, std::move(items), req.principal.name, NowNanos(), &out, &added);
  return Audited(ctx, action, id, s, std::move(extra), [&] { return CaseResponse(out, req, 200, static_cast<int64_t>(added)); });
}


investigate::Searcher MakeSearcher(const Request& req, const CaseRoutes& ctx) {
  return RequestSearcher(req, ctx.cfg, ctx.store, ctx.restrict, ctx.cluster);
}

//! What finds one event: its time, dataset and host, and its original line (or its SHA-256).
struct EventRef {
  int64_t ts_ns = 0;
  std::string dataset, host, original, sha256;
};

//! The stored events at the reference's nanosecond matching it.
Status FindEvents(const investigate::Searcher& searcher, const EventRef& ref, std::vector<Event>* out) {
  std::string q = "event.dataset:" + investigate::Quote(ref.dataset);
  if (!ref.host.empty()) q += " host.name:" + investigate::Quote(ref.host);
  std::vector<Event> found;
  if (Status s = searcher.Find(q, ref.ts_ns, ref.ts_ns + 1, 1000, &found); !s.ok()) return s;
  out->clear();
  for (Event& ev : found) {
    if (!ref.original.empty() && ev.original != ref.original) continue;
    if (!ref.sha256.empty() && Sha256Hex(ev.original) != ref.sha256) continue;
    out->push_back(std::move(ev));
  }
  return Status::OK();
}

CaseEvent PinnedCopy(const Event& ev) {
  CaseEvent e;
  e.ts_ns = ev.timestamp_ns;
  if (const std::string* v = ev.Get(field::kDataset)) e.dataset = *v;
  if (const std::string* v = ev.Get(field::kHostName)) e.host = *v;
  e.sha256 = Sha256Hex(ev.original);
  e.summary = investigate::Sentence(ev);
  e.message = ev.original;
  for (std::string_view name : investigate::CaseEventFields())
    if (const std::string* v = ev.Get(name); v && !v->empty())
      e.fields.emplace_back(std::string(name), v->substr(0, investigate::kMaxCaseValueBytes));
  return e;
}

//! Reads one reference object; an error message, or "".
std::string ReadRef(Obj o, EventRef* ref) {
  std::string_view ts, v;
  if (o["@timestamp"].get(ts)) return "each event needs its '@timestamp'";
  auto t = ParseRfc3339(ts);
  if (!t) return fmt::format("'{}' is not an RFC 3339 time", ts);
  ref->ts_ns = *t;
  if (o["event.dataset"].get(v)) return "each event needs its 'event.dataset'";
  ref->dataset = v;
  if (!o["host.name"].get(v)) ref->host = v;
  if (!o["event.original"].get(v)) ref->original = v;
  if (!o["sha256"].get(v)) ref->sha256 = v;
  return "";
}

//! Finds every referenced event: the copies to pin, or the answer that refuses the request.
std::optional<Response> ResolveRefs(const Request& req, const CaseRoutes& ctx, simdjson::dom::array refs,
                                    std::vector<CaseEvent>* out, Extra* extra) {
  if (refs.size() == 0 || refs.size() > kMaxPinsPerRequest)
    return JsonError(400, fmt::format("send 1 to {} events", kMaxPinsPerRequest));
  const investigate::Searcher searcher = MakeSearcher(req, ctx);
  for (simdjson::dom::element e : refs) {
    Obj o;
    EventRef ref;
    if (e.get(o)) return JsonError(400, "each event must be an object");
    if (std::string bad = ReadRef(o, &ref); !bad.empty()) return JsonError(400, bad);
    std::vector<Event> found;
    if (Status s = FindEvents(searcher, ref, &found); !s.ok()) return Failed(s);
    const std::string at = FormatRfc3339(ref.ts_ns);
    if (found.empty()) return JsonError(404, fmt::format("no stored {} event at {} that you may see", ref.dataset, at));
    if (found.size() > 1)
      return JsonError(409, fmt::format("{} {} events at {}: send its 'event.original' to say which", found.size(), ref.dataset, at));
    out->push_back(PinnedCopy(found[0]));
    extra->emplace_back("kamatama.case.event", fmt::format("{} {} {}", at, ref.dataset, out->back().sha256));
  }
  return std::nullopt;
}

//! The body's list under `key`, or the body itself (one object) as a one-item list.
bool ItemsOf(simdjson::dom::element body, const char* key, simdjson::dom::array* out, simdjson::dom::parser* wrap) {
  if (!body[key].get(*out)) return true;
  Obj o;
  if (body.get(o)) return false;
  return !wrap->parse("[" + simdjson::minify(body) + "]").get(*out);
}

Response PinEvents(const Request& req, const CaseRoutes& ctx, uint64_t id) {
  simdjson::dom::parser parser, wrap;
  simdjson::dom::element body;
  simdjson::dom::array refs;
  if (parser.parse(req.body).get(body) || !ItemsOf(body, "events", &refs, &wrap))
    return JsonError(400, "send {\"events\":[{\"@timestamp\",\"event.dataset\",\"host.name\",\"event.original\"}]}");
  if (!ctx.cases->Get(id)) return JsonError(404, fmt::format("no case {}", id));
  std::vector<CaseEvent> items;
  Extra extra;
  if (auto refused = ResolveRefs(req, ctx, refs, &items, &extra)) return std::move(*refused);
  return AddItems(req, ctx, id, "case.pin_events", std::move(items), std::move(extra), &investigate::CaseBook::AddEvents);
}

//! GET .../events/N: the pinned copy, and the event read again from the store (null once gone).
Response GetPinnedEvent(const Request& req, const CaseRoutes& ctx, const Case& c, uint64_t item) {
  const Case visible = Visible(c, req);
  auto it = std::find_if(visible.events.begin(), visible.events.end(), [item](const CaseEvent& e) { return e.pin.id == item; });
  if (it == visible.events.end()) return JsonError(404, fmt::format("case {} has no pinned event {}", c.id, item));
  std::vector<Event> found;
  Status s = FindEvents(MakeSearcher(req, ctx), EventRef{it->ts_ns, it->dataset, it->host, "", it->sha256}, &found);
  if (!s.ok()) return Failed(s);
  std::string j = "{\"found\":" + std::string(found.empty() ? "false" : "true") + ",\"event\":";
  if (found.empty()) j += "null";
  else AppendEventJson(found[0], &j);
  j += ",\"pinned\":";
  investigate::AppendCaseEventJson(*it, &j);
  j += "}";
  return Response{200, "application/json", std::move(j)};
}

// ------------------------------------------------------------------ entities, alerts, notes

Response PinEntities(const Request& req, const CaseRoutes& ctx, uint64_t id) {
  simdjson::dom::parser parser, wrap;
  simdjson::dom::element body;
  simdjson::dom::array list;
  if (parser.parse(req.body).get(body) || !ItemsOf(body, "entities", &list, &wrap))
    return JsonError(400, "send {\"entities\":[{\"type\",\"value\"}]}");
  if (list.size() == 0 || list.size() > kMaxPinsPerRequest) return JsonError(400, fmt::format("send 1 to {} entities", kMaxPinsPerRequest));
  std::vector<investigate::CaseEntity> items;
  Extra extra;
  for (simdjson::dom::element e : list) {
    std::string_view type, value;
    if (e["type"].get(type) || e["value"].get(value)) return JsonError(400, "each entity needs a 'type' and a 'value'");
    items.push_back({{}, std::string(type), SanitizeUtf8(value)});
    extra.emplace_back("kamatama.case.entity", items.back().type + ":" + items.back().value);
  }
  return AddItems(req, ctx, id, "case.pin_entities", std::move(items), std::move(extra), &investigate::CaseBook::AddEntities);
}

Response PinAlerts(const Request& req, const CaseRoutes& ctx, uint64_t id) {
  simdjson::dom::parser parser;
  std::vector<uint64_t> ids;
  simdjson::dom::element list;
  if (parser.parse(req.body)["alerts"].get(list) || !IdList(list, &ids) || ids.empty() || ids.size() > kMaxPinsPerRequest)
    return JsonError(400, fmt::format("send {{\"alerts\":[ID, ...]}} (1 to {} alert ids)", kMaxPinsPerRequest));
  if (!ctx.alerts) return JsonError(404, "detection is not running: there are no alerts to pin");
  std::vector<investigate::CaseAlert> items;
  Extra extra;
  for (uint64_t a : ids) {
    auto rec = ctx.alerts->Get(a);
    if (!rec) return JsonError(404, fmt::format("no alert {}", a));
    items.push_back({{}, a, rec->rule_name, rec->level, rec->host, rec->excerpt, rec->first_ns});
    extra.emplace_back("kamatama.case.alert", std::to_string(a));
  }
  return AddItems(req, ctx, id, "case.pin_alerts", std::move(items), std::move(extra), &investigate::CaseBook::AddAlerts);
}

Response AddNote(const Request& req, const CaseRoutes& ctx, uint64_t id) {
  simdjson::dom::parser parser;
  std::string_view text;
  if (parser.parse(req.body)["text"].get(text)) return JsonError(400, "send {\"text\": \"...\"}");
  Case out;
  Status s = ctx.cases->AddNote(id, SanitizeUtf8(text), req.principal.name, NowNanos(), &out);
  return Audited(ctx, "case.note", id, s, {{"kamatama.case.note", SanitizeUtf8(text)}},
                 [&] { return CaseResponse(out, req); });
}

// ------------------------------------------------------------------ export

Response ExportCase(const Request& req, const Case& c) {
  const std::string format = Param(req, "format").empty() ? "json" : Param(req, "format");
  const investigate::ExportStamp stamp{req.principal.name, NowNanos()};
  Response r;
  if (format == "json") r = Response{200, "application/json", investigate::CaseJson(c)};
  else if (format == "csv") r = Response{200, "text/csv; charset=utf-8", investigate::CaseCsv(c)};
  else if (format == "md") r = Response{200, "text/markdown; charset=utf-8", investigate::CaseMarkdown(c, stamp)};
  else if (format == "html") r = Response{200, "text/html; charset=utf-8", investigate::CaseHtml(c, stamp)};
  else return JsonError(400, "bad 'format': json, csv, md or html");
  // An attachment, never rendered on the server's origin; the HTML report runs no script anyway.
  r.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"case-{}.{}\"", c.id, format));
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  r.results = static_cast<int64_t>(c.events.size());
  return r;
}

// ------------------------------------------------------------------ dispatch

//! /api/v1/cases/ID[/what[/N]] split; false when ID or N is not a number.
bool SplitPath(std::string_view rest, uint64_t* id, std::string* what, uint64_t* item) {
  const size_t slash = rest.find('/');
  const std::string idtext(rest.substr(0, slash));
  char* end = nullptr;
  *id = std::strtoull(idtext.c_str(), &end, 10);
  if (idtext.empty() || *end || *id == 0) return false;
  *item = 0;
  if (slash == std::string_view::npos) return true;
  std::string_view tail = rest.substr(slash + 1);
  const size_t s2 = tail.find('/');
  *what = std::string(tail.substr(0, s2));
  if (s2 == std::string_view::npos) return true;
  const std::string n(tail.substr(s2 + 1));
  *item = std::strtoull(n.c_str(), &end, 10);
  return !n.empty() && !*end && *item != 0;
}

Response OneCase(const Request& req, const CaseRoutes& ctx, uint64_t id) {
  if (req.method == "PATCH") return PatchCase(req, ctx, id);
  if (req.method == "DELETE") return DeleteCase(ctx, id);
  if (req.method != "GET" && req.method != "HEAD") return JsonError(405, "use GET, PATCH or DELETE");
  auto c = ctx.cases->Get(id);
  return c ? CaseResponse(*c, req) : JsonError(404, fmt::format("no case {}", id));
}

Response CaseItems(const Request& req, const CaseRoutes& ctx, uint64_t id, const std::string& what, uint64_t item) {
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (get && (what == "export" || what == "events")) {
    auto c = ctx.cases->Get(id);
    if (!c) return JsonError(404, fmt::format("no case {}", id));
    if (what == "export" && !item) return ExportCase(req, Visible(*c, req));
    if (what == "events" && item) return GetPinnedEvent(req, ctx, *c, item);
  }
  if (req.method == "POST" && !item) {
    if (what == "events") return PinEvents(req, ctx, id);
    if (what == "entities") return PinEntities(req, ctx, id);
    if (what == "alerts") return PinAlerts(req, ctx, id);
    if (what == "notes") return AddNote(req, ctx, id);
  }
  return JsonError(404, "no such case endpoint (events, entities, alerts, notes, export)");
}

}  // namespace

std::optional<Response> HandleCaseRoute(const Request& req, const CaseRoutes& ctx) {
  constexpr std::string_view kBase = "/api/v1/cases";
  if (req.path != kBase && !req.path.starts_with("/api/v1/cases/")) return std::nullopt;
  if (!ctx.cases) return JsonError(503, "cases are not available");
  if (req.path == kBase) {
    if (req.method == "POST") return CreateCase(req, ctx);
    if (req.method != "GET" && req.method != "HEAD") return JsonError(405, "use GET or POST");
    return ListCases(req, ctx);
  }
  uint64_t id = 0, item = 0;
  std::string what;
  if (!SplitPath(std::string_view(req.path).substr(kBase.size() + 1), &id, &what, &item))
    return JsonError(404, "no such case");
  return what.empty() ? OneCase(req, ctx, id) : CaseItems(req, ctx, id, what, item);
}

}  // namespace kamatama::server
