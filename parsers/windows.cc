// parsers/windows.cc
//! Registration of the Windows parsers, and the two small families: PowerShell and Defender.
//! (Sysmon is in sysmon.cc, the Security log in windows_security.cc, the scanner in winevent.cc.)
#include "parsers/windows.h"

#include <string>

#include "core/tokenize.h"
#include "parsers/winevent.h"

namespace kamatama {

namespace {

using winevent::Record;
using winevent::SetIf;

void SetPath(Event* ev, std::string_view path) {
  if (path.empty()) return;
  ev->Set("file.path", path);
  std::string_view name = winevent::BaseName(path);
  SetIf(ev, "file.name", name);
  if (name.size() < path.size()) ev->Set("file.directory", path.substr(0, path.size() - name.size() - 1));
}

void SetUser(std::string_view v, Event* ev) {
  std::string_view domain, user;
  winevent::SplitDomainUser(v, &domain, &user);
  SetIf(ev, "user.name", user);
  SetIf(ev, "user.domain", domain);
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

//! Whether `key` equals `want` ignoring ASCII case and spaces ("Host Application" = "HostApplication").
bool KeyIs(std::string_view key, std::string_view want) {
  size_t j = 0;
  for (char c : key) {
    if (c == ' ') continue;
    if (j >= want.size() || AsciiLower(c) != AsciiLower(want[j])) return false;
    ++j;
  }
  return j == want.size();
}

// ---------------------------------------------------------------- PowerShell

//! PowerShell's "Key = Value" (4103 ContextInfo) and "Key=Value" (400/403/600/800) lines.
void MapPowerShellContext(std::string_view text, Event* ev) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = TrimSpace(line.substr(0, eq)), value = TrimSpace(line.substr(eq + 1));
    if (value.empty()) continue;
    if (KeyIs(key, "HostApplication")) ev->Set("process.command_line", value);
    else if (KeyIs(key, "HostName")) ev->Set("powershell.process.host_name", value);
    else if (KeyIs(key, "HostVersion")) ev->Set("powershell.process.executable_version", value);
    else if (KeyIs(key, "EngineVersion")) ev->Set("powershell.engine.version", value);
    else if (KeyIs(key, "RunspaceId")) ev->Set("powershell.runspace_id", value);
    else if (KeyIs(key, "PipelineId")) ev->Set("powershell.pipeline_id", value);
    else if (KeyIs(key, "CommandName")) ev->Set("powershell.command.name", value);
    else if (KeyIs(key, "CommandType")) ev->Set("powershell.command.type", value);
    else if (KeyIs(key, "CommandPath")) ev->Set("powershell.command.path", value);
    else if (KeyIs(key, "ScriptName")) SetPath(ev, value);
    else if (KeyIs(key, "SequenceNumber")) ev->Set("powershell.sequence", value);
    else if (KeyIs(key, "User")) SetUser(value, ev);
    else if (KeyIs(key, "ConnectedUser")) ev->Set("powershell.connected_user", value);
    else if (KeyIs(key, "ShellId")) ev->Set("powershell.id", value);
  }
}

void MapPowerShell(const Record& r, Event* ev) {
  winevent::EmitCommon(r, {}, ev);
  const bool classic = EqualsIgnoreCase(r.channel, "Windows PowerShell");
  std::string_view kind = classic ? "classic" : "operational";
  if (r.event_id == "4103") kind = "module_logging";
  if (r.event_id == "4104") kind = "script_block_logging";
  ev->Set("event.dataset", "powershell." + std::string(kind));
  ev->Set("event.module", "powershell");
  ev->Set("event.kind", "event");
  ev->Set("event.category", "process");
  ev->Set("event.type", "info");
  ev->Set("event.action", kind);
  ev->Set("event.outcome", "success");
  SetIf(ev, "user.id", r.user_sid);
  if (r.event_id == "4104") {
    SetIf(ev, "powershell.file.script_block_text", r.Val("ScriptBlockText"));
    SetIf(ev, "powershell.file.script_block_id", r.Val("ScriptBlockId"));
    SetIf(ev, "powershell.sequence", r.Val("MessageNumber"));
    SetIf(ev, "powershell.total", r.Val("MessageTotal"));
    SetPath(ev, r.Val("Path"));
    if (!ev->Get("powershell.file.script_block_text")) ev->Set(field::kErrorMessage, "4104 without ScriptBlockText");
  } else if (r.event_id == "4103") {
    MapPowerShellContext(r.Val("ContextInfo"), ev);
    SetIf(ev, "powershell.command.invocation_details", r.Val("Payload"));
  } else {
    // Classic events carry "Key=Value" lines in an unnamed <Data> (param2/param3).
    for (const auto& [k, v] : r.data) {
      if (v.find("HostApplication=") != std::string::npos || v.find("Host Application =") != std::string::npos) {
        MapPowerShellContext(v, ev);
        break;
      }
    }
  }
}

// ---------------------------------------------------------------- Defender

//! Defender's Path: "file:_C:\x.exe;process:_pid:1,ProcessStart:2" -> "C:\x.exe".
std::string_view DefenderPath(std::string_view v) {
  std::string_view first;
  while (!v.empty()) {
    size_t semi = v.find(';');
    std::string_view item = v.substr(0, semi);
    v = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
    size_t mark = item.find(":_");
    if (mark != std::string_view::npos && mark < 16) {
      std::string_view scheme = item.substr(0, mark);
      if (EqualsIgnoreCase(scheme, "file") || EqualsIgnoreCase(scheme, "containerfile")) return item.substr(mark + 2);
      continue;
    }
    if (first.empty()) first = item;
  }
  return first;
}

std::string_view DefenderActionName(std::string_view id) {
  struct A {
    std::string_view id, name;
  };
  static constexpr A kActions[] = {{"1", "cleaned"},   {"2", "quarantined"}, {"3", "cleaned"},
                                   {"6", "allowed"},   {"8", "user_defined"}, {"9", "no_action"},
                                   {"10", "blocked"}};
  for (const auto& a : kActions) {
    if (a.id == id) return a.name;
  }
  return {};
}

void MapDefender(const Record& r, Event* ev) {
  winevent::EmitCommon(r, {}, ev);
  ev->Set("event.dataset", "antivirus.windows_defender");
  ev->Set("event.module", "windows_defender");
  ev->Set("observer.vendor", "Microsoft");
  ev->Set("observer.product", "Microsoft Defender Antivirus");
  SetIf(ev, "observer.version", r.Val("Product Version"));
  const std::string& id = r.event_id;
  const bool detection = id == "1006" || id == "1015" || id == "1116";
  const bool action = id == "1007" || id == "1117" || id == "1008" || id == "1118" || id == "1119";
  std::string_view threat = r.Val("Threat Name");
  if (detection || action || !threat.empty()) {
    ev->Set("event.kind", "alert");
    ev->Set("event.category", "malware");
    SetIf(ev, "rule.name", threat);
    SetIf(ev, "rule.id", r.Val("Threat ID"));
    SetIf(ev, "rule.category", r.Val("Category Name"));
    SetIf(ev, "rule.version", r.Val("Signature Version"));
    SetIf(ev, "event.reference", r.Val("FWLink"));
    SetIf(ev, "event.severity", r.Val("Severity ID"));
    SetIf(ev, "windows_defender.severity", r.Val("Severity Name"));
    SetPath(ev, DefenderPath(r.Val("Path")));
    std::string_view proc = r.Val("Process Name");
    if (proc != "Unknown") {
      SetIf(ev, "process.executable", proc);
      SetIf(ev, "process.name", winevent::BaseName(proc));
    }
    SetUser(r.Val("Detection User"), ev);
    std::string_view act = DefenderActionName(r.Val("Action ID"));
    SetIf(ev, "windows_defender.action", act);
    // Same vocabulary as the other antivirus parsers (parsers/antivirus.cc): a detection is an
    // alert, malware/info, outcome success; the action taken names the event.action.
    ev->Set("event.type", "info");
    if (detection) {
      ev->Set("event.action", "detected");
      ev->Set("event.outcome", "success");
    } else {
      ev->Set("event.action", act.empty() ? std::string_view("action_taken") : act);
      std::string_view err = r.Val("Error Code");
      const bool failed = id == "1008" || id == "1118" || id == "1119" ||
                          (!err.empty() && err != "0x00000000" && err != "0");
      ev->Set("event.outcome", failed ? "failure" : "success");
    }
    return;
  }
  ev->Set("event.kind", "event");
  ev->Set("event.category", "configuration");
  ev->Set("event.type", "change");
  ev->Set("event.outcome", "success");
  std::string_view act = "defender-event";
  if (id == "5001") act = "realtime_protection_disabled";
  else if (id == "5000") act = "realtime_protection_enabled";
  else if (id == "5004") act = "realtime_protection_config_changed";
  else if (id == "5007") act = "configuration_changed";
  else if (id == "5010") act = "antispyware_disabled";
  else if (id == "5012") act = "antivirus_disabled";
  else if (id == "5013") act = "tamper_protection_blocked";
  else if (id == "1000" || id == "1001" || id == "1002") {
    ev->Set("event.category", "malware");
    ev->Set("event.type", id == "1000" ? "start" : "end");
    act = id == "1000" ? "scan_started" : id == "1001" ? "scan_finished" : "scan_stopped";
  } else if (id == "2000" || id == "2001") {
    act = id == "2000" ? "signatures_updated" : "signature_update_failed";
    if (id == "2001") ev->Set("event.outcome", "failure");
  }
  ev->Set("event.action", act);
  SetUser(r.Val("User"), ev);
}

// ---------------------------------------------------------------- other channels
//! Any other Windows log (System, Application, Task Scheduler, WMI, ...): the common fields and
//! the raw EventData (winlog.event_data.*), so detection rules routed by channel and event id
//! see them as they see the four families.
void MapOtherWindows(const Record& r, Event* ev) {
  winevent::EmitCommon(r, {}, ev);
  ev->Set("event.dataset", "windows.event");
  ev->Set("event.module", "windows");
  ev->Set("event.kind", "event");
}

template <winevent::Family F, void (*Map)(const Record&, Event*)>
bool ParseFamily(Event* ev) {
  Record r;
  if (!winevent::ReadRecord(*ev, &r)) return false;
  if (winevent::FamilyOf(r.provider, r.channel) != F) return false;
  Map(r, ev);
  return true;
}

template <winevent::Family F>
bool ClaimsFamily(const Event& ev) {
  return winevent::FamilyOf(winevent::JsonProvider(ev), winevent::JsonChannel(ev)) == F;
}

}  // namespace

bool LooksLikeWindowsEventXml(std::string_view message) { return winevent::LooksLikeEventXml(message); }

bool ParsePowerShell(Event* ev) { return ParseFamily<winevent::Family::kPowerShell, MapPowerShell>(ev); }
bool ClaimsPowerShellJson(const Event& ev) { return ClaimsFamily<winevent::Family::kPowerShell>(ev); }
bool ParseWindowsDefender(Event* ev) { return ParseFamily<winevent::Family::kDefender, MapDefender>(ev); }
bool ClaimsWindowsDefenderJson(const Event& ev) { return ClaimsFamily<winevent::Family::kDefender>(ev); }
bool ParseOtherWindows(Event* ev) { return ParseFamily<winevent::Family::kOther, MapOtherWindows>(ev); }
bool ClaimsOtherWindowsJson(const Event& ev) {
  winevent::Record r;
  return ClaimsFamily<winevent::Family::kOther>(ev) && winevent::FromJsonEvent(ev, &r);
}

void RegisterWindowsParsers(ParserRegistry* registry) {
  registry->Register({"sysmon", {"sysmon"}, &LooksLikeWindowsEventXml, &ParseSysmon, &ClaimsSysmonJson});
  registry->Register({"auth.windows_security", {}, &LooksLikeWindowsEventXml, &ParseWindowsSecurity,
                      &ClaimsWindowsSecurityJson});
  registry->Register({"powershell", {}, &LooksLikeWindowsEventXml, &ParsePowerShell, &ClaimsPowerShellJson});
  registry->Register({"antivirus.windows_defender", {}, &LooksLikeWindowsEventXml, &ParseWindowsDefender,
                      &ClaimsWindowsDefenderJson});
  registry->Register({"windows.event", {}, &LooksLikeWindowsEventXml, &ParseOtherWindows, &ClaimsOtherWindowsJson});
}

}  // namespace kamatama
