// fuzz/mail_fuzz.cc: the mail parsers (Postfix, Exim, sendmail, Exchange) on arbitrary bytes.
#include "datasets_fuzz.h"
#include "parsers/mail.h"
#include "parsers/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = (kamatama::RegisterMailParsers(&kamatama::ParserRegistry::Global()), true);  // idempotent if built in
  (void)registered;
  kamatama::fuzz::RunThroughDatasets(data, size, {"mail.postfix", "mail.exim", "mail.sendmail", "mail.exchange"});
  return 0;
}
