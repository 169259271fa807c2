// tests/device_coverage_test.cc
//! Issue 23's proof that named devices never fall to syslog.generic, with the real binary: for
//! each device, its lines (every example of each shipped definition in parsers/defs, and the
//! device samples of ../shared/corpus) go through `kamatama parse --stats`, which must list no
//! syslog.* dataset and nothing "not understood"; then through `kamatama parse`, where every
//! event must have the device's dataset, event.category, event.action or event.outcome, and (on
//! every line, or the share kExceptions gives with its reason) one of the fields an analyst pivots
//! on: an address, a MAC, a user, a URL, a file, a DNS name or a mail address.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "corpus_util.h"
#include "parsers/declarative/parser_set.h"
#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kamatama::corpus::Lines;
using kamatama::corpus::Path;
using kamatama::corpus::WazuhLines;

struct Device {
  std::string name;
  std::string dataset;  //!< the prefix every line's event.dataset must have
  std::vector<std::string> lines;
  double entity_share = 1.0;  //!< the share of lines that must carry an entity field
};

const char* const kEntityFields[] = {"source.ip",    "destination.ip", "source.mac",         "user.name",
                                     "url.original", "url.domain",     "file.name",          "file.hash.sha256",
                                     "dns.question.name", "email.from.address", "client.ip", "host.ip"};

//! Devices whose lines may lack an entity field, and why (the share that must still have one).
struct Exception {
  const char* device;
  double entity_share;
  const char* why;
};
const Exception kExceptions[] = {
    {"opensmtpd", 0.8, "a failed-command line names only the SMTP session id"},
    {"Cisco ASA/FTD", 0.75, "system messages (module, failover, memory, license, crypto) name no address or user"},
    {"FortiGate", 0.95, "an HA cluster event (subtype=ha) names no address or user"},
    {"ESET", 0.0, "Wazuh's ESET lines are anonymised (XXXXX) and carry only UUIDs"},
    {"opensmtpd-smtp-in", 0.5, "failed-command and disconnect lines name only the SMTP session id"},
    {"openvpn-ldap", 0.5, "an LDAP bind failure names no user or address"},
    {"dovecot-service", 0.3, "start-up and fatal error lines name no user or address"},
    {"panos-system", 0.5, "system messages (updates, daemons, commits) often name no address or user"},
};

double EntityShare(const std::string& device, double otherwise) {
  for (const Exception& e : kExceptions) {
    if (device == e.device) return e.entity_share;
  }
  return otherwise;
}

//! One device per shipped definition, its lines the definition's own examples.
std::vector<Device> ShippedDevices() {
  std::shared_ptr<const kamatama::declarative::ParserSet> set;
  kamatama::declarative::LoadSummary summary;
  kamatama::declarative::LoadOptions opt;
  opt.shipped = true;
  EXPECT_TRUE(kamatama::declarative::LoadParserSet({}, &set, &summary, opt).ok());
  std::vector<Device> out;
  for (const auto& def : set->definitions()) {
    Device d{def.name, def.dataset, {}, EntityShare(def.name, 1.0)};
    for (const auto& ex : def.examples) d.lines.push_back(ex.line);
    out.push_back(std::move(d));
  }
  return out;
}

//! The named devices of the shared corpus (issue 23's commercial devices and appliances).
std::vector<Device> CorpusDevices() {
  struct Spec {
    const char* name;
    const char* dataset;
    std::vector<const char*> files;
  } specs[] = {
      {"Cisco ASA/FTD", "firewall.cisco_asa",
       {"firewall/cisco-asa/elastic-test-sample.log", "firewall/cisco-asa/wazuh-cisco_asa.ini", "firewall/cisco-asa/wazuh-pix.ini"}},
      {"FortiGate", "firewall.fortigate",
       {"firewall/fortigate-kv/wazuh-engine-fortinet-firewall_input.txt", "firewall/fortigate-kv/wazuh-fortigate.ini"}},
      {"Sophos XG web filter", "proxy.sophos_xg", {"proxy/sophos-xg-webfilter/wazuh-engine-sophos-cfilter_input.txt"}},
      {"Sophos XG anti-virus", "antivirus.sophos_xg", {"av/sophos-xg-antivirus/wazuh-engine-sophos-antivirus_input.txt"}},
      {"pfSense", "firewall.pfsense",
       {"firewall/pfsense-filterlog/crowdsec-pf-logs.log", "firewall/pfsense-filterlog/crowdsec-pfsense-rfc5424-filterlog.log"}},
      {"FortiAuthenticator", "auth.", {"auth/radius-fortiauthenticator/wazuh-fortiauth.ini"}},
      {"ESET", "antivirus.eset", {"av/eset-mcafee-syslog/wazuh-eset.ini"}},
      {"McAfee ePO", "antivirus.mcafee", {"av/eset-mcafee-syslog/wazuh-mcafee_epo.ini"}},
  };
  std::vector<Device> out;
  for (const Spec& s : specs) {
    Device d{s.name, s.dataset, {}, EntityShare(s.name, 1.0)};
    for (const char* rel : s.files) {
      const std::string path = Path(rel);
      if (path.empty()) return {};  // the corpus is not beside the checkout
      if (fs::path(path).extension() == ".ini") {
        for (auto& [section, line] : WazuhLines(path)) d.lines.push_back(line);
      } else {
        for (auto& line : Lines(path)) d.lines.push_back(line);
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

//! `kamatama parse [--stats] FILE` (stdout and stderr).
std::string ParseCmd(const std::string& file, bool stats) {
  int status = -1;
  std::string out = kmt_test::Shell(kmt_test::ShellQuote(KMT_BINARY) + " parse " + (stats ? "--stats " : "") +
                                        kmt_test::ShellQuote(file) + " 2>&1",
                                    &status);
  EXPECT_EQ(status, 0) << out;
  return out;
}

//! Checks one device through the binary; returns the share of its lines with an entity field.
double CheckDevice(const Device& d, const std::string& dir) {
  const std::string file = dir + "/device.log";
  {
    std::ofstream f(file, std::ios::trunc);
    for (const std::string& l : d.lines) f << l << '\n';
  }
  const std::string stats = ParseCmd(file, true);
  EXPECT_EQ(stats.find("syslog."), std::string::npos) << d.name << ":\n" << stats;
  const size_t row = stats.find("not understood by any source parser");
  EXPECT_NE(row, std::string::npos) << stats;
  if (row != std::string::npos) {
    EXPECT_EQ(std::stoul(stats.substr(row + 36)), 0u) << d.name << ":\n" << stats;
  }
  std::istringstream events(ParseCmd(file, false));
  simdjson::dom::parser p;
  size_t n = 0, with_entity = 0;
  for (std::string line; std::getline(events, line); ++n) {
    simdjson::dom::object ev;
    if (p.parse(line).get(ev)) {
      ADD_FAILURE() << d.name << ": not JSON: " << line;
      continue;
    }
    std::string_view ds;
    EXPECT_FALSE(ev["event.dataset"].get(ds)) << d.name << ": " << line;
    EXPECT_EQ(ds.rfind(d.dataset, 0), 0u) << d.name << ": " << ds << ": " << d.lines[n];
    EXPECT_FALSE(ev["event.category"].error()) << d.name << ": no event.category: " << d.lines[n];
    EXPECT_TRUE(!ev["event.action"].error() || !ev["event.outcome"].error())
        << d.name << ": no event.action or event.outcome: " << d.lines[n];
    bool entity = false;
    for (const char* f : kEntityFields) entity = entity || !ev[f].error();
    if (entity) ++with_entity;
    else if (d.entity_share >= 1.0) ADD_FAILURE() << d.name << ": no address, user, URL or file: " << d.lines[n];
    else std::printf("  %s: no entity field: %.120s\n", d.name.c_str(), d.lines[n].c_str());
  }
  EXPECT_EQ(n, d.lines.size()) << d.name;
  const double share = n ? 1.0 * with_entity / n : 0;
  std::printf("%-28s %5zu lines, %5.1f%% with an entity field\n", d.name.c_str(), n, 100.0 * share);
  return share;
}

TEST(DeviceCoverage, ShippedDefinitionsExamplesNeverFallToGeneric) {
  const std::string dir = kmt_test::TempDir("device_coverage_shipped");
  const std::vector<Device> devices = ShippedDevices();
  EXPECT_GE(devices.size(), 25u);
  for (const Device& d : devices) {
    EXPECT_GE(d.lines.size(), 1u) << d.name << " has no example";
    CheckDevice(d, dir);
  }
  fs::remove_all(dir);
}

TEST(DeviceCoverage, CorpusDeviceSamplesNeverFallToGeneric) {
  const std::vector<Device> devices = CorpusDevices();
  if (devices.empty()) GTEST_SKIP() << "the shared corpus is not beside the checkout";
  const std::string dir = kmt_test::TempDir("device_coverage_corpus");
  for (const Device& d : devices) {
    EXPECT_GE(d.lines.size(), 1u) << d.name;
    EXPECT_GE(CheckDevice(d, dir), d.entity_share) << d.name;
  }
  fs::remove_all(dir);
}

//! The fields of each line of `lines` through `kamatama parse` (numbers as their text).
std::vector<std::map<std::string, std::string>> ParsedFields(const std::vector<std::string>& lines) {
  const std::string dir = kmt_test::TempDir("device_coverage_fields");
  {
    std::ofstream f(dir + "/lines.log");
    for (const std::string& l : lines) f << l << '\n';
  }
  std::istringstream events(ParseCmd(dir + "/lines.log", false));
  fs::remove_all(dir);
  std::vector<std::map<std::string, std::string>> out;
  simdjson::dom::parser p;
  for (std::string line; std::getline(events, line);) {
    simdjson::dom::object ev;
    if (p.parse(line).get(ev)) continue;
    auto& fields = out.emplace_back();
    for (auto [key, value] : ev) {
      std::string_view text;
      int64_t n = 0;
      if (!value.get(text)) fields[std::string(key)] = std::string(text);
      else if (!value.get(n)) fields[std::string(key)] = std::to_string(n);
    }
  }
  return out;
}

struct Want {
  const char* line;
  std::vector<std::pair<const char*, const char*>> fields;  //!< "" for a field that must be absent
};

//! Hand-written lines of the formats issue 23's peers disagreed on (shapes of the public samples,
//! our own values), each with the ECS fields it must give.
const Want kWants[] = {
    // PAN-OS 10 system log: the time from the high-resolution timestamp with its offset.
    {"<14>Dec  7 09:31:00 PA-5220 1,2026/12/07 09:31:00,012801096515,SYSTEM,general,2816,2026/12/07 09:31:00,,general,,0,0,"
     "general,informational,\"Connection to Update server closed\",7286123782408765901,0x0,0,0,0,0,,PA-5220,0,0,"
     "2026-12-07T09:31:00.125-08:00",
     {{"@timestamp", "2026-12-07T17:31:00.125Z"}, {"event.code", "general"}, {"log.level", "informational"},
      {"observer.hostname", "PA-5220"}, {"event.category", "configuration"}}},
    // GlobalProtect: the tunnel address is the source, the public one its NAT; DOMAIN\user split.
    {"<14>Dec  7 09:42:00 PA-5220 1,2026/12/07 09:42:00,012801096515,GLOBALPROTECT,0,2305,2026/12/07 09:42:00,vsys1,"
     "gateway-hip-check,host-info,,,EXAMPLE\\gina,JP,PC3001,198.51.100.42,0.0.0.0,10.30.0.13,0.0.0.0,"
     "7d01b5aa-0000-4000-8000-000000000001,SERIAL2,6.2.1,Windows,\"Windows 11, 64-bit\",1,,,\"HIP report is not needed\","
     "success,,0,,0,GP-GW,6894571632887748071,0x0",
     {{"source.ip", "10.30.0.13"}, {"source.nat.ip", "198.51.100.42"}, {"user.name", "gina"}, {"user.domain", "EXAMPLE"},
      {"host.id", "7d01b5aa-0000-4000-8000-000000000001"}, {"observer.product", "PAN-OS"}}},
    // IIS with every W3C field (site, server name, version, cookie, referrer, host, bytes).
    {"2026-12-07 10:11:12 W3SVC3 WEB03 192.0.2.12 GET /a/b.aspx x=1 443 - 198.51.100.24 HTTP/1.1 "
     "Mozilla/5.0+(Windows+NT+10.0) - - www.example.com 200 0 0 1234 456 78",
     {{"url.domain", "www.example.com"}, {"url.path", "/a/b.aspx"}, {"url.query", "x=1"}, {"http.version", "1.1"},
      {"user_agent.original", "Mozilla/5.0 (Windows NT 10.0)"}, {"http.response.body.bytes", "1234"},
      {"http.request.body.bytes", "456"}, {"event.duration_ms", "78"}, {"destination.ip", "192.0.2.12"},
      {"source.ip", "198.51.100.24"}, {"event.dataset", "web.iis"}}},
    // Check Point relayed without <PRI>; egress interface when ifdir is outbound.
    {"1 2026-12-07T10:06:00Z gw-3 CheckPoint 19710 - [action:\"Accept\"; ifdir:\"outbound\"; ifname:\"eth4\"; "
     "origin:\"192.0.2.3\"; dst:\"198.51.100.10\"; proto:\"17\"; s_port:\"40001\"; service:\"53\"; "
     "service_id:\"domain-udp\"; src:\"10.1.1.6\"; rule_uid:\"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\"]",
     {{"event.dataset", "firewall.checkpoint"}, {"observer.name", "192.0.2.3"},
      {"observer.egress.interface.name", "eth4"}, {"observer.ingress.interface.name", ""},
      {"rule.uuid", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"}, {"network.application", "domain-udp"},
      {"@timestamp", "2026-12-07T10:06:00.000Z"}}},
    // A System Monitor message: the key written with two colons keeps no leading ':"'.
    {"<134>1 2026-12-07T10:07:00Z gw-1 CheckPoint 1930 - [flags:\"133440\"; ifdir:\"inbound\"; ifname:\"daemon\"; "
     "origin:\"192.0.2.1\"; version:\"5\"; product:\"System Monitor\"; "
     "sys_message::\"The eth1 interface is not protected by the anti-spoofing feature\"]",
     {{"checkpoint.sys_message", "The eth1 interface is not protected by the anti-spoofing feature"},
      {"observer.ingress.interface.name", "daemon"}, {"observer.product", "System Monitor"}}},
    // SEP 14 network event, bare (a file shipper) and over IPv6.
    {"pc-19,Local Host IP: 2001:db8::19,Local Port: 3389,Local Host MAC: CCF9E4A91228,Remote Host IP: 2001:db8:2::7,"
     "Remote Host Name: ,Remote Port: 50100,Remote Host MAC: 2C3AFDA79E73,TCP,Inbound,Begin: 2026-12-07 10:40:00,"
     "End Time: 2026-12-07 10:40:00,Occurrences: 1,Application: ,Rule: Block RDP,Location: Default,User Name: hal,"
     "Domain Name: CORP,Action: Blocked",
     {{"host.name", "pc-19"}, {"source.ip", "2001:db8:2::7"}, {"destination.ip", "2001:db8::19"},
      {"destination.port", "3389"}, {"network.direction", "ingress"}, {"user.domain", "CORP"}}},
    // Dovecot's auth process, OpenSMTPD 5.x, the OpenVPN LDAP plugin.
    {"<22>Dec  7 08:10:00 mx1 dovecot: auth: passwd-file(ivan,203.0.113.62,<Ab1>): unknown user",
     {{"event.dataset", "mail.dovecot"}, {"user.name", "ivan"}, {"source.ip", "203.0.113.62"}, {"event.outcome", "failure"}}},
    {"<22>Dec  7 10:10:00 mx2 smtpd[22704]: smtp-in: New session 08d856b172f69c60 from host relay.example.net [198.51.100.70]",
     {{"event.dataset", "mail.opensmtpd"}, {"event.action", "connected"}, {"source.ip", "198.51.100.70"}}},
    {"<28>Dec  7 09:20:00 vpn01 openvpn: Incorrect password supplied for LDAP DN \"CN=Judy Lee,OU=Staff,DC=corp,DC=example\"",
     {{"event.dataset", "vpn.openvpn"}, {"user.name", "Judy Lee"}, {"event.outcome", "failure"}}},
    // Zscaler's DNS feed with its current key names.
    {"{\"sourcetype\": \"zscalernss-dns\", \"event\": {\"datetime\": \"Mon Dec  7 10:01:00 2026\", \"user\": \"kim@example.com\", "
     "\"category\": \"Professional Services\", \"dns_req\": \"www.example.org\", \"dns_reqtype\": \"A\", \"clt_sip\": \"192.0.2.49\", "
     "\"srv_dip\": \"198.51.100.54\", \"srv_dport\": \"53\"}}",
     {{"event.dataset", "dns.zscaler"}, {"source.ip", "192.0.2.49"}, {"dns.question.name", "www.example.org"},
      {"destination.port", "53"}, {"event.category", "network"}, {"user.email", "kim@example.com"}}},
    // Juniper SRX BSD flow log from a Junos without connection tags (before 12.1X47), no hostname.
    {"Dec  7 10:20:00 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP RST: 192.0.2.30/40100->198.51.100.31/443 "
     "junos-https 192.0.2.30/40100->198.51.100.31/443 None None 6 allow-web inside outside 910 12(2400) 10(9000) 31 "
     "UNKNOWN UNKNOWN N/A(N/A) ge-0/0/3.0 No ",
     {{"event.dataset", "firewall.juniper_srx"}, {"network.protocol", "junos-https"}, {"rule.name", "allow-web"},
      {"observer.ingress.zone", "inside"}, {"observer.egress.zone", "outside"}, {"source.nat.ip", "192.0.2.30"},
      {"source.bytes", "2400"}, {"destination.bytes", "9000"}, {"destination.packets", "10"}, {"event.reason", "TCP RST"}}},
    {"<14>Dec  7 10:20:01 srx-2 RT_FLOW: RT_FLOW_SESSION_DENY: session denied 192.0.2.32/5353->198.51.100.33/53 "
     "junos-dns-udp 17(0) block-dns(global) inside outside UNKNOWN UNKNOWN N/A(N/A) ge-0/0/3.0 UNKNOWN policy deny",
     {{"event.dataset", "firewall.juniper_srx"}, {"rule.name", "block-dns(global)"}, {"network.transport", "udp"},
      {"observer.egress.zone", "outside"}, {"event.action", "deny"}}},
    // ProxySG's default "main" format (no s-hierarchy, columns appended after s-ip) and SGOS 7's
    // bcreportermain_v1 with the supplier columns.
    {"2026-12-07 10:30:00 75 192.0.2.34 302 TCP_NC_MISS 800 620 GET https ads.example.com 443 /px ?id=7 lena - "
     "ads.example.com - https://news.example/ - OBSERVED \"Web Ads/Analytics\" - 192.0.2.1 203.0.113.9 \"x\" y",
     {{"event.dataset", "proxy.proxysg"}, {"source.ip", "192.0.2.34"}, {"user.name", "lena"},
      {"http.response.status_code", "302"}, {"url.port", "443"}, {"url.query", "?id=7"},
      {"http.request.referrer", "https://news.example/"}, {"user_agent.original", ""}, {"http.request.bytes", "620"}}},
    {"2026-12-07 10:30:01 2 192.0.2.35 - - - - \"None\" - - OBSERVED \"Technology/Internet\" -  200 TCP_TUNNELED "
     "CONNECT - \"ssl\" cdn.example.net 443 / - - \"curl/8.5.0\" 192.0.2.1 5000 700 - - - - - \"none\" \"none\" "
     "\"none\" unavailable - - \"ab-01\" - -",
     {{"event.dataset", "proxy.proxysg"}, {"url.scheme", "ssl"}, {"url.domain", "cdn.example.net"},
      {"http.request.method", "CONNECT"}, {"user_agent.original", "curl/8.5.0"}, {"http.response.bytes", "5000"}}},
    // FreeRADIUS through PacketFence: DOMAIN\user split, the reason with parentheses inside.
    {"2026-12-07T10:40:00.100000+01:00 nac auth[77]: (901)   Login incorrect (mschap: Program returned code (1) and "
     "output ''): [LAB\\mia] (from client sw-9 port 10 cli 00:11:22:AA:BB:CC)",
     {{"event.dataset", "auth.freeradius"}, {"user.name", "mia"}, {"user.domain", "LAB"}, {"event.outcome", "failure"},
      {"event.reason", "mschap: Program returned code (1) and output ''"}, {"source.mac", "00-11-22-AA-BB-CC"}}},
};

TEST(DeviceCoverage, HandWrittenLinesGiveTheirEcsFields) {
  std::vector<std::string> lines;
  for (const Want& w : kWants) lines.push_back(w.line);
  const auto events = ParsedFields(lines);
  ASSERT_EQ(events.size(), lines.size());
  for (size_t i = 0; i < events.size(); ++i) {
    for (const auto& [name, want] : kWants[i].fields) {
      auto it = events[i].find(name);
      EXPECT_EQ(it == events[i].end() ? "" : it->second, want) << name << " of " << kWants[i].line;
    }
  }
}

// Every parser, built-in or declarative, writes a MAC in ECS form (RFC 7042: uppercase hex octets
// joined by '-'), whatever the device wrote: one helper (toolkit::NormalizeMac) for all of them.
TEST(DeviceCoverage, EveryParserWritesMacsInEcsForm) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<4>Dec  7 10:00:00 fw1 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
       "SRC=203.0.113.5 DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0",
       "66-77-88-99-AA-BB"},
      {"<134>1 1796637600.342705328 MX84 flows src=192.168.1.10 dst=198.51.100.53 mac=0a:1b:2c:3d:4e:5f protocol=udp "
       "sport=51234 dport=53 pattern: allow all",
       "0A-1B-2C-3D-4E-5F"},
      {"<30>Dec  7 10:08:04 utm01 ulogd[12511]: id=\"2001\" severity=\"info\" sys=\"SecureNet\" sub=\"packetfilter\" "
       "name=\"Packet dropped\" action=\"drop\" fwrule=\"60001\" initf=\"eth1\" srcmac=\"1a:fc:2b:33:4d:5f\" "
       "dstmac=\"00:11:22:33:44:55\" srcip=\"203.0.113.5\" dstip=\"198.51.100.9\" proto=\"17\" srcport=\"5319\" dstport=\"5060\"",
       "1A-FC-2B-33-4D-5F"},
      {"<30>Dec  7 10:00:00 dhcp1 dhcpd[99]: DHCPACK on 192.0.2.77 to 0:c:29:a:b:1 (pc77) via eth0", "00-0C-29-0A-0B-01"},
      {"CEF:0|Acme|Sensor|1.0|100|Seen|5|src=192.0.2.8 smac=de:ad:be:ef:00:01 dst=198.51.100.8", "DE-AD-BE-EF-00-01"},
  };
  std::vector<std::string> lines;
  for (const auto& c : cases) lines.push_back(c.first);
  const auto events = ParsedFields(lines);
  ASSERT_EQ(events.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    auto it = events[i].find("source.mac");
    EXPECT_EQ(it == events[i].end() ? "" : it->second, cases[i].second) << cases[i].first;
  }
}

}  // namespace
