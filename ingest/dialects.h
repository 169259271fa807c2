// ingest/dialects.h
//! Decoders for the HTTP dialects of log shippers: the Elasticsearch `_bulk` API (Beats,
//! Winlogbeat, Vector, Fluent Bit, NXLog om_elasticsearch), the Loki push API (Promtail, Alloy,
//! Fluent Bit, Vector; JSON and snappy-compressed protobuf), OTLP/HTTP logs (the OpenTelemetry
//! Collector, SDK exporters; protobuf and JSON) and the Splunk HTTP Event Collector
//! (`/services/collector/event` and `/raw`). Pure functions over an already decompressed body:
//! no I/O, no clock, thread-safe. JSON is read with simdjson.
//!
//! Every decoder turns the body into RawRecords for ParseRecord. Documents that are JSON objects
//! are stored verbatim (ES bulk) or with the dialect's metadata merged in front of their own
//! members (Loki labels, HEC host/source/sourcetype/fields), so a document's own values win on a
//! name clash. Plain-text lines are wrapped as {"message": line, ...metadata}. The record's
//! `source` (parser override) is set from a dataset hint (ES index or data stream, event.dataset,
//! Loki `dataset` label, HEC sourcetype) when the hint names a parser; Windows events carrying
//! winlog.channel are left to the parsers' own JSON claims (Sysmon, Security, PowerShell).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/raw_record.h"

namespace kamatama::ingest {

//! The parser dataset a shipper's hint selects ("" = choose automatically). Accepts registered
//! dataset names ("sysmon", "auth.sshd", ...) and common shipper spellings:
//! "windows.sysmon_operational", "system.security", "XmlWinEventLog:Security",
//! "WinEventLog:Microsoft-Windows-Sysmon/Operational", "logs-windows.sysmon_operational-default"...
//! ASCII case-insensitive.
std::string DatasetForHint(std::string_view hint);

// ---------------------------------------------------------------- Elasticsearch _bulk

struct BulkItem {
  std::string op;     //!< "create", "index", "update", "delete" (as sent)
  std::string index;  //!< _index of the action, else the URL's index
  std::string id;     //!< _id, may be empty
  int status = 0;     //!< 0: to be stored (raw is set); else the item's final HTTP status
  std::string error_type, error_reason;  //!< when status != 0
  RawRecord raw;
};

struct BulkOptions {
  std::string default_index;   //!< from POST /{index}/_bulk
  size_t max_line = 1u << 20;  //!< a longer action or document line is refused (per item)
  int64_t now_ns = 0;
  std::string observer;
};

//! Decodes an NDJSON _bulk body. Returns false (whole request refused, *fatal says why) when an
//! action line is not a JSON object with exactly one known action: the pairing of the following
//! lines cannot be trusted then. A bad document only fails its own item (status 400).
//! `update` and `delete` items are answered 400 (kamatama stores, never changes, events).
bool DecodeEsBulk(std::string_view body, const BulkOptions& opt, std::vector<BulkItem>* items, std::string* fatal);

// ---------------------------------------------------------------- Loki push

struct LokiOptions {
  size_t max_line = 1u << 20;
  int64_t now_ns = 0;
  std::string observer;
};

struct LokiResult {
  std::vector<RawRecord> records;
  size_t rejected = 0;      //!< entries refused (bad timestamp, too long, ...)
  std::string first_error;  //!< the first refusal or the whole-body error
};

//! JSON push body: {"streams":[{"stream":{labels},"values":[["<ns>","line"(,{metadata})]...]}]}
//! (also the legacy {"streams":[{"labels":"{a=\"b\"}","entries":[{"ts":"RFC3339","line":".."}]}]}).
//! False when the body is not such a document.
bool DecodeLokiJson(std::string_view body, const LokiOptions& opt, LokiResult* out);
//! Protobuf PushRequest (already snappy-decompressed), decoded with libprotobuf from
//! ingest/proto/loki_push.proto (proto_dialects.cc).
bool DecodeLokiProto(std::string_view body, const LokiOptions& opt, LokiResult* out);
//! Prometheus label set text `{a="b", c="d\"e"}` → pairs; false if malformed.
bool ParseLabelSet(std::string_view text, std::vector<std::pair<std::string, std::string>>* out);

// ---------------------------------------------------------------- OpenTelemetry (OTLP/HTTP)

struct OtlpOptions {
  size_t max_line = 1u << 20;  //!< a longer body, or a record whose fields exceed 4x this, is refused
  int64_t now_ns = 0;
  std::string observer;
};

struct OtlpResult {
  std::vector<RawRecord> records;
  size_t rejected = 0;      //!< log records refused (reported as partial success)
  std::string first_error;  //!< the first refusal or the whole-body error
};

//! An ExportLogsServiceRequest as OTLP/HTTP sends it to /v1/logs: binary protobuf, or the OTLP
//! JSON encoding (lowerCamelCase keys, hex trace and span ids, 64-bit integers as strings),
//! decoded with libprotobuf from ingest/proto/otlp_logs.proto. Each log record becomes one JSON
//! record: resource and scope attributes, then the record's attributes (later ones win on a name
//! clash), under their OpenTelemetry names, which for host.*, service.*, process.*, user.* ...
//! are ECS names too; severity text → log.level, severity number → event.severity,
//! trace/span ids → trace.id / span.id, event name → event.action, the time (or the observed
//! time) → @timestamp. A string body is the message (a JSON object body is merged like a shipped
//! JSON document); a key/value body becomes the document. False when the body cannot be decoded.
bool DecodeOtlpLogs(std::string_view body, bool json, const OtlpOptions& opt, OtlpResult* out);
//! The ExportLogsServiceResponse for an accepted request, in the request's encoding: empty when
//! nothing was refused, else a partial success with the count and the first error.
std::string OtlpResponse(bool json, size_t rejected, std::string_view error);
//! The body of a refused OTLP request (google.rpc.Status: a gRPC code and a message), in the
//! request's encoding.
std::string OtlpStatus(bool json, int grpc_code, std::string_view message);

// ---------------------------------------------------------------- Splunk HEC

struct HecOptions {
  size_t max_line = 1u << 20;
  int64_t now_ns = 0;
  std::string observer;
  //! Query parameters of /raw (and defaults for /event): host, source, sourcetype, index.
  std::string host, source, sourcetype, index;
};

struct HecResult {
  std::vector<RawRecord> records;
  int error_code = 0;          //!< Splunk's code: 0 ok, 5 no data, 6 invalid format, 12 event required, 13 blank
  long invalid_event = -1;     //!< 0-based number of the first invalid event (codes 6, 12, 13)
};

//! Concatenated JSON event objects (whitespace between them optional). Like Splunk, decoding
//! stops at the first invalid event: the events before it are returned and stored.
void DecodeHecEvents(std::string_view body, const HecOptions& opt, HecResult* out);
//! /raw: one event per line.
void DecodeHecRaw(std::string_view body, const HecOptions& opt, HecResult* out);

}  // namespace kamatama::ingest
