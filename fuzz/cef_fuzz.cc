// fuzz/cef_fuzz.cc: the CEF (header escapes, extension values up to the next key=) parser on arbitrary bytes.
#include "generic_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kamatama::fuzz::RunGeneric(data, size, "cef");
  return 0;
}
