// ingest/proto_dialects.cc: the shipper dialects that arrive as Protocol Buffers (Loki's push
// request, OTLP logs), decoded with libprotobuf from the messages in ingest/proto/. The protobuf
// headers stay in this file.
#include <google/protobuf/util/json_util.h>

#include <fmt/format.h>

#include "core/base64.h"
#include "core/json.h"
#include "ingest/dialect_records.h"
#include "ingest/dialects.h"
#include "loki_push.pb.h"
#include "otlp_logs.pb.h"

namespace kamatama::ingest {

// ---------------------------------------------------------------- Loki push

bool DecodeLokiProto(std::string_view body, const LokiOptions& opt, LokiResult* out) {
  loki::PushRequest req;
  if (!req.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    out->first_error = "malformed protobuf PushRequest";
    return false;
  }
  for (const loki::Stream& stream : req.streams()) {
    Pairs labels;
    if (!ParseLabelSet(stream.labels(), &labels)) {
      out->first_error = "bad label set: " + stream.labels();
      return false;
    }
    const std::string hint = HintFromLabels(labels);
    for (const loki::Entry& e : stream.entries()) {
      const int64_t secs = e.timestamp().seconds(), nanos = e.timestamp().nanos();
      if (secs <= 0 || secs > 9'200'000'000LL) {
        ++out->rejected;
        if (out->first_error.empty()) out->first_error = "malformed entry";
        continue;
      }
      Pairs md;
      for (const loki::LabelPair& p : e.structured_metadata()) md.emplace_back(p.name(), p.value());
      AddLokiEntry(labels, hint, std::to_string(secs * 1'000'000'000LL + nanos), e.line(), md, opt, out);
    }
  }
  return true;
}

// ---------------------------------------------------------------- OTLP logs

namespace {

constexpr int kMaxNesting = 8;  // key/value lists inside attributes, flattened to dotted names

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string h;
  h.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    h.push_back(kDigits[c >> 4]);
    h.push_back(kDigits[c & 15]);
  }
  return h;
}

// A trace or span id as the hex text OTLP shows it. In OTLP/JSON the ids are hex text, which the
// protobuf JSON mapping (bytes as base64) decoded as base64: encoding it again gives the text back.
std::string IdText(const std::string& bytes, bool json) { return json ? Base64Encode(bytes) : Hex(bytes); }

void AppendValueJson(std::string* out, const otlp::AnyValue& v, int depth);

void AppendKvListJson(std::string* out, const otlp::KeyValueList& kv, int depth) {
  out->push_back('{');
  bool first = true;
  for (const otlp::KeyValue& e : kv.values()) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, e.key());
    out->push_back(':');
    AppendValueJson(out, e.value(), depth + 1);
  }
  out->push_back('}');
}

// A value as JSON (for arrays and key/value bodies); deeper than kMaxNesting becomes null.
void AppendValueJson(std::string* out, const otlp::AnyValue& v, int depth) {
  if (depth > kMaxNesting) {
    out->append("null");
    return;
  }
  switch (v.value_case()) {
    case otlp::AnyValue::kStringValue: AppendJsonString(out, v.string_value()); break;
    case otlp::AnyValue::kBoolValue: out->append(v.bool_value() ? "true" : "false"); break;
    case otlp::AnyValue::kIntValue: out->append(std::to_string(v.int_value())); break;
    case otlp::AnyValue::kDoubleValue: AppendJsonString(out, fmt::format("{}", v.double_value())); break;
    case otlp::AnyValue::kBytesValue: AppendJsonString(out, Base64Encode(v.bytes_value())); break;
    case otlp::AnyValue::kArrayValue: {
      out->push_back('[');
      bool first = true;
      for (const otlp::AnyValue& e : v.array_value().values()) {
        if (!first) out->push_back(',');
        first = false;
        AppendValueJson(out, e, depth + 1);
      }
      out->push_back(']');
      break;
    }
    case otlp::AnyValue::kKvlistValue: AppendKvListJson(out, v.kvlist_value(), depth); break;
    default: out->append("null");
  }
}

// A scalar as text; an array as its JSON text.
std::string ValueText(const otlp::AnyValue& v) {
  switch (v.value_case()) {
    case otlp::AnyValue::kStringValue: return v.string_value();
    case otlp::AnyValue::kBoolValue: return v.bool_value() ? "true" : "false";
    case otlp::AnyValue::kIntValue: return std::to_string(v.int_value());
    case otlp::AnyValue::kDoubleValue: return fmt::format("{}", v.double_value());
    case otlp::AnyValue::kBytesValue: return Base64Encode(v.bytes_value());
    case otlp::AnyValue::kArrayValue: {
      std::string j;
      AppendValueJson(&j, v, 1);
      return j;
    }
    default: return {};
  }
}

// Attributes as "name":"value" members; a key/value list value becomes dotted names below it.
void AppendAttributes(std::string* members, std::string_view prefix,
                      const google::protobuf::RepeatedPtrField<otlp::KeyValue>& attrs, int depth) {
  for (const otlp::KeyValue& kv : attrs) {
    if (kv.key().empty()) continue;
    const std::string name = prefix.empty() ? kv.key() : fmt::format("{}.{}", prefix, kv.key());
    if (kv.value().value_case() == otlp::AnyValue::kKvlistValue && depth < kMaxNesting) {
      AppendAttributes(members, name, kv.value().kvlist_value().values(), depth + 1);
    } else if (kv.value().value_case() != otlp::AnyValue::VALUE_NOT_SET) {
      AppendMember(members, name, ValueText(kv.value()));
    }
  }
}

// The parser a `event.dataset` (or `dataset`) attribute names, the record's before the resource's.
std::string OtlpHint(const google::protobuf::RepeatedPtrField<otlp::KeyValue>& record,
                     const google::protobuf::RepeatedPtrField<otlp::KeyValue>& resource) {
  for (const auto* attrs : {&record, &resource}) {
    for (const otlp::KeyValue& kv : *attrs) {
      if ((kv.key() == "event.dataset" || kv.key() == "dataset") &&
          kv.value().value_case() == otlp::AnyValue::kStringValue)
        return DatasetForHint(kv.value().string_value());
    }
  }
  return {};
}

void AddRecord(const std::string& context, const otlp::LogRecord& rec, const std::string& hint, bool json,
               const OtlpOptions& opt, OtlpResult* out) {
  auto reject = [&](std::string why) {
    if (out->first_error.empty()) out->first_error = std::move(why);
    ++out->rejected;
  };
  std::string members = context;
  AppendAttributes(&members, "", rec.attributes(), 0);
  if (!rec.severity_text().empty()) AppendMember(&members, "log.level", rec.severity_text());
  if (rec.severity_number() != 0) AppendMember(&members, "event.severity", std::to_string(rec.severity_number()));
  if (!rec.trace_id().empty()) AppendMember(&members, "trace.id", IdText(rec.trace_id(), json));
  if (!rec.span_id().empty()) AppendMember(&members, "span.id", IdText(rec.span_id(), json));
  if (!rec.event_name().empty()) AppendMember(&members, "event.action", rec.event_name());
  const uint64_t ts = rec.time_unix_nano() ? rec.time_unix_nano() : rec.observed_time_unix_nano();
  if (ts > 9'200'000'000'000'000'000ULL) return reject("time_unix_nano is beyond the year 2261");
  if (ts) AppendMember(&members, "@timestamp", std::to_string(ts));
  std::string line;
  if (rec.body().value_case() == otlp::AnyValue::kKvlistValue) {
    AppendKvListJson(&line, rec.body().kvlist_value(), 1);
  } else {
    line = ValueText(rec.body());
  }
  if (line.size() > opt.max_line) return reject("log record body longer than ingest.max_line");
  if (members.size() > 4 * opt.max_line) return reject("log record attributes longer than 4 x ingest.max_line");
  out->records.push_back(MakeRecord(members, line, opt.now_ns, opt.observer, hint));
}

}  // namespace

bool DecodeOtlpLogs(std::string_view body, bool json, const OtlpOptions& opt, OtlpResult* out) {
  otlp::ExportLogsServiceRequest req;
  if (json) {
    google::protobuf::util::JsonParseOptions jo;
    jo.ignore_unknown_fields = true;  // newer OTLP fields than this schema knows
    auto st = google::protobuf::util::JsonStringToMessage(google::protobuf::StringPiece(body.data(), body.size()),
                                                          &req, jo);
    if (!st.ok()) {
      out->first_error = "not an OTLP/JSON ExportLogsServiceRequest: " + std::string(st.message());
      return false;
    }
  } else if (!req.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    out->first_error = "not a protobuf ExportLogsServiceRequest";
    return false;
  }
  for (const otlp::ResourceLogs& rl : req.resource_logs()) {
    std::string resource;
    AppendAttributes(&resource, "", rl.resource().attributes(), 0);
    for (const otlp::ScopeLogs& sl : rl.scope_logs()) {
      std::string context = resource;
      if (!sl.scope().name().empty()) AppendMember(&context, "otel.scope.name", sl.scope().name());
      if (!sl.scope().version().empty()) AppendMember(&context, "otel.scope.version", sl.scope().version());
      AppendAttributes(&context, "otel.scope.attributes", sl.scope().attributes(), 1);
      for (const otlp::LogRecord& rec : sl.log_records())
        AddRecord(context, rec, OtlpHint(rec.attributes(), rl.resource().attributes()), json, opt, out);
    }
  }
  return true;
}

std::string OtlpResponse(bool json, size_t rejected, std::string_view error) {
  otlp::ExportLogsServiceResponse res;
  if (rejected > 0) {
    res.mutable_partial_success()->set_rejected_log_records(static_cast<int64_t>(rejected));
    res.mutable_partial_success()->set_error_message(std::string(error));
  }
  if (!json) return res.SerializeAsString();
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(res, &out);
  return out;
}

std::string OtlpStatus(bool json, int grpc_code, std::string_view message) {
  otlp::Status st;
  st.set_code(grpc_code);
  st.set_message(std::string(message));
  if (!json) return st.SerializeAsString();
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(st, &out);
  return out;
}

}  // namespace kamatama::ingest
