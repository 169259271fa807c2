// parsers/windows.h
//! Source parsers for Windows event logs, in every input form winevent.h reads (event XML,
//! Winlogbeat, NXLog and Wazuh JSON, Sysmon for Linux in syslog):
//!  - "sysmon": Sysmon (Windows and Linux), event.dataset sysmon.<event>, e.g. sysmon.process_create;
//!  - "powershell": PowerShell Operational 4103/4104 (+ other PowerShell events), powershell.<kind>;
//!  - "auth.windows_security": the Security log (logons, Kerberos, NTLM, account management, ...);
//!  - "antivirus.windows_defender": Microsoft Defender Antivirus (1116/1117/5001, ...);
//!  - "windows.event": any other channel (System, Application, Task Scheduler, ...).
//! Each parse function returns false without touching the event when it is not its log.
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

//! Registers the five Windows parsers (XML looks_like, JSON claims, program "sysmon").
void RegisterWindowsParsers(ParserRegistry* registry);

bool ParseSysmon(Event* ev);
bool ClaimsSysmonJson(const Event& ev);
bool ParseWindowsSecurity(Event* ev);
bool ClaimsWindowsSecurityJson(const Event& ev);
bool ParsePowerShell(Event* ev);
bool ClaimsPowerShellJson(const Event& ev);
bool ParseWindowsDefender(Event* ev);
bool ClaimsWindowsDefenderJson(const Event& ev);
//! Any other Windows channel: event.dataset windows.event, the common fields and EventData.
bool ParseOtherWindows(Event* ev);
bool ClaimsOtherWindowsJson(const Event& ev);

//! Whether a message is a Windows event XML record (the looks_like of all four).
bool LooksLikeWindowsEventXml(std::string_view message);

}  // namespace kamatama
