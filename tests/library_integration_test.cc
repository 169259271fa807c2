// tests/library_integration_test.cc
//! Saved searches and dashboards (issue 25) against the real binary: every endpoint, who may do
//! what (a viewer reads shared ones only and changes nothing; an analyst creates and changes their
//! own; only owners and administrators change a shared one; another's private one is invisible),
//! the audit events of every change, the 400 answers and their reasons, export and import, the
//! files in the data directory surviving a restart, and a dashboard's panel queries answered by
//! the search API with counts that match the events the test sent; the shipped dashboards
//! (web/dashboards/) listed for everyone, read-only even for an administrator, and copyable.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "tests/api_client.h"
#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kmt_test::Server;
using kmt_test::ShellQuote;

class LibraryIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = kmt_test::TempDir(std::string("library_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    StartServer();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
    server_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  void StartServer() {
    server_ = std::make_unique<Server>(dir_);
    server_->Start();
  }
  //! A request through curl as `user` (password `<user>-password`; the admin when empty); the
  //! body, *code the status.
  std::string Send(const std::string& method, const std::string& path, const std::string& json, int* code,
                   const std::string& user = "") {
    return kmt_test::SendJson(*server_, dir_, method, path, json, code, user);
  }
  //! Sends and expects `want`; returns the parsed answer (an empty object when it is not JSON).
  simdjson::dom::element Expect(int want, const std::string& method, const std::string& path, const std::string& json,
                                const std::string& user = "") {
    return kmt_test::ExpectJson(*server_, dir_, parser_, &last_, want, method, path, json, user);
  }
  void AddUser(const std::string& name, const std::string& role) {
    Expect(201, "POST", "/api/v1/users",
           R"({"name":")" + name + R"(","role":")" + role + R"(","password":")" + name + R"(-password"})");
  }
  //! The ids of the items a list answers.
  std::vector<std::string> Ids(const std::string& path, const std::string& user = "") {
    simdjson::dom::element e = Expect(200, "GET", path, "", user);
    std::vector<std::string> ids;
    simdjson::dom::array items;
    if (e["items"].get(items)) {
      ADD_FAILURE() << "no items: " << last_;
      return ids;
    }
    for (auto item : items) ids.emplace_back(item["id"].get_string().value());
    EXPECT_EQ(e["total"].get_int64().value(), static_cast<int64_t>(ids.size()));
    return ids;
  }
  static bool Has(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  }
  std::string Id(simdjson::dom::element e) {
    std::string_view id;
    EXPECT_FALSE(e["id"].get(id)) << last_;
    return std::string(id);
  }
  //! Audit events of an action (and object id when given).
  size_t Audited(const std::string& action, const std::string& outcome, const std::string& id = "") {
    std::string q = "event.dataset:kamatama.audit event.action:" + action + " event.outcome:" + outcome;
    if (!id.empty()) q += " kamatama.object.id:" + id;
    return server_->CountMatches(q);
  }

  std::string dir_, last_;
  std::unique_ptr<Server> server_;
  simdjson::dom::parser parser_;
};

constexpr const char* kSaved = "/api/v1/saved-searches";
constexpr const char* kDash = "/api/v1/dashboards";

TEST_F(LibraryIntegration, SavedSearchesFollowOwnerSharingAndRoles) {
  AddUser("viewer1", "viewer");
  AddUser("analyst1", "analyst");
  AddUser("analyst2", "analyst");
  // An analyst saves a private search and a shared one, with pipes, a time range and columns.
  auto mine = Expect(201, "POST", kSaved,
                     R"J({"name":"my denies","query":"event.action:deny | stats count() by source.ip","from":"-7d",)J"
                     R"("to":"now","columns":["source.ip","count"]})",
                     "analyst1");
  const std::string priv = Id(mine);
  EXPECT_EQ(mine["owner"].get_string().value(), "analyst1");
  EXPECT_FALSE(mine["shared"].get_bool().value());
  EXPECT_EQ(mine["query"].get_string().value(), "event.action:deny | stats count() by source.ip");
  EXPECT_EQ(mine["columns"].at(1).get_string().value(), "count");
  const std::string shared =
      Id(Expect(201, "POST", kSaved, R"({"name":"failed logons","query":"event.outcome:failure","shared":true})", "analyst1"));
  // Defaults: the last 24 hours.
  auto got = Expect(200, "GET", std::string(kSaved) + "/" + shared, "", "viewer1");
  EXPECT_EQ(got["from"].get_string().value(), "-24h");
  EXPECT_EQ(got["to"].get_string().value(), "now");
  // Who sees what: the viewer and the other analyst the shared one; the owner and the admin both.
  for (const char* user : {"viewer1", "analyst2"}) {
    auto ids = Ids(kSaved, user);
    EXPECT_TRUE(Has(ids, shared)) << user;
    EXPECT_FALSE(Has(ids, priv)) << user;
    Expect(404, "GET", std::string(kSaved) + "/" + priv, "", user);  // as if it did not exist
    // A viewer may not write at all (the route table's 403); another analyst gets the 404.
    Expect(std::string_view(user) == "viewer1" ? 403 : 404, "PATCH", std::string(kSaved) + "/" + priv, R"({"name":"x"})",
           user);
  }
  EXPECT_TRUE(Has(Ids(kSaved, "analyst1"), priv));
  EXPECT_TRUE(Has(Ids(kSaved), priv));
  // A viewer creates nothing and changes nothing; another analyst cannot change a shared one.
  Expect(403, "POST", kSaved, R"({"name":"v","query":"x"})", "viewer1");
  Expect(403, "PATCH", std::string(kSaved) + "/" + shared, R"({"name":"v"})", "viewer1");
  Expect(403, "DELETE", std::string(kSaved) + "/" + shared, "", "viewer1");
  Expect(403, "PUT", std::string(kSaved) + "/" + shared, R"({"name":"a2","query":"x"})", "analyst2");
  Expect(403, "DELETE", std::string(kSaved) + "/" + shared, "", "analyst2");
  // The owner changes it: PATCH keeps the fields not given; PUT replaces them (shared kept).
  auto patched = Expect(200, "PATCH", std::string(kSaved) + "/" + priv, R"({"name":"my denies, renamed"})", "analyst1");
  EXPECT_EQ(patched["name"].get_string().value(), "my denies, renamed");
  EXPECT_EQ(patched["query"].get_string().value(), "event.action:deny | stats count() by source.ip");
  EXPECT_EQ(patched["from"].get_string().value(), "-7d");
  auto put = Expect(200, "PUT", std::string(kSaved) + "/" + shared, R"({"name":"failed logons 2","query":"event.outcome:failure user.name:*"})",
                    "analyst1");
  EXPECT_TRUE(put["shared"].get_bool().value());
  EXPECT_EQ(put["from"].get_string().value(), "-24h");  // replaced: back to the default
  // An administrator changes another's shared search; the owner stays, the editor is recorded.
  auto by_admin = Expect(200, "PATCH", std::string(kSaved) + "/" + shared, R"({"description":"kept by the SOC"})");
  EXPECT_EQ(by_admin["owner"].get_string().value(), "analyst1");
  EXPECT_EQ(by_admin["updated_by"].get_string().value(), "admin");
  EXPECT_EQ(by_admin["name"].get_string().value(), "failed logons 2");
  // Sharing a private one shows it to the viewer; unsharing hides it again.
  Expect(200, "PATCH", std::string(kSaved) + "/" + priv, R"({"shared":true})", "analyst1");
  EXPECT_TRUE(Has(Ids(kSaved, "viewer1"), priv));
  Expect(200, "PATCH", std::string(kSaved) + "/" + priv, R"({"shared":false})", "analyst1");
  EXPECT_FALSE(Has(Ids(kSaved, "viewer1"), priv));
  // Deleting: the owner; then it is gone for everyone.
  Expect(200, "DELETE", std::string(kSaved) + "/" + priv, "", "analyst1");
  Expect(404, "GET", std::string(kSaved) + "/" + priv, "");
  Expect(405, "POST", std::string(kSaved) + "/" + shared, R"({"name":"x"})");
  // Audited: two creations, five updates (2 PATCH by the owner + PUT + admin's PATCH... counted
  // below one by one), the deletion, and the refusals the handler made.
  EXPECT_EQ(Audited("saved_search.create", "success"), 2u);
  EXPECT_EQ(Audited("saved_search.update", "success", priv), 3u);    // rename, share, unshare
  EXPECT_EQ(Audited("saved_search.update", "success", shared), 2u);  // PUT, the admin's PATCH
  EXPECT_EQ(Audited("saved_search.delete", "success", priv), 1u);
  EXPECT_EQ(Audited("saved_search.update", "failure", shared), 1u);  // analyst2's PUT
  EXPECT_EQ(Audited("saved_search.delete", "failure", shared), 1u);  // analyst2's DELETE
  // The viewer's four writes were refused by the route table before the handler: audited there.
  EXPECT_EQ(Audited("saved_search.create", "failure"), 0u);
  EXPECT_EQ(Audited("access.denied", "failure"), 4u);
}

constexpr const char* kBoard = R"J({"title":"Firewall","shared":true,"from":"-7d","filter":"host.name:fw-*","refresh":60,
  "panels":[{"title":"denies","query":"event.action:deny | timechart span=1h count()","type":"timechart","x":0,"y":0,"w":6,"h":4},
            {"title":"top sources","query":"event.action:deny | stats count() by source.ip | sort -count | head 10","type":"bar","options":{"stacked":false}},
            {"title":"all","query":"*","type":"number"},
            {"title":"rows","query":"event.action:deny | stats count() by host.name","type":"table"},
            {"title":"latest","query":"event.action:deny","type":"events"}]})J";

TEST_F(LibraryIntegration, DashboardsFollowTheSameRulesAndExportAndImport) {
  AddUser("viewer1", "viewer");
  AddUser("analyst1", "analyst");
  AddUser("analyst2", "analyst");
  auto board = Expect(201, "POST", kDash, kBoard, "analyst1");
  const std::string id = Id(board);
  EXPECT_EQ(board["panels"].get_array().size(), 5u);
  EXPECT_EQ(board["panels"].at(0)["w"].get_int64().value(), 6);
  EXPECT_FALSE(board["panels"].at(1)["options"]["stacked"].get_bool().value());
  EXPECT_EQ(board["refresh"].get_int64().value(), 60);
  // A viewer reads a shared dashboard but cannot edit it; neither can another analyst.
  EXPECT_TRUE(Has(Ids(kDash, "viewer1"), id));
  Expect(200, "GET", std::string(kDash) + "/" + id, "", "viewer1");
  Expect(403, "PATCH", std::string(kDash) + "/" + id, R"({"title":"mine now"})", "viewer1");
  Expect(403, "PUT", std::string(kDash) + "/" + id, kBoard, "viewer1");
  Expect(403, "DELETE", std::string(kDash) + "/" + id, "", "viewer1");
  Expect(403, "PATCH", std::string(kDash) + "/" + id, R"({"title":"mine now"})", "analyst2");
  Expect(403, "POST", kDash, R"({"title":"v","panels":[]})", "viewer1");
  // The owner moves a panel (the panels are replaced as a whole) and an admin retitles it.
  auto moved = Expect(200, "PATCH", std::string(kDash) + "/" + id,
                      R"J({"panels":[{"title":"denies","query":"event.action:deny | timechart span=1h count()","type":"timechart","x":6,"y":0,"w":6,"h":4}]})J",
                      "analyst1");
  EXPECT_EQ(moved["panels"].get_array().size(), 1u);
  EXPECT_EQ(moved["panels"].at(0)["x"].get_int64().value(), 6);
  EXPECT_EQ(moved["title"].get_string().value(), "Firewall");
  Expect(200, "PATCH", std::string(kDash) + "/" + id, R"J({"title":"Firewall (SOC)"})J");
  // Export: a file with the format marker and no owner fields; importing it makes a private copy
  // owned by the importer; a viewer cannot import.
  int code = 0;
  const std::string exported = Send("GET", std::string(kDash) + "/" + id + "/export", "", &code, "analyst2");
  ASSERT_EQ(code, 200) << exported;
  simdjson::dom::element ex;
  ASSERT_FALSE(parser_.parse(exported).get(ex)) << exported;
  EXPECT_EQ(ex["format"].get_string().value(), "kamatama.dashboard.v1");
  EXPECT_EQ(ex["title"].get_string().value(), "Firewall (SOC)");
  EXPECT_TRUE(ex["owner"].error() == simdjson::NO_SUCH_FIELD);
  EXPECT_TRUE(ex["shared"].error() == simdjson::NO_SUCH_FIELD);
  Expect(403, "POST", std::string(kDash) + "/import", exported, "viewer1");
  auto copy = Expect(201, "POST", std::string(kDash) + "/import", exported, "analyst2");
  const std::string copy_id = Id(copy);
  EXPECT_NE(copy_id, id);
  EXPECT_EQ(copy["owner"].get_string().value(), "analyst2");
  EXPECT_FALSE(copy["shared"].get_bool().value());
  EXPECT_EQ(copy["title"].get_string().value(), "Firewall (SOC)");
  EXPECT_EQ(copy["panels"].at(0)["x"].get_int64().value(), 6);
  EXPECT_FALSE(Has(Ids(kDash, "analyst1"), copy_id));
  // The whole object as GET shows it imports too (the owner fields are ignored).
  Expect(200, "GET", std::string(kDash) + "/" + copy_id, "", "analyst2");
  const std::string as_shown = last_;
  Expect(201, "POST", std::string(kDash) + "/import", as_shown, "analyst2");
  Expect(400, "POST", std::string(kDash) + "/import", R"({"format":"something.else","title":"x","panels":[]})", "analyst2");
  // Deleting: the importer's copy by its owner, the shared one by an admin.
  Expect(404, "DELETE", std::string(kDash) + "/" + copy_id, "", "analyst1");  // private: not even seen
  Expect(200, "PATCH", std::string(kDash) + "/" + copy_id, R"({"shared":true})", "analyst2");
  Expect(403, "DELETE", std::string(kDash) + "/" + copy_id, "", "analyst1");  // shared: seen, not changed
  Expect(200, "DELETE", std::string(kDash) + "/" + copy_id, "", "analyst2");
  Expect(200, "DELETE", std::string(kDash) + "/" + id, "");
  Expect(404, "GET", std::string(kDash) + "/" + id + "/export", "");
  Expect(404, "GET", std::string(kDash) + "/" + id + "/nothing", "");
  EXPECT_EQ(Audited("dashboard.create", "success"), 3u);
  EXPECT_EQ(Audited("dashboard.update", "success", id), 2u);
  EXPECT_EQ(Audited("dashboard.update", "failure", id), 1u);  // analyst2's PATCH
  EXPECT_EQ(Audited("access.denied", "failure"), 5u);  // the viewer's PATCH, PUT, DELETE, POST and import
  EXPECT_EQ(Audited("dashboard.delete", "failure", copy_id), 1u);
  EXPECT_EQ(Audited("dashboard.delete", "success"), 2u);
}

TEST_F(LibraryIntegration, InvalidObjectsAnswer400WithTheReason) {
  struct Case {
    const char* path;
    const char* body;
    const char* reason;  // a part of the error message
  };
  const Case cases[] = {
      {kSaved, "not json", "must be a JSON object"},
      {kSaved, R"(["a"])", "must be a JSON object"},
      {kSaved, R"({"query":"x"})", "'name' is required"},
      {kSaved, R"({"name":"","query":"x"})", "'name' must not be empty"},
      {kSaved, R"({"name":"a\nb","query":"x"})", "control characters"},
      {kSaved, R"({"name":"n"})", "'query' is required"},
      {kSaved, R"({"name":"n","query":"a AND (b"})", "position"},
      {kSaved, R"J({"name":"n","query":"x | stats nothing()"})J", "'query'"},
      {kSaved, R"({"name":"n","query":"x","from":"yesterday-ish"})", "'from': 'yesterday-ish' is not a time"},
      {kSaved, R"({"name":"n","query":"x","columns":"host.name"})", "'columns' must be an array"},
      {kSaved, R"({"name":"n","query":"x","columns":[1]})", "'columns' must be field names"},
      {kSaved, R"({"name":"n","query":"x","shared":"yes"})", "'shared' must be true or false"},
      {kSaved, R"({"name":"n","query":"x","colour":"red"})", "unknown field 'colour'"},
      {kDash, R"({"title":"t"})", "'panels' is required"},
      {kDash, R"({"title":"t","panels":{}})", "'panels' must be an array"},
      {kDash, R"({"title":"t","panels":[{"title":"p","query":"x","type":"pie"}]})", "panels[0]: 'type' must be one of"},
      {kDash, R"({"title":"t","panels":[{"title":"p","query":"x","type":"bar"},{"title":"p","type":"bar"}]})",
       "panels[1]: 'query' is required"},
      {kDash, R"({"title":"t","panels":[{"title":"p","query":"x","type":"bar","options":[1]}]})",
       "'options' must be an object"},
      {kDash, R"({"title":"t","panels":[{"title":"p","query":"x","type":"bar","w":13}]})", "'w' must be an integer from 1 to 12"},
      {kDash, R"({"title":"t","panels":[{"title":"p","query":"x","type":"bar","x":-1}]})", "'x' must be an integer"},
      {kDash, R"({"title":"t","panels":[{"title":"p","query":"x","type":"bar","extra":1}]})", "panels[0]: unknown field 'extra'"},
      {kDash, R"({"title":"t","panels":["p"]})", "panels[0]: a panel must be an object"},
      {kDash, R"({"title":"t","filter":"host.name:a | head 1","panels":[]})", "'filter': a filter, without pipes"},
      {kDash, R"({"title":"t","refresh":5,"panels":[]})", "'refresh' must be 0 (off) or 10 to 86400"},
      {kDash, R"({"title":"t","to":"later","panels":[]})", "'to': 'later' is not a time"},
  };
  for (const Case& c : cases) {
    auto e = Expect(400, "POST", c.path, c.body);
    std::string_view error;
    ASSERT_FALSE(e["error"].get(error)) << c.body << " -> " << last_;
    EXPECT_NE(error.find(c.reason), std::string_view::npos) << c.body << " -> " << error;
  }
  // 33 panels: one too many.
  std::string many = R"({"title":"t","panels":[)";
  for (int i = 0; i < 33; ++i) many += std::string(i ? "," : "") + R"({"title":"p","query":"x","type":"number"})";
  auto e = Expect(400, "POST", kDash, many + "]}");
  EXPECT_NE(std::string(e["error"].get_string().value()).find("at most 32 panels"), std::string::npos) << last_;
  // A refused change leaves the object as it was.
  const std::string id = Id(Expect(201, "POST", kSaved, R"({"name":"n","query":"x"})"));
  Expect(400, "PATCH", std::string(kSaved) + "/" + id, R"({"query":"a AND (b"})");
  EXPECT_EQ(Expect(200, "GET", std::string(kSaved) + "/" + id, "")["query"].get_string().value(), "x");
  // Nothing refused was stored.
  EXPECT_EQ(Ids(kSaved).size(), 1u);
  for (const std::string& d : Ids(kDash)) EXPECT_EQ(d.rfind("shipped-", 0), 0u) << d;  // only the shipped ones
}

TEST_F(LibraryIntegration, ObjectsSurviveARestart) {
  AddUser("analyst1", "analyst");
  auto s = Expect(201, "POST", kSaved, R"J({"name":"kept","query":"host.name:db-1 | stats count() by user.name","columns":["user.name"]})J",
                  "analyst1");
  const std::string saved = Id(s);
  const std::string saved_json = last_;
  auto d = Expect(201, "POST", kDash, kBoard, "analyst1");
  const std::string board = Id(d);
  const std::string board_json = last_;
  const std::string gone = Id(Expect(201, "POST", kSaved, R"({"name":"deleted","query":"x"})", "analyst1"));
  Expect(200, "DELETE", std::string(kSaved) + "/" + gone, "", "analyst1");
  // Files of the data directory, readable by the service account only.
  for (const char* f : {"saved_searches.json", "dashboards.json"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ + "/data/" + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  ASSERT_EQ(server_->Stop(), 0);
  StartServer();
  int code = 0;
  EXPECT_EQ(Send("GET", std::string(kSaved) + "/" + saved, "", &code, "analyst1"), saved_json);
  EXPECT_EQ(code, 200);
  EXPECT_EQ(Send("GET", std::string(kDash) + "/" + board, "", &code, "analyst1"), board_json);
  EXPECT_EQ(code, 200);
  Expect(404, "GET", std::string(kSaved) + "/" + gone, "");
  // The owner still owns them after the restart.
  Expect(200, "PATCH", std::string(kDash) + "/" + board, R"({"title":"after restart"})", "analyst1");
  // A corrupt file stops the server at start with the file named, rather than losing it.
  ASSERT_EQ(server_->Stop(), 0);
  server_.reset();
  std::ofstream(dir_ + "/data/dashboards.json", std::ios::trunc) << "{\"version\":1,\"objects\":[{\"id\":1}]}";
  int status = 0;
  const std::string out = kmt_test::Shell(std::string("KAMATAMA_ADMIN_PASSWORD=x timeout 20 ") + KMT_BINARY +
                                          " serve --data-dir " + ShellQuote(dir_ + "/data") +
                                          " --http 127.0.0.1:0 --syslog-udp 127.0.0.1:0 --syslog-tcp 127.0.0.1:0 2>&1",
                                          &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("dashboards.json"), std::string::npos) << out;
}

TEST_F(LibraryIntegration, PanelQueriesRunThroughTheSearchApi) {
  // Denies from two firewalls and one other host; the test knows every count.
  std::map<std::string, int> denies_by_host = {{"fw-1", 7}, {"fw-2", 3}, {"web-1", 5}};
  std::string ndjson;
  int minute = 0;
  for (const auto& [host, n] : denies_by_host) {
    for (int i = 0; i < n; ++i, ++minute)
      ndjson += "{\"@timestamp\":\"2026-01-10T10:" + std::string(minute < 10 ? "0" : "") + std::to_string(minute) +
                ":00Z\",\"host.name\":\"" + host + "\",\"event.action\":\"deny\",\"source.ip\":\"10.0.0." +
                std::to_string(i % 2 + 1) + "\",\"message\":\"deny\"}\n";
  }
  const std::string file = dir_ + "/batch.ndjson";
  std::ofstream(file) << ndjson;
  int code = 0;
  server_->Post("/api/v1/ingest", file, &code);
  ASSERT_EQ(code, 200);
  const std::string id = Id(Expect(201, "POST", kDash, kBoard));
  auto board = Expect(200, "GET", std::string(kDash) + "/" + id, "");
  const std::string filter(board["filter"].get_string().value());
  // The UI's composition: the dashboard filter ANDed before the panel's own query and pipes.
  auto run = [&](const std::string& panel_query) {
    const size_t pipe = panel_query.find('|');
    const std::string q = "(" + filter + ") AND (" + panel_query.substr(0, pipe) + ")" +
                          (pipe == std::string::npos ? "" : " " + panel_query.substr(pipe));
    std::string body = server_->Search(q, "&from=2026-01-10T00:00:00Z&to=2026-01-11T00:00:00Z", &code);
    EXPECT_EQ(code, 200) << q << ": " << body;
    return body;
  };
  simdjson::dom::parser p;
  // "rows": stats count() by host.name → the two firewalls with their counts, not web-1.
  simdjson::dom::element table;
  ASSERT_FALSE(p.parse(run(std::string(board["panels"].at(3)["query"].get_string().value()))).get(table));
  std::map<std::string, int64_t> got;
  for (auto row : table["rows"].get_array()) got[std::string(row.at(0).get_string().value())] = row.at(1).get_int64().value();
  EXPECT_EQ(got, (std::map<std::string, int64_t>{{"fw-1", 7}, {"fw-2", 3}}));
  // "denies": a timechart whose buckets add up to the firewalls' 10 denies.
  simdjson::dom::element chart;
  ASSERT_FALSE(p.parse(run(std::string(board["panels"].at(0)["query"].get_string().value()))).get(chart));
  int64_t sum = 0;
  for (auto row : chart["rows"].get_array()) sum += row.at(1).get_int64().value();
  EXPECT_EQ(sum, 10);
  // "latest": the events themselves.
  simdjson::dom::element events;
  ASSERT_FALSE(p.parse(run(std::string(board["panels"].at(4)["query"].get_string().value()))).get(events));
  EXPECT_EQ(events["events"].get_array().size(), 10u);
}

// The dashboards shipped in web/dashboards/: every file is served (none left out by the checks),
// read by every role, refused to everyone who would change or delete it (audited), exported, and
// copied into an ordinary dashboard (the GET answer posted back as is) that its maker changes.
TEST_F(LibraryIntegration, ShippedDashboardsAreReadOnlyForEveryoneAndCopyable) {
  std::vector<std::string> files;
  for (const auto& f : fs::directory_iterator(std::string(KMT_SOURCE_DIR) + "/web/dashboards"))
    if (f.path().extension() == ".json") files.push_back("shipped-" + f.path().stem().string());
  ASSERT_GE(files.size(), 9u);
  EXPECT_EQ(server_->log().find("shipped dashboard left out"), std::string::npos) << server_->log();
  AddUser("viewer1", "viewer");
  AddUser("analyst1", "analyst");
  for (const char* user : {"viewer1", "analyst1", ""}) {
    auto ids = Ids(kDash, user);
    for (const std::string& id : files) EXPECT_TRUE(Has(ids, id)) << id << " for " << user;
  }
  const std::string id = "shipped-firewall";
  // (Each Expect reuses the parser: read what is needed from an answer before the next one.)
  auto board = Expect(200, "GET", std::string(kDash) + "/" + id, "", "viewer1");
  EXPECT_TRUE(board["builtin"].get_bool().value());
  EXPECT_TRUE(board["shared"].get_bool().value());
  EXPECT_EQ(board["owner"].get_string().value(), "kamatama");
  const size_t panels = board["panels"].get_array().size();
  const std::string title(board["title"].get_string().value());
  EXPECT_GE(panels, 5u);
  const std::string body = last_;
  for (const char* user : {"", "analyst1", "viewer1"}) {
    Expect(403, "PUT", std::string(kDash) + "/" + id, body, user);
    Expect(403, "DELETE", std::string(kDash) + "/" + id, "", user);
  }
  Expect(403, "PATCH", std::string(kDash) + "/" + id, R"({"title":"mine now"})");
  EXPECT_NE(last_.find("copy it"), std::string::npos) << last_;
  EXPECT_GE(Audited("dashboard.update", "failure", id), 1u);
  EXPECT_GE(Audited("dashboard.delete", "failure", id), 1u);
  EXPECT_EQ(Expect(200, "GET", std::string(kDash) + "/" + id, "")["title"].get_string().value(), title);
  // Export names its format; the copy: the answer posted back by an analyst.
  EXPECT_EQ(Expect(200, "GET", std::string(kDash) + "/" + id + "/export", "", "viewer1")["format"].get_string().value(),
            "kamatama.dashboard.v1");
  auto copy = Expect(201, "POST", kDash, body, "analyst1");
  const std::string copy_id = Id(copy);
  EXPECT_NE(copy_id, id);
  EXPECT_EQ(copy["owner"].get_string().value(), "analyst1");
  EXPECT_TRUE(copy["builtin"].error()) << last_;
  EXPECT_EQ(copy["panels"].get_array().size(), panels);
  Expect(200, "PATCH", std::string(kDash) + "/" + copy_id, R"({"title":"My firewall"})", "analyst1");
  Expect(403, "POST", kDash, body, "viewer1");
}

}  // namespace
