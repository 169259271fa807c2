// tests/firewall_parser_test.cc
//! Firewall parsers (iptables, pfSense filterlog, Cisco ASA, FortiGate): exact fields on
//! known lines, rejection of other formats, and the shared corpus scored against peers.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <simdjson.h>

#include "corpus_util.h"
#include "parser_test_util.h"
#include "parsers/firewall.h"
#include "parsers/json_event.h"
#include "parsers/parse.h"
#include "parsers/registry.h"

namespace kamatama {
namespace {

using test_util::F;

void Register() { RegisterFirewallParsers(&ParserRegistry::Global()); }

Event P(const std::string& line, const std::string& source = "") {
  Register();
  return corpus::Parse(line, source);
}

// ---------------------------------------------------------------- peer expectations

//! Raw lines of a Wazuh/OSSEC rule-test .ini ("log N pass|fail = <raw>").
std::vector<std::string> IniLogs(const std::string& path) {
  std::vector<std::string> out;
  for (const std::string& l : corpus::Lines(path)) {
    if (l.rfind("log ", 0) != 0) continue;
    size_t eq = l.find(" = ");
    if (eq == std::string::npos) continue;
    out.push_back(l.substr(eq + 3));
  }
  return out;
}

//! Wazuh/Elastic time ("2020-04-23T12:32:48.000-0500", no zone = UTC) in our format.
std::string NormTime(std::string t) {
  if (t.size() > 5 && (t[t.size() - 5] == '+' || t[t.size() - 5] == '-') && t.find('T') != std::string::npos)
    t.insert(t.size() - 2, ":");
  else if (!t.empty() && t.back() != 'Z' && t.find('+') == std::string::npos) t += "Z";
  auto ns = ParseRfc3339(t);
  return ns ? FormatRfc3339(*ns) : t;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---------------------------------------------------------------- iptables

TEST(Iptables, UfwBlockTcp) {
  Event ev = P(
      "Dec 26 09:05:47 server01 kernel: [126140.629122] [UFW BLOCK] IN=eth0 OUT= "
      "MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=254.253.252.251 DST=191.192.193.194 LEN=52 "
      "TOS=0x02 PREC=0x00 TTL=128 ID=9209 DF PROTO=TCP SPT=17833 DPT=22 WINDOW=8192 RES=0x00 CWR ECE SYN URGP=0");
  EXPECT_EQ(F(ev, "event.dataset"), "firewall.iptables");
  EXPECT_EQ(F(ev, "event.category"), "network");
  EXPECT_EQ(F(ev, "event.action"), "deny");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "event.type"), "connection,denied");
  EXPECT_EQ(F(ev, "rule.name"), "UFW BLOCK");
  EXPECT_EQ(F(ev, "source.ip"), "254.253.252.251");
  EXPECT_EQ(F(ev, "source.port"), "17833");
  EXPECT_EQ(F(ev, "destination.ip"), "191.192.193.194");
  EXPECT_EQ(F(ev, "destination.port"), "22");
  EXPECT_EQ(F(ev, "network.transport"), "tcp");
  EXPECT_EQ(F(ev, "network.type"), "ipv4");
  EXPECT_EQ(F(ev, "network.direction"), "ingress");
  EXPECT_EQ(F(ev, "observer.ingress.interface.name"), "eth0");
  EXPECT_EQ(F(ev, "observer.egress.interface.name"), "<absent>");
  EXPECT_EQ(F(ev, "source.mac"), "66-77-88-99-AA-BB");
  EXPECT_EQ(F(ev, "destination.mac"), "00-11-22-33-44-55");
  EXPECT_EQ(F(ev, "iptables.tcp.flags"), "CWR,ECE,SYN");
  EXPECT_EQ(F(ev, "iptables.ttl"), "128");
  EXPECT_EQ(F(ev, "host.name"), "server01");
  EXPECT_EQ(F(ev, "process.name"), "kernel");
  EXPECT_EQ(F(ev, "message").substr(0, 18), "[126140.629122] [U");
  EXPECT_EQ(F(ev, "error.message"), "<absent>");
}

TEST(Iptables, EdgeOsRuleAndIcmpErrorKeepsOuterPacket) {
  Event ev = P(
      "Jan  5 20:17:01 MainFirewall kernel: [WAN_OUT-2000-A]IN=eth0 OUT=eth2 "
      "MAC=90:10:20:76:8d:20:90:10:24:67:f4:89:08:00 SRC=192.168.134.158 DST=192.168.2.25 LEN=265 TOS=0x00 "
      "PREC=0x00 TTL=63 ID=51768 DF PROTO=TCP SPT=43189 DPT=443 WINDOW=159 RES=0x00 ACK PSH URGP=0");
  EXPECT_EQ(F(ev, "rule.ruleset"), "WAN_OUT");
  EXPECT_EQ(F(ev, "rule.id"), "2000");
  EXPECT_EQ(F(ev, "event.action"), "allow");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "network.direction"), "<absent>");
  EXPECT_EQ(F(ev, "observer.egress.interface.name"), "eth2");

  Event icmp = P(
      "Jan  8 03:37:09 DENY: IN=eth0 OUT= MAC=90:10:28:5f:62:24:90:10:18:5a:89:2a:08:00 SRC=192.168.2.71 "
      "DST=192.168.2.83 LEN=88 TOS=0x00 PREC=0x00 TTL=118 ID=21684 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.168.2.83 "
      "DST=192.168.173.191 LEN=60 TOS=0x00 PREC=0x00 TTL=54 ID=0 DF PROTO=UDP SPT=21458 DPT=62936 LEN=40 ]");
  EXPECT_EQ(F(icmp, "event.dataset"), "firewall.iptables");
  EXPECT_EQ(F(icmp, "rule.name"), "DENY");
  EXPECT_EQ(F(icmp, "event.action"), "deny");
  EXPECT_EQ(F(icmp, "source.ip"), "192.168.2.71");
  EXPECT_EQ(F(icmp, "network.transport"), "icmp");
  EXPECT_EQ(F(icmp, "source.port"), "<absent>");
  EXPECT_EQ(F(icmp, "iptables.icmp.type"), "3");
}

TEST(Iptables, Ipv6AndNotIptables) {
  Event ev = P(
      "Jan 22 09:05:05 ubuntu-bionic kernel: [16571.459614] IN= OUT=lo SRC=2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6 "
      "DST=2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=868225 PROTO=ICMPv6 TYPE=128 "
      "CODE=0 ID=3427 SEQ=1");
  EXPECT_EQ(F(ev, "network.type"), "ipv6");
  EXPECT_EQ(F(ev, "network.transport"), "ipv6-icmp");
  EXPECT_EQ(F(ev, "network.direction"), "egress");
  EXPECT_EQ(F(ev, "event.action"), "<absent>");
  EXPECT_EQ(F(ev, "event.outcome"), "unknown");
  EXPECT_EQ(F(ev, "rule.name"), "<absent>");

  Event other = P("Jun  8 14:34:33 h kernel: [5.0] usb 1-1: new high-speed USB device number 2");
  EXPECT_EQ(F(other, "event.dataset").rfind("firewall.", 0), std::string::npos);
  Event ev2;
  ev2.Set("message", "XX=enp1s0 OUT= SRC=1.2.3.4");
  EXPECT_FALSE(ParseIptables(&ev2));
  EXPECT_EQ(ev2.fields.size(), 1u);
}

// ---------------------------------------------------------------- pfSense

TEST(Pfsense, Ipv4TcpBlock) {
  Event ev = P(
      "Sep 28 10:38:09 pfSense filterlog: 53,,,1000000301,em0,match,block,in,4,0x0,,64,420,0,none,6,tcp,460,"
      "10.0.2.2,10.0.2.15,53742,22,420,PA,29633380:29633800,3617062173,65535,,");
  EXPECT_EQ(F(ev, "event.dataset"), "firewall.pfsense");
  EXPECT_EQ(F(ev, "event.action"), "deny");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "pfsense.action"), "block");
  EXPECT_EQ(F(ev, "rule.id"), "1000000301");
  EXPECT_EQ(F(ev, "pfsense.rule_number"), "53");
  EXPECT_EQ(F(ev, "observer.ingress.interface.name"), "em0");
  EXPECT_EQ(F(ev, "network.direction"), "ingress");
  EXPECT_EQ(F(ev, "source.ip"), "10.0.2.2");
  EXPECT_EQ(F(ev, "source.port"), "53742");
  EXPECT_EQ(F(ev, "destination.ip"), "10.0.2.15");
  EXPECT_EQ(F(ev, "destination.port"), "22");
  EXPECT_EQ(F(ev, "network.transport"), "tcp");
  EXPECT_EQ(F(ev, "network.iana_number"), "6");
  EXPECT_EQ(F(ev, "pfsense.tcp.flags"), "PA");
  EXPECT_EQ(F(ev, "pfsense.data_length"), "420");
  EXPECT_EQ(F(ev, "error.message"), "<absent>");
}

TEST(Pfsense, Ipv6Rfc5424PassAndIcmp) {
  Event ev = P(
      "<134>1 2022-09-06T19:00:06+02:00 opnsense filterlog 57126 - [meta sequenceId=\"2667099\"] "
      "98,,,881dd59a3e942966c90498ac104715a0,re0,match,pass,in,6,0x00,0x0ea87,51,udp,17,73,"
      "2008:8a0:702e:ce00:acc6:c7ee:fa01:2f8a,2c02:2454:ada:d900::1738,6881,51918,73");
  EXPECT_EQ(F(ev, "event.dataset"), "firewall.pfsense");
  EXPECT_EQ(F(ev, "event.action"), "allow");
  EXPECT_EQ(F(ev, "network.type"), "ipv6");
  EXPECT_EQ(F(ev, "source.ip"), "2008:8a0:702e:ce00:acc6:c7ee:fa01:2f8a");
  EXPECT_EQ(F(ev, "destination.ip"), "2c02:2454:ada:d900::1738");
  EXPECT_EQ(F(ev, "destination.port"), "51918");
  EXPECT_EQ(F(ev, "network.transport"), "udp");
  EXPECT_EQ(F(ev, "process.pid"), "57126");

  Event icmp = P(
      "Jan 22 18:34:00 filterlog: 65,,,0,vmx1,match,pass,out,4,0x0,,63,21011,0,none,1,icmp,56,192.168.105.11,"
      "192.168.105.1,datalength=36");
  EXPECT_EQ(F(icmp, "network.transport"), "icmp");
  EXPECT_EQ(F(icmp, "network.direction"), "egress");
  EXPECT_EQ(F(icmp, "observer.egress.interface.name"), "vmx1");
  EXPECT_EQ(F(icmp, "pfsense.data_length"), "36");

  Event partial = P("Jan 22 18:34:00 fw filterlog: 65,,,0,vmx1,match,pass,out,4,0x0,,63");
  EXPECT_EQ(F(partial, "event.dataset"), "firewall.pfsense");
  EXPECT_NE(F(partial, "error.message"), "<absent>");
  Event not_pf = P("Jan 22 18:34:00 fw filterlog: hello world");
  EXPECT_NE(F(not_pf, "event.dataset"), "firewall.pfsense");
}

// ---------------------------------------------------------------- Cisco ASA

// Cisco FTD security events (430001-430005): "Key: Value, ..." bodies, hand-written in the shape
// of Cisco's FTD syslog guide (the public Elastic test lines are measured in bench/parser_coverage.py).
TEST(CiscoFtd, SecurityEventsKeyValuePairs) {
  Event conn = P("<113>2026-12-07T09:00:05Z fw-ftd1  %FTD-1-430003: AccessControlRuleAction: Block with reset, "
                 "SrcIP: 10.0.1.20, DstIP: 198.51.100.30, SrcPort: 50815, DstPort: 445, Protocol: 6, IngressInterface: "
                 "inside, EgressInterface: outside, IngressZone: in-zone, EgressZone: out-zone, ACPolicy: Corp, "
                 "AccessControlRuleName: Block-SMB, User: CORP\\alice, UserAgent: Mozilla/5.0 (X11; Linux, x86_64), "
                 "ConnectionDuration: 2, InitiatorBytes: 261, ResponderBytes: 66");
  EXPECT_EQ(F(conn, "event.dataset"), "firewall.cisco_asa");
  EXPECT_EQ(F(conn, "observer.product"), "FTD");
  EXPECT_EQ(F(conn, "event.code"), "430003");
  EXPECT_EQ(F(conn, "source.ip"), "10.0.1.20");
  EXPECT_EQ(F(conn, "destination.port"), "445");
  EXPECT_EQ(F(conn, "network.transport"), "tcp");
  EXPECT_EQ(F(conn, "observer.ingress.zone"), "in-zone");
  EXPECT_EQ(F(conn, "rule.name"), "Block-SMB");
  EXPECT_EQ(F(conn, "rule.ruleset"), "Corp");
  EXPECT_EQ(F(conn, "user.name"), "alice");
  EXPECT_EQ(F(conn, "user.domain"), "CORP");
  EXPECT_EQ(F(conn, "user_agent.original"), "Mozilla/5.0 (X11; Linux, x86_64)");  // ", " inside a value
  EXPECT_EQ(F(conn, "event.duration"), "2000000000");
  EXPECT_EQ(F(conn, "event.outcome"), "failure");
  EXPECT_EQ(F(conn, "event.type"), "connection,denied,end");
  EXPECT_EQ(F(conn, "cisco.ftd.AccessControlRuleAction"), "Block with reset");
  Event ids = P("%FTD-0-430001: SrcIP: 203.0.113.9, DstIP: 10.0.2.5, SrcPort: 4444, DstPort: 80, Protocol: tcp, "
                "Priority: 1, GID: 1, SID: 17279, Revision: 12, Message: SERVER-WEBAPP traversal attempt, "
                "Classification: Attempted User Privilege Gain, User: No Authentication Required");
  EXPECT_EQ(F(ids, "event.kind"), "alert");
  EXPECT_EQ(F(ids, "event.category"), "intrusion_detection");
  EXPECT_EQ(F(ids, "rule.id"), "17279");
  EXPECT_EQ(F(ids, "rule.version"), "12");
  EXPECT_EQ(F(ids, "rule.category"), "Attempted User Privilege Gain");
  EXPECT_EQ(F(ids, "user.name"), "<absent>");  // a placeholder, not an account
  Event mal = P("Dec  7 2026 09:00:09 fw-ftd1  %FTD-1-430005: SrcIP: 10.0.1.20, DstIP: 198.51.100.30, FileAction: "
                "Malware Block, FileSHA256: 2546dcffc5ad854d4ddc64fbf056871cd5a00f2471cb7a5bfd4ac23b6e9eedad, "
                "ThreatName: Win.Test.Eicar, FileName: eicar.zip, FileSize: 184, URI: http://files.example/eicar.zip");
  EXPECT_EQ(F(mal, "event.category"), "malware,file");
  EXPECT_EQ(F(mal, "event.outcome"), "failure");
  EXPECT_EQ(F(mal, "file.hash.sha256"), "2546dcffc5ad854d4ddc64fbf056871cd5a00f2471cb7a5bfd4ac23b6e9eedad");
  EXPECT_EQ(F(mal, "file.size"), "184");
  EXPECT_EQ(F(mal, "threat.software.name"), "Win.Test.Eicar");
  EXPECT_EQ(F(mal, "url.domain"), "files.example");
  // No host name between the time and the marker, and "%FTD<Up>-": still FTD messages.
  Event nohost = P("2026-12-07T09:00:05Z   %FTD-1-430002: AccessControlRuleAction: Allow, SrcIP: 10.0.1.21, DstIP: 10.0.9.9");
  EXPECT_EQ(F(nohost, "event.dataset"), "firewall.cisco_asa");
  EXPECT_EQ(F(nohost, "host.name"), "<absent>");
  EXPECT_EQ(F(nohost, "event.outcome"), "success");
  Event up = P("<188>Dec  7 09:00:05 fw1: %FTD<Up>-4-313005: No matching connection for ICMP error message: icmp src "
               "in:192.0.2.2 dst out:192.0.2.3 (type 3, code 2) on in interface.");
  EXPECT_EQ(F(up, "event.code"), "313005");
  EXPECT_EQ(F(up, "source.ip"), "192.0.2.2");
  // At most generic::kMaxPairs pairs are read from one line.
  std::string many = "%FTD-1-430002: SrcIP: 10.0.0.1";
  for (int i = 0; i < 5000; ++i) many += ", K" + std::to_string(i) + ": v";
  Event big = P(many);
  EXPECT_EQ(F(big, "source.ip"), "10.0.0.1");
  EXPECT_LE(big.fields.size(), 260u);
}

// Administrative and ICMP-teardown ASA messages name their user and addresses in their own words.
TEST(CiscoAsa, AccountsAndIcmpTeardownFromTo) {
  Event cli = P("%ASA-5-111010: User 'netadmin', running 'CLI' from IP 192.0.2.46, executed 'write memory'");
  EXPECT_EQ(F(cli, "user.name"), "netadmin");
  EXPECT_EQ(F(cli, "source.ip"), "192.0.2.46");
  Event out = P("%ASA-5-611103: User logged out: Uname: svc-nagios");
  EXPECT_EQ(F(out, "user.name"), "svc-nagios");
  Event icmp = P("%ASA-6-302021: Teardown ICMP connection 9 from outside:192.0.2.1/22 (192.0.2.1/22) to "
                 "inside:10.1.1.2/53496 (10.1.1.2/53496)");
  EXPECT_EQ(F(icmp, "source.ip"), "192.0.2.1");
  EXPECT_EQ(F(icmp, "destination.ip"), "10.1.1.2");
  EXPECT_EQ(F(icmp, "observer.ingress.interface.name"), "outside");
}

TEST(CiscoAsa, DenyByAccessGroupWithHeader) {
  Event ev = P(
      "Apr 15 2013 09:36:50: %ASA-4-106023: Deny tcp src dmz:10.1.2.30/63016 dst outside:192.168.0.8/53 by "
      "access-group \"acl_dmz\" [0xe3aab522, 0x0]");
  EXPECT_EQ(F(ev, "event.dataset"), "firewall.cisco_asa");
  EXPECT_EQ(F(ev, "event.code"), "106023");
  EXPECT_EQ(F(ev, "event.action"), "deny");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "source.ip"), "10.1.2.30");
  EXPECT_EQ(F(ev, "source.port"), "63016");
  EXPECT_EQ(F(ev, "destination.ip"), "192.168.0.8");
  EXPECT_EQ(F(ev, "destination.port"), "53");
  EXPECT_EQ(F(ev, "network.transport"), "tcp");
  EXPECT_EQ(F(ev, "observer.ingress.interface.name"), "dmz");
  EXPECT_EQ(F(ev, "observer.egress.interface.name"), "outside");
  EXPECT_EQ(F(ev, "rule.name"), "acl_dmz");
  EXPECT_EQ(F(ev, "log.level"), "warning");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2013-04-15T09:36:50.000Z");
}

TEST(CiscoAsa, BuiltOutboundSwapsAndTeardown) {
  Event b = P(
      "Apr 29 2013 12:59:50: %ASA-6-302013: Built outbound TCP connection 89743274 for outside:192.168.2.43/443 "
      "(192.168.2.43/443) to inside:10.123.3.42/4952 (10.123.3.42/12834)");
  EXPECT_EQ(F(b, "event.action"), "allow");
  EXPECT_EQ(F(b, "event.type"), "connection,allowed,start");
  EXPECT_EQ(F(b, "source.ip"), "10.123.3.42");
  EXPECT_EQ(F(b, "source.port"), "4952");
  EXPECT_EQ(F(b, "destination.ip"), "192.168.2.43");
  EXPECT_EQ(F(b, "destination.port"), "443");
  EXPECT_EQ(F(b, "network.direction"), "outbound");

  Event t = P(
      "Jan 15 2021 19:12:37: %ASA-6-302014: Teardown TCP connection 261246338 for "
      "OUTSIDE:67.43.156.15/50120(LOCAL\\domain\\USER001) to OUTSIDE:1.128.3.4/443 duration 0:02:05 bytes 9610 "
      "TCP FINs from OUTSIDE (domain\\USER001)");
  EXPECT_EQ(F(t, "source.ip"), "67.43.156.15");
  EXPECT_EQ(F(t, "destination.ip"), "1.128.3.4");
  EXPECT_EQ(F(t, "user.name"), "domain\\USER001");
  EXPECT_EQ(F(t, "network.bytes"), "9610");
  EXPECT_EQ(F(t, "event.duration"), "125000000000");
  EXPECT_EQ(F(t, "event.type"), "connection,allowed,end");
}

TEST(CiscoAsa, MessageOnlyVariants) {
  Event a = P("%ASA-2-106001: Inbound TCP connection denied from 111.93.241.59/54322 to 116.6.127.122/1433 "
              "flags SYN on interface outside");
  EXPECT_EQ(F(a, "event.dataset"), "firewall.cisco_asa");
  EXPECT_EQ(F(a, "event.action"), "deny");
  EXPECT_EQ(F(a, "network.direction"), "inbound");
  EXPECT_EQ(F(a, "source.ip"), "111.93.241.59");
  EXPECT_EQ(F(a, "destination.port"), "1433");
  EXPECT_EQ(F(a, "observer.ingress.interface.name"), "outside");

  Event b = P("%PIX-3-710003: TCP access denied by ACL from 216.39.220.130/54065 to outside:62.192.113.98/ssh");
  EXPECT_EQ(F(b, "event.action"), "deny");
  EXPECT_EQ(F(b, "observer.product"), "PIX");
  EXPECT_EQ(F(b, "destination.ip"), "62.192.113.98");
  EXPECT_EQ(F(b, "destination.port"), "<absent>");

  Event c = P("<166>Jan 13 2021 19:12:37 fw1 : %FTD-6-305011: Built dynamic UDP translation from "
              "inside:192.168.1.2/1026 to outside:192.168.2.14/1163");
  EXPECT_EQ(F(c, "event.dataset"), "firewall.cisco_asa");
  EXPECT_EQ(F(c, "source.ip"), "192.168.1.2");
  EXPECT_EQ(F(c, "source.nat.ip"), "192.168.2.14");
  EXPECT_EQ(F(c, "source.nat.port"), "1163");
  EXPECT_EQ(F(c, "event.action"), "translation-built");

  Event d = P("%ASA-6-113004: AAA user authentication Successful : server = 10.1.1.1 : user = alice");
  EXPECT_EQ(F(d, "event.category"), "authentication");
  EXPECT_EQ(F(d, "event.outcome"), "success");
  EXPECT_EQ(F(d, "user.name"), "alice");
  Event e = P("%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : "
              "user = bob : user IP = 10.2.2.2");
  EXPECT_EQ(F(e, "event.outcome"), "failure");
  EXPECT_EQ(F(e, "user.name"), "bob");
  EXPECT_EQ(F(e, "source.ip"), "10.2.2.2");

  Event f = P("%ASA-5-106100: access-list acl_in permitted tcp inside/10.0.0.16(2006) -> "
              "outside/192.168.0.89(2000) hit-cnt 1 first hit [0x71a87d94, 0x0]");
  EXPECT_EQ(F(f, "event.action"), "allow");
  EXPECT_EQ(F(f, "rule.name"), "acl_in");
  EXPECT_EQ(F(f, "source.port"), "2006");
  EXPECT_EQ(F(f, "destination.ip"), "192.168.0.89");
  EXPECT_EQ(F(f, "observer.egress.interface.name"), "outside");

  Event g;
  g.Set("message", "%ASA-x: nonsense");
  EXPECT_FALSE(ParseCiscoAsa(&g));
  EXPECT_EQ(g.fields.size(), 1u);
}

// ---------------------------------------------------------------- FortiGate

TEST(Fortigate, TrafficDenyWithQuotes) {
  Event ev = P(
      "date=2020-04-23 time=01:16:08 devname=\"testswitch1\" devid=\"somerouterid\" logid=\"0000000013\" "
      "type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"OPERATIONAL\" srcip=10.10.10.10 srcport=60899 "
      "srcintf=\"srcintfname\" dstip=175.16.199.1 dstport=161 dstintf=\"dstintfname\" proto=17 action=\"deny\" "
      "policyid=0 service=\"SNMP\" duration=3 sentbyte=10 rcvdbyte=20 tz=\"-0500\" msg=\"a b\"");
  EXPECT_EQ(F(ev, "event.dataset"), "firewall.fortigate");
  EXPECT_EQ(F(ev, "event.action"), "deny");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "fortinet.firewall.action"), "deny");
  EXPECT_EQ(F(ev, "source.ip"), "10.10.10.10");
  EXPECT_EQ(F(ev, "source.port"), "60899");
  EXPECT_EQ(F(ev, "destination.ip"), "175.16.199.1");
  EXPECT_EQ(F(ev, "destination.port"), "161");
  EXPECT_EQ(F(ev, "network.transport"), "udp");
  EXPECT_EQ(F(ev, "network.protocol"), "snmp");
  EXPECT_EQ(F(ev, "observer.ingress.interface.name"), "srcintfname");
  EXPECT_EQ(F(ev, "observer.egress.interface.name"), "dstintfname");
  EXPECT_EQ(F(ev, "observer.name"), "testswitch1");
  EXPECT_EQ(F(ev, "rule.id"), "0");
  EXPECT_EQ(F(ev, "event.code"), "0000000013");
  EXPECT_EQ(F(ev, "source.bytes"), "10");
  EXPECT_EQ(F(ev, "network.bytes"), "30");
  EXPECT_EQ(F(ev, "event.duration"), "3000000000");
  EXPECT_EQ(F(ev, "fortinet.firewall.msg"), "a b");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2020-04-23T06:16:08.000Z");
  EXPECT_EQ(F(ev, "message").substr(0, 15), "date=2020-04-23");
}

// Found by fuzz/declarative_fuzz: the key "." made the field "fortinet.firewall.." (an empty
// dotted segment). A log's key stays one name under the prefix.
TEST(Fortigate, OddKeysStayOneNameUnderThePrefix) {
  Event ev = P("logid=\"0000000013\" type=\"traffic\" .=r a..b=2 .x=3 y.=4 devname=fw1");
  ASSERT_EQ(F(ev, "event.dataset"), "firewall.fortigate");
  for (const auto& [name, value] : ev.fields) {
    EXPECT_FALSE(name.empty() || name.back() == '.' || name.find("..") != std::string::npos) << name;
  }
  EXPECT_EQ(F(ev, "fortinet.firewall._"), "r");
  EXPECT_EQ(F(ev, "fortinet.firewall.a._b"), "2");
  EXPECT_EQ(F(ev, "fortinet.firewall._x"), "3");
  EXPECT_EQ(F(ev, "fortinet.firewall.type"), "traffic");
}

TEST(Fortigate, HeaderVariantsAndSophosRejected) {
  Event a = P(
      "Dec 23 11:13:03 date=2011-07-24 time=10: 13:03 devname=Device_Name device_id=FGTXXXX9999999999 "
      "log_id=0038016004 type=traffic subtype=other pri=notice vd=root src=10.1.1.1 src_port=1111 dst=10.2.2.2 "
      "dst_port=80 status=accept proto=6");
  EXPECT_EQ(F(a, "event.dataset"), "firewall.fortigate");
  EXPECT_EQ(F(a, "source.ip"), "10.1.1.1");
  EXPECT_EQ(F(a, "destination.port"), "80");
  EXPECT_EQ(F(a, "event.action"), "allow");
  Event b = P("2018 Apr 09 16:03:37 inwazuhmgr->172.24.0.253 date=2018-04-09 time=16:03:37 devname=BA-RSYS-FW "
              "devid=FG600C3912803212 logid=\"1059028704\" type=\"utm\" subtype=\"app-ctrl\" srcip=10.1.1.1");
  EXPECT_EQ(F(b, "event.dataset"), "firewall.fortigate");
  EXPECT_EQ(F(b, "observer.name"), "BA-RSYS-FW");
  Event s;
  s.Set("message", "device=\"SFW\" date=2020-05-18 time=14:38:53 log_id=050901616001 log_type=\"Content "
                   "Filtering\" log_component=\"HTTP\" type=x");
  EXPECT_FALSE(ParseFortigate(&s));
  EXPECT_EQ(s.fields.size(), 1u);
}

// ---------------------------------------------------------------- robustness

TEST(FirewallParsers, ForcedSourceOnGarbageNeverCrashesOrLies) {
  Register();
  const char* lines[] = {"", "IN=", "%ASA-", "%ASA-6-", "date=", "1,2,3", "\xff\xfe IN= OUT= SRC=",
                         "%ASA-6-302013: Built outbound TCP connection 1 for (", "x,,,,,,pass,in,4"};
  for (const char* ds : {"firewall.iptables", "firewall.pfsense", "firewall.cisco_asa", "firewall.fortigate"}) {
    for (const char* l : lines) {
      Event ev = corpus::Parse(l, ds);
      EXPECT_NE(F(ev, "event.dataset"), "<absent>");
    }
  }
}

// ---------------------------------------------------------------- corpus

TEST(FirewallCorpus, AllFormats) {
  if (corpus::Path("firewall/iptables/SOURCE.md").empty()) GTEST_SKIP() << "corpus not found";
  Register();
  std::vector<corpus::CorpusFormat> formats;

  {  // iptables: CrowdSec (4 lines, asserts), Elastic raw (24), Wazuh .ini (decoder kernel).
    corpus::CorpusFormat f{"firewall/iptables"};
    auto asserts = corpus::CrowdsecAsserts(corpus::Path("firewall/iptables/crowdsec-iptables-logs.parser.assert"));
    auto crowdsec_lines = corpus::Lines(corpus::Path("firewall/iptables/crowdsec-iptables-logs.log"));
    // The asserts are by line index: one entry per line, each seen by both stages.
    EXPECT_EQ(asserts.size(), crowdsec_lines.size());
    for (size_t i = 0; i < crowdsec_lines.size(); ++i) {
      const std::string& line = crowdsec_lines[i];
      Event ev = corpus::Parse(line);
      if (i >= asserts.size() || !asserts[i].parse_stage_seen) {
        ADD_FAILURE() << "no CrowdSec parse result for line " << i << ": " << line;
        continue;
      }
      // CrowdSec's iptables parser rejects line 3 ("XX=" instead of "IN="), and so must we: it
      // is checked as a negative sample, not counted as an iptables line.
      if (!asserts[i].parsed) {
        EXPECT_NE(corpus::Field(ev, "event.dataset"), "firewall.iptables") << line;
        continue;
      }
      f.Classify(ev, "firewall.iptables");
      const auto& a = asserts[i].values;
      auto expect = [&](const char* key, const char* ours, bool lower = false) {
        auto k = a.find(key);
        if (k != a.end()) f.Expect(ev, ours, lower ? Lower(k->second) : k->second);
      };
      expect("Parsed.message", "message");
      expect("Parsed.src_ip", "source.ip");
      expect("Parsed.dst_ip", "destination.ip");
      expect("Parsed.src_port", "source.port");
      expect("Parsed.dst_port", "destination.port");
      expect("Parsed.proto", "network.transport", true);
      expect("Parsed.int_eth", "observer.ingress.interface.name");
      expect("Parsed.program", "process.name");
      expect("Meta.machine", "host.name");
      f.Differs("length", "CrowdSec keeps the last LEN= (UDP length); iptables.length is the IP packet LEN");
      f.Differs("log_type", "CrowdSec labels every line iptables_drop; event.action comes from the log prefix");
    }
    // Elastic's raw lines have no expected output here: their own KEY=value pairs are the
    // reference for the addresses, ports and interface.
    for (const auto& line : corpus::Lines(corpus::Path("firewall/iptables/elastic-test-iptables-raw.log"))) {
      Event ev = corpus::Parse(line);
      f.Classify(ev, "firewall.iptables");
      auto kv = [&](const std::string& key) {  // the first KEY= value (after ' ' or ']'), or "" if absent
        for (size_t p = line.find(key + "="); p != std::string::npos; p = line.find(key + "=", p + 1)) {
          if (p == 0 || (line[p - 1] != ' ' && line[p - 1] != ']')) continue;
          p += key.size() + 1;
          return line.substr(p, line.find(' ', p) - p);
        }
        return std::string();
      };
      for (auto [key, ours] : {std::pair{"SRC", "source.ip"}, {"DST", "destination.ip"}, {"SPT", "source.port"},
                               {"DPT", "destination.port"}, {"IN", "observer.ingress.interface.name"}}) {
        if (!kv(key).empty()) f.Expect(ev, ours, kv(key));
      }
      if (!kv("PROTO").empty()) f.Expect(ev, "network.transport", Lower(kv("PROTO")));
    }
    // Wazuh .ini: every "log N" line is a kernel netfilter line (decoder = kernel).
    for (const auto& line : IniLogs(corpus::Path("firewall/iptables/wazuh-iptables.ini")))
      f.Classify(corpus::Parse(line), "firewall.iptables");
    formats.push_back(f);
  }

  {  // pfSense / OPNsense filterlog: CrowdSec pf-logs (9) and rfc5424 (5), Wazuh .ini (2).
    corpus::CorpusFormat f{"firewall/pfsense-filterlog"};
    // Each line with its CrowdSec expectations (by line index in its own file), if it has any.
    std::vector<std::pair<std::string, const corpus::CrowdsecLine*>> lines;
    std::vector<std::vector<corpus::CrowdsecLine>> asserts;
    for (const char* name : {"crowdsec-pf-logs", "crowdsec-pfsense-rfc5424-filterlog"})
      asserts.push_back(corpus::CrowdsecAsserts(corpus::Path(std::string("firewall/pfsense-filterlog/") + name + ".parser.assert")));
    for (size_t file = 0; file < asserts.size(); ++file) {
      const char* name = file == 0 ? "crowdsec-pf-logs" : "crowdsec-pfsense-rfc5424-filterlog";
      auto file_lines = corpus::Lines(corpus::Path(std::string("firewall/pfsense-filterlog/") + name + ".log"));
      EXPECT_EQ(asserts[file].size(), file_lines.size()) << name;
      for (size_t i = 0; i < file_lines.size(); ++i) {
        const corpus::CrowdsecLine* a = i < asserts[file].size() ? &asserts[file][i] : nullptr;
        EXPECT_TRUE(a && a->raw_stage_seen) << "no CrowdSec result for " << name << " line " << i;
        lines.emplace_back(file_lines[i], a);
      }
    }
    for (auto& l : IniLogs(corpus::Path("firewall/pfsense-filterlog/wazuh-pfsense.ini"))) lines.emplace_back(l, nullptr);
    for (const auto& [line, expected] : lines) {
      Event ev = corpus::Parse(line);
      f.Classify(ev, "firewall.pfsense");
      if (!expected) continue;  // the Wazuh .ini lines: classification only
      const auto& a = expected->values;
      auto expect = [&](const char* key, const std::string& ours, bool lower = false) {
        auto k = a.find(key);
        if (k != a.end()) f.Expect(ev, ours, lower ? Lower(k->second) : k->second);
      };
      expect("Parsed.message", "message");
      expect("Parsed.src_ip", "source.ip");
      expect("Parsed.dst_ip", "destination.ip");
      expect("Parsed.src_port", "source.port");
      expect("Parsed.dst_port", "destination.port");
      expect("Parsed.ip4_proto", "network.transport", true);
      expect("Parsed.ip6_proto", "network.transport", true);
      expect("Parsed.ip4_proto_id", "network.iana_number");
      expect("Parsed.ip6_proto_id", "network.iana_number");
      expect("Parsed.action", "pfsense.action");
      expect("Parsed.rule", "pfsense.rule_number");
      expect("Parsed.tracker", "rule.id");
      expect("Parsed.reason", "pfsense.reason");
      expect("Parsed.length", "pfsense.ip.length");
      expect("Parsed.data_length", "pfsense.data_length");
      expect("Parsed.tcp_flags", "pfsense.tcp.flags");
      expect("Parsed.ip4_ttl", "pfsense.ip.ttl");
      expect("Parsed.program", "process.name");
      expect("Parsed.pid", "process.pid");
      if (auto k = a.find("Parsed.direction"); k != a.end()) {
        f.Expect(ev, "network.direction", k->second == "in" ? "ingress" : "egress");
        if (auto i = a.find("Parsed.iface"); i != a.end())
          f.Expect(ev, k->second == "in" ? "observer.ingress.interface.name" : "observer.egress.interface.name",
                   i->second);
      }
      f.Differs("action", "pass/block normalised to event.action allow/deny (raw value in pfsense.action)");
      f.Differs("direction", "in/out mapped to network.direction ingress/egress");
    }
    formats.push_back(f);
  }

  {  // Cisco ASA/PIX: Elastic sample (92, header variants) and Wazuh asa/pix .ini message-only lines.
    corpus::CorpusFormat f{"firewall/cisco-asa"};
    f.ClassificationOnly("Elastic raw sample lines without expected output and Wazuh rule tests (decoder only)");
    for (const auto& line : corpus::Lines(corpus::Path("firewall/cisco-asa/elastic-test-sample.log")))
      f.Classify(corpus::Parse(line), "firewall.cisco_asa");
    // Every .ini "log N pass|fail" line is an ASA/PIX message ("fail" only means no alert).
    for (const char* ini : {"firewall/cisco-asa/wazuh-cisco_asa.ini", "firewall/cisco-asa/wazuh-pix.ini"})
      for (const auto& line : IniLogs(corpus::Path(ini))) f.Classify(corpus::Parse(line), "firewall.cisco_asa");
    formats.push_back(f);
  }

  {  // FortiGate: Wazuh engine (3 lines, ECS expected) and Wazuh .ini (46 lines, FortiOS v3-v6).
    corpus::CorpusFormat f{"firewall/fortigate-kv"};
    auto lines = corpus::Lines(corpus::Path("firewall/fortigate-kv/wazuh-engine-fortinet-firewall_input.txt"));
    auto expected = corpus::LoadWazuhExpected(corpus::Path("firewall/fortigate-kv/wazuh-engine-fortinet-firewall_expected.json"));
    EXPECT_EQ(lines.size(), expected.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      Event ev = corpus::Parse(lines[i]);
      f.Classify(ev, "firewall.fortigate");
      if (i >= expected.size()) continue;
      const Event& x = expected[i].fields;
      for (const char* name :
           {"source.ip", "source.port", "destination.ip", "destination.port", "observer.name",
            "observer.serial_number", "event.code", "log.level", "network.transport", "network.iana_number",
            "observer.ingress.interface.name", "observer.egress.interface.name", "rule.id", "source.bytes",
            "destination.bytes", "url.domain", "url.original", "url.path", "rule.description", "event.timezone",
            "source.packets", "event.kind"}) {
        if (const std::string* v = x.Get(name)) f.Expect(ev, name, *v);
      }
      if (const std::string* v = x.Get("source.user.name")) f.Expect(ev, "user.name", *v);
      // The document's own time (ParseJsonEvent moved @timestamp out of its fields): scored, and
      // required line by line, since one wrong time would hide in the format's 90% bar.
      if (!expected[i].timestamp.empty()) {
        f.Expect(ev, "@timestamp", NormTime(expected[i].timestamp));
        EXPECT_EQ(corpus::Field(ev, "@timestamp"), NormTime(expected[i].timestamp)) << lines[i];
      } else {
        ADD_FAILURE() << "the peer's document " << i << " has no @timestamp";
      }
      if (const std::string* v = x.Get("event.category"); v && v->find(',') == std::string::npos)
        f.Expect(ev, "event.category", v->substr(2, v->size() - 4));
      if (const std::string* v = x.Get("event.action")) {
        if (*v == "deny" || *v == "FSSO-logon") f.Expect(ev, "event.action", Lower(*v));
        else f.Differs("event.action", "normalised (blocked -> deny); raw value in fortinet.firewall.action");
      }
      f.Differs("message", "we keep the envelope MSG (the whole kv line); Wazuh puts msg= there (fortinet.firewall.msg)");
      f.Differs("event.outcome", "success/failure from the decision; Wazuh writes 'sucess' for every event");
      f.Differs("event.type", "comma separated list (connection,denied); Wazuh adds end/start variants");
      f.Differs("network.protocol", "service lowercased (snmp); Wazuh keeps SNMP");
      f.Differs("network.bytes", "sent+received; Wazuh copies sentbyte");
    }
    // Wazuh .ini: all FortiOS lines (decoders fortigate-firewall-v3..v6), some with odd headers.
    for (const auto& line : IniLogs(corpus::Path("firewall/fortigate-kv/wazuh-fortigate.ini")))
      f.Classify(corpus::Parse(line), "firewall.fortigate");
    formats.push_back(f);
  }

  corpus::Report(formats);
}

}  // namespace
}  // namespace kamatama
