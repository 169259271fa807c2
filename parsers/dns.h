// parsers/dns.h
//! DNS server source parsers: BIND named (dns.bind), dnsmasq (dns.dnsmasq), Unbound
//! (dns.unbound), the Windows DNS Server debug log (dns.windows) and Suricata EVE dns events
//! (dns.suricata, JSON). Hand-written scanners (simdjson only to rewrite EVE answers).
//!
//! Common fields: event.dataset, event.kind=event, event.category=network, event.type=protocol,
//! event.action, event.outcome; source.ip/source.port = the DNS client; destination.ip = the
//! server/forwarder; dns.question.name (no trailing dot), dns.question.type, dns.question.class,
//! dns.response_code, dns.id (decimal), dns.type (query|answer), dns.header_flags (comma list),
//! dns.answers (JSON array of {name,type,ttl,data} or the answer text), dns.resolved_ip (comma
//! list of A/AAAA data), network.protocol=dns, network.transport.
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

bool LooksLikeBind(std::string_view message);
bool ParseBind(Event* ev);
bool ParseDnsmasq(Event* ev);
bool ParseUnbound(Event* ev);
bool LooksLikeWindowsDns(std::string_view message);
bool ParseWindowsDns(Event* ev);
bool ClaimsSuricataDns(const Event& ev);
bool ParseSuricataDns(Event* ev);

//! Registers dns.bind, dns.dnsmasq, dns.unbound, dns.windows, dns.suricata.
void RegisterDnsParsers(ParserRegistry* registry);

}  // namespace kamatama
