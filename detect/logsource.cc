// detect/logsource.cc
#include "detect/logsource.h"

#include <algorithm>

namespace kamatama::detect {

namespace {

constexpr std::string_view kSysmonChannel = "microsoft-windows-sysmon/operational";
constexpr std::string_view kSysmonProvider = "microsoft-windows-sysmon";
constexpr std::string_view kLinuxSysmonChannel = "linux-sysmon/operational";

//! Sysmon event ids per Sigma category (SigmaHQ tests/thor.yml).
struct SysmonCategory {
  std::string_view category;
  std::vector<std::string_view> codes;
  std::vector<std::string_view> event_types;
};
const std::vector<SysmonCategory>& SysmonCategories() {
  static const std::vector<SysmonCategory> kTable = {
      {"process_creation", {"1"}, {}},
      {"file_change", {"2"}, {}},
      {"network_connection", {"3"}, {}},
      {"sysmon_status", {"4", "16"}, {}},
      {"process_termination", {"5"}, {}},
      {"driver_load", {"6"}, {}},
      {"image_load", {"7"}, {}},
      {"create_remote_thread", {"8"}, {}},
      {"raw_access_thread", {"9"}, {}},
      {"process_access", {"10"}, {}},
      {"file_event", {"11"}, {}},
      {"registry_event", {"12", "13", "14"}, {}},
      {"registry_add", {"12"}, {"CreateKey"}},
      {"registry_delete", {"12"}, {"DeleteKey", "DeleteValue"}},
      {"registry_set", {"13"}, {}},
      {"registry_rename", {"14"}, {}},
      {"create_stream_hash", {"15"}, {}},
      {"pipe_created", {"17", "18"}, {}},
      {"wmi_event", {"19", "20", "21"}, {}},
      {"dns_query", {"22"}, {}},
      {"file_delete", {"23"}, {}},
      {"clipboard_change", {"24"}, {}},
      {"process_tampering", {"25"}, {}},
      {"file_delete_detected", {"26"}, {}},
      {"file_block_executable", {"27"}, {}},
      {"file_block_shredding", {"28"}, {}},
      {"file_executable_detected", {"29"}, {}},
      {"sysmon_error", {"255"}, {}},
  };
  return kTable;
}

//! Windows service → channels (SigmaHQ tests/thor.yml), lowercase.
struct Service {
  std::string_view service;
  std::vector<std::string_view> channels;
};
const std::vector<Service>& WindowsServices() {
  static const std::vector<Service> kTable = {
      {"application", {"application"}},
      {"security", {"security"}},
      {"system", {"system"}},
      {"ntlm", {"microsoft-windows-ntlm/operational"}},
      {"sysmon", {kSysmonChannel}},
      {"powershell", {"microsoft-windows-powershell/operational", "powershellcore/operational"}},
      {"powershell-classic", {"windows powershell"}},
      {"taskscheduler", {"microsoft-windows-taskscheduler/operational"}},
      {"wmi", {"microsoft-windows-wmi-activity/operational"}},
      {"dhcp", {"microsoft-windows-dhcp-server/operational"}},
      {"printservice-admin", {"microsoft-windows-printservice/admin"}},
      {"smbclient-security", {"microsoft-windows-smbclient/security"}},
      {"smbclient-connectivity", {"microsoft-windows-smbclient/connectivity"}},
      {"smbserver-connectivity", {"microsoft-windows-smbserver/connectivity"}},
      {"printservice-operational", {"microsoft-windows-printservice/operational"}},
      {"terminalservices-localsessionmanager",
       {"microsoft-windows-terminalservices-localsessionmanager/operational"}},
      {"codeintegrity-operational", {"microsoft-windows-codeintegrity/operational"}},
      {"applocker",
       {"microsoft-windows-applocker/msi and script", "microsoft-windows-applocker/exe and dll",
        "microsoft-windows-applocker/packaged app-deployment", "microsoft-windows-applocker/packaged app-execution"}},
      {"msexchange-management", {"msexchange management"}},
      {"windefend", {"microsoft-windows-windows defender/operational"}},
      {"firewall-as", {"microsoft-windows-windows firewall with advanced security/firewall"}},
      {"bits-client", {"microsoft-windows-bits-client/operational"}},
      {"security-mitigations",
       {"microsoft-windows-security-mitigations/kernel mode", "microsoft-windows-security-mitigations/user mode"}},
      {"diagnosis-scripted", {"microsoft-windows-diagnosis-scripted/operational"}},
      {"shell-core", {"microsoft-windows-shell-core/operational"}},
      {"openssh", {"openssh/operational"}},
      {"ldap", {"microsoft-windows-ldap-client/debug"}},
      {"bitlocker", {"microsoft-windows-bitlocker/bitlocker management"}},
      {"vhdmp", {"microsoft-windows-vhdmp/operational"}},
      {"appxdeployment-server", {"microsoft-windows-appxdeploymentserver/operational"}},
      {"lsa-server", {"microsoft-windows-lsa/operational"}},
      {"appxpackaging-om", {"microsoft-windows-appxpackaging/operational"}},
      {"dns-client", {"microsoft-windows-dns client events/operational"}},
      {"appmodel-runtime", {"microsoft-windows-appmodel-runtime/admin"}},
      {"capi2", {"microsoft-windows-capi2/operational"}},
      {"certificateservicesclient-lifecycle-system",
       {"microsoft-windows-certificateservicesclient-lifecycle-system/operational"}},
      {"kernel-shimengine",
       {"microsoft-windows-kernel-shimengine/operational", "microsoft-windows-kernel-shimengine/diagnostic"}},
      {"application-experience",
       {"microsoft-windows-application-experience/program-telemetry",
        "microsoft-windows-application-experience/program-compatibility-assistant"}},
      {"ntfs", {"microsoft-windows-ntfs/operational"}},
      {"hyper-v-worker", {"microsoft-windows-hyper-v-worker"}},
      {"kernel-event-tracing", {"microsoft-windows-kernel-eventtracing"}},
      {"sense", {"microsoft-windows-sense/operational"}},
      {"servicebus-client", {"microsoft-servicebus-client/admin", "microsoft-servicebus-client/operational"}},
      {"iis-configuration", {"microsoft-iis-configuration/operational"}},
  };
  return kTable;
}

std::vector<std::string> Strings(const std::vector<std::string_view>& v) {
  return std::vector<std::string>(v.begin(), v.end());
}

RouteAlt ChannelAlt(std::vector<std::string> channels, std::vector<std::string> codes) {
  RouteAlt a;
  a.channels = std::move(channels);
  a.codes = std::move(codes);
  return a;
}

//! Sigma's Windows fields whose ECS field our Sysmon and Security 4688 parsing writes verbatim.
struct EcsField {
  std::string_view sigma, ecs;
};
constexpr EcsField kEcsProcessFields[] = {
    {"Image", "process.executable"},
    {"CommandLine", "process.command_line"},
    {"ParentImage", "process.parent.executable"},
    {"ParentCommandLine", "process.parent.command_line"},
};

//! System fields of every Windows event.
constexpr EcsField kWindowsSystemFields[] = {
    {"EventID", "event.code"},
    {"Channel", "winlog.channel"},
    {"Provider_Name", "event.provider"},
    {"Computer", "host.name"},
};

}  // namespace

Route RouteOf(const Logsource& ls) {
  Route r;
  const std::string& product = ls.product;
  const std::string& category = ls.category;
  const std::string& service = ls.service;
  if (product.empty() && category.empty() && service.empty()) return r;
  const bool windows = product == "windows" || (product.empty() && category == "antivirus");
  const bool linux_sysmon = product == "linux" && !category.empty() && service.empty();
  if (windows || linux_sysmon) {
    if (!category.empty()) {
      for (const SysmonCategory& c : SysmonCategories()) {
        if (c.category != category) continue;
        RouteAlt a = ChannelAlt({std::string(windows ? kSysmonChannel : kLinuxSysmonChannel)}, Strings(c.codes));
        if (windows) a.providers = {std::string(kSysmonProvider)};
        a.event_types = Strings(c.event_types);
        a.ecs_process_fields = true;
        r.alts.push_back(std::move(a));
        if (windows && category == "process_creation") {
          RouteAlt sec = ChannelAlt({"security"}, {"4688"});
          sec.providers = {"microsoft-windows-security-auditing"};
          sec.ecs_process_fields = true;
          r.alts.push_back(std::move(sec));
        }
        r.windows = true;
        break;
      }
    }
    if (windows && r.alts.empty()) {
      struct Ps {
        std::string_view category;
        std::vector<std::string_view> channels;
        std::string_view code;
      };
      static const Ps kPs[] = {
          {"ps_module", {"microsoft-windows-powershell/operational", "powershellcore/operational"}, "4103"},
          {"ps_script", {"microsoft-windows-powershell/operational", "powershellcore/operational"}, "4104"},
          {"ps_classic_start", {"windows powershell"}, "400"},
          {"ps_classic_provider_start", {"windows powershell"}, "600"},
          {"ps_classic_script", {"windows powershell"}, "800"},
      };
      for (const Ps& p : kPs) {
        if (p.category == category) r.alts.push_back(ChannelAlt(Strings(p.channels), {std::string(p.code)}));
      }
      if (category == "antivirus") {
        r.alts.push_back(ChannelAlt({"microsoft-windows-windows defender/operational"},
                                    {"1006", "1007", "1008", "1009", "1010", "1011", "1012", "1017", "1018",
                                     "1019", "1115", "1116"}));
      }
      if (r.alts.empty() && !service.empty()) {
        for (const Service& s : WindowsServices()) {
          if (s.service == service) r.alts.push_back(ChannelAlt(Strings(s.channels), {}));
        }
      }
      if (!r.alts.empty()) r.windows = true;
    }
    if (!r.alts.empty()) return r;
  }
  // No built-in route: the dataset convention.
  std::string dataset = product.empty() ? std::string() : product;
  for (const std::string* part : {&service, &category}) {
    if (part->empty()) continue;
    if (!dataset.empty()) dataset += '.';
    dataset += *part;
    break;
  }
  RouteAlt a;
  a.datasets.push_back(dataset);
  r.alts.push_back(std::move(a));
  r.windows = windows;
  return r;
}

uint32_t CompileRoute(query::QueryBuilder* b, const Route& route) {
  if (route.alts.empty()) return b->MatchAll();
  std::vector<uint32_t> alts;
  for (const RouteAlt& a : route.alts) {
    std::vector<uint32_t> all;
    std::vector<uint32_t> where;
    for (const std::string& c : a.channels) where.push_back(b->Equals("winlog.channel", c));
    for (const std::string& p : a.providers) where.push_back(b->Equals("event.provider", p));
    for (const std::string& d : a.datasets) {
      where.push_back(b->Equals("event.dataset", d));
      where.push_back(b->Glob("event.dataset", d + ".*"));
    }
    if (!where.empty()) all.push_back(b->Or(std::move(where)));
    if (!a.codes.empty()) {
      std::vector<uint32_t> codes;
      for (const std::string& c : a.codes) codes.push_back(b->Equals("event.code", c));
      all.push_back(b->Or(std::move(codes)));
    }
    if (!a.event_types.empty()) {
      std::vector<uint32_t> types;
      for (const std::string& t : a.event_types) types.push_back(b->Equals("winlog.event_data.EventType", t));
      all.push_back(b->Or(std::move(types)));
    }
    alts.push_back(b->And(std::move(all)));
  }
  return b->Or(std::move(alts));
}

std::string MapField(const Route& route, std::string_view sigma_field) {
  if (!route.windows) return std::string(sigma_field);
  for (const EcsField& f : kWindowsSystemFields) {
    if (f.sigma == sigma_field) return std::string(f.ecs);
  }
  const bool ecs = !route.alts.empty() &&
                   std::all_of(route.alts.begin(), route.alts.end(), [](const RouteAlt& a) { return a.ecs_process_fields; });
  if (ecs) {
    for (const EcsField& f : kEcsProcessFields) {
      if (f.sigma == sigma_field) return std::string(f.ecs);
    }
  }
  return "winlog.event_data." + std::string(sigma_field);
}

}  // namespace kamatama::detect
