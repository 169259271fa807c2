// server/shipper_routes.cc
#include "server/shipper_routes.h"

#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"
#include "ingest/dialects.h"
#include "ingest/gelf_server.h"
#include "ingest/id_registry.h"
#include "ingest/inflate.h"
#include "parsers/parse.h"

namespace kamatama::server {

namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }
const std::string* Param(const Request& req, const std::string& name) {
  auto it = req.params.find(name);
  return it == req.params.end() ? nullptr : &it->second;
}

Counter& Received(std::string_view transport) {
  return GetCounter("kamatama_received_total", fmt::format("transport=\"{}\"", transport), "Messages received");
}
Counter& ReceivedBytes(std::string_view transport) {
  return GetCounter("kamatama_received_bytes_total", fmt::format("transport=\"{}\"", transport), "Bytes received");
}
Counter& Dropped(std::string_view reason) {
  return GetCounter("kamatama_events_dropped_total", fmt::format("reason=\"{}\"", reason), "Events dropped, by reason");
}
Counter& BodyRejected(std::string_view reason) {
  return GetCounter("kamatama_http_bodies_rejected_total", fmt::format("reason=\"{}\"", reason),
                    "Shipper request bodies refused before decoding, by reason");
}

// ------------------------------------------------------------------ body decompression

enum class BodyStatus { kOk, kTooLarge, kCorrupt, kBadEncoding };

//! The request body, decompressed per Content-Encoding (and, with `sniff`, gzip/zlib magic
//! bytes), at most max_inflated bytes. `snappy_default`: a body with no Content-Encoding is
//! snappy (Loki protobuf).
BodyStatus ReadBody(const Request& req, size_t max_inflated, bool sniff, bool snappy_default, std::string* out,
                    const std::string** view) {
  ingest::Compression c = ingest::Compression::kNone;
  const std::string* enc = req.Header("content-encoding");
  if (enc && !ingest::CompressionFromEncoding(*enc, &c)) {
    BodyRejected("bad_encoding").Add();
    return BodyStatus::kBadEncoding;
  }
  if (!enc && snappy_default) c = ingest::Compression::kSnappy;
  if (c == ingest::Compression::kNone && sniff) c = ingest::SniffCompression(req.body);
  if (c == ingest::Compression::kNone) {
    if (req.body.size() > max_inflated) {
      BodyRejected("too_large").Add();
      return BodyStatus::kTooLarge;
    }
    *view = &req.body;
    return BodyStatus::kOk;
  }
  auto r = ingest::Decompress(req.body, c, max_inflated, out);
  if (r == ingest::InflateResult::kTooLarge) {
    BodyRejected("too_large").Add();
    return BodyStatus::kTooLarge;
  }
  if (r != ingest::InflateResult::kOk) {
    BodyRejected("corrupt").Add();
    return BodyStatus::kCorrupt;
  }
  *view = out;
  return BodyStatus::kOk;
}

// ------------------------------------------------------------------ _id dedupe state

//! Ids of documents being stored right now (not yet durable, so not yet in the registry).
//! A second request with the same id meanwhile gets 429 for that item and retries later.
struct Dedupe {
  std::mutex mu;
  std::set<std::string> in_flight;
  std::once_flag open_once;
  std::unique_ptr<ingest::IdRegistry> registry;
  Status open_status;
};
Dedupe& Ids() {
  static Dedupe* d = new Dedupe();
  return *d;
}
ingest::IdRegistry* Registry(const Config& cfg, Status* error) {
  Dedupe& d = Ids();
  std::call_once(d.open_once, [&] {
    d.open_status = ingest::IdRegistry::Open(cfg.storage.dir + "/shipper_ids", cfg.shippers.id_max_age_ns, &d.registry);
  });
  if (!d.open_status.ok()) *error = d.open_status;
  return d.registry.get();
}

// Records (parse + batch) for decoded raws.
ingest::Batch MakeBatch(std::vector<RawRecord> raws, const ParseOptions& parse) {
  ingest::Batch b;
  b.events.reserve(raws.size());
  for (auto& r : raws) b.events.push_back(ParseRecord(r, parse));
  b.raws = std::move(raws);
  GetCounter("kamatama_events_parsed_total", "", "Events parsed").Add(b.events.size());
  return b;
}

// ------------------------------------------------------------------ Elasticsearch

Response EsJson(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("X-Elastic-Product", "Elasticsearch");
  return r;
}

Response EsError(int status, std::string_view type, std::string_view reason) {
  std::string b = "{\"error\":{\"root_cause\":[{\"type\":";
  AppendJsonString(&b, type);
  b += ",\"reason\":";
  AppendJsonString(&b, reason);
  b += "}],\"type\":";
  AppendJsonString(&b, type);
  b += ",\"reason\":";
  AppendJsonString(&b, reason);
  b += fmt::format("}},\"status\":{}}}", status);
  Response r = EsJson(status, std::move(b));
  if (status == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response EsBanner(const Config& cfg) {
  std::string b = "{\"name\":\"kamatama\",\"cluster_name\":\"kamatama\",\"cluster_uuid\":\"kamatama-0000000000000000\",";
  b += "\"version\":{\"number\":";
  AppendJsonString(&b, cfg.shippers.es_version);
  b += ",\"build_flavor\":\"default\",\"build_type\":\"deb\",\"build_hash\":\"kamatama\",\"build_date\":"
       "\"2024-01-01T00:00:00.000Z\",\"build_snapshot\":false,\"lucene_version\":\"9.12.0\","
       "\"minimum_wire_compatibility_version\":\"7.17.0\",\"minimum_index_compatibility_version\":\"7.0.0\"},"
       "\"tagline\":\"You Know, for Search\"}";
  return EsJson(200, std::move(b));
}

Response EsBulk(const Request& req, const ShipperContext& ctx, std::string_view url_index) {
  static Counter& events = Received("es_bulk");
  static Counter& bytes = ReceivedBytes("es_bulk");
  static Counter& bad_json = Dropped("invalid_json");
  static Counter& dupes = Dropped("duplicate_id");
  const int64_t t0 = store::NowSteady();
  bytes.Add(req.body.size());
  std::string inflated;
  const std::string* body = nullptr;
  switch (ReadBody(req, ctx.cfg.shippers.max_inflated_bytes, true, false, &inflated, &body)) {
    case BodyStatus::kOk: break;
    case BodyStatus::kTooLarge:
      return EsError(413, "content_too_long_exception", "request body exceeds ingest.max_inflated_bytes once decompressed");
    case BodyStatus::kCorrupt: return EsError(400, "parse_exception", "request body is not valid compressed data");
    case BodyStatus::kBadEncoding: return EsError(415, "illegal_argument_exception", "unsupported Content-Encoding");
  }
  ingest::BulkOptions bo;
  bo.default_index = std::string(url_index);
  bo.max_line = ctx.cfg.shippers.max_line;
  bo.now_ns = NowNanos();
  bo.observer = req.client;
  std::vector<ingest::BulkItem> items;
  std::string fatal;
  if (!ingest::DecodeEsBulk(*body, bo, &items, &fatal)) return EsError(400, "illegal_argument_exception", fatal);
  if (items.empty()) return EsError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;");

  // Dedupe by (index, _id): duplicates in the registry or earlier in this batch are not stored
  // (409 for create, 200 for index); ids in flight in another request get 429.
  Dedupe& d = Ids();
  std::vector<std::string> keys;       // keys this request will record
  std::vector<size_t> store_items;     // items to store, in order
  {
    std::vector<std::string> candidate_keys;
    std::vector<size_t> candidates;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].status != 0) continue;
      if (items[i].id.empty()) {
        store_items.push_back(i);
        continue;
      }
      candidates.push_back(i);
      candidate_keys.push_back(items[i].index + '\0' + items[i].id);
    }
    if (!candidates.empty()) {
      Status err;
      ingest::IdRegistry* reg = Registry(ctx.cfg, &err);
      if (!reg) return EsError(500, "exception", "the _id registry is unavailable: " + err.ToString());
      std::lock_guard lock(d.mu);
      std::vector<bool> known;
      Status s = reg->Lookup(candidate_keys, &known);
      if (!s.ok()) return EsError(500, "exception", s.ToString());
      std::set<std::string> seen_here;
      for (size_t k = 0; k < candidates.size(); ++k) {
        ingest::BulkItem& it = items[candidates[k]];
        const std::string& key = candidate_keys[k];
        if (known[k] || seen_here.count(key)) {
          if (it.op == "create") {
            it.status = 409;
            it.error_type = "version_conflict_engine_exception";
            it.error_reason = "[" + it.id + "]: version conflict, document already exists (current version [1])";
          } else {
            it.status = 200;  // "index" of an existing id: already stored, nothing to do
          }
          dupes.Add();
          events.Add();  // accounting (issue 9): received = stored + rejected + dropped
          continue;
        }
        if (d.in_flight.count(key)) {
          it.status = 429;
          it.error_type = "es_rejected_execution_exception";
          it.error_reason = "a document with this _id is being stored by another request; retry";
          continue;
        }
        seen_here.insert(key);
        d.in_flight.insert(key);
        keys.push_back(key);
        store_items.push_back(candidates[k]);
      }
    }
  }
  std::sort(store_items.begin(), store_items.end());
  auto release = [&] {
    if (keys.empty()) return;
    std::lock_guard lock(d.mu);
    for (const auto& k : keys) d.in_flight.erase(k);
  };
  size_t bad = 0;
  for (const auto& it : items) bad += it.status == 400 && it.error_type == "mapper_parsing_exception";
  bad_json.Add(bad);
  events.Add(bad);  // accounting (issue 9)

  if (!store_items.empty()) {
    std::vector<RawRecord> raws;
    raws.reserve(store_items.size());
    for (size_t i : store_items) raws.push_back(std::move(items[i].raw));
    Status err;
    events.Add(store_items.size());  // accounting (issue 9): counted before the outcome
    SubmitResult res = SubmitDurably(ctx.pipeline, MakeBatch(std::move(raws), ctx.cfg.parse), &err);
    if (res == SubmitResult::kBusy) {
      release();
      return EsError(429, "es_rejected_execution_exception", "kamatama's ingest queue is full; retry later");
    }
    if (res == SubmitResult::kFailed) {
      release();
      return EsError(503, "unavailable_shards_exception", "not stored: " + err.ToString());
    }
    for (size_t i : store_items) items[i].status = 201;
    if (!keys.empty()) {
      Status err2;
      if (ingest::IdRegistry* reg = Registry(ctx.cfg, &err2)) {
        Status s = reg->Record(keys, NowNanos());
        if (!s.ok()) fmt::print(stderr, "{} kamatama: recording shipper ids: {}\n", FormatRfc3339(NowNanos()), s.ToString());
      }
      release();
    }
  }
  bool errors = false;
  std::string b;
  b.reserve(64 + items.size() * 96);
  b += "\"items\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    const ingest::BulkItem& it = items[i];
    if (i) b.push_back(',');
    b += "{";
    AppendJsonString(&b, it.op);
    b += ":{\"_index\":";
    AppendJsonString(&b, it.index);
    if (!it.id.empty()) {
      b += ",\"_id\":";
      AppendJsonString(&b, it.id);
    }
    if (it.status == 201 || it.status == 200) {
      b += it.status == 201 ? ",\"_version\":1,\"result\":\"created\"" : ",\"_version\":1,\"result\":\"updated\"";
      b += ",\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}";
    } else {
      errors = true;
      b += ",\"error\":{\"type\":";
      AppendJsonString(&b, it.error_type);
      b += ",\"reason\":";
      AppendJsonString(&b, it.error_reason);
      b += "}";
    }
    b += ",\"status\":" + std::to_string(it.status) + "}}";
  }
  b += "]}";
  std::string head = "{\"took\":" + std::to_string((store::NowSteady() - t0) / 1'000'000) +
                     (errors ? ",\"errors\":true," : ",\"errors\":false,");
  return EsJson(200, head + b);
}

std::optional<Response> HandleElastic(const Request& req, const ShipperContext& ctx) {
  const std::string& p = req.path;
  const std::string& m = req.method;
  if (p == "/" && (m == "GET" || m == "HEAD")) {
    if (!LooksLikeElasticClient(req)) return std::nullopt;
    return EsBanner(ctx.cfg);
  }
  if (p == "/_bulk" || (EndsWith(p, "/_bulk") && p.size() > 7 && p.find('/', 1) == p.size() - 6)) {
    if (m != "POST" && m != "PUT") return EsError(405, "illegal_argument_exception", "use POST");
    std::string_view index = p == "/_bulk" ? std::string_view() : std::string_view(p).substr(1, p.size() - 7);
    return EsBulk(req, ctx, index);
  }
  if (!StartsWith(p, "/_")) return std::nullopt;
  if (p == "/_license") {
    return EsJson(200,
                  "{\"license\":{\"status\":\"active\",\"uid\":\"kamatama\",\"type\":\"basic\",\"issue_date\":"
                  "\"2024-01-01T00:00:00.000Z\",\"issue_date_in_millis\":1704067200000,\"max_nodes\":1000,"
                  "\"issued_to\":\"kamatama\",\"issuer\":\"kamatama\",\"start_date_in_millis\":-1}}");
  }
  if (p == "/_xpack") {
    return EsJson(200,
                  "{\"build\":{},\"license\":{\"uid\":\"kamatama\",\"type\":\"basic\",\"mode\":\"basic\",\"status\":"
                  "\"active\"},\"features\":{\"ilm\":{\"available\":true,\"enabled\":true}}}");
  }
  if (StartsWith(p, "/_nodes")) {
    std::string b = "{\"_nodes\":{\"total\":1,\"successful\":1,\"failed\":0},\"cluster_name\":\"kamatama\","
                    "\"nodes\":{\"kamatama\":{\"name\":\"kamatama\",\"version\":";
    AppendJsonString(&b, ctx.cfg.shippers.es_version);
    b += ",\"roles\":[\"master\",\"data\",\"ingest\"],\"http\":{\"publish_address\":";
    AppendJsonString(&b, ctx.cfg.http.listen);
    b += "}}}}";
    return EsJson(200, std::move(b));
  }
  // rsyslog's omelasticsearch checks a server with HEAD /_cat/health before sending.
  if (p == "/_cat/health") {
    const int64_t now = NowNanos();
    const std::string hms = FormatRfc3339(now).substr(11, 8);
    const std::string epoch = std::to_string(now / kNanosPerSecond);
    const std::string* format = Param(req, "format");
    if (format && *format == "json") {
      return EsJson(200, "[{\"epoch\":\"" + epoch + "\",\"timestamp\":\"" + hms +
                             "\",\"cluster\":\"kamatama\",\"status\":\"green\",\"node.total\":\"1\","
                             "\"node.data\":\"1\"}]");
    }
    Response r = EsJson(200, epoch + " " + hms + " kamatama green 1 1 - - - - - - - 100.0%\n");
    r.content_type = "text/plain; charset=UTF-8";
    return r;
  }
  if (StartsWith(p, "/_cluster/health")) {
    return EsJson(200, "{\"cluster_name\":\"kamatama\",\"status\":\"green\",\"timed_out\":false,\"number_of_nodes\":1,"
                       "\"number_of_data_nodes\":1}");
  }
  // Set-up probes (templates, ILM, ingest pipelines, data streams): kamatama keeps no mappings or
  // policies, so a read says "it exists" (Beats then skip the upload) and a write is acknowledged.
  for (std::string_view prefix : {"/_index_template", "/_template", "/_component_template", "/_ilm", "/_ingest",
                                  "/_data_stream", "/_alias", "/_aliases", "/_cat/templates"}) {
    if (p == prefix || StartsWith(p, std::string(prefix) + "/")) {
      if (m == "GET" || m == "HEAD") {
        if (prefix == "/_cat/templates") return EsJson(200, "[]");
        if (prefix == "/_ilm" && StartsWith(p, "/_ilm/policy/")) {
          std::string b = "{";
          AppendJsonString(&b, p.substr(13));
          b += ":{\"version\":1,\"policy\":{\"phases\":{}}}}";
          return EsJson(200, std::move(b));
        }
        return EsJson(200, "{}");
      }
      return EsJson(200, "{\"acknowledged\":true}");
    }
  }
  return std::nullopt;
}

// Counts a decoded request (issue 9: refused and received, before the outcome) and stores its
// records durably; kStored when there are none.
SubmitResult StoreDecoded(const ShipperContext& ctx, std::vector<RawRecord> records, size_t refused, Counter& events,
                          Counter& dropped, Status* err) {
  dropped.Add(refused);
  events.Add(refused);
  if (records.empty()) return SubmitResult::kStored;
  events.Add(records.size());
  return SubmitDurably(ctx.pipeline, MakeBatch(std::move(records), ctx.cfg.parse), err);
}

// ------------------------------------------------------------------ Loki

std::optional<Response> HandleLoki(const Request& req, const ShipperContext& ctx) {
  if (req.path != "/loki/api/v1/push" && req.path != "/api/prom/push") return std::nullopt;
  static Counter& events = Received("loki");
  static Counter& bytes = ReceivedBytes("loki");
  static Counter& rejected = Dropped("loki_bad_entry");
  auto text = [](int status, std::string body) {
    Response r{status, "text/plain; charset=utf-8", std::move(body)};
    if (status == 429) r.headers.emplace_back("Retry-After", "1");
    return r;
  };
  if (req.method != "POST") return text(405, "use POST\n");
  bytes.Add(req.body.size());
  const std::string* ct = req.Header("content-type");
  const bool json = ct && ContainsNoCase(*ct, "json");
  std::string inflated;
  const std::string* body = nullptr;
  switch (ReadBody(req, ctx.cfg.shippers.max_inflated_bytes, json, !json, &inflated, &body)) {
    case BodyStatus::kOk: break;
    case BodyStatus::kTooLarge: return text(413, "request body exceeds ingest.max_inflated_bytes once decompressed\n");
    case BodyStatus::kCorrupt: return text(400, "request body is not valid compressed data\n");
    case BodyStatus::kBadEncoding: return text(415, "unsupported Content-Encoding\n");
  }
  ingest::LokiOptions lo;
  lo.max_line = ctx.cfg.shippers.max_line;
  lo.now_ns = NowNanos();
  lo.observer = req.client;
  ingest::LokiResult res;
  bool ok = json ? ingest::DecodeLokiJson(*body, lo, &res) : ingest::DecodeLokiProto(*body, lo, &res);
  if (!ok) return text(400, "cannot decode the push request: " + res.first_error + "\n");
  Status err;
  SubmitResult sr = StoreDecoded(ctx, std::move(res.records), res.rejected, events, rejected, &err);
  if (sr == SubmitResult::kBusy) return text(429, "kamatama's ingest queue is full; retry later\n");
  if (sr == SubmitResult::kFailed) return text(507, "not stored: " + err.ToString() + "\n");
  if (res.rejected > 0) {
    // Like Loki: the valid entries are stored, the answer reports the refused ones (not retried).
    return text(400, fmt::format("{} entries refused; first: {}\n", res.rejected, res.first_error));
  }
  return Response{204, "text/plain; charset=utf-8", ""};
}

// ------------------------------------------------------------------ OTLP/HTTP logs

std::optional<Response> HandleOtlp(const Request& req, const ShipperContext& ctx) {
  static Counter& events = Received("otlp");
  static Counter& bytes = ReceivedBytes("otlp");
  static Counter& rejected = Dropped("otlp_bad_record");
  const std::string* ct = req.Header("content-type");
  const bool json = ct && ContainsNoCase(*ct, "json");
  // Errors in the request's encoding (google.rpc.Status); 429 and 503 are retried by the sender.
  auto answer = [json](int status, int grpc_code, std::string_view message) {
    Response r{status, json ? "application/json" : "application/x-protobuf", ingest::OtlpStatus(json, grpc_code, message)};
    if (status == 429 || status == 503) r.headers.emplace_back("Retry-After", "1");
    return r;
  };
  if (req.method != "POST") return answer(405, 12, "use POST");
  if (!ct || !(json || ContainsNoCase(*ct, "protobuf")))
    return answer(415, 3, "send Content-Type application/x-protobuf or application/json");
  bytes.Add(req.body.size());
  std::string inflated;
  const std::string* body = nullptr;
  switch (ReadBody(req, ctx.cfg.shippers.max_inflated_bytes, false, false, &inflated, &body)) {
    case BodyStatus::kOk: break;
    case BodyStatus::kTooLarge: return answer(413, 8, "request body exceeds ingest.max_inflated_bytes once decompressed");
    case BodyStatus::kCorrupt: return answer(400, 3, "request body is not valid compressed data");
    case BodyStatus::kBadEncoding: return answer(415, 3, "unsupported Content-Encoding");
  }
  ingest::OtlpOptions oo;
  oo.max_line = ctx.cfg.shippers.max_line;
  oo.now_ns = NowNanos();
  oo.observer = req.client;
  ingest::OtlpResult res;
  if (!ingest::DecodeOtlpLogs(*body, json, oo, &res)) return answer(400, 3, res.first_error);
  Status err;
  SubmitResult sr = StoreDecoded(ctx, std::move(res.records), res.rejected, events, rejected, &err);
  if (sr == SubmitResult::kBusy) return answer(429, 8, "kamatama's ingest queue is full; retry later");
  if (sr == SubmitResult::kFailed) return answer(503, 14, "not stored: " + err.ToString());
  return Response{200, json ? "application/json" : "application/x-protobuf",
                  ingest::OtlpResponse(json, res.rejected, res.first_error)};
}

// ------------------------------------------------------------------ Splunk HEC

Response Hec(int status, std::string_view text, int code, long invalid_event = -1, long ack_id = -1) {
  Response r;
  r.status = status;
  r.body = "{\"text\":";
  AppendJsonString(&r.body, text);
  r.body += ",\"code\":" + std::to_string(code);
  if (invalid_event >= 0) r.body += ",\"invalid-event-number\":" + std::to_string(invalid_event);
  if (ack_id >= 0) r.body += ",\"ackId\":" + std::to_string(ack_id);
  r.body += "}";
  return r;
}

std::atomic<long> g_next_ack{0};

std::optional<Response> HandleHec(const Request& req, const ShipperContext& ctx) {
  const std::string& p = req.path;
  if (!StartsWith(p, "/services/collector")) return std::nullopt;
  std::string_view rest = std::string_view(p).substr(19);
  if (EndsWith(rest, "/1.0")) rest.remove_suffix(4);
  enum { kEvent, kRaw, kHealth, kAck } kind;
  if (rest.empty() || rest == "/event") kind = kEvent;
  else if (rest == "/raw") kind = kRaw;
  else if (rest == "/health") kind = kHealth;
  else if (rest == "/ack") kind = kAck;
  else return Hec(404, "The requested URL was not found on this server.", 404);
  if (kind == kHealth) {
    if (ctx.pipeline->QueuedBytes() >= ctx.cfg.pipeline.max_queue_bytes * 9 / 10)
      return Hec(503, "HEC is unhealthy, queues are full", 18);
    return Hec(200, "HEC is healthy", 17);
  }
  // Token: "Authorization: Splunk <token>" (ingest.hec_tokens or an API token with the ingest
  // scope) is checked before dispatch, with every other credential (server/auth_routes.cc).
  if (req.method != "POST") return Hec(405, "Method not allowed", 405);
  if (kind == kAck) {
    // Acknowledged means durable here (the event answer comes after fsync): every id is true.
    std::string b = "{\"acks\":{";
    size_t pos = req.body.find('[');
    size_t end = req.body.find(']', pos == std::string::npos ? 0 : pos);
    bool first = true;
    if (pos != std::string::npos && end != std::string::npos) {
      std::string_view list = std::string_view(req.body).substr(pos + 1, end - pos - 1);
      while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view id = list.substr(0, comma);
        while (!id.empty() && (id.front() == ' ' || id.front() == '"')) id.remove_prefix(1);
        while (!id.empty() && (id.back() == ' ' || id.back() == '"')) id.remove_suffix(1);
        if (!id.empty()) {
          if (!first) b.push_back(',');
          first = false;
          AppendJsonString(&b, id);
          b += ":true";
        }
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    }
    b += "}}";
    return Response{200, "application/json", std::move(b)};
  }
  static Counter& events = Received("hec");
  static Counter& bytes = ReceivedBytes("hec");
  static Counter& bad = Dropped("hec_invalid_event");
  bytes.Add(req.body.size());
  std::string inflated;
  const std::string* body = nullptr;
  switch (ReadBody(req, ctx.cfg.shippers.max_inflated_bytes, false, false, &inflated, &body)) {
    case BodyStatus::kOk: break;
    case BodyStatus::kTooLarge: return Hec(413, "Content too large", 413);
    case BodyStatus::kCorrupt: return Hec(400, "Invalid data format", 6);
    case BodyStatus::kBadEncoding: return Hec(415, "Unsupported content encoding", 415);
  }
  ingest::HecOptions ho;
  ho.max_line = ctx.cfg.shippers.max_line;
  ho.now_ns = NowNanos();
  ho.observer = req.client;
  if (auto* v = Param(req, "host")) ho.host = *v;
  if (auto* v = Param(req, "source")) ho.source = *v;
  if (auto* v = Param(req, "sourcetype")) ho.sourcetype = *v;
  if (auto* v = Param(req, "index")) ho.index = *v;
  ingest::HecResult res;
  if (kind == kEvent) ingest::DecodeHecEvents(*body, ho, &res);
  else ingest::DecodeHecRaw(*body, ho, &res);
  if (!res.records.empty()) {
    size_t n = res.records.size();
    Status err;
    events.Add(n);  // accounting (issue 9): counted before the outcome
    SubmitResult sr = SubmitDurably(ctx.pipeline, MakeBatch(std::move(res.records), ctx.cfg.parse), &err);
    if (sr == SubmitResult::kBusy) {
      Response r = Hec(503, "Server is busy", 9);
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    if (sr == SubmitResult::kFailed) return Hec(503, "Internal server error", 8);
  }
  switch (res.error_code) {
    case 0: break;
    case 5: return Hec(400, "No data", 5);
    case 12: bad.Add(), events.Add(); return Hec(400, "Event field is required", 12, res.invalid_event);
    case 13: bad.Add(), events.Add(); return Hec(400, "Event field cannot be blank", 13, res.invalid_event);
    default: bad.Add(), events.Add(); return Hec(400, "Invalid data format", 6, res.invalid_event);
  }
  const bool channel = req.Header("x-splunk-request-channel") || Param(req, "channel");
  return Hec(200, "Success", 0, -1, channel ? g_next_ack++ : -1);
}

// ------------------------------------------------------------------ GELF over HTTP

std::optional<Response> HandleGelfHttp(const Request& req, const ShipperContext& ctx) {
  if (req.path != "/gelf") return std::nullopt;
  static Counter& events = Received("gelf_http");
  static Counter& bytes = ReceivedBytes("gelf_http");
  static Counter& bad = Dropped("gelf_invalid");
  auto text = [](int status, std::string body) { return Response{status, "text/plain; charset=utf-8", std::move(body)}; };
  if (req.method != "POST") return text(405, "use POST\n");
  bytes.Add(req.body.size());
  std::string inflated;
  const std::string* body = nullptr;
  switch (ReadBody(req, ctx.cfg.shippers.max_inflated_bytes, true, false, &inflated, &body)) {
    case BodyStatus::kOk: break;
    case BodyStatus::kTooLarge: return text(413, "request body exceeds ingest.max_inflated_bytes once decompressed\n");
    case BodyStatus::kCorrupt: return text(400, "request body is not valid compressed data\n");
    case BodyStatus::kBadEncoding: return text(415, "unsupported Content-Encoding\n");
  }
  // One GELF message, or several separated by newlines or NULs.
  std::vector<RawRecord> raws;
  std::string_view rest = *body;
  int64_t now = NowNanos();
  size_t refused = 0;
  std::string first_error;
  while (!rest.empty()) {
    size_t end = rest.find_first_of(std::string_view("\n\0", 2));
    std::string_view msg = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (msg.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (msg.size() > ctx.cfg.shippers.max_line) {
      ++refused;
      continue;
    }
    RawRecord r;
    std::string err;
    if (!ingest::DecodeGelf(msg, now, req.client, &r, &err)) {
      ++refused;
      if (first_error.empty()) first_error = err;
      continue;
    }
    raws.push_back(std::move(r));
  }
  bad.Add(refused);
  events.Add(refused);  // accounting (issue 9)
  if (!raws.empty()) {
    size_t n = raws.size();
    Status err;
    events.Add(n);  // accounting (issue 9): counted before the outcome
    SubmitResult sr = SubmitDurably(ctx.pipeline, MakeBatch(std::move(raws), ctx.cfg.parse), &err);
    if (sr == SubmitResult::kBusy) {
      Response r = text(429, "ingest queue full; retry later\n");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    if (sr == SubmitResult::kFailed) return text(507, "not stored: " + err.ToString() + "\n");
  }
  if (refused > 0) return text(400, fmt::format("{} message(s) refused; first: {}\n", refused, first_error));
  return Response{202, "text/plain; charset=utf-8", ""};
}

}  // namespace

SubmitResult SubmitDurably(ingest::Pipeline* pipeline, ingest::Batch batch, Status* error) {
  std::promise<Status> done;
  auto fut = done.get_future();
  batch.done = [&done](Status s) { done.set_value(std::move(s)); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (!pipeline->TrySubmit(batch)) {
    // reliability (issue 9): disk full or read-only store: refuse at once; count what is refused.
    if (pipeline->State() != ingest::IngestState::kOk) {
      bool full = pipeline->State() == ingest::IngestState::kDiskFull;
      GetCounter("kamatama_events_rejected_total", full ? "reason=\"disk_full\"" : "reason=\"store_failed\"",
                 "Events refused with an error answer to their sender, by reason").Add(batch.events.size());
      *error = full ? Status::ResourceExhausted(pipeline->StateMessage()) : Status::IoError(pipeline->StateMessage());
      return SubmitResult::kFailed;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      GetCounter("kamatama_events_rejected_total", "reason=\"queue_full\"",
                 "Events refused with an error answer to their sender, by reason").Add(batch.events.size());
      return SubmitResult::kBusy;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Status s = fut.get();
  if (s.ok()) return SubmitResult::kStored;
  *error = std::move(s);
  return SubmitResult::kFailed;
}

std::optional<Response> HandleShipperRoute(const Request& req, const ShipperContext& ctx) {
  const std::string& p = req.path;
  if (StartsWith(p, "/loki/")) return HandleLoki(req, ctx);
  if (StartsWith(p, "/services/collector")) return HandleHec(req, ctx);
  if (p == "/gelf") return HandleGelfHttp(req, ctx);
  if (p == "/api/prom/push") return HandleLoki(req, ctx);
  if (p == "/v1/logs") return HandleOtlp(req, ctx);
  if (StartsWith(p, "/api/")) return std::nullopt;  // kamatama's own API
  return HandleElastic(req, ctx);
}

}  // namespace kamatama::server
