// parsers/sysmon.cc
//! Sysmon (Windows and Linux) events to ECS. One table gives each event id its dataset suffix
//! (also event.action), category and type; the field mapping is shared by all ids and keyed
//! on the EventData names, which Sysmon keeps stable across event ids.
#include <string>

#include "core/tokenize.h"
#include "parsers/winevent.h"
#include "parsers/windows.h"

namespace kamatama {

namespace {

using winevent::Record;
using winevent::SetIf;

struct SysmonKind {
  int id;
  std::string_view name;  //!< dataset suffix and event.action
  std::string_view category;
  std::string_view type;
};

constexpr SysmonKind kKinds[] = {
    {1, "process_create", "process", "start"},
    {2, "file_create_time", "file", "change"},
    {3, "network_connection", "network", "connection"},
    {4, "service_state_change", "process", "change"},
    {5, "process_terminate", "process", "end"},
    {6, "driver_load", "driver", "start"},
    {7, "image_load", "process", "change"},
    {8, "create_remote_thread", "process", "change"},
    {9, "raw_access_read", "file", "access"},
    {10, "process_access", "process", "access"},
    {11, "file_create", "file", "creation"},
    {12, "registry_create_delete", "registry", "change"},
    {13, "registry_value_set", "registry", "change"},
    {14, "registry_rename", "registry", "change"},
    {15, "file_create_stream_hash", "file", "creation"},
    {16, "config_change", "configuration", "change"},
    {17, "pipe_created", "file", "creation"},
    {18, "pipe_connected", "file", "access"},
    {19, "wmi_event_filter", "configuration", "creation"},
    {20, "wmi_event_consumer", "configuration", "creation"},
    {21, "wmi_event_consumer_to_filter", "configuration", "creation"},
    {22, "dns_query", "network", "protocol"},
    {23, "file_delete", "file", "deletion"},
    {24, "clipboard_change", "host", "change"},
    {25, "process_tampering", "process", "change"},
    {26, "file_delete_detected", "file", "deletion"},
    {27, "file_block_executable", "file", "creation"},
    {28, "file_block_shredding", "file", "deletion"},
    {29, "file_executable_detected", "file", "creation"},
    {255, "error", "host", "info"},
};

const SysmonKind* KindOf(std::string_view id) {
  int v = 0;
  if (!winevent::IsSmallNumber(id) || id.size() > 4) return nullptr;
  for (char c : id) v = v * 10 + (c - '0');
  for (const auto& k : kKinds) {
    if (k.id == v) return &k;
  }
  return nullptr;
}

void SetPath(Event* ev, std::string_view prefix, std::string_view path) {
  if (path.empty()) return;
  std::string name(prefix);
  const size_t base = name.size();
  ev->Set(name.append(".path"), path);
  std::string_view file = winevent::BaseName(path);
  name.resize(base);
  SetIf(ev, name.append(".name"), file);
  if (file.size() < path.size()) {
    name.resize(base);
    ev->Set(name.append(".directory"), path.substr(0, path.size() - file.size() - 1));
  }
}

//! process.* (or process.parent.*, process.target.*) from Image/ProcessId/ProcessGuid-style
//! data names starting with `src` ("" , "Parent", "Source", "Target").
void SetProcess(const Record& r, Event* ev, std::string_view src, std::string_view dst) {
  std::string in(src), out(dst);
  const size_t ib = in.size(), ob = out.size();
  auto data = [&](std::string_view n) {
    in.resize(ib);
    return r.Val(in.append(n));
  };
  auto put = [&](std::string_view n, std::string_view v) {
    out.resize(ob);
    SetIf(ev, out.append(n), v);
  };
  std::string_view image = data("Image");
  put(".executable", image);
  put(".name", winevent::BaseName(image));
  std::string_view pid = data("ProcessId");
  if (winevent::IsSmallNumber(pid)) put(".pid", pid);
  put(".entity_id", data("ProcessGuid"));
  put(".command_line", data("CommandLine"));
  if (src.empty()) put(".working_directory", data("CurrentDirectory"));
}

//! "SHA1=..,MD5=..,SHA256=..,IMPHASH=.." (or a single "SHA256=..") to <prefix>.hash.*.
void SetHashes(std::string_view hashes, Event* ev, std::string_view prefix) {
  while (!hashes.empty()) {
    size_t comma = hashes.find(',');
    std::string_view item = hashes.substr(0, comma);
    hashes = comma == std::string_view::npos ? std::string_view() : hashes.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view algo = item.substr(0, eq), value = item.substr(eq + 1);
    std::string name(prefix);
    if (EqualsIgnoreCase(algo, "SHA256")) name += ".hash.sha256";
    else if (EqualsIgnoreCase(algo, "SHA1")) name += ".hash.sha1";
    else if (EqualsIgnoreCase(algo, "MD5")) name += ".hash.md5";
    else if (EqualsIgnoreCase(algo, "IMPHASH")) name += ".pe.imphash";
    else continue;
    SetIf(ev, name, value);
  }
}

void SetUser(std::string_view v, Event* ev) {
  std::string_view domain, user;
  winevent::SplitDomainUser(v, &domain, &user);
  SetIf(ev, "user.name", user);
  SetIf(ev, "user.domain", domain);
}

void SetRegistry(std::string_view path, bool has_value, Event* ev) {
  if (path.empty()) return;
  ev->Set("registry.path", path);
  struct Hive {
    std::string_view prefix, name;
  };
  static constexpr Hive kHives[] = {
      {"HKLM\\", "HKLM"}, {"HKU\\", "HKU"}, {"HKCU\\", "HKCU"}, {"HKCR\\", "HKCR"}, {"HKCC\\", "HKCC"},
      {"\\REGISTRY\\MACHINE\\", "HKLM"}, {"\\REGISTRY\\USER\\", "HKU"},
  };
  std::string_view rest = path;
  for (const auto& h : kHives) {
    if (rest.size() > h.prefix.size() && EqualsIgnoreCase(rest.substr(0, h.prefix.size()), h.prefix)) {
      ev->Set("registry.hive", h.name);
      rest.remove_prefix(h.prefix.size());
      break;
    }
  }
  if (has_value) {
    size_t k = rest.rfind('\\');
    if (k != std::string_view::npos) {
      SetIf(ev, "registry.value", rest.substr(k + 1));
      rest = rest.substr(0, k);
    }
  }
  SetIf(ev, "registry.key", rest);
}

//! A JSON array of strings (values are plain: names and addresses; '"' and '\' are escaped).
std::string JsonList(const std::vector<std::string_view>& items) {
  std::string out = "[";
  for (size_t k = 0; k < items.size(); ++k) {
    if (k) out.push_back(',');
    out.push_back('"');
    for (char c : items[k]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      if (static_cast<unsigned char>(c) < 0x20) continue;
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back(']');
  return out;
}

//! Sysmon 22 QueryResults: "type:  5 cname.example;::ffff:1.2.3.4;1.2.3.5;".
void SetDnsAnswers(std::string_view results, Event* ev) {
  std::vector<std::string_view> answers, ips;
  while (!results.empty() && answers.size() < 64) {
    size_t semi = results.find(';');
    std::string_view item = results.substr(0, semi);
    results = semi == std::string_view::npos ? std::string_view() : results.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    if (item.substr(0, 5) == "type:") {  // "type:  5 name": the record type, then its data
      item.remove_prefix(5);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      size_t sp = item.find(' ');
      if (sp == std::string_view::npos) continue;
      item.remove_prefix(sp + 1);
      if (!item.empty()) answers.push_back(item);
      continue;
    }
    if (item.substr(0, 7) == "::ffff:" && winevent::IsIp(item.substr(7))) item.remove_prefix(7);
    answers.push_back(item);
    if (winevent::IsIp(item)) ips.push_back(item);
  }
  if (!answers.empty()) ev->Set("dns.answers", JsonList(answers));
  if (!ips.empty()) ev->Set("dns.resolved_ip", JsonList(ips));
}

void MapSysmon(const Record& r, Event* ev) {
  const SysmonKind* kind = KindOf(r.event_id);
  const bool is_linux = EqualsIgnoreCase(r.provider, "Linux-Sysmon") ||
                        EqualsIgnoreCase(r.channel, "Linux-Sysmon/Operational");
  winevent::EmitCommon(r, r.Val("UtcTime"), ev);
  std::string dataset = "sysmon.";
  dataset += kind ? kind->name : "other";
  ev->Set("event.dataset", dataset);
  ev->Set("event.module", "sysmon");
  ev->Set("event.kind", "event");
  ev->Set("event.category", kind ? kind->category : "host");
  std::string_view type = kind ? kind->type : "info";
  ev->Set("event.action", kind ? kind->name : "other");
  ev->Set("event.outcome", kind && (kind->id == 27 || kind->id == 28) ? "failure" : "success");
  if (is_linux) ev->Set("host.os.type", "linux");
  const int id = kind ? kind->id : 0;
  if (!kind) ev->Set(field::kErrorMessage, "unknown Sysmon event id " + r.event_id);

  SetIf(ev, "rule.name", r.Val("RuleName"));
  if (id == 8 || id == 10) {
    SetProcess(r, ev, "Source", "process");
    SetProcess(r, ev, "Target", "process.target");
    SetIf(ev, "process.thread.id", r.Val("SourceThreadId"));
    SetUser(r.Val("SourceUser"), ev);
  } else {
    SetProcess(r, ev, "", "process");
    SetProcess(r, ev, "Parent", "process.parent");
    SetUser(r.Val("User"), ev);
  }
  std::string_view hashes = r.Val("Hashes");
  if (hashes.empty()) hashes = r.Val("Hash");
  if (!hashes.empty()) SetHashes(hashes, ev, id == 1 ? "process" : "file");

  switch (id) {
    case 3: {
      std::string_view sip = r.Val("SourceIp"), dip = r.Val("DestinationIp");
      if (winevent::IsIp(sip)) ev->Set("source.ip", sip);
      if (winevent::IsIp(dip)) ev->Set("destination.ip", dip);
      std::string_view sport = r.Val("SourcePort"), dport = r.Val("DestinationPort");
      if (winevent::IsSmallNumber(sport)) ev->Set("source.port", sport);
      if (winevent::IsSmallNumber(dport)) ev->Set("destination.port", dport);
      SetIf(ev, "source.domain", r.Val("SourceHostname"));
      SetIf(ev, "destination.domain", r.Val("DestinationHostname"));
      std::string proto(r.Val("Protocol"));
      for (char& c : proto) c = AsciiLower(c);
      SetIf(ev, "network.transport", proto);
      std::string_view initiated = r.Val("Initiated");
      if (EqualsIgnoreCase(initiated, "true")) ev->Set("network.direction", "egress");
      else if (EqualsIgnoreCase(initiated, "false")) ev->Set("network.direction", "ingress");
      std::string_view v6 = r.Val("SourceIsIpv6");
      if (!v6.empty()) ev->Set("network.type", EqualsIgnoreCase(v6, "true") ? "ipv6" : "ipv4");
      break;
    }
    case 6:
    case 7:
      SetPath(ev, "file", r.Val("ImageLoaded"));
      break;
    case 9:
      SetIf(ev, "file.path", r.Val("Device"));
      break;
    case 12:
    case 13:
    case 14: {
      std::string_view et = r.Val("EventType");
      const bool key_only = EqualsIgnoreCase(et, "CreateKey") || EqualsIgnoreCase(et, "DeleteKey") ||
                            EqualsIgnoreCase(et, "RenameKey");
      SetRegistry(r.Val("TargetObject"), !key_only, ev);
      if (id == 13) SetIf(ev, "registry.data.strings", r.Val("Details"));
      if (EqualsIgnoreCase(et, "CreateKey") || EqualsIgnoreCase(et, "CreateValue")) type = "creation";
      if (EqualsIgnoreCase(et, "DeleteKey") || EqualsIgnoreCase(et, "DeleteValue")) type = "deletion";
      break;
    }
    case 16:
      SetIf(ev, "file.path", r.Val("Configuration"));
      break;
    case 17:
    case 18:
      SetIf(ev, "file.name", r.Val("PipeName"));
      break;
    case 22: {
      SetIf(ev, "dns.question.name", r.Val("QueryName"));
      std::string_view status = r.Val("QueryStatus");
      struct Rcode {
        std::string_view status, rcode;
      };
      static constexpr Rcode kRcodes[] = {{"0", "NOERROR"},   {"9501", "NOERROR"}, {"9002", "SERVFAIL"},
                                          {"9003", "NXDOMAIN"}, {"9004", "NOTIMP"}, {"9005", "REFUSED"}};
      for (const auto& rc : kRcodes) {
        if (status == rc.status) ev->Set("dns.response_code", rc.rcode);
      }
      if (!status.empty() && status != "0") ev->Set("event.outcome", "failure");
      SetDnsAnswers(r.Val("QueryResults"), ev);
      break;
    }
    default:
      break;
  }
  if (id == 2 || id == 11 || id == 15 || id == 23 || id == 26 || id == 27 || id == 28 || id == 29) {
    SetPath(ev, "file", r.Val("TargetFilename"));
  }
  ev->Set("event.type", type);
}

}  // namespace

bool ClaimsSysmonJson(const Event& ev) {
  return winevent::FamilyOf(winevent::JsonProvider(ev), winevent::JsonChannel(ev)) == winevent::Family::kSysmon;
}

bool ParseSysmon(Event* ev) {
  Record r;
  if (!winevent::ReadRecord(*ev, &r)) return false;
  if (winevent::FamilyOf(r.provider, r.channel) != winevent::Family::kSysmon) return false;
  MapSysmon(r, ev);
  return true;
}

}  // namespace kamatama
