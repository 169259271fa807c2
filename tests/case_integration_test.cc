// tests/case_integration_test.cc
//! Cases (issue 22) against the real binary: events found by a search are pinned by reference and
//! read back from the store; entities, an alert and notes are pinned; everything survives a
//! restart; every export format is read back with Python's own CSV, HTML and text handling
//! (tests/case_export_check.py), with attacker-written log text (script and image tags, a
//! Markdown link, a spreadsheet formula, a bidirectional override) that must stay text; roles
//! (viewer reads, analyst edits, admin deletes) and the audit trail of every change.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;
using kmt_test::ShellQuote;

constexpr const char* kWordRule = R"(title: Case test word seen
id: 11111111-2222-3333-4444-00000000c001
level: high
logsource:
  product: kmt
  service: words
detection:
  selection:
    kmt.word: needle
  condition: selection
)";

//! What an attacker writes into a log line: markup, a Markdown link and image, a formula, a bidi
//! override. JSON-escaped where it goes into the ingested event.
constexpr const char* kHostileMessage =
    "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) "
    "![t](http://evil.example/t.png) | a | b \u202Eexe.txt";
constexpr const char* kHostileHost = "=HYPERLINK(\"http://evil.example/\",\"x\")";
constexpr const char* kHostileNote = "<b>bold?</b> <script>alert('note')</script>\n=1+2 [x](javascript:alert(4))";

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '"' || c == '\\') out += '\\', out += c;
    else out += c;
  }
  return out;
}

class CaseIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = kmt_test::TempDir("case_integration");
    fs::create_directories(dir_ + "/rules");
    std::ofstream(dir_ + "/rules/word.yml") << kWordRule;
    server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--rules", dir_ + "/rules"});
    server_->Start();
  }
  void TearDown() override {
    if (server_) EXPECT_EQ(server_->Stop(), 0);
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  void Restart() {
    ASSERT_EQ(server_->Stop(), 0);
    server_->Start();
  }
  void Ingest(const std::string& ndjson) {
    std::ofstream(dir_ + "/batch.ndjson") << ndjson;
    int code = 0;
    std::string body = server_->Post("/api/v1/ingest", dir_ + "/batch.ndjson", &code);
    ASSERT_EQ(code, 200) << body;
  }
  //! A request with a JSON body; as `user` (password `<user>-password`) when given, else admin.
  std::string Send(const std::string& method, const std::string& path, const std::string& json, int* code,
                   const std::string& user = "", const std::string& save_to = "") {
    std::ofstream(dir_ + "/body.json") << json;
    const std::string as = user.empty() ? "" : "-u " + ShellQuote(user + ":" + user + "-password") + " ";
    const std::string url = user.empty() ? server_->Url(path) : server_->AnonUrl(path);
    const std::string data = method == "GET" ? "" : " -H 'Content-Type: application/json' --data-binary @" + ShellQuote(dir_ + "/body.json");
    const std::string out_opt = save_to.empty() ? "" : " -D " + ShellQuote(save_to + ".head") + " -o " + ShellQuote(save_to);
    std::string out = kmt_test::Shell("curl -s -m 30 -w '\\n%{http_code}' " + as + "-X " + method + data + out_opt + " " +
                                      ShellQuote(url));
    size_t nl = out.rfind('\n');
    *code = std::atoi(out.c_str() + nl + 1);
    return out.substr(0, nl);
  }
  simdjson::dom::element Json(const std::string& text) {
    simdjson::dom::element e;
    EXPECT_FALSE(parser_.parse(text).get(e)) << text;
    return e;
  }
  void AddUser(const std::string& name, const std::string& role) {
    int code = 0;
    std::string body = Send("POST", "/api/v1/users", "{\"name\":\"" + name + "\",\"role\":\"" + role +
                                                         "\",\"password\":\"" + name + "-password\"}", &code);
    ASSERT_EQ(code, 201) << body;
  }
  //! Creates a case; its id.
  int64_t NewCase(const std::string& title, const std::string& user = "") {
    int code = 0;
    std::string body = Send("POST", "/api/v1/cases", "{\"title\":\"" + JsonEscape(title) + "\",\"description\":\"phishing\"}",
                            &code, user);
    EXPECT_EQ(code, 201) << body;
    int64_t id = 0;
    EXPECT_FALSE(Json(body)["id"].get(id)) << body;
    return id;
  }
  //! The reference of the first search hit for `q`, as the UI sends it.
  std::string RefOf(const std::string& q) {
    int code = 0;
    std::string body = server_->Search(q, "&limit=1", &code);
    EXPECT_EQ(code, 200) << body;
    simdjson::dom::element ev = Json(body)["events"].at(0);
    std::string j = "{";
    for (const char* k : {"@timestamp", "event.dataset", "host.name", "event.original"}) {
      std::string_view v;
      if (ev[k].get(v)) continue;  // an event without a host name
      j += std::string(j.size() > 1 ? "," : "") + "\"" + k + "\":\"" + JsonEscape(std::string(v)) + "\"";
    }
    return j + "}";
  }
  //! An export through curl into a file; its body, the status in *code and the headers in *head.
  std::string Export(int64_t id, const std::string& format, int* code, std::string* head, const std::string& user = "") {
    const std::string file = dir_ + "/export." + format;
    Send("GET", "/api/v1/cases/" + std::to_string(id) + "/export?format=" + format, "", code, user, file);
    *head = kmt_test::ReadFile(file + ".head");
    return kmt_test::ReadFile(file);
  }
  //! The export read back by tests/case_export_check.py.
  std::string Check(const std::string& kind, const std::string& file) {
    return kmt_test::Shell("python3 " + ShellQuote(std::string(KMT_SOURCE_DIR) + "/tests/case_export_check.py") + " " + kind +
                           " " + ShellQuote(file));
  }
  size_t Audited(const std::string& action) {
    return server_->CountMatches("event.dataset:kamatama.audit event.action:" + action);
  }
  //! Ingests the hostile event, the alert's event and a plain one; waits for the alert.
  void IngestIncident() {
    Ingest("{\"@timestamp\":\"2026-03-02T08:15:30.123456789Z\",\"event.dataset\":\"kmt.words\",\"host.name\":\"" +
           JsonEscape(kHostileHost) + "\",\"user.name\":\"pgustavo\",\"source.ip\":\"172.18.39.5\",\"kmt.word\":\"needle\","
           "\"message\":\"" + JsonEscape(kHostileMessage) + "\"}\n"
           "{\"@timestamp\":\"2026-03-02T08:16:00Z\",\"event.dataset\":\"kmt.proxy\",\"host.name\":\"proxy1\","
           "\"url.original\":\"http://10.10.10.5/launcher\",\"message\":\"GET http://10.10.10.5/launcher\"}\n");
    ASSERT_TRUE(kmt_test::Eventually([&] {
      int code = 0;
      std::string b = Send("GET", "/api/v1/alerts?rule=11111111-2222-3333-4444-00000000c001", "", &code);
      return b.find("\"total\":1") != std::string::npos;
    }));
  }
  int64_t FirstAlertId() {
    int code = 0;
    std::string b = Send("GET", "/api/v1/alerts?rule=11111111-2222-3333-4444-00000000c001", "", &code);
    return Json(b)["alerts"].at(0)["id"].get_int64().value();
  }

  std::string dir_;
  std::unique_ptr<Server> server_;
  simdjson::dom::parser parser_;
};

TEST_F(CaseIntegration, PinnedEventsEntitiesAlertsAndNotesSurviveARestartAndReadBackFromTheStore) {
  IngestIncident();
  const int64_t id = NewCase("Empire launcher on WORKSTATION5");
  const std::string base = "/api/v1/cases/" + std::to_string(id);
  int code = 0;
  std::string body = Send("POST", base + "/events", "{\"events\":[" + RefOf("kmt.word:needle") + "," +
                                                     RefOf("event.dataset:kmt.proxy") + "]}", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(Json(body)["added"].get_int64().value(), 2);
  // Pinning the same event again adds nothing.
  body = Send("POST", base + "/events", RefOf("kmt.word:needle"), &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(Json(body)["added"].get_int64().value(), 0);
  body = Send("POST", base + "/entities", R"({"entities":[{"type":"ip","value":"10.10.10.5"},{"type":"user","value":"pgustavo"}]})", &code);
  ASSERT_EQ(code, 200) << body;
  Send("POST", base + "/entities", R"({"type":"planet","value":"mars"})", &code);
  EXPECT_EQ(code, 400);
  body = Send("POST", base + "/alerts", "{\"alerts\":[" + std::to_string(FirstAlertId()) + "]}", &code);
  ASSERT_EQ(code, 200) << body;
  body = Send("POST", base + "/notes", "{\"text\":\"" + JsonEscape(kHostileNote) + "\"}", &code);
  ASSERT_EQ(code, 200) << body;
  // A reference to nothing: 404; the wrong line at the right time: 404.
  Send("POST", base + "/events", R"({"@timestamp":"2026-03-02T08:15:30.123456788Z","event.dataset":"kmt.words"})", &code);
  EXPECT_EQ(code, 404);

  Restart();
  int gc = 0;
  const std::string after = Send("GET", base, "", &gc);
  ASSERT_EQ(gc, 200) << after;
  simdjson::dom::element c = Json(after);
  EXPECT_EQ(c["title"].get_string().value(), "Empire launcher on WORKSTATION5");
  EXPECT_EQ(c["owner"].get_string().value(), "admin");
  EXPECT_EQ(c["status"].get_string().value(), "open");
  ASSERT_EQ(c["events"].get_array().size(), 2u);
  EXPECT_EQ(c["events"].at(0)["host.name"].get_string().value(), kHostileHost);
  EXPECT_EQ(c["events"].at(0)["@timestamp"].get_string().value(), "2026-03-02T08:15:30.123456789Z");
  EXPECT_NE(c["events"].at(0)["message"].get_string().value().find(kHostileMessage), std::string_view::npos);
  EXPECT_EQ(c["entities"].at(0)["value"].get_string().value(), "10.10.10.5");
  EXPECT_EQ(c["alerts"].at(0)["rule"].get_string().value(), "Case test word seen");
  EXPECT_EQ(c["notes"].at(0)["text"].get_string().value(), kHostileNote);
  EXPECT_EQ(c["notes"].at(0)["pinned_by"].get_string().value(), "admin");
  // The pinned event read again from the store, by its reference.
  const int64_t item = c["events"].at(0)["id"].get_int64().value();
  const int64_t user_entity = c["entities"].at(1)["id"].get_int64().value();  // before parser_ is reused
  body = Send("GET", base + "/events/" + std::to_string(item), "", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_TRUE(Json(body)["found"].get_bool().value()) << body;
  EXPECT_EQ(Json(body)["event"]["user.name"].get_string().value(), "pgustavo");
  // Edit and unpin.
  body = Send("PATCH", base, "{\"status\":\"closed\",\"remove_entities\":[" +
                                 std::to_string(user_entity) + "]}", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(Json(body)["status"].get_string().value(), "closed");
  EXPECT_EQ(Json(body)["entities"].get_array().size(), 1u);
  Send("PATCH", base, R"({"status":"resolved"})", &code);
  EXPECT_EQ(code, 400);
  body = Send("GET", "/api/v1/cases?status=closed", "", &code);
  EXPECT_EQ(Json(body)["total"].get_int64().value(), 1) << body;
  EXPECT_EQ(Json(body)["cases"].at(0)["counts"]["events"].get_int64().value(), 2);
}

TEST_F(CaseIntegration, EveryExportReadsBackWithTheHostileTextKeptAsText) {
  IngestIncident();
  const int64_t id = NewCase("Export <script>alert('title')</script>");
  const std::string base = "/api/v1/cases/" + std::to_string(id);
  int code = 0;
  ASSERT_EQ((Send("POST", base + "/events", RefOf("kmt.word:needle"), &code), code), 200);
  ASSERT_EQ((Send("POST", base + "/notes", "{\"text\":\"" + JsonEscape(kHostileNote) + "\"}", &code), code), 200);
  ASSERT_EQ((Send("POST", base + "/entities", R"({"type":"domain","value":"evil.example"})", &code), code), 200);
  std::string head;
  // JSON: the case object itself.
  std::string json = Export(id, "json", &code, &head);
  ASSERT_EQ(code, 200) << json;
  EXPECT_NE(head.find("attachment; filename=\"case-" + std::to_string(id) + ".json\""), std::string::npos) << head;
  EXPECT_EQ(Json(json)["notes"].at(0)["text"].get_string().value(), kHostileNote);
  // CSV: Python's csv module finds one row per event; the formula host is quoted and defused.
  Export(id, "csv", &code, &head);
  ASSERT_EQ(code, 200);
  EXPECT_NE(head.find("text/csv"), std::string::npos);
  simdjson::dom::element csv = Json(Check("csv", dir_ + "/export.csv"))["rows"];
  ASSERT_EQ(csv.get_array().size(), 2u);
  EXPECT_EQ(csv.at(0).at(2).get_string().value(), "host.name");
  EXPECT_EQ(csv.at(1).at(2).get_string().value(), std::string("'") + kHostileHost);
  EXPECT_NE(csv.at(1).at(4).get_string().value().find(kHostileMessage), std::string_view::npos);
  // HTML: only the report's own tags and attributes; every hostile string is text.
  Export(id, "html", &code, &head);
  ASSERT_EQ(code, 200);
  EXPECT_NE(head.find("attachment; filename=\"case-" + std::to_string(id) + ".html\""), std::string::npos) << head;
  simdjson::dom::element html = Json(Check("html", dir_ + "/export.html"));
  for (simdjson::dom::element t : html["tags"].get_array()) {
    const std::string_view tag = t.get_string().value();
    EXPECT_TRUE(tag != "script" && tag != "img" && tag != "a" && tag != "iframe" && tag != "form") << tag;
  }
  for (simdjson::dom::element a : html["attrs"].get_array()) {
    const std::string_view attr = a.get_string().value();
    EXPECT_TRUE(attr == "class" || attr == "charset" || attr == "http-equiv" || attr == "content" || attr == "lang" ||
                attr == "name") << attr;
  }
  const std::string_view text = html["text"].get_string().value();
  EXPECT_NE(text.find("<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3))"), std::string_view::npos);
  EXPECT_NE(text.find("\\u202eexe.txt"), std::string_view::npos);  // the override shown, not obeyed
  EXPECT_NE(text.find("<script>alert('note')</script>"), std::string_view::npos);
  EXPECT_NE(text.find("Export <script>alert('title')</script>"), std::string_view::npos);
  EXPECT_NE(text.find("evil.example"), std::string_view::npos);
  EXPECT_NE(text.find("pgustavo"), std::string_view::npos);  // users named by the pinned events
  // Markdown: no raw '<' or unescaped link syntax; with the escapes undone, the text is the log's.
  const std::string md = Export(id, "md", &code, &head);
  ASSERT_EQ(code, 200);
  for (size_t at = md.find('<'); at != std::string::npos; at = md.find('<', at + 1))
    EXPECT_TRUE(at > 0 && md[at - 1] == '\\') << "a raw '<' at " << at << " of\n" << md;
  EXPECT_EQ(md.find("]("), std::string::npos);
  const std::string_view plain = Json(Check("md", dir_ + "/export.md"))["text"].get_string().value();
  EXPECT_NE(plain.find("<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3))"), std::string_view::npos);
  EXPECT_NE(plain.find("> =1+2 [x](javascript:alert(4))"), std::string_view::npos);  // the note's second line, quoted
  Export(id, "pdf", &code, &head);
  EXPECT_EQ(code, 400);
}

TEST_F(CaseIntegration, ViewersReadAnalystsEditAdminsDeleteAndEveryChangeIsAudited) {
  IngestIncident();
  AddUser("viewer1", "viewer");
  AddUser("analyst1", "analyst");
  int code = 0;
  Send("POST", "/api/v1/cases", R"({"title":"by a viewer"})", &code, "viewer1");
  EXPECT_EQ(code, 403);
  const int64_t id = NewCase("by an analyst", "analyst1");
  const std::string base = "/api/v1/cases/" + std::to_string(id);
  ASSERT_EQ((Send("POST", base + "/events", RefOf("kmt.word:needle"), &code, "analyst1"), code), 200);
  ASSERT_EQ((Send("POST", base + "/notes", R"({"text":"seen on the proxy too"})", &code, "analyst1"), code), 200);
  ASSERT_EQ((Send("PATCH", base, R"({"owner":"viewer1"})", &code, "analyst1"), code), 200);
  // An analyst cannot pin the audit log (not visible to them); an admin can, and a viewer then
  // does not see that event in the case.
  const std::string audit_ref = RefOf("event.dataset:kamatama.audit event.action:case.create");
  Send("POST", base + "/events", audit_ref, &code, "analyst1");
  EXPECT_EQ(code, 404);
  ASSERT_EQ((Send("POST", base + "/events", audit_ref, &code), code), 200);
  std::string body = Send("GET", base, "", &code, "viewer1");
  ASSERT_EQ(code, 200) << body;
  EXPECT_EQ(Json(body)["events"].get_array().size(), 1u) << body;
  EXPECT_EQ(Json(body)["owner"].get_string().value(), "viewer1");
  Send("POST", base + "/notes", R"({"text":"viewer note"})", &code, "viewer1");
  EXPECT_EQ(code, 403);
  std::string head;
  Export(id, "md", &code, &head, "viewer1");
  EXPECT_EQ(code, 403);
  Export(id, "md", &code, &head, "analyst1");
  EXPECT_EQ(code, 200);
  Send("DELETE", base, "", &code, "analyst1");
  EXPECT_EQ(code, 403);
  Send("DELETE", base, "", &code);
  EXPECT_EQ(code, 204);
  Send("GET", base, "", &code);
  EXPECT_EQ(code, 404);
  // Audited: who did what (the refused requests never reached the handler).
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.audit event.action:case.create user.name:analyst1"), 1u);
  EXPECT_EQ(Audited("case.pin_events"), 2u);
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.audit event.action:case.note kamatama.case.note:\"seen on the proxy too\""), 1u);
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.audit event.action:case.update kamatama.case.owner:viewer1"), 1u);
  EXPECT_EQ(server_->CountMatches("event.dataset:kamatama.audit event.action:case.delete kamatama.case.id:" + std::to_string(id)), 1u);
  EXPECT_EQ(Audited("case.delete"), 1u);
}

TEST_F(CaseIntegration, TwoEventsInTheSameNanosecondAreToldApartByTheirLine) {
  Ingest("{\"@timestamp\":\"2026-03-02T09:00:00Z\",\"event.dataset\":\"kmt.fw\",\"host.name\":\"fw1\",\"message\":\"deny 1\"}\n"
         "{\"@timestamp\":\"2026-03-02T09:00:00Z\",\"event.dataset\":\"kmt.fw\",\"host.name\":\"fw1\",\"message\":\"deny 2\"}\n");
  const int64_t id = NewCase("two at once");
  const std::string base = "/api/v1/cases/" + std::to_string(id);
  int code = 0;
  std::string body = Send("POST", base + "/events", R"({"@timestamp":"2026-03-02T09:00:00Z","event.dataset":"kmt.fw","host.name":"fw1"})", &code);
  EXPECT_EQ(code, 409) << body;
  const std::string ref = RefOf("event.dataset:kmt.fw \"deny 2\"");
  body = Send("POST", base + "/events", ref, &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_NE(std::string(Json(body)["case"]["events"].at(0)["message"].get_string().value()).find("deny 2"), std::string::npos);
}

}  // namespace

namespace {

// The copy kept in the case outlives the event: after retention has dropped its day, the case
// still shows it, the store no longer has it (found: false), and the report still quotes it.
TEST_F(CaseIntegration, APinnedEventOutlivesRetention) {
  const std::string old = kmt_test::Shell("date -u -d '-10 days' +%Y-%m-%dT10:00:00Z").substr(0, 20);
  Ingest("{\"@timestamp\":\"" + old + "\",\"event.dataset\":\"kmt.fw\",\"host.name\":\"fw9\",\"message\":\"deny from 203.0.113.9\"}\n");
  const int64_t id = NewCase("old evidence");
  const std::string base = "/api/v1/cases/" + std::to_string(id);
  int code = 0;
  std::string body = Send("POST", base + "/events", RefOf("event.dataset:kmt.fw host.name:fw9"), &code);
  ASSERT_EQ(code, 200) << body;
  const int64_t item = Json(body)["case"]["events"].at(0)["id"].get_int64().value();
  body = Send("GET", base + "/events/" + std::to_string(item), "", &code);
  ASSERT_TRUE(Json(body)["found"].get_bool().value()) << body;
  // Restart with a retention of two days, checked every second.
  ASSERT_EQ(server_->Stop(), 0);
  std::ofstream(dir_ + "/retention.yaml") << "retention:\n  max_age_days: 2\n  check_interval: 1s\n";
  server_ = std::make_unique<Server>(dir_, std::vector<std::string>{"--rules", dir_ + "/rules", "--config", dir_ + "/retention.yaml"});
  server_->Start();
  ASSERT_TRUE(kmt_test::Eventually([&] { return server_->CountMatches("event.dataset:kmt.fw host.name:fw9") == 0; }, 20000));
  body = Send("GET", base + "/events/" + std::to_string(item), "", &code);
  ASSERT_EQ(code, 200) << body;
  EXPECT_FALSE(Json(body)["found"].get_bool().value()) << body;
  EXPECT_NE(std::string(Json(body)["pinned"]["message"].get_string().value()).find("deny from 203.0.113.9"), std::string::npos);
  std::string head;
  const std::string md = Export(id, "md", &code, &head);
  ASSERT_EQ(code, 200);
  EXPECT_NE(md.find("deny from 203\\.0\\.113\\.9"), std::string::npos) << md;
}

}  // namespace
