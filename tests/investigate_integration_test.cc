// tests/investigate_integration_test.cc
//! The investigation endpoints (issue 22) against the real binary: GET /api/v1/ip/owner over DHCP
//! lines of every server the parsers know (ISC, dnsmasq, Kea, Windows DHCP, DHCPv6), each address
//! leased to one machine and later to another, answered on both sides of the change, again after a
//! restart (the index rebuilt from the store), and by the hosts' own events where no lease says;
//! GET /api/v1/process/tree over ../shared/attack/empire_launcher_vbs as it came (NXLog JSON) and
//! converted here into event XML, Winlogbeat and Wazuh JSON; GET /api/v1/entity for an address, a
//! host, a user and a process. Expectations come from the lines written here and the data set's
//! README (explorer.exe -> wscript.exe launcher.vbs -> powershell.exe -enc -> 10.10.10.5:80).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;
using kmt_test::UrlEncode;

const std::string kEmpire =
    std::string(KMT_SOURCE_DIR) + "/../shared/attack/empire_launcher_vbs/empire_launcher_vbs_2020-09-04160940.json";
const char* kPowershell = "{860ba2e3-9f13-5f52-2703-000000000400}";
const char* kExplorer = "{860ba2e3-993f-5f52-8402-000000000400}";

// DHCP lines: every address goes to one client, then (after a release, or without one) to another.
const char* kDhcpLines[] = {
    // dnsmasq: WORKSTATION5 holds 172.18.39.5 (renewed), releases it; LAPTOP7 gets it two days later.
    "<30>1 2020-09-04T08:00:00Z dhcp01 dnsmasq-dhcp 812 - - DHCPACK(eth0) 172.18.39.5 00:15:5d:0a:27:05 WORKSTATION5",
    "<30>1 2020-09-04T20:00:00Z dhcp01 dnsmasq-dhcp 812 - - DHCPACK(eth0) 172.18.39.5 00:15:5d:0a:27:05 WORKSTATION5",
    "<30>1 2020-09-05T10:00:00Z dhcp01 dnsmasq-dhcp 812 - - DHCPRELEASE(eth0) 172.18.39.5 00:15:5d:0a:27:05 WORKSTATION5",
    "<30>1 2020-09-07T09:00:00Z dhcp01 dnsmasq-dhcp 812 - - DHCPACK(eth0) 172.18.39.5 00:15:5d:0a:27:99 LAPTOP7",
    // ISC: pc-a, then pc-b with no release in between.
    "<30>1 2020-09-10T08:00:00Z dhcp02 dhcpd 64305 - - DHCPACK on 10.9.0.7 to 4c:55:41:a0:fa:99 (pc-a) via eth0",
    "<30>1 2020-09-12T08:00:00Z dhcp02 dhcpd 64305 - - DHCPACK on 10.9.0.7 to 4c:55:41:a0:fa:aa (pc-b) via eth0",
    // Kea: a MAC and no host name; the name comes from nowhere, the MAC says who.
    "<30>1 2020-09-10T08:00:00Z kea01 kea-dhcp4 1234 - - INFO  [kea-dhcp4.leases/1234.139] DHCP4_LEASE_ALLOC "
    "[hwtype=1 00:0c:01:02:03:04], cid=[01:00:0c:01:02:03:04], tid=0x6b09d4f3: lease 192.0.2.5 has been allocated for 3600 seconds",
    "<30>1 2020-09-10T09:00:00Z kea01 kea-dhcp4 1234 - - DHCP4_RELEASE [hwtype=1 00:0c:01:02:03:04], cid=[no info], "
    "tid=0x5: address 192.0.2.5 was released properly.",
    // Windows DHCP audit log (no syslog header: the CSV time).
    "11,09/15/20,10:00:00,Renew,10.0.0.4,pc4.corp.example,AABBCCDDEEFF,,1,0,,,,,,,,,0",
    "12,09/16/20,10:00:00,Release,10.0.0.4,pc4.corp.example,AABBCCDDEEFF,,1,0,,,,,,,,,0",
    "10,09/16/20,12:00:00,Assign,10.0.0.4,pc5.corp.example,AABBCCDDEE00,,1,0,,,,,,,,,0",
    // DHCPv6 (dnsmasq): the client is its DUID.
    "<30>1 2020-09-10T08:00:00Z r dnsmasq-dhcp 1 - - DHCPREPLY(eth0) 2001:db8::5 00:01:00:01:2a:3b:4c:5d:00:11:22:33:44:55 pc6",
    "<30>1 2020-09-11T08:00:00Z r dnsmasq-dhcp 1 - - DHCPREPLY(eth0) 2001:db8::5 00:01:00:01:2a:3b:4c:5d:00:11:22:33:44:66 pc7",
};

// ---- logons (who) and Security 4688/4689 alone -------------------------------------------------
// NXLog's Windows JSON as in the empire data set (flat EventData keys beside the System ones).
std::string Nxlog(int event_id, const std::string& host, const std::string& time,
                  const std::vector<std::pair<std::string, std::string>>& data) {
  std::string s = "{\"EventID\":" + std::to_string(event_id) +
                  ",\"SourceName\":\"Microsoft-Windows-Security-Auditing\",\"Channel\":\"Security\",\"Hostname\":\"" + host +
                  "\",\"EventType\":\"AUDIT_SUCCESS\",\"@timestamp\":\"" + time + "\"";
  for (const auto& [k, v] : data) s += ",\"" + k + "\":\"" + v + "\"";
  return s + "}";
}

std::string Logon(const std::string& host, const std::string& time, const std::string& user, const std::string& id,
                  const std::string& type, const std::string& ip) {
  return Nxlog(4624, host, time, {{"SubjectUserSid", "S-1-5-18"}, {"SubjectUserName", "WORKSTATION5$"},
                                  {"SubjectLogonId", "0x3e7"}, {"TargetUserName", user}, {"TargetDomainName", "THESHIRE"},
                                  {"TargetLogonId", id}, {"LogonType", type}, {"IpAddress", ip}, {"IpPort", "0"},
                                  {"Category", "Logon"}});
}

std::string Logoff(int event_id, const std::string& host, const std::string& time, const std::string& user,
                   const std::string& id) {
  return Nxlog(event_id, host, time, {{"TargetUserName", user}, {"TargetDomainName", "THESHIRE"}, {"TargetLogonId", id},
                                      {"Category", "Logoff"}});
}

const std::string kWs5 = "WORKSTATION5.theshire.local";
const std::string kWsSec = "WS-SEC.theshire.local";  // Security auditing only: no Sysmon

std::vector<std::string> LogonLines() {
  return {
      Logon(kWs5, "2020-09-04T19:00:00.000Z", "admin2", "0x11111", "2", "127.0.0.1"),
      Logoff(4647, kWs5, "2020-09-04T19:30:00.000Z", "admin2", "0x11111"),
      Logoff(4634, kWs5, "2020-09-04T19:30:01.000Z", "admin2", "0x11111"),  // the same logoff told twice
      Logon(kWs5, "2020-09-04T20:01:00.000Z", "pgustavo", "0x2d5a4b", "10", "172.18.39.20"),
      Logoff(4634, kWs5, "2020-09-04T21:00:00.000Z", "pgustavo", "0x2d5a4b"),
      // The same logon id on another machine is another session.
      Logon("MORDORDC.theshire.local", "2020-09-04T20:02:00.000Z", "svc_backup", "0x2d5a4b", "3", "172.18.39.9"),
      Logon(kWsSec, "2020-09-04T20:01:30.000Z", "pgustavo", "0x2d5a4b", "10", "172.18.39.21"),
      // sshd: "Accepted" and "session opened" start one session, "session closed" and
      // "Disconnected" end it.
      "<38>1 2020-09-04T20:00:00Z web01 sshd 4242 - - Accepted publickey for alice from 203.0.113.9 port 50111 ssh2: RSA SHA256:abc",
      "<38>1 2020-09-04T20:00:01Z web01 sshd 4242 - - pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
      "<38>1 2020-09-04T20:40:00Z web01 sshd 4242 - - pam_unix(sshd:session): session closed for user alice",
      "<38>1 2020-09-04T20:40:00Z web01 sshd 4242 - - Disconnected from user alice 203.0.113.9 port 50111",
  };
}

// WORKSTATION5's real Security 4688/4689 events (and the 5156 of powershell.exe's connection)
// as another machine's, plus a later process reusing powershell.exe's pid 0x90c after it exited.
std::vector<std::string> SecurityOnlyLines() {
  std::vector<std::string> out;
  std::ifstream in(kEmpire);
  std::string line;
  const std::string from = "\"Hostname\":\"" + kWs5 + "\"", to = "\"Hostname\":\"" + kWsSec + "\"";
  while (std::getline(in, line)) {
    const bool process = line.find("\"EventID\":4688,") != std::string::npos || line.find("\"EventID\":4689,") != std::string::npos;
    const bool c2 = line.find("\"EventID\":5156,") != std::string::npos && line.find("\"DestAddress\":\"10.10.10.5\"") != std::string::npos;
    const size_t at = line.find(from);
    if ((!process && !c2) || at == std::string::npos) continue;
    out.push_back(line.replace(at, from.size(), to));
  }
  const std::vector<std::pair<std::string, std::string>> subject{
      {"SubjectUserName", "pgustavo"}, {"SubjectDomainName", "THESHIRE"}, {"SubjectLogonId", "0x2d5a4b"}, {"TargetLogonId", "0x0"}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> d) { d.insert(d.end(), subject.begin(), subject.end()); return d; };
  out.push_back(Nxlog(4689, kWsSec, "2020-09-04T20:20:00.000Z",
                      with({{"ProcessId", "0x90c"}, {"ProcessName", "C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe"}, {"Status", "0x0"}})));
  out.push_back(Nxlog(4688, kWsSec, "2020-09-04T20:30:00.000Z",
                      with({{"NewProcessId", "0x90c"}, {"NewProcessName", "C:\\\\Windows\\\\System32\\\\notepad.exe"},
                            {"ProcessId", "0x1660"}, {"ParentProcessName", "C:\\\\Windows\\\\explorer.exe"},
                            {"CommandLine", "notepad.exe"}})));
  out.push_back(Nxlog(4688, kWsSec, "2020-09-04T20:31:00.000Z",
                      with({{"NewProcessId", "0x1f00"}, {"NewProcessName", "C:\\\\Windows\\\\System32\\\\cmd.exe"},
                            {"ProcessId", "0x90c"}, {"ParentProcessName", "C:\\\\Windows\\\\System32\\\\notepad.exe"},
                            {"CommandLine", "cmd.exe /c dir"}})));
  return out;
}

// ---- one connection across sources ------------------------------------------------------------
// powershell.exe's connection 172.18.39.5:50699 -> 10.10.10.5:80 (Sysmon 3 at 20:09:59.621,
// Security 5156 at 20:10:01.628) as other sources saw it, each with its own clock: the firewall's
// 95 s fast, the proxy's 40 s slow, the IDS's 0.7 s slow. And the DNS answers before it.
const char* kJoinLines[] = {
    "<4>1 2020-09-04T20:11:34.700Z fw01 kernel - - - [12345.678] OUTBOUND IN=eth1 OUT=eth0 SRC=172.18.39.5 "
    "DST=10.10.10.5 LEN=52 TTL=127 PROTO=TCP SPT=50699 DPT=80 SYN",
    "1599250159.600    250 172.18.39.5 TCP_MISS/200 4521 GET http://10.10.10.5/news.php - HIER_DIRECT/10.10.10.5 text/html",
    "{\"timestamp\":\"2020-09-04T20:09:58.900000+0000\",\"flow_id\":1,\"event_type\":\"alert\",\"src_ip\":\"172.18.39.5\","
    "\"src_port\":50699,\"dest_ip\":\"10.10.10.5\",\"dest_port\":80,\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\","
    "\"signature_id\":2027512,\"signature\":\"ET TROJAN PowerShell Empire CnC\",\"severity\":1}}",
    // Another connection between the same addresses (another source port), and another client.
    "<4>1 2020-09-04T20:11:40.000Z fw01 kernel - - - [12351.2] OUTBOUND IN=eth1 OUT=eth0 SRC=172.18.39.5 "
    "DST=10.10.10.5 LEN=52 TTL=127 PROTO=TCP SPT=50700 DPT=80 SYN",
    "<4>1 2020-09-04T20:11:35.000Z fw01 kernel - - - [12346.0] OUTBOUND IN=eth1 OUT=eth0 SRC=172.18.39.77 "
    "DST=10.10.10.5 LEN=52 TTL=127 PROTO=TCP SPT=40000 DPT=80 SYN",
    // DNS: the client's own answer (Suricata EVE), the DNS server's reply (no client), another
    // client's older answer, and one after the connection.
    "{\"timestamp\":\"2020-09-04T20:09:49.000000+0000\",\"event_type\":\"dns\",\"src_ip\":\"172.18.39.5\",\"src_port\":53535,"
    "\"dest_ip\":\"172.18.38.5\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":1,"
    "\"rrname\":\"news.theshire-cdn.example\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\",\"answers\":[{\"rrname\":"
    "\"news.theshire-cdn.example\",\"rrtype\":\"A\",\"ttl\":300,\"rdata\":\"10.10.10.5\"}]}}",
    "<30>1 2020-09-04T20:09:50Z dns01 dnsmasq 900 - - reply news.theshire-cdn.example is 10.10.10.5",
    "{\"timestamp\":\"2020-09-04T19:00:00.000000+0000\",\"event_type\":\"dns\",\"src_ip\":\"172.18.39.77\",\"src_port\":5353,"
    "\"dest_ip\":\"172.18.38.5\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":2,"
    "\"rrname\":\"other.theshire-cdn.example\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\",\"answers\":[{\"rrname\":"
    "\"other.theshire-cdn.example\",\"rrtype\":\"A\",\"ttl\":300,\"rdata\":\"10.10.10.5\"}]}}",
    "<30>1 2020-09-04T20:30:00Z dns01 dnsmasq 900 - - reply late.theshire-cdn.example is 10.10.10.5",
};

struct OwnerCase {
  const char* ip;
  const char* at;
  const char* hostname;  // "" = nobody
  const char* mac;
  const char* method;
};

const OwnerCase kOwnerCases[] = {
    {"172.18.39.5", "2020-09-04T20:10:00Z", "WORKSTATION5", "00-15-5D-0A-27-05", "dhcp"},   // during the attack
    {"172.18.39.5", "2020-09-04T07:59:59Z", "", "", ""},                                    // before any lease or event
    {"172.18.39.5", "2020-09-05T11:00:00Z", "", "", ""},                                    // released: nobody
    {"172.18.39.5", "2020-09-07T09:00:01Z", "LAPTOP7", "00-15-5D-0A-27-99", "dhcp"},        // the later lease
    {"10.9.0.7", "2020-09-11T00:00:00Z", "pc-a", "4C-55-41-A0-FA-99", "dhcp"},
    {"10.9.0.7", "2020-09-12T08:00:00Z", "pc-b", "4C-55-41-A0-FA-AA", "dhcp"},
    {"192.0.2.5", "2020-09-10T08:30:00Z", "", "00-0C-01-02-03-04", "dhcp"},
    {"192.0.2.5", "2020-09-10T09:30:00Z", "", "", ""},
    {"10.0.0.4", "2020-09-16T09:59:00Z", "pc4.corp.example", "AA-BB-CC-DD-EE-FF", "dhcp"},
    {"10.0.0.4", "2020-09-16T11:00:00Z", "", "", ""},
    {"10.0.0.4", "2020-09-16T12:00:01Z", "pc5.corp.example", "AA-BB-CC-DD-EE-00", "dhcp"},
    {"2001:db8::5", "2020-09-10T12:00:00Z", "pc6", "", "dhcp"},
    {"2001:db8::5", "2020-09-11T12:00:00Z", "pc7", "", "dhcp"},
    // No DHCP for the domain controller's address: its own outbound Sysmon 3 events say.
    {"172.18.38.5", "2020-09-04T20:10:00Z", "MORDORDC.theshire.local", "", "host-events"},
};

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v)) return "";
  return std::string(v);
}
// The same of a member or item not checked yet ("" when it is missing).
std::string Str(simdjson::simdjson_result<simdjson::dom::element> e, const char* key) {
  simdjson::dom::element v;
  return e.get(v) ? "" : Str(v, key);
}

// ---- the empire events in the other Windows input forms ---------------------------------------

const char* kSysmonDataKeys[] = {
    "RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "FileVersion", "Description", "Product", "Company",
    "OriginalFileName", "CommandLine", "CurrentDirectory", "User", "LogonGuid", "LogonId", "TerminalSessionId",
    "IntegrityLevel", "Hashes", "ParentProcessGuid", "ParentProcessId", "ParentImage", "ParentCommandLine", "Protocol",
    "Initiated", "SourceIsIpv6", "SourceIp", "SourceHostname", "SourcePort", "DestinationIsIpv6", "DestinationIp",
    "DestinationHostname", "DestinationPort", "QueryName", "QueryStatus", "QueryResults", "TargetFilename"};

struct SysmonRecord {
  int64_t event_id = 0;
  std::string channel, utc_time;
  std::vector<std::pair<std::string, std::string>> data;
};

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out.push_back(c);
  }
  return out + "\"";
}

std::string XmlText(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out.push_back(c);
  }
  return out;
}

// The ProcessGuids of another machine: the same events, told apart from the NXLog ones.
std::string Rehost(std::string v, const std::string& prefix) {
  for (size_t p = 0; (p = v.find("860ba2e3", p)) != std::string::npos; p += 8) v.replace(p, 8, prefix);
  return v;
}

std::vector<SysmonRecord> EmpireSysmon() {
  std::vector<SysmonRecord> out;
  std::ifstream in(kEmpire);
  std::string line;
  simdjson::dom::parser p;
  while (std::getline(in, line)) {
    simdjson::dom::element e;
    if (p.parse(line).get(e)) continue;
    SysmonRecord r;
    r.channel = Str(e, "Channel");
    if (r.channel != "Microsoft-Windows-Sysmon/Operational" || Str(e, "Hostname") != "WORKSTATION5.theshire.local") continue;
    if (e["EventID"].get(r.event_id) || (r.event_id != 1 && r.event_id != 3 && r.event_id != 5 && r.event_id != 22 &&
                                          r.event_id != 11))
      continue;
    r.utc_time = Str(e, "UtcTime");
    for (const char* k : kSysmonDataKeys) {
      std::string v = Str(e, k);
      if (!v.empty()) r.data.emplace_back(k, v);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string AsXml(const SysmonRecord& r, const std::string& host, const std::string& prefix) {
  std::string s = "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider "
                  "Name=\"Microsoft-Windows-Sysmon\" Guid=\"{5770385f-c22a-43e0-bf4c-06f5698ffbd9}\"/><EventID>" +
                  std::to_string(r.event_id) + "</EventID><TimeCreated SystemTime=\"" + r.utc_time +
                  "\"/><Channel>" + r.channel + "</Channel><Computer>" + host + "</Computer></System><EventData>";
  for (const auto& [k, v] : r.data) s += "<Data Name=\"" + k + "\">" + XmlText(Rehost(v, prefix)) + "</Data>";
  return s + "</EventData></Event>";
}

std::string AsWinlogbeat(const SysmonRecord& r, const std::string& host, const std::string& prefix) {
  std::string s = "{\"@timestamp\":" + JsonString(r.utc_time.substr(0, 10) + "T" + r.utc_time.substr(11) + "Z") +
                  ",\"winlog\":{\"channel\":" + JsonString(r.channel) + ",\"event_id\":" + std::to_string(r.event_id) +
                  ",\"provider_name\":\"Microsoft-Windows-Sysmon\",\"computer_name\":" + JsonString(host) +
                  ",\"event_data\":{";
  for (size_t i = 0; i < r.data.size(); ++i) {
    s += (i ? "," : "") + JsonString(r.data[i].first) + ":" + JsonString(Rehost(r.data[i].second, prefix));
  }
  return s + "}}}";
}

// Wazuh: camelCase event data keys, backslashes doubled in values.
std::string AsWazuh(const SysmonRecord& r, const std::string& host, const std::string& prefix) {
  std::string s = "{\"win\":{\"system\":{\"providerName\":\"Microsoft-Windows-Sysmon\",\"eventID\":" +
                  JsonString(std::to_string(r.event_id)) + ",\"channel\":" + JsonString(r.channel) +
                  ",\"computer\":" + JsonString(host) + ",\"systemTime\":" +
                  JsonString(r.utc_time.substr(0, 10) + "T" + r.utc_time.substr(11) + "Z") + "},\"eventdata\":{";
  for (size_t i = 0; i < r.data.size(); ++i) {
    std::string key = r.data[i].first;
    key[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(key[0])));
    std::string v;
    for (char c : Rehost(r.data[i].second, prefix)) {
      v.push_back(c);
      if (c == '\\') v.push_back('\\');
    }
    s += (i ? "," : "") + JsonString(key) + ":" + JsonString(v);
  }
  return s + "}}}";
}

struct Form {
  const char* name;
  const char* host;    // as the events name it
  const char* prefix;  // of its ProcessGuids
  std::string (*convert)(const SysmonRecord&, const std::string&, const std::string&);
};

const Form kForms[] = {{"nxlog", "WORKSTATION5", "860ba2e3", nullptr},
                       {"xml", "WS-XML", "0000a001", &AsXml},
                       {"winlogbeat", "WS-BEAT", "0000a002", &AsWinlogbeat},
                       {"wazuh", "WS-WAZUH", "0000a003", &AsWazuh}};

class Investigate : public kmt_test::SharedServerTest {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kEmpire)) GTEST_SKIP() << "../shared/attack is not beside the checkout";
    StartSuiteServer();
    Ingest(kEmpire);
    std::string dhcp = *dir_ + "/dhcp.log";
    {
      std::ofstream out(dhcp);
      for (const char* l : kDhcpLines) out << l << "\n";
    }
    Ingest(dhcp);
    std::string who = *dir_ + "/who.log";
    {
      std::ofstream out(who);
      for (const std::string& l : LogonLines()) out << l << "\n";
      for (const std::string& l : SecurityOnlyLines()) out << l << "\n";
      for (const char* l : kJoinLines) out << l << "\n";
    }
    Ingest(who);
    auto records = EmpireSysmon();
    ASSERT_GE(records.size(), 10u);
    for (const Form& f : kForms) {
      if (!f.convert) continue;
      std::string path = *dir_ + "/" + f.name + ".log";
      std::ofstream out(path);
      for (const auto& r : records) out << f.convert(r, f.host, f.prefix) << "\n";
      out.close();
      Ingest(path);
    }
  }
  static void Ingest(const std::string& path) {
    int code = 0;
    std::string body = server_->Post("/api/v1/ingest", path, &code);
    ASSERT_EQ(code, 200) << body;
    ASSERT_NE(body.find("\"rejected\":0"), std::string::npos) << body;
  }
  static simdjson::dom::element GetJson(simdjson::dom::parser& p, const std::string& path, int want = 200) {
    int code = 0;
    static thread_local std::string body;
    body = server_->Get(path, &code);
    EXPECT_EQ(code, want) << path << ": " << body.substr(0, 400);
    simdjson::dom::element e;
    EXPECT_FALSE(p.parse(body).get(e)) << body.substr(0, 400);
    return e;
  }
  void CheckOwners(const char* when) {
    for (const OwnerCase& c : kOwnerCases) {
      simdjson::dom::parser p;
      auto e = GetJson(p, std::string("/api/v1/ip/owner?ip=") + UrlEncode(c.ip) + "&at=" + c.at);
      const std::string label = std::string(when) + " " + c.ip + " at " + c.at;
      bool found = false;
      ASSERT_FALSE(e["found"].get(found)) << label;
      const bool expect_found = *c.hostname || *c.mac;
      EXPECT_EQ(found, expect_found) << label;
      EXPECT_EQ(Str(e, "hostname"), c.hostname) << label;
      EXPECT_EQ(Str(e, "mac"), c.mac) << label;
      EXPECT_EQ(Str(e, "method"), c.method) << label;
      EXPECT_EQ(Str(e, "ip"), c.ip) << label;
      if (!found) continue;
      simdjson::dom::array evidence;
      ASSERT_FALSE(e["evidence"].get(evidence)) << label;
      EXPECT_GE(evidence.size(), 1u) << label;
      if (std::string(c.method) != "dhcp") continue;  // host events: from/to span the evidence
      const std::string at = std::string(c.at).substr(0, 19) + ".000Z";  // the answer's form
      EXPECT_LE(Str(e, "from"), at) << label;
      EXPECT_GT(Str(e, "to"), at) << label;
    }
  }
};

TEST_F(Investigate, IpOwnerByLeaseOnBothSidesOfEveryChangeAndAfterARestart) {
  CheckOwners("live");
  simdjson::dom::parser p;
  auto e = GetJson(p, "/api/v1/ip/owner?ip=172.18.39.5&at=2020-09-04T20:10:00Z");
  EXPECT_EQ(Str(e, "from"), "2020-09-04T08:00:00.000Z") << "the renewal extends the first ACK's tenure";
  EXPECT_EQ(Str(e, "to"), "2020-09-05T10:00:00.000Z") << "the release ends it";
  e = GetJson(p, "/api/v1/ip/owner?ip=10.9.0.7&at=2020-09-11T00:00:00Z");
  EXPECT_EQ(Str(e, "to"), "2020-09-12T08:00:00.000Z") << "the next client's ACK ends it";
  GetJson(p, "/api/v1/ip/owner?ip=10.0.0.4&at=yesterday-ish", 400);
  GetJson(p, "/api/v1/ip/owner", 400);
  // The index is rebuilt from the store at start-up.
  ASSERT_EQ(server_->Stop(), 0);
  server_->Start();
  EXPECT_NE(server_->log().find("investigate: 13 DHCP events read"), std::string::npos) << server_->log();
  CheckOwners("after restart");
}

TEST_F(Investigate, ProcessTreeFromEveryWindowsInputForm) {
  for (const Form& f : kForms) {
    simdjson::dom::parser p;
    const std::string ps = Rehost(kPowershell, f.prefix);
    auto e = GetJson(p, std::string("/api/v1/process/tree?host=") + f.host + "&entity_id=" + UrlEncode(ps));
    EXPECT_EQ(Str(e, "root"), Rehost(kExplorer, f.prefix)) << f.name;
    EXPECT_EQ(Str(e, "focus"), ps) << f.name;
    simdjson::dom::array nodes;
    ASSERT_FALSE(e["nodes"].get(nodes)) << f.name;
    std::map<std::string, simdjson::dom::element> by_name;
    std::map<std::string, std::string> name_of_id;
    for (auto n : nodes) {
      by_name[Str(n, "name")] = n;
      name_of_id[Str(n, "entity_id")] = Str(n, "name");
    }
    std::set<std::string> names;
    for (const auto& [k, v] : by_name) names.insert(k);
    EXPECT_EQ(names, (std::set<std::string>{"explorer.exe", "wscript.exe", "powershell.exe", "conhost.exe", "whoami.exe"}))
        << f.name;
    auto parent_name = [&](const char* child) { return name_of_id[Str(by_name[child], "parent_entity_id")]; };
    EXPECT_EQ(parent_name("wscript.exe"), "explorer.exe") << f.name;
    EXPECT_EQ(parent_name("powershell.exe"), "wscript.exe") << f.name;
    EXPECT_EQ(parent_name("whoami.exe"), "powershell.exe") << f.name;
    EXPECT_EQ(parent_name("conhost.exe"), "powershell.exe") << f.name;
    auto psn = by_name["powershell.exe"];
    EXPECT_EQ(Str(psn, "command_line_decoded").rfind("If($PSVERSiOnTaBlE.PSVErSIOn.MajOR -gE 3)", 0), 0u) << f.name;
    EXPECT_EQ(Str(psn, "user"), "THESHIRE\\pgustavo") << f.name;
    EXPECT_EQ(Str(psn, "logon_id"), "0x2d5a4b") << f.name << ": Sysmon 1 LogonId";
    if (std::string(f.name) == "nxlog") {
      // The 4624 written for WORKSTATION5 opened that logon: an RDP session from 172.18.39.20.
      EXPECT_EQ(Str(psn["logon"], "user"), "pgustavo");
      EXPECT_EQ(Str(psn["logon"], "logon_type"), "RemoteInteractive");
      EXPECT_EQ(Str(psn["logon"], "source_ip"), "172.18.39.20") << "not MORDORDC's session with the same id";
      EXPECT_EQ(Str(psn["logon"], "start"), "2020-09-04T20:01:00.000Z");
      EXPECT_EQ(Str(psn["logon"], "end"), "2020-09-04T21:00:00.000Z");
    } else {
      EXPECT_TRUE(psn["logon"].is_null()) << f.name << ": no 4624 on that machine";
    }
    EXPECT_NE(Str(by_name["wscript.exe"], "command_line").find("launcher.vbs"), std::string::npos) << f.name;
    bool seen = true;
    EXPECT_FALSE(by_name["explorer.exe"]["seen_start"].get(seen));
    EXPECT_FALSE(seen) << f.name << ": explorer.exe is known from its child only";
    EXPECT_EQ(Str(by_name["wscript.exe"], "end"), "2020-09-04T20:09:55.788Z") << f.name << ": Sysmon 5";
    simdjson::dom::array net;
    ASSERT_FALSE(psn["activity"]["network"].get(net)) << f.name;
    bool to_c2 = false;
    for (auto item : net) {
      std::string_view dst;
      if (!item["event"]["destination.ip"].get(dst) && dst == "10.10.10.5") to_c2 = true;
    }
    EXPECT_TRUE(to_c2) << f.name << ": powershell.exe's connection to 10.10.10.5";
    simdjson::dom::array dns;
    EXPECT_FALSE(psn["activity"]["dns"].get(dns)) << f.name;
    if (std::string(f.name) == "nxlog") {
      // PowerShell module logging (4103) is linked by pid and lifetime: only the NXLog form has it.
      uint64_t ps_events = 0;
      EXPECT_FALSE(psn["activity_counts"]["powershell"].get(ps_events));
      EXPECT_GE(ps_events, 80u);
    }
  }
  simdjson::dom::parser p;
  GetJson(p, "/api/v1/process/tree?entity_id=%7B00000000-0000-0000-0000-000000000000%7D", 404);
  GetJson(p, "/api/v1/process/tree?host=WS-XML&entity_id=" + UrlEncode(kPowershell), 404);  // another host's
}

TEST_F(Investigate, EntityPagesOfAnAddressAHostAUserAndAProcess) {
  simdjson::dom::parser p;
  auto ip = GetJson(p, "/api/v1/entity?type=ip&value=10.10.10.5&from=2020-09-01T00:00:00Z&to=2020-09-30T00:00:00Z");
  uint64_t total = 0;
  ASSERT_FALSE(ip["total"].get(total));
  // Sysmon 3 and Security 5156 of WORKSTATION5, the three converted Sysmon 3, WS-SEC's 5156, and
  // four of the join lines (three firewall lines and the proxy's; the IDS line has EVE's names).
  EXPECT_EQ(total, 10u);
  EXPECT_EQ(Str(ip, "first_seen"), "2020-09-04T20:09:19.600Z") << "the proxy, whose clock is 40 s slow";
  simdjson::dom::array related;
  ASSERT_FALSE(ip["related"].get(related));
  std::map<std::string, std::string> top;
  for (auto r : related) {
    simdjson::dom::array values;
    if (!r["top"].get(values) && values.size()) top[Str(r, "name")] = Str(values.at(0), "value");
  }
  EXPECT_EQ(top["sources"], "172.18.39.5");
  EXPECT_EQ(top["processes"], "powershell.exe");
  EXPECT_EQ(top["users"], "pgustavo");
  simdjson::dom::array timeline;
  ASSERT_FALSE(ip["timeline"].get(timeline));
  ASSERT_EQ(timeline.size(), 10u);
  bool sentence = false;
  for (auto t : timeline) {
    if (Str(t, "sentence") == "pgustavo's powershell.exe connected to 10.10.10.5:80 from 172.18.39.5:50699 on WORKSTATION5")
      sentence = true;
    std::string_view original;
    EXPECT_FALSE(t["event"]["event.original"].get(original)) << "the raw event is in the answer";
  }
  EXPECT_TRUE(sentence);

  auto host = GetJson(p, "/api/v1/entity?type=host&value=WORKSTATION5");
  ASSERT_FALSE(host["related"].get(related));
  top.clear();
  for (auto r : related) {
    simdjson::dom::array values;
    if (!r["top"].get(values) && values.size()) top[Str(r, "name")] = Str(values.at(0), "value");
  }
  EXPECT_EQ(top["users"], "pgustavo") << "the host's top user";
  uint64_t dhcp = 0;
  EXPECT_FALSE(host["datasets"]["dhcp.dnsmasq"].get(dhcp));
  EXPECT_EQ(dhcp, 3u) << "its own leases (by dhcp.client.hostname)";

  auto user = GetJson(p, "/api/v1/entity?type=user&value=pgustavo");
  ASSERT_FALSE(user["related"].get(related));
  std::set<std::string> hosts;
  for (auto r : related) {
    if (Str(r, "name") != "hosts") continue;
    simdjson::dom::array values;
    ASSERT_FALSE(r["top"].get(values));
    for (auto v : values) hosts.insert(Str(v, "value"));
  }
  EXPECT_EQ(hosts, (std::set<std::string>{"WORKSTATION5.theshire.local", "WS-XML", "WS-BEAT", "WS-WAZUH", kWsSec}));

  auto proc = GetJson(p, "/api/v1/entity?type=process&value=" + UrlEncode(kPowershell));
  ASSERT_FALSE(proc["timeline"].get(timeline));
  bool started = false;
  for (auto t : timeline) {
    if (Str(t, "sentence").rfind("pgustavo's wscript.exe started powershell.exe -noP -sta -w 1 -enc", 0) == 0) started = true;
  }
  EXPECT_TRUE(started);
  GetJson(p, "/api/v1/entity?type=planet&value=x", 400);
  GetJson(p, "/api/v1/entity?type=ip", 400);
}

// Who was logged on: sessions open at a time, on both sides of each logon and logoff.
TEST_F(Investigate, HostLogonsAtATimeFromWindowsAndSshdSessions) {
  struct Case {
    const char* host;
    const char* at;
    std::vector<std::string> users;  // sessions open then
  };
  const Case cases[] = {
      {"WORKSTATION5", "2020-09-04T18:59:59Z", {}},
      {"WORKSTATION5", "2020-09-04T19:15:00Z", {"admin2"}},
      {"WORKSTATION5", "2020-09-04T19:45:00Z", {}},
      {"WORKSTATION5", "2020-09-04T20:10:00Z", {"pgustavo"}},
      {"WORKSTATION5.theshire.local", "2020-09-04T20:59:59Z", {"pgustavo"}},
      {"WORKSTATION5", "2020-09-04T21:00:01Z", {}},
      {"MORDORDC", "2020-09-04T20:10:00Z", {"svc_backup"}},
      {"web01", "2020-09-04T20:30:00Z", {"alice"}},
      {"web01", "2020-09-04T20:40:01Z", {}},
  };
  for (const Case& c : cases) {
    simdjson::dom::parser p;
    auto e = GetJson(p, std::string("/api/v1/host/logons?host=") + c.host + "&at=" + c.at);
    simdjson::dom::array sessions;
    ASSERT_FALSE(e["sessions"].get(sessions)) << c.host << " " << c.at;
    std::vector<std::string> users;
    for (auto sess : sessions) users.push_back(Str(sess, "user"));
    EXPECT_EQ(users, c.users) << c.host << " at " << c.at;
  }
  simdjson::dom::parser p;
  auto e = GetJson(p, "/api/v1/host/logons?host=WORKSTATION5&at=2020-09-04T19:15:00Z");
  auto admin = e["sessions"].at(0);
  EXPECT_EQ(Str(admin, "logon_type"), "Interactive");
  EXPECT_EQ(Str(admin, "end"), "2020-09-04T19:30:00.000Z") << "4647 ends it; the 4634 a second later is the same logoff";
  e = GetJson(p, "/api/v1/host/logons?host=web01&at=2020-09-04T20:30:00Z");
  auto alice = e["sessions"].at(0);
  EXPECT_EQ(Str(alice, "source_ip"), "203.0.113.9");
  EXPECT_EQ(Str(alice, "start"), "2020-09-04T20:00:00.000Z");
  EXPECT_EQ(Str(alice, "end"), "2020-09-04T20:40:00.000Z");
  // A lookback shorter than the time since the logon does not see it.
  e = GetJson(p, "/api/v1/host/logons?host=WORKSTATION5&at=2020-09-04T20:10:00Z&lookback=5m");
  simdjson::dom::array none;
  ASSERT_FALSE(e["sessions"].get(none));
  EXPECT_EQ(none.size(), 0u);
  // The host's entity page lists its sessions, sshd ones too.
  e = GetJson(p, "/api/v1/entity?type=host&value=web01");
  simdjson::dom::array sessions;
  ASSERT_FALSE(e["sessions"].get(sessions));
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(Str(sessions.at(0), "user"), "alice");
  GetJson(p, "/api/v1/host/logons?at=2020-09-04T20:10:00Z", 400);
  GetJson(p, "/api/v1/host/logons?host=web01&lookback=forever", 400);
}

// The tree from Security 4688/4689 alone: ids from host + pid + start, hex pids, pid reuse.
TEST_F(Investigate, ProcessTreeFromSecurity4688Alone) {
  const uint64_t ps_pid = std::stoul("0x90c", nullptr, 16), explorer_pid = std::stoul("0x1660", nullptr, 16);
  auto tree = [&](simdjson::dom::parser& p, const std::string& at, std::map<std::string, simdjson::dom::element>* by_name,
                  std::map<std::string, std::string>* name_of_id) {
    auto e = GetJson(p, "/api/v1/process/tree?host=WS-SEC&pid=" + std::to_string(ps_pid) + "&at=" + at);
    simdjson::dom::array nodes;
    EXPECT_FALSE(e["nodes"].get(nodes)) << at;
    for (auto n : nodes) {
      (*by_name)[Str(n, "name")] = n;
      (*name_of_id)[Str(n, "entity_id")] = Str(n, "name");
    }
    return e;
  };
  simdjson::dom::parser p;
  std::map<std::string, simdjson::dom::element> by_name;
  std::map<std::string, std::string> name_of_id;
  auto e = tree(p, "2020-09-04T20:10:00Z", &by_name, &name_of_id);
  EXPECT_EQ(name_of_id[Str(e, "focus")], "powershell.exe");
  EXPECT_EQ(name_of_id[Str(e, "root")], "explorer.exe");
  std::set<std::string> names;
  for (const auto& [k, v] : by_name) names.insert(k);
  EXPECT_EQ(names, (std::set<std::string>{"explorer.exe", "wscript.exe", "powershell.exe", "conhost.exe", "whoami.exe"}))
      << "not notepad.exe nor cmd.exe, which came after powershell.exe's pid was reused";
  auto parent_name = [&](const char* child) { return name_of_id[Str(by_name[child], "parent_entity_id")]; };
  EXPECT_EQ(parent_name("wscript.exe"), "explorer.exe");
  EXPECT_EQ(parent_name("powershell.exe"), "wscript.exe");
  EXPECT_EQ(parent_name("whoami.exe"), "powershell.exe");
  EXPECT_EQ(parent_name("conhost.exe"), "powershell.exe");
  auto psn = by_name["powershell.exe"];
  EXPECT_EQ(Str(psn, "pid"), std::to_string(ps_pid)) << "NewProcessId 0x90c";
  EXPECT_EQ(Str(psn, "entity_id").rfind("pid:" + kWsSec + ":" + std::to_string(ps_pid) + ":", 0), 0u);
  EXPECT_EQ(Str(psn, "end"), "2020-09-04T20:20:00.000Z") << "its 4689";
  EXPECT_EQ(Str(by_name["wscript.exe"], "end"), "2020-09-04T20:09:57.097Z") << "the real 4689";
  EXPECT_EQ(Str(psn, "command_line_decoded").rfind("If($PSVERSiOnTaBlE.PSVErSIOn.MajOR -gE 3)", 0), 0u);
  EXPECT_EQ(Str(by_name["explorer.exe"], "pid"), std::to_string(explorer_pid));
  bool seen = true;
  EXPECT_FALSE(by_name["explorer.exe"]["seen_start"].get(seen));
  EXPECT_FALSE(seen) << "explorer.exe has no 4688: known from its child only";
  EXPECT_EQ(Str(psn["logon"], "source_ip"), "172.18.39.21") << "SubjectLogonId 0x2d5a4b -> WS-SEC's 4624";
  simdjson::dom::array net;
  ASSERT_FALSE(psn["activity"]["network"].get(net));
  ASSERT_EQ(net.size(), 1u);
  EXPECT_EQ(Str(net.at(0)["event"], "destination.ip"), "10.10.10.5") << "Security 5156 by pid and lifetime";
  // The same pid later: notepad.exe (20:30) and its child cmd.exe, not powershell.exe's children.
  by_name.clear();
  name_of_id.clear();
  e = tree(p, "2020-09-04T20:35:00Z", &by_name, &name_of_id);
  EXPECT_EQ(name_of_id[Str(e, "focus")], "notepad.exe");
  names.clear();
  for (const auto& [k, v] : by_name) names.insert(k);
  EXPECT_EQ(names, (std::set<std::string>{"explorer.exe", "notepad.exe", "cmd.exe"}));
  EXPECT_EQ(parent_name("cmd.exe"), "notepad.exe");
  EXPECT_TRUE(by_name["notepad.exe"]["activity"]["network"].error()) << "powershell.exe's 5156 is not notepad.exe's";
  // By id, as the answer gave it; a pid on a Sysmon host answers with the ProcessGuid.
  const std::string id = Str(psn, "entity_id");
  e = GetJson(p, "/api/v1/process/tree?entity_id=" + UrlEncode(id));
  EXPECT_EQ(Str(e, "focus"), id);
  e = GetJson(p, "/api/v1/process/tree?host=WORKSTATION5&pid=" + std::to_string(ps_pid) + "&at=2020-09-04T20:10:00Z");
  EXPECT_EQ(Str(e, "focus"), kPowershell);
  GetJson(p, "/api/v1/process/tree?host=WS-SEC&pid=" + std::to_string(ps_pid) + "&at=2020-09-04T20:00:00Z", 404);
  GetJson(p, "/api/v1/process/tree?entity_id=pid:WS-SEC.theshire.local:2316:1", 404);
  GetJson(p, "/api/v1/process/tree?pid=2316", 400);
}

// One connection across sources within a clock-skew tolerance, and the DNS answer before it.
TEST_F(Investigate, ConnectionAcrossSourcesWithSkewedClocksAndItsDnsAnswer) {
  simdjson::dom::parser p;
  const std::string base = "/api/v1/connection?src=172.18.39.5&dst=10.10.10.5&dport=80&at=2020-09-04T20:09:59.621Z";
  auto e = GetJson(p, base + "&sport=50699");
  simdjson::dom::array sightings;
  ASSERT_FALSE(e["sightings"].get(sightings));
  std::map<std::string, std::pair<std::string, double>> by_dataset;  // dataset -> match, offset
  for (auto sg : sightings) {
    double off = 0;
    EXPECT_FALSE(sg["offset_ms"].get(off));
    by_dataset[Str(sg, "dataset")] = {Str(sg, "match"), off};
  }
  const std::map<std::string, std::pair<std::string, double>> want = {
      {"sysmon.network_connection", {"5-tuple", 0}},
      {"auth.windows_security", {"5-tuple", 2007}},   // 5156 at 20:10:01.628
      {"firewall.iptables", {"5-tuple", 95079}},      // 95 s fast, the other source port left out
      {"proxy.squid", {"addresses", -40021}},         // 40 s slow; a proxy line names no ports
      {"syslog.json", {"5-tuple", -721}},             // the IDS (Suricata EVE alert)
  };
  EXPECT_EQ(by_dataset, want);
  double spread = 0;
  EXPECT_FALSE(e["spread_ms"].get(spread));
  EXPECT_EQ(spread, 95079 + 40021) << "from the proxy's time to the firewall's";
  // The host's view names the process (here also the converted copies on WS-XML ... claim the
  // same addresses): Sysmon 3's ProcessGuid and user rather than the 5156's pid alone.
  simdjson::dom::array processes;
  ASSERT_FALSE(e["processes"].get(processes));
  std::map<std::string, std::pair<std::string, std::string>> procs;  // host -> entity id, user
  for (auto pr : processes) procs[Str(pr, "host")] = {Str(pr, "entity_id"), Str(pr, "user")};
  EXPECT_EQ(procs[kWs5], std::make_pair(std::string(kPowershell), std::string("THESHIRE\\pgustavo")));
  EXPECT_EQ(procs[kWsSec].first, "") << "WS-SEC's 5156 names a pid only";
  EXPECT_EQ(procs.size(), 5u) << "WORKSTATION5, WS-SEC and the three converted forms";
  simdjson::dom::array dns;
  ASSERT_FALSE(e["dns"].get(dns));
  ASSERT_EQ(dns.size(), 3u) << "not the answer after the connection";
  EXPECT_EQ(Str(dns.at(0), "name"), "news.theshire-cdn.example");
  EXPECT_EQ(Str(dns.at(0), "dataset"), "dns.suricata");
  bool same = false;
  EXPECT_FALSE(dns.at(0)["same_client"].get(same));
  EXPECT_TRUE(same) << "the client's own lookup first";
  EXPECT_EQ(Str(dns.at(1), "dataset"), "dns.dnsmasq") << "then the newest";
  EXPECT_EQ(Str(dns.at(2), "name"), "other.theshire-cdn.example");

  // Without the source port: the other connection between the same addresses comes in too.
  e = GetJson(p, base);
  ASSERT_FALSE(e["sightings"].get(sightings));
  size_t firewall = 0;
  for (auto sg : sightings) firewall += Str(sg, "dataset") == "firewall.iptables";
  EXPECT_EQ(firewall, 2u);
  // A tolerance of 60 s leaves out the firewall (95 s ahead), keeps the proxy (40 s behind).
  e = GetJson(p, base + "&sport=50699&tolerance=60s");
  ASSERT_FALSE(e["sightings"].get(sightings));
  std::set<std::string> datasets;
  for (auto sg : sightings) datasets.insert(Str(sg, "dataset"));
  EXPECT_EQ(datasets, (std::set<std::string>{"sysmon.network_connection", "auth.windows_security", "proxy.squid",
                                             "syslog.json"}));
  double tolerance = 0;
  EXPECT_FALSE(e["tolerance_ms"].get(tolerance));
  EXPECT_EQ(tolerance, 60000);
  GetJson(p, "/api/v1/connection?src=172.18.39.5", 400);
  GetJson(p, base + "&tolerance=2y", 400);
  GetJson(p, "/api/v1/connection?src=172.18.39.5&dst=10.10.10.5&dport=http", 400);
}

}  // namespace
