// server/api.cc
#include "server/api.h"

#include <charconv>
#include <future>
#include <unordered_map>

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"
#include "parsers/json_event.h"
#include "parsers/parse.h"
#include "query/pipes.h"
#include "query/query.h"
#include "server/web_routes.h"

namespace kamatama::server {

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Response JsonError(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = "{\"error\":";
  AppendJsonString(&r.body, message);
  r.body += "}";
  return r;
}

bool IsInteger(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  if (s[i] == '0' && s.size() > i + 1) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

const std::string* Param(const Request& req, const std::string& name) {
  auto it = req.params.find(name);
  return it == req.params.end() ? nullptr : &it->second;
}

// Adapts a parsed query to the store's row filter interface.
class QueryFilter final : public RowFilter {
 public:
  explicit QueryFilter(const query::Query& q) : q_(q) {}
  bool MayMatch(const TokenFilter& has) const override { return q_.MayMatch(has); }
  bool Matches(const FieldAccessor& row) const override { return q_.Matches(row); }
  const std::vector<std::string>& ReferencedFields() const override { return q_.ReferencedFields(); }

 private:
  const query::Query& q_;
};
}  // namespace

bool UrlDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseTarget(std::string_view target, std::string* path, std::multimap<std::string, std::string>* params) {
  size_t q = target.find('?');
  if (!UrlDecode(target.substr(0, q), false, path)) return false;
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view kv = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string k, v;
    if (!UrlDecode(kv.substr(0, eq), true, &k)) return false;
    if (eq != std::string_view::npos && !UrlDecode(kv.substr(eq + 1), true, &v)) return false;
    params->emplace(std::move(k), std::move(v));
  }
  return true;
}

void AppendEventJson(const Event& ev, std::string* out) {
  out->append("{\"@timestamp\":");
  AppendJsonString(out, FormatRfc3339(ev.timestamp_ns));
  for (const auto& [name, value] : ev.fields) {
    out->push_back(',');
    AppendJsonString(out, name);
    out->push_back(':');
    if (TypeOfField(name) == FieldType::kInt && IsInteger(value)) out->append(value);
    else AppendJsonString(out, value);
  }
  out->append(",\"event.ingested\":");
  AppendJsonString(out, FormatRfc3339(ev.ingested_ns));
  out->append(",\"event.original\":");
  AppendJsonString(out, ev.original);
  out->push_back('}');
}

Api::Api(const Config& cfg, store::Store* store, ingest::Pipeline* pipeline)
    : cfg_(cfg), store_(store), pipeline_(pipeline) {
  RegisterGauge("kamatama_partitions", "Day partitions in the store",
                [this] { return static_cast<double>(store_->Stats().partitions); });
  RegisterGauge("kamatama_store_disk_bytes", "Bytes of the data directory",
                [this] { return static_cast<double>(store_->Stats().disk_bytes); });
  RegisterGauge("kamatama_store_events", "Events in the store (blocks and in-memory builders)", [this] {
    auto s = store_->Stats();
    return static_cast<double>(s.events_in_blocks + s.events_in_memory);
  });
}

Response Api::Handle(const Request& req) {
  if (auto r = ServeWeb(req)) return std::move(*r);
  if (req.path == "/healthz") return Response{200, "text/plain; charset=utf-8", "ok\n"};
  if (req.path == "/readyz") {
    return ready_ ? Response{200, "text/plain; charset=utf-8", "ready\n"}
                  : Response{503, "text/plain; charset=utf-8", "starting\n"};
  }
  if (req.path == "/metrics") return Metrics();
  if (req.path == "/api/v1/search") {
    if (req.method != "GET") return JsonError(405, "use GET");
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
  return JsonError(404, "no such endpoint");
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
      auto t = ParseApiTime(*f, now);
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
  auto parsed = query::Query::Parse(p.pipeline.filter);
  if (auto* e = std::get_if<query::ParseError>(&parsed)) return error_response(*e);
  p.query = std::get<query::Query>(std::move(parsed));
  // @timestamp ranges ANDed at the top of the query narrow the scanned time range.
  const auto& tb = p.query->TimeBounds();
  so.from_ns = std::max(so.from_ns, tb.from_ns);
  so.to_ns = std::min(so.to_ns, tb.to_ns);
  return p;
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
  Status s = store_->Scan(filter, so, &res);
  if (!s.ok()) {
    err_count.Add();
    return JsonError(500, "search failed: " + s.ToString());
  }
  int64_t took = store::NowSteady() - t0;
  latency.Observe(took / 1e9);
  ok_count.Add();
  Response r;
  r.body.reserve(256 + res.events.size() * 512);
  r.body += "{\"events\":[";
  for (size_t i = 0; i < res.events.size(); ++i) {
    if (i) r.body.push_back(',');
    AppendEventJson(res.events[i], &r.body);
  }
  r.body += fmt::format(
      "],\"matched\":{},\"returned\":{},\"scanned\":{},\"complete\":{},\"timed_out\":{},\"took_ms\":{:.3f},"
      "\"blocks\":{{\"total\":{},\"pruned\":{},\"read\":{}}}}}",
      res.matched, res.events.size(), res.scanned, res.complete, res.timed_out, took / 1e6, res.blocks_total,
      res.blocks_pruned, res.blocks_read);
  return r;
}

namespace {
bool LooksNumeric(std::string_view s) {
  if (s.empty() || s.size() > 24) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size() || (s[i] == '0' && i + 1 < s.size() && s[i + 1] != '.')) return false;
  bool dot = false, digit = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') digit = true;
    else if (s[i] == '.' && !dot) dot = true;
    else return false;
  }
  return digit && s.back() != '.';
}
}  // namespace

Response Api::RunPipeline(const query::Pipeline& pipeline, const query::Query& q, store::ScanOptions so, int64_t t0) {
  static Counter& ok_count = GetCounter("kamatama_queries_total", "result=\"ok\"", "Searches run");
  static Histogram& latency = GetHistogram("kamatama_query_seconds", "", "Search latency");
  QueryFilter filter(q);
  store::ScanResult res;
  query::Table table;
  bool groups_complete = true;
  if (pipeline.Aggregates()) {
    query::Aggregator agg(pipeline.stages[0], cfg_.query.max_groups);
    so.visit = [&agg](const FieldAccessor& row, int64_t ts) { agg.Add(row, ts); };
    so.visit_fields = pipeline.AggregateFields();
    Status s = store_->Scan(filter, so, &res);
    if (!s.ok()) return JsonError(500, "search failed: " + s.ToString());
    groups_complete = agg.complete();
    table = agg.Finish();
    s = query::ApplyStages(pipeline.stages, 1, &table);
    if (!s.ok()) return JsonError(400, s.ToString());
  } else {
    so.limit = cfg_.query.max_limit;
    Status s = store_->Scan(filter, so, &res);
    if (!s.ok()) return JsonError(500, "search failed: " + s.ToString());
    std::vector<std::string> cols;
    if (pipeline.stages[0].kind == query::StageKind::kFields) cols = pipeline.stages[0].fields;
    table = query::EventsToTable(res.events, cols);
    s = query::ApplyStages(pipeline.stages, 0, &table);
    if (!s.ok()) return JsonError(400, s.ToString());
  }
  int64_t took = store::NowSteady() - t0;
  latency.Observe(took / 1e9);
  ok_count.Add();
  Response r;
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
  r.body += fmt::format(
      "],\"matched\":{},\"scanned\":{},\"complete\":{},\"timed_out\":{},\"took_ms\":{:.3f}}}",
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
  so.visit = [&](const FieldAccessor&, int64_t ts) {
    size_t i = static_cast<size_t>((ts - from) / width);
    if (i < counts.size()) ++counts[i];
  };
  QueryFilter filter(*p.query);
  store::ScanResult res;
  Status s = store_->Scan(filter, so, &res);
  if (!s.ok()) return JsonError(500, "histogram failed: " + s.ToString());
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
  QueryFilter filter(*p.query);
  store::ScanResult res;
  Status s = store_->Scan(filter, so, &res);
  if (!s.ok()) return JsonError(500, "field summary failed: " + s.ToString());
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
  static Counter& rejected_count = GetCounter("kamatama_events_dropped_total", "reason=\"invalid_json\"",
                                              "Events dropped, by reason");
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
  http_events.Add(accepted);
  parsed_count.Add(accepted);
  Status result;
  if (accepted > 0) {
    std::promise<Status> done;
    auto fut = done.get_future();
    batch.done = [&done](Status s) { done.set_value(std::move(s)); };
    pipeline_->Submit(std::move(batch));
    result = fut.get();
  }
  if (!result.ok()) return JsonError(503, "not stored: " + result.ToString());
  Response r;
  r.body = fmt::format("{{\"accepted\":{},\"rejected\":{},\"errors\":[{}]}}", accepted, rejected, errors);
  return r;
}

}  // namespace kamatama::server
