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
//!
//! Computed from dns.question.name by every parser here (AddDnsNameFeatures), for the DNS
//! tunnelling rules (rules/kamatama/dns/):
//!   kamatama.dns.registered_domain  the last two labels, or three when the second-to-last is a
//!                                    common second level (co, com, net, org, gov, edu, ac, ...)
//!                                    under a two-letter TLD (co.uk, com.au); a heuristic, there is
//!                                    no public suffix list; lowercase
//!   kamatama.dns.subdomain_length   bytes left of the registered domain (dots included)
//!   kamatama.dns.entropy            Shannon entropy of those bytes (dots left out, ASCII case
//!                                    ignored) in hundredths of a bit per character: an integer,
//!                                    so rules compare it with `|gte` (400 = 4.0 bits; English
//!                                    host names ~250-330, base32/hex tunnel labels 380-500)
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

//! Adds the kamatama.dns.* fields above when the event has a dns.question.name of 2+ labels.
void AddDnsNameFeatures(Event* ev);

//! Registers dns.bind, dns.dnsmasq, dns.unbound, dns.windows, dns.suricata.
void RegisterDnsParsers(ParserRegistry* registry);

}  // namespace kamatama
