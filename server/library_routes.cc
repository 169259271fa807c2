// server/library_routes.cc
#include "server/library_routes.h"

#include <simdjson.h>

#include <fmt/format.h>

#include <optional>

#include <string>
#include <string_view>
#include <algorithm>
#include <utility>
#include <variant>
#include <vector>

#include "core/json.h"
#include "core/time.h"

namespace kamatama::server {

namespace {

using Extra = std::vector<std::pair<std::string, std::string>>;

//! Fields of the API's answer that a client may send back (a GET, edited, PUT back; an export
//! imported): ignored. "shared" is the owner field a client sets.
constexpr std::string_view kReadOnlyFields[] = {"id", "owner", "created", "updated", "updated_by", "builtin"};

//! A request body: the owner field "shared" (when given) and the kind's own fields as JSON.
struct Input {
  std::optional<bool> shared;
  std::string fields = "{}";
};

//! Splits a JSON object into Input; `merge_onto` (PATCH) holds the stored fields the body's
//! fields replace. `format`: the "format" value an import must carry (null: none is accepted).
std::variant<Input, Response> ReadInput(std::string_view body, const char* format, std::string_view merge_onto = "{}") {
  simdjson::dom::parser parser, base_parser;
  simdjson::dom::object obj, base;
  if (parser.parse(body).get(obj)) return JsonError(400, "the body must be a JSON object");
  if (base_parser.parse(merge_onto).get(base)) return JsonError(500, "a stored object is not JSON");
  Input in;
  std::vector<std::pair<std::string, std::string>> fields;  // key, minified value; base first
  for (auto [key, value] : base) fields.emplace_back(std::string(key), simdjson::minify(value));
  for (auto [key, value] : obj) {
    bool read_only = false;
    for (std::string_view f : kReadOnlyFields) read_only = read_only || f == key;
    if (read_only) continue;
    if (key == "shared") {
      bool b = false;
      if (value.get(b)) return JsonError(400, "'shared' must be true or false");
      in.shared = b;
      continue;
    }
    if (key == "format" && format) {
      std::string_view f;
      if (value.get(f) || f != format) return JsonError(400, fmt::format("'format' must be \"{}\"", format));
      continue;
    }
    auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == key; });
    if (it == fields.end()) fields.emplace_back(std::string(key), simdjson::minify(value));
    else it->second = simdjson::minify(value);
  }
  in.fields = "{";
  for (const auto& [key, raw] : fields) {
    if (in.fields.size() > 1) in.fields.push_back(',');
    AppendJsonString(&in.fields, key);
    in.fields += ":" + raw;
  }
  in.fields += "}";
  return in;
}

//! The kind's check over Input's fields: the stored body, or a 400.
std::variant<std::string, Response> CheckFields(const LibraryKind& kind, const Input& in, const QueryCheck& check) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(in.fields).get(obj)) return JsonError(400, "the body must be a JSON object");
  std::string body;
  if (std::string why = kind.check(obj, check, &body); !why.empty())
    return JsonError(400, fmt::format("invalid {}: {}", kind.noun, why));
  return body;
}

//! The value of the kind's name field in a stored body (for the audit log).
std::string NameOf(const LibraryKind& kind, const std::string& body) {
  simdjson::dom::parser parser;
  std::string_view name;
  if (parser.parse(body)[kind.name_field].get(name)) return "";
  return std::string(name);
}

Response ObjectResponse(int status, const OwnedObject& o) {
  std::string j;
  AppendOwnedJson(o, &j);
  return Response{status, "application/json", std::move(j)};
}

Response StoreError(const Status& s) {
  if (s.code() == Status::Code::kNotFound) return JsonError(404, "not found");
  if (s.code() == Status::Code::kResourceExhausted) return JsonError(409, s.message());
  return JsonError(500, s.ToString());
}

class Handler {
 public:
  Handler(const Request& req, const LibraryRoutes& ctx, const LibraryKind& kind, OwnedObjectStore* store,
          const std::vector<OwnedObject>* shipped)
      : req_(req), ctx_(ctx), kind_(kind), store_(store), shipped_(shipped) {}

  Response List() const {
    std::string j = "{\"items\":[";
    size_t n = 0;
    std::vector<OwnedObject> all = shipped_ ? *shipped_ : std::vector<OwnedObject>{};
    for (OwnedObject& o : store_->List()) all.push_back(std::move(o));
    for (const OwnedObject& o : all) {
      if (!CanRead(req_.principal, o)) continue;
      if (n++) j.push_back(',');
      AppendOwnedJson(o, &j);
    }
    j += fmt::format("],\"total\":{}}}", n);
    return Response{200, "application/json", std::move(j)};
  }

  Response Create(const char* format) const {
    if (!CanCreate(req_.principal))
      return Refuse("create", "", fmt::format("only analysts and administrators create a {}", kind_.noun));
    auto input = ReadInput(req_.body, format);
    if (auto* r = std::get_if<Response>(&input)) return std::move(*r);
    auto body = CheckFields(kind_, std::get<Input>(input), ctx_.check_query);
    if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
    if (auto refused = Authorize(std::get<std::string>(body))) return std::move(*refused);
    OwnedObject o;
    o.owner = req_.principal.name;
    o.shared = std::get<Input>(input).shared.value_or(false);
    o.body = std::move(std::get<std::string>(body));
    Status s = store_->Create(&o, NowNanos());
    Audit("create", o, s);
    if (!s.ok()) return StoreError(s);
    return ObjectResponse(201, o);
  }

  //! One object the caller may read, or the 404 to answer.
  std::variant<OwnedObject, Response> Find(const std::string& id) const {
    if (shipped_)
      for (const OwnedObject& s : *shipped_)
        if (s.id == id) return s;
    auto o = store_->Get(id);
    if (!o || !CanRead(req_.principal, *o)) return JsonError(404, fmt::format("no {} {}", kind_.noun, id));
    return std::move(*o);
  }

  //! PUT (replace the fields) or PATCH (merge them onto the stored ones), checked and written
  //! under the store's lock so that concurrent changes do not undo one another.
  Response Change(const std::string& id, bool merge) const {
    std::optional<Response> refusal;
    OwnedObject before, after;
    auto change = [&](OwnedObject* o) -> Status {
      before = *o;
      if (!CanRead(req_.principal, *o) || !CanChange(req_.principal, *o)) return Status::InvalidArgument("refused");
      auto input = ReadInput(req_.body, nullptr, merge ? std::string_view(o->body) : std::string_view("{}"));
      if (auto* r = std::get_if<Response>(&input)) {
        refusal = std::move(*r);
        return Status::InvalidArgument("refused");
      }
      auto body = CheckFields(kind_, std::get<Input>(input), ctx_.check_query);
      if (auto* r = std::get_if<Response>(&body)) {
        refusal = std::move(*r);
        return Status::InvalidArgument("refused");
      }
      if (auto refused = Authorize(std::get<std::string>(body))) {
        refusal = std::move(*refused);
        return Status::InvalidArgument("refused");
      }
      o->shared = std::get<Input>(input).shared.value_or(o->shared);
      o->body = std::move(std::get<std::string>(body));
      o->updated_by = req_.principal.name;
      return Status::OK();
    };
    Status s = store_->Update(id, change, NowNanos(), &after);
    if (refusal) return std::move(*refusal);
    if (s.code() == Status::Code::kNotFound || (!s.ok() && !CanRead(req_.principal, before)))
      return JsonError(404, fmt::format("no {} {}", kind_.noun, id));
    if (s.code() == Status::Code::kInvalidArgument) return RefuseChange("update", before);
    Audit("update", s.ok() ? after : before, s);
    if (!s.ok()) return StoreError(s);
    return ObjectResponse(200, after);
  }

  Response Delete(const OwnedObject& o) const {
    if (!CanChange(req_.principal, o)) return RefuseChange("delete", o);
    Status s = store_->Remove(o.id);
    Audit("delete", o, s);
    if (!s.ok()) return StoreError(s);
    return Response{200, "application/json", "{\"deleted\":\"" + o.id + "\"}"};
  }

  //! A shipped dashboard is never changed: the 403 (audited) says to copy it.
  Response RefuseBuiltin(const char* what, const OwnedObject& o) const {
    return Refuse(what, o.id, fmt::format("'{}' is a shipped {}: it cannot be changed; copy it (Copy in the UI, or POST "
                                          "its fields to {}) and change the copy", o.id, kind_.noun, kind_.path));
  }

  Response Export(const OwnedObject& o) const {
    std::string j = fmt::format("{{\"format\":\"{}\"", kDashboardFormat);
    if (o.body.size() > 2) j += "," + o.body.substr(1, o.body.size() - 2);
    j += "}\n";
    Response r{200, "application/json", std::move(j)};
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"dashboard-" + o.id + ".json\"");
    return r;
  }

 private:
  std::optional<Response> Authorize(const std::string& body) const {
    if (!ctx_.authorize) return std::nullopt;
    auto r = ctx_.authorize(req_.principal, kind_, body);
    if (r && r->status == 403 && ctx_.audit)
      ctx_.audit(fmt::format("{}.{}", kind_.audit_name, req_.method == "POST" ? "create" : "update"), "failure",
                 {{"error.message", r->body}});
    return r;
  }
  Response RefuseChange(const char* what, const OwnedObject& o) const {
    return Refuse(what, o.id,
                  o.shared ? fmt::format("only its owner ({}) or an administrator changes a shared {}", o.owner, kind_.noun)
                           : fmt::format("only its owner or an administrator changes this {}", kind_.noun));
  }
  Response Refuse(const char* what, const std::string& id, const std::string& why) const {
    if (ctx_.audit) ctx_.audit(fmt::format("{}.{}", kind_.audit_name, what), "failure",
                               {{"kamatama.object.id", id}, {"error.message", why}});
    return JsonError(403, why);
  }
  void Audit(const char* what, const OwnedObject& o, const Status& s) const {
    if (!ctx_.audit) return;
    Extra extra = {{"kamatama.object.id", o.id}, {"kamatama.object.name", NameOf(kind_, o.body)},
                   {"kamatama.object.shared", o.shared ? "true" : "false"}};
    if (!s.ok()) extra.emplace_back("error.message", s.ToString());
    ctx_.audit(fmt::format("{}.{}", kind_.audit_name, what), s.ok() ? "success" : "failure", extra);
  }

  const Request& req_;
  const LibraryRoutes& ctx_;
  const LibraryKind& kind_;
  OwnedObjectStore* store_;
  const std::vector<OwnedObject>* shipped_;
};

//! Requests under one kind's path: `rest` is what follows it ("", "/ID", "/ID/export", "/import").
Response Route(const Request& req, const LibraryRoutes& ctx, const LibraryKind& kind, OwnedObjectStore* store,
               std::string_view rest) {
  const bool dashboards = &kind == &DashboardKind();
  Handler h(req, ctx, kind, store, dashboards ? ctx.shipped_dashboards : nullptr);
  if (rest.empty() || rest == "/") {
    if (req.method == "GET") return h.List();
    if (req.method == "POST") return h.Create(nullptr);
    return JsonError(405, "use GET or POST");
  }
  rest.remove_prefix(1);
  if (dashboards && rest == "import") {
    if (req.method != "POST") return JsonError(405, "use POST");
    return h.Create(kDashboardFormat);
  }
  const size_t slash = rest.find('/');
  const std::string id(rest.substr(0, slash));
  const std::string_view tail = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (!tail.empty() && !(dashboards && tail == "/export")) return JsonError(404, "no such endpoint");
  auto found = h.Find(id);
  if (auto* r = std::get_if<Response>(&found)) return std::move(*r);
  OwnedObject& o = std::get<OwnedObject>(found);
  if (!tail.empty()) return req.method == "GET" ? h.Export(o) : JsonError(405, "use GET");
  if (req.method == "GET") return ObjectResponse(200, o);
  if (o.builtin && (req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE"))
    return h.RefuseBuiltin(req.method == "DELETE" ? "delete" : "update", o);
  if (req.method == "PUT" || req.method == "PATCH") return h.Change(o.id, req.method == "PATCH");
  if (req.method == "DELETE") return h.Delete(o);
  return JsonError(405, "use GET, PUT, PATCH or DELETE");
}

}  // namespace

std::optional<Response> HandleLibraryRoute(const Request& req, const LibraryRoutes& ctx) {
  for (const LibraryKind* kind : {&SavedSearchKind(), &DashboardKind(), &ScheduleKind()}) {
    const std::string_view base = kind->path;
    if (req.path.compare(0, base.size(), base) != 0) continue;
    const std::string_view rest = std::string_view(req.path).substr(base.size());
    if (!rest.empty() && rest[0] != '/') continue;
    OwnedObjectStore* store = kind == &DashboardKind()  ? ctx.dashboards
                              : kind == &ScheduleKind() ? ctx.schedules
                                                        : ctx.saved_searches;
    if (!store) return JsonError(503, fmt::format("{}s are not available", kind->noun));
    return Route(req, ctx, *kind, store, rest);
  }
  return std::nullopt;
}

}  // namespace kamatama::server
