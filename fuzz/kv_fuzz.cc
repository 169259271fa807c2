// fuzz/kv_fuzz.cc: the key=value (quotes, brackets, repeated keys) parser on arbitrary bytes.
#include "generic_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kamatama::fuzz::RunGeneric(data, size, "kv");
  return 0;
}
