// tests/proxy_parser_test.cc
//! Proxy parsers (Squid, CLF access logs, HAProxy, Sophos XG web filter, Proxifier): exact
//! fields on known lines, rejection of other formats, and the shared corpus scored against peers.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "corpus_util.h"
#include "parser_test_util.h"
#include "parsers/json_event.h"
#include "parsers/parse.h"
#include "parsers/proxy.h"
#include "parsers/registry.h"

namespace kamatama {
namespace {

using test_util::F;

void Register() { RegisterProxyParsers(&ParserRegistry::Global()); }

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

// ---------------------------------------------------------------- Squid

TEST(Squid, RawLine) {
  Event ev = P("1286536309.450 1 192.168.1.1 TCP_MISS/200 507 GET http://x.example:8080/a/b?q=1 - "
               "HIER_DIRECT/1.2.3.4 text/html");
  EXPECT_EQ(F(ev, "event.dataset"), "proxy.squid");
  EXPECT_EQ(F(ev, "event.category"), "web");
  EXPECT_EQ(F(ev, "event.type"), "access");
  EXPECT_EQ(F(ev, "event.action"), "TCP_MISS");
  EXPECT_EQ(F(ev, "squid.result_code"), "TCP_MISS");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "source.ip"), "192.168.1.1");
  EXPECT_EQ(F(ev, "http.response.status_code"), "200");
  EXPECT_EQ(F(ev, "http.response.bytes"), "507");
  EXPECT_EQ(F(ev, "http.request.method"), "GET");
  EXPECT_EQ(F(ev, "url.original"), "http://x.example:8080/a/b?q=1");
  EXPECT_EQ(F(ev, "url.domain"), "x.example");
  EXPECT_EQ(F(ev, "url.port"), "8080");
  EXPECT_EQ(F(ev, "url.path"), "/a/b");
  EXPECT_EQ(F(ev, "url.query"), "q=1");
  EXPECT_EQ(F(ev, "user.name"), "<absent>");
  EXPECT_EQ(F(ev, "destination.ip"), "1.2.3.4");
  EXPECT_EQ(F(ev, "squid.hierarchy_code"), "HIER_DIRECT");
  EXPECT_EQ(F(ev, "http.response.mime_type"), "text/html");
  EXPECT_EQ(F(ev, "event.duration"), "1000000");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2010-10-08T11:11:49.450Z");
  EXPECT_EQ(F(ev, "message"), ev.original);
}

TEST(Squid, InSyslogAndDenied) {
  Event ev = P("<13>Jan  1 00:00:00 proxy squid[123]: 1157689312.049   5006 10.105.21.199 TCP_DENIED/407 1785 "
               "CONNECT login.yahoo.com:443 badeyek NONE/- -");
  EXPECT_EQ(F(ev, "event.dataset"), "proxy.squid");
  EXPECT_EQ(F(ev, "host.name"), "proxy");
  EXPECT_EQ(F(ev, "event.type"), "access,denied");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "user.name"), "badeyek");
  EXPECT_EQ(F(ev, "url.domain"), "login.yahoo.com");
  EXPECT_EQ(F(ev, "destination.port"), "443");
  EXPECT_EQ(F(ev, "destination.ip"), "<absent>");
  EXPECT_EQ(F(ev, "http.response.mime_type"), "<absent>");
  Event not_squid;
  not_squid.Set("message", "1157689312.049 5006 10.105.21.199 hello 1785 GET / - NONE/- -");
  EXPECT_FALSE(ParseSquid(&not_squid));
  EXPECT_EQ(not_squid.fields.size(), 1u);
}

// ---------------------------------------------------------------- access log

TEST(AccessLog, CombinedAndCommon) {
  Event ev = P("203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif?x=1 HTTP/1.0\" 200 2326 "
               "\"http://ref.example/\" \"Mozilla/5.0 (X11)\"");
  EXPECT_EQ(F(ev, "event.dataset"), "proxy.access");
  EXPECT_EQ(F(ev, "source.ip"), "203.0.113.9");
  EXPECT_EQ(F(ev, "user.name"), "frank");
  EXPECT_EQ(F(ev, "http.request.method"), "GET");
  EXPECT_EQ(F(ev, "url.original"), "/apache_pb.gif?x=1");
  EXPECT_EQ(F(ev, "url.path"), "/apache_pb.gif");
  EXPECT_EQ(F(ev, "url.query"), "x=1");
  EXPECT_EQ(F(ev, "http.version"), "1.0");
  EXPECT_EQ(F(ev, "http.response.status_code"), "200");
  EXPECT_EQ(F(ev, "http.response.body.bytes"), "2326");
  EXPECT_EQ(F(ev, "http.request.referrer"), "http://ref.example/");
  EXPECT_EQ(F(ev, "user_agent.original"), "Mozilla/5.0 (X11)");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2000-10-10T20:55:36.000Z");

  Event c = P("<190>Nov 26 11:00:00 lb nginx: 10.0.0.1 - - [26/Nov/2026:11:00:00 +0000] \"POST /login HTTP/1.1\" 403 -");
  EXPECT_EQ(F(c, "event.dataset"), "proxy.access");
  EXPECT_EQ(F(c, "http.response.status_code"), "403");
  EXPECT_EQ(F(c, "http.response.body.bytes"), "<absent>");
  EXPECT_EQ(F(c, "event.outcome"), "failure");
  EXPECT_EQ(F(c, "user.name"), "<absent>");

  Event bad;
  bad.Set("message", "10.0.0.1 - - [26/Nov/2026:11:00:00 +0000] \"GET / HTTP/1.1\" OK 12");
  EXPECT_FALSE(ParseAccessLog(&bad));
}

// ---------------------------------------------------------------- HAProxy

TEST(Haproxy, HttpLogAndErrorLine) {
  Event ev = P("<134>Mar 12 06:56:28 lb haproxy[123]: 22.118.26.10:10285 [12/Mar/2021:06:56:28.088] fe-verify~ "
               "maskurl/dns 0/0/0/1263/1264 200 20602 - - ---- 19/19/3/4/0 0/0 \"GET /x?y=1 HTTP/1.1\"");
  EXPECT_EQ(F(ev, "event.dataset"), "proxy.haproxy");
  EXPECT_EQ(F(ev, "source.ip"), "22.118.26.10");
  EXPECT_EQ(F(ev, "source.port"), "10285");
  EXPECT_EQ(F(ev, "haproxy.frontend_name"), "fe-verify~");
  EXPECT_EQ(F(ev, "haproxy.backend_name"), "maskurl");
  EXPECT_EQ(F(ev, "haproxy.server_name"), "dns");
  EXPECT_EQ(F(ev, "http.response.status_code"), "200");
  EXPECT_EQ(F(ev, "http.response.bytes"), "20602");
  EXPECT_EQ(F(ev, "http.request.method"), "GET");
  EXPECT_EQ(F(ev, "url.original"), "/x?y=1");
  EXPECT_EQ(F(ev, "url.path"), "/x");
  EXPECT_EQ(F(ev, "http.version"), "1.1");
  EXPECT_EQ(F(ev, "haproxy.connections.backend"), "3");
  EXPECT_EQ(F(ev, "event.duration"), "1264000000");
  EXPECT_EQ(F(ev, "host.name"), "lb");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2026-03-12T06:56:28.000Z");  // syslog header time kept

  Event e = P("192.168.1.4:50033 [28/Feb/2025:02:43:10.123] frontend/backend: SSL handshake failure");
  EXPECT_EQ(F(e, "event.dataset"), "proxy.haproxy");
  EXPECT_EQ(F(e, "haproxy.frontend_name"), "frontend");
  EXPECT_EQ(F(e, "haproxy.bind_name"), "backend");
  EXPECT_EQ(F(e, "event.outcome"), "failure");
  EXPECT_EQ(corpus::Field(e, "@timestamp"), "2025-02-28T02:43:10.123Z");

  Event t = P("10.0.0.1:5000 [28/Feb/2025:02:43:10.123] tcp-in be/srv1 0/0/5007 212 -- 1/1/1/1/0 0/0");
  EXPECT_EQ(F(t, "event.dataset"), "proxy.haproxy");
  EXPECT_EQ(F(t, "network.transport"), "tcp");
  EXPECT_EQ(F(t, "destination.bytes"), "212");
  EXPECT_EQ(F(t, "event.duration"), "5007000000");
}

// ---------------------------------------------------------------- Sophos XG, Proxifier

TEST(SophosXg, WebFilterAllowed) {
  Event ev = P("device=\"SFW\" date=2020-05-18 time=14:38:53 timezone=\"CEST\" device_name=\"XG230\" "
               "log_id=050901616001 log_type=\"Content Filtering\" log_component=\"HTTP\" log_subtype=\"Denied\" "
               "user_name=\"jdoe\" url=\"http://a.example/x.bin\" src_ip=10.1.1.1 dst_ip=91.228.167.133 "
               "protocol=\"TCP\" src_port=65391 dst_port=80 sent_bytes=980 recv_bytes=295 domain=a.example "
               "status_code=\"403\" referer=\"\"");
  EXPECT_EQ(F(ev, "event.dataset"), "proxy.sophos_xg");
  EXPECT_EQ(F(ev, "event.action"), "deny");
  EXPECT_EQ(F(ev, "event.type"), "access,denied");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "user.name"), "jdoe");
  EXPECT_EQ(F(ev, "source.ip"), "10.1.1.1");
  EXPECT_EQ(F(ev, "destination.port"), "80");
  EXPECT_EQ(F(ev, "network.transport"), "tcp");
  EXPECT_EQ(F(ev, "url.domain"), "a.example");
  EXPECT_EQ(F(ev, "url.path"), "/x.bin");
  EXPECT_EQ(F(ev, "http.response.status_code"), "403");
  EXPECT_EQ(F(ev, "http.request.referrer"), "<absent>");
  Event av;
  av.Set("message", "device=\"SFW\" log_type=\"Anti-Virus\" log_component=\"SMTP\" src_ip=1.2.3.4");
  EXPECT_FALSE(ParseSophosXgWeb(&av));
}

TEST(SophosXg, OddKeysStayOneNameUnderThePrefix) {
  Event ev = P("device=\"SFW\" log_id=050901616001 log_type=\"Content Filtering\" log_component=\"HTTP\" "
               "src_ip=10.1.1.1 .=r a..b=2");
  ASSERT_EQ(F(ev, "event.dataset"), "proxy.sophos_xg");
  for (const auto& [name, value] : ev.fields) {
    EXPECT_FALSE(name.empty() || name.back() == '.' || name.find("..") != std::string::npos) << name;
  }
  EXPECT_EQ(F(ev, "sophos.xg._"), "r");
  EXPECT_EQ(F(ev, "sophos.xg.a._b"), "2");
}

TEST(Proxifier, OpenCloseError) {
  Event o = P("[10.30 16:49:06] chrome.exe *64 - proxy.cse.cuhk.edu.hk:5070 open through proxy "
              "proxy.cse.cuhk.edu.hk:5070 HTTPS");
  EXPECT_EQ(F(o, "event.dataset"), "proxy.proxifier");
  EXPECT_EQ(F(o, "process.name"), "chrome.exe");
  EXPECT_EQ(F(o, "destination.domain"), "proxy.cse.cuhk.edu.hk");
  EXPECT_EQ(F(o, "destination.port"), "5070");
  EXPECT_EQ(F(o, "event.action"), "open");
  EXPECT_EQ(F(o, "proxifier.proxy.type"), "HTTPS");
  EXPECT_EQ(corpus::Field(o, "@timestamp"), "2026-10-30T16:49:06.000Z");
  Event c = P("[12.24 10:00:00] Dropbox.exe - client-cf.dropbox.com:443 close, 22083 bytes (21.5 KB) sent, "
              "71944 bytes (70.2 KB) received, lifetime 01:28");
  EXPECT_EQ(F(c, "event.action"), "close");
  EXPECT_EQ(F(c, "source.bytes"), "22083");
  EXPECT_EQ(F(c, "destination.bytes"), "71944");
  EXPECT_EQ(F(c, "event.duration"), "88000000000");
  EXPECT_EQ(corpus::Field(c, "@timestamp"), "2025-12-24T10:00:00.000Z");  // not after receipt
  Event e = P("[10.30 17:16:10] QQ.exe - 1.2.3.4:80 error : Could not connect through proxy p.example:5070 - "
              "Proxy closed the connection unexpectedly.");
  EXPECT_EQ(F(e, "event.outcome"), "failure");
  EXPECT_EQ(F(e, "destination.ip"), "1.2.3.4");
  EXPECT_EQ(F(e, "proxifier.proxy.address"), "p.example");
}

TEST(ProxyParsers, ForcedSourceOnGarbageNeverCrashes) {
  Register();
  const char* lines[] = {"", "[", "1.1 1 x A/1 1", "1:1 [", "[10.30 16:49:06] a - b",
                         "1.2.3.4:5 [01/Jan/2020:00:00:00.000] a: ", "a b c [01/Jan/2020:00:00:00 +0000] \"",
                         "log_type=\"Content Filtering\" log_component="};
  for (const char* ds : {"proxy.squid", "proxy.access", "proxy.haproxy", "proxy.sophos_xg", "proxy.proxifier"}) {
    for (const char* l : lines) {
      Event ev = corpus::Parse(l, ds);
      EXPECT_NE(F(ev, "event.dataset"), "<absent>");
    }
  }
}

// ---------------------------------------------------------------- corpus

TEST(ProxyCorpus, AllFormats) {
  if (corpus::Path("proxy/squid-native/SOURCE.md").empty()) GTEST_SKIP() << "corpus not found";
  Register();
  std::vector<corpus::CorpusFormat> formats;

  {  // Squid: Elastic (100 raw lines), fail2ban (4, failJSON host/time), Wazuh .ini (2).
    corpus::CorpusFormat f{"proxy/squid-native"};
    // Elastic's raw lines have no expected output here: their own columns are the reference
    // (squid's native logformat: time elapsed client code/status bytes method URL user
    // hierarchy/peer type).
    for (const auto& line : corpus::Lines(corpus::Path("proxy/squid-native/elastic-test-access.log"))) {
      Event ev = corpus::Parse(line);
      f.Classify(ev, "proxy.squid");
      std::istringstream cols(line);
      std::string time, elapsed, client, code_status, bytes, method, url, user, hier, type;
      cols >> time >> elapsed >> client >> code_status >> bytes >> method >> url >> user >> hier >> type;
      f.Expect(ev, "source.ip", client);
      f.Expect(ev, "squid.result_code", code_status.substr(0, code_status.find('/')));
      f.Expect(ev, "http.response.status_code", code_status.substr(code_status.find('/') + 1));
      f.Expect(ev, "http.response.bytes", bytes);
      f.Expect(ev, "http.request.method", method);
      f.Expect(ev, "url.original", url);
      f.Expect(ev, "user.name", user == "-" ? "" : user);
      f.Expect(ev, "squid.hierarchy_code", hier.substr(0, hier.find('/')));
      f.Expect(ev, "event.duration", std::to_string(std::stoll(elapsed) * 1000000));
      f.Expect(ev, "@timestamp", FormatRfc3339(std::stoll(time.substr(0, time.find('.'))) * kNanosPerSecond +
                                               std::stoll(time.substr(time.find('.') + 1)) * 1000000));
    }
    std::string fail_json;
    for (const auto& line : corpus::Lines(corpus::Path("proxy/squid-native/fail2ban-squid.log"))) {
      if (line.rfind("# failJSON:", 0) == 0) {
        fail_json = line;
        continue;
      }
      if (line[0] == '#') continue;
      Event ev = corpus::Parse(line);
      f.Classify(ev, "proxy.squid");
      size_t h = fail_json.find("\"host\": \"");
      if (h != std::string::npos) {
        std::string host = fail_json.substr(h + 9);
        f.Expect(ev, "source.ip", host.substr(0, host.find('"')));
      }
      f.Differs("time", "fail2ban gives local time of its test zone (UTC+1); @timestamp is the epoch in UTC");
    }
    for (const auto& line : IniLogs(corpus::Path("proxy/squid-native/wazuh-squid_rules.ini")))
      f.Classify(corpus::Parse(line), "proxy.squid");
    formats.push_back(f);
  }

  {  // HAProxy: CrowdSec (5 lines, asserts).
    corpus::CorpusFormat f{"proxy/haproxy"};
    auto asserts = corpus::CrowdsecAsserts(corpus::Path("proxy/haproxy/crowdsec-haproxy-logs.parser.assert"));
    auto lines = corpus::Lines(corpus::Path("proxy/haproxy/crowdsec-haproxy-logs.log"));
    EXPECT_EQ(asserts.size(), lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      Event ev = corpus::Parse(line);
      f.Classify(ev, "proxy.haproxy");
      if (i >= asserts.size() || !asserts[i].parse_stage_seen) {
        ADD_FAILURE() << "no CrowdSec parse result for line " << i << ": " << line;
        continue;
      }
      if (!asserts[i].parsed) {  // CrowdSec's own verdict on this line, not a miss of ours
        EXPECT_NE(line.find("heartbeat attack"), std::string::npos) << "CrowdSec rejects line " << i << ": " << line;
        f.Differs("heartbeat line", "CrowdSec's pattern fails on 'Stopped a TLSv1 heartbeat attack'; we parse it");
        continue;
      }
      const auto& a = asserts[i].values;
      auto expect = [&](const char* key, const char* ours) {
        auto k = a.find(key);
        if (k != a.end() && k->second != "-") f.Expect(ev, ours, k->second);
      };
      expect("Parsed.message", "message");
      expect("Parsed.client_ip", "source.ip");
      expect("Parsed.client_port", "source.port");
      expect("Parsed.frontend_name", "haproxy.frontend_name");
      expect("Parsed.backend_name", "haproxy.backend_name");
      expect("Parsed.http_status_code", "http.response.status_code");
      expect("Parsed.http_verb", "http.request.method");
      expect("Parsed.http_request", "url.original");
      expect("Parsed.http_version", "http.version");
      expect("Parsed.bytes_read", "http.response.bytes");
      expect("Parsed.termination_state", "haproxy.termination_state");
      expect("Parsed.actconn", "haproxy.connections.active");
      expect("Parsed.feconn", "haproxy.connections.frontend");
      expect("Parsed.beconn", "haproxy.connections.backend");
      expect("Parsed.srvconn", "haproxy.connections.server");
      expect("Parsed.retries", "haproxy.connections.retries");
      expect("Parsed.srv_queue", "haproxy.server_queue");
      expect("Parsed.backend_queue", "haproxy.backend_queue");
      expect("Parsed.time_request", "haproxy.time_request");
      expect("Parsed.time_queue", "haproxy.time_queue");
      expect("Parsed.time_backend_connect", "haproxy.time_backend_connect");
      expect("Parsed.time_backend_response", "haproxy.time_backend_response");
      expect("Parsed.time_duration", "haproxy.time_duration");
      if (a.count("Parsed.backend_name")) expect("Parsed.server_name", "haproxy.server_name");
      else f.Differs("server_name", "on 'frontend/bind: error' lines the part after '/' is the bind name (haproxy.bind_name)");
      f.Differs("captured cookies", "'-' (none captured) is not stored");
    }
    formats.push_back(f);
  }

  {  // Sophos XG web filter: Wazuh engine (1 line, ECS expected).
    corpus::CorpusFormat f{"proxy/sophos-xg-webfilter"};
    auto lines = corpus::Lines(corpus::Path("proxy/sophos-xg-webfilter/wazuh-engine-sophos-cfilter_input.txt"));
    auto expected = corpus::LoadWazuhExpected(corpus::Path("proxy/sophos-xg-webfilter/wazuh-engine-sophos-cfilter_expected.json"));
    for (size_t i = 0; i < lines.size(); ++i) {
      Event ev = corpus::Parse(lines[i]);
      f.Classify(ev, "proxy.sophos_xg");
      if (i >= expected.size()) continue;
      const Event& x = expected[i].fields;
      for (const char* name : {"source.ip", "source.port", "destination.ip", "destination.port", "source.bytes",
                               "destination.bytes", "url.domain", "url.original", "url.path", "url.scheme",
                               "http.response.status_code", "user_agent.original", "network.transport",
                               "observer.serial_number", "event.outcome", "log.level", "event.kind",
                               "observer.product"}) {
        if (const std::string* v = x.Get(name)) f.Expect(ev, name, *v);
      }
      // The document's own time (ParseJsonEvent moved @timestamp out of its fields): scored, and
      // required line by line, since one wrong time would hide in the format's 90% bar.
      if (!expected[i].timestamp.empty()) {
        f.Expect(ev, "@timestamp", NormTime(expected[i].timestamp));
        EXPECT_EQ(corpus::Field(ev, "@timestamp"), NormTime(expected[i].timestamp)) << lines[i];
      } else {
        ADD_FAILURE() << "the peer's document " << i << " has no @timestamp";
      }
      f.Differs("event.action", "normalised to allow/deny; Wazuh keeps 'allowed'");
      f.Differs("event.code", "kept as written (050901616001); Wazuh makes it a number");
      f.Differs("message", "we keep the envelope MSG; Wazuh puts the protocol there");
    }
    formats.push_back(f);
  }

  {  // Proxifier: loghub Proxifier_2k (2000 lines) against its structured CSV.
    corpus::CorpusFormat f{"proxy/proxifier"};
    auto lines = corpus::Lines(corpus::Path("proxy/proxifier/Proxifier_2k.log"));
    auto rows = corpus::Lines(corpus::Path("proxy/proxifier/Proxifier_2k.log_structured.csv"));
    for (size_t i = 0; i < lines.size(); ++i) {
      Event ev = corpus::Parse(lines[i]);
      f.Classify(ev, "proxy.proxifier");
      if (i + 1 >= rows.size()) continue;
      // LineId,Time,Program,Content,EventId,EventTemplate (Content may hold quoted commas).
      const std::string& r = rows[i + 1];
      size_t c1 = r.find(','), c2 = r.find(',', c1 + 1), c3 = r.find(',', c2 + 1);
      std::string time = r.substr(c1 + 1, c2 - c1 - 1), program = r.substr(c2 + 1, c3 - c2 - 1);
      if (program.size() > 4 && program.compare(program.size() - 4, 4, " *64") == 0) program.resize(program.size() - 4);
      f.Expect(ev, "process.name", program);
      // "10.30 16:49:06" -> 2026-10-30T16:49:06 (received 2026-11-26, no year in the log).
      f.Expect(ev, "@timestamp", "2026-" + time.substr(0, 2) + "-" + time.substr(3, 2) + "T" + time.substr(6) + ".000Z");
      size_t e = r.rfind(",E");
      std::string event_id = e == std::string::npos ? "" : r.substr(e + 1, r.find(',', e + 1) - e - 1);
      if (event_id == "E1" || event_id == "E2") f.Expect(ev, "event.action", "open");
      else if (event_id == "E8") f.Expect(ev, "event.action", "close");
      else if (!event_id.empty()) f.Expect(ev, "event.action", "error");
      f.Differs("Program", "' *64' (64-bit marker) is stripped from process.name, kept as proxifier.process_64bit");
    }
    formats.push_back(f);
  }

  corpus::Report(formats);
}

}  // namespace
}  // namespace kamatama
