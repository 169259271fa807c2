// parsers/builtin.cc
//! The list of source parsers that ship with kamatama. Registration is explicit (no static
//! self-registration, which a static library would silently drop).
#include "parsers/registry.h"

namespace kamatama {

void RegisterBuiltinParsers(ParserRegistry* registry) {
  // Source parsers are added here, e.g.:
  //   registry->Register({"sshd", {"sshd"}, &LooksLikeSshd, &ParseSshd});
  (void)registry;
}

}  // namespace kamatama
