// investigate/json_out.h
//! The investigation answers' small JSON writing helper (escaping is core/json.h's).
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"

namespace kamatama::investigate {

//! Appends `"key":"value"` (null for an empty value), preceded by a comma unless `first`.
inline void AppendMember(std::string* out, std::string_view key, std::string_view value, bool first = false) {
  if (!first) out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
  if (value.empty()) out->append("null");
  else AppendJsonString(out, value);
}

}  // namespace kamatama::investigate
