// fuzz/shipper_fuzz.cc: what HTTP shippers and GELF senders send: Elasticsearch _bulk, Loki
// (JSON and protobuf), OTLP logs (protobuf and JSON), Splunk HEC, GELF messages and chunks, and decompression (issue 9).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/dialects.h"
#include "ingest/gelf.h"
#include "ingest/inflate.h"

using namespace kamatama;
using namespace kamatama::ingest;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const int64_t now = 1'764'158'400'000'000'000;
  {
    BulkOptions o;
    o.now_ns = now;
    o.max_line = 4096;
    std::vector<BulkItem> items;
    std::string fatal;
    DecodeEsBulk(in, o, &items, &fatal);
  }
  {
    LokiOptions o;
    o.now_ns = now;
    LokiResult r;
    DecodeLokiJson(in, o, &r);
    LokiResult p;
    DecodeLokiProto(in, o, &p);
    std::vector<std::pair<std::string, std::string>> labels;
    ParseLabelSet(in, &labels);
  }
  {
    OtlpOptions o;
    o.now_ns = now;
    o.max_line = 4096;
    OtlpResult pb, js;
    DecodeOtlpLogs(in, false, o, &pb);
    DecodeOtlpLogs(in, true, o, &js);
  }
  {
    HecOptions o;
    o.now_ns = now;
    HecResult r;
    DecodeHecEvents(in, o, &r);
    HecResult raw;
    DecodeHecRaw(in, o, &raw);
  }
  {
    RawRecord rec;
    std::string err;
    DecodeGelf(in, now, "fuzz", &rec, &err);
    GelfReassembler re;
    std::string out;
    const char* reason = nullptr;
    re.Add(in, "fuzz", now, &out, &reason);
    re.Expire(now + 60'000'000'000);
  }
  {
    std::string out;
    Decompress(in, SniffCompression(in), 1 << 20, &out);
    Decompress(in, Compression::kSnappy, 1 << 20, &out);
    Decompress(in, Compression::kDeflate, 1 << 20, &out);
  }
  return 0;
}
