// tests/intel_integration_test.cc
//! Threat intelligence (issue 28) against the real binary: lists imported over the API from a
//! CSV, a STIX 2.1 bundle and a MISP export written here; a retro hit (a hunt over corpus events
//! stored before the list existed) and a live hit (an alert raised as a corpus line arrives),
//! with counts taken from the corpus file itself; `field:@list` searches; expiry; a
//! 1-million-indicator list; POST /api/v1/search with a query far beyond a URL; roles; hostile
//! input (a 100 MB list, malformed STIX, a /0 network).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <signal.h>
#include <sys/wait.h>

#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;
using kmt_test::Shell;
using kmt_test::ShellQuote;

const std::string kIptables = std::string(KMT_SOURCE_DIR) + "/../shared/corpus/firewall/iptables/elastic-test-iptables-raw.log";
const std::string kBind = std::string(KMT_SOURCE_DIR) + "/../shared/corpus/dns/bind9/crowdsec-bind9-logs.log";
const char* kCorpusIp = "67.43.156.15";

class IntelIntegration : public kmt_test::SharedServerTest {
 protected:
  static void SetUpTestSuite() { StartSuiteServer("intel:\n  alert_dedup: 0s\n"); }

  //! curl with the admin's credentials; returns the body, *code the status.
  static std::string Curl(const std::string& args, const std::string& path, int* code, const std::string& user = "") {
    std::string url = user.empty() ? server_->Url(path) : "http://" + user + "@" + server_->http_address() + path;
    std::string out = Shell("curl -s -m 120 -w '\\n%{http_code}' " + args + " " + ShellQuote(url));
    const size_t nl = out.rfind('\n');
    *code = nl == std::string::npos ? -1 : std::atoi(out.c_str() + nl + 1);
    return nl == std::string::npos ? out : out.substr(0, nl);
  }
  //! PUT of `body` as list `name` with `type`.
  static std::string Put(const std::string& name, const std::string& type, const std::string& body, int* code,
                         const std::string& query = "") {
    const std::string file = *dir_ + "/body";
    std::ofstream(file, std::ios::binary) << body;
    return Curl("-X PUT -H " + ShellQuote("Content-Type: " + type) + " --data-binary @" + ShellQuote(file),
                "/api/v1/lists/" + name + query, code);
  }
  static simdjson::dom::element Json(simdjson::dom::parser& p, const std::string& body) {
    auto r = p.parse(body);
    EXPECT_FALSE(r.error()) << body.substr(0, 1000);
    return r.error() ? simdjson::dom::element() : r.value();
  }
  static int64_t Int(simdjson::dom::element e, const char* key) {
    int64_t v = -1;
    if (e[key].get(v)) return -1;
    return v;
  }
  static std::string Str(simdjson::dom::element e, const char* key) {
    std::string_view v;
    return e[key].get(v) ? std::string() : std::string(v);
  }
  //! Ingests raw lines (one event each) and waits for the answer (durable, searchable).
  static void Ingest(const std::string& lines) {
    const std::string file = *dir_ + "/ingest";
    std::ofstream(file, std::ios::binary) << lines;
    int code = 0;
    std::string body = server_->Post("/api/v1/ingest", file, &code);
    ASSERT_EQ(code, 200) << body;
  }
  //! Corpus lines holding `needle`, and how many.
  static std::string LinesWith(const std::string& path, const std::string& needle, size_t* n) {
    std::ifstream in(path);
    std::string line, out;
    *n = 0;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find(needle) == std::string::npos) continue;
      out += line + "\n";
      ++*n;
    }
    return out;
  }
};

TEST_F(IntelIntegration, ImportsCsvStixAndMispAndListsThem) {
  int code = 0;
  std::string body = Put("csv-feed", "text/csv",
                         "value,type,source,description,expires\n"
                         "198.51.100.7,ip,CERT-A,scanner,2099-01-01T00:00:00Z\n"
                         "bad.example,domain,CERT-A,phishing,\n"
                         "old.example,domain,CERT-A,expired,2020-01-01T00:00:00Z\n",
                         &code);
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::parser p;
  EXPECT_EQ(Int(Json(p, body), "accepted"), 2);
  EXPECT_EQ(Int(Json(p, body), "expired"), 1);
  body = Put("stix-feed", "application/stix+json",
             R"({"type":"bundle","id":"bundle--1","objects":[
                {"type":"identity","id":"identity--p","name":"Partner"},
                {"type":"indicator","id":"indicator--1","created_by_ref":"identity--p","pattern_type":"stix",
                 "pattern":"[ipv4-addr:value = '203.0.113.0/24'] OR [url:value = 'http://evil.example/a']"},
                {"type":"indicator","id":"indicator--2","pattern_type":"stix",
                 "pattern":"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"}]})",
             &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(Int(Json(p, body), "accepted"), 3) << body;
  EXPECT_EQ(Str(Json(p, body), "format"), "stix");
  body = Put("misp-feed", "application/json",
             R"({"Event":{"info":"wave","Orgc":{"name":"CSIRT-B"},"Attribute":[
                {"type":"ip-dst","value":"192.0.2.44","to_ids":true},
                {"type":"email-src","value":"ceo@fraud.example","to_ids":true},
                {"type":"comment","value":"x","to_ids":false}]}})",
             &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(Str(Json(p, body), "format"), "misp");
  EXPECT_EQ(Int(Json(p, body), "accepted"), 2);
  // A second version of the CSV list.
  body = Put("csv-feed", "text/plain", "198.51.100.7\n198.51.100.8\nbad.example\n", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(Int(Json(p, body), "version"), 2);

  body = Curl("", "/api/v1/lists", &code);
  ASSERT_EQ(code, 200) << body;
  std::map<std::string, std::pair<int64_t, int64_t>> seen;  // name -> size, version
  simdjson::dom::array lists;
  ASSERT_FALSE(Json(p, body)["lists"].get(lists)) << body;
  for (simdjson::dom::element l : lists) {
    seen[Str(l, "name")] = {Int(l, "size"), Int(l, "version")};
    EXPECT_FALSE(Str(l, "updated").empty());
  }
  EXPECT_EQ(seen["csv-feed"], std::make_pair(int64_t{3}, int64_t{2}));
  EXPECT_EQ(seen["stix-feed"], std::make_pair(int64_t{3}, int64_t{1}));
  EXPECT_EQ(seen["misp-feed"], std::make_pair(int64_t{2}, int64_t{1}));
  body = Curl("", "/api/v1/lists/misp-feed", &code);
  ASSERT_EQ(code, 200);
  EXPECT_NE(body.find("\"source\":\"CSIRT-B\""), std::string::npos) << body;
  // The lists survive a restart (files in the data directory).
  ASSERT_EQ(server_->Stop(), 0);
  server_->Start();
  body = Curl("", "/api/v1/lists/csv-feed", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(Int(Json(p, body), "version"), 2);
  ASSERT_EQ(Curl("-X DELETE", "/api/v1/lists/misp-feed", &code), "{\"deleted\":true}");
  Curl("", "/api/v1/lists/misp-feed", &code);
  EXPECT_EQ(code, 404);
}

TEST_F(IntelIntegration, RetroHitOverStoredCorpusThenLiveHitAndListFilter) {
  if (!fs::exists(kIptables)) GTEST_SKIP() << "the corpus (../shared/corpus) is not beside the checkout";
  // History: the corpus file is stored before the list exists. The oracle is the file: lines
  // whose SRC= or DST= is the address.
  size_t in_file = 0, as_src = 0, as_dst = 0;
  LinesWith(kIptables, std::string("SRC=") + kCorpusIp + " ", &as_src);
  LinesWith(kIptables, std::string("DST=") + kCorpusIp + " ", &as_dst);
  const std::string lines = LinesWith(kIptables, kCorpusIp, &in_file);
  ASSERT_GT(as_src + as_dst, 0u);
  Ingest(kmt_test::ReadFile(kIptables));
  size_t bind_lines = 0;
  Ingest(LinesWith(kBind, "example.com", &bind_lines));
  ASSERT_GT(bind_lines, 0u);

  int code = 0;
  std::string body = Put("corpus-c2", "text/plain", std::string(kCorpusIp) + "\nexample.com\n192.0.2.200\n", &code);
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::parser p;
  simdjson::dom::element hunt = Json(p, body)["hunt"].value();
  ASSERT_TRUE(hunt.is_object()) << body;
  EXPECT_EQ(Int(hunt, "indicators_hit"), 2) << body;
  std::map<std::string, int64_t> counts;
  std::map<std::string, std::pair<std::string, std::string>> seen;
  for (simdjson::dom::element h : hunt["hits"].get_array()) {
    counts[Str(h, "indicator")] = Int(h, "count");
    seen[Str(h, "indicator")] = {Str(h, "first_seen"), Str(h, "last_seen")};
  }
  // An event with the address as both source and destination is one sighting; none here.
  EXPECT_EQ(counts[kCorpusIp], static_cast<int64_t>(as_src + as_dst)) << body;
  // First and last sighting: the oldest and newest of the events the search language finds.
  simdjson::dom::parser p2;
  std::string found = server_->Search(std::string("source.ip:") + kCorpusIp + " OR destination.ip:" + kCorpusIp, "&limit=1000");
  std::set<std::string> times;
  for (simdjson::dom::element e : Json(p2, found)["events"].get_array()) times.insert(Str(e, "@timestamp"));
  ASSERT_EQ(times.size() > 0, true) << found;
  EXPECT_EQ(seen[kCorpusIp].first, *times.begin());
  EXPECT_EQ(seen[kCorpusIp].second, *times.rbegin());
  // The DNS corpus: every stored line whose question is example.com (the oracle: the file).
  EXPECT_EQ(counts["example.com"], static_cast<int64_t>(server_->CountMatches("dns.question.name:example.com")));
  EXPECT_GT(counts["example.com"], 0);

  // field:@list in a search finds the same events as the hunt.
  EXPECT_EQ(server_->CountMatches("source.ip:@corpus-c2 OR destination.ip:@corpus-c2"), as_src + as_dst);
  EXPECT_EQ(server_->CountMatches("dns.question.name:@corpus-c2"), static_cast<size_t>(counts["example.com"]));
  int qcode = 0;
  std::string err = server_->Search("source.ip:@no-such-list", "", &qcode);
  EXPECT_EQ(qcode, 400);
  EXPECT_NE(err.find("no list named 'no-such-list'"), std::string::npos) << err;

  // Live: the corpus lines arrive again, now with the list loaded: one alert per event.
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert kamatama.intel.list:corpus-c2"), 0u);
  Ingest(lines);
  const size_t alerts = server_->CountMatches("event.dataset:kamatama.alert kamatama.intel.list:corpus-c2");
  EXPECT_EQ(alerts, as_src + as_dst);
  std::string alert = server_->Search("event.dataset:kamatama.alert kamatama.intel.list:corpus-c2", "&limit=1");
  simdjson::dom::element a = Json(p2, alert)["events"].at(0).value();
  EXPECT_EQ(Str(a, "rule.ruleset"), "intel");
  EXPECT_EQ(Str(a, "kamatama.intel.indicator"), kCorpusIp);
  EXPECT_EQ(Str(a, "kamatama.intel.source"), "corpus-c2");  // no source given: the list's name
  EXPECT_NE(Str(a, "kamatama.matched.original").find(kCorpusIp), std::string::npos);
  body = Curl("", "/api/v1/lists/corpus-c2/hits", &code);
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::element live = Json(p, body)["live"].at(0).value();
  EXPECT_EQ(Str(live, "indicator"), kCorpusIp);
  EXPECT_EQ(Int(live, "alerts"), static_cast<int64_t>(as_src + as_dst));
  // A hunt pressed again: the alerts are not sightings; the re-sent lines are.
  body = Curl("-X POST", "/api/v1/lists/corpus-c2/hunt", &code);
  ASSERT_EQ(code, 200) << body;
  for (simdjson::dom::element h : Json(p, body)["hits"].get_array()) {
    if (Str(h, "indicator") == kCorpusIp) EXPECT_EQ(Int(h, "count"), static_cast<int64_t>(2 * (as_src + as_dst)));
  }
}

TEST_F(IntelIntegration, ExpiredIndicatorsStopMatching) {
  int code = 0;
  // Expires in 2 seconds; another one already expired is not loaded at all.
  std::string body = Put("short-lived", "text/csv",
                         "value,expires\n192.0.2.77,2s\n192.0.2.78,2020-01-01T00:00:00Z\n", &code);
  ASSERT_EQ(code, 200) << body;
  simdjson::dom::parser p;
  EXPECT_EQ(Int(Json(p, body), "expired"), 1);
  auto event = [](const std::string& host) {
    return "{\"@timestamp\":\"2026-12-01T10:00:00Z\",\"host\":{\"name\":\"" + host +
           "\"},\"source\":{\"ip\":\"192.0.2.77\"},\"message\":\"deny\"}\n";
  };
  Ingest(event("before"));
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert kamatama.intel.list:short-lived"), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past its expiry
  Ingest(event("after"));
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert kamatama.intel.list:short-lived"), 1u);
  EXPECT_EQ(server_->CountMatches("source.ip:192.0.2.77"), 2u);  // the event itself was stored
  body = Curl("", "/api/v1/lists/short-lived", &code);
  EXPECT_EQ(Int(Json(p, body), "active"), 0) << body;
  EXPECT_EQ(Int(Json(p, body), "expired"), 1) << body;
}

TEST_F(IntelIntegration, OneMillionIndicators) {
  std::string list;
  list.reserve(16u << 20);
  for (uint32_t i = 0; i < 1'000'000; ++i)
    list += std::to_string(10 + (i >> 16)) + "." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255) + ".9\n";
  int code = 0;
  std::string body = Put("million", "text/plain", list, &code, "?hunt=false");
  ASSERT_EQ(code, 200) << body.substr(0, 500);
  simdjson::dom::parser p;
  EXPECT_EQ(Int(Json(p, body), "size"), 1'000'000);
  EXPECT_EQ(Int(Json(p, body), "duplicates"), 0);
  // The last one and the first one hit; a neighbour does not.
  Ingest("{\"host\":{\"name\":\"m1\"},\"destination\":{\"ip\":\"25.66.63.9\"},\"message\":\"x\"}\n"
         "{\"host\":{\"name\":\"m2\"},\"source\":{\"ip\":\"10.0.0.9\"},\"message\":\"x\"}\n"
         "{\"host\":{\"name\":\"m3\"},\"source\":{\"ip\":\"10.0.0.8\"},\"message\":\"x\"}\n");
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert kamatama.intel.list:million"), 2u);
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert kamatama.intel.list:million host.name:m3"), 0u);
  ASSERT_EQ(Curl("-X DELETE", "/api/v1/lists/million", &code), "{\"deleted\":true}");
}

TEST_F(IntelIntegration, PostSearchTakesQueriesBeyondAnyUrl) {
  Ingest("{\"host\":{\"name\":\"p1\"},\"user\":{\"name\":\"needle-4999\"},\"message\":\"x\"}\n"
         "{\"host\":{\"name\":\"p2\"},\"user\":{\"name\":\"needle-0\"},\"message\":\"x\"}\n");
  std::string terms;
  for (int i = 0; i < 10000; ++i) terms += (i ? " OR user.name:needle-" : "user.name:needle-") + std::to_string(i);
  ASSERT_GT(terms.size(), 200'000u);
  const std::string file = *dir_ + "/search.json";
  std::ofstream(file) << "{\"q\":\"" << terms << "\",\"limit\":50}";
  int code = 0;
  std::string body = Curl("-H 'Content-Type: application/json' --data-binary @" + ShellQuote(file), "/api/v1/search", &code);
  ASSERT_EQ(code, 200) << body.substr(0, 500);
  simdjson::dom::parser p;
  EXPECT_EQ(Json(p, body)["events"].get_array().size(), 2u);
  // As a GET, a tenth of it does not fit the request header already (http.max_header, 64 KiB).
  std::string get = "/api/v1/search?q=" + kmt_test::UrlEncode(terms.substr(0, terms.find(" OR ", 80000)));
  ASSERT_LT(get.size(), 120000u);  // one command-line argument holds at most 128 KiB
  std::string out = Shell("curl -s -o /dev/null -w '%{http_code}' " + ShellQuote(server_->Url(get)));
  EXPECT_EQ(out, "431");
  // Beyond query.max_query_bytes (1 MiB): a clear 413.
  std::string big(1100000, 'a');
  std::ofstream(file) << "{\"q\":\"" << big << "\"}";
  body = Curl("-H 'Content-Type: application/json' --data-binary @" + ShellQuote(file), "/api/v1/search", &code);
  EXPECT_EQ(code, 413) << body.substr(0, 300);
  EXPECT_NE(body.find("max_query_bytes"), std::string::npos) << body.substr(0, 300);
  std::ofstream(file) << "not json";
  body = Curl("--data-binary @" + ShellQuote(file), "/api/v1/search", &code);
  EXPECT_EQ(code, 400) << body;
}

TEST_F(IntelIntegration, AnalystsReadAndHuntAdminsWrite) {
  int code = 0;
  std::string body = Curl("-H 'Content-Type: application/json' --data '{\"name\":\"ann\",\"role\":\"analyst\",\"password\":\"ann-pw-123456789\"}'",
                          "/api/v1/users", &code);
  ASSERT_EQ(code, 201) << body;
  Put("roles", "text/plain", "192.0.2.99\n", &code);
  ASSERT_EQ(code, 200);
  const std::string ann = "ann:ann-pw-123456789";
  Curl("", "/api/v1/lists", &code, ann);
  EXPECT_EQ(code, 200);
  Curl("", "/api/v1/lists/roles/hits", &code, ann);
  EXPECT_EQ(code, 200);
  Curl("-X POST", "/api/v1/lists/roles/hunt", &code, ann);
  EXPECT_EQ(code, 200);
  Curl("-X PUT -H 'Content-Type: text/plain' --data-binary 192.0.2.1", "/api/v1/lists/roles", &code, ann);
  EXPECT_EQ(code, 403);
  Curl("-X DELETE", "/api/v1/lists/roles", &code, ann);
  EXPECT_EQ(code, 403);
}

TEST_F(IntelIntegration, HostileInputGetsAClearError) {
  int code = 0;
  // A 100 MB list: refused from its header (intel.max_list_bytes, 64 MiB), before it is read.
  const std::string big = *dir_ + "/big.list";
  { std::ofstream touch(big); }
  fs::resize_file(big, 100u << 20);
  std::string body = Curl("-T " + ShellQuote(big) + " -H 'Content-Type: text/plain'", "/api/v1/lists/big", &code);
  EXPECT_EQ(code, 413) << body;
  EXPECT_NE(body.find("too large"), std::string::npos) << body;
  fs::remove(big);
  // Malformed STIX.
  body = Put("stix-bad", "application/stix+json", "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\"", &code);
  EXPECT_EQ(code, 400) << body;
  EXPECT_NE(body.find("malformed STIX bundle"), std::string::npos) << body;
  // A /0 network: the whole list is refused, naming the line.
  body = Put("zero", "text/plain", "192.0.2.1\n0.0.0.0/0\n", &code);
  EXPECT_EQ(code, 400) << body;
  EXPECT_NE(body.find("line 2"), std::string::npos) << body;
  EXPECT_NE(body.find("/0 network"), std::string::npos) << body;
  Curl("", "/api/v1/lists/zero", &code);
  EXPECT_EQ(code, 404);
  // An unknown format and a bad name.
  Put("fmt", "image/png", "x", &code);
  EXPECT_EQ(code, 415);
  Put("a..b", "text/plain", "192.0.2.1\n", &code);
  EXPECT_EQ(code, 400);
}

}  // namespace

namespace {

//! `python3 -m http.server` on 127.0.0.1 (a real peer) serving `dir`; its port once it listens.
struct FileServer {
  //! Serves `dir` on 127.0.0.1 over HTTP, or over HTTPS with `cert` and `key` (PEM files).
  explicit FileServer(const std::string& dir, const std::string& cert = "", const std::string& key = "") {
    const std::string out = dir + "/http.out";
    // Python's own file server; with TLS, its socket wrapped in an SSLContext (prints the same
    // "port N" line first).
    static const char* kTls =
        "import http.server, ssl, sys, functools\n"
        "h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n"
        "s = http.server.HTTPServer(('127.0.0.1', 0), h)\n"
        "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
        "c.load_cert_chain(sys.argv[2], sys.argv[3])\n"
        "s.socket = c.wrap_socket(s.socket, server_side=True)\n"
        "print('Serving HTTPS on 127.0.0.1 port', s.server_address[1], flush=True)\n"
        "s.serve_forever()\n";
    pid = ::fork();
    if (pid == 0) {
      FILE* f = std::fopen(out.c_str(), "w");
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
      if (!cert.empty())
        ::execlp("python3", "python3", "-u", "-c", kTls, dir.c_str(), cert.c_str(), key.c_str(), static_cast<char*>(nullptr));
      else
        ::execlp("python3", "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir.c_str(),
                 static_cast<char*>(nullptr));
      _exit(127);
    }
    kmt_test::Eventually([&] {
      const std::string text = kmt_test::ReadFile(out);
      const size_t at = text.find(" port ");
      if (at == std::string::npos) return false;
      port = std::atoi(text.c_str() + at + 6);
      return port > 0;
    });
  }
  ~FileServer() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
  pid_t pid = -1;
  int port = 0;
};

//! A server in `sdir` started with `config` (YAML), once it has tried its feeds `elsewhere` (outside
//! intel.allowed_urls: refused by its text, whatever its address) and `fetched`.
std::unique_ptr<Server> StartAfterFeeds(const std::string& sdir, const std::string& config) {
  fs::create_directories(sdir);
  std::ofstream(sdir + "/kamatama.yaml") << config;
  auto server = std::make_unique<Server>(sdir, std::vector<std::string>{"--config", sdir + "/kamatama.yaml"});
  server->Start();
  EXPECT_TRUE(kmt_test::Eventually([&] { return server->log().find("feed elsewhere") != std::string::npos; })) << server->log();
  EXPECT_NE(server->log().find("is not under intel.allowed_urls"), std::string::npos) << server->log();
  EXPECT_TRUE(kmt_test::Eventually([&] { return server->log().find("feed fetched") != std::string::npos; })) << server->log();
  return server;
}

TEST(IntelFeeds, FetchedOnScheduleOnlyFromAllowedAndPublicTargets) {
  if (Shell("command -v python3").empty()) GTEST_SKIP() << "python3 is needed to serve the feed";
  const std::string dir = kmt_test::TempDir("intel_feeds");
  std::ofstream(dir + "/feed.csv") << "value,type,source\n203.0.113.60,ip,Feed-Co\nbad-feed.example,domain,Feed-Co\n";
  FileServer files(dir);
  ASSERT_GT(files.port, 0) << kmt_test::ReadFile(dir + "/http.out");
  const std::string base = "http://127.0.0.1:" + std::to_string(files.port) + "/";
  auto config = [&](bool allow_internal) {
    return "intel:\n  allow_internal: " + std::string(allow_internal ? "true" : "false") + "\n  allowed_urls: [\"" + base +
           "\"]\n  feeds:\n    - {name: fetched, url: \"" + base + "feed.csv\", format: csv, interval: 1h}\n"
           "    - {name: elsewhere, url: \"http://127.0.0.2:1/x.txt\", format: text, interval: 1h}\n";
  };
  for (bool allow_internal : {false, true}) {
    auto started = StartAfterFeeds(dir + (allow_internal ? "/allowed" : "/refused"), config(allow_internal));
    Server& server = *started;
    int code = 0;
    std::string body = server.Get("/api/v1/lists/fetched", &code);
    if (!allow_internal) {
      // 127.0.0.1 is internal: refused before any connection (the file server saw no request).
      EXPECT_NE(server.log().find("resolves to the internal address 127.0.0.1"), std::string::npos) << server.log();
      EXPECT_EQ(code, 404) << body;
      EXPECT_EQ(kmt_test::ReadFile(dir + "/http.out").find("GET /feed.csv"), std::string::npos);
    } else {
      ASSERT_EQ(code, 200) << body << server.log();
      EXPECT_NE(body.find("\"size\":2"), std::string::npos) << body;
      EXPECT_NE(body.find("\"origin\":\"fetch of " + base + "feed.csv\""), std::string::npos) << body;
      EXPECT_NE(kmt_test::ReadFile(dir + "/http.out").find("GET /feed.csv"), std::string::npos);
    }
    EXPECT_EQ(server.Stop(), 0);
  }
  fs::remove_all(dir);
}

// An https feed from a server whose certificate a private CA signed: fetched when intel.ca_file
// names that CA, refused (certificate verification) without it; the allow-list still applies.
TEST(IntelFeeds, HttpsFeedTrustsTheConfiguredCaFile) {
  if (Shell("command -v python3").empty() || Shell("command -v openssl").empty())
    GTEST_SKIP() << "python3 and openssl are needed to serve the feed";
  const std::string dir = kmt_test::TempDir("intel_https_feed");
  std::ofstream(dir + "/feed.csv") << "value,type,source\n203.0.113.61,ip,Feed-Co\ntls-feed.example,domain,Feed-Co\n";
  std::ofstream(dir + "/san.ext") << "subjectAltName=IP:127.0.0.1\n";
  Shell("cd " + ShellQuote(dir) +
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=kmt-feed-ca 2>/dev/null"
        " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null"
        " && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile san.ext 2>/dev/null");
  ASSERT_TRUE(fs::exists(dir + "/srv.pem"));
  FileServer files(dir, dir + "/srv.pem", dir + "/srv.key");
  ASSERT_GT(files.port, 0) << kmt_test::ReadFile(dir + "/http.out");
  const std::string base = "https://127.0.0.1:" + std::to_string(files.port) + "/";
  for (bool with_ca : {false, true}) {
    auto started = StartAfterFeeds(dir + (with_ca ? "/with_ca" : "/without_ca"),
                                   "intel:\n  allow_internal: true\n  allowed_urls: [\"" + base + "\"]\n" +
                                       (with_ca ? "  ca_file: " + dir + "/ca.pem\n" : "") +
                                       "  feeds:\n    - {name: fetched, url: \"" + base + "feed.csv\", format: csv, interval: 1h}\n"
                                       "    - {name: elsewhere, url: \"https://127.0.0.2:" + std::to_string(files.port) +
                                       "/feed.csv\", format: csv, interval: 1h}\n");
    Server& server = *started;
    int code = 0;
    std::string body = server.Get("/api/v1/lists/fetched", &code);
    if (with_ca) {
      ASSERT_EQ(code, 200) << body << server.log();
      EXPECT_NE(body.find("\"size\":2"), std::string::npos) << body;
      EXPECT_NE(body.find("\"origin\":\"fetch of " + base + "feed.csv\""), std::string::npos) << body;
    } else {
      EXPECT_EQ(code, 404) << body;
      EXPECT_NE(server.log().find("certificate verify failed"), std::string::npos) << server.log();
    }
    EXPECT_EQ(server.Stop(), 0);
  }
  EXPECT_NE(kmt_test::ReadFile(dir + "/http.out").find("GET /feed.csv"), std::string::npos);  // only with the CA
  fs::remove_all(dir);
}

}  // namespace

namespace {

// Issue 28: a list in a Sigma rule (`field|list: NAME`, kamatama's modifier), following the
// list's updates without a rule reload. The rule file is written here; the lines are real
// iptables lines of the corpus (their clock time moved, so that alert deduplication, by event
// time, does not hide the second round).
const char* kListRuleId = "6f3d2b1a-9c8e-4b7d-a5f4-3e2d1c0b9a87";

class IntelRuleIntegration : public IntelIntegration {
 protected:
  static void SetUpTestSuite() {
    rules_dir_ = new std::string(kmt_test::TempDir("intel_rule_lists"));
    std::ofstream(*rules_dir_ + "/listed_source.yml") << "title: Firewall event from a listed address\n"
                                                         "id: " << kListRuleId << "\n"
                                                         "status: test\n"
                                                         "author: kamatama\n"
                                                         "logsource:\n  category: firewall\n"
                                                         "detection:\n  selection:\n    source.ip|list: rule-ips\n"
                                                         "  condition: selection\n"
                                                         "level: high\n";
    StartSuiteServer("detection:\n  rules: [" + *rules_dir_ + "]\nintel:\n  alert_dedup: 0s\n");
  }
  static void TearDownTestSuite() {
    IntelIntegration::TearDownTestSuite();
    fs::remove_all(*rules_dir_);
    delete rules_dir_;
  }
  //! The first corpus line from `ip`, its clock time set to `hms`.
  static std::string LineFrom(const std::string& ip, const std::string& hms) {
    size_t n = 0;
    std::string line = LinesWith(kIptables, "SRC=" + ip + " ", &n);
    EXPECT_GT(n, 0u) << ip;
    line = line.substr(0, line.find('\n'));
    const size_t colon = line.find(':', line.find(' '));  // the first HH:MM:SS
    EXPECT_NE(colon, std::string::npos);
    return line.replace(colon - 2, 8, hms) + "\n";
  }
  static size_t RuleAlerts(const std::string& text) {
    return server_->CountMatches("event.dataset:kamatama.alert rule.id:" + std::string(kListRuleId) + " \"" + text + "\"");
  }
  inline static std::string* rules_dir_ = nullptr;
};

TEST_F(IntelRuleIntegration, RuleWithAListFiresOnListedAddressesAndFollowsUpdates) {
  const std::string other = "81.2.69.143";
  int code = 0;
  Put("rule-ips", "text/plain", std::string(kCorpusIp) + "\n", &code);
  ASSERT_EQ(code, 200);
  Ingest(LineFrom(kCorpusIp, "03:00:00") + LineFrom(other, "03:00:01"));
  EXPECT_EQ(RuleAlerts(kCorpusIp), 1u);
  EXPECT_EQ(RuleAlerts(other), 0u);
  // The list now names the other address only: the rule follows (no reload).
  Put("rule-ips", "text/plain", other + "\n", &code);
  ASSERT_EQ(code, 200);
  Ingest(LineFrom(kCorpusIp, "05:00:00") + LineFrom(other, "05:00:01"));
  EXPECT_EQ(RuleAlerts(kCorpusIp), 1u);
  EXPECT_EQ(RuleAlerts(other), 1u);
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert rule.id:" + std::string(kListRuleId)), 2u);
  // A deleted list matches nothing.
  Curl("-X DELETE", "/api/v1/lists/rule-ips", &code);
  ASSERT_EQ(code, 200);
  Ingest(LineFrom(kCorpusIp, "07:00:00") + LineFrom(other, "07:00:01"));
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.alert rule.id:" + std::string(kListRuleId)), 2u);
}

}  // namespace
