// fuzz/leef_fuzz.cc: the LEEF 1.0/2.0 (delimiters, devTime formats) parser on arbitrary bytes.
#include "generic_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kamatama::fuzz::RunGeneric(data, size, "leef");
  return 0;
}
