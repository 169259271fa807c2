// parsers/declarative/grok.h
//! Grok-like patterns compiled to RE2: `%{IP:source.ip} %{WORD}` becomes an RE2 pattern with a
//! named group per `%{NAME:field}`. The library (kGrokLibrary in grok.cc) holds the usual names
//! (IP, INT, WORD, NOTSPACE, DATA, GREEDYDATA, SYSLOGTIMESTAMP, ...), written for RE2 (linear
//! time, no backreferences or lookaround); a definition may add its own under `patterns:`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kamatama::declarative {

//! The result of expanding a grok pattern: RE2 text whose named groups are g0, g1, ... and the
//! field each of them fills (fields[N] for group gN).
struct GrokPattern {
  std::string regex;
  std::vector<std::string> fields;
};

//! Expands `pattern`; `custom` patterns (name -> grok text) are looked up before the library.
//! False with *error set for an unknown name, a reference cycle, nesting deeper than 8 or an
//! expansion longer than kMaxPatternBytes.
bool ExpandGrok(std::string_view pattern, const std::map<std::string, std::string>& custom, GrokPattern* out,
                std::string* error);

//! The names of the library patterns (for the documentation test).
std::vector<std::string> GrokLibraryNames();

}  // namespace kamatama::declarative
