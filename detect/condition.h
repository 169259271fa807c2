// detect/condition.h
//! Sigma's condition expression: and / or / not (not binds tightest, then and, then or),
//! parentheses, `1 of x*`, `any of x*`, `all of x*`, `1 of them`, `all of them`, over the named
//! selections already compiled into a QueryBuilder. Aggregations (`| count() ...`) are
//! reported as unsupported.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "query/builder.h"

namespace kamatama::detect {

struct ConditionResult {
  bool ok = false;
  bool unsupported = false;  //!< a construct kamatama does not evaluate (not a broken rule)
  std::string error;
  uint32_t node = 0;
};

//! Most nesting of parentheses and `not` accepted.
inline constexpr int kMaxConditionDepth = 64;

ConditionResult ParseCondition(std::string_view text, const std::map<std::string, uint32_t>& selections,
                               query::QueryBuilder* b);

}  // namespace kamatama::detect
