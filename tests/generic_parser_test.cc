// tests/generic_parser_test.cc: CEF, LEEF and key=value (parsers/generic/).
//
// Samples (tests/data/generic/SOURCE.md gives repositories, paths and commits):
//  - beats-cef-samples.log: Elastic Beats' decode_cef test samples; the expected ECS fields in
//    beats-cef-samples.expected.json are taken from its golden file (samples.log.golden.json).
//  - tenzir-leef1.log, tenzir-leef2.log, tenzir-zscaler-nss.log: Tenzir's LEEF integration
//    inputs; tenzir-leef.expected.json holds the attributes of Tenzir's reference output.
//  - The key=value lines marked "logstash-filter-kv" are samples of that plugin's spec
//    (spec/filters/kv_spec.rb, default settings) with the values it expects.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "corpus_util.h"
#include "parser_test_util.h"

namespace kamatama {
namespace {

using corpus::Parse;
using test_util::F;

std::string DataPath(const std::string& name) {
  return std::string(KMT_SOURCE_DIR) + "/tests/data/generic/" + name;
}

std::string Mac(std::string v) {  // the peer writes MACs with ':'; ECS (and kamatama) with '-'
  for (char& c : v) c = c == ':' ? '-' : c;
  return v;
}

// ---------------------------------------------------------------- CEF corpus

TEST(Cef, BeatsSamplesAgainstGolden) {
  auto lines = corpus::Lines(DataPath("beats-cef-samples.log"));
  std::string json = corpus::ReadAll(DataPath("beats-cef-samples.expected.json"));
  simdjson::dom::parser parser;
  simdjson::dom::array docs;
  ASSERT_EQ(parser.parse(json).get(docs), simdjson::SUCCESS);
  ASSERT_EQ(lines.size(), docs.size());
  corpus::CorpusFormat f{"cef beats decode_cef golden"};
  size_t i = 0;
  for (auto doc : docs) {
    Event ev = Parse(lines[i++]);
    f.Classify(ev, "cef");
    for (auto [key, value] : doc.get_object()) {
      std::string k(key), v(std::string_view(value.get_string()));
      if (k.ends_with(".mac")) {
        f.Differs(k, "MACs are written AA-BB-CC-DD-EE-FF (ECS), the peer keeps the sender's ':'");
        f.Expect(ev, k, Mac(v));
      } else if (k == "file.uid") {
        f.Differs("file.uid", "fname (fileName) goes to file.name, not file.uid");
        f.Expect(ev, "file.name", v);
      } else {
        f.Expect(ev, k, v);
      }
    }
  }
  corpus::Report({f});
}

// ---------------------------------------------------------------- CEF by the specification

TEST(Cef, HeaderEscapes) {
  Event ev = Parse(R"(CEF:0|Sec\|urity|threat\\manager|1.0|100|pipe \| in name|10|src=10.0.0.1)");
  EXPECT_EQ(F(ev, "event.dataset"), "cef");
  EXPECT_EQ(F(ev, "observer.vendor"), "Sec|urity");
  EXPECT_EQ(F(ev, "observer.product"), R"(threat\manager)");
  EXPECT_EQ(F(ev, "cef.name"), "pipe | in name");
  EXPECT_EQ(F(ev, "source.ip"), "10.0.0.1");
  EXPECT_EQ(F(ev, "message"), ev.original);  // the line stays whole
}

TEST(Cef, ExtensionEscapesAndSpaces) {
  Event ev = Parse(
      R"(CEF:0|V|P|1|7|n|5|msg=a\=b c\\d\nline2\rx fname=My Document.docx request=http://x/?a=b&c=d dst=10.1.2.3)");
  EXPECT_EQ(F(ev, "event.reason"), "a=b c\\d\nline2\rx");
  EXPECT_EQ(F(ev, "file.name"), "My Document.docx");
  EXPECT_EQ(F(ev, "url.original"), "http://x/?a=b&c=d");  // '=' not after a space: part of the value
  EXPECT_EQ(F(ev, "destination.ip"), "10.1.2.3");
  // A pipe in the extension needs no escape; other backslashes stay as they are.
  Event p = Parse(R"(CEF:0|V|P|1|7|n|5|cs1=a|b cs2=c:\temp cs1Label=Pipe Test)");
  EXPECT_EQ(F(p, "cef.cs1"), "a|b");
  EXPECT_EQ(F(p, "cef.cs2"), R"(c:\temp)");
  EXPECT_EQ(F(p, "cef.label.pipe_test"), "a|b");
}

TEST(Cef, RequestUrlIsSplitIntoItsParts) {
  // Trend Micro Apex Central web security log (the shape of its CEF reference): request= a URL
  // with escaped '=' in the query.
  Event ev = Parse(R"(CEF:0|Trend Micro|Apex Central|2019|WB:7|7|3|rt=Nov 15 2026 08:43:57 GMT+00:00 dpt=80 )"
                   R"(act=1 src=192.0.2.46 request=http://www.example.net:8080/counter/insert.php?db\=db1&k\=4 )"
                   R"(shost=WKS12)");
  EXPECT_EQ(F(ev, "url.original"), "http://www.example.net:8080/counter/insert.php?db=db1&k=4");
  EXPECT_EQ(F(ev, "url.scheme"), "http");
  EXPECT_EQ(F(ev, "url.domain"), "www.example.net");
  EXPECT_EQ(F(ev, "url.port"), "8080");
  EXPECT_EQ(F(ev, "url.path"), "/counter/insert.php");
  EXPECT_EQ(F(ev, "url.query"), "db=db1&k=4");
  // No request: no url.* at all.
  Event none = Parse("CEF:0|V|P|1|7|n|5|src=10.0.0.1");
  EXPECT_EQ(F(none, "url.domain"), "<absent>");
}

TEST(Cef, StandardKeysToEcs) {
  Event ev = Parse(
      "CEF:0|Acme|FW|2.1|deny-42|Denied|High|src=192.0.2.10 spt=51000 dst=198.51.100.7 dpt=443 proto=TCP "
      "suser=alice duser=bob shost=ws01 dhost=db.example.com act=deny outcome=failure requestMethod=GET "
      "request=https://db.example.com/x fileHash=44D88612FEA8A8F36DE82E1278ABB02F fname=eicar.com "
      "cs1=Block-All cs1Label=Rule Name cn1=17 cn1Label=Hit Count deviceExternalId=FW-01 "
      "rt=1764158400123 start=Nov 26 2025 11:59:00 UTC end=Nov 26 2025 11:59:30.500 in=100 out=2000");
  EXPECT_EQ(F(ev, "event.dataset"), "cef");
  EXPECT_EQ(F(ev, "observer.vendor"), "Acme");
  EXPECT_EQ(F(ev, "observer.product"), "FW");
  EXPECT_EQ(F(ev, "observer.version"), "2.1");
  EXPECT_EQ(F(ev, "event.code"), "deny-42");
  EXPECT_EQ(F(ev, "cef.name"), "Denied");
  EXPECT_EQ(F(ev, "event.severity"), "7");  // High: 7-8
  EXPECT_EQ(F(ev, "source.ip"), "192.0.2.10");
  EXPECT_EQ(F(ev, "source.port"), "51000");
  EXPECT_EQ(F(ev, "destination.ip"), "198.51.100.7");
  EXPECT_EQ(F(ev, "destination.port"), "443");
  EXPECT_EQ(F(ev, "network.transport"), "tcp");
  EXPECT_EQ(F(ev, "source.user.name"), "alice");
  EXPECT_EQ(F(ev, "destination.user.name"), "bob");
  EXPECT_EQ(F(ev, "user.name"), "alice");
  EXPECT_EQ(F(ev, "source.domain"), "ws01");
  EXPECT_EQ(F(ev, "destination.domain"), "db.example.com");
  EXPECT_EQ(F(ev, "event.action"), "deny");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "http.request.method"), "GET");
  EXPECT_EQ(F(ev, "url.original"), "https://db.example.com/x");
  EXPECT_EQ(F(ev, "file.hash.md5"), "44d88612fea8a8f36de82e1278abb02f");
  EXPECT_EQ(F(ev, "file.name"), "eicar.com");
  EXPECT_EQ(F(ev, "cef.label.rule_name"), "Block-All");
  EXPECT_EQ(F(ev, "cef.label.hit_count"), "17");
  EXPECT_EQ(F(ev, "cef.cs1Label"), "Rule Name");
  EXPECT_EQ(F(ev, "observer.name"), "FW-01");
  EXPECT_EQ(F(ev, "source.bytes"), "100");
  EXPECT_EQ(F(ev, "destination.bytes"), "2000");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2025-11-26T12:00:00.123Z");  // rt, epoch ms
  EXPECT_EQ(F(ev, "event.start"), "2025-11-26T11:59:00.000Z");
  EXPECT_EQ(F(ev, "event.end"), "2025-11-26T11:59:30.500Z");
}

TEST(Cef, OverSyslog) {
  Event a = Parse("<134>Nov 26 11:58:00 fw01 CEF:0|Acme|FW|2.1|1|Allowed|3|src=10.0.0.5 dst=10.0.0.6");
  EXPECT_EQ(F(a, "event.dataset"), "cef");
  EXPECT_EQ(F(a, "host.name"), "fw01");
  EXPECT_EQ(F(a, "source.ip"), "10.0.0.5");
  Event b = Parse("<134>1 2025-11-26T11:58:00Z fw02 - - - - CEF:1|Acme|FW|2.1|1|Allowed|3|suser=carol");
  EXPECT_EQ(F(b, "event.dataset"), "cef");
  EXPECT_EQ(F(b, "cef.version"), "1");
  EXPECT_EQ(F(b, "user.name"), "carol");
  Event c = Parse("<134>Nov 26 11:58:00 fw01 ArcSight: CEF:0|Acme|FW|2.1|1|n|3|dpt=53");  // after a tag
  EXPECT_EQ(F(c, "event.dataset"), "cef");
  EXPECT_EQ(F(c, "destination.port"), "53");
}

TEST(Cef, BrokenHeaderKeepsWhatItHasWithAnError) {
  // The specification requires all seven header fields: a line that stops early is CEF (its
  // marker says so) whose extension cannot be located; the fields present are kept.
  Event ev = Parse("CEF:0|Acme|FW|2.1|100 src=10.0.0.1");
  EXPECT_EQ(F(ev, "event.dataset"), "cef");
  EXPECT_EQ(F(ev, "observer.vendor"), "Acme");
  EXPECT_EQ(F(ev, "observer.product"), "FW");
  EXPECT_NE(F(ev, "error.message").find("5 of 7"), std::string::npos) << F(ev, "error.message");
  EXPECT_EQ(F(ev, "source.ip"), "<absent>");
}

TEST(Cef, InvalidValuesStayOutOfTypedFields) {
  Event ev = Parse("CEF:0|V|P|1|1|n|Unknown|src=hostname spt=99999 dst=1.2.3.999 proto=xyz rt=yesterday");
  EXPECT_EQ(F(ev, "event.dataset"), "cef");
  EXPECT_EQ(F(ev, "source.ip"), "<absent>");
  EXPECT_EQ(F(ev, "source.port"), "<absent>");
  EXPECT_EQ(F(ev, "destination.ip"), "<absent>");
  EXPECT_EQ(F(ev, "network.transport"), "<absent>");
  EXPECT_EQ(F(ev, "event.severity"), "<absent>");
  EXPECT_EQ(F(ev, "cef.src"), "hostname");  // kept under the prefix
  EXPECT_EQ(F(ev, "cef.rt"), "yesterday");
}

TEST(Cef, NotCef) {
  for (const char* line : {"hello world", "xCEF:0|a|b|c|d|e|f|", "CEF: something else", "see CEF:x|1|2"}) {
    Event ev = Parse(line);
    EXPECT_NE(F(ev, "event.dataset"), "cef") << line;
  }
}

TEST(Cef, ShortLinesFromTheFuzzer) {
  // cef_fuzz: a message short enough to live inside its std::string moved while the header was
  // still being read from it (heap-use-after-free under ASan).
  for (const char* line : {"CEF:0|Trend", "LEEF:1.0|V", "CEF:0|a|b|c|d|e|f|g", "LEEF:2.0|a|b|c|d|^|"}) {
    Event ev = Parse(line);
    EXPECT_NE(F(ev, "event.dataset"), "<absent>") << line;
    EXPECT_NE(F(ev, "observer.vendor"), "<absent>") << line;
  }
}

TEST(Cef, HostileKeysStayUnderThePrefix) {
  Event ev = Parse("CEF:0|V|P|1|1|n|1|..event.dataset=x a..b=y .=z");
  EXPECT_EQ(F(ev, "event.dataset"), "cef");
  for (const auto& [name, value] : ev.fields) {
    if (value == "x" || value == "y") { EXPECT_EQ(name.rfind("cef.", 0), 0u) << name; }
    EXPECT_EQ(name.find(".."), std::string::npos) << name;
  }
}

// ---------------------------------------------------------------- LEEF

TEST(Leef, TenzirSamplesAgainstReference) {
  std::string json = corpus::ReadAll(DataPath("tenzir-leef.expected.json"));
  simdjson::dom::parser parser;
  simdjson::dom::object files;
  ASSERT_EQ(parser.parse(json).get(files), simdjson::SUCCESS);
  corpus::CorpusFormat f{"leef tenzir reference"};
  for (auto [file, expected] : files) {
    auto lines = corpus::Lines(DataPath(std::string(file)));
    simdjson::dom::array docs = expected.get_array();
    ASSERT_EQ(lines.size(), docs.size()) << file;
    size_t i = 0;
    for (auto doc : docs) {
      Event ev = Parse(lines[i++]);
      f.Classify(ev, "leef");
      if (doc.is_null()) continue;  // the peer declined the attributes (it warned); we keep the header
      f.Expect(ev, "observer.vendor", std::string(std::string_view(doc["vendor"])));
      f.Expect(ev, "observer.product", std::string(std::string_view(doc["product_name"])));
      f.Expect(ev, "observer.version", std::string(std::string_view(doc["product_version"])));
      for (auto [key, value] : doc["attributes"].get_object()) {
        f.Expect(ev, "leef." + std::string(key), std::string(std::string_view(value.get_string())));
      }
    }
  }
  corpus::Report({f});
}

TEST(Leef, ZscalerOverSyslog) {
  auto lines = corpus::Lines(DataPath("tenzir-zscaler-nss.log"));
  ASSERT_EQ(lines.size(), 1u);
  Event ev = Parse(lines[0]);
  EXPECT_EQ(F(ev, "event.dataset"), "leef");
  EXPECT_EQ(F(ev, "process.name"), "zscaler-nss");
  EXPECT_EQ(F(ev, "observer.vendor"), "Zscaler");
  EXPECT_EQ(F(ev, "observer.product"), "NSS-FW");
  EXPECT_EQ(F(ev, "event.code"), "Drop");
  EXPECT_EQ(F(ev, "user.name"), "GCL->SBL-1");
  EXPECT_EQ(F(ev, "source.ip"), "10.11.12.13");
  EXPECT_EQ(F(ev, "destination.ip"), "10.66.69.21");
  EXPECT_EQ(F(ev, "source.port"), "30513");
  EXPECT_EQ(F(ev, "destination.port"), "53");
  EXPECT_EQ(F(ev, "source.nat.ip"), "10.66.54.105");
  EXPECT_EQ(F(ev, "network.transport"), "tcp");
  EXPECT_EQ(F(ev, "destination.bytes"), "898");
  EXPECT_EQ(F(ev, "leef.ipcat"), "Miscellaneous or Unknown");
  EXPECT_EQ(F(ev, "leef.numsessions"), "1");
}

TEST(Leef, Version2Delimiters) {
  // One character, hex with x and 0x (tab), and a hex code above ASCII (broken bar, UTF-8).
  Event caret = Parse("LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^usrName=joe");
  EXPECT_EQ(F(caret, "event.dataset"), "leef");
  EXPECT_EQ(F(caret, "source.ip"), "10.0.1.8");
  EXPECT_EQ(F(caret, "destination.ip"), "10.0.0.5");
  EXPECT_EQ(F(caret, "event.severity"), "5");
  EXPECT_EQ(F(caret, "user.name"), "joe");
  Event hex = Parse("LEEF:2.0|V|P|1.0|41|x09|src=10.0.1.8\tmsg=a b^c\tdstPort=22");
  EXPECT_EQ(F(hex, "leef.msg"), "a b^c");
  EXPECT_EQ(F(hex, "destination.port"), "22");
  Event hex0 = Parse("LEEF:2.0|V|P|1.0|41|0x5E|src=10.0.1.9^dstPort=23");
  EXPECT_EQ(F(hex0, "source.ip"), "10.0.1.9");
  EXPECT_EQ(F(hex0, "destination.port"), "23");
  Event bar = Parse("LEEF:2.0|V|P|1.0|41|xa6|src=10.0.1.7\xC2\xA6srcPort=1024");
  EXPECT_EQ(F(bar, "source.ip"), "10.0.1.7");
  EXPECT_EQ(F(bar, "source.port"), "1024");
  // 2.0 without a delimiter field: tab.
  Event none = Parse("LEEF:2.0|V|P|1.0|41|src=10.0.1.6\tdstPort=25");
  EXPECT_EQ(F(none, "source.ip"), "10.0.1.6");
  EXPECT_EQ(F(none, "destination.port"), "25");
}

TEST(Leef, DevTimeWithAndWithoutFormat) {
  Event ms = Parse("LEEF:1.0|V|P|1|7|devTime=1388577600000\tsrc=10.0.0.1");
  EXPECT_EQ(corpus::Field(ms, "@timestamp"), "2014-01-01T12:00:00.000Z");
  Event def = Parse("LEEF:1.0|V|P|1|7|devTime=Jun 06 2010 16:07:36.300\tsrc=10.0.0.1");
  EXPECT_EQ(corpus::Field(def, "@timestamp"), "2010-06-06T16:07:36.300Z");
  Event fmt = Parse("LEEF:1.0|V|P|1|7|devTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ\tdevTime=2025-11-26T13:00:00.250+0100");
  EXPECT_EQ(corpus::Field(fmt, "@timestamp"), "2025-11-26T12:00:00.250Z");
  Event us = Parse("LEEF:1.0|V|P|1|7|devTimeFormat=dd/MM/yyyy hh:mm:ss a\tdevTime=26/11/2025 01:05:09 PM");
  EXPECT_EQ(corpus::Field(us, "@timestamp"), "2025-11-26T13:05:09.000Z");
  // A time that does not match its format leaves @timestamp at the receive time.
  Event bad = Parse("LEEF:1.0|V|P|1|7|devTimeFormat=yyyy-MM-dd\tdevTime=Nov 26");
  EXPECT_EQ(corpus::Field(bad, "@timestamp"), "2026-11-26T12:00:00.000Z");
  EXPECT_EQ(F(bad, "leef.devTime"), "Nov 26");
}

TEST(Leef, BrokenHeader) {
  Event ev = Parse("LEEF:1.0|Vendor|Product");
  EXPECT_EQ(F(ev, "event.dataset"), "leef");
  EXPECT_EQ(F(ev, "observer.vendor"), "Vendor");
  EXPECT_NE(F(ev, "error.message"), "<absent>");
  Event v2 = Parse("LEEF:2.0|V|P|1.0|41|xZZ|src=1.2.3.4");
  EXPECT_EQ(F(v2, "event.dataset"), "leef");
  EXPECT_NE(F(v2, "error.message"), "<absent>");
}

// ---------------------------------------------------------------- key=value

TEST(KeyValue, LogstashKvDefaults) {
  // logstash-filter-kv spec, "defaults": quotes and brackets delimit values.
  Event ev = Parse(
      "hello=world foo=bar baz=fizz doublequoted=\"hello world\" singlequoted='hello world' "
      "bracketsone=(hello world) bracketstwo=[hello world] bracketsthree=<hello world>");
  EXPECT_EQ(F(ev, "event.dataset"), "kv");
  corpus::CorpusFormat f{"kv logstash-filter-kv defaults"};
  f.Classify(ev, "kv");
  for (const char* k : {"doublequoted", "singlequoted", "bracketsone", "bracketstwo", "bracketsthree"}) {
    f.Expect(ev, std::string("kv.") + k, "hello world");
  }
  f.Expect(ev, "kv.hello", "world");
  f.Expect(ev, "kv.foo", "bar");
  f.Expect(ev, "kv.baz", "fizz");
  // logstash-filter-kv spec, "test prefix" (its sample, our prefix).
  Event p = Parse("hello=world foo=bar baz=fizz doublequoted=\"hello world\" singlequoted='hello world'");
  f.Classify(p, "kv");
  f.Expect(p, "kv.hello", "world");
  f.Expect(p, "kv.foo", "bar");
  f.Expect(p, "kv.baz", "fizz");
  f.Expect(p, "kv.doublequoted", "hello world");
  f.Expect(p, "kv.singlequoted", "hello world");
  corpus::Report({f});
}

TEST(KeyValue, QuotesSpacesRepeatsAndVendorPrefix) {
  Event ev = Parse(
      "<13>Nov 26 11:00:00 gw01 acme-gw[77]: Login attempt user=\"alice smith\" srcip=192.0.2.5 "
      "src_port=40000 dst=10.0.0.1 dport=22 proto=6 action=deny note=\"a=b \\\"quoted\\\"\" "
      "reason=bad password given tag=one tag=two tag=three");
  EXPECT_EQ(F(ev, "event.dataset"), "kv");
  EXPECT_EQ(F(ev, "kv.acme-gw.user"), "alice smith");
  EXPECT_EQ(F(ev, "user.name"), "alice smith");
  EXPECT_EQ(F(ev, "source.ip"), "192.0.2.5");
  EXPECT_EQ(F(ev, "source.port"), "40000");
  EXPECT_EQ(F(ev, "destination.ip"), "10.0.0.1");
  EXPECT_EQ(F(ev, "destination.port"), "22");
  EXPECT_EQ(F(ev, "network.transport"), "tcp");
  EXPECT_EQ(F(ev, "event.action"), "deny");
  EXPECT_EQ(F(ev, "kv.acme-gw.note"), "a=b \"quoted\"");
  EXPECT_EQ(F(ev, "kv.acme-gw.reason"), "bad password given");  // spaces up to the next key=
  EXPECT_EQ(F(ev, "kv.acme-gw.tag"), "one");
  EXPECT_EQ(F(ev, "kv.acme-gw.tag_2"), "two");
  EXPECT_EQ(F(ev, "kv.acme-gw.tag_3"), "three");
  EXPECT_EQ(F(ev, "message").rfind("Login attempt", 0), 0u);
}

TEST(KeyValue, NumberedRepeatsNeverCollide) {
  Event ev = Parse("tag=a tag_2=literal tag=b tag=c");
  EXPECT_EQ(F(ev, "kv.tag"), "a");
  EXPECT_EQ(F(ev, "kv.tag_2"), "literal");
  EXPECT_EQ(F(ev, "kv.tag_3"), "b");
  EXPECT_EQ(F(ev, "kv.tag_4"), "c");
  // A JSON event forced through a generic parser, already holding a field under its prefix:
  // names stay unique.
  Event j = Parse(R"({"message":"CEF:0|V|P|1|1|n|1|src=10.0.0.1 a=1","cef.a":"old"})", "cef");
  EXPECT_EQ(F(j, "event.dataset"), "cef");
  EXPECT_EQ(F(j, "cef.a"), "1");
  int count = 0;
  for (const auto& [name, value] : j.fields) count += name == "cef.a";
  EXPECT_EQ(count, 1);
}

TEST(KeyValue, WellKnownKeysNeedTheirKind) {
  Event ev = Parse("src=not-an-ip dst_port=http protocol=https user=");
  EXPECT_EQ(F(ev, "event.dataset"), "kv");
  EXPECT_EQ(F(ev, "source.ip"), "<absent>");
  EXPECT_EQ(F(ev, "destination.port"), "<absent>");
  EXPECT_EQ(F(ev, "network.transport"), "<absent>");
  EXPECT_EQ(F(ev, "user.name"), "<absent>");
  EXPECT_EQ(F(ev, "kv.src"), "not-an-ip");
}

TEST(KeyValue, DeclinesAndYieldsToProductParsers) {
  for (const char* line : {"just a sentence with a=b in it", "a=1 b=2", "x = y = z", "=== banner ==="}) {
    Event ev = Parse(line);
    EXPECT_NE(F(ev, "event.dataset"), "kv") << line;
  }
  // iptables and FortiOS lines are key=value too, but their own parsers come first.
  Event ipt = Parse(
      "<4>Nov 26 11:00:00 fw kernel: [1.0] IN=eth0 OUT= MAC=00:11 SRC=10.0.0.1 DST=10.0.0.2 LEN=60 PROTO=TCP SPT=1 DPT=2");
  EXPECT_NE(F(ipt, "event.dataset"), "kv");
  EXPECT_EQ(F(ipt, "source.ip"), "10.0.0.1");
}

TEST(KeyValue, FieldCountIsBounded) {
  std::string line;
  for (int i = 0; i < 1000; ++i) line += "k" + std::to_string(i) + "=v ";
  Event ev = Parse(line);
  EXPECT_EQ(F(ev, "event.dataset"), "kv");
  EXPECT_LE(ev.fields.size(), 230u);
}

// ---------------------------------------------------------------- RFC 5424 structured data

TEST(StructuredData, BecomesFieldsBesideAGenericFormat) {
  Event ev = Parse(
      "<134>1 2025-11-26T11:58:00Z fw02 app - - [origin ip=\"192.0.2.1\"][meta sequenceId=\"7\"] "
      "CEF:0|Acme|FW|2.1|1|Allowed|3|src=10.0.0.5");
  EXPECT_EQ(F(ev, "event.dataset"), "cef");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.origin.ip"), "192.0.2.1");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.meta.sequenceId"), "7");
  EXPECT_EQ(F(ev, "source.ip"), "10.0.0.5");
}

}  // namespace
}  // namespace kamatama
