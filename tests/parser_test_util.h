// tests/parser_test_util.h: small helpers shared by the parser tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/event.h"
#include "core/time.h"

namespace kamatama::test_util {

//! An RFC 3339 time in nanoseconds (fails the test if it does not parse).
inline int64_t T(std::string_view rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return t.value_or(0);
}

//! The receive time the parser tests use.
inline const int64_t kRecv = T("2026-11-26T12:30:00Z");

//! The value of a field, or "<absent>".
inline std::string F(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? *v : "<absent>";
}

}  // namespace kamatama::test_util
