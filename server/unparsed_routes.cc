// server/unparsed_routes.cc
#include "server/unparsed_routes.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "core/json.h"
#include "parsers/declarative/builder.h"
#include "parsers/parse.h"
#include "server/investigate_routes.h"

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
  investigate::Searcher searcher = RequestSearcher(req, ctx.cfg, ctx.store, ctx.restrict);
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
  out += "],\"results\":[";
  for (size_t i = 0; i < t.lines.size(); ++i) {
    if (i) out.push_back(',');
    AppendResult(t.lines[i], &out);
  }
  out += "]}";
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
  return std::nullopt;
}

}  // namespace kamatama::server
