// parsers/antivirus.h
//! Anti-virus products other than Windows Defender. Datasets:
//!  - antivirus.clamav: clamd / clamscan / clamonacc "path: Signature FOUND", "path: moved to",
//!    "path: Removed.", SelfCheck, database reloads, freshclam updates, clamav-milter verdicts;
//!  - antivirus.amavis: amavisd-new verdicts "(pid-n) Blocked INFECTED (sig) {actions}, ...";
//!  - antivirus.sophos_xg: Sophos XG/SFOS key=value with log_type="Anti-Virus";
//!  - antivirus.eset: ESET PROTECT/ERA server JSON over syslog ({"event_type":"Threat_Event",...});
//!  - antivirus.mcafee: McAfee ePO EventFwd XML over syslog (<EPOevent>...).
//! Fields: event.kind (alert for detections, event otherwise), event.category (malware for
//! detections, network/intrusion_detection/email/configuration by product event type),
//! event.type=info, event.action (detected | blocked | quarantined | cleaned | removed | passed |
//! update | scan-error | ...), event.outcome, rule.name = the signature / threat name, file.path,
//! source.ip/port, destination.ip/port, user.name, host.hostname/host.ip (the endpoint reported
//! on by a management server), email.* for mail scanners, vendor extras under clamav.*, amavis.*,
//! sophos.xg.*, eset.*, mcafee.*.
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

//! Registers antivirus.clamav, antivirus.amavis, antivirus.sophos_xg, antivirus.eset and
//! antivirus.mcafee.
void RegisterAntivirusParsers(ParserRegistry* registry);

bool LooksLikeClamav(std::string_view message);
bool ParseClamav(Event* ev);
bool LooksLikeAmavis(std::string_view message);
bool ParseAmavis(Event* ev);
bool LooksLikeSophosXgAv(std::string_view message);
bool ParseSophosXgAv(Event* ev);
bool LooksLikeEset(std::string_view message);
bool ParseEset(Event* ev);
bool LooksLikeMcafee(std::string_view message);
bool ParseMcafee(Event* ev);

}  // namespace kamatama
