// tests/dns_parser_test.cc: BIND, dnsmasq, Unbound, Windows DNS debug log and Suricata EVE dns
// parsers: exact field values on known lines, and the shared corpus scored against the peers.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "parser_test_util.h"
#include "parsers/dns.h"
#include "parsers/registry.h"
#include "tests/corpus_util.h"
#include "tests/mail_dns_corpus.h"

namespace kamatama {
namespace {

using test_util::F;

class DnsParsers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RegisterDnsParsers(&ParserRegistry::Global()); }
};

Event P(const std::string& line, const std::string& source = "") { return corpus::Parse(line, source); }

TEST_F(DnsParsers, BindQueryLog) {
  // The query-log line (no peer sample in the corpus: format from the BIND 9 ARM).
  for (std::string prefix : {"", "queries: info: "}) {
    Event ev = P("Nov 26 11:59:00 ns1 named[812]: " + prefix +
                 "client @0x7f1c2c0a1b20 10.0.0.1#53211 (example.com): query: example.com IN A +E(0)K (10.0.0.53)");
    EXPECT_EQ(F(ev, "event.dataset"), "dns.bind");
    EXPECT_EQ(F(ev, "event.category"), "network");
    EXPECT_EQ(F(ev, "event.action"), "query");
    EXPECT_EQ(F(ev, "event.outcome"), "success");
    EXPECT_EQ(F(ev, "source.ip"), "10.0.0.1");
    EXPECT_EQ(F(ev, "source.port"), "53211");
    EXPECT_EQ(F(ev, "destination.ip"), "10.0.0.53");
    EXPECT_EQ(F(ev, "dns.question.name"), "example.com");
    EXPECT_EQ(F(ev, "dns.question.type"), "A");
    EXPECT_EQ(F(ev, "dns.question.class"), "IN");
    EXPECT_EQ(F(ev, "dns.type"), "query");
    EXPECT_EQ(F(ev, "bind.query_flags"), "+E(0)K");
    EXPECT_EQ(F(ev, "dns.header_flags"), "RD");
    if (!prefix.empty()) {
      EXPECT_EQ(F(ev, "bind.category"), "queries");
      EXPECT_EQ(F(ev, "log.level"), "info");
    }
  }
}

TEST_F(DnsParsers, BindDeniedFileChannel) {
  Event ev = P("03-Nov-2022 13:34:52.235 security: error: client @0x7fb04c007328 ::1#62449 (example.com): "
               "zone transfer 'example.com/AXFR/IN' denied");
  EXPECT_EQ(F(ev, "event.dataset"), "dns.bind");
  EXPECT_EQ(F(ev, "event.action"), "zone-transfer-denied");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "event.type"), "denied");
  EXPECT_EQ(F(ev, "source.ip"), "::1");
  EXPECT_EQ(F(ev, "source.port"), "62449");
  EXPECT_EQ(F(ev, "dns.question.name"), "example.com");
  EXPECT_EQ(F(ev, "dns.question.type"), "AXFR");
  EXPECT_EQ(F(ev, "bind.category"), "security");
  EXPECT_EQ(F(ev, "log.level"), "error");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2022-11-03T13:34:52.235Z");
  Event b = P("Aug 27 16:58:31 vhost1-ua named[29206]: client 176.9.92.38#42592 (simmarket.com.ua): bad zone "
              "transfer request: 'simmarket.com.ua/IN': non-authoritative zone (NOTAUTH)");
  EXPECT_EQ(F(b, "event.action"), "zone-transfer-bad-request");
  EXPECT_EQ(F(b, "dns.response_code"), "NOTAUTH");
  EXPECT_EQ(F(b, "dns.question.class"), "IN");
  Event v = P("Jul 24 14:23:36 raid5 named[3935]: client 62.109.4.89#9334: view external: query (cache) './NS/IN' denied");
  EXPECT_EQ(F(v, "bind.view"), "external");
  EXPECT_EQ(F(v, "dns.question.name"), ".");
  EXPECT_EQ(F(v, "event.action"), "query-denied");
  // Other named lines are kept as dns.bind without a client.
  Event z = P("Nov 26 11:00:00 ns1 named[1]: zone example.com/IN: loaded serial 2026112601");
  EXPECT_EQ(F(z, "event.dataset"), "dns.bind");
  EXPECT_EQ(F(z, "dns.question.name"), "example.com");
  EXPECT_EQ(F(z, "source.ip"), "<absent>");
}

TEST_F(DnsParsers, Dnsmasq) {
  Event q = P("Jul 17 14:49:57 gw dnsmasq[15210]: 21745 10.10.10.33/59490 query[A] server.example.com from 10.10.10.33");
  EXPECT_EQ(F(q, "event.dataset"), "dns.dnsmasq");
  EXPECT_EQ(F(q, "event.action"), "query");
  EXPECT_EQ(F(q, "source.ip"), "10.10.10.33");
  EXPECT_EQ(F(q, "source.port"), "59490");
  EXPECT_EQ(F(q, "dns.question.name"), "server.example.com");
  EXPECT_EQ(F(q, "dns.question.type"), "A");
  EXPECT_EQ(F(q, "dnsmasq.serial"), "21745");
  Event fw = P("Jul 17 14:49:57 gw dnsmasq[15210]: forwarded server.example.com to 10.20.20.10");
  EXPECT_EQ(F(fw, "event.action"), "forwarded");
  EXPECT_EQ(F(fw, "destination.ip"), "10.20.20.10");
  Event r = P("Jul 17 14:49:57 gw dnsmasq[15210]: reply server.example.com is 10.1.2.3");
  EXPECT_EQ(F(r, "event.action"), "reply");
  EXPECT_EQ(F(r, "dns.answers"), "10.1.2.3");
  EXPECT_EQ(F(r, "dns.resolved_ip"), "10.1.2.3");
  EXPECT_EQ(F(r, "dns.response_code"), "NOERROR");
  Event nx = P("Jul 17 14:49:57 gw dnsmasq[15210]: cached nope.example.com is NXDOMAIN");
  EXPECT_EQ(F(nx, "event.action"), "cached");
  EXPECT_EQ(F(nx, "dns.response_code"), "NXDOMAIN");
  Event h = P("Jul 17 14:49:57 gw dnsmasq[15210]: /etc/hosts localhost is 127.0.0.1");
  EXPECT_EQ(F(h, "event.action"), "hosts");
  Event s = P("Jul 17 14:49:57 gw dnsmasq[15210]: started, version 2.80 cachesize 150");
  EXPECT_EQ(F(s, "event.dataset"), "dns.dnsmasq");
  EXPECT_EQ(F(s, "event.action"), "log");
}

TEST_F(DnsParsers, Unbound) {
  Event q = P("2014-07-14T14:00:02.814490-04:00 arrakis unbound: [2541:0] info: 127.0.0.1 talkgadget.google.com. A IN");
  EXPECT_EQ(F(q, "event.dataset"), "dns.unbound");
  EXPECT_EQ(F(q, "event.action"), "query");
  EXPECT_EQ(F(q, "source.ip"), "127.0.0.1");
  EXPECT_EQ(F(q, "dns.question.name"), "talkgadget.google.com");
  EXPECT_EQ(F(q, "dns.question.type"), "A");
  EXPECT_EQ(F(q, "dns.question.class"), "IN");
  Event r = P("2026-11-26T12:00:00Z h unbound: [2541:0] info: 10.0.0.2 example.com. AAAA IN NXDOMAIN 0.012 0 52");
  EXPECT_EQ(F(r, "event.action"), "reply");
  EXPECT_EQ(F(r, "dns.response_code"), "NXDOMAIN");
  EXPECT_EQ(F(r, "event.outcome"), "failure");
  Event s = P("2014-05-20T09:01:07.283219-04:00 arrakis unbound: [9405:0] notice: sendto failed: Can't assign");
  EXPECT_EQ(F(s, "event.action"), "log");
  EXPECT_EQ(F(s, "log.level"), "notice");
}

// No public sample of the Windows DNS Server debug log is in the corpus: these lines follow the
// format as Microsoft documents it (the header the log file itself prints: date, time, thread id,
// context, packet address, protocol, Snd/Rcv, remote IP, xid (hex), R for a response, opcode,
// [flags hex, flag chars A/T/D/R, response code], question type, question name in wire form).
TEST_F(DnsParsers, WindowsDnsDebugLog) {
  Event q = P("11/26/2026 12:00:00 PM 0E5C PACKET  000000D1B8A4E170 UDP Rcv 10.0.0.5 e3a4   Q [0001   D   NOERROR] "
              "A      (7)example(3)com(0)");
  EXPECT_EQ(F(q, "event.dataset"), "dns.windows");
  EXPECT_EQ(F(q, "event.action"), "query");
  EXPECT_EQ(F(q, "source.ip"), "10.0.0.5");
  EXPECT_EQ(F(q, "dns.id"), "58276");
  EXPECT_EQ(F(q, "dns.type"), "query");
  EXPECT_EQ(F(q, "dns.question.type"), "A");
  EXPECT_EQ(F(q, "dns.question.name"), "example.com");
  EXPECT_EQ(F(q, "dns.header_flags"), "RD");
  EXPECT_EQ(F(q, "dns.op_code"), "QUERY");
  EXPECT_EQ(F(q, "network.transport"), "udp");
  EXPECT_EQ(corpus::Field(q, "@timestamp"), "2026-11-26T12:00:00.000Z");
  Event r = P("11/26/2026 1:02:03 AM 0E5C PACKET  000000D1B8A4E170 UDP Snd 10.0.0.5 e3a4 R Q [8385 A DR NXDOMAIN] "
              "AAAA   (3)www(7)example(3)com(0)");
  EXPECT_EQ(F(r, "event.action"), "answer");
  EXPECT_EQ(F(r, "event.outcome"), "failure");
  EXPECT_EQ(F(r, "source.ip"), "10.0.0.5");
  EXPECT_EQ(F(r, "dns.response_code"), "NXDOMAIN");
  EXPECT_EQ(F(r, "dns.header_flags"), "AA,RD,RA");
  EXPECT_EQ(F(r, "dns.question.name"), "www.example.com");
  EXPECT_EQ(corpus::Field(r, "@timestamp"), "2026-11-26T01:02:03.000Z");
  Event up = P("11/26/2026 13:02:03 0E5C PACKET  000000D1B8A4E170 UDP Snd 8.8.8.8 0102   Q [0001   D   NOERROR] "
               "A      (7)example(3)com(0)");
  EXPECT_EQ(F(up, "destination.ip"), "8.8.8.8");
  EXPECT_EQ(F(up, "source.ip"), "<absent>");
  // The log's header lines are not packets.
  Event hdr = P("11/26/2026 12:00:00 PM 0E5C EVENT   The DNS server has started.");
  EXPECT_NE(F(hdr, "event.dataset"), "dns.windows");
}

TEST_F(DnsParsers, SuricataEve) {
  Event ev = P("{\"timestamp\":\"2021-06-15T23:48:27.950946+0000\",\"event_type\":\"dns\",\"src_ip\":\"10.0.2.3\","
               "\"src_port\":53,\"dest_ip\":\"10.0.2.15\",\"dest_port\":36993,\"proto\":\"UDP\",\"dns\":{\"version\":2,"
               "\"type\":\"answer\",\"id\":39523,\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,\"rcode\":"
               "\"NOERROR\",\"rrname\":\"google.com\",\"rrtype\":\"AAAA\",\"answers\":[{\"rrname\":\"google.com\","
               "\"rrtype\":\"AAAA\",\"ttl\":272,\"rdata\":\"2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6\"}]}}");
  EXPECT_EQ(F(ev, "event.dataset"), "dns.suricata");
  EXPECT_EQ(F(ev, "event.action"), "answer");
  EXPECT_EQ(F(ev, "source.ip"), "10.0.2.3");
  EXPECT_EQ(F(ev, "destination.port"), "36993");
  EXPECT_EQ(F(ev, "network.transport"), "udp");
  EXPECT_EQ(F(ev, "dns.id"), "39523");
  EXPECT_EQ(F(ev, "dns.question.name"), "google.com");
  EXPECT_EQ(F(ev, "dns.response_code"), "NOERROR");
  EXPECT_EQ(F(ev, "dns.header_flags"), "RD,RA");
  EXPECT_EQ(F(ev, "dns.answers"),
            "[{\"name\":\"google.com\",\"type\":\"AAAA\",\"ttl\":272,\"data\":\"2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6\"}]");
  EXPECT_EQ(F(ev, "dns.resolved_ip"), "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2021-06-15T23:48:27.950946Z");
  Event other = P("{\"event_type\":\"alert\",\"src_ip\":\"1.2.3.4\"}");
  EXPECT_NE(F(other, "event.dataset"), "dns.suricata");
}

TEST_F(DnsParsers, NotTouchedWhenNotTheirs) {
  Event ev;
  ev.Set("message", "hello client 1.2.3.4 world");
  ev.Set("process.name", "sshd");
  Event before = ev;
  EXPECT_FALSE(ParseBind(&ev));
  EXPECT_FALSE(ParseDnsmasq(&ev));
  EXPECT_FALSE(ParseUnbound(&ev));
  EXPECT_FALSE(ParseWindowsDns(&ev));
  EXPECT_FALSE(ParseSuricataDns(&ev));
  EXPECT_EQ(ev.fields, before.fields);
  for (std::string s : {std::string("client @0x"), std::string("client 1.2.3.4#"), std::string("client ::1#1 ("),
                        std::string("query[A"), std::string("[1:0] info: 1.2.3.4 x. A"),
                        std::string("1/1/2026 1:00:00 PM 0 PACKET  0 UDP Rcv 1.1.1.1 ffff R Q ["),
                        std::string("\0\xff", 2)}) {
    for (std::string prog : {"named", "dnsmasq", "unbound"}) P("Nov 26 11:00:00 h " + prog + "[1]: " + s);
    P(s, "dns.windows");
  }
}

// ---------------------------------------------------------------- corpus

// Wazuh/OSSEC .ini: (raw line, pass?, disabled?) for each "log N pass|fail = ..." line.
struct IniLine {
  std::string raw;
  bool pass, disabled;
};
std::vector<IniLine> IniLines(const std::string& path) {
  std::vector<IniLine> out;
  for (const auto& l0 : corpus::Lines(path)) {
    std::string l = l0;
    bool disabled = !l.empty() && l[0] == ';';
    if (disabled) l = l.substr(1);
    if (l.rfind("log ", 0) != 0) continue;
    size_t eq = l.find(" = ");
    if (eq == std::string::npos) continue;
    out.push_back({l.substr(eq + 3), l.find(" pass ") != std::string::npos, disabled});
  }
  return out;
}

std::string JoinArray(simdjson::dom::element e) {
  std::string out;
  simdjson::dom::array a;
  if (e.get_array().get(a)) return out;
  for (auto x : a) {
    std::string_view s;
    if (x.get_string().get(s)) continue;
    if (!out.empty()) out += ',';
    out.append(s);
  }
  return out;
}

TEST_F(DnsParsers, Corpus) {
  if (corpus::Path("dns").empty()) GTEST_SKIP() << "corpus not beside the checkout";
  std::vector<corpus::CorpusFormat> formats;

  {
    corpus::CorpusFormat f{"dns.bind crowdsec"};
    for (std::string n : {"logs", "syslog"}) {
      std::string base = "dns/bind9/crowdsec-bind9-" + n;
      auto lines = corpus::Lines(corpus::Path(base + ".log"));
      auto exp = corpus_md::CrowdsecAsserts(corpus::Path(base + ".parser.assert"), "s01-parse");
      for (size_t i = 0; i < lines.size(); ++i) {
        Event ev = P(lines[i]);
        f.Classify(ev, "dns.bind");
        auto& e = exp[static_cast<int>(i)];
        if (e.count("Parsed.remote_addr")) f.Expect(ev, "source.ip", e["Parsed.remote_addr"]);
        if (e.count("Parsed.remote_port")) f.Expect(ev, "source.port", e["Parsed.remote_port"]);
        if (n == "logs" && e.count("Parsed.ts_y")) {
          std::string t = e["Parsed.ts_y"] + "-" + "xx-" + e["Parsed.ts_d"] + "T" + e["Parsed.ts_t"] + "." + e["Parsed.ts_ms"];
          static const char* kM[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
          for (int m = 0; m < 12; ++m)
            if (e["Parsed.ts_m"] == kM[m]) t.replace(5, 2, (m < 9 ? "0" : "") + std::to_string(m + 1));
          corpus_md::ExpectTime(&f, ev, t);
        }
      }
      if (n == "syslog")
        f.Differs("@timestamp", "syslog-wrapped lines keep the syslog header's time, not named's inner time");
    }
    formats.push_back(f);
  }
  {
    corpus::CorpusFormat f{"dns.bind fail2ban"};
    for (const auto& [line, js] : corpus_md::Fail2banLines(corpus::Path("dns/bind9/fail2ban-named-refused.log"))) {
      Event ev = P(line);
      f.Classify(ev, "dns.bind");
      std::string host = corpus_md::JsonStr(js, "host");
      if (!host.empty()) f.Expect(ev, "source.ip", host);
      std::string time = corpus_md::JsonStr(js, "time");
      if (!time.empty() && line[2] == '-') corpus_md::ExpectTime(&f, ev, time);
      else if (!time.empty()) f.Differs("@timestamp", "yearless syslog: year from the receive time");
    }
    formats.push_back(f);
  }
  {
    corpus::CorpusFormat f{"dns.bind wazuh/ossec ini"};
    f.ClassificationOnly("OSSEC/Wazuh rule tests name only the decoder (named), no field values");
    for (std::string n : {"dns/bind9/ossec-named.ini", "dns/bind9/wazuh-named.ini"}) {
      for (const auto& l : IniLines(corpus::Path(n))) {
        if (!l.pass) {
          f.Differs("log N fail", "'name[464]' is still a BIND client line by content: recognised, not scored");
          continue;
        }
        Event ev = P(l.raw);
        f.Classify(ev, "dns.bind");
      }
    }
    formats.push_back(f);
  }
  {
    corpus::CorpusFormat f{"dns.dnsmasq ossec ini"};
    for (const auto& l : IniLines(corpus::Path("dns/dnsmasq-unbound/ossec-dnsmasq.ini"))) {
      Event ev = P(l.raw);
      f.Classify(ev, "dns.dnsmasq");
      f.Expect(ev, "dns.question.name", "server.example.com");
    }
    formats.push_back(f);
  }
  {
    corpus::CorpusFormat f{"dns.unbound wazuh ini (disabled upstream)"};
    for (const auto& l : IniLines(corpus::Path("dns/dnsmasq-unbound/wazuh-unbound.ini"))) {
      Event ev = P(l.raw);
      f.Classify(ev, "dns.unbound");
      // The line's own header: "<RFC 3339 time> <host> unbound: [pid:thread] ...".
      std::istringstream head(l.raw);
      std::string time, host, prog;
      head >> time >> host >> prog;
      f.Expect(ev, "host.name", host);
      f.Expect(ev, "process.name", prog.substr(0, prog.find(':')));
      if (l.raw.find("talkgadget") != std::string::npos) f.Expect(ev, "dns.question.name", "talkgadget.google.com");
    }
    formats.push_back(f);
  }
  {
    corpus::CorpusFormat f{"dns.suricata wazuh ECS"};
    auto lines = corpus::Lines(corpus::Path("dns/suricata-eve-dns/wazuh-engine-suricata-dns_input.txt"));
    simdjson::dom::parser parser;
    std::string js = corpus::ReadAll(corpus::Path("dns/suricata-eve-dns/wazuh-engine-suricata-dns_expected.json"));
    simdjson::dom::array exp;
    ASSERT_FALSE(parser.parse(js).get_array().get(exp));
    size_t i = 0;
    for (simdjson::dom::element e : exp) {
      if (i >= lines.size()) break;
      Event ev = P(lines[i++]);
      f.Classify(ev, "dns.suricata");
      auto str = [&](const char* path) -> std::string {
        auto r = e.at_pointer(path);
        if (r.error()) return "\x01";
        std::string_view s;
        if (!r.get_string().get(s)) return std::string(s);
        int64_t n;
        if (!r.get_int64().get(n)) return std::to_string(n);
        return "\x01";
      };
      const std::pair<const char*, const char*> m[] = {
          {"/source/ip", "source.ip"},         {"/source/port", "source.port"},
          {"/destination/ip", "destination.ip"}, {"/destination/port", "destination.port"},
          {"/network/transport", "network.transport"}, {"/network/protocol", "network.protocol"},
          {"/dns/id", "dns.id"},                 {"/dns/type", "dns.type"},
          {"/dns/question/name", "dns.question.name"}, {"/dns/question/type", "dns.question.type"},
          {"/dns/response_code", "dns.response_code"}};
      for (auto [ptr, field] : m) {
        std::string v = str(ptr);
        if (v != "\x01") f.Expect(ev, field, v);
      }
      auto flags = e.at_pointer("/dns/header_flags");
      if (!flags.error()) f.Expect(ev, "dns.header_flags", JoinArray(flags.value()));
      auto rip = e.at_pointer("/dns/resolved_ip");
      if (!rip.error()) f.Expect(ev, "dns.resolved_ip", JoinArray(rip.value()));
      else if (!e.at_pointer("/dns/answers").error())
        f.Differs("dns.resolved_ip", "also set for EVE v2 (grouped answers); Wazuh sets it for v1 only");
      if (!e.at_pointer("/dns/answers").error())
        f.Differs("dns.answers", "one JSON array of ECS {name,type,ttl,data} for v1 and v2 alike (Wazuh keeps "
                                 "Suricata's rrname/rrtype/rdata for v2)");
      if (e.at_pointer("/dns/question/name").error() && ev.Get("dns.question.name"))
        f.Differs("dns.question.name", "set from rrname for EVE v1 answers too (Wazuh leaves it out)");
    }
    formats.push_back(f);
  }
  if (std::getenv("KMT_CORPUS_DEBUG")) {
    for (const auto& f : formats)
      for (const auto& d : f.disagreements) std::printf("  [%s] %s\n", f.name.c_str(), d.c_str());
  }
  corpus::Report(formats);
}

}  // namespace
}  // namespace kamatama
