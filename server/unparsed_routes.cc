// server/unparsed_routes.cc
#include "server/unparsed_routes.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

#include "core/json.h"
#include "core/safe_file.h"
#include "parsers/declarative/builder.h"
#include "parsers/parse.h"
#include "server/investigate_routes.h"
#include "server/parser_loading.h"

namespace kamatama::server {

namespace {

//! Newest unparsed events read per request: enough to see the big sources, cheap to scan.
constexpr size_t kScanEvents = 5000;
//! Sample lines kept per shape.
constexpr size_t kSamplesPerShape = 3;
//! Lines one POST /test parses.
constexpr size_t kMaxTestLines = 200;
//! Shapes answered at most (the `limit` parameter, default 50).
constexpr size_t kMaxShapes = 500;

constexpr const char* kUnparsedQuery = "event.dataset:syslog.generic OR event.dataset:syslog.raw";

struct ShapeGroup {
  uint64_t count = 0;
  std::vector<std::string> samples;
};
using SourceKey = std::pair<std::string, std::string>;  // host, program

std::string FieldOr(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? *v : "";
}

size_t LimitParam(const Request& req) {
  auto it = req.params.find("limit");
  if (it == req.params.end()) return 50;
  try {
    return std::clamp<size_t>(std::stoul(it->second), 1, kMaxShapes);
  } catch (...) {
    return 50;
  }
}

void AppendSource(std::string* out, const SourceKey& k) {
  *out += "{\"host\":";
  AppendJsonString(out, k.first);
  *out += ",\"program\":";
  AppendJsonString(out, k.second);
}

Response List(const Request& req, const UnparsedRoutes& ctx) {
  int64_t from = 0, to = 0;
  if (auto bad = RequestTimeRange(req, &from, &to)) return std::move(*bad);
  investigate::Searcher searcher = RequestSearcher(req, ctx.cfg, ctx.store, ctx.restrict, ctx.cluster);
  std::vector<Event> events;
  uint64_t matched = 0;
  if (Status s = searcher.Find(kUnparsedQuery, from, to, kScanEvents, &events, &matched); !s.ok())
    return JsonError(s.code() == Status::Code::kResourceExhausted ? 422 : 500, s.message());
  std::map<SourceKey, uint64_t> sources;
  std::map<std::tuple<std::string, std::string, std::string>, ShapeGroup> shapes;
  for (const Event& ev : events) {
    SourceKey k{FieldOr(ev, field::kHostName), FieldOr(ev, "process.name")};
    ++sources[k];
    const std::string* msg = ev.Get(field::kMessage);
    ShapeGroup& g = shapes[{k.first, k.second, declarative::LineShape(msg ? *msg : ev.original)}];
    if (g.count++ < kSamplesPerShape) g.samples.push_back(ev.original);
  }
  std::vector<std::pair<SourceKey, uint64_t>> by_source(sources.begin(), sources.end());
  std::stable_sort(by_source.begin(), by_source.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<const std::pair<const std::tuple<std::string, std::string, std::string>, ShapeGroup>*> by_shape;
  for (const auto& s : shapes) by_shape.push_back(&s);
  std::stable_sort(by_shape.begin(), by_shape.end(), [](auto* a, auto* b) { return a->second.count > b->second.count; });
  by_shape.resize(std::min(by_shape.size(), LimitParam(req)));
  std::string out = fmt::format("{{\"scanned\":{},\"matched\":{},\"sources\":[", events.size(), matched);
  for (size_t i = 0; i < by_source.size(); ++i) {
    if (i) out.push_back(',');
    AppendSource(&out, by_source[i].first);
    out += fmt::format(",\"count\":{}}}", by_source[i].second);
  }
  out += "],\"shapes\":[";
  for (size_t i = 0; i < by_shape.size(); ++i) {
    const auto& [key, g] = *by_shape[i];
    if (i) out.push_back(',');
    AppendSource(&out, {std::get<0>(key), std::get<1>(key)});
    out += ",\"shape\":";
    AppendJsonString(&out, std::get<2>(key));
    out += fmt::format(",\"count\":{},\"samples\":[", g.count);
    for (size_t j = 0; j < g.samples.size(); ++j) {
      if (j) out.push_back(',');
      AppendJsonString(&out, g.samples[j]);
    }
    out += "]}";
  }
  out += "]}";
  return Response{200, "application/json", std::move(out)};
}

std::optional<Response> ReadBody(const Request& req, simdjson::dom::parser* parser, simdjson::dom::object* obj) {
  if (req.method != "POST") return JsonError(405, "use POST with a JSON body");
  if (parser->parse(req.body).get(*obj)) return JsonError(400, "the body must be a JSON object");
  return std::nullopt;
}

Response Propose(const Request& req) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (auto bad = ReadBody(req, &parser, &obj)) return std::move(*bad);
  std::string_view line;
  if (obj["line"].get(line) || line.empty()) return JsonError(400, "'line' (a string) is required");
  RawRecord r;
  r.data = std::string(line);
  const Event ev = ParseRecord(r, ParseOptions{});
  std::string out = "{\"definition\":";
  AppendJsonString(&out, declarative::ProposeDefinition(line));
  out += ",\"dataset\":";  // what the built-in parsers make of it today
  AppendJsonString(&out, FieldOr(ev, field::kDataset));
  out += "}";
  return Response{200, "application/json", std::move(out)};
}

void AppendResult(const declarative::TryOutcome::Line& l, std::string* out) {
  *out += "{\"parser\":";
  AppendJsonString(out, l.parser);
  *out += fmt::format(",\"declarative\":{},\"dataset\":", l.declarative);
  AppendJsonString(out, FieldOr(l.event, field::kDataset));
  *out += ",\"event\":";
  AppendEventJson(l.event, out);
  out->push_back('}');
}

Response Test(const Request& req) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (auto bad = ReadBody(req, &parser, &obj)) return std::move(*bad);
  std::string_view yaml;
  simdjson::dom::array arr;
  if (obj["definition"].get(yaml)) return JsonError(400, "'definition' (YAML text) is required");
  std::vector<std::string> lines;
  if (!obj["lines"].get(arr)) {
    for (auto v : arr) {
      std::string_view s;
      if (v.get(s)) return JsonError(400, "'lines' must be strings");
      if (lines.size() == kMaxTestLines) return JsonError(400, fmt::format("at most {} lines", kMaxTestLines));
      lines.emplace_back(s);
    }
  }
  const declarative::TryOutcome t = declarative::TryDefinitions(yaml, "definition", lines);
  std::string out = "{\"loaded\":[";
  for (size_t i = 0; i < t.loaded.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, t.loaded[i]);
  }
  out += "],\"problems\":[";
  for (size_t i = 0; i < t.problems.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, t.problems[i].ToString());
  }
  out += "],\"failed_examples\":[";
  for (size_t i = 0; i < t.failed_examples.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, t.failed_examples[i]);
  }
  out += "],\"results\":[";
  for (size_t i = 0; i < t.lines.size(); ++i) {
    if (i) out.push_back(',');
    AppendResult(t.lines[i], &out);
  }
  out += "]}";
  return Response{200, "application/json", std::move(out)};
}

//! A parser name that is also a safe file name.
bool SavableName(std::string_view n) {
  if (n.empty() || n.size() > 64 || n[0] == '.' || n[0] == '-') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

Response ProblemsAnswer(int status, const std::string& error, const std::vector<std::string>& problems) {
  std::string out = "{\"error\":";
  AppendJsonString(&out, error);
  out += ",\"problems\":[";
  for (size_t i = 0; i < problems.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, problems[i]);
  }
  return Response{status, "application/json", out + "]}"};
}

//! Why `yaml` cannot be saved as the definition `name` over the running set, or "" (409 when
//! the name belongs to a parsers.dirs file: that file is where it is edited).
std::string Conflict(const UnparsedRoutes& ctx, const std::string& name) {
  const auto running = ctx.cfg.parse.user ? ctx.cfg.parse.user->Current() : nullptr;
  if (!running) return "";
  const std::string saved_dir = SavedParsersDir(ctx.cfg) + "/";
  for (const declarative::Definition& d : running->definitions()) {
    if (d.name != name || d.file.rfind("shipped:", 0) == 0 || d.file.rfind(saved_dir, 0) == 0) continue;
    return "parser " + name + " is defined in " + d.file + "; change it there";
  }
  return "";
}

Status WriteDefinition(const Config& cfg, const std::string& name, std::string_view yaml) {
  const std::string dir = SavedParsersDir(cfg);
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  UniqueFd fd;
  if (Status s = OpenDir(dir, &fd); !s.ok()) return s;
  return WriteFileAtomic(fd.get(), name + ".yaml", yaml, 0600);
}

Response Save(const Request& req, const UnparsedRoutes& ctx) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (auto bad = ReadBody(req, &parser, &obj)) return std::move(*bad);
  std::string_view yaml;
  if (obj["definition"].get(yaml)) return JsonError(400, "'definition' (YAML text) is required");
  if (!ctx.cfg.parse.user) return JsonError(503, "this server runs no declarative parsers");
  const auto refuse = [&](int status, const std::string& name, const std::string& why, std::vector<std::string> problems) {
    if (ctx.audit) ctx.audit("parser.save", "failure", {{"kamatama.object.name", name}, {"error.message", why}});
    return ProblemsAnswer(status, why, problems);
  };
  // Checked as a file is, then its examples as `kamatama parsers test` runs them.
  const declarative::TryOutcome t = declarative::TryDefinitions(yaml, "definition", {});
  std::vector<std::string> problems;
  for (const declarative::Problem& p : t.problems) problems.push_back(p.ToString());
  const std::string name = t.loaded.size() == 1 ? t.loaded[0] : "";
  if (!problems.empty()) return refuse(400, name, "the definition does not load", problems);
  if (t.loaded.size() != 1) return refuse(400, "", "save one definition at a time", {});
  if (!SavableName(name)) return refuse(400, name, "a saved parser's name is letters, digits, '-', '_' and '.' (64 at most)", {});
  if (!t.failed_examples.empty()) return refuse(400, name, "an example does not hold", t.failed_examples);
  static std::mutex saving;  // one save (write and reload) at a time
  std::lock_guard<std::mutex> lock(saving);
  if (std::string why = Conflict(ctx, name); !why.empty()) return refuse(409, name, why, {});
  if (Status s = WriteDefinition(ctx.cfg, name, yaml); !s.ok()) return refuse(500, name, s.ToString(), {});
  declarative::LoadSummary summary;
  if (Status s = ReloadServerParsers(ctx.cfg, ctx.cfg.parse.user.get(), &summary); !s.ok())
    return refuse(500, name, "saved, but the parsers could not be reloaded: " + s.ToString(), {});
  const bool replaces = std::find(summary.overridden.begin(), summary.overridden.end(), name) != summary.overridden.end();
  const std::string file = SavedParsersDir(ctx.cfg) + "/" + name + ".yaml";
  if (ctx.audit)
    ctx.audit("parser.save", "success", {{"kamatama.object.name", name}, {"file.path", file},
                                         {"kamatama.changes", replaces ? "replaces the shipped definition" : "new"}});
  std::string out = "{\"saved\":";
  AppendJsonString(&out, name);
  out += ",\"file\":";
  AppendJsonString(&out, file);
  out += fmt::format(",\"replaces_shipped\":{},\"loaded\":{},\"invalid\":{}}}", replaces, summary.loaded.size(),
                     summary.invalid.size());
  return Response{200, "application/json", std::move(out)};
}

}  // namespace

std::optional<Response> HandleUnparsedRoute(const Request& req, const UnparsedRoutes& ctx) {
  if (req.path == "/api/v1/unparsed") {
    if (req.method != "GET") return JsonError(405, "use GET");
    return List(req, ctx);
  }
  if (req.path == "/api/v1/unparsed/propose") return Propose(req);
  if (req.path == "/api/v1/unparsed/test") return Test(req);
  if (req.path == "/api/v1/unparsed/save") return Save(req, ctx);
  return std::nullopt;
}

}  // namespace kamatama::server
