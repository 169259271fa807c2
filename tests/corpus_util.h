// tests/corpus_util.h: running real corpus samples (../shared/corpus) through the parsers and
// scoring them against a peer's expected output.
//
// Per format, a CorpusFormat counts lines, lines classified to the expected dataset and field
// agreement (fields both sides have). Report() prints one table row per format and fails the
// test when a format is below 95% classified or 90% field agreement. Where our mapping differs
// from the peer's on purpose, call Differs() with the reason instead of Expect(): it is printed,
// not scored, and never hides a sample.
//
// The 90% bar applies to each field compared at least kMinComparedPerField times as well.
// Agreement over nothing proves nothing: a format must compare at least one field per line, up
// to kMinComparedFields, or say with ClassificationOnly(reason) that its peer gives no field
// values, in which case its classification alone is scored and it must compare none.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/raw_record.h"
#include "core/time.h"
#include "parsers/json_event.h"
#include "parsers/parse.h"

namespace kamatama::corpus {

//! Absolute path of a corpus file, or "" when the corpus is not beside the checkout.
inline std::string Path(const std::string& rel) {
  std::string p = std::string(KMT_SOURCE_DIR) + "/../shared/corpus/" + rel;
  return std::filesystem::exists(p) ? p : "";
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

//! Non-empty lines of a corpus file (CRLF tolerated).
inline std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream in(ReadAll(path));
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (!l.empty()) out.push_back(l);
  }
  return out;
}

//! The `log N pass = ` lines of a Wazuh ruleset test file (.ini), with their section titles.
inline std::vector<std::pair<std::string, std::string>> WazuhLines(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string section;
  for (const std::string& line : Lines(path)) {
    if (line.rfind("[", 0) == 0) section = line;
    if (size_t at = line.find(" pass = "); line.rfind("log ", 0) == 0 && at != std::string::npos)
      out.emplace_back(section, line.substr(at + 8));
  }
  return out;
}

//! Parses a line as the server would (received at a fixed time, 2026-11-26T12:00:00Z unless
//! given), optionally forcing a source parser.
inline Event Parse(const std::string& line, const std::string& source = "",
                   int64_t received_ns = *ParseRfc3339("2026-11-26T12:00:00Z")) {
  RawRecord r;
  r.received_ns = received_ns;
  r.data = line;
  r.source = source;
  return ParseRecord(r, ParseOptions{});
}

//! The <Event>...</Event> records of an XML file, as a forwarder would send them one by one.
inline std::vector<std::string> SplitEvents(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while ((i = text.find("<Event", i)) != std::string::npos) {
    if (i + 6 >= text.size() || (text[i + 6] != ' ' && text[i + 6] != '>' && text[i + 6] != '\n' && text[i + 6] != '\r')) {
      i += 6;
      continue;
    }
    size_t e = text.find("</Event>", i);
    if (e == std::string::npos) break;
    out.push_back(text.substr(i, e + 8 - i));
    i = e + 8;
  }
  return out;
}

inline std::string Field(const Event& ev, const std::string& name) {
  if (name == "@timestamp") return FormatRfc3339(ev.timestamp_ns);
  const std::string* v = ev.Get(name);
  return v ? *v : "";
}

//! A format that is not classification-only compares at least one field per line, and need not
//! compare more than this many in all (a rule test of three lines still counts).
inline constexpr int kMinComparedFields = 10;
//! A field compared on at least this many lines is held to the 90% bar on its own.
inline constexpr int kMinComparedPerField = 3;

struct CorpusFormat {
  std::string name;
  std::string classification_only{};  //!< why only the classification is scored, when it is
  int lines = 0;
  int classified = 0;
  int compared = 0;
  int agreed = 0;
  std::map<std::string, std::pair<int, int>> per_field{};  // field -> (compared, agreed)
  std::vector<std::string> disagreements{};  // first few, for the report
  std::vector<std::string> differences{};    // deliberate, with reasons

  //! Counts a line and whether its dataset is the expected one (prefix match when
  //! `expected_dataset` ends with '.', e.g. "sysmon.").
  void Classify(const Event& ev, const std::string& expected_dataset) {
    ++lines;
    std::string ds = Field(ev, "event.dataset");
    bool ok = expected_dataset.back() == '.' ? ds.rfind(expected_dataset, 0) == 0 : ds == expected_dataset;
    if (ok) ++classified;
    else if (disagreements.size() < 8) disagreements.push_back("dataset " + ds + " for: " + ev.original.substr(0, 160));
  }
  //! Compares one field the peer expects.
  void Expect(const Event& ev, const std::string& field, const std::string& expected) {
    ++compared;
    ++per_field[field].first;
    std::string got = Field(ev, field);
    if (got == expected) {
      ++agreed;
      ++per_field[field].second;
    }
    else if (disagreements.size() < 8)
      disagreements.push_back(field + ": expected '" + expected + "' got '" + got + "'");
  }
  //! Says the peer gives no field values for this format's samples (a rule test that names only
  //! the decoder, raw lines without expected output): only the classification is scored.
  void ClassificationOnly(const std::string& reason) { classification_only = reason; }
  //! A field where our mapping deliberately differs from the peer's.
  void Differs(const std::string& field, const std::string& reason) {
    std::string d = field + ": " + reason;
    for (const auto& x : differences) {
      if (x == d) return;
    }
    differences.push_back(d);
  }
};

//! What a CrowdSec parser.assert file expects of one line of its .log, by line index.
struct CrowdsecLine {
  //! "Parsed.<key>" and "Meta.<key>" values of the s00-raw and s01-parse stages.
  std::map<std::string, std::string> values;
  bool raw_stage_seen = false;    //!< some s00-raw parser ran on the line
  bool parse_stage_seen = false;  //!< some s01-parse parser ran on it
  bool parsed = false;            //!< and one of them accepted it (Success == true)
};

//! Reads a CrowdSec parser.assert. Its `results["<stage>"]["<parser>"][N]` numbers, in the
//! s00-raw and s01-parse stages, the line of the .log (every line enters them), so the result is
//! indexed by line. s02-enrich numbers only the lines that got that far, so it is left out.
inline std::vector<CrowdsecLine> CrowdsecAsserts(const std::string& path) {
  std::vector<CrowdsecLine> out;
  for (const std::string& l : Lines(path)) {
    if (l.rfind("results[\"", 0) != 0) continue;
    const bool raw = l.rfind("results[\"s00-raw\"]", 0) == 0, parse = l.rfind("results[\"s01-parse\"]", 0) == 0;
    if (!raw && !parse) continue;
    // results["stage"]["parser"][N].<rest>
    size_t open = l.find("\"][", l.find("\"][") + 3);
    if (open == std::string::npos) continue;
    size_t close = l.find("]", open + 3);
    if (close == std::string::npos || close + 1 >= l.size() || l[close + 1] != '.') continue;
    size_t idx = std::stoul(l.substr(open + 3, close - open - 3));
    if (out.size() <= idx) out.resize(idx + 1);
    CrowdsecLine& line = out[idx];
    std::string rest = l.substr(close + 2);
    (raw ? line.raw_stage_seen : line.parse_stage_seen) = true;
    if (rest == "Success == true") {
      if (parse) line.parsed = true;
      continue;
    }
    if (rest.rfind("Evt.", 0) != 0) continue;
    rest = rest.substr(4);
    std::string kind = rest.substr(0, rest.find('['));
    if (kind != "Parsed" && kind != "Meta") continue;
    size_t k1 = rest.find("[\""), k2 = rest.find("\"]");
    size_t eq = rest.find(" == ");
    if (k1 == std::string::npos || k2 == std::string::npos || eq == std::string::npos) continue;
    std::string key = kind + "." + rest.substr(k1 + 2, k2 - k1 - 2);
    std::string v = rest.substr(eq + 4);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    std::string un;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      un.push_back(v[i]);
    }
    line.values.emplace(key, un);
  }
  return out;
}

//! One document of a Wazuh engine *_expected.json: its fields flattened into an Event, and its
//! own "@timestamp" (written "\\@timestamp" there) as written: ParseJsonEvent takes @timestamp
//! out of the fields into timestamp_ns, where a document without one would read as time 0.
struct WazuhExpected {
  Event fields;
  std::string timestamp;
};

inline std::vector<WazuhExpected> LoadWazuhExpected(const std::string& path) {
  std::vector<WazuhExpected> out;
  simdjson::dom::parser parser;
  std::string text = ReadAll(path);
  simdjson::dom::array arr;
  if (parser.parse(text).get(arr)) return out;
  for (auto el : arr) {
    WazuhExpected x;
    // The engine's documents write the key escaped, "\\@timestamp".
    std::string_view ts;
    if (!el["@timestamp"].get(ts) || !el["\\@timestamp"].get(ts)) x.timestamp = std::string(ts);
    std::string err;
    ParseJsonEvent(simdjson::minify(el), 0, &x.fields, &err);
    out.push_back(std::move(x));
  }
  return out;
}

//! Prints the table and checks the thresholds; call at the end of a corpus test.
inline void Report(const std::vector<CorpusFormat>& formats) {
  std::printf("\n%-36s %7s %11s %9s %9s\n", "format", "lines", "classified", "fields", "agree");
  for (const auto& f : formats) {
    double cls = f.lines ? 100.0 * f.classified / f.lines : 0;
    const bool cls_only = !f.classification_only.empty();
    double agr = f.compared ? 100.0 * f.agreed / f.compared : 0;
    if (cls_only) std::printf("%-36s %7d %10.1f%% %9s %9s\n", f.name.c_str(), f.lines, cls, "-", "-");
    else std::printf("%-36s %7d %10.1f%% %9d %8.1f%%\n", f.name.c_str(), f.lines, cls, f.compared, agr);
    if (cls_only) std::printf("    classification only: %s\n", f.classification_only.c_str());
    for (const auto& d : f.differences) std::printf("    differs on purpose: %s\n", d.c_str());
    EXPECT_GT(f.lines, 0) << f.name << ": no samples read";
    EXPECT_GE(cls, 95.0) << f.name;
    if (cls_only) {
      EXPECT_EQ(f.compared, 0) << f.name << " is marked classification-only but compares fields";
    } else {
      EXPECT_GE(f.compared, std::min(kMinComparedFields, f.lines))
          << f.name << ": too few fields compared for the agreement to mean anything (mark it ClassificationOnly if the "
          << "peer gives no values)";
      EXPECT_GE(agr, 90.0) << f.name;
      // The bar holds per field too: a field that regressed on every line (event.outcome no
      // longer set) must not hide among the many others that still agree.
      for (const auto& [field, n] : f.per_field) {
        if (n.first < kMinComparedPerField) continue;
        EXPECT_GE(100.0 * n.second / n.first, 90.0) << f.name << ": field " << field << " agrees on " << n.second
                                                     << " of " << n.first;
      }
    }
    if (cls < 95.0 || (!cls_only && agr < 90.0)) {
      for (const auto& d : f.disagreements) std::printf("    %s\n", d.c_str());
    }
  }
}

}  // namespace kamatama::corpus
