// ingest/dialects.cc
#include "ingest/dialects.h"
#include "ingest/dialect_records.h"

#include <simdjson.h>

#include <algorithm>

#include "core/json.h"
#include "parsers/json_event.h"
#include "parsers/registry.h"

namespace kamatama::ingest {

namespace {

// Same depth limit as ParseJsonEvent, so a document accepted here is accepted by the parser.
simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    if (p.allocate(64 * 1024, kMaxJsonDepth + 1) != simdjson::SUCCESS) return simdjson::dom::parser();
    return p;
  }();
  return parser;
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return r;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

//! A string member (nested path or dotted key), or "".
std::string_view GetString(simdjson::dom::element obj, std::initializer_list<std::string_view> path, std::string_view dotted) {
  std::string_view s;
  if (!dotted.empty() && !obj[dotted].get(s)) return s;
  simdjson::dom::element cur = obj;
  for (std::string_view k : path) {
    simdjson::dom::object o;
    if (cur.get(o) || o[k].get(cur)) return {};
  }
  if (cur.get(s)) return {};
  return s;
}

bool HasMember(simdjson::dom::element obj, std::string_view dotted, std::initializer_list<std::string_view> path) {
  simdjson::dom::element e;
  if (!obj[dotted].get(e)) return true;
  simdjson::dom::element cur = obj;
  for (std::string_view k : path) {
    simdjson::dom::object o;
    if (cur.get(o) || o[k].get(cur)) return false;
  }
  return true;
}

//! "{" + members + "," + the object's own members: the prefix first, so the document's own
//! values win (ParseJsonEvent keeps the last value of a repeated name). `object` must be a
//! valid JSON object text.
std::string MergeInFront(std::string_view members, std::string_view object) {
  object = Trim(object);
  std::string out;
  out.reserve(members.size() + object.size() + 2);
  out.push_back('{');
  out.append(members);
  std::string_view rest = Trim(object.substr(1));  // after '{'
  if (!rest.empty() && rest.front() != '}' && !members.empty()) out.push_back(',');
  out.append(rest);
  return out;
}

//! Whether `line` is a JSON object (parsed with the thread's parser; invalidates its results).
bool IsJsonObject(std::string_view line) {
  std::string_view t = Trim(line);
  if (t.empty() || t.front() != '{') return false;
  simdjson::dom::element root;
  if (Parser().parse(t.data(), t.size(), true).get(root)) return false;
  return root.type() == simdjson::dom::element_type::OBJECT;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void AppendMember(std::string* out, std::string_view name, std::string_view value) {
  if (!out->empty()) out->push_back(',');
  AppendJsonString(out, name);
  out->push_back(':');
  AppendJsonString(out, value);
}

//! `"labels":{...}` (+ `"host":{"name":..}` from a host/hostname label).
void AppendLabels(std::string* out, const Pairs& labels) {
  if (labels.empty()) return;
  if (!out->empty()) out->push_back(',');
  out->append("\"labels\":{");
  bool first = true;
  std::string_view host;
  for (const auto& [k, v] : labels) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, k);
    out->push_back(':');
    AppendJsonString(out, v);
    if ((k == "host" || k == "hostname") && host.empty()) host = v;
  }
  out->push_back('}');
  if (!host.empty()) {
    out->append(",\"host\":{\"name\":");
    AppendJsonString(out, host);
    out->push_back('}');
  }
}

//! The record for a line plus prefix members: merged if the line is a JSON object, else wrapped.
RawRecord MakeRecord(std::string_view members, std::string_view line, int64_t now, const std::string& observer,
                     std::string source) {
  RawRecord r;
  r.received_ns = now;
  r.observer = observer;
  r.source = std::move(source);
  r.flags = kRawJson;
  if (IsJsonObject(line)) {
    r.data = MergeInFront(members, line);
  } else {
    std::string m(members);
    if (!m.empty()) m.push_back(',');
    m.append("\"message\":");
    AppendJsonString(&m, line);
    r.data = "{" + m + "}";
  }
  return r;
}

std::string DatasetForHint(std::string_view hint) {
  std::string h = Lower(Trim(hint));
  if (h.empty()) return {};
  for (std::string_view p : {"xmlwineventlog:", "wineventlog:"}) {
    if (StartsWith(h, p)) h = h.substr(p.size());
  }
  // Elastic data streams: logs-<dataset>-<namespace>.
  if (StartsWith(h, "logs-")) {
    h = h.substr(5);
    size_t dash = h.rfind('-');
    if (dash != std::string::npos && dash > 0) h = h.substr(0, dash);
  }
  static const std::pair<std::string_view, std::string_view> kAliases[] = {
      {"microsoft-windows-sysmon/operational", "sysmon"},
      {"windows.sysmon_operational", "sysmon"},
      {"windows.sysmon", "sysmon"},
      {"security", "auth.windows_security"},
      {"system.security", "auth.windows_security"},
      {"windows.security", "auth.windows_security"},
      {"microsoft-windows-powershell/operational", "powershell"},
      {"windows powershell", "powershell"},
      {"windows.powershell", "powershell"},
      {"windows.powershell_operational", "powershell"},
      {"microsoft-windows-windows defender/operational", "antivirus.windows_defender"},
  };
  for (const auto& [alias, ds] : kAliases) {
    if (h == alias) return std::string(ds);
  }
  if (ParserRegistry::Global().ByDataset(h)) return h;
  return {};
}

// ---------------------------------------------------------------- Elasticsearch _bulk

bool DecodeEsBulk(std::string_view body, const BulkOptions& opt, std::vector<BulkItem>* items, std::string* fatal) {
  size_t line_no = 0;
  auto next_line = [&](std::string_view* line) {
    while (!body.empty()) {
      size_t nl = body.find('\n');
      std::string_view l = body.substr(0, nl);
      body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
      ++line_no;
      if (!Trim(l).empty()) {
        *line = l;
        return true;
      }
    }
    return false;
  };
  std::string_view action;
  while (next_line(&action)) {
    if (action.size() > opt.max_line) {
      *fatal = "action/metadata line [" + std::to_string(line_no) + "] is longer than ingest.max_line";
      return false;
    }
    simdjson::dom::element root;
    simdjson::dom::object obj;
    std::string_view t = Trim(action);
    if (Parser().parse(t.data(), t.size(), true).get(root) || root.get(obj) || obj.size() != 1) {
      *fatal = "Malformed action/metadata line [" + std::to_string(line_no) + "], expected a JSON object with one action";
      return false;
    }
    BulkItem item;
    auto [op, meta] = *obj.begin();
    item.op = std::string(op);
    if (item.op != "create" && item.op != "index" && item.op != "update" && item.op != "delete") {
      *fatal = "Malformed action/metadata line [" + std::to_string(line_no) + "], unknown action [" + item.op + "]";
      return false;
    }
    simdjson::dom::object m;
    if (!meta.get(m)) {
      std::string_view s;
      if (!m["_index"].get(s)) item.index = std::string(s);
      simdjson::dom::element id;
      if (!m["_id"].get(id)) item.id = id.is_string() ? std::string(std::string_view(id)) : simdjson::minify(id);
    }
    if (item.index.empty()) item.index = opt.default_index;
    if (item.op == "delete") {
      item.status = 400;
      item.error_type = "illegal_argument_exception";
      item.error_reason = "kamatama does not delete stored events";
      items->push_back(std::move(item));
      continue;
    }
    std::string_view doc;
    if (!next_line(&doc)) {
      item.status = 400;
      item.error_type = "action_request_validation_exception";
      item.error_reason = "the action has no document line";
      items->push_back(std::move(item));
      break;
    }
    if (item.op == "update") {
      item.status = 400;
      item.error_type = "illegal_argument_exception";
      item.error_reason = "kamatama does not update stored events";
      items->push_back(std::move(item));
      continue;
    }
    doc = Trim(doc);
    if (doc.size() > opt.max_line) {
      item.status = 400;
      item.error_type = "illegal_argument_exception";
      item.error_reason = "document of " + std::to_string(doc.size()) + " bytes is longer than ingest.max_line";
      items->push_back(std::move(item));
      continue;
    }
    simdjson::dom::element droot;
    auto err = Parser().parse(doc.data(), doc.size(), true).get(droot);
    simdjson::dom::object dobj;
    if (err || droot.get(dobj)) {
      item.status = 400;
      item.error_type = "mapper_parsing_exception";
      item.error_reason = err == simdjson::DEPTH_ERROR ? "failed to parse: JSON nested deeper than 64 levels"
                          : err ? std::string("failed to parse: ") + simdjson::error_message(err)
                                : "failed to parse: the document is not a JSON object";
      items->push_back(std::move(item));
      continue;
    }
    // Parser choice: Winlogbeat/Elastic Agent Windows events are claimed by the Windows parsers
    // from winlog.channel; otherwise the data stream, event.dataset or index name may name one.
    std::string source;
    if (!HasMember(droot, "winlog.channel", {"winlog", "channel"}) &&
        !HasMember(droot, "winlog.provider_name", {"winlog", "provider_name"})) {
      source = DatasetForHint(GetString(droot, {"data_stream", "dataset"}, "data_stream.dataset"));
      if (source.empty()) source = DatasetForHint(GetString(droot, {"event", "dataset"}, "event.dataset"));
      if (source.empty()) source = DatasetForHint(item.index);
    }
    item.raw.received_ns = opt.now_ns;
    item.raw.observer = opt.observer;
    item.raw.source = std::move(source);
    item.raw.flags = kRawJson;
    item.raw.data.assign(doc);
    items->push_back(std::move(item));
  }
  return true;
}

// ---------------------------------------------------------------- Loki

bool ParseLabelSet(std::string_view t, std::vector<std::pair<std::string, std::string>>* out) {
  t = Trim(t);
  if (t.size() < 2 || t.front() != '{' || t.back() != '}') return false;
  t = t.substr(1, t.size() - 2);
  size_t i = 0;
  auto ws = [&] {
    while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) ++i;
  };
  for (;;) {
    ws();
    if (i >= t.size()) return true;
    size_t start = i;
    while (i < t.size() && (isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_' || t[i] == '.' || t[i] == ':')) ++i;
    if (i == start) return false;
    std::string name(t.substr(start, i - start));
    ws();
    if (i >= t.size() || t[i] != '=') return false;
    ++i;
    ws();
    if (i >= t.size() || t[i] != '"') return false;
    ++i;
    std::string value;
    for (;;) {
      if (i >= t.size()) return false;
      char c = t[i++];
      if (c == '"') break;
      if (c == '\\') {
        if (i >= t.size()) return false;
        char e = t[i++];
        value.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      } else {
        value.push_back(c);
      }
    }
    out->emplace_back(std::move(name), std::move(value));
    ws();
    if (i < t.size()) {
      if (t[i] != ',') return false;
      ++i;
    }
  }
}

std::string HintFromLabels(const Pairs& labels) {
  for (std::string_view key : {"dataset", "event_dataset"}) {
    for (const auto& [k, v] : labels) {
      if (k == key) return DatasetForHint(v);
    }
  }
  return {};
}

void AddLokiEntry(const Pairs& labels, const std::string& hint, std::string_view ts_ns, std::string_view line,
                  const Pairs& metadata, const LokiOptions& opt, LokiResult* out) {
  auto reject = [&](std::string why) {
    if (out->first_error.empty()) out->first_error = std::move(why);
    ++out->rejected;
  };
  if (line.size() > opt.max_line) return reject("entry longer than ingest.max_line");
  std::string members;
  if (!ts_ns.empty()) AppendMember(&members, "@timestamp", ts_ns);
  if (metadata.empty()) {
    AppendLabels(&members, labels);
  } else {
    auto all = labels;
    all.insert(all.end(), metadata.begin(), metadata.end());
    AppendLabels(&members, all);
  }
  out->records.push_back(MakeRecord(members, line, opt.now_ns, opt.observer, hint));
}

namespace {

//! Loki timestamps: nanoseconds as a digit string (or number), legacy RFC 3339.
bool LokiTimestamp(simdjson::dom::element e, std::string* ns) {
  std::string_view s;
  if (!e.get(s)) {
    if (AllDigits(s) && s.size() <= 19) {
      *ns = std::string(s);
      return true;
    }
    int64_t v;
    if (ParseJsonTime(s, &v)) {
      *ns = std::to_string(v);
      return true;
    }
    return false;
  }
  uint64_t u;
  if (!e.get(u)) {
    *ns = std::to_string(u);
    return true;
  }
  return false;
}

}  // namespace

bool DecodeLokiJson(std::string_view body, const LokiOptions& opt, LokiResult* out) {
  // A private parser: the entries are re-parsed (IsJsonObject) with the thread's parser.
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto err = parser.allocate(body.size(), kMaxJsonDepth + 1);
  if (!err) err = parser.parse(body.data(), body.size(), true).get(root);
  simdjson::dom::array streams;
  if (err || root["streams"].get(streams)) {
    out->first_error = err ? std::string("invalid JSON: ") + simdjson::error_message(err) : "no \"streams\" array";
    return false;
  }
  for (simdjson::dom::element st : streams) {
    std::vector<std::pair<std::string, std::string>> labels;
    simdjson::dom::object lobj;
    std::string_view ltext;
    if (!st["stream"].get(lobj)) {
      for (auto [k, v] : lobj) {
        std::string_view s;
        labels.emplace_back(std::string(k), v.get(s) ? simdjson::minify(v) : std::string(s));
      }
    } else if (!st["labels"].get(ltext)) {
      if (!ParseLabelSet(ltext, &labels)) {
        out->first_error = "bad label set: " + std::string(ltext);
        return false;
      }
    }
    std::string hint = HintFromLabels(labels);
    simdjson::dom::array values, entries;
    if (!st["values"].get(values)) {
      for (simdjson::dom::element v : values) {
        simdjson::dom::array a;
        std::string ns;
        std::string_view line;
        if (v.get(a) || a.size() < 2 || !LokiTimestamp(a.at(0).value(), &ns) || a.at(1).get(line)) {
          ++out->rejected;
          if (out->first_error.empty()) out->first_error = "bad entry: [\"<unix epoch in ns>\", \"<line>\"] expected";
          continue;
        }
        std::vector<std::pair<std::string, std::string>> md;
        simdjson::dom::object mo;
        if (a.size() >= 3 && !a.at(2).get(mo)) {
          for (auto [k, mv] : mo) {
            std::string_view s;
            md.emplace_back(std::string(k), mv.get(s) ? simdjson::minify(mv) : std::string(s));
          }
        }
        AddLokiEntry(labels, hint, ns, line, md, opt, out);
      }
    } else if (!st["entries"].get(entries)) {
      for (simdjson::dom::element e : entries) {
        std::string ns;
        std::string_view line;
        simdjson::dom::element ts;
        if (e["ts"].get(ts) || !LokiTimestamp(ts, &ns) || e["line"].get(line)) {
          ++out->rejected;
          if (out->first_error.empty()) out->first_error = "bad entry: {\"ts\":..., \"line\":...} expected";
          continue;
        }
        AddLokiEntry(labels, hint, ns, line, {}, opt, out);
      }
    }
  }
  return true;
}

// ---------------------------------------------------------------- Splunk HEC

namespace {
std::string HecHint(std::string_view sourcetype, std::string_view source) {
  std::string h = DatasetForHint(sourcetype);
  return h.empty() ? DatasetForHint(source) : h;
}
}  // namespace

void DecodeHecEvents(std::string_view body, const HecOptions& opt, HecResult* out) {
  if (Trim(body).empty()) {
    out->error_code = 5;
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::document_stream stream;
  size_t batch = std::max<size_t>(body.size() + 64, simdjson::dom::MINIMAL_BATCH_SIZE);
  // parse_many reads SIMDJSON_PADDING bytes past the end and, unlike parse, does not copy a
  // buffer that lacks them: without padding, bytes after the body could change its structure
  // and stage 2 walked off the heap (found by shipper_fuzz on `      "queue": 49,`).
  const simdjson::padded_string padded(body);
  if (parser.parse_many(padded.data(), padded.size(), batch).get(stream)) {
    out->error_code = 6;
    out->invalid_event = 0;
    return;
  }
  long n = 0;
  for (auto doc : stream) {
    simdjson::dom::object obj;
    if (doc.error() || doc.get(obj)) {
      out->error_code = 6;
      out->invalid_event = n;
      return;
    }
    simdjson::dom::element ev;
    if (obj["event"].get(ev) || ev.is_null()) {
      out->error_code = 12;
      out->invalid_event = n;
      return;
    }
    std::string_view evs;
    bool is_string = !ev.get(evs);
    if (is_string && Trim(evs).empty()) {
      out->error_code = 13;
      out->invalid_event = n;
      return;
    }
    std::string members;
    simdjson::dom::element time;
    if (!obj["time"].get(time)) {
      std::string_view ts;
      std::string text = time.get(ts) ? simdjson::minify(time) : std::string(ts);
      if (!text.empty()) AppendMember(&members, "@timestamp", text);
    }
    auto str = [&](std::string_view key, const std::string& fallback) {
      std::string_view s;
      return obj[key].get(s) ? fallback : std::string(s);
    };
    std::string host = str("host", opt.host), source = str("source", opt.source),
                sourcetype = str("sourcetype", opt.sourcetype), index = str("index", opt.index);
    if (!host.empty()) {
      if (!members.empty()) members.push_back(',');
      members.append("\"host\":{\"name\":");
      AppendJsonString(&members, host);
      members.push_back('}');
    }
    std::string splunk;
    if (!source.empty()) AppendMember(&splunk, "source", source);
    if (!sourcetype.empty()) AppendMember(&splunk, "sourcetype", sourcetype);
    if (!index.empty()) AppendMember(&splunk, "index", index);
    if (!splunk.empty()) {
      if (!members.empty()) members.push_back(',');
      members += "\"splunk\":{" + splunk + "}";
    }
    simdjson::dom::object fields;
    if (!obj["fields"].get(fields)) {
      std::vector<std::pair<std::string, std::string>> labels;
      for (auto [k, v] : fields) {
        std::string_view s;
        labels.emplace_back(std::string(k), v.get(s) ? simdjson::minify(v) : std::string(s));
      }
      // AppendLabels would turn a "host" field into host.name: fine for HEC too.
      AppendLabels(&members, labels);
    }
    std::string text = is_string ? std::string(evs) : simdjson::minify(ev);
    if (text.size() > opt.max_line) {
      out->error_code = 6;
      out->invalid_event = n;
      return;
    }
    out->records.push_back(MakeRecord(members, text, opt.now_ns, opt.observer, HecHint(sourcetype, source)));
    ++n;
  }
  if (stream.truncated_bytes() > 0) {
    out->error_code = 6;
    out->invalid_event = n;
  }
}

void DecodeHecRaw(std::string_view body, const HecOptions& opt, HecResult* out) {
  std::string hint = HecHint(opt.sourcetype, opt.source);
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    RawRecord r;
    r.received_ns = opt.now_ns;
    r.observer = opt.observer;
    r.source = hint;
    if (line.size() > opt.max_line) {
      line = line.substr(0, opt.max_line);
      r.flags |= kRawTruncated;
    }
    r.data.assign(line);
    out->records.push_back(std::move(r));
  }
  if (out->records.empty()) out->error_code = 5;
}

}  // namespace kamatama::ingest
