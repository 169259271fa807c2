// fuzz/generic_fuzz.h: the body shared by cef_fuzz, leef_fuzz and kv_fuzz (parsers/generic/).
// Runs the bytes as a bare line and as the message of a syslog line, chosen by content and
// forced to the target's dataset, and checks what the parser promises about field names: a key
// that came in the log never yields an empty name or one with an empty dotted segment.
#pragma once

#include <string>

#include "datasets_fuzz.h"

namespace kamatama::fuzz {

inline bool FromLogKey(const std::string& name) {
  return name.rfind("cef.", 0) == 0 || name.rfind("leef.", 0) == 0 || name.rfind("kv.", 0) == 0;
}

inline void CheckNames(const Event& ev) {
  for (const auto& [name, value] : ev.fields) {
    if (!FromLogKey(name)) continue;
    if (name.empty() || name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)
      __builtin_trap();
  }
}

inline void RunGeneric(const uint8_t* data, size_t size, const char* dataset) {
  RunThroughDatasets(data, size, {dataset}, CheckNames);
}

}  // namespace kamatama::fuzz
