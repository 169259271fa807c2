// parsers/builtin.cc
//! The list of source parsers that ship with kamatama. Registration is explicit (no static
//! self-registration, which a static library would silently drop). Order matters for content
//! checks: more specific formats first.
#include "parsers/registry.h"

#include "parsers/antivirus.h"
#include "parsers/auth_linux.h"
#include "parsers/dhcp.h"
#include "parsers/dns.h"
#include "parsers/firewall.h"
#include "parsers/generic/generic.h"
#include "parsers/mail.h"
#include "parsers/proxy.h"
#include "parsers/windows.h"

namespace kamatama {

void RegisterBuiltinParsers(ParserRegistry* registry) {
  RegisterGenericFormatParsers(registry);  // CEF, LEEF: a marker no product line has
  RegisterFirewallParsers(registry);
  RegisterProxyParsers(registry);
  RegisterMailParsers(registry);
  RegisterDnsParsers(registry);
  RegisterDhcpParsers(registry);
  RegisterAntivirusParsers(registry);
  RegisterLinuxAuthParsers(registry);
  RegisterWindowsParsers(registry);
  RegisterKeyValueParser(registry);  // last: any line with three key=value pairs
}

}  // namespace kamatama
