// tests/mail_dns_corpus.h: readers for the peers' expected outputs used by the mail and DNS
// corpus tests (CrowdSec parser.assert, fail2ban failJSON, whyscream YAML, Wazuh ECS JSON).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/corpus_util.h"

namespace kamatama::corpus_md {

//! Unquotes a "..." (backslash escapes) or '...' scalar; other text is returned trimmed.
inline std::string Unquote(std::string v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.pop_back();
  size_t b = v.find_first_not_of(' ');
  v = b == std::string::npos ? "" : v.substr(b);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) {
        char c = v[++i];
        out += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
      } else {
        out += v[i];
      }
    }
    return out;
  }
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') return v.substr(1, v.size() - 2);
  return v;
}

//! CrowdSec assertions of one stage: line index -> key ("Parsed.x" / "Meta.x") -> value.
inline std::map<int, std::map<std::string, std::string>> CrowdsecAsserts(const std::string& path,
                                                                          const std::string& stage) {
  std::map<int, std::map<std::string, std::string>> out;
  for (const auto& l : corpus::Lines(path)) {
    std::string pre = "results[\"" + stage + "\"][\"";
    if (l.rfind(pre, 0) != 0) continue;
    size_t p = l.find("\"][", pre.size());
    if (p == std::string::npos) continue;
    size_t q = l.find("].Evt.", p + 3);
    if (q == std::string::npos) continue;
    int idx = std::stoi(l.substr(p + 3, q - p - 3));
    size_t k = q + 6;
    size_t lb = l.find("[\"", k);
    size_t rb = l.find("\"]", lb == std::string::npos ? k : lb);
    size_t eq = l.find(" == ", k);
    if (lb == std::string::npos || rb == std::string::npos || eq == std::string::npos || rb > eq) continue;
    std::string kind = l.substr(k, lb - k);
    if (kind != "Parsed" && kind != "Meta") continue;
    if (rb + 2 != eq) continue;  // nested (Unmarshaled) or sliced keys
    out[idx][kind + "." + l.substr(lb + 2, rb - lb - 2)] = Unquote(l.substr(eq + 4));
  }
  return out;
}

//! fail2ban test log: raw lines with the failJSON that precedes each (or "").
inline std::vector<std::pair<std::string, std::string>> Fail2banLines(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string pending;
  for (const auto& l : corpus::Lines(path)) {
    if (l[0] == '#') {
      size_t p = l.find("failJSON:");
      if (p != std::string::npos) pending = l.substr(p + 9);
      continue;
    }
    out.emplace_back(l, pending);
    pending.clear();
  }
  return out;
}
//! A string value of a flat JSON-ish object ("" if absent).
inline std::string JsonStr(const std::string& json, const std::string& key) {
  size_t p = json.find("\"" + key + "\"");
  if (p == std::string::npos) return "";
  p = json.find(':', p);
  if (p == std::string::npos) return "";
  size_t b = json.find_first_not_of(' ', p + 1);
  if (b == std::string::npos) return "";
  if (json[b] == '"') {
    size_t e = json.find('"', b + 1);
    return json.substr(b + 1, e - b - 1);
  }
  size_t e = json.find_first_of(",}", b);
  std::string v = json.substr(b, e - b);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

//! Compares fail2ban's "time" (local, no zone) with @timestamp up to the second.
inline void ExpectTime(corpus::CorpusFormat* f, const Event& ev, const std::string& time) {
  ++f->compared;
  std::string got = corpus::Field(ev, "@timestamp");
  if (time.size() >= 19 && got.substr(0, time.size()) == time) ++f->agreed;
  else if (f->disagreements.size() < 8) f->disagreements.push_back("@timestamp: expected " + time + " got " + got);
}

}  // namespace kamatama::corpus_md
