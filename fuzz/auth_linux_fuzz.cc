// fuzz/auth_linux_fuzz.cc: the Linux/RADIUS auth parsers (sshd, sudo, su, PAM, RADIUS) on arbitrary bytes.
#include "datasets_fuzz.h"
#include "parsers/auth_linux.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (kamatama::RegisterLinuxAuthParsers(&kamatama::ParserRegistry::Global()), true);  // idempotent if built in
  (void)registered;
  kamatama::fuzz::RunThroughDatasets(data, size, {"auth.sshd", "auth.sudo", "auth.su", "auth.pam", "auth.radius"});
  return 0;
}
