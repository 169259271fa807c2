// parsers/windows_security.cc
//! The Windows Security log to ECS. event.action names follow Winlogbeat's security module
//! (which Wazuh's engine ruleset copies), so rules written for either read the same values.
#include <charconv>
#include <cstdint>
#include <string>

#include "core/tokenize.h"
#include "parsers/winevent.h"
#include "parsers/windows.h"

namespace kamatama {

namespace {

using winevent::Record;
using winevent::SetIf;

//! Who `user.*` is for an event id.
enum class Who : uint8_t {
  kSubject,  //!< user = Subject*, user.target = Target* (account management, most events)
  kTarget,   //!< user = Target* (logon/logoff, Kerberos, NTLM: the account authenticating)
  kAccount,  //!< user = AccountName/AccountDomain (4778/4779)
  kGroup,    //!< user = Subject*, group = Target*, user.target = Member*
};

struct SecurityKind {
  int id;
  std::string_view action, category, type;
  Who who;
};

constexpr SecurityKind kKinds[] = {
    {1100, "logging-service-shutdown", "process", "end", Who::kSubject},
    {1102, "audit-log-cleared", "iam", "admin", Who::kSubject},
    {1104, "logging-full", "iam", "admin", Who::kSubject},
    {1105, "auditlog-archieved", "iam", "admin", Who::kSubject},
    {1108, "logging-processing-error", "iam", "admin", Who::kSubject},
    {4608, "windows-started", "host", "start", Who::kSubject},
    {4609, "windows-shutdown", "host", "end", Who::kSubject},
    {4624, "logged-in", "authentication", "start", Who::kTarget},
    {4625, "logon-failed", "authentication", "start", Who::kTarget},
    {4627, "group-membership-information", "iam", "group", Who::kTarget},
    {4634, "logged-out", "authentication", "end", Who::kTarget},
    {4647, "logged-out", "authentication", "end", Who::kTarget},
    {4648, "logged-in-explicit", "authentication", "start", Who::kSubject},
    {4656, "object-handle-requested", "file", "access", Who::kSubject},
    {4658, "object-handle-closed", "file", "access", Who::kSubject},
    {4662, "object-operation-performed", "iam", "admin", Who::kSubject},
    {4663, "object-access-attempted", "file", "access", Who::kSubject},
    {4670, "permissions-changed", "iam", "admin", Who::kSubject},
    {4672, "logged-in-special", "iam", "admin", Who::kSubject},
    {4673, "privileged-service-called", "iam", "admin", Who::kSubject},
    {4674, "privileged-operation", "iam", "admin", Who::kSubject},
    {4688, "created-process", "process", "start", Who::kSubject},
    {4689, "exited-process", "process", "end", Who::kSubject},
    {4690, "object-handle-duplicated", "file", "access", Who::kSubject},
    {4697, "service-installed", "iam", "admin", Who::kSubject},
    {4698, "scheduled-task-created", "iam", "creation", Who::kSubject},
    {4699, "scheduled-task-deleted", "iam", "deletion", Who::kSubject},
    {4700, "scheduled-task-enabled", "iam", "change", Who::kSubject},
    {4701, "scheduled-task-disabled", "iam", "change", Who::kSubject},
    {4702, "scheduled-task-updated", "iam", "change", Who::kSubject},
    {4706, "domain-trust-added", "configuration", "creation", Who::kSubject},
    {4707, "domain-trust-removed", "configuration", "deletion", Who::kSubject},
    {4713, "kerberos-policy-changed", "configuration", "change", Who::kSubject},
    {4716, "trusted-domain-information-changed", "configuration", "change", Who::kSubject},
    {4717, "system-security-access-granted", "iam", "admin", Who::kSubject},
    {4718, "system-security-access-removed", "iam", "admin", Who::kSubject},
    {4719, "changed-audit-config", "iam", "admin", Who::kSubject},
    {4720, "added-user-account", "iam", "creation", Who::kSubject},
    {4722, "enabled-user-account", "iam", "change", Who::kSubject},
    {4723, "changed-password", "iam", "change", Who::kSubject},
    {4724, "reset-password", "iam", "change", Who::kSubject},
    {4725, "disabled-user-account", "iam", "deletion", Who::kSubject},
    {4726, "deleted-user-account", "iam", "deletion", Who::kSubject},
    {4727, "added-group-account", "iam", "creation", Who::kGroup},
    {4728, "added-member-to-group", "iam", "change", Who::kGroup},
    {4729, "removed-member-from-group", "iam", "change", Who::kGroup},
    {4730, "deleted-group-account", "iam", "deletion", Who::kGroup},
    {4731, "added-group-account", "iam", "creation", Who::kGroup},
    {4732, "added-member-to-group", "iam", "change", Who::kGroup},
    {4733, "removed-member-from-group", "iam", "change", Who::kGroup},
    {4734, "deleted-group-account", "iam", "deletion", Who::kGroup},
    {4735, "modified-group-account", "iam", "change", Who::kGroup},
    {4737, "modified-group-account", "iam", "change", Who::kGroup},
    {4738, "modified-user-account", "iam", "change", Who::kSubject},
    {4739, "domain-policy-changed", "configuration", "change", Who::kSubject},
    {4740, "locked-out-user-account", "iam", "change", Who::kSubject},
    {4741, "added-computer-account", "iam", "creation", Who::kSubject},
    {4742, "changed-computer-account", "iam", "change", Who::kSubject},
    {4743, "deleted-computer-account", "iam", "deletion", Who::kSubject},
    {4744, "added-distribution-group-account", "iam", "creation", Who::kGroup},
    {4745, "changed-distribution-group-account", "iam", "change", Who::kGroup},
    {4746, "added-member-to-distribution-group", "iam", "change", Who::kGroup},
    {4747, "removed-member-from-distribution-group", "iam", "change", Who::kGroup},
    {4748, "deleted-distribution-group-account", "iam", "deletion", Who::kGroup},
    {4749, "added-distribution-group-account", "iam", "creation", Who::kGroup},
    {4750, "changed-distribution-group-account", "iam", "change", Who::kGroup},
    {4751, "added-member-to-distribution-group", "iam", "change", Who::kGroup},
    {4752, "removed-member-from-distribution-group", "iam", "change", Who::kGroup},
    {4753, "deleted-distribution-group-account", "iam", "deletion", Who::kGroup},
    {4754, "added-group-account", "iam", "creation", Who::kGroup},
    {4755, "modified-group-account", "iam", "change", Who::kGroup},
    {4756, "added-member-to-group", "iam", "change", Who::kGroup},
    {4757, "removed-member-from-group", "iam", "change", Who::kGroup},
    {4758, "deleted-group-account", "iam", "deletion", Who::kGroup},
    {4759, "added-distribution-group-account", "iam", "creation", Who::kGroup},
    {4760, "changed-distribution-group-account", "iam", "change", Who::kGroup},
    {4761, "added-member-to-distribution-group", "iam", "change", Who::kGroup},
    {4762, "removed-member-from-distribution-group", "iam", "change", Who::kGroup},
    {4763, "deleted-distribution-group-account", "iam", "deletion", Who::kGroup},
    {4764, "type-changed-group-account", "iam", "change", Who::kGroup},
    {4767, "unlocked-user-account", "iam", "change", Who::kSubject},
    {4768, "kerberos-authentication-ticket-requested", "authentication", "start", Who::kTarget},
    {4769, "kerberos-service-ticket-requested", "authentication", "start", Who::kTarget},
    {4770, "kerberos-service-ticket-renewed", "authentication", "start", Who::kTarget},
    {4771, "kerberos-preauth-failed", "authentication", "start", Who::kTarget},
    {4776, "credential-validated", "authentication", "start", Who::kTarget},
    {4778, "session-reconnected", "authentication", "start", Who::kAccount},
    {4779, "session-disconnected", "authentication", "end", Who::kAccount},
    {4781, "renamed-user-account", "iam", "change", Who::kSubject},
    {4798, "group-membership-enumerated", "iam", "info", Who::kSubject},
    {4799, "user-member-enumerated", "iam", "info", Who::kGroup},
    {4817, "object-audit-changed", "iam", "admin", Who::kSubject},
    {4902, "user-audit-policy-created", "iam", "admin", Who::kSubject},
    {4904, "security-event-source-added", "iam", "admin", Who::kSubject},
    {4905, "security-event-source-removed", "iam", "admin", Who::kSubject},
    {4906, "crash-on-audit-changed", "iam", "admin", Who::kSubject},
    {4907, "audit-setting-changed", "iam", "admin", Who::kSubject},
    {4964, "logged-in-special-group", "iam", "admin", Who::kTarget},
    {5136, "directory-service-object-modified", "iam", "admin", Who::kSubject},
    {5140, "network-share-object-accessed", "network", "access", Who::kSubject},
    {5145, "network-share-object-access-checked", "network", "access", Who::kSubject},
    {5152, "windows-firewall-packet-drop", "network", "denied", Who::kSubject},
    {5156, "windows-firewall-connection", "network", "allowed", Who::kSubject},
    {5157, "windows-firewall-packet-block", "network", "denied", Who::kSubject},
    {5158, "windows-firewall-bind-local-port", "network", "info", Who::kSubject},
};

const SecurityKind* KindOf(std::string_view id) {
  if (!winevent::IsSmallNumber(id) || id.size() > 5) return nullptr;
  int v = 0;
  for (char c : id) v = v * 10 + (c - '0');
  for (const auto& k : kKinds) {
    if (k.id == v) return &k;
  }
  return nullptr;
}

std::string_view LogonTypeName(std::string_view t) {
  static constexpr std::string_view kNames[] = {
      "System", "", "Interactive", "Network", "Batch", "Service", "Proxy", "Unlock", "NetworkCleartext",
      "NewCredentials", "RemoteInteractive", "CachedInteractive", "CachedRemoteInteractive", "CachedUnlock"};
  if (!winevent::IsSmallNumber(t) || t.size() > 2) return {};
  int v = t.size() == 1 ? t[0] - '0' : (t[0] - '0') * 10 + (t[1] - '0');
  return v < static_cast<int>(std::size(kNames)) ? kNames[v] : std::string_view();
}

//! "success"/"failure" from the audit keywords (hex mask, signed or unsigned decimal as NXLog
//! prints them, or Winlogbeat's names), "" if unknown.
std::string_view OutcomeOfKeywords(std::string_view kw) {
  if (FindIgnoreCase(kw, "Audit Failure") != std::string_view::npos) return "failure";
  if (FindIgnoreCase(kw, "Audit Success") != std::string_view::npos) return "success";
  uint64_t mask = 0;
  const char* end = kw.data() + kw.size();
  if (kw.size() > 2 && kw[0] == '0' && (kw[1] == 'x' || kw[1] == 'X')) {
    auto [p, ec] = std::from_chars(kw.data() + 2, end, mask, 16);
    if (ec != std::errc() || p != end) return {};
  } else if (!kw.empty() && kw[0] == '-') {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(kw.data(), end, v, 10);
    if (ec != std::errc() || p != end) return {};
    mask = static_cast<uint64_t>(v);
  } else {
    auto [p, ec] = std::from_chars(kw.data(), end, mask, 10);
    if (kw.empty() || ec != std::errc() || p != end) return {};
  }
  if (mask & 0x0010000000000000ULL) return "failure";
  if (mask & 0x0020000000000000ULL) return "success";
  return {};
}

//! The CN of a distinguished name ("CN=Administrator,CN=Users,DC=x" -> "Administrator").
std::string_view CommonName(std::string_view dn) {
  if (dn.size() < 3 || !EqualsIgnoreCase(dn.substr(0, 3), "CN=")) return dn;
  dn.remove_prefix(3);
  size_t k = 0;
  while (k < dn.size() && dn[k] != ',') k += (dn[k] == '\\' && k + 1 < dn.size()) ? 2 : 1;
  return dn.substr(0, k);
}

void SetUserFrom(const Record& r, Event* ev, std::string_view dst, std::string_view name,
                 std::string_view domain, std::string_view sid) {
  std::string out(dst);
  const size_t b = out.size();
  std::string_view n = r.Val(name);
  if (n.empty()) return;
  SetIf(ev, out.append(".name"), n);
  out.resize(b);
  SetIf(ev, out.append(".domain"), r.Val(domain));
  std::string_view id = r.Val(sid);
  if (id != "S-1-0-0") {
    out.resize(b);
    SetIf(ev, out.append(".id"), id);
  }
}

void SetProcessFrom(const Record& r, Event* ev, std::string_view dst, std::string_view image,
                    std::string_view pid) {
  std::string out(dst);
  const size_t b = out.size();
  std::string_view exe = r.Val(image);
  SetIf(ev, out.append(".executable"), exe);
  out.resize(b);
  SetIf(ev, out.append(".name"), winevent::BaseName(exe));
  std::string dec = winevent::DecimalOf(r.Val(pid));
  out.resize(b);
  if (!dec.empty() && !(dec == "0" && exe.empty())) ev->Set(out.append(".pid"), dec);
}

void MapSecurity(const Record& r, Event* ev) {
  const SecurityKind* kind = KindOf(r.event_id);
  winevent::EmitCommon(r, {}, ev);
  ev->Set("event.dataset", "auth.windows_security");
  ev->Set("event.module", "windows");
  ev->Set("event.kind", "event");
  ev->Set("event.category", kind ? kind->category : "host");
  ev->Set("event.type", kind ? kind->type : "info");
  ev->Set("event.action", kind ? std::string(kind->action)
                                : r.event_id.empty() ? std::string("security-event") : "security-event-" + r.event_id);
  const int id = kind ? kind->id : 0;
  const Who who = kind ? kind->who : Who::kSubject;

  // Outcome: the audit keywords when present, else what the event id and status say.
  std::string_view outcome = OutcomeOfKeywords(r.keywords);
  if (outcome.empty() && r.form == winevent::Form::kNxlog) {  // NXLog's EventType
    std::string_view type = r.Val("EventType");
    if (EqualsIgnoreCase(type, "AUDIT_FAILURE")) outcome = "failure";
    if (EqualsIgnoreCase(type, "AUDIT_SUCCESS")) outcome = "success";
  }
  if (outcome.empty()) {
    std::string_view status = r.Val("Status");
    if (id == 4625 || id == 4771 || id == 5152 || id == 5157) outcome = "failure";
    else if ((id == 4768 || id == 4769 || id == 4776) && !status.empty() && status != "0x0") outcome = "failure";
    else outcome = "success";
  }
  ev->Set("event.outcome", outcome);

  switch (who) {
    case Who::kTarget:
      SetUserFrom(r, ev, "user", "TargetUserName", "TargetDomainName", "TargetUserSid");
      if (!ev->Get("user.id")) SetIf(ev, "user.id", r.Val("TargetSid"));
      break;
    case Who::kAccount:
      SetUserFrom(r, ev, "user", "AccountName", "AccountDomain", "AccountSid");
      break;
    case Who::kGroup:
      SetUserFrom(r, ev, "user", "SubjectUserName", "SubjectDomainName", "SubjectUserSid");
      SetIf(ev, "group.name", r.Val("TargetUserName"));
      SetIf(ev, "group.domain", r.Val("TargetDomainName"));
      SetIf(ev, "group.id", r.Val("TargetSid"));
      SetIf(ev, "user.target.name", CommonName(r.Val("MemberName")));
      SetIf(ev, "user.target.id", r.Val("MemberSid"));
      break;
    case Who::kSubject:
      SetUserFrom(r, ev, "user", "SubjectUserName", "SubjectDomainName", "SubjectUserSid");
      if (id == 4648 || id == 4688) {
        SetUserFrom(r, ev, "user.effective", "TargetUserName", "TargetDomainName", "TargetUserSid");
      } else {
        SetUserFrom(r, ev, "user.target", "TargetUserName", "TargetDomainName", "TargetSid");
        if (!ev->Get("user.target.id")) SetIf(ev, "user.target.id", r.Val("TargetUserSid"));
      }
      if (id == 4781) SetIf(ev, "user.target.name", r.Val("OldTargetUserName"));
      break;
  }

  // Network origin.
  for (std::string_view k : {"IpAddress", "ClientAddress", "SourceAddress"}) {
    std::string_view ip = r.Val(k);
    if (winevent::IsIp(ip)) {
      ev->Set("source.ip", ip);
      break;
    }
  }
  for (std::string_view k : {"IpPort", "SourcePort"}) {
    std::string_view port = r.Val(k);
    if (winevent::IsSmallNumber(port)) {
      ev->Set("source.port", port);
      break;
    }
  }
  std::string_view dip = r.Val("DestAddress");
  if (winevent::IsIp(dip)) ev->Set("destination.ip", dip);
  if (std::string_view dport = r.Val("DestPort"); winevent::IsSmallNumber(dport)) ev->Set("destination.port", dport);
  for (std::string_view k : {"WorkstationName", "Workstation", "ClientName"}) {
    std::string_view ws = r.Val(k);
    if (!ws.empty()) {
      ev->Set("source.domain", ws);
      break;
    }
  }
  if (id >= 5152 && id <= 5158) {
    std::string_view proto = r.Val("Protocol");
    if (proto == "6") ev->Set("network.transport", "tcp");
    else if (proto == "17") ev->Set("network.transport", "udp");
    else if (proto == "1") ev->Set("network.transport", "icmp");
    SetIf(ev, "network.iana_number", proto);
  }

  // Processes.
  if (id == 4688) {
    SetProcessFrom(r, ev, "process", "NewProcessName", "NewProcessId");
    SetIf(ev, "process.command_line", r.Val("CommandLine"));
    SetProcessFrom(r, ev, "process.parent", "ParentProcessName", "ProcessId");
  } else if (id >= 5152 && id <= 5158) {
    SetProcessFrom(r, ev, "process", "Application", "ProcessID");
  } else {
    SetProcessFrom(r, ev, "process", "ProcessName", "ProcessId");
  }

  // Logon details.
  std::string_view logon_type = r.Val("LogonType");
  if (!logon_type.empty()) {
    std::string_view name = LogonTypeName(logon_type);
    ev->Set("winlog.logon.type", name.empty() ? logon_type : name);
  }
  std::string_view logon_id = r.Val("TargetLogonId");
  if (logon_id.empty()) logon_id = r.Val("SubjectLogonId");
  if (logon_id.empty()) logon_id = r.Val("LogonID");
  SetIf(ev, "winlog.logon.id", logon_id);
  std::string_view package = r.Val("AuthenticationPackageName");
  if (package.empty()) package = r.Val("PackageName");
  SetIf(ev, "winlog.logon.authentication_package", package);
  if (outcome == "failure") {
    SetIf(ev, "winlog.logon.failure.status", r.Val("Status"));
    SetIf(ev, "winlog.logon.failure.sub_status", r.Val("SubStatus"));
    SetIf(ev, "winlog.logon.failure.reason", r.Val("FailureReason"));
  }
  if (id >= 4768 && id <= 4771) SetIf(ev, "service.name", r.Val("ServiceName"));
  if (id == 4697) SetIf(ev, "service.name", r.Val("ServiceName"));
  if (id >= 4698 && id <= 4702) SetIf(ev, "winlog.task_name", r.Val("TaskName"));
  if (id == 4656 || id == 4658 || id == 4663 || id == 4690) {
    std::string_view object = r.Val("ObjectName");
    if (EqualsIgnoreCase(r.Val("ObjectType"), "File")) SetIf(ev, "file.path", object);
  }
}

}  // namespace

bool ClaimsWindowsSecurityJson(const Event& ev) {
  return winevent::FamilyOf(winevent::JsonProvider(ev), winevent::JsonChannel(ev)) == winevent::Family::kSecurity;
}

bool ParseWindowsSecurity(Event* ev) {
  Record r;
  if (!winevent::ReadRecord(*ev, &r)) return false;
  if (winevent::FamilyOf(r.provider, r.channel) != winevent::Family::kSecurity) return false;
  MapSecurity(r, ev);
  return true;
}

}  // namespace kamatama
