// tests/corpus_util.h: running real corpus samples (../shared/corpus) through the parsers and
// scoring them against a peer's expected output.
//
// Per format, a CorpusFormat counts lines, lines classified to the expected dataset and field
// agreement (fields both sides have). Report() prints one table row per format and fails the
// test when a format is below 95% classified or 90% field agreement. Where our mapping differs
// from the peer's on purpose, call Differs() with the reason instead of Expect(): it is printed,
// not scored, and never hides a sample.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/raw_record.h"
#include "core/time.h"
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

inline std::string Field(const Event& ev, const std::string& name) {
  if (name == "@timestamp") return FormatRfc3339(ev.timestamp_ns);
  const std::string* v = ev.Get(name);
  return v ? *v : "";
}

struct CorpusFormat {
  std::string name;
  int lines = 0;
  int classified = 0;
  int compared = 0;
  int agreed = 0;
  std::vector<std::string> disagreements;  // first few, for the report
  std::vector<std::string> differences;    // deliberate, with reasons

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
    std::string got = Field(ev, field);
    if (got == expected) ++agreed;
    else if (disagreements.size() < 8)
      disagreements.push_back(field + ": expected '" + expected + "' got '" + got + "'");
  }
  //! A field where our mapping deliberately differs from the peer's.
  void Differs(const std::string& field, const std::string& reason) {
    std::string d = field + ": " + reason;
    for (const auto& x : differences) {
      if (x == d) return;
    }
    differences.push_back(d);
  }
};

//! Prints the table and checks the thresholds; call at the end of a corpus test.
inline void Report(const std::vector<CorpusFormat>& formats) {
  std::printf("\n%-36s %7s %11s %9s %9s\n", "format", "lines", "classified", "fields", "agree");
  for (const auto& f : formats) {
    double cls = f.lines ? 100.0 * f.classified / f.lines : 0;
    double agr = f.compared ? 100.0 * f.agreed / f.compared : 100;
    std::printf("%-36s %7d %10.1f%% %9d %8.1f%%\n", f.name.c_str(), f.lines, cls, f.compared, agr);
    for (const auto& d : f.differences) std::printf("    differs on purpose: %s\n", d.c_str());
    EXPECT_GT(f.lines, 0) << f.name << ": no samples read";
    EXPECT_GE(cls, 95.0) << f.name;
    EXPECT_GE(agr, 90.0) << f.name;
    if (cls < 95.0 || agr < 90.0) {
      for (const auto& d : f.disagreements) std::printf("    %s\n", d.c_str());
    }
  }
}

}  // namespace kamatama::corpus
