// parsers/proxy.h
//! Proxy source parsers (hand-written scanners, no regex):
//!  - proxy.squid      Squid native access.log (raw or in syslog, program "squid")
//!  - proxy.access     Apache/nginx common and combined log format (reverse proxies)
//!  - proxy.haproxy    HAProxy HTTP and TCP logs and connection-error lines
//!  - proxy.sophos_xg  Sophos XG (SFOS) web/content filter key=value
//!  - proxy.proxifier  Proxifier client log ("[MM.DD HH:MM:SS] app - host:port open|close|error ...")
//!
//! Common fields: event.dataset, event.kind=event, event.category=web (network for
//! Proxifier/HAProxy TCP), event.type (comma separated: "access", "access,denied",
//! "connection,start"...), event.action, event.outcome; source.ip/port, user.name,
//! http.request.method, url.original (+ url.scheme/domain/port/path/query), http.version,
//! http.response.status_code, http.response.bytes (bytes sent to the client; CLF's body size
//! is http.response.body.bytes), http.request.referrer, user_agent.original.
//! Squid: event.action = squid.result_code (e.g. TCP_MISS), squid.hierarchy_code,
//! destination.ip = the peer. @timestamp comes from the log's own time (epoch for Squid, the
//! bracketed CLF time, the HAProxy accept date when no syslog header carried one).
//! `message` is left as the envelope set it.
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

bool LooksLikeSquid(std::string_view message);
bool ParseSquid(Event* ev);
bool LooksLikeAccessLog(std::string_view message);
bool ParseAccessLog(Event* ev);
bool LooksLikeHaproxy(std::string_view message);
bool ParseHaproxy(Event* ev);
bool LooksLikeSophosXgWeb(std::string_view message);
bool ParseSophosXgWeb(Event* ev);
bool LooksLikeProxifier(std::string_view message);
bool ParseProxifier(Event* ev);

//! Registers proxy.squid, proxy.haproxy, proxy.sophos_xg, proxy.proxifier, proxy.access.
void RegisterProxyParsers(ParserRegistry* registry);

}  // namespace kamatama
