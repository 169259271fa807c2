// parsers/dhcp.h
//! DHCP servers. Datasets:
//!  - dhcp.isc: ISC dhcpd (programs dhcpd, dhcpd6) and ISC dhclient: DHCPDISCOVER/OFFER/REQUEST/
//!    ACK/NAK/RELEASE/DECLINE/INFORM, BOOTREQUEST, no free leases, DHCPv6 Solicit/Advertise/...;
//!  - dhcp.dnsmasq: dnsmasq-dhcp "DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 host";
//!  - dhcp.kea: Kea "DHCP4_LEASE_ALLOC [hwtype=1 mac], cid=[..], tid=0x..: lease IP has been ...";
//!  - dhcp.windows: Windows DHCP Server audit CSV (DhcpSrvLog, DhcpV6SrvLog).
//! Fields: event.category=network, event.type=protocol, event.kind=event, event.action
//! ("dhcp-" + lowercase message type: dhcp-discover, dhcp-offer, dhcp-request, dhcp-ack,
//! dhcp-nak, dhcp-release, dhcp-decline, dhcp-inform; dhcpv6-*; Windows by event ID: dhcp-assign,
//! dhcp-renew, dns-update-failed, ...), event.outcome (failure on NAK/DECLINE and on lines
//! carrying an error reason), client.ip and source.ip (the client's leased/requested address),
//! source.mac (ECS form: uppercase, dash separated, zero padded "00-11-22-33-44-55"; the raw form
//! stays in the message), dhcp.client.hostname, dhcp.client.id, dhcp.transaction_id, server.ip,
//! observer.ingress.interface.name, dhcp.relay.ip, event.reason, event.code (Kea code, Windows ID).
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

//! Registers dhcp.isc, dhcp.dnsmasq, dhcp.kea and dhcp.windows.
void RegisterDhcpParsers(ParserRegistry* registry);

bool LooksLikeIscDhcp(std::string_view message);
bool ParseIscDhcp(Event* ev);
bool LooksLikeDnsmasqDhcp(std::string_view message);
bool ParseDnsmasqDhcp(Event* ev);
bool LooksLikeKeaDhcp(std::string_view message);
bool ParseKeaDhcp(Event* ev);
bool LooksLikeWindowsDhcp(std::string_view message);
bool ParseWindowsDhcp(Event* ev);

}  // namespace kamatama
