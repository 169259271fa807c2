// tests/intel_test.cc
//! The threat-intelligence library (issue 28): indicator normalisation, the import formats (text,
//! CSV, STIX 2.1, MISP JSON, written here), the matcher (addresses, networks, subdomains, URLs,
//! hashes, e-mail, expiry), `field:@list` in the query language, pruning that never loses a
//! match, and the list files.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include <fmt/format.h>

#include "core/time.h"
#include "core/tokenize.h"
#include "intel/formats.h"
#include "intel/hunt.h"
#include "intel/indicator.h"
#include "intel/list_store.h"
#include "intel/matcher.h"
#include "query/query.h"
#include "tests/harness.h"

namespace kamatama::intel {
namespace {

Indicator Make(std::string_view raw, std::string_view type = {}) {
  Indicator ind;
  Status s = MakeIndicator(raw, type, &ind);
  EXPECT_TRUE(s.ok()) << raw << ": " << s.ToString();
  return ind;
}

std::string Error(std::string_view raw, std::string_view type = {}) {
  Indicator ind;
  Status s = MakeIndicator(raw, type, &ind);
  return s.ok() ? "accepted as " + ind.value : s.message();
}

TEST(Indicator, NormalisesEveryType) {
  EXPECT_EQ(Make(" 203.0.113.7 ").value, "203.0.113.7");
  EXPECT_EQ(Make("203.0.113.7").type, IndicatorType::kIp);
  EXPECT_EQ(Make("2001:DB8:0::1").value, "2001:db8::1");
  EXPECT_EQ(Make("10.1.2.3/16").value, "10.1.0.0/16");  // host bits cleared
  EXPECT_EQ(Make("10.1.2.3/16").type, IndicatorType::kCidr);
  EXPECT_EQ(Make("Evil.Example.").value, "evil.example");
  EXPECT_EQ(Make("Evil.Example").type, IndicatorType::kDomain);
  EXPECT_EQ(Make("hxxps://Bad.Example[.]com/Path?A=1").value, "https://bad.example.com/Path?A=1");
  EXPECT_EQ(Make("D41D8CD98F00B204E9800998ECF8427E").type, IndicatorType::kMd5);
  EXPECT_EQ(Make("D41D8CD98F00B204E9800998ECF8427E").value, "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Make(std::string(40, 'a')).type, IndicatorType::kSha1);
  EXPECT_EQ(Make(std::string(64, 'B')).type, IndicatorType::kSha256);
  EXPECT_EQ(Make("Mallory@Evil.Example").value, "mallory@evil.example");
  EXPECT_EQ(Make("Mallory@Evil.Example").type, IndicatorType::kEmail);
  EXPECT_EQ(Make("198.51.100.0/24", "ip-dst").type, IndicatorType::kCidr);
}

TEST(Indicator, RefusesWhatWouldMatchTooMuchOrIsNotAValue) {
  EXPECT_NE(Error("0.0.0.0/0").find("/0 network"), std::string::npos) << Error("0.0.0.0/0");
  EXPECT_NE(Error("::/0").find("/0 network"), std::string::npos);
  EXPECT_NE(Error("10.0.0.0/7").find("large part of the Internet"), std::string::npos);
  EXPECT_NE(Error("com").find("one label"), std::string::npos);
  EXPECT_NE(Error("10.0.0.0/33").find("prefix length"), std::string::npos);
  EXPECT_NE(Error("abc", "md5").find("not a md5 hash"), std::string::npos);
  EXPECT_NE(Error("x", "colour").find("unknown indicator type"), std::string::npos);
  EXPECT_NE(Error("a b.example").find("not a domain"), std::string::npos);
  EXPECT_NE(Error("evil\n.example").find("control character"), std::string::npos);
  EXPECT_NE(Error(std::string(5000, 'a') + ".example").find("at most"), std::string::npos);
}

Status Import(std::string_view body, ListFormat f, std::vector<Indicator>* out, ImportReport* rep, bool lenient = false) {
  ImportOptions opt;
  opt.default_source = "test";
  opt.now_ns = *ParseRfc3339("2026-12-01T00:00:00Z");
  opt.lenient = lenient;
  return ParseIndicators(body, f, opt, out, rep);
}

TEST(Formats, TextOneValuePerLineWithComments) {
  std::vector<Indicator> out;
  ImportReport rep;
  ASSERT_TRUE(Import("# a feed\n203.0.113.7\n\nevil.example  # C2 domain\r\n", ListFormat::kText, &out, &rep).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].value, "evil.example");
  EXPECT_EQ(out[1].description, "C2 domain");
  EXPECT_EQ(out[1].source, "test");
}

TEST(Formats, CsvWithHeaderTypesSourcesAndExpiry) {
  const std::string csv =
      "Indicator,Type,Source,Description,Expires\n"
      "203.0.113.7,ip,CERT-X,\"scanner, seen in \"\"op\"\"\",2027-01-01T00:00:00Z\n"
      "old.example,domain,CERT-X,expired already,2026-11-01T00:00:00Z\n"
      "198.51.100.0/24,cidr,,,30d\n";
  std::vector<Indicator> out;
  ImportReport rep;
  Status s = Import(csv, ListFormat::kCsv, &out, &rep);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(rep.expired, 1u);
  EXPECT_EQ(out[0].source, "CERT-X");
  EXPECT_EQ(out[0].description, "scanner, seen in \"op\"");
  EXPECT_EQ(out[0].expires_ns, *ParseRfc3339("2027-01-01T00:00:00Z"));
  EXPECT_EQ(out[1].type, IndicatorType::kCidr);
  EXPECT_EQ(out[1].source, "test");
  EXPECT_EQ(out[1].expires_ns, *ParseRfc3339("2026-12-31T00:00:00Z"));
}

TEST(Formats, StrictRefusesTheWholeListLenientSkips) {
  const std::string body = "203.0.113.7\n0.0.0.0/0\nevil.example\n";
  std::vector<Indicator> out;
  ImportReport rep;
  Status s = Import(body, ListFormat::kText, &out, &rep);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("line 2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("/0 network"), std::string::npos) << s.message();
  out.clear();
  rep = {};
  ASSERT_TRUE(Import(body, ListFormat::kText, &out, &rep, /*lenient=*/true).ok());
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(rep.rejected, 1u);
  ASSERT_EQ(rep.errors.size(), 1u);
}

constexpr const char* kStixBundle = R"({
  "type": "bundle", "id": "bundle--1",
  "objects": [
    {"type": "identity", "id": "identity--cert", "name": "CERT-Example", "identity_class": "organization"},
    {"type": "indicator", "id": "indicator--a", "created_by_ref": "identity--cert", "name": "C2 server",
     "pattern": "[ipv4-addr:value = '203.0.113.9'] OR [domain-name:value = 'c2.evil.example']",
     "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-06-01T00:00:00Z"},
    {"type": "indicator", "id": "indicator--b", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
     "pattern": "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' OR file:hashes.MD5 = '44d88612fea8a8f36de82e1278abb02f']"},
    {"type": "indicator", "id": "indicator--c", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
     "pattern": "[url:value = 'http://evil.example/payload.exe'] OR [email-addr:value = 'phish@evil.example']"},
    {"type": "indicator", "id": "indicator--d", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
     "pattern": "[process:name = 'evil.exe']"},
    {"type": "indicator", "id": "indicator--e", "pattern_type": "sigma", "pattern": "title: x"},
    {"type": "indicator", "id": "indicator--f", "revoked": true, "pattern_type": "stix", "pattern": "[ipv4-addr:value = '192.0.2.1']"},
    {"type": "malware", "id": "malware--1", "name": "Evil", "is_family": true}
  ]})";

TEST(Formats, StixBundleSimplePatterns) {
  std::vector<Indicator> out;
  ImportReport rep;
  Status s = Import(kStixBundle, ListFormat::kStix, &out, &rep);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::set<std::string> values;
  for (const auto& i : out) values.insert(std::string(IndicatorTypeName(i.type)) + " " + i.value);
  EXPECT_EQ(values, (std::set<std::string>{"ip 203.0.113.9", "domain c2.evil.example",
                                           "sha256 aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f",
                                           "md5 44d88612fea8a8f36de82e1278abb02f", "url http://evil.example/payload.exe",
                                           "email phish@evil.example"}));
  EXPECT_EQ(rep.skipped, 3u);  // process:name, a sigma pattern, a revoked indicator
  EXPECT_EQ(out[0].source, "CERT-Example");
  EXPECT_EQ(out[0].description, "C2 server");
  EXPECT_EQ(out[0].expires_ns, *ParseRfc3339("2027-06-01T00:00:00Z"));
}

TEST(Formats, MalformedStixIsAClearError) {
  std::vector<Indicator> out;
  ImportReport rep;
  Status s = Import("{\"type\": \"bundle\", \"objects\": [", ListFormat::kStix, &out, &rep);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("malformed STIX bundle: not JSON"), std::string::npos) << s.message();
  s = Import("{\"type\": \"report\"}", ListFormat::kStix, &out, &rep);
  EXPECT_NE(s.message().find("not a STIX 2.1 bundle"), std::string::npos) << s.message();
  s = Import(R"({"type":"bundle","objects":[{"type":"indicator","id":"indicator--x","pattern":"[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']"}]})",
             ListFormat::kStix, &out, &rep);
  EXPECT_NE(s.message().find("indicator--x"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("joined by OR"), std::string::npos) << s.message();
  s = Import(R"({"type":"bundle","objects":[{"type":"indicator","id":"indicator--y","pattern":"[ipv4-addr:value = '1.2.3.4'"}]})",
             ListFormat::kStix, &out, &rep);
  EXPECT_NE(s.message().find("indicator--y"), std::string::npos) << s.message();
}

constexpr const char* kMispExport = R"({"response": [{"Event": {
  "info": "Phishing wave", "Orgc": {"name": "Partner-CSIRT"},
  "Attribute": [
    {"type": "ip-dst|port", "value": "198.51.100.20|443", "to_ids": true, "comment": "C2"},
    {"type": "domain|ip", "value": "drop.evil.example|198.51.100.21", "to_ids": true},
    {"type": "filename|sha1", "value": "invoice.exe|3395856ce81f2b7382dee72602f798b642f14140", "to_ids": true},
    {"type": "email-src", "value": "billing@evil.example", "to_ids": true},
    {"type": "ip-src", "value": "192.0.2.50", "to_ids": false},
    {"type": "text", "value": "just a note", "to_ids": false},
    {"type": "url", "value": "https://evil.example/login", "to_ids": true, "deleted": true}
  ],
  "Object": [{"name": "file", "Attribute": [{"type": "md5", "value": "44d88612fea8a8f36de82e1278abb02f", "to_ids": true}]}]
}}]})";

TEST(Formats, MispExportAttributesAndObjects) {
  std::vector<Indicator> out;
  ImportReport rep;
  Status s = Import(kMispExport, ListFormat::kMisp, &out, &rep);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::set<std::string> values;
  for (const auto& i : out) values.insert(std::string(IndicatorTypeName(i.type)) + " " + i.value);
  EXPECT_EQ(values, (std::set<std::string>{"ip 198.51.100.20", "domain drop.evil.example", "ip 198.51.100.21",
                                           "sha1 3395856ce81f2b7382dee72602f798b642f14140", "email billing@evil.example",
                                           "md5 44d88612fea8a8f36de82e1278abb02f"}));
  EXPECT_EQ(rep.skipped, 3u);  // to_ids false (2), deleted (1)
  EXPECT_EQ(out[0].source, "Partner-CSIRT");
  EXPECT_EQ(out[0].description, "C2");
  EXPECT_EQ(out[1].description, "Phishing wave");
  ASSERT_FALSE(Import("[1,2]", ListFormat::kMisp, &out, &rep).ok());
}

TEST(Formats, DetectFormatByContentType) {
  ListFormat f;
  ASSERT_TRUE(DetectFormat("application/json", kStixBundle, &f).ok());
  EXPECT_EQ(f, ListFormat::kStix);
  ASSERT_TRUE(DetectFormat("application/json; charset=utf-8", kMispExport, &f).ok());
  EXPECT_EQ(f, ListFormat::kMisp);
  ASSERT_TRUE(DetectFormat("text/csv", "", &f).ok());
  EXPECT_EQ(f, ListFormat::kCsv);
  EXPECT_FALSE(DetectFormat("image/png", "", &f).ok());
}

std::shared_ptr<const std::vector<Indicator>> Indicators(std::initializer_list<std::pair<const char*, int64_t>> values) {
  auto v = std::make_shared<std::vector<Indicator>>();
  for (const auto& [raw, expires] : values) {
    v->push_back(Make(raw));
    v->back().expires_ns = expires;
  }
  return v;
}

Event Ev(std::initializer_list<std::pair<const char*, const char*>> fields) {
  Event ev;
  for (const auto& [k, v] : fields) ev.Add(k, v);
  return ev;
}

TEST(Matcher, EveryTypeOnItsFields) {
  const int64_t now = *ParseRfc3339("2026-12-01T00:00:00Z");
  ListMatcher m(Indicators({{"203.0.113.7", 0}, {"10.20.0.0/16", 0}, {"2001:db8:bad::/48", 0}, {"evil.example", 0},
                            {"http://shop.example/Pay?x=1", 0}, {"d41d8cd98f00b204e9800998ecf8427e", 0},
                            {"mallory@evil.example", 0}, {"198.51.100.9", now - 1}, {"gone.example", now}}));
  auto hit = [&](std::initializer_list<std::pair<const char*, const char*>> f) {
    std::vector<Hit> hits;
    m.MatchEvent(Ev(f), now, &hits);
    std::string out;
    for (const Hit& h : hits) out += (out.empty() ? "" : ",") + m.indicators()[h.indicator].value;
    return out;
  };
  EXPECT_EQ(hit({{"source.ip", "203.0.113.7"}, {"host.name", "fw"}}), "203.0.113.7");
  EXPECT_EQ(hit({{"destination.ip", "10.20.255.1"}}), "10.20.0.0/16");
  EXPECT_EQ(hit({{"destination.ip", "10.21.0.1"}}), "");
  EXPECT_EQ(hit({{"client.ip", "::ffff:203.0.113.7"}}), "203.0.113.7");
  EXPECT_EQ(hit({{"source.ip", "2001:DB8:BAD:0::5"}}), "2001:db8:bad::/48");
  EXPECT_EQ(hit({{"dns.question.name", "WWW.Evil.Example."}}), "evil.example");
  EXPECT_EQ(hit({{"dns.question.name", "notevil.example"}}), "");
  EXPECT_EQ(hit({{"dns.question.name", "evil.example.org"}}), "");
  EXPECT_EQ(hit({{"url.original", "HTTP://Shop.Example/Pay?x=1"}}), "http://shop.example/Pay?x=1");
  EXPECT_EQ(hit({{"url.original", "http://shop.example/pay?x=1"}}), "");  // the path is case-sensitive
  EXPECT_EQ(hit({{"process.hash.md5", "D41D8CD98F00B204E9800998ECF8427E"}}), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hit({{"email.from.address", "<Mallory@evil.example>"}}), "mallory@evil.example");
  // A value in a field of another kind is not a sighting (a host name equal to a domain).
  EXPECT_EQ(hit({{"host.name", "evil.example"}, {"user.name", "203.0.113.7"}}), "");
  // Expiry: at or after expires_ns the indicator no longer matches.
  EXPECT_EQ(hit({{"source.ip", "198.51.100.9"}, {"url.domain", "gone.example"}}), "");
  std::vector<Hit> hits;
  m.MatchEvent(Ev({{"source.ip", "198.51.100.9"}}), now - 2, &hits);
  EXPECT_EQ(hits.size(), 1u);
}

TEST(Matcher, ListFilterInTheQueryLanguage) {
  struct Lists : query::ListResolver {
    std::shared_ptr<ListMatcher> bad = std::make_shared<ListMatcher>(Indicators({{"203.0.113.7", 0}, {"evil.example", 0}}));
    std::shared_ptr<const query::ValueList> Find(std::string_view name) const override {
      return name == "bad" ? bad : nullptr;
    }
  } lists;
  query::ParseSettings settings;
  settings.lists = &lists;
  auto q = query::Query::Parse("source.ip:@bad OR dns.question.name:@bad", settings);
  ASSERT_TRUE(std::holds_alternative<query::Query>(q));
  const auto& query = std::get<query::Query>(q);
  EXPECT_EQ(query.ToString(), "(OR (INLIST source.ip @bad) (INLIST dns.question.name @bad))");
  auto matches = [&](const Event& ev) { return query.Matches(EventAccessor(ev)); };
  EXPECT_TRUE(matches(Ev({{"source.ip", "203.0.113.7"}})));
  EXPECT_TRUE(matches(Ev({{"dns.question.name", "a.b.evil.example"}})));
  EXPECT_FALSE(matches(Ev({{"destination.ip", "203.0.113.7"}})));
  EXPECT_FALSE(matches(Ev({{"source.ip", "203.0.113.8"}})));
  // An unknown list, or lists where none are available, is a parse error with its position;
  // a quoted value starting with '@' stays a value.
  auto unknown = query::Query::Parse("x AND source.ip:@nope", settings);
  ASSERT_TRUE(std::holds_alternative<query::ParseError>(unknown));
  EXPECT_EQ(std::get<query::ParseError>(unknown).position, 16u);
  EXPECT_NE(std::get<query::ParseError>(unknown).message.find("no list named 'nope'"), std::string::npos);
  ASSERT_TRUE(std::holds_alternative<query::ParseError>(query::Query::Parse("source.ip:@bad")));
  ASSERT_TRUE(std::holds_alternative<query::Query>(query::Query::Parse("user.name:\"@bad\"")));
  // Longer queries with a larger maximum.
  std::string big(70000, ' ');
  big += "x";
  ASSERT_TRUE(std::holds_alternative<query::ParseError>(query::Query::Parse(big)));
  settings.max_bytes = 1 << 20;
  ASSERT_TRUE(std::holds_alternative<query::Query>(query::Query::Parse(big, settings)));
}

//! The token set of an event as a block filter sees it (every field value and the line).
std::set<uint64_t> Tokens(const Event& ev) {
  std::set<uint64_t> out;
  for (const auto& [k, v] : ev.fields) ForEachToken(v, [&](std::string_view t) { out.insert(HashTokenLower(t)); });
  return out;
}

TEST(Matcher, PruningNeverLosesAMatch) {
  const unsigned seed = kmt_test::TestSeed();
  std::mt19937 rng(seed);
  auto list = std::make_shared<std::vector<Indicator>>();
  for (int i = 0; i < 300; ++i) {
    const int kind = i % 4;
    std::string v = kind == 0   ? fmt::format("10.{}.{}.{}", rng() % 4, rng() % 4, rng() % 8)
                    : kind == 1 ? fmt::format("172.{}.{}.0/{}", 16 + rng() % 4, rng() % 4, 16 + 8 * (rng() % 2))
                    : kind == 2 ? fmt::format("d{}.example", rng() % 40)
                                : fmt::format("{:032x}", rng() % 50);
    Indicator ind;
    if (MakeIndicator(v, {}, &ind).ok()) list->push_back(ind);
  }
  ListMatcher m(list);
  size_t matched = 0, pruned = 0;
  for (int e = 0; e < 20000; ++e) {
    Event ev = Ev({{"source.ip", ""}, {"dns.question.name", ""}, {"file.hash.md5", ""}});
    ev.fields[0].second = rng() % 2 ? fmt::format("10.{}.{}.{}", rng() % 4, rng() % 4, rng() % 8)
                                    : fmt::format("172.{}.{}.{}", 16 + rng() % 4, rng() % 4, rng() % 256);
    ev.fields[1].second = fmt::format("{}d{}.example", rng() % 2 ? "www." : "", rng() % 80);
    ev.fields[2].second = fmt::format("{:032X}", rng() % 100);
    std::vector<Hit> hits;
    m.MatchEvent(ev, 0, &hits);
    const std::set<uint64_t> tokens = Tokens(ev);
    const bool may = m.MayMatch([&](uint64_t h) { return tokens.count(h) > 0; });
    if (!hits.empty()) {
      ++matched;
      ASSERT_TRUE(may) << "pruned an event that matches: " << ev.fields[0].second << " " << ev.fields[1].second;
    } else if (!may) {
      ++pruned;
    }
  }
  // Both kinds happened, so the property was exercised.
  EXPECT_GT(matched, 1000u);
  EXPECT_GT(pruned, 1000u);
}

TEST(ListStoreTest, PersistsVersionsAndDeletes) {
  const std::string dir = kmt_test::TempDir("intel_store") + "/intel";
  const int64_t t0 = *ParseRfc3339("2026-12-01T00:00:00Z");
  {
    std::unique_ptr<ListStore> store;
    ASSERT_TRUE(ListStore::Open(dir, &store).ok());
    std::vector<Indicator> v = {Make("203.0.113.7"), Make("evil.example")};
    v[1].description = "tab\there, newline\nthere";
    v[1].source = "CERT \\ X";
    v[1].expires_ns = t0 + 3650 * kNanosPerDay;
    ASSERT_TRUE(store->Put("bad", v, "text", "upload by admin", t0).ok());
    ASSERT_TRUE(store->Put("bad", v, "csv", "upload by alice", t0 + 10).ok());
    EXPECT_FALSE(store->Put("no/slash", v, "text", "", t0).ok());
    ASSERT_TRUE(store->Put("other", {Make("198.51.100.1")}, "text", "", t0).ok());
    ASSERT_TRUE(store->Delete("other").ok());
    EXPECT_EQ(store->Delete("other").code(), Status::Code::kNotFound);
  }
  std::unique_ptr<ListStore> store;
  ASSERT_TRUE(ListStore::Open(dir, &store).ok());
  EXPECT_TRUE(store->load_errors().empty());
  ASSERT_EQ(store->All().size(), 1u);
  auto list = store->Get("bad");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->info.version, 2u);
  EXPECT_EQ(list->info.created_ns, t0);
  EXPECT_EQ(list->info.updated_ns, t0 + 10);
  EXPECT_EQ(list->info.format, "csv");
  ASSERT_EQ(list->info.history.size(), 1u);
  EXPECT_EQ(list->info.history[0].origin, "upload by admin");
  ASSERT_EQ(list->matcher.indicators().size(), 2u);
  EXPECT_EQ(list->matcher.indicators()[1].description, "tab\there, newline\nthere");
  EXPECT_EQ(list->matcher.indicators()[1].source, "CERT \\ X");
  EXPECT_EQ(list->Active(t0), 2u);
  EXPECT_EQ(list->Active(t0 + 3650 * kNanosPerDay), 1u);
  EXPECT_TRUE(store->Find("bad")->Contains("www.evil.example"));
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

}  // namespace
}  // namespace kamatama::intel
