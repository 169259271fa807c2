// tests/dialects_test.cc: shipper dialect decoders, bounded inflate, GELF decoding and chunk
// reassembly (unit tests, no server).
#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "ingest/dialects.h"
#include "ingest/gelf.h"
#include "ingest/gelf_server.h"
#include "ingest/inflate.h"
#include "ingest/listen.h"
#include "parsers/parse.h"

using namespace kamatama;
using namespace kamatama::ingest;

namespace {
std::string ReadData(const std::string& name) {
  std::ifstream in(std::string(KMT_SOURCE_DIR) + "/tests/data/shippers/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// window_bits: 16+15 gzip, 15 zlib, -15 raw deflate.
std::string Compress(std::string_view in, int window_bits, size_t repeat = 1, int level = 1) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out;
  char buf[65536];
  for (size_t r = 0; r < repeat; ++r) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    int flush = r + 1 == repeat ? Z_FINISH : Z_NO_FLUSH;
    int rc;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = deflate(&zs, flush);
      out.append(buf, sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  deflateEnd(&zs);
  return out;
}

std::string Field(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? *v : "<absent>";
}

// Protocol Buffers encoding helpers for a Promtail-shaped logproto.PushRequest.
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
std::string PushRequest(std::string_view labels, const std::vector<std::pair<int64_t, std::string>>& entries) {
  std::string stream;
  Bytes(&stream, 1, labels);
  for (const auto& [ns, line] : entries) {
    std::string ts, e;
    Varint(&ts, 8);
    Varint(&ts, static_cast<uint64_t>(ns / 1'000'000'000));
    Varint(&ts, 16);
    Varint(&ts, static_cast<uint64_t>(ns % 1'000'000'000));
    Bytes(&e, 1, ts);
    Bytes(&e, 2, line);
    Bytes(&stream, 2, e);
  }
  std::string req;
  Bytes(&req, 1, stream);
  return req;
}
// OTLP, encoded by hand from the published field numbers (opentelemetry-proto), so that the
// decoder's schema (ingest/proto/otlp_logs.proto) is checked against them, not against itself.
void Fixed64(std::string* o, int field, uint64_t v) {
  Varint(o, (static_cast<uint64_t>(field) << 3) | 1);
  for (int i = 0; i < 8; ++i) o->push_back(static_cast<char>(v >> (8 * i)));
}
std::string StrValue(std::string_view s) {  // AnyValue{string_value = 1}
  std::string v;
  Bytes(&v, 1, s);
  return v;
}
std::string KeyValue(std::string_view key, const std::string& any) {  // KeyValue{key = 1, value = 2}
  std::string kv;
  Bytes(&kv, 1, key);
  Bytes(&kv, 2, any);
  return kv;
}
}  // namespace

// ------------------------------------------------------------------ inflate

TEST(Inflate, RoundTripsEveryEncoding) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + " of some log text\n";
  std::string out;
  EXPECT_EQ(Decompress(Compress(text, 16 + 15), Compression::kGzip, 1 << 20, &out), InflateResult::kOk);
  EXPECT_EQ(out, text);
  EXPECT_EQ(Decompress(Compress(text, 15), Compression::kZlib, 1 << 20, &out), InflateResult::kOk);
  EXPECT_EQ(out, text);
  // "deflate" sent as raw deflate is accepted too.
  EXPECT_EQ(Decompress(Compress(text, -15), Compression::kZlib, 1 << 20, &out), InflateResult::kOk);
  EXPECT_EQ(out, text);
  std::string sn;
  snappy::Compress(text.data(), text.size(), &sn);
  EXPECT_EQ(Decompress(sn, Compression::kSnappy, 1 << 20, &out), InflateResult::kOk);
  EXPECT_EQ(out, text);
  // Concatenated gzip members (what `cat a.gz b.gz` gives) are one stream.
  EXPECT_EQ(Decompress(Compress("a\n", 31) + Compress("b\n", 31), Compression::kGzip, 100, &out), InflateResult::kOk);
  EXPECT_EQ(out, "a\nb\n");
  EXPECT_EQ(SniffCompression(Compress("x", 31)), Compression::kGzip);
  EXPECT_EQ(SniffCompression(Compress("x", 15)), Compression::kZlib);
  EXPECT_EQ(SniffCompression("{\"a\":1}"), Compression::kNone);
  Compression c;
  EXPECT_TRUE(CompressionFromEncoding("GZIP ", &c));
  EXPECT_EQ(c, Compression::kGzip);
  EXPECT_FALSE(CompressionFromEncoding("br", &c));
}

TEST(Inflate, BombStopsAtTheCapQuickly) {
  std::string zeros(1 << 20, '\0');
  std::string bomb = Compress(zeros, 31, 256, 9);  // 256 MiB of zeros in about 250 KB
  ASSERT_LT(bomb.size(), 1u << 20);
  std::string out;
  EXPECT_EQ(Decompress(bomb, Compression::kGzip, 8 << 20, &out), InflateResult::kTooLarge);
  EXPECT_TRUE(out.empty());
  // "Quickly" as work, not time: a 9 MiB gzip member, then bytes that are not gzip, then the
  // bomb. Stopping at the 8 MiB cap never reaches the bad bytes (kTooLarge); inflating on past
  // the cap would hit them first (kCorrupt), as it does under a cap above the first member.
  std::string staged = Compress(zeros, 31, 9, 9) + "this is not gzip" + bomb;
  EXPECT_EQ(Decompress(staged, Compression::kGzip, 8 << 20, &out), InflateResult::kTooLarge);
  EXPECT_EQ(Decompress(staged, Compression::kGzip, 10 << 20, &out), InflateResult::kCorrupt);
  // Snappy announces its length: refused before any work.
  std::string sn;
  snappy::Compress(zeros.data(), zeros.size(), &sn);
  EXPECT_EQ(Decompress(sn, Compression::kSnappy, 1000, &out), InflateResult::kTooLarge);
  // Exactly at the cap is fine; one byte over is not.
  EXPECT_EQ(Decompress(Compress("abcd", 31), Compression::kGzip, 4, &out), InflateResult::kOk);
  EXPECT_EQ(Decompress(Compress("abcde", 31), Compression::kGzip, 4, &out), InflateResult::kTooLarge);
  EXPECT_EQ(Decompress("abcde", Compression::kNone, 4, &out), InflateResult::kTooLarge);
}

TEST(Inflate, CorruptAndTruncatedInput) {
  std::string out;
  std::string gz = Compress(std::string(10000, 'x'), 31);
  EXPECT_EQ(Decompress(gz.substr(0, gz.size() / 2), Compression::kGzip, 1 << 20, &out), InflateResult::kCorrupt);
  EXPECT_EQ(Decompress("not gzip at all", Compression::kGzip, 1 << 20, &out), InflateResult::kCorrupt);
  EXPECT_EQ(Decompress("\x05 garbage bytes", Compression::kSnappy, 1 << 20, &out), InflateResult::kCorrupt);
  EXPECT_EQ(Decompress("", Compression::kGzip, 1 << 20, &out), InflateResult::kCorrupt);
}

// ------------------------------------------------------------------ dataset hints

TEST(Dialects, DatasetForHint) {
  EXPECT_EQ(DatasetForHint("windows.sysmon_operational"), "sysmon");
  EXPECT_EQ(DatasetForHint("logs-windows.sysmon_operational-default"), "sysmon");
  EXPECT_EQ(DatasetForHint("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"), "sysmon");
  EXPECT_EQ(DatasetForHint("WinEventLog:Security"), "auth.windows_security");
  EXPECT_EQ(DatasetForHint("system.security"), "auth.windows_security");
  EXPECT_EQ(DatasetForHint("auth.sshd"), "auth.sshd");
  EXPECT_EQ(DatasetForHint("AUTH.SSHD"), "auth.sshd");
  EXPECT_EQ(DatasetForHint("winlogbeat-8.11.0"), "");
  EXPECT_EQ(DatasetForHint(""), "");
}

// ------------------------------------------------------------------ Elasticsearch _bulk

TEST(EsBulk, WinlogbeatBodyGoesToTheWindowsParsers) {
  std::vector<BulkItem> items;
  std::string fatal;
  BulkOptions o;
  o.now_ns = 1;
  ASSERT_TRUE(DecodeEsBulk(ReadData("winlogbeat_bulk.ndjson"), o, &items, &fatal)) << fatal;
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].op, "create");
  EXPECT_EQ(items[0].index, "winlogbeat-8.11.0");
  EXPECT_EQ(items[0].id, "wlb-sysmon-3");
  for (auto& it : items) {
    EXPECT_EQ(it.status, 0);
    EXPECT_EQ(it.raw.source, "");  // left to the parsers' winlog.channel claims
    EXPECT_TRUE(it.raw.flags & kRawJson);
  }
  ParseOptions po;
  Event ev = ParseRecord(items[0].raw, po);
  EXPECT_EQ(Field(ev, "event.dataset"), "sysmon.process_create");
  EXPECT_EQ(Field(ev, "process.executable"), "C:\\Windows\\Sysmon.exe");
  EXPECT_EQ(Field(ev, "process.parent.name"), "services.exe");
  Event sec = ParseRecord(items[2].raw, po);
  EXPECT_EQ(Field(sec, "event.dataset").rfind("auth.windows_security", 0), 0u) << Field(sec, "event.dataset");
  EXPECT_EQ(Field(sec, "event.code"), "4741");
  EXPECT_EQ(Field(sec, "user.name"), "at_adm");
}

TEST(EsBulk, PerItemErrorsAndActions) {
  std::string body =
      "{\"index\":{\"_index\":\"a\",\"_id\":7}}\n{\"message\":\"ok\"}\n"
      "{\"create\":{}}\n{\"message\": \"broken\",\n"
      "{\"delete\":{\"_index\":\"a\",\"_id\":\"1\"}}\n"
      "{\"update\":{\"_id\":\"2\"}}\n{\"doc\":{\"a\":1}}\n"
      "\n"
      "{\"create\":{\"_index\":\"logs-windows.sysmon_operational-default\"}}\r\n[1,2]\r\n"
      "{\"create\":{}}\n{\"message\":\"" + std::string(200, 'x') + "\"}\n"
      "{\"create\":{\"_index\":\"auth.sshd\"}}\n{\"message\":\"Accepted password for bob from 198.51.100.1 port 22 ssh2\"}\n"
      "{\"create\":{}}\n{\"event\":{\"dataset\":\"windows.sysmon_operational\"},\"message\":\"m\"}\n";
  std::vector<BulkItem> items;
  std::string fatal;
  BulkOptions o;
  o.default_index = "fromurl";
  o.max_line = 150;
  ASSERT_TRUE(DecodeEsBulk(body, o, &items, &fatal)) << fatal;
  ASSERT_EQ(items.size(), 8u);
  EXPECT_EQ(items[0].status, 0);
  EXPECT_EQ(items[0].id, "7");  // a numeric _id is taken as its text
  EXPECT_EQ(items[1].status, 400);
  EXPECT_EQ(items[1].error_type, "mapper_parsing_exception");
  EXPECT_EQ(items[1].index, "fromurl");
  EXPECT_EQ(items[2].op, "delete");
  EXPECT_EQ(items[2].status, 400);
  EXPECT_EQ(items[3].op, "update");
  EXPECT_EQ(items[3].status, 400);
  EXPECT_EQ(items[4].status, 400);  // [1,2] is not an object
  EXPECT_EQ(items[5].status, 400);  // longer than max_line
  EXPECT_EQ(items[6].status, 0);
  EXPECT_EQ(items[6].raw.source, "auth.sshd");  // index names a parser
  EXPECT_EQ(items[7].raw.source, "sysmon");     // event.dataset names one
}

TEST(EsBulk, MalformedActionFailsTheRequest) {
  std::vector<BulkItem> items;
  std::string fatal;
  EXPECT_FALSE(DecodeEsBulk("{\"message\":\"a doc without action\"}\n", BulkOptions(), &items, &fatal));
  EXPECT_NE(fatal.find("[1]"), std::string::npos) << fatal;
  EXPECT_FALSE(DecodeEsBulk("{\"index\":{}}\n{}\nnot json\n", BulkOptions(), &items, &fatal));
  EXPECT_NE(fatal.find("[3]"), std::string::npos) << fatal;
  EXPECT_FALSE(DecodeEsBulk("{\"upsert\":{}}\n{}\n", BulkOptions(), &items, &fatal));
}

// ------------------------------------------------------------------ Loki

TEST(Loki, JsonPushWithLabelsAndMetadata) {
  LokiOptions o;
  LokiResult r;
  ASSERT_TRUE(DecodeLokiJson(ReadData("loki_fluentbit.json"), o, &r)) << r.first_error;
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.rejected, 0u);
  ParseOptions po;
  Event a = ParseRecord(r.records[0], po);
  EXPECT_EQ(Field(a, "message"), "zzlokizz plain line from fluent-bit");
  EXPECT_EQ(Field(a, "labels.job"), "fluent-bit");
  EXPECT_EQ(Field(a, "host.name"), "web03");
  EXPECT_EQ(a.timestamp_ns, 1795082520000000000);
  Event b = ParseRecord(r.records[1], po);
  EXPECT_EQ(Field(b, "msg"), "zzlokizz json line");  // a JSON line keeps its own fields
  EXPECT_EQ(Field(b, "level"), "warn");
  EXPECT_EQ(Field(b, "labels.env"), "prod");

  LokiResult m;
  ASSERT_TRUE(DecodeLokiJson(R"({"streams":[{"stream":{"dataset":"auth.sshd"},"values":[["1700000000000000000","Failed password for root from 203.0.113.9 port 22 ssh2",{"trace_id":"abc"}],["x","bad ts"],["1700000000000000001"]]}]})", o, &m));
  ASSERT_EQ(m.records.size(), 1u);
  EXPECT_EQ(m.rejected, 2u);
  EXPECT_EQ(m.records[0].source, "auth.sshd");
  Event s = ParseRecord(m.records[0], po);
  EXPECT_EQ(Field(s, "labels.trace_id"), "abc");
  EXPECT_EQ(Field(s, "source.ip"), "203.0.113.9");

  LokiResult legacy;
  ASSERT_TRUE(DecodeLokiJson(R"({"streams":[{"labels":"{foo=\"bar\"}","entries":[{"ts":"2018-12-18T08:28:06.801064-04:00","line":"baz"}]}]})", o, &legacy));
  ASSERT_EQ(legacy.records.size(), 1u);
  EXPECT_EQ(Field(ParseRecord(legacy.records[0], po), "labels.foo"), "bar");

  LokiResult bad;
  EXPECT_FALSE(DecodeLokiJson("{\"nope\":1}", o, &bad));
  EXPECT_FALSE(DecodeLokiJson("not json", o, &bad));
}

TEST(Loki, ProtobufPush) {
  std::string pb = PushRequest(R"({job="varlogs", filename="/var/log/syslog", host="h1"})",
                               {{1700000000123456789, "first line"}, {1700000000223456789, "{\"k\":\"v\"}"}});
  LokiOptions o;
  LokiResult r;
  ASSERT_TRUE(DecodeLokiProto(pb, o, &r)) << r.first_error;
  ASSERT_EQ(r.records.size(), 2u);
  ParseOptions po;
  Event a = ParseRecord(r.records[0], po);
  EXPECT_EQ(a.timestamp_ns, 1700000000123456789);
  EXPECT_EQ(Field(a, "message"), "first line");
  EXPECT_EQ(Field(a, "labels.filename"), "/var/log/syslog");
  EXPECT_EQ(Field(a, "host.name"), "h1");
  EXPECT_EQ(Field(ParseRecord(r.records[1], po), "k"), "v");
  LokiResult t;
  EXPECT_FALSE(DecodeLokiProto(pb.substr(0, pb.size() - 3), o, &t));  // truncated
}

TEST(Otlp, ProtobufExportFromTheCollector) {
  // ExportLogsServiceRequest{resource_logs=1: ResourceLogs{resource=1: Resource{attributes=1},
  // scope_logs=2: ScopeLogs{scope=1: {name=1, version=2}, log_records=2: LogRecord{...}}}}.
  std::string resource, scope, rec1, rec2, nested, kvlist, scope_logs, resource_logs, req;
  Bytes(&resource, 1, KeyValue("host.name", StrValue("web-7")));
  Bytes(&resource, 1, KeyValue("service.name", StrValue("checkout")));
  Bytes(&scope, 1, "otelcol/filelogreceiver");
  Bytes(&scope, 2, "0.91.0");
  Fixed64(&rec1, 1, 1700000000123456789ULL);             // time_unix_nano
  Varint(&rec1, (2 << 3) | 0), Varint(&rec1, 17);         // severity_number = ERROR
  Bytes(&rec1, 3, "ERROR");                               // severity_text
  Bytes(&rec1, 5, StrValue("payment failed for order 7731"));  // body
  std::string port;                                       // AnyValue{int_value = 3}
  Varint(&port, (3 << 3) | 0), Varint(&port, 443);
  Bytes(&rec1, 6, KeyValue("server.port", port));
  Bytes(&rec1, 6, KeyValue("user.name", StrValue("alice")));
  Bytes(&rec1, 6, KeyValue("host.name", StrValue("web-7-container")));  // the record's own wins
  Bytes(&rec1, 9, std::string("\x5b\x8e\xfa\xf6\x93\x03\x44\x9f\x8a\x59\xb9\xd1\x41\xa7\x16\x0c", 16));  // trace_id
  Bytes(&rec1, 10, std::string("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x74", 8));  // span_id
  // A key/value body (structured log) with a nested list, and only an observed time (11).
  Bytes(&nested, 1, KeyValue("id", StrValue("u-42")));
  std::string nested_any;
  Bytes(&nested_any, 6, nested);  // AnyValue{kvlist_value = 6}
  Bytes(&kvlist, 1, KeyValue("event", StrValue("login")));
  Bytes(&kvlist, 1, KeyValue("actor", nested_any));
  std::string body;
  Bytes(&body, 6, kvlist);
  Fixed64(&rec2, 11, 1700000001000000000ULL);
  Bytes(&rec2, 5, body);
  Bytes(&scope_logs, 1, scope);
  Bytes(&scope_logs, 2, rec1);
  Bytes(&scope_logs, 2, rec2);
  Bytes(&resource_logs, 1, resource);
  Bytes(&resource_logs, 2, scope_logs);
  Bytes(&req, 1, resource_logs);

  OtlpOptions o;
  o.now_ns = 1800000000000000000;
  OtlpResult r;
  ASSERT_TRUE(DecodeOtlpLogs(req, false, o, &r)) << r.first_error;
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.rejected, 0u);
  ParseOptions po;
  Event a = ParseRecord(r.records[0], po);
  EXPECT_EQ(a.timestamp_ns, 1700000000123456789);
  EXPECT_EQ(Field(a, "message"), "payment failed for order 7731");
  EXPECT_EQ(Field(a, "service.name"), "checkout");
  EXPECT_EQ(Field(a, "host.name"), "web-7-container");
  EXPECT_EQ(Field(a, "user.name"), "alice");
  EXPECT_EQ(Field(a, "server.port"), "443");
  EXPECT_EQ(Field(a, "log.level"), "ERROR");
  EXPECT_EQ(Field(a, "event.severity"), "17");
  EXPECT_EQ(Field(a, "trace.id"), "5b8efaf69303449f8a59b9d141a7160c");
  EXPECT_EQ(Field(a, "span.id"), "eee19b7ec3c1b174");
  EXPECT_EQ(Field(a, "otel.scope.name"), "otelcol/filelogreceiver");
  Event b = ParseRecord(r.records[1], po);
  EXPECT_EQ(b.timestamp_ns, 1700000001000000000);
  EXPECT_EQ(Field(b, "event"), "login");
  EXPECT_EQ(Field(b, "actor.id"), "u-42");
  EXPECT_EQ(Field(b, "host.name"), "web-7");
  // Truncated: refused as a whole, with a reason.
  OtlpResult t;
  EXPECT_FALSE(DecodeOtlpLogs(req.substr(0, req.size() - 5), false, o, &t));
  EXPECT_NE(t.first_error.find("ExportLogsServiceRequest"), std::string::npos);
  // The answer: an empty ExportLogsServiceResponse, or partial_success{rejected = 1, error = 2}.
  EXPECT_EQ(OtlpResponse(false, 0, ""), "");
  std::string partial, ps;
  Varint(&ps, (1 << 3) | 0), Varint(&ps, 3);
  Bytes(&ps, 2, "too long");
  Bytes(&partial, 1, ps);
  EXPECT_EQ(OtlpResponse(false, 3, "too long"), partial);
}

TEST(Otlp, JsonEncodingAsTheSpecificationShowsIt) {
  // OTLP/JSON: lowerCamelCase keys, hex ids, 64-bit integers as strings, enums as numbers.
  const std::string body = R"({"resourceLogs":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"my.service"}},
      {"key":"host.name","value":{"stringValue":"pc-12"}}]},
    "scopeLogs":[{"scope":{"name":"my.library","version":"1.0.0",
      "attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},
      "logRecords":[{"timeUnixNano":"1544712660300000000","observedTimeUnixNano":"1544712660300000001",
        "severityNumber":10,"severityText":"Information","traceId":"5B8EFFF798038103D269B633813FC60C",
        "spanId":"EEE19B7EC3C1B174","eventName":"user.login","body":{"stringValue":"Example log record"},
        "attributes":[{"key":"string.attribute","value":{"stringValue":"some string"}},
          {"key":"boolean.attribute","value":{"boolValue":true}},
          {"key":"int.attribute","value":{"intValue":"10"}},
          {"key":"double.attribute","value":{"doubleValue":637.704}},
          {"key":"array.attribute","value":{"arrayValue":{"values":[{"stringValue":"many"},{"stringValue":"values"}]}}},
          {"key":"map.attribute","value":{"kvlistValue":{"values":[{"key":"some.map.key","value":{"stringValue":"some value"}}]}}}],
        "someFieldOfANewerVersion":1}]}]}]})";
  OtlpOptions o;
  OtlpResult r;
  ASSERT_TRUE(DecodeOtlpLogs(body, true, o, &r)) << r.first_error;
  ASSERT_EQ(r.records.size(), 1u);
  Event a = ParseRecord(r.records[0], ParseOptions{});
  EXPECT_EQ(a.timestamp_ns, 1544712660300000000);
  EXPECT_EQ(Field(a, "message"), "Example log record");
  EXPECT_EQ(Field(a, "service.name"), "my.service");
  EXPECT_EQ(Field(a, "host.name"), "pc-12");
  EXPECT_EQ(Field(a, "trace.id"), "5B8EFFF798038103D269B633813FC60C");
  EXPECT_EQ(Field(a, "span.id"), "EEE19B7EC3C1B174");
  EXPECT_EQ(Field(a, "event.action"), "user.login");
  EXPECT_EQ(Field(a, "event.severity"), "10");
  EXPECT_EQ(Field(a, "boolean.attribute"), "true");
  EXPECT_EQ(Field(a, "int.attribute"), "10");
  EXPECT_EQ(Field(a, "double.attribute"), "637.704");
  EXPECT_EQ(Field(a, "array.attribute"), R"(["many","values"])");
  EXPECT_EQ(Field(a, "map.attribute.some.map.key"), "some value");
  EXPECT_EQ(Field(a, "otel.scope.attributes.my.scope.attribute"), "some scope attribute");
  // Not OTLP: a clear error, nothing decoded.
  OtlpResult bad;
  EXPECT_FALSE(DecodeOtlpLogs(R"({"resourceLogs":"nope"})", true, o, &bad));
  EXPECT_NE(bad.first_error.find("OTLP/JSON"), std::string::npos) << bad.first_error;
  // A body longer than ingest.max_line refuses that record only.
  OtlpOptions small;
  small.max_line = 10;
  OtlpResult part;
  ASSERT_TRUE(DecodeOtlpLogs(body, true, small, &part));
  EXPECT_EQ(part.records.size(), 0u);
  EXPECT_EQ(part.rejected, 1u);
  EXPECT_NE(OtlpResponse(true, 1, part.first_error).find("\"rejectedLogRecords\":\"1\""), std::string::npos)
      << OtlpResponse(true, 1, part.first_error);
}

TEST(Loki, LabelSets) {
  std::vector<std::pair<std::string, std::string>> l;
  ASSERT_TRUE(ParseLabelSet(R"({a="1", b_c="x\"y\\z", d=""})", &l));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[1].second, "x\"y\\z");
  EXPECT_EQ(l[2].second, "");
  l.clear();
  EXPECT_TRUE(ParseLabelSet("{}", &l));
  EXPECT_FALSE(ParseLabelSet("{a=1}", &l));
  EXPECT_FALSE(ParseLabelSet("{a=\"1\"", &l));
  EXPECT_FALSE(ParseLabelSet("a=\"1\"", &l));
}

// ------------------------------------------------------------------ Splunk HEC

TEST(Hec, ConcatenatedEventsAndSplunkErrors) {
  HecOptions o;
  HecResult r;
  DecodeHecEvents(ReadData("hec_vector.json") + ReadData("hec_fluentbit.json"), o, &r);
  EXPECT_EQ(r.error_code, 0);
  ASSERT_EQ(r.records.size(), 4u);
  ParseOptions po;
  Event a = ParseRecord(r.records[0], po);
  EXPECT_EQ(Field(a, "message"), "zzheczz vector event");
  EXPECT_EQ(Field(a, "host.name"), "web04");
  EXPECT_EQ(Field(a, "splunk.sourcetype"), "_json");
  EXPECT_EQ(Field(a, "labels.env"), "prod");
  EXPECT_EQ(a.timestamp_ns, 1795082522250000000);
  EXPECT_EQ(Field(ParseRecord(r.records[1], po), "message"), "zzheczz second vector event");
  EXPECT_EQ(Field(ParseRecord(r.records[2], po), "log"), "zzheczz fluent-bit record");

  HecResult e12, e13, e6, e5;
  DecodeHecEvents(R"({"event":"a"} {"time":1})", o, &e12);
  EXPECT_EQ(e12.error_code, 12);
  EXPECT_EQ(e12.invalid_event, 1);
  EXPECT_EQ(e12.records.size(), 1u);  // the events before the bad one are kept, like Splunk
  DecodeHecEvents(R"({"event":""})", o, &e13);
  EXPECT_EQ(e13.error_code, 13);
  EXPECT_EQ(e13.invalid_event, 0);
  DecodeHecEvents(R"({"event":"a"}{"event":"b"}{"event": )", o, &e6);
  EXPECT_EQ(e6.error_code, 6);
  EXPECT_EQ(e6.invalid_event, 2);
  EXPECT_EQ(e6.records.size(), 2u);
  DecodeHecEvents(" \n ", o, &e5);
  EXPECT_EQ(e5.error_code, 5);

  HecOptions xo;
  xo.sourcetype = "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational";
  HecResult x;
  DecodeHecEvents(R"({"event":"<Event/>"})", xo, &x);
  ASSERT_EQ(x.records.size(), 1u);
  EXPECT_EQ(x.records[0].source, "sysmon");
}

TEST(Hec, RawLines) {
  HecOptions o;
  o.sourcetype = "auth.sshd";
  o.max_line = 20;
  HecResult r;
  DecodeHecRaw("line one\r\n\nline two is rather long\n", o, &r);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].data, "line one");
  EXPECT_EQ(r.records[0].source, "auth.sshd");
  EXPECT_TRUE(r.records[1].flags & kRawTruncated);
  HecResult empty;
  DecodeHecRaw("\n\n", o, &empty);
  EXPECT_EQ(empty.error_code, 5);
}

// ------------------------------------------------------------------ GELF

TEST(Gelf, DockerDriverMessage) {
  RawRecord r;
  std::string err;
  ASSERT_TRUE(DecodeGelf(ReadData("gelf_docker.json"), 5, "10.0.0.1", &r, &err)) << err;
  Event ev = ParseRecord(r, ParseOptions());
  EXPECT_EQ(Field(ev, "message"), "zzgelfzz hello from a container");
  EXPECT_EQ(Field(ev, "host.name"), "docker-host");
  EXPECT_EQ(Field(ev, "container.name"), "web");
  EXPECT_EQ(Field(ev, "container.image.name"), "nginx:1.25");
  EXPECT_EQ(Field(ev, "log.level"), "informational");
  EXPECT_EQ(Field(ev, "observer.ip"), "10.0.0.1");
  EXPECT_EQ(ev.timestamp_ns, 1795082526123000000);
  EXPECT_FALSE(DecodeGelf(R"({"version":"1.1","host":"h"})", 5, "", &r, &err));
  EXPECT_FALSE(DecodeGelf("[1]", 5, "", &r, &err));
  EXPECT_FALSE(DecodeGelf("{", 5, "", &r, &err));
}

TEST(Gelf, ToRecordInflatesWithACap) {
  std::string msg = ReadData("gelf_docker.json");
  RawRecord r;
  const char* reason = nullptr;
  EXPECT_TRUE(GelfToRecord(Compress(msg, 31), 1 << 20, 1, "", &r, &reason));
  EXPECT_TRUE(GelfToRecord(Compress(msg, 15), 1 << 20, 1, "", &r, &reason));
  EXPECT_TRUE(GelfToRecord(msg + std::string(1, '\0'), 1 << 20, 1, "", &r, &reason));
  std::string zeros(1 << 20, ' ');
  EXPECT_FALSE(GelfToRecord(Compress(zeros, 31, 64), 1 << 20, 1, "", &r, &reason));
  EXPECT_STREQ(reason, "gelf_too_large");
  EXPECT_FALSE(GelfToRecord("\x1f\x8b garbage", 1 << 20, 1, "", &r, &reason));
  EXPECT_STREQ(reason, "gelf_corrupt");
  EXPECT_FALSE(GelfToRecord("{\"nope\":1}", 1 << 20, 1, "", &r, &reason));
  EXPECT_STREQ(reason, "gelf_invalid");
}

namespace {
std::string Chunk(std::string_view id8, uint8_t seq, uint8_t count, std::string_view payload) {
  std::string c = "\x1e\x0f";
  c.append(id8);
  c.push_back(static_cast<char>(seq));
  c.push_back(static_cast<char>(count));
  c.append(payload);
  return c;
}
}  // namespace

TEST(GelfChunks, OutOfOrderDuplicatesAndSenders) {
  std::string msg = Compress(ReadData("gelf_docker.json"), 15);
  size_t third = msg.size() / 3;
  std::string parts[3] = {msg.substr(0, third), msg.substr(third, third), msg.substr(2 * third)};
  GelfReassembler g;
  std::string out;
  const char* reason = nullptr;
  EXPECT_EQ(g.Add(Chunk("ABCDEFGH", 2, 3, parts[2]), "s1", 0, &out, &reason), GelfReassembler::Result::kPending);
  EXPECT_EQ(g.Add(Chunk("ABCDEFGH", 0, 3, parts[0]), "s1", 1, &out, &reason), GelfReassembler::Result::kPending);
  EXPECT_EQ(g.Add(Chunk("ABCDEFGH", 0, 3, parts[0]), "s1", 1, &out, &reason), GelfReassembler::Result::kPending);
  // The same id from another sender is another message.
  EXPECT_EQ(g.Add(Chunk("ABCDEFGH", 1, 3, parts[1]), "s2", 2, &out, &reason), GelfReassembler::Result::kPending);
  EXPECT_EQ(g.pending_messages(), 2u);
  ASSERT_EQ(g.Add(Chunk("ABCDEFGH", 1, 3, parts[1]), "s1", 3, &out, &reason), GelfReassembler::Result::kComplete);
  EXPECT_EQ(out, msg);
  RawRecord r;
  EXPECT_TRUE(GelfToRecord(out, 1 << 20, 1, "", &r, &reason));
  EXPECT_EQ(g.pending_messages(), 1u);
  // A plain datagram passes through; a single-chunk message completes at once.
  EXPECT_EQ(g.Add("{\"short_message\":\"x\"}", "s1", 4, &out, &reason), GelfReassembler::Result::kComplete);
  EXPECT_EQ(g.Add(Chunk("12345678", 0, 1, "solo"), "s1", 4, &out, &reason), GelfReassembler::Result::kComplete);
  EXPECT_EQ(out, "solo");
}

TEST(GelfChunks, IncompleteMessagesExpire) {
  GelfChunkOptions o;
  o.timeout_ns = 5'000'000'000;
  GelfReassembler g(o);
  std::string out;
  const char* reason = nullptr;
  EXPECT_EQ(g.Add(Chunk("AAAAAAAA", 0, 2, "part"), "s", 0, &out, &reason), GelfReassembler::Result::kPending);
  EXPECT_EQ(g.Expire(4'000'000'000), 0u);
  EXPECT_EQ(g.Expire(5'000'000'001), 1u);
  EXPECT_EQ(g.pending_messages(), 0u);
  EXPECT_EQ(g.pending_bytes(), 0u);
  // The late second half starts a new message that never completes.
  EXPECT_EQ(g.Add(Chunk("AAAAAAAA", 1, 2, "late"), "s", 6'000'000'000, &out, &reason), GelfReassembler::Result::kPending);
}

TEST(GelfChunks, Limits) {
  GelfChunkOptions o;
  o.max_pending_messages = 2;
  o.max_pending_bytes = 100;
  GelfReassembler g(o);
  std::string out;
  const char* reason = nullptr;
  EXPECT_EQ(g.Add(Chunk("AAAAAAAA", 0, 129, "x"), "s", 0, &out, &reason), GelfReassembler::Result::kDropped);
  EXPECT_STREQ(reason, "gelf_bad_chunk");  // more than 128 chunks
  EXPECT_EQ(g.Add(Chunk("AAAAAAAA", 3, 3, "x"), "s", 0, &out, &reason), GelfReassembler::Result::kDropped);
  EXPECT_EQ(g.Add(Chunk("AAAAAAAA", 0, 0, "x"), "s", 0, &out, &reason), GelfReassembler::Result::kDropped);
  EXPECT_EQ(g.Add("\x1e\x0f" "short", "s", 0, &out, &reason), GelfReassembler::Result::kDropped);
  EXPECT_EQ(g.Add(Chunk("BBBBBBBB", 0, 2, "x"), "s", 0, &out, &reason), GelfReassembler::Result::kPending);
  EXPECT_EQ(g.Add(Chunk("CCCCCCCC", 0, 2, "x"), "s", 0, &out, &reason), GelfReassembler::Result::kPending);
  EXPECT_EQ(g.Add(Chunk("DDDDDDDD", 0, 2, "x"), "s", 0, &out, &reason), GelfReassembler::Result::kDropped);
  EXPECT_STREQ(reason, "gelf_pending_full");
  EXPECT_EQ(g.Add(Chunk("BBBBBBBB", 1, 2, std::string(150, 'y')), "s", 0, &out, &reason),
            GelfReassembler::Result::kDropped);  // would exceed max_pending_bytes
  EXPECT_EQ(g.pending_messages(), 1u);
  // A chunk whose count disagrees with the first one voids the message.
  EXPECT_EQ(g.Add(Chunk("CCCCCCCC", 1, 3, "x"), "s", 0, &out, &reason), GelfReassembler::Result::kDropped);
  EXPECT_EQ(g.pending_messages(), 0u);
}

namespace {
// A UDP socket bound to an ephemeral port of 127.0.0.1; its port in *port.
int BoundUdp(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0) return -1;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}
void SendTo(uint16_t port, const std::string& data) {
  uint16_t unused = 0;
  int fd = BoundUdp(&unused);
  sockaddr_in a{};
  a.sin_family = AF_INET, a.sin_port = htons(port), a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a), static_cast<ssize_t>(data.size()));
  ::close(fd);
}
}  // namespace

// issue 24: datagrams read many per system call, with their full length and their sender.
TEST(DatagramReader, ReadsWhatIsQueuedWithLengthsAndSenders) {
  uint16_t port = 0;
  int fd = BoundUdp(&port);
  ASSERT_GE(fd, 0);
  kamatama::ingest::DatagramReader reader(4);
  EXPECT_EQ(reader.Read(fd), 0);  // nothing queued: no wait
  const std::string big(65000, 'x');
  for (const std::string& d : {std::string("<13>one"), std::string(""), big, std::string("<13>three\n"), std::string("five")})
    SendTo(port, d);
  ASSERT_EQ(reader.Read(fd), 4);  // at most the reader's slots in one call
  EXPECT_EQ(reader.Data(0), "<13>one");
  EXPECT_EQ(reader.Data(1), "");
  EXPECT_EQ(reader.Length(2), 65000u);
  EXPECT_EQ(reader.Data(2), big);
  EXPECT_EQ(reader.Data(3), "<13>three\n");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(reader.Sender(i), "127.0.0.1");
  ASSERT_EQ(reader.Read(fd), 1);
  EXPECT_EQ(reader.Data(0), "five");
  EXPECT_EQ(reader.Read(fd), 0);
  ::close(fd);

  // Another sender: the text of the last one is not reused (Linux answers on all of 127/8).
  int listen_fd = BoundUdp(&port);
  int other = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in from{}, to{};
  from.sin_family = to.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
  ASSERT_EQ(::bind(other, reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
  to.sin_port = htons(port), to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::sendto(other, "<13>six", 7, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 7);
  SendTo(port, "<13>seven");
  ASSERT_EQ(reader.Read(listen_fd), 2);
  EXPECT_EQ(reader.Sender(0), "127.0.0.2");
  EXPECT_EQ(reader.Data(0), "<13>six");
  EXPECT_EQ(reader.Sender(1), "127.0.0.1");
  ::close(other);
  ::close(listen_fd);
}
