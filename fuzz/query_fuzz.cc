// fuzz/query_fuzz.cc: the search language (filters) on arbitrary bytes (issue 9).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "query/query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)kamatama::query::Query::Parse(in);
  return 0;
}
