// tests/sigma_util.h
//! The SigmaHQ snapshot beside the checkout (../shared/sigma, read in place, never copied into
//! the repository), for the detection tests: where it is, its rule directories, its regression
//! events. Without it a test fails under CI=true and is skipped elsewhere (REQUIRE_SIGMA).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kmt_sigma {

inline std::filesystem::path SigmaDir() { return std::filesystem::path(KMT_SOURCE_DIR) / ".." / "shared" / "sigma"; }

inline bool UnderCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

//! The snapshot's rule directories (all its rules but the deprecated and unsupported ones).
inline std::vector<std::string> RuleDirs() {
  std::vector<std::string> dirs;
  for (const char* d : {"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "rules-compliance"})
    dirs.push_back((SigmaDir() / d).string());
  return dirs;
}

inline std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

//! The JSON objects of a file holding one or more (pretty-printed, concatenated).
inline std::vector<std::string> SplitJsonObjects(const std::string& text) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_string = false, escaped = false;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      if (depth++ == 0) start = i;
    } else if (c == '}' && --depth == 0) {
      out.push_back(text.substr(start, i + 1 - start));
    }
  }
  return out;
}

//! The JSON event of a regression case (`rules/.../<rule file name>` without .yml) on one line
//! (pretty-printed JSON has no raw newline inside strings, so newlines can become spaces).
inline std::string RegressionEventLine(const std::string& rule) {
  for (const auto& f : std::filesystem::directory_iterator(SigmaDir() / "regression_data" / rule)) {
    if (f.path().extension() != ".json") continue;
    std::string text = ReadAll(f.path());
    for (char& c : text) c = (c == '\n' || c == '\r') ? ' ' : c;
    return text;
  }
  return "";
}

}  // namespace kmt_sigma

//! Without the snapshot: a failure under CI=true, else a skip.
#define REQUIRE_SIGMA()                                                                                      \
  do {                                                                                                       \
    if (!std::filesystem::is_directory(kmt_sigma::SigmaDir())) {                                             \
      if (kmt_sigma::UnderCi()) FAIL() << "CI=true and the SigmaHQ snapshot is missing: " << kmt_sigma::SigmaDir(); \
      GTEST_SKIP() << "the SigmaHQ snapshot (../shared/sigma) is not beside the checkout";                   \
    }                                                                                                        \
  } while (0)
