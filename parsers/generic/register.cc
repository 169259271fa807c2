// parsers/generic/register.cc
//! Registration of the generic formats (see generic.h for where each goes in the order).
#include "parsers/generic/generic.h"

namespace kamatama {

void RegisterGenericFormatParsers(ParserRegistry* registry) {
  registry->Register({"cef", {}, &LooksLikeCef, &ParseCef});
  registry->Register({"leef", {}, &LooksLikeLeef, &ParseLeef});
}

void RegisterKeyValueParser(ParserRegistry* registry) {
  registry->Register({"kv", {}, &LooksLikeKeyValue, &ParseKeyValue});
}

}  // namespace kamatama
