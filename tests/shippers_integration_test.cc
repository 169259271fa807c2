// tests/shippers_integration_test.cc: the shipper dialects against a real server: recorded request
// bodies (tests/data/shippers, see its README) replayed with curl and searched back by field;
// _bulk retries stored once, also across a restart; a gzip bomb refused; GELF over real UDP and
// TCP sockets, chunked out of order, and incomplete chunks expiring; the credential forms of
// docs/shippers.md on every dialect; a whole-request 429 while the store writer is really stalled
// (a slow fsync, tests/fsync_shim.cc).
#include <snappy.h>
#include <zlib.h>

#include "harness.h"

using namespace kmt_test;

namespace {

const std::string kData = std::string(KMT_SOURCE_DIR) + "/tests/data/shippers/";

std::string Gzip(const std::string& in, int level = 6) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

simdjson::dom::element Json(simdjson::dom::parser& p, const std::string& s) {
  auto r = p.parse(s);
  EXPECT_FALSE(r.error()) << "not JSON: " << s;
  return r.value();
}

std::string After(const std::string& log, const std::string& key) {
  size_t p = log.rfind(key);
  if (p == std::string::npos) return "";
  p += key.size();
  return log.substr(p, log.find('\n', p) - p);
}

void Varint(std::string* o, uint64_t v) {
  while (v >= 0x80) {
    o->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  o->push_back(static_cast<char>(v));
}
void Bytes(std::string* o, int field, std::string_view b) {
  Varint(o, (static_cast<uint64_t>(field) << 3) | 2);
  Varint(o, b.size());
  o->append(b);
}

class ShippersTest : public SharedServerTest {
 protected:
  static void SetUpTestSuite() {
    StartSuiteServer("gelf:\n  udp: 127.0.0.1:0\n  tcp: 127.0.0.1:0\n  chunk_timeout: 1s\n"
                     "ingest:\n  max_inflated_bytes: 16MiB\n  hec_tokens: [\"s3cret\"]\n"
                     "http:\n  max_body: 2MiB\n");
  }
  //! curl with extra arguments; returns the body, *code = HTTP status.
  static std::string Curl(const std::string& args, const std::string& path, int* code, std::string* headers = nullptr) {
    std::string hfile = *dir_ + "/headers.txt";
    std::string out = Shell("curl -s -m 60 -D " + ShellQuote(hfile) + " -w '\\n%{http_code}' " + args + " " +
                            ShellQuote(server_->Url(path)));
    if (headers) *headers = ReadFile(hfile);
    size_t nl = out.rfind('\n');
    *code = nl == std::string::npos ? -1 : std::atoi(out.c_str() + nl + 1);
    return nl == std::string::npos ? out : out.substr(0, nl);
  }
  //! curl without the admin's credentials: `args` carries the shipper's own.
  static std::string CurlAnon(const std::string& args, const std::string& path, int* code, std::string* headers = nullptr) {
    std::string hfile = *dir_ + "/headers.txt";
    std::string out = Shell("curl -s -m 60 -D " + ShellQuote(hfile) + " -w '\\n%{http_code}' " + args + " " +
                            ShellQuote(server_->AnonUrl(path)));
    if (headers) *headers = ReadFile(hfile);
    size_t nl = out.rfind('\n');
    *code = nl == std::string::npos ? -1 : std::atoi(out.c_str() + nl + 1);
    return nl == std::string::npos ? out : out.substr(0, nl);
  }
  //! A new API token with the `ingest` scope (docs/security.md), as an admin creates one.
  static std::string IngestToken(const std::string& name) {
    int code;
    std::string b = Curl("-H 'Content-Type: application/json' -d '{\"name\":\"" + name + "\",\"scopes\":[\"ingest\"]}'",
                         "/api/v1/tokens", &code);
    EXPECT_EQ(code, 201) << b;
    simdjson::dom::parser p;
    std::string_view t;
    if (p.parse(b).value()["token"].get(t)) return "";
    return std::string(t);
  }
  static std::string PostFile(const std::string& path, const std::string& file, int* code, const std::string& extra = "") {
    return Curl("-H 'Content-Type: application/x-ndjson' " + extra + " --data-binary @" + ShellQuote(file), path, code);
  }
  static std::string GelfUdp() { return After(server_->log(), "gelf udp listening on "); }
  static std::string GelfTcp() { return After(server_->log(), "gelf tcp listening on "); }
  //! The first event of a search, as JSON text ("" if none).
  static std::string First(const std::string& q) {
    std::string body = server_->Search(q, "&limit=1");
    simdjson::dom::parser p;
    auto r = p.parse(body);
    if (r.error() || r.value()["events"].get_array().size() == 0) return "";
    return simdjson::minify(r.value()["events"].at(0).value());
  }
  static std::string FieldOf(const std::string& q, const std::string& field) {
    std::string ev = First(q);
    if (ev.empty()) return "<no event>";
    simdjson::dom::parser p;
    std::string_view v;
    if (p.parse(ev).value()[field].get(v)) return "<absent>";
    return std::string(v);
  }
};

}  // namespace

TEST_F(ShippersTest, ElasticsearchProbes) {
  int code;
  std::string headers;
  std::string body = Curl("-H 'x-elastic-client-meta: es=8.11.0,go=1.21'", "/", &code, &headers);
  EXPECT_EQ(code, 200);
  EXPECT_NE(headers.find("X-Elastic-Product: Elasticsearch"), std::string::npos) << headers;
  simdjson::dom::parser p;
  EXPECT_EQ(std::string_view(Json(p, body)["version"]["number"]), "8.17.0");
  Curl("-I", "/", &code);  // HEAD, as Beats and Vector send it first
  EXPECT_EQ(code, 200);
  // A browser asking for HTML never gets the banner.
  body = Curl("-H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8'", "/", &code);
  EXPECT_EQ(body.find("You Know, for Search"), std::string::npos);
  const std::string product = "X-Elastic-Product: Elasticsearch";
  body = Curl("", "/_license", &code, &headers);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(std::string_view(Json(p, body)["license"]["type"]), "basic");
  EXPECT_NE(headers.find(product), std::string::npos) << headers;
  body = Curl("-X PUT -H 'Content-Type: application/json' -d '{\"index_patterns\":[\"winlogbeat-*\"]}'",
              "/_index_template/winlogbeat-8.11.0", &code, &headers);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(body, "{\"acknowledged\":true}");
  EXPECT_NE(headers.find(product), std::string::npos) << headers;
  // Every stub a shipper probes carries the product header (the Go and Java clients refuse a
  // server without it).
  for (const char* path : {"/_ilm/policy/winlogbeat", "/_nodes/_local", "/_xpack", "/_cluster/health",
                           "/_index_template/filebeat-8.11.0", "/_ingest/pipeline/filebeat", "/_cat/health"}) {
    Curl("", path, &code, &headers);
    EXPECT_EQ(code, 200) << path;
    EXPECT_NE(headers.find(product), std::string::npos) << path << "\n" << headers;
  }
  // rsyslog's omelasticsearch checks HEAD /_cat/health before it resumes sending.
  Curl("-I", "/_cat/health", &code, &headers);
  EXPECT_EQ(code, 200);
  body = Curl("", "/_cat/health?format=json", &code);
  EXPECT_EQ(std::string_view(Json(p, body).at(0)["status"]), "green");
  // ... and the _bulk answers, success or error.
  std::string f = *dir_ + "/probe_bulk.ndjson";
  WriteFile(f, "{\"create\":{}}\n{\"message\":\"zzprobebulkzz\"}\n");
  Curl("-H 'Content-Type: application/x-ndjson' --data-binary @" + ShellQuote(f), "/_bulk", &code, &headers);
  EXPECT_EQ(code, 200);
  EXPECT_NE(headers.find(product), std::string::npos) << headers;
  WriteFile(f, "not an action\n");
  Curl("-H 'Content-Type: application/x-ndjson' --data-binary @" + ShellQuote(f), "/_bulk", &code, &headers);
  EXPECT_EQ(code, 400);
  EXPECT_NE(headers.find(product), std::string::npos) << headers;
}

TEST_F(ShippersTest, WinlogbeatGzipBulkRetryAndRestart) {
  std::string gz = *dir_ + "/wlb.ndjson.gz";
  WriteFile(gz, Gzip(ReadFile(kData + "winlogbeat_bulk.ndjson")));
  int code;
  std::string body = PostFile("/_bulk", gz, &code, "-H 'Content-Encoding: gzip'");
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::parser p;
  auto r = Json(p, body);
  EXPECT_FALSE(bool(r["errors"]));
  ASSERT_EQ(r["items"].get_array().size(), 3u);
  EXPECT_EQ(int64_t(r["items"].at(0)["create"]["status"]), 201);
  EXPECT_EQ(std::string_view(r["items"].at(0)["create"]["_id"]), "wlb-sysmon-3");

  // Searched back: Sysmon and Security events went through their parsers.
  EXPECT_EQ(FieldOf("event.dataset:sysmon.process_create", "process.executable"), "C:\\Windows\\Sysmon.exe");
  EXPECT_EQ(FieldOf("winlog.record_id:5", "event.dataset"), "sysmon.process_terminate");
  EXPECT_EQ(FieldOf("event.code:4741", "event.dataset").rfind("auth.windows_security", 0), 0u);
  EXPECT_EQ(FieldOf("event.code:4741", "user.name"), "at_adm");
  EXPECT_EQ(server_->CountMatches("agent.type:winlogbeat"), 3u);

  // A retry of the same batch stores nothing: 409 per create.
  body = PostFile("/_bulk", gz, &code, "-H 'Content-Encoding: gzip'");
  ASSERT_EQ(code, 200) << body;
  r = Json(p, body);
  EXPECT_TRUE(bool(r["errors"]));
  for (auto item : r["items"].get_array()) {
    EXPECT_EQ(int64_t(item["create"]["status"]), 409);
    EXPECT_EQ(std::string_view(item["create"]["error"]["type"]), "version_conflict_engine_exception");
  }
  EXPECT_EQ(server_->CountMatches("agent.type:winlogbeat"), 3u);

  // ... also after a restart (the seen ids are persisted).
  ASSERT_EQ(server_->Stop(), 0);
  server_->Start();
  body = PostFile("/_bulk", gz, &code, "-H 'Content-Encoding: gzip'");
  r = Json(p, body);
  EXPECT_EQ(int64_t(r["items"].at(2)["create"]["status"]), 409) << body;
  EXPECT_EQ(server_->CountMatches("agent.type:winlogbeat"), 3u);
}

TEST_F(ShippersTest, VectorFilebeatFluentBitBulk) {
  int code;
  simdjson::dom::parser p;
  std::string body = PostFile("/_bulk", kData + "vector_bulk.ndjson", &code);
  ASSERT_EQ(code, 200) << body;
  auto r = Json(p, body);
  EXPECT_TRUE(bool(r["errors"]));
  EXPECT_EQ(int64_t(r["items"].at(0)["index"]["status"]), 201);
  EXPECT_EQ(int64_t(r["items"].at(1)["index"]["status"]), 400);  // the broken document only
  EXPECT_EQ(int64_t(r["items"].at(2)["index"]["status"]), 201);
  EXPECT_EQ(server_->CountMatches("zzvectorzz"), 2u);
  EXPECT_EQ(server_->CountMatches("zzbrokenzz"), 0u);

  body = PostFile("/filebeat-8.11.0/_bulk", kData + "filebeat_bulk.ndjson", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(server_->CountMatches("zzfilebeatzz AND log.file.path:\"/var/log/app.log\""), 2u);
  body = PostFile("/fluent-bit/_bulk", kData + "fluentbit_bulk.ndjson", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(FieldOf("zzfluentbitzz", "stream"), "stdout");

  // A malformed action line refuses the whole request (ES: 400 with an error object).
  std::string bad = *dir_ + "/bad.ndjson";
  WriteFile(bad, "{\"message\":\"no action\"}\n");
  body = PostFile("/_bulk", bad, &code);
  EXPECT_EQ(code, 400);
  EXPECT_EQ(int64_t(Json(p, body)["status"]), 400);
}

TEST_F(ShippersTest, GzipBombIsRefusedQuickly) {
  // 256 MiB of zeros, about 256 KB gzipped; the cap is 16 MiB.
  std::string zeros(1 << 20, '0');
  auto gzip_mib = [&](int mib) {  // `mib` MiB of '0' as one gzip member
    std::string out;
    z_stream zs{};
    deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
    std::vector<char> buf(1 << 16);
    for (int i = 0; i < mib; ++i) {
      zs.next_in = reinterpret_cast<Bytef*>(zeros.data());
      zs.avail_in = static_cast<uInt>(zeros.size());
      int flush = i == mib - 1 ? Z_FINISH : Z_NO_FLUSH;
      do {
        zs.next_out = reinterpret_cast<Bytef*>(buf.data());
        zs.avail_out = static_cast<uInt>(buf.size());
        deflate(&zs, flush);
        out.append(buf.data(), buf.size() - zs.avail_out);
      } while (zs.avail_out == 0);
    }
    deflateEnd(&zs);
    return out;
  };
  std::string bomb = gzip_mib(256);
  // "Quickly" as work, not time: a 17 MiB member, bytes that are not gzip, then the bomb. A
  // server that stops at the 16 MiB cap never reads the bad bytes and answers 413; one that
  // inflated on would meet them first and answer 400 (Inflate.BombStopsAtTheCapQuickly shows
  // the bad bytes are caught when the cap is above the first member).
  std::string staged = gzip_mib(17) + "this is not gzip" + bomb;
  WriteFile(*dir_ + "/staged.gz", staged);
  for (const std::string path : {"/_bulk", "/loki/api/v1/push", "/gelf"}) {
    int code;
    std::string extra = path == "/loki/api/v1/push" ? "-H 'Content-Type: application/json' " : "";
    Curl(extra + "-H 'Content-Encoding: gzip' --data-binary @" + ShellQuote(*dir_ + "/staged.gz"), path, &code);
    EXPECT_EQ(code, 413) << path << ": inflating did not stop at the cap";
  }
  std::string f = *dir_ + "/bomb.gz";
  WriteFile(f, bomb);
  for (const std::string path : {"/_bulk", "/loki/api/v1/push", "/gelf"}) {
    int code;
    std::string extra = path == "/loki/api/v1/push" ? "-H 'Content-Type: application/json' " : "";
    Curl(extra + "-H 'Content-Encoding: gzip' --data-binary @" + ShellQuote(f), path, &code);
    EXPECT_EQ(code, 413) << path;
  }
  int code;
  Curl("-H 'Authorization: Splunk s3cret' -H 'Content-Encoding: gzip' --data-binary @" + ShellQuote(f),
       "/services/collector/event", &code);
  EXPECT_EQ(code, 413);
  EXPECT_TRUE(server_->Alive());
  EXPECT_GE(server_->Metric("kamatama_http_bodies_rejected_total{reason=\"too_large\"}"), 4);
}

TEST_F(ShippersTest, LokiJsonAndProtobuf) {
  int code;
  std::string body = Curl("-H 'Content-Type: application/json' --data-binary @" + ShellQuote(kData + "loki_fluentbit.json"),
                          "/loki/api/v1/push", &code);
  EXPECT_EQ(code, 204) << body;
  EXPECT_EQ(server_->CountMatches("labels.job:fluent-bit"), 2u);
  EXPECT_EQ(FieldOf("zzlokizz AND msg:*", "level"), "warn");

  // Promtail / Alloy: snappy-compressed protobuf, no Content-Encoding header.
  std::string stream, entry, ts;
  Bytes(&stream, 1, R"({filename="/var/log/auth.log", job="varlogs", host="promtail-host"})");
  Varint(&ts, 8);
  Varint(&ts, 1795082527);
  Bytes(&entry, 1, ts);
  Bytes(&entry, 2, "zzpromtailzz a line");
  Bytes(&stream, 2, entry);
  std::string req, compressed;
  Bytes(&req, 1, stream);
  snappy::Compress(req.data(), req.size(), &compressed);
  std::string f = *dir_ + "/push.pb";
  WriteFile(f, compressed);
  body = Curl("-H 'Content-Type: application/x-protobuf' --data-binary @" + ShellQuote(f), "/loki/api/v1/push", &code);
  EXPECT_EQ(code, 204) << body;
  EXPECT_EQ(FieldOf("zzpromtailzz", "labels.filename"), "/var/log/auth.log");
  EXPECT_EQ(FieldOf("zzpromtailzz", "host.name"), "promtail-host");
  EXPECT_EQ(FieldOf("zzpromtailzz", "@timestamp"), "2026-11-19T10:02:07.000Z");
}

// OTLP/HTTP as the OpenTelemetry Collector's otlphttp exporter sends it: gzip-compressed
// protobuf to /v1/logs with a bearer token (its bearertokenauth extension), or OTLP/JSON.
TEST_F(ShippersTest, OtlpLogsProtobufAndJson) {
  const std::string tok = IngestToken("otel-collector");
  const std::string auth = "-H " + ShellQuote("Authorization: Bearer " + tok) + " ";
  std::string value, kv, resource, rec, scope_logs, resource_logs, req;
  Bytes(&value, 1, "otel-host-3");
  Bytes(&kv, 1, "host.name");
  Bytes(&kv, 2, value);
  Bytes(&resource, 1, kv);
  std::string body_value;
  Bytes(&body_value, 1, "zzotlppbzz connection refused");
  rec.push_back(static_cast<char>((1 << 3) | 1));  // time_unix_nano, fixed64 little-endian
  for (uint64_t t = 1795082527000000000ULL, i = 0; i < 8; ++i) rec.push_back(static_cast<char>(t >> (8 * i)));
  Bytes(&rec, 3, "WARN");
  Bytes(&rec, 5, body_value);
  Bytes(&scope_logs, 2, rec);
  Bytes(&resource_logs, 1, resource);
  Bytes(&resource_logs, 2, scope_logs);
  Bytes(&req, 1, resource_logs);
  std::string f = *dir_ + "/export.pb";
  WriteFile(f, Gzip(req));
  int code;
  std::string headers;
  std::string body = CurlAnon(auth + "-H 'Content-Type: application/x-protobuf' -H 'Content-Encoding: gzip' --data-binary @" +
                                  ShellQuote(f),
                              "/v1/logs", &code, &headers);
  EXPECT_EQ(code, 200) << body;
  EXPECT_EQ(body, "");  // an empty ExportLogsServiceResponse: nothing refused
  EXPECT_NE(headers.find("application/x-protobuf"), std::string::npos) << headers;
  EXPECT_EQ(FieldOf("zzotlppbzz", "host.name"), "otel-host-3");
  EXPECT_EQ(FieldOf("zzotlppbzz", "log.level"), "WARN");
  EXPECT_EQ(FieldOf("zzotlppbzz", "@timestamp"), "2026-11-19T10:02:07.000Z");
  // OTLP/JSON, one record too long for ingest.max_line: the rest is stored, the answer says so.
  WriteFile(f, R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},)"
               R"("scopeLogs":[{"logRecords":[{"timeUnixNano":"1795082528000000000","body":{"stringValue":"zzotlpjsonzz ok"},)"
               R"("attributes":[{"key":"user.name","value":{"stringValue":"bob"}}]},)"
               R"({"body":{"stringValue":")" + std::string((1 << 20) + 10, 'x') + R"("}}]}]}]})");
  body = CurlAnon(auth + "-H 'Content-Type: application/json' --data-binary @" + ShellQuote(f), "/v1/logs", &code);
  EXPECT_EQ(code, 200) << body;
  EXPECT_NE(body.find("\"rejectedLogRecords\":\"1\""), std::string::npos) << body;
  EXPECT_EQ(FieldOf("zzotlpjsonzz", "service.name"), "shop");
  EXPECT_EQ(FieldOf("zzotlpjsonzz", "user.name"), "bob");
  // Refusals: no credentials, an unknown encoding, a body that is not OTLP (a google.rpc.Status).
  CurlAnon("-H 'Content-Type: application/x-protobuf' --data-binary @" + ShellQuote(f), "/v1/logs", &code);
  EXPECT_EQ(code, 401);
  body = CurlAnon(auth + "-H 'Content-Type: text/plain' -d x", "/v1/logs", &code);
  EXPECT_EQ(code, 415) << body;
  body = CurlAnon(auth + "-H 'Content-Type: application/json' -d '{\"resourceLogs\":7}'", "/v1/logs", &code);
  EXPECT_EQ(code, 400) << body;
  EXPECT_NE(body.find("\"code\":3"), std::string::npos) << body;
  EXPECT_EQ(server_->CountMatches("zzotlppbzz OR zzotlpjsonzz"), 2u);
}

TEST_F(ShippersTest, SplunkHec) {
  int code;
  const std::string auth = "-H 'Authorization: Splunk s3cret' ";
  std::string body = Curl(auth + "--data-binary @" + ShellQuote(kData + "hec_vector.json"), "/services/collector/event", &code);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(body, "{\"text\":\"Success\",\"code\":0}");
  body = Curl(auth + "--data-binary @" + ShellQuote(kData + "hec_fluentbit.json"), "/services/collector", &code);
  EXPECT_EQ(body, "{\"text\":\"Success\",\"code\":0}");
  EXPECT_EQ(server_->CountMatches("zzheczz"), 4u);
  EXPECT_EQ(FieldOf("zzheczz AND labels.env:prod", "splunk.sourcetype"), "_json");

  body = Curl("--data-binary @" + ShellQuote(kData + "hec_vector.json"), "/services/collector/event", &code);
  EXPECT_EQ(code, 401);
  EXPECT_EQ(body, "{\"text\":\"Token is required\",\"code\":2}");
  body = Curl("-H 'Authorization: Splunk wrong' -d '{\"event\":\"x\"}'", "/services/collector/event", &code);
  EXPECT_EQ(code, 403);
  EXPECT_EQ(body, "{\"text\":\"Invalid token\",\"code\":4}");
  // The token without "Splunk " in front (the usual mistake) is a malformed header: code 3.
  body = Curl("-H 'Authorization: s3cret' -d '{\"event\":\"x\"}'", "/services/collector/event", &code);
  EXPECT_EQ(code, 401);
  EXPECT_EQ(body, "{\"text\":\"Invalid authorization\",\"code\":3}");
  // A user's password is not a HEC credential.
  body = Curl("-d '{\"event\":\"x\"}'", "/services/collector/event", &code);
  EXPECT_EQ(code, 401);
  EXPECT_EQ(body, "{\"text\":\"Token is required\",\"code\":2}");
  body = Curl(auth + "-d '{\"event\":\"zzhecokzz\"}{\"time\":1}'", "/services/collector/event", &code);
  EXPECT_EQ(code, 400);
  EXPECT_EQ(body, "{\"text\":\"Event field is required\",\"code\":12,\"invalid-event-number\":1}");
  EXPECT_EQ(server_->CountMatches("zzhecokzz"), 1u);
  body = Curl(auth + "--data-binary 'zzhecrawzz one\nzzhecrawzz two\n'", "/services/collector/raw?sourcetype=app", &code);
  EXPECT_EQ(body, "{\"text\":\"Success\",\"code\":0}");
  EXPECT_EQ(server_->CountMatches("zzhecrawzz"), 2u);
  body = Curl(auth + "-H 'X-Splunk-Request-Channel: 0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba' -d '{\"event\":\"a\"}'",
              "/services/collector/event", &code);
  EXPECT_NE(body.find("\"ackId\":"), std::string::npos) << body;
  body = Curl("", "/services/collector/health", &code);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(body, "{\"text\":\"HEC is healthy\",\"code\":17}");
}

TEST_F(ShippersTest, GelfUdpTcpHttp) {
  const std::string msg = ReadFile(kData + "gelf_docker.json");
  // Whole gzip datagram.
  SendUdp(GelfUdp(), Gzip(msg));
  EXPECT_TRUE(Eventually([] { return server_->CountMatches("zzgelfzz AND container.name:web") == 1; }));

  // Chunked, zlib-compressed, out of order: 2, 0, 1.
  std::string big = msg;
  big.replace(big.find("zzgelfzz"), 8, "zzchunkedzz");
  std::string z;
  {
    uLongf n = compressBound(big.size());
    z.resize(n);
    compress(reinterpret_cast<Bytef*>(z.data()), &n, reinterpret_cast<const Bytef*>(big.data()), big.size());
    z.resize(n);
  }
  auto chunk = [](const std::string& id, int seq, int count, std::string_view payload) {
    std::string c = "\x1e\x0f" + id;
    c.push_back(static_cast<char>(seq));
    c.push_back(static_cast<char>(count));
    c.append(payload);
    return c;
  };
  size_t third = z.size() / 3;
  std::string_view zv = z;
  SendUdp(GelfUdp(), chunk("MSGID001", 2, 3, zv.substr(2 * third)));
  SendUdp(GelfUdp(), chunk("MSGID001", 0, 3, zv.substr(0, third)));
  SendUdp(GelfUdp(), chunk("MSGID001", 1, 3, zv.substr(third, third)));
  EXPECT_TRUE(Eventually([] { return server_->CountMatches("zzchunkedzz") == 1; }));

  // Incomplete: one chunk of two; expires after gelf.chunk_timeout (1 s) and is counted.
  double before = std::max(0.0, server_->Metric("kamatama_events_dropped_total{reason=\"gelf_expired\"}"));
  SendUdp(GelfUdp(), chunk("MSGID002", 0, 2, zv.substr(0, third)));
  EXPECT_TRUE(Eventually([&] {
    return server_->Metric("kamatama_events_dropped_total{reason=\"gelf_expired\"}") >= before + 1;
  }));

  // TCP: NUL-delimited, two messages in one write, then one split across writes.
  {
    TcpClient c(GelfTcp());
    ASSERT_TRUE(c.ok());
    std::string a = msg, b = msg;
    a.replace(a.find("zzgelfzz"), 8, "zzgelftcpzz");
    b.replace(b.find("zzgelfzz"), 8, "zzgelftcpzz");
    ASSERT_TRUE(c.Send(a + std::string(1, '\0') + b + std::string(1, '\0') + b.substr(0, 20)));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(c.Send(b.substr(20) + std::string(1, '\0')));
  }
  EXPECT_TRUE(Eventually([] { return server_->CountMatches("zzgelftcpzz") == 3; }));

  // HTTP.
  std::string h = msg;
  h.replace(h.find("zzgelfzz"), 8, "zzgelfhttpzz");
  std::string f = *dir_ + "/gelf.json";
  WriteFile(f, h);
  int code;
  Curl("--data-binary @" + ShellQuote(f), "/gelf", &code);
  EXPECT_EQ(code, 202);
  EXPECT_EQ(FieldOf("zzgelfhttpzz", "container.image.name"), "nginx:1.25");
  EXPECT_GE(server_->Metric("kamatama_received_total{transport=\"gelf_udp\"}"), 2);
}

TEST_F(ShippersTest, BulkIndexDuplicatesAndTheSameIdTwiceInOneBatch) {
  // Vector and Fluent Bit send "index" actions: a retried id answers 200 "updated" (nothing is
  // stored again), and an id repeated inside one batch is stored once.
  std::string f = *dir_ + "/dup.ndjson";
  WriteFile(f,
            "{\"index\":{\"_index\":\"dup-test\",\"_id\":\"dup-1\"}}\n{\"message\":\"zzdupindexzz one\"}\n"
            "{\"index\":{\"_index\":\"dup-test\",\"_id\":\"dup-2\"}}\n{\"message\":\"zzdupindexzz two\"}\n"
            "{\"index\":{\"_index\":\"dup-test\",\"_id\":\"dup-2\"}}\n{\"message\":\"zzdupindexzz zzagainzz\"}\n");
  int code;
  simdjson::dom::parser p;
  std::string body = PostFile("/_bulk", f, &code);
  ASSERT_EQ(code, 200) << body;
  auto r = Json(p, body);
  EXPECT_FALSE(bool(r["errors"])) << body;
  ASSERT_EQ(r["items"].get_array().size(), 3u);
  EXPECT_EQ(int64_t(r["items"].at(0)["index"]["status"]), 201);
  EXPECT_EQ(int64_t(r["items"].at(1)["index"]["status"]), 201);
  EXPECT_EQ(int64_t(r["items"].at(2)["index"]["status"]), 200);
  EXPECT_EQ(std::string_view(r["items"].at(2)["index"]["result"]), "updated");
  EXPECT_EQ(std::string_view(r["items"].at(2)["index"]["_id"]), "dup-2");
  EXPECT_EQ(server_->CountMatches("zzdupindexzz"), 2u);
  EXPECT_EQ(server_->CountMatches("zzagainzz"), 0u);

  // The same batch again: every item 200 "updated", no error, nothing stored.
  body = PostFile("/_bulk", f, &code);
  ASSERT_EQ(code, 200) << body;
  r = Json(p, body);
  EXPECT_FALSE(bool(r["errors"])) << body;
  for (auto item : r["items"].get_array()) {
    EXPECT_EQ(int64_t(item["index"]["status"]), 200);
    EXPECT_EQ(std::string_view(item["index"]["result"]), "updated");
  }
  EXPECT_EQ(server_->CountMatches("zzdupindexzz"), 2u);
}

TEST_F(ShippersTest, DataStreamDatasetChoosesTheParser) {
  // Elastic Agent and Filebeat data streams name the dataset in the document. The index names no
  // parser here, so the choice comes from the document: data_stream.dataset first (over
  // event.dataset), then event.dataset.
  std::string f = *dir_ + "/ds.ndjson";
  WriteFile(f,
            "{\"create\":{}}\n{\"data_stream\":{\"type\":\"logs\",\"dataset\":\"auth.sshd\",\"namespace\":\"default\"},"
            "\"message\":\"Failed password for invalid user zzdsonezz from 203.0.113.77 port 4242 ssh2\"}\n"
            "{\"create\":{}}\n{\"data_stream\":{\"dataset\":\"auth.sshd\"},\"event\":{\"dataset\":\"windows.sysmon_operational\"},"
            "\"message\":\"Failed password for invalid user zzdstwozz from 203.0.113.78 port 4242 ssh2\"}\n"
            "{\"create\":{}}\n{\"data_stream\":{\"dataset\":\"generic\"},\"event\":{\"dataset\":\"auth.sshd\"},"
            "\"message\":\"Failed password for invalid user zzdsthreezz from 203.0.113.79 port 4242 ssh2\"}\n"
            "{\"create\":{}}\n{\"data_stream\":{\"dataset\":\"generic\"},\"message\":\"Failed password for invalid user "
            "zzdsfourzz from 203.0.113.80 port 4242 ssh2\"}\n");
  int code;
  std::string body = PostFile("/logs-generic-default/_bulk", f, &code);
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::parser p;
  EXPECT_FALSE(bool(Json(p, body)["errors"])) << body;
  EXPECT_EQ(FieldOf("user.name:zzdsonezz", "event.dataset"), "auth.sshd");
  EXPECT_EQ(FieldOf("user.name:zzdsonezz", "source.ip"), "203.0.113.77");
  EXPECT_EQ(FieldOf("user.name:zzdsonezz", "event.outcome"), "failure");
  EXPECT_EQ(FieldOf("user.name:zzdstwozz", "event.dataset"), "auth.sshd");
  EXPECT_EQ(FieldOf("user.name:zzdsthreezz", "source.ip"), "203.0.113.79");
  // No hint names a parser: the JSON document is stored with its own fields.
  EXPECT_EQ(FieldOf("zzdsfourzz", "event.dataset"), "syslog.json");
  EXPECT_EQ(FieldOf("zzdsfourzz", "source.ip"), "<absent>");
}

TEST_F(ShippersTest, MaxBodyCapsTheCompressedBytes) {
  // http.max_body (2 MiB here) counts the bytes on the wire, before any decompression: 3 MiB of
  // incompressible gzip is refused with 413 on every shipper route.
  std::string noise(3 << 20, '\0');
  uint32_t x = 2463534242u;
  for (char& c : noise) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  std::string f = *dir_ + "/big.gz";
  WriteFile(f, noise);
  for (const std::string path : {"/_bulk", "/loki/api/v1/push", "/services/collector/event", "/gelf"}) {
    int code;
    std::string body = Curl("-H 'Authorization: Splunk s3cret' -H 'Content-Encoding: gzip' --data-binary @" + ShellQuote(f),
                            path, &code);
    EXPECT_EQ(code, 413) << path << ": " << body;
  }
  EXPECT_TRUE(server_->Alive());
}

TEST_F(ShippersTest, CredentialFormsFromTheDocsReachEveryDialect) {
  // docs/shippers.md: a forwarder gets an API token with the ingest scope and sends it as the
  // Basic password (Beats username/password, Fluent Bit HTTP_User/HTTP_Passwd, Vector basic,
  // Promtail/Alloy basic_auth, rsyslog uid/pwd, syslog-ng user/password), as a Bearer token
  // (Fluent Bit loki bearer_token, Vector bearer, Promtail bearer_token), as an Elasticsearch
  // API key (Beats api_key: "id:key" sends "ApiKey base64(id:key)"), or as a Splunk token.
  const std::string tok = IngestToken("docs-forwarder");
  ASSERT_EQ(tok.size(), 85u);
  const std::string id = tok.substr(4, 16), secret = tok.substr(21);
  const std::vector<std::pair<std::string, std::string>> forms = {
      {"basic", "-u " + ShellQuote("winlogbeat:" + tok)},
      {"bearer", "-H " + ShellQuote("Authorization: Bearer " + tok)},
      {"apikey", "-H " + ShellQuote("Authorization: ApiKey " + BasicCredentials("winlogbeat", tok))},
      {"apikeysplit", "-H " + ShellQuote("Authorization: ApiKey " + BasicCredentials(id, secret))},
  };
  simdjson::dom::parser p;
  for (const auto& [name, auth] : forms) {
    const std::string marker = "zzcred" + name + "zz";
    std::string f = *dir_ + "/cred.ndjson";
    int code;
    WriteFile(f, "{\"create\":{}}\n{\"message\":\"" + marker + " bulk\"}\n");
    std::string body = CurlAnon(auth + " -H 'Content-Type: application/x-ndjson' --data-binary @" + ShellQuote(f), "/_bulk", &code);
    EXPECT_EQ(code, 200) << name << ": " << body;
    WriteFile(f, "{\"streams\":[{\"stream\":{\"job\":\"creds\"},\"values\":[[\"1795082527000000000\",\"" + marker +
                     " loki\"]]}]}");
    body = CurlAnon(auth + " -H 'Content-Type: application/json' --data-binary @" + ShellQuote(f), "/loki/api/v1/push", &code);
    EXPECT_EQ(code, 204) << name << ": " << body;
    WriteFile(f, "{\"event\":\"" + marker + " hec\"}");
    body = CurlAnon(auth + " --data-binary @" + ShellQuote(f), "/services/collector/event", &code);
    EXPECT_EQ(code, 200) << name << ": " << body;
    WriteFile(f, "{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"" + marker + " gelf\"}");
    body = CurlAnon(auth + " --data-binary @" + ShellQuote(f), "/gelf", &code);
    EXPECT_EQ(code, 202) << name << ": " << body;
    body = CurlAnon(auth + " --data-binary " + ShellQuote("{\"message\":\"" + marker + " ingest\"}"), "/api/v1/ingest", &code);
    EXPECT_EQ(code, 200) << name << ": " << body;
    EXPECT_EQ(server_->CountMatches(marker), 5u) << name;
  }
  // HEC's own form, with the same token.
  int code;
  std::string body = CurlAnon("-H " + ShellQuote("Authorization: Splunk " + tok) + " -d '{\"event\":\"zzcredsplunkzz\"}'",
                              "/services/collector/event", &code);
  EXPECT_EQ(body, "{\"text\":\"Success\",\"code\":0}");
  EXPECT_EQ(server_->CountMatches("zzcredsplunkzz"), 1u);
  // Without credentials, or with a malformed header, nothing gets in. (That the ingest token
  // reads nothing back is tests/security_integration_test.cc's.)
  CurlAnon("-d x", "/_bulk", &code);
  EXPECT_EQ(code, 401);
  body = CurlAnon("-H 'Authorization: ApiKey !!!' -d x", "/_bulk", &code);
  EXPECT_EQ(code, 401) << body;
  std::string forged = tok;
  forged.back() = forged.back() == '0' ? '1' : '0';
  body = CurlAnon("-H " + ShellQuote("Authorization: ApiKey " + BasicCredentials("winlogbeat", forged)) + " -d x", "/_bulk",
                  &code);
  EXPECT_EQ(code, 401) << body;
}

// A whole _bulk request is refused with 429 and Retry-After while the ingest queue stays full for
// 0.5 s. Provoked for real: a 4 KiB storage.queue and a disk whose fsync takes 3 s (the LD_PRELOAD
// shim, tests/fsync_shim.cc), so the store writer is stuck with batch A, batch B waits in the
// queue, and batch C finds no room.
TEST(ShippersBackpressure, WholeBulkRequestGets429WithRetryAfter) {
  std::string dir = TempDir("shippers_backpressure");
  WriteFile(dir + "/bp.yaml", "storage:\n  queue: 4KiB\n");
  const std::string slow = dir + "/slow-disk";
  ::setenv("LD_PRELOAD", KMT_FSYNC_SHIM, 1);
  ::setenv("KMT_FSYNC_DELAY_FILE", slow.c_str(), 1);
  ::setenv("KMT_FSYNC_DELAY_MS", "3000", 1);
  Server s(dir, {"--config", dir + "/bp.yaml"});
  s.Start();
  ::unsetenv("LD_PRELOAD");
  ::unsetenv("KMT_FSYNC_DELAY_FILE");
  ::unsetenv("KMT_FSYNC_DELAY_MS");
  ASSERT_TRUE(s.Alive());
  for (const char* n : {"a", "b", "c"}) {
    std::string body;
    for (int i = 0; i < 20; ++i)
      body += std::string("{\"create\":{}}\n{\"message\":\"zzbp") + n + "zz line " + std::to_string(i) + "\"}\n";
    WriteFile(dir + "/" + n + ".ndjson", body);
  }
  auto post = [&](const std::string& n, std::string* headers = nullptr) {
    std::string out = Shell("curl -s -m 60 -D " + ShellQuote(dir + "/" + n + ".h") + " -w '\\n%{http_code}' " +
                            "-H 'Content-Type: application/x-ndjson' --data-binary @" + ShellQuote(dir + "/" + n + ".ndjson") +
                            " " + ShellQuote(s.Url("/_bulk")));
    if (headers) *headers = ReadFile(dir + "/" + n + ".h");
    return std::atoi(out.c_str() + out.rfind('\n') + 1);
  };
  EXPECT_GT(s.Metric("kamatama_queue_bytes"), -1);  // the admin's password is verified (and cached) now
  WriteFile(slow, "");
  int code_a = 0, code_b = 0;
  std::thread a([&] { code_a = post("a"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::thread b([&] { code_b = post("b"); });
  // B waits in the queue behind the stalled writer.
  bool queued = Eventually([&] { return s.Metric("kamatama_queue_bytes") > 0; }, 2000);
  std::string headers;
  auto t0 = std::chrono::steady_clock::now();
  int code_c = post("c", &headers);
  auto waited = std::chrono::steady_clock::now() - t0;
  std::filesystem::remove(slow);
  a.join();
  b.join();
  ASSERT_TRUE(queued);
  EXPECT_EQ(code_c, 429) << headers;
  EXPECT_NE(headers.find("Retry-After: 1"), std::string::npos) << headers;
  EXPECT_NE(headers.find("X-Elastic-Product: Elasticsearch"), std::string::npos) << headers;
  EXPECT_GE(waited, std::chrono::milliseconds(450)) << "refused only after the queue stayed full";
  // A and B were stored once the disk was fast again (B may itself have been refused if it found
  // A still queued); C was not stored at all, and its retry is.
  EXPECT_TRUE(code_a == 200 || code_a == 429) << code_a;
  EXPECT_TRUE(code_b == 200 || code_b == 429) << code_b;
  EXPECT_EQ(s.CountMatches("zzbpczz"), 0u);
  EXPECT_EQ(post("c"), 200);
  EXPECT_EQ(s.CountMatches("zzbpczz"), 20u);
  EXPECT_GE(s.Metric("kamatama_events_rejected_total{reason=\"queue_full\"}"), 20);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}
