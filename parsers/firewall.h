// parsers/firewall.h
//! Firewall source parsers (hand-written scanners, no regex):
//!  - firewall.iptables   netfilter/iptables/ufw kernel LOG lines (program "kernel")
//!  - firewall.pfsense    pfSense/OPNsense filterlog CSV (program "filterlog"), IPv4/IPv6
//!  - firewall.cisco_asa  Cisco ASA/FTD/PIX "%ASA-n-NNNNNN: ..." with or without header
//!  - firewall.fortigate  FortiGate/FortiOS key=value lines
//!
//! Common fields: event.dataset, event.kind=event, event.category=network (authentication for
//! login events), event.type (comma separated list, e.g. "connection,denied"), event.action
//! normalised to allow/deny/drop for decisions (other events keep a descriptive action),
//! event.outcome success (allow) / failure (deny, drop) / unknown; source.ip/port,
//! destination.ip/port, network.transport (lowercase), network.type, network.direction
//! (ingress/egress from the observer's interface, inbound/outbound where the vendor says so),
//! observer.ingress.interface.name / observer.egress.interface.name, rule.name / rule.id,
//! source.mac (ECS format, e.g. 00-08-A2-0C-1F-12). Vendor extras under iptables.*, pfsense.*,
//! cisco.asa.*, fortinet.firewall.*. `message` is left as the envelope set it.
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

bool LooksLikeIptables(std::string_view message);
bool ParseIptables(Event* ev);
bool LooksLikePfsense(std::string_view message);
bool ParsePfsense(Event* ev);
bool LooksLikeCiscoAsa(std::string_view message);
bool ParseCiscoAsa(Event* ev);
bool LooksLikeFortigate(std::string_view message);
bool ParseFortigate(Event* ev);

//! Registers firewall.cisco_asa, firewall.fortigate, firewall.pfsense, firewall.iptables.
void RegisterFirewallParsers(ParserRegistry* registry);

}  // namespace kamatama
