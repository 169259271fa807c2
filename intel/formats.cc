// intel/formats.cc
#include "intel/formats.h"

#include <simdjson.h>

#include <unordered_map>

#include <fmt/format.h>

#include "core/time.h"
#include "core/tokenize.h"

namespace kamatama::intel {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

//! Collects entries into the output, enforcing strictness, expiry and the size cap.
class Sink {
 public:
  Sink(const ImportOptions& opt, std::vector<Indicator>* out, ImportReport* report)
      : opt_(opt), out_(out), report_(report) {}

  //! Adds `value` (of `type`, or guessed); `where` names the entry for errors. False: stop.
  bool Add(std::string_view where, std::string_view value, std::string_view type, std::string_view source,
           std::string_view description, int64_t expires_ns) {
    Indicator ind;
    if (Status s = MakeIndicator(value, type, &ind); !s.ok()) return Reject(where, s.message());
    if (ind.type == IndicatorType::kIp && !type.empty()) {
      IndicatorType t;
      if (ParseIndicatorType(type, &t) && t == IndicatorType::kCidr && ind.value.find('/') == std::string::npos)
        ind.type = IndicatorType::kIp;  // a /32 given as a network is an address
    }
    ind.source = std::string(source.empty() ? std::string_view(opt_.default_source) : source);
    ind.description = std::string(description);
    ind.expires_ns = expires_ns;
    if (ind.Expired(opt_.now_ns)) {
      ++report_->expired;
      return true;
    }
    if (out_->size() >= opt_.max_indicators) {
      status_ = Status::ResourceExhausted(fmt::format("the list has more than {} indicators (intel.max_indicators)",
                                                      opt_.max_indicators));
      return false;
    }
    out_->push_back(std::move(ind));
    ++report_->accepted;
    return true;
  }
  bool Reject(std::string_view where, std::string_view why) {
    ++report_->rejected;
    const std::string msg = fmt::format("{}: {}", where, why);
    if (report_->errors.size() < kMaxReportedErrors) report_->errors.push_back(msg);
    if (opt_.lenient) return true;
    status_ = Status::InvalidArgument(msg + (report_->rejected == 1 ? " (nothing was changed; ?lenient=true skips bad entries)" : ""));
    return false;
  }
  void Skip() { ++report_->skipped; }
  //! An expiry as written: RFC 3339, epoch seconds/milliseconds, or a duration from now ("30d").
  bool Expiry(std::string_view where, std::string_view text, int64_t* out) {
    text = Trim(text);
    *out = 0;
    if (text.empty()) return true;
    if (auto d = ParseDuration(text)) {
      if (__builtin_add_overflow(opt_.now_ns, *d, out) || *out > kMaxTimeNs)
        return Reject(where, "bad expiry '" + std::string(text.substr(0, 64)) + "': " + std::string(kTimeRangeText));
      return true;
    }
    if (auto t = ParseApiTime(text, opt_.now_ns)) {
      *out = *t;
      return true;
    }
    return Reject(where, "bad expiry '" + std::string(text.substr(0, 64)) + "' (RFC 3339, epoch seconds or a duration such as 30d)");
  }
  const Status& status() const { return status_; }

 private:
  const ImportOptions& opt_;
  std::vector<Indicator>* out_;
  ImportReport* report_;
  Status status_;
};

// ------------------------------------------------------------------ text and CSV

Status ParseText(std::string_view body, Sink* sink) {
  size_t line_no = 0;
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    std::string_view line = Trim(body.substr(0, nl));
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#' || line.starts_with("//")) continue;
    // "value  comment": the first word is the value, the rest describes it.
    const size_t space = line.find_first_of(" \t");
    std::string_view rest = space == std::string_view::npos ? std::string_view() : Trim(line.substr(space));
    if (!rest.empty() && rest[0] == '#') rest = Trim(rest.substr(1));
    if (!sink->Add(fmt::format("line {}", line_no), line.substr(0, space), {}, {}, rest, 0)) return sink->status();
  }
  return Status::OK();
}

//! The next CSV record (RFC 4180: quoted fields, "" for a quote, newlines inside quotes) from
//! `body` at *pos; false at the end. *lines counts the newlines consumed.
bool NextCsvRecord(std::string_view body, size_t* pos, std::vector<std::string>* fields, size_t* lines) {
  fields->clear();
  if (*pos >= body.size()) return false;
  std::string field;
  bool quoted = false, any = false;
  size_t i = *pos;
  for (; i < body.size(); ++i) {
    const char c = body[i];
    if (quoted) {
      if (c == '"' && i + 1 < body.size() && body[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++*lines;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && Trim(field).empty()) {
      quoted = true;
      field.clear();
      any = true;
    } else if (c == ',') {
      fields->push_back(std::string(Trim(field)));
      field.clear();
    } else if (c == '\n') {
      ++*lines;
      ++i;
      break;
    } else {
      field.push_back(c);
      any = any || (c != '\r' && c != ' ');
    }
  }
  *pos = i;
  fields->push_back(std::string(Trim(field)));
  if (!any && fields->size() == 1 && fields->front().empty()) fields->clear();  // a blank line
  return true;
}

Status ParseCsv(std::string_view body, Sink* sink) {
  size_t pos = 0, lines = 0;
  std::vector<std::string> rec;
  while (NextCsvRecord(body, &pos, &rec, &lines) && rec.empty()) {
  }
  if (rec.empty()) return Status::OK();
  int value = -1, type = -1, source = -1, description = -1, expires = -1;
  for (size_t c = 0; c < rec.size(); ++c) {
    const std::string h = Lower(rec[c]);
    const int col = static_cast<int>(c);
    if (h == "value" || h == "indicator" || h == "ioc" || h == "observable") value = col;
    else if (h == "type" || h == "indicator_type" || h == "ioc_type") type = col;
    else if (h == "source" || h == "provider" || h == "reporter") source = col;
    else if (h == "description" || h == "comment" || h == "name" || h == "threat") description = col;
    else if (h == "expires" || h == "expiry" || h == "valid_until" || h == "expiration") expires = col;
  }
  if (value < 0)
    return Status::InvalidArgument("a CSV list needs a header line naming a 'value' column (and optionally type, "
                                   "source, description, expires); send plain text for one value per line");
  auto col = [&](int c) -> std::string_view {
    if (c < 0 || static_cast<size_t>(c) >= rec.size()) return {};
    return rec[c];  // a view of the record's field (not of a temporary)
  };
  while (true) {
    const size_t line_no = lines + 1;
    if (!NextCsvRecord(body, &pos, &rec, &lines)) break;
    if (rec.empty() || (rec.size() == 1 && rec[0].starts_with("#"))) continue;
    const std::string where = fmt::format("line {}", line_no);
    int64_t exp = 0;
    if (!sink->Expiry(where, col(expires), &exp)) return sink->status();
    if (!sink->Add(where, col(value), col(type), col(source), col(description), exp)) return sink->status();
  }
  return Status::OK();
}

// ------------------------------------------------------------------ STIX 2.1

//! One `object:path = 'value'` of a STIX pattern.
struct Comparison {
  std::string path;
  std::string value;
};

//! Reads a pattern made of [a = 'x' OR b = 'y'] groups joined by OR. False (with *why) for
//! anything else: AND, other operators, qualifiers (WITHIN, REPEATS), unbalanced brackets.
bool ReadPattern(std::string_view p, std::vector<Comparison>* out, std::string* why) {
  size_t i = 0;
  auto ws = [&] {
    while (i < p.size() && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) ++i;
  };
  auto keyword = [&](std::string_view k) {
    ws();
    if (p.substr(i, k.size()) != k) return false;
    i += k.size();
    return true;
  };
  bool expect_group = true;
  while (true) {
    ws();
    if (i == p.size()) break;
    if (!expect_group) {
      if (keyword("OR")) {
        expect_group = true;
        continue;
      }
      *why = "only comparisons joined by OR are supported, not '" + std::string(p.substr(i, 20)) + "'";
      return false;
    }
    if (p[i] != '[') {
      *why = "expected '[' at byte " + std::to_string(i);
      return false;
    }
    ++i;
    while (true) {
      ws();
      const size_t start = i;
      while (i < p.size() && p[i] != ' ' && p[i] != '=' && p[i] != '!' && p[i] != ']') {
        if (p[i] == '\'') {  // a quoted path step: hashes.'SHA-256'
          const size_t close = p.find('\'', i + 1);
          if (close == std::string_view::npos) break;
          i = close;
        }
        ++i;
      }
      Comparison c;
      c.path = std::string(p.substr(start, i - start));
      ws();
      if (i >= p.size() || p[i] != '=' || c.path.empty()) {
        *why = "only '=' comparisons are supported (at byte " + std::to_string(i) + ")";
        return false;
      }
      ++i;
      ws();
      if (i >= p.size() || p[i] != '\'') {
        *why = "expected a quoted value at byte " + std::to_string(i);
        return false;
      }
      for (++i; i < p.size() && p[i] != '\''; ++i) {
        if (p[i] == '\\' && i + 1 < p.size()) ++i;
        c.value.push_back(p[i]);
      }
      if (i >= p.size()) {
        *why = "unterminated string";
        return false;
      }
      ++i;
      out->push_back(std::move(c));
      ws();
      if (i < p.size() && p[i] == ']') {
        ++i;
        break;
      }
      if (!keyword("OR")) {
        *why = "only comparisons joined by OR are supported, not '" + std::string(p.substr(i, 20)) + "'";
        return false;
      }
    }
    expect_group = false;
  }
  if (expect_group) {
    *why = out->empty() ? "empty pattern" : "OR at the end";
    return false;
  }
  return true;
}

//! Our type for a STIX object path, or "" when we do not match it (process:name, ...).
std::string StixPathType(std::string_view path) {
  if (path == "ipv4-addr:value" || path == "ipv6-addr:value") return "ip";
  if (path == "domain-name:value") return "domain";
  if (path == "url:value") return "url";
  if (path == "email-addr:value") return "email";
  if (path.starts_with("file:hashes.")) {
    std::string algo(path.substr(12));
    if (algo.size() > 1 && algo.front() == '\'' && algo.back() == '\'') algo = algo.substr(1, algo.size() - 2);
    IndicatorType t;
    if (ParseIndicatorType(algo, &t) && (t == IndicatorType::kMd5 || t == IndicatorType::kSha1 || t == IndicatorType::kSha256))
      return IndicatorTypeName(t);
  }
  return "";
}

std::string_view Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v)) return {};
  return v;
}

Status ParseStix(std::string_view body, Sink* sink) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc))
    return Status::InvalidArgument(std::string("malformed STIX bundle: not JSON (") + simdjson::error_message(err) + ")");
  simdjson::dom::array objects;
  if (Str(doc, "type") != "bundle" || doc["objects"].get(objects))
    return Status::InvalidArgument("not a STIX 2.1 bundle: expected an object with \"type\": \"bundle\" and an \"objects\" array");
  std::unordered_map<std::string, std::string> identities;  // id -> name (created_by_ref)
  for (simdjson::dom::element o : objects) {
    if (Str(o, "type") == "identity") identities[std::string(Str(o, "id"))] = std::string(Str(o, "name"));
  }
  size_t n = 0;
  for (simdjson::dom::element o : objects) {
    ++n;
    if (Str(o, "type") != "indicator") continue;  // relationships, malware, identities...
    const std::string_view id = Str(o, "id");
    const std::string where = fmt::format("object {} ({})", n, id.empty() ? "no id" : id.substr(0, 80));
    bool revoked = false;
    if (!o["revoked"].get(revoked) && revoked) {
      sink->Skip();
      continue;
    }
    const std::string_view pattern_type = Str(o, "pattern_type");
    if (!pattern_type.empty() && pattern_type != "stix") {
      sink->Skip();
      continue;
    }
    const std::string_view pattern = Str(o, "pattern");
    std::vector<Comparison> cmps;
    std::string why;
    if (pattern.empty()) why = "no pattern";
    if (!why.empty() || !ReadPattern(pattern, &cmps, &why)) {
      if (!sink->Reject(where, "unsupported STIX pattern: " + why)) return sink->status();
      continue;
    }
    int64_t exp = 0;
    if (!sink->Expiry(where, Str(o, "valid_until"), &exp)) return sink->status();
    auto ident = identities.find(std::string(Str(o, "created_by_ref")));
    const std::string source = ident == identities.end() ? "" : ident->second;
    std::string_view description = Str(o, "name");
    if (description.empty()) description = Str(o, "description");
    for (const Comparison& c : cmps) {
      const std::string type = StixPathType(c.path);
      if (type.empty()) {
        sink->Skip();
        continue;
      }
      if (!sink->Add(where, c.value, type, source, description, exp)) return sink->status();
    }
  }
  return Status::OK();
}

// ------------------------------------------------------------------ MISP

bool ToIds(simdjson::dom::element a) {
  bool b = true;
  if (!a["to_ids"].get(b)) return b;
  std::string_view s;
  if (!a["to_ids"].get(s)) return s != "0" && s != "false";
  return true;  // absent: an attribute for detection
}

bool Deleted(simdjson::dom::element a) {
  bool b = false;
  if (!a["deleted"].get(b)) return b;
  std::string_view s;
  return !a["deleted"].get(s) && (s == "1" || s == "true");
}

//! One attribute: "ip-dst", "domain", "md5" ... and the composite "domain|ip", "filename|sha256",
//! "ip-dst|port" (each part of a type we match is an indicator; filename, port are not).
bool AddMispAttribute(simdjson::dom::element a, const std::string& where, std::string_view source,
                      std::string_view info, Sink* sink) {
  if (Deleted(a) || !ToIds(a)) {
    sink->Skip();
    return true;
  }
  std::string_view type = Str(a, "type"), value = Str(a, "value");
  std::string_view comment = Str(a, "comment");
  if (comment.empty()) comment = info;
  bool any = false;
  while (!type.empty()) {
    const size_t tb = type.find('|'), vb = value.find('|');
    IndicatorType t;
    if (ParseIndicatorType(type.substr(0, tb), &t)) {
      any = true;
      if (!sink->Add(where, value.substr(0, vb), IndicatorTypeName(t), source, comment, 0)) return false;
    }
    if (tb == std::string_view::npos) break;
    type = type.substr(tb + 1);
    value = vb == std::string_view::npos ? std::string_view() : value.substr(vb + 1);
  }
  if (!any) sink->Skip();
  return true;
}

bool AddMispAttributes(simdjson::dom::element holder, std::string_view source, std::string_view info,
                       size_t* n, Sink* sink) {
  simdjson::dom::array attrs;
  if (!holder["Attribute"].get(attrs)) {
    for (simdjson::dom::element a : attrs) {
      ++*n;
      if (!AddMispAttribute(a, fmt::format("attribute {}", *n), source, info, sink)) return false;
    }
  }
  simdjson::dom::array objects;
  if (!holder["Object"].get(objects)) {
    for (simdjson::dom::element o : objects) {
      if (!AddMispAttributes(o, source, info, n, sink)) return false;
    }
  }
  return true;
}

bool AddMispEvent(simdjson::dom::element ev, size_t* n, Sink* sink) {
  std::string_view source;
  simdjson::dom::element org;
  if (!ev["Orgc"].get(org) || !ev["Org"].get(org)) source = Str(org, "name");
  return AddMispAttributes(ev, source, Str(ev, "info"), n, sink);
}

Status ParseMisp(std::string_view body, Sink* sink) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc))
    return Status::InvalidArgument(std::string("malformed MISP export: not JSON (") + simdjson::error_message(err) + ")");
  size_t n = 0;
  std::vector<simdjson::dom::element> events, holders;
  auto collect = [&](simdjson::dom::element e) {
    simdjson::dom::element ev;
    if (!e["Event"].get(ev)) events.push_back(ev);
    else if (e["Attribute"].error() == simdjson::SUCCESS) holders.push_back(e);
  };
  simdjson::dom::array arr;
  simdjson::dom::element response;
  if (!doc.get(arr)) {
    for (simdjson::dom::element e : arr) collect(e);
  } else if (!doc["response"].get(response)) {
    if (!response.get(arr)) {
      for (simdjson::dom::element e : arr) collect(e);
    } else {
      collect(response);
    }
  } else {
    collect(doc);
  }
  if (events.empty() && holders.empty())
    return Status::InvalidArgument("not a MISP export: expected {\"Event\": {...}}, a list of events, or a restSearch "
                                   "answer ({\"response\": ...}) with Attribute arrays");
  for (simdjson::dom::element ev : events) {
    if (!AddMispEvent(ev, &n, sink)) return sink->status();
  }
  for (simdjson::dom::element h : holders) {
    if (!AddMispAttributes(h, {}, {}, &n, sink)) return sink->status();
  }
  return Status::OK();
}

}  // namespace

const char* ListFormatName(ListFormat format) {
  switch (format) {
    case ListFormat::kText: return "text";
    case ListFormat::kCsv: return "csv";
    case ListFormat::kStix: return "stix";
    case ListFormat::kMisp: return "misp";
  }
  return "?";
}

Status DetectFormat(std::string_view content_type, std::string_view body, ListFormat* out) {
  std::string ct = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  if (ct == "text/plain" || ct.empty()) *out = ListFormat::kText;
  else if (ct == "text/csv") *out = ListFormat::kCsv;
  else if (ct == "application/stix+json" || ct == "application/taxii+json") *out = ListFormat::kStix;
  else if (ct == "application/vnd.misp+json" || ct == "application/misp+json") *out = ListFormat::kMisp;
  else if (ct == "application/json") {
    // A STIX bundle says so near its start; anything else JSON is taken for MISP.
    const std::string head = Lower(body.substr(0, 4096));
    const size_t t = head.find("\"type\"");
    const bool bundle = t != std::string::npos && head.find("\"bundle\"", t) != std::string::npos &&
                        head.find("\"bundle\"", t) < t + 32;
    *out = bundle ? ListFormat::kStix : ListFormat::kMisp;
  } else {
    return Status::InvalidArgument("unknown list format '" + ct +
                                   "': send text/plain (one value per line), text/csv (with a header), "
                                   "application/stix+json (a STIX 2.1 bundle) or application/json (a MISP export)");
  }
  return Status::OK();
}

Status ParseIndicators(std::string_view body, ListFormat format, const ImportOptions& options,
                       std::vector<Indicator>* out, ImportReport* report) {
  Sink sink(options, out, report);
  switch (format) {
    case ListFormat::kText: return ParseText(body, &sink);
    case ListFormat::kCsv: return ParseCsv(body, &sink);
    case ListFormat::kStix: return ParseStix(body, &sink);
    case ListFormat::kMisp: return ParseMisp(body, &sink);
  }
  return Status::InvalidArgument("unknown format");
}

}  // namespace kamatama::intel
