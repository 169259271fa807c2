// tests/dhcp_parser_test.cc
//! dhcp.isc, dhcp.dnsmasq, dhcp.kea and dhcp.windows: exact fields per message form, declines
//! leave the event untouched, and the corpus (pfSense/OpenBSD/Thunderbird ISC dhcpd lines, the
//! Windows DhcpSrvLog sample) scored with tests/corpus_util.h.
//!
//! MAC addresses: source.mac is always the ECS form, uppercase hex in dash-separated zero-padded
//! pairs ("00-11-43-E3-BA-C3"), whatever the log wrote ("0:11:43:e3:ba:c3", "00:11:..",
//! "001143E3BAC3"); the raw form stays in the message. The client's leased, offered or requested
//! address goes to client.ip and source.ip.
//!
//! dnsmasq-dhcp and Kea: no peer-tested public sample exists (corpus README, "Known gaps"); their
//! tests below use lines written from the formats' documentation and source (dnsmasq
//! log_packet(): "DHCPACK(eth0) 10.0.0.5 00:11:22:33:44:55 host"; Kea's message catalogue:
//! "DHCP4_LEASE_ALLOC [hwtype=1 00:..], cid=[..], tid=0x..: lease 10.0.0.5 has been allocated
//! for 3600 seconds").
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "corpus_util.h"
#include "parser_test_util.h"
#include "parsers/dhcp.h"
#include "parsers/registry.h"

namespace kamatama {
namespace {

using test_util::F;
using test_util::T;

void Register() {
  static bool done = [] {
    RegisterDhcpParsers(&ParserRegistry::Global());
    return true;
  }();
  (void)done;
}

Event P(const std::string& line, const std::string& source = "", int64_t recv = test_util::kRecv) {
  Register();
  return corpus::Parse(line, source, recv);
}

//! KMT_CORPUS_VERBOSE=1 prints the first disagreements of every format, not only failing ones.
void Report(const std::vector<corpus::CorpusFormat>& formats) {
  corpus::Report(formats);
  if (std::getenv("KMT_CORPUS_VERBOSE")) {
    for (const auto& f : formats) {
      for (const auto& d : f.disagreements) std::printf("    %s: %s\n", f.name.c_str(), d.c_str());
    }
  }
}

// ---------------------------------------------------------------- ISC

TEST(DhcpIsc, DiscoverOfferRequestAck) {
  Event d = P("<190>Jul  4 09:39:40 dhcpd[64305]: DHCPDISCOVER from 4c:55:41:a0:fa:99 via eth0.60");
  EXPECT_EQ(F(d, "event.dataset"), "dhcp.isc");
  EXPECT_EQ(F(d, "event.kind"), "event");
  EXPECT_EQ(F(d, "event.category"), "network");
  EXPECT_EQ(F(d, "event.type"), "protocol");
  EXPECT_EQ(F(d, "event.action"), "dhcp-discover");
  EXPECT_EQ(F(d, "event.outcome"), "success");
  EXPECT_EQ(F(d, "source.mac"), "4C-55-41-A0-FA-99");
  EXPECT_EQ(F(d, "observer.ingress.interface.name"), "eth0.60");
  EXPECT_EQ(F(d, "client.ip"), "<absent>");

  Event o = P("<190>Jul  4 09:39:41 dhcpd[64305]: DHCPOFFER on 10.150.60.56 to 4c:55:41:a0:fa:99 (computer-name) via eth0.60");
  EXPECT_EQ(F(o, "event.action"), "dhcp-offer");
  EXPECT_EQ(F(o, "client.ip"), "10.150.60.56");
  EXPECT_EQ(F(o, "source.ip"), "10.150.60.56");
  EXPECT_EQ(F(o, "source.mac"), "4C-55-41-A0-FA-99");
  EXPECT_EQ(F(o, "dhcp.client.hostname"), "computer-name");

  Event r = P("<190>Jul  4 09:39:41 dhcpd[64305]: DHCPREQUEST for 10.150.60.56 (10.150.60.1) from 4c:55:41:a0:fa:99 "
              "(computer-name) via eth0.60");
  EXPECT_EQ(F(r, "event.action"), "dhcp-request");
  EXPECT_EQ(F(r, "client.ip"), "10.150.60.56");
  EXPECT_EQ(F(r, "server.ip"), "10.150.60.1");
  EXPECT_EQ(F(r, "dhcp.client.hostname"), "computer-name");

  Event a = P("<190>Jul  4 09:39:41 dhcpd[64305]: DHCPACK on 10.150.60.56 to 4c:55:41:a0:fa:99 (computer-name) via eth0.60");
  EXPECT_EQ(F(a, "event.action"), "dhcp-ack");
  EXPECT_EQ(F(a, "client.ip"), "10.150.60.56");
  EXPECT_EQ(F(a, "host.name"), "<absent>");
  EXPECT_EQ(F(a, "process.pid"), "64305");
}

TEST(DhcpIsc, FailuresAndReasons) {
  Event a = P("Nov 9 12:01:41 src@aadmin2 dhcpd: DHCPDISCOVER from 00:11:43:e3:ba:c3 via eth1: network A_net: no free leases");
  EXPECT_EQ(F(a, "event.outcome"), "failure");
  EXPECT_EQ(F(a, "event.reason"), "network A_net: no free leases");
  EXPECT_EQ(F(a, "observer.ingress.interface.name"), "eth1");
  Event b = P("Nov 9 12:01:43 src@aadmin2 dhcpd: DHCPREQUEST for 10.100.4.251 (10.100.0.250) from 00:11:43:e3:ba:c3 "
              "via eth1: unknown lease 10.100.4.251.");
  EXPECT_EQ(F(b, "event.reason"), "unknown lease 10.100.4.251.");
  EXPECT_EQ(F(b, "client.ip"), "10.100.4.251");
  Event c = P("Jan  1 00:00:00 gw dhcpd[1]: DHCPNAK on 10.0.0.9 to 00:0c:29:1a:2b:3c via eth0");
  EXPECT_EQ(F(c, "event.action"), "dhcp-nak");
  EXPECT_EQ(F(c, "event.outcome"), "failure");
  Event d = P("Jan 26 17:42:32 junction dhcpd[4842]: no free leases on subnet 192.168.17.0");
  EXPECT_EQ(F(d, "event.action"), "dhcp-no-free-leases");
  EXPECT_EQ(F(d, "dhcp.subnet"), "192.168.17.0");
  Event e = P("Jan 26 18:12:55 junction dhcpd[4842]: IP address 192.168.1.16 answers a ping after sending a release");
  EXPECT_EQ(F(e, "client.ip"), "192.168.1.16");
  EXPECT_EQ(F(e, "event.outcome"), "failure");
}

TEST(DhcpIsc, ReleaseInformUnpaddedMacRelay) {
  Event r = P("Jan  1 00:00:00 gw dhcpd[1]: DHCPRELEASE of 10.0.0.7 from 0:c:29:1a:2b:3c (pc7) via eth0 (found)");
  EXPECT_EQ(F(r, "event.action"), "dhcp-release");
  EXPECT_EQ(F(r, "source.mac"), "00-0C-29-1A-2B-3C");
  EXPECT_EQ(F(r, "dhcp.client.hostname"), "pc7");
  EXPECT_EQ(F(r, "dhcp.lease_status"), "found");
  Event i = P("Jan  1 00:00:00 gw dhcpd[1]: DHCPINFORM from 10.0.0.8 via 10.0.0.1");
  EXPECT_EQ(F(i, "event.action"), "dhcp-inform");
  EXPECT_EQ(F(i, "client.ip"), "10.0.0.8");
  EXPECT_EQ(F(i, "dhcp.relay.ip"), "10.0.0.1");
  Event a = P("Jan  1 00:00:00 gw dhcpd[1]: DHCPACK to 10.0.0.8 (00:11:22:33:44:55) via eth0");
  EXPECT_EQ(F(a, "client.ip"), "10.0.0.8");
  EXPECT_EQ(F(a, "source.mac"), "00-11-22-33-44-55");
}

TEST(DhcpIsc, Dhcpv6AndOtherDhcpdLines) {
  Event s = P("<190>Jul 23 18:11:58 dhcpd[6555]: Solicit message from fe80::e6c9:2b22:f9db:bfad port 546, transaction ID 0x3C21A200");
  EXPECT_EQ(F(s, "event.action"), "dhcpv6-solicit");
  EXPECT_EQ(F(s, "source.ip"), "fe80::e6c9:2b22:f9db:bfad");
  EXPECT_EQ(F(s, "source.port"), "546");
  EXPECT_EQ(F(s, "dhcp.transaction_id"), "0x3C21A200");
  Event a = P("<190>Jul 23 18:11:58 dhcpd[6555]: Advertise NA: address 2a02:cf40:38d6:c4db:cafb:917b:44ec:c873 to client "
              "with duid 00:02:00:00:0d:e9:30:30:44:30:39:45:2d:31 iaid = -1620146908 valid for 7200 seconds");
  EXPECT_EQ(F(a, "event.action"), "dhcpv6-advertise");
  EXPECT_EQ(F(a, "client.ip"), "2a02:cf40:38d6:c4db:cafb:917b:44ec:c873");
  EXPECT_EQ(F(a, "dhcp.client.id"), "00:02:00:00:0d:e9:30:30:44:30:39:45:2d:31");
  Event l = P("<190>Jul  4 09:39:41 dhcpd[64305]: Listening on BPF/igb1.15/5f:a5:54:63:cc:1f/10.50.11.0/25");
  EXPECT_EQ(F(l, "event.dataset"), "dhcp.isc");
  EXPECT_EQ(F(l, "event.action"), "<absent>");
}

TEST(DhcpIsc, Dhclient) {
  Event r = P("Jan  1 00:00:00 pc dhclient[9]: DHCPREQUEST of 10.0.0.5 on eth0 to 10.0.0.1 port 67");
  EXPECT_EQ(F(r, "event.dataset"), "dhcp.isc");
  EXPECT_EQ(F(r, "client.ip"), "10.0.0.5");
  EXPECT_EQ(F(r, "observer.ingress.interface.name"), "eth0");
  EXPECT_EQ(F(r, "destination.ip"), "10.0.0.1");
  EXPECT_EQ(F(r, "destination.port"), "67");
  Event a = P("Jan  1 00:00:00 pc dhclient[9]: DHCPACK of 10.0.0.5 from 10.0.0.1");
  EXPECT_EQ(F(a, "server.ip"), "10.0.0.1");
  Event b = P("Jan  1 00:00:00 pc dhclient[9]: bound to 10.0.0.5 -- renewal in 1234 seconds.");
  EXPECT_EQ(F(b, "event.action"), "dhcp-bound");
}

// ---------------------------------------------------------------- dnsmasq (from documentation)

TEST(DhcpDnsmasq, FromDocumentation) {
  Event a = P("Nov 26 12:00:00 router dnsmasq-dhcp[812]: DHCPACK(br-lan) 192.168.1.23 00:11:22:33:44:55 laptop");
  EXPECT_EQ(F(a, "event.dataset"), "dhcp.dnsmasq");
  EXPECT_EQ(F(a, "event.action"), "dhcp-ack");
  EXPECT_EQ(F(a, "event.outcome"), "success");
  EXPECT_EQ(F(a, "client.ip"), "192.168.1.23");
  EXPECT_EQ(F(a, "source.mac"), "00-11-22-33-44-55");
  EXPECT_EQ(F(a, "dhcp.client.hostname"), "laptop");
  EXPECT_EQ(F(a, "observer.ingress.interface.name"), "br-lan");
  Event d = P("Nov 26 12:00:00 router dnsmasq-dhcp[812]: 2883957427 DHCPDISCOVER(eth0) 00:11:22:33:44:55");
  EXPECT_EQ(F(d, "event.action"), "dhcp-discover");
  EXPECT_EQ(F(d, "dhcp.transaction_id"), "2883957427");
  EXPECT_EQ(F(d, "client.ip"), "<absent>");
  Event n = P("Nov 26 12:00:00 router dnsmasq-dhcp[812]: DHCPNAK(eth0) 192.168.1.50 00:11:22:33:44:55 wrong address");
  EXPECT_EQ(F(n, "event.outcome"), "failure");
  EXPECT_EQ(F(n, "event.reason"), "wrong address");
  Event x = P("Nov 26 12:00:00 router dnsmasq-dhcp[812]: DHCPDISCOVER(eth0) 00:11:22:33:44:55 no address available");
  EXPECT_EQ(F(x, "event.outcome"), "failure");
  Event v6 = P("Nov 26 12:00:00 r dnsmasq-dhcp[1]: DHCPREPLY(eth0) 2001:db8::5 00:01:00:01:2a:3b:4c:5d:00:11:22:33:44:55 pc");
  EXPECT_EQ(F(v6, "client.ip"), "2001:db8::5");
  EXPECT_EQ(F(v6, "dhcp.client.id"), "00:01:00:01:2a:3b:4c:5d:00:11:22:33:44:55");
  EXPECT_EQ(F(v6, "dhcp.client.hostname"), "pc");
  Event g = P("Nov 26 12:00:00 r dnsmasq-dhcp[1]: 2883957427 vendor class: MSFT 5.0");
  EXPECT_EQ(F(g, "event.dataset"), "dhcp.dnsmasq");
  EXPECT_EQ(F(g, "dhcp.transaction_id"), "2883957427");
}

// ---------------------------------------------------------------- Kea (from documentation)

TEST(DhcpKea, FromDocumentation) {
  Event a = P("Nov 26 12:00:00 srv kea-dhcp4[1234]: INFO  [kea-dhcp4.leases/1234.139] DHCP4_LEASE_ALLOC "
              "[hwtype=1 00:0c:01:02:03:04], cid=[01:00:0c:01:02:03:04], tid=0x6b09d4f3: lease 192.0.2.5 has been "
              "allocated for 3600 seconds");
  EXPECT_EQ(F(a, "event.dataset"), "dhcp.kea");
  EXPECT_EQ(F(a, "event.action"), "dhcp-ack");
  EXPECT_EQ(F(a, "event.code"), "DHCP4_LEASE_ALLOC");
  EXPECT_EQ(F(a, "event.outcome"), "success");
  EXPECT_EQ(F(a, "log.level"), "info");
  EXPECT_EQ(F(a, "source.mac"), "00-0C-01-02-03-04");
  EXPECT_EQ(F(a, "dhcp.client.id"), "01:00:0c:01:02:03:04");
  EXPECT_EQ(F(a, "dhcp.transaction_id"), "0x6b09d4f3");
  EXPECT_EQ(F(a, "client.ip"), "192.0.2.5");
  // Kea's own log file (no syslog header): timestamp, level, logger, code.
  Event b = P("2019-08-05 14:32:11.123 INFO  [kea-dhcp4.packets/2870.139] DHCP4_PACKET_RECEIVED [hwtype=1 "
              "00:0c:01:02:03:05], cid=[no info], tid=0x1: DHCPDISCOVER (type 1) received from 0.0.0.0 to "
              "255.255.255.255 on interface eth0");
  EXPECT_EQ(F(b, "event.dataset"), "dhcp.kea");
  EXPECT_EQ(F(b, "event.action"), "dhcp-discover");
  EXPECT_EQ(F(b, "dhcp.client.id"), "<absent>");
  Event c = P("Nov 26 12:00:00 srv kea-dhcp4[1234]: DHCP4_RELEASE [hwtype=1 00:0c:01:02:03:04], cid=[no info], "
              "tid=0x5: address 192.0.2.5 was released properly.");
  EXPECT_EQ(F(c, "event.action"), "dhcp-release");
  EXPECT_EQ(F(c, "client.ip"), "192.0.2.5");
  Event d = P("Nov 26 12:00:00 srv kea-dhcp6[1]: DHCP6_LEASE_ALLOC duid=[00:03:00:01:08:00:27:25:d3:f4], "
              "[no hwaddr info], tid=0x7: lease for address 2001:db8:1::5 and iaid=1 has been allocated for 4000 seconds");
  EXPECT_EQ(F(d, "client.ip"), "2001:db8:1::5");
  EXPECT_EQ(F(d, "dhcp.client.id"), "00:03:00:01:08:00:27:25:d3:f4");
  Event e = P("Nov 26 12:00:00 srv kea-dhcp4[1]: WARN  [kea-dhcp4.alloc-engine/1.1] ALLOC_ENGINE_V4_ALLOC_FAIL "
              "[hwtype=1 00:0c:01:02:03:04], cid=[no info], tid=0x9: failed to allocate an IPv4 address after 100 attempt(s)");
  EXPECT_EQ(F(e, "event.action"), "dhcp-no-free-leases");
  EXPECT_EQ(F(e, "event.outcome"), "failure");
}

// ---------------------------------------------------------------- Windows

TEST(DhcpWindows, AssignWithVendorClass) {
  Event ev = P("10,01/01/01,01:01:01,Assign,192.168.2.20,host.test.com,000000000000,,3096562285,0,,,,"
               "0x4D53465420352E30,MSFT 5.0,,,,0");
  EXPECT_EQ(F(ev, "event.dataset"), "dhcp.windows");
  EXPECT_EQ(F(ev, "event.code"), "10");
  EXPECT_EQ(F(ev, "event.action"), "dhcp-assign");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "client.ip"), "192.168.2.20");
  EXPECT_EQ(F(ev, "dhcp.client.hostname"), "host.test.com");
  EXPECT_EQ(F(ev, "source.mac"), "00-00-00-00-00-00");
  EXPECT_EQ(F(ev, "dhcp.transaction_id"), "3096562285");
  EXPECT_EQ(F(ev, "dhcp.vendor_class.ascii"), "MSFT 5.0");
  EXPECT_EQ(F(ev, "dhcp.dns_error_code"), "0");
  EXPECT_EQ(F(ev, "event.reason"), "Assign");
  // No syslog header: the CSV date/time becomes @timestamp (server local time, taken as UTC).
  EXPECT_EQ(ev.timestamp_ns, T("2001-01-01T01:01:01Z"));
}

TEST(DhcpWindows, FailuresClientIdAndShortRows) {
  Event a = P("31,09/20/21,09:18:00,DNS Update Failed,172.28.43.159,035856103966.test.com,,,0,6,,,,,,,,,10054");
  EXPECT_EQ(F(a, "event.action"), "dns-update-failed");
  EXPECT_EQ(F(a, "event.outcome"), "failure");
  EXPECT_EQ(F(a, "dhcp.dns_error_code"), "10054");
  Event b = P("10,10/02/22,00:00:33,Assign,192.168.10.40,,653445372C132434342A381337302B566C616D31,,3327778676,0,,,,0x48,H,,,0x0106766C323E3580,0");
  EXPECT_EQ(F(b, "source.mac"), "<absent>");
  EXPECT_EQ(F(b, "dhcp.client.id"), "653445372C132434342A381337302B566C616D31");
  EXPECT_EQ(F(b, "dhcp.relay_agent_information"), "0x0106766C323E3580");
  Event c = P("01,04/19/20,13:11:13,Stopped,,,");
  EXPECT_EQ(F(c, "event.action"), "log-stop");
  EXPECT_EQ(F(c, "client.ip"), "<absent>");
  Event d = P("<134>Nov 26 12:00:00 dhcp01 DhcpServer: 11,11/26/26,11:59:59,Renew,10.0.0.4,pc4,AABBCCDDEEFF,,1,0,,,,,,,,,0");
  EXPECT_EQ(F(d, "event.dataset"), "dhcp.windows");
  EXPECT_EQ(F(d, "source.mac"), "AA-BB-CC-DD-EE-FF");
  EXPECT_EQ(d.timestamp_ns, T("2026-11-26T12:00:00Z")) << "the envelope time wins";
}

// ---------------------------------------------------------------- declines

TEST(DhcpDeclines, LeaveEventUntouched) {
  Register();
  const char* names[] = {"isc", "dnsmasq", "kea", "windows"};
  int k = 0;
  for (auto fn : {&ParseIscDhcp, &ParseDnsmasqDhcp, &ParseKeaDhcp, &ParseWindowsDhcp}) {
    const char* parser = names[k++];
    for (const char* msg : {"hello", "", "DHCPACK", "DHCP(", "10,1/1/1,", "DHCP4_", "DHCPACK on", "DHCPOFFER on x"}) {
      Event ev;
      ev.Set("message", msg);
      ev.Set("process.name", "kernel");
      Event before = ev;
      bool ok = fn(&ev);
      // Nothing here is a whole DHCP line: each is garbage or a bare prefix, to be declined.
      EXPECT_FALSE(ok) << parser << " accepted: '" << msg << "'";
      if (!ok) {
        EXPECT_EQ(ev.fields, before.fields) << msg;
        EXPECT_EQ(ev.timestamp_ns, before.timestamp_ns);
      }
    }
  }
  Event ev;
  ev.Set("message", "DHCPACK on");
  EXPECT_FALSE(ParseIscDhcp(&ev));
}

TEST(DhcpDeclines, MacNormalisationRejectsNonMacs) {
  Event ev = P("Jan  1 00:00:00 gw dhcpd[1]: DHCPDISCOVER from 00:11:22:33:44 via eth0");
  EXPECT_EQ(F(ev, "source.mac"), "<absent>");
  EXPECT_EQ(F(ev, "event.dataset"), "dhcp.isc");
}

// ---------------------------------------------------------------- corpus

std::vector<std::string> Csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool q = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (q) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') q = false;
      else cur += c;
    } else if (c == '"') {
      q = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

//! "aa:bb:.." -> ECS "AA-BB-..", for comparing with raw values from the peers.
std::string EcsMac(std::string s) {
  for (auto& c : s) {
    if (c == ':') c = '-';
    else if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 32);
  }
  return s;
}

TEST(DhcpCorpus, PfsenseIscDhcpd) {
  std::string log = corpus::Path("dhcp/isc-dhcpd/elastic-test-pfsense-dhcp.log");
  if (log.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  corpus::CorpusFormat f{"dhcp.isc elastic pfsense-dhcp (dhcpd)"};
  int others = 0;
  for (const auto& line : corpus::Lines(log)) {
    Event ev = P(line, "", T("2021-08-01T00:00:00Z"));
    // The program and message as the raw line writes them: "<PRI>Mmm dd hh:mm:ss prog[pid]: msg".
    size_t tag_at = line.find('>') + 1 + 16, colon = line.find(": ", tag_at);
    ASSERT_NE(colon, std::string::npos) << line;
    std::string tag = line.substr(tag_at, line.find_first_of("[:", tag_at) - tag_at);
    if (tag != "dhcpd" && tag != "dhclient") {  // dhcp6c, dhcpleases: not ISC DHCP's own lines
      ++others;
      EXPECT_NE(corpus::Field(ev, "event.dataset"), "dhcp.isc") << line;
      continue;
    }
    f.Classify(ev, "dhcp.isc");  // the server's lease log and its client (DhcpIsc.Dhclient)
    // The line's own fields (no peer expected output for this file).
    std::string msg = line.substr(colon + 2);
    f.Expect(ev, "process.name", tag);
    f.Expect(ev, "message", msg);
    if (msg.rfind("DHCP", 0) == 0) f.Expect(ev, "source.mac", "4C-55-41-A0-FA-99");
    if (msg.rfind("DHCPOFFER", 0) == 0 || msg.rfind("DHCPACK", 0) == 0 || msg.rfind("DHCPREQUEST", 0) == 0) {
      f.Expect(ev, "client.ip", "10.150.60.56");
      f.Expect(ev, "dhcp.client.hostname", "computer-name");
    }
  }
  EXPECT_EQ(others, 10);  // 9 dhcp6c, 1 dhcpleases
  Report({f});
}

TEST(DhcpCorpus, OssecOpenbsdDhcpd) {
  std::string ini = corpus::Path("dhcp/isc-dhcpd/ossec-openbsd-dhcpd.ini");
  if (ini.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  corpus::CorpusFormat f{"dhcp.isc ossec openbsd-dhcpd.ini"};
  for (const auto& l : corpus::Lines(ini)) {
    size_t p = l.find(" pass = ");
    if (l.rfind("log ", 0) != 0 || p == std::string::npos) continue;
    Event ev = P(l.substr(p + 8));
    f.Classify(ev, "dhcp.isc");  // decoder = dhcpd
    f.Expect(ev, "process.name", "dhcpd");
  }
  Report({f});
}

TEST(DhcpCorpus, LoghubThunderbirdDhcpd) {
  std::string log = corpus::Path("dhcp/isc-dhcpd/loghub-Thunderbird_2k.log");
  std::string csv = corpus::Path("dhcp/isc-dhcpd/loghub-Thunderbird_2k.log_structured.csv");
  if (log.empty() || csv.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  auto lines = corpus::Lines(log);
  auto rows = corpus::Lines(csv);
  ASSERT_EQ(rows.size(), lines.size() + 1);
  auto header = Csv(rows[0]);
  ASSERT_EQ(header[9], "Component");
  ASSERT_EQ(header[11], "Content");
  corpus::CorpusFormat f{"dhcp.isc loghub Thunderbird_2k (dhcpd)"};
  for (size_t i = 0; i < lines.size(); ++i) {
    auto row = Csv(rows[i + 1]);
    if (row[9] != "dhcpd") continue;
    // Loghub prefixes each syslog line with "<label> <epoch> <date> <node> "; strip it.
    std::string line = lines[i];
    for (int k = 0; k < 4; ++k) line = line.substr(line.find(' ') + 1);
    Event ev = P(line, "", T("2005-12-31T00:00:00Z"));
    f.Classify(ev, "dhcp.isc");
    f.Expect(ev, "message", row[11]);
    f.Expect(ev, "host.name", row[8]);  // Location, e.g. src@aadmin1
    // Template captures: "DHCPDISCOVER from <*> via eth1", "DHCPOFFER on <*> to <*> via eth1",
    // "DHCPREQUEST for <*> (<*>) from <*> via eth1[: unknown lease <*>.]", "DHCPACK on <*> to <*> via eth1".
    const std::string& c = row[11];
    std::vector<std::string> w;
    for (size_t b = 0; b < c.size();) {
      size_t e = c.find(' ', b);
      w.push_back(c.substr(b, e == std::string::npos ? std::string::npos : e - b));
      if (e == std::string::npos) break;
      b = e + 1;
    }
    if (w[0] == "DHCPDISCOVER") f.Expect(ev, "source.mac", EcsMac(w[2]));
    if (w[0] == "DHCPOFFER" || w[0] == "DHCPACK") {
      f.Expect(ev, "client.ip", w[2]);
      f.Expect(ev, "source.mac", EcsMac(w[4]));
    }
    if (w[0] == "DHCPREQUEST") {
      f.Expect(ev, "client.ip", w[2]);
      f.Expect(ev, "server.ip", w[3].substr(1, w[3].size() - 2));
      f.Expect(ev, "source.mac", EcsMac(w[5]));
    }
    f.Expect(ev, "event.outcome", c.find(": ") != std::string::npos ? "failure" : "success");
    f.Expect(ev, "observer.ingress.interface.name", "eth1");
  }
  Report({f});
}

TEST(DhcpCorpus, WindowsDhcpSrvLog) {
  std::string log = corpus::Path("dhcp/windows-dhcp-csv/elastic-test-log.log");
  if (log.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  corpus::CorpusFormat f{"dhcp.windows elastic test-log (DhcpSrvLog)"};
  for (const auto& line : corpus::Lines(log)) {
    Event ev = P(line);
    f.Classify(ev, "dhcp.windows");
    // No peer output here (SOURCE.md): compare against the CSV columns themselves.
    auto col = Csv(line);
    f.Expect(ev, "event.code", col[0]);
    if (col.size() > 4 && !col[4].empty()) f.Expect(ev, "client.ip", col[4]);
    if (col.size() > 5 && !col[5].empty()) f.Expect(ev, "dhcp.client.hostname", col[5]);
    if (col.size() > 8 && !col[8].empty()) f.Expect(ev, "dhcp.transaction_id", col[8]);
    f.Differs("event.action", "Elastic names (dhcp-new, dhcp-dns-update, ...) differ from ours (dhcp-assign, dns-update-request, ...)");
    f.Differs("source.mac", "Elastic writes host.mac; we write the client MAC to source.mac (same AA-BB-.. form)");
  }
  Report({f});
}

}  // namespace
}  // namespace kamatama
