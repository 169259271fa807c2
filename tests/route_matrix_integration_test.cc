// tests/route_matrix_integration_test.cc (issue 29): who may call what, written by hand.
//
// security_integration's EveryRouteRefuses... derives "allowed" from the production route table,
// so it proves the table is enforced, not that the table is right. Here every route the server
// answers has a line with the status each kind of caller must get, written literally from the
// policy in docs/security.md ("Users and roles", "API tokens"), docs/api.md ("Users and tokens",
// "POST /api/v1/admin/backup") and docs/shippers.md ("Credentials for shippers", "Splunk HTTP
// Event Collector"), not computed from RouteTable(). One real server answers every request over
// HTTP. RouteTable() is read for one thing only: each of its rules must be reached by at least
// one line below, so a route added to the table without a line here fails the test.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness.h"
#include "server/api.h"
#include "server/auth.h"

using namespace kmt_test;

namespace {

// What a caller must get: a status, or kOk: past authorisation (any answer but 401, 403, 429 and
// 500; the handler may still answer 400, 404, 405 or 426 to the empty test requests).
constexpr int kOk = 0;
constexpr int N = 401;  // no usable credentials
constexpr int F = 403;  // authenticated, without the permission

// The callers, in column order: no credentials; the three roles as users with HTTP Basic; the
// three token scopes as Bearer tokens; a well-formed token that does not exist.
enum Col { kAnon, kViewer, kAnalyst, kAdmin, kIngestTok, kSearchTok, kAdminTok, kBadTok, kCols };
const char* const kColNames[kCols] = {"anonymous", "viewer", "analyst", "admin", "ingest token",
                                      "search token", "admin token", "unknown token"};

struct Line {
  const char* method;
  const char* target;   // path and query
  const char* headers;  // extra header lines, CRLF-terminated
  int want[kCols];
};

// Extra headers: a browser's Accept, an Elasticsearch client's, and the tail's own Origin (a
// WebSocket from another origin is refused whatever the credentials; added in Send).
constexpr const char* kHtml = "Accept: text/html,application/xhtml+xml\r\n";
constexpr const char* kEsClient = "Accept: application/json\r\nx-elastic-client-meta: es=8.17.0\r\n";
// The tail's WebSocket handshake (the HTTP layer answers it before Api::Handle, with the same
// check): 101 when allowed.
constexpr const char* kWebSocket =
    "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

// clang-format off
const Line kMatrix[] = {
  //                                                          anon viewer analyst admin | ingest search admin unknown (tokens)
  // Public (docs/security.md: probes, the login itself, the UI's static files, the HEC health probe).
  {"GET",    "/healthz",                          "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"GET",    "/readyz",                           "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"POST",   "/api/v1/login",                     "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"GET",    "/",                                 kHtml,     {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"GET",    "/index.html",                       "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"GET",    "/ui",                               "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"GET",    "/ui/app.js",                        "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"GET",    "/favicon.ico",                      "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"GET",    "/services/collector/health",        "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  {"GET",    "/services/collector/health/1.0",    "",        {kOk, kOk, kOk, kOk,   kOk, kOk, kOk, kOk}},
  // Any authenticated caller (docs/api.md "Sessions": me, logout, password).
  {"GET",    "/api/v1/me",                        "",        {N,   kOk, kOk, kOk,   kOk, kOk, kOk, N}},
  {"POST",   "/api/v1/logout",                    "",        {N,   kOk, kOk, kOk,   kOk, kOk, kOk, N}},
  // Users change their own password; a token has none (refused by the handler, past authorisation).
  {"POST",   "/api/v1/password",                  "",        {N,   kOk, kOk, kOk,   kOk, kOk, kOk, N}},
  // Search: every role; the search and admin scopes; never the ingest scope ("cannot read anything").
  {"GET",    "/api/v1/search?q=x",                "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"POST",   "/api/v1/search?q=x",                "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/histogram",                 "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/fields",                    "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/fieldnames",                "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/sources",                   "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/metrics",                          "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  // Export and the live tail: analyst and admin, the search and admin scopes; not a viewer.
  {"GET",    "/api/v1/export?q=x",                "",        {N,   F,   kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/tail?q=x",                  "",        {N,   F,   kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/tail?q=x",                  kWebSocket, {N,  F,   101, 101,   F,   101, 101, N}},
  // Retro-hunt (docs/api.md "POST /api/v1/hunt"): audited like an export, the same callers.
  {"POST",   "/api/v1/hunt",                      "",        {N,   F,   kOk, kOk,   F,   kOk, kOk, N}},
  // Investigation (docs/api.md "GET /api/v1/ip/owner" ...): reading, like a search.
  {"GET",    "/api/v1/ip/owner?ip=10.0.0.1",      "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/process/tree?entity_id=x",  "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/entity?type=ip&value=10.0.0.1", "",    {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/host/logons?host=x",        "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/connection?src=10.0.0.1&dst=10.0.0.2", "", {N, kOk, kOk, kOk,   F,   kOk, kOk, N}},
  // Threat intelligence (docs/intel.md "API"): whoever may search reads lists and hunts; only the
  // admin role and the admin scope write them.
  {"GET",    "/api/v1/lists",                     "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/lists/x/hits",              "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"POST",   "/api/v1/lists/x/hunt",              "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"PUT",    "/api/v1/lists/x",                   "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"DELETE", "/api/v1/lists/x",                   "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  // Ingest: the admin role (no other role may ingest), the ingest and admin scopes.
  {"POST",   "/api/v1/ingest",                    "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"GET",    "/api/v1/ingest",                    "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  // Shipper dialects (docs/shippers.md): the same as ingest.
  {"GET",    "/",                                 kEsClient, {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"GET",    "/",                                 "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"POST",   "/_bulk",                            "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"POST",   "/logs-x/_bulk",                     "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"GET",    "/_license",                         "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"GET",    "/_nodes/http",                      "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"GET",    "/_cluster/health",                  "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"GET",    "/_cat/health",                      "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"PUT",    "/_index_template/logs",             "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"POST",   "/loki/api/v1/push",                 "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"POST",   "/api/prom/push",                    "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"POST",   "/gelf",                             "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  {"POST",   "/v1/logs",                          "",        {N,   F,   F,   kOk,   kOk, F,   kOk, N}},
  // The HEC takes tokens only: a user's password gets 401 (code 2, "Token is required"), a token
  // without the ingest scope 403, an unknown well-formed token 403 (code 4, "Invalid token").
  {"POST",   "/services/collector",               "",        {N,   N,   N,   N,     kOk, F,   kOk, F}},
  {"POST",   "/services/collector/event",         "",        {N,   N,   N,   N,     kOk, F,   kOk, F}},
  {"POST",   "/services/collector/raw",           "",        {N,   N,   N,   N,     kOk, F,   kOk, F}},
  {"POST",   "/services/collector/ack",           "",        {N,   N,   N,   N,     kOk, F,   kOk, F}},
  // Alerts and rules (docs/api.md "Alerts and rules"): reading is a search; working an alert is
  // triage (analyst, admin; the admin scope); tuning a rule is administration.
  {"GET",    "/api/v1/alerts",                    "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/alerts/1",                  "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"PATCH",  "/api/v1/alerts/1",                  "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"GET",    "/api/v1/rules",                     "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/rules/coverage",            "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/rules/x",                   "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"PATCH",  "/api/v1/rules/x",                   "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  // Cases (docs/cases.md "Who may do what"): viewers and search tokens read, analysts create, pin,
  // note and edit, exports need the export permission, only admins delete a case.
  {"GET",    "/api/v1/cases",                     "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"POST",   "/api/v1/cases",                     "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"GET",    "/api/v1/cases/1",                   "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/cases/1/events/1",          "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"PATCH",  "/api/v1/cases/1",                   "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"POST",   "/api/v1/cases/1/notes",             "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"POST",   "/api/v1/cases/1/events",            "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"DELETE", "/api/v1/cases/1",                   "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"GET",    "/api/v1/cases/1/export?format=md",  "",        {N,   F,   kOk, kOk,   F,   kOk, kOk, N}},
  // Notification targets (docs/api.md "Notifications", docs/notifications.md): only admins read or
  // set them (they name internal hosts and hold secrets) and send a test.
  {"GET",    "/api/v1/notifications",             "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"PUT",    "/api/v1/notifications",             "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"POST",   "/api/v1/notifications/test",        "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  // Saved searches and dashboards (docs/dashboards.md "Permissions"): everyone who searches reads;
  // writing needs the analyst's permission (viewers and search tokens are refused by the route
  // table); an unknown id is the handler's 404 for every caller past authorisation.
  // Unparsed lines and the parser builder (docs/api.md "Unparsed lines"): reading, like a search;
  // proposing and trying a definition store nothing.
  {"GET",    "/api/v1/unparsed",                  "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"POST",   "/api/v1/unparsed/propose",          "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"POST",   "/api/v1/unparsed/test",             "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  // Saving a definition changes how every later line is parsed: administrators only (issue 23).
  {"POST",   "/api/v1/unparsed/save",             "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"GET",    "/api/v1/saved-searches",            "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"POST",   "/api/v1/saved-searches",            "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"PUT",    "/api/v1/saved-searches/0123456789abcdef", "",  {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"PATCH",  "/api/v1/saved-searches/0123456789abcdef", "",  {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"DELETE", "/api/v1/saved-searches/0123456789abcdef", "",  {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"GET",    "/api/v1/dashboards",                "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"POST",   "/api/v1/dashboards",                "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"POST",   "/api/v1/dashboards/import",         "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"PUT",    "/api/v1/dashboards/0123456789abcdef", "",      {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"PATCH",  "/api/v1/dashboards/0123456789abcdef", "",      {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"DELETE", "/api/v1/dashboards/0123456789abcdef", "",      {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  // Scheduled searches (docs/dashboards.md "Scheduled searches and reports"): as saved searches;
  // running one now is a write (POST); its runs are read like it.
  {"GET",    "/api/v1/schedules",                 "",        {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"GET",    "/api/v1/schedules/0123456789abcdef/runs", "",  {N,   kOk, kOk, kOk,   F,   kOk, kOk, N}},
  {"POST",   "/api/v1/schedules",                 "",        {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"POST",   "/api/v1/schedules/0123456789abcdef/run", "",   {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"PUT",    "/api/v1/schedules/0123456789abcdef", "",       {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"PATCH",  "/api/v1/schedules/0123456789abcdef", "",       {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  {"DELETE", "/api/v1/schedules/0123456789abcdef", "",       {N,   F,   kOk, kOk,   F,   F,   kOk, N}},
  // Administration: the admin role and the admin scope only (users, tokens, backups).
  {"GET",    "/api/v1/users",                     "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"POST",   "/api/v1/users",                     "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"PUT",    "/api/v1/users/nobody",              "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"DELETE", "/api/v1/users/nobody",              "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"GET",    "/api/v1/tokens",                    "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"POST",   "/api/v1/tokens",                    "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  {"DELETE", "/api/v1/tokens/0000000000000000",   "",        {N,   F,   F,   kOk,   F,   F,   kOk, N}},
  // docs/api.md: a backup without an absolute `to` is 400; other admin paths do not exist (404).
  {"POST",   "/api/v1/admin/backup",              "",        {N,   F,   F,   400,   F,   F,   400, N}},
  {"GET",    "/api/v1/admin/settings",            "",        {N,   F,   F,   404,   F,   F,   404, N}},
  // No such route: authentication first, then 404 ("a forgotten route is never public").
  {"GET",    "/api/v1/nosuch",                    "",        {N,   404, 404, 404,   404, 404, 404, N}},
  {"POST",   "/api/v2/search",                    "",        {N,   404, 404, 404,   404, 404, 404, N}},
};
// clang-format on

std::string JsonString(const std::string& body, const char* key) {
  simdjson::dom::parser p;
  std::string_view v;
  if (p.parse(body)[key].get(v)) return "";
  return std::string(v);
}

class RouteMatrix : public SharedServerTest {
 protected:
  // Every request comes from 127.0.0.1, some with an unknown token on purpose: no lock-out, no
  // search rate (the matrix sends hundreds of requests as each principal).
  static void SetUpTestSuite() { StartSuiteServer("auth:\n  max_failures: 1000000\n  login_rate: 0\n  search_rate: 0\n"); }

  //! One request on a new connection; the status code (-1: no HTTP answer) and the body.
  static int Send(const std::string& method, const std::string& target, const std::string& headers,
                  const std::string& auth, const std::string& body = "", std::string* answer = nullptr) {
    TcpClient c(server_->http_address());
    if (!c.ok()) return -1;
    const std::string host = server_->http_address();
    // A WebSocket stays open once upgraded: its handshake answer is all there is to read.
    const bool ws = headers.find("Upgrade: websocket") != std::string::npos;
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + (ws ? "" : "Connection: close\r\n") + headers;
    if (target.rfind("/api/v1/tail", 0) == 0) req += "Origin: http://" + host + "\r\n";
    if (!auth.empty()) req += "Authorization: " + auth + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (!c.Send(req)) return -1;
    std::string got = ReadUntil(c.fd(), ws ? "\r\n\r\n" : "", 30000);
    if (got.rfind("HTTP/1.1 ", 0) != 0 || got.size() < 12) return -1;
    if (answer) *answer = got.substr(std::min(got.size(), got.find("\r\n\r\n") + 4));
    return std::atoi(got.c_str() + 9);
  }
  static std::string AdminBasic() { return "Basic " + BasicCredentials(kAdminUser, kAdminPassword); }
  static void MakeUser(const std::string& name, const std::string& role) {
    std::string b;
    int code = Send("POST", "/api/v1/users", "Content-Type: application/json\r\n", AdminBasic(),
                    "{\"name\":\"" + name + "\",\"role\":\"" + role + "\",\"password\":\"" + name + "-password\"}", &b);
    ASSERT_EQ(code, 201) << b;
  }
  static std::string MakeToken(const std::string& name, const std::string& scope) {
    std::string b;
    int code = Send("POST", "/api/v1/tokens", "Content-Type: application/json\r\n", AdminBasic(),
                    "{\"name\":\"" + name + "\",\"scopes\":[\"" + scope + "\"]}", &b);
    EXPECT_EQ(code, 201) << b;
    return JsonString(b, "token");
  }
  static bool Matches(int want, int got) {
    if (want != kOk) return got == want;
    return got > 0 && got != 401 && got != 403 && got != 429 && got != 500;
  }
};

TEST_F(RouteMatrix, EveryRouteAsEveryRoleAndTokenScope) {
  MakeUser("viewer1", "viewer");
  MakeUser("analyst1", "analyst");
  std::string auth[kCols];
  auth[kAnon] = "";
  auth[kViewer] = "Basic " + BasicCredentials("viewer1", "viewer1-password");
  auth[kAnalyst] = "Basic " + BasicCredentials("analyst1", "analyst1-password");
  auth[kAdmin] = AdminBasic();
  auth[kIngestTok] = "Bearer " + MakeToken("matrix-ingest", "ingest");
  auth[kSearchTok] = "Bearer " + MakeToken("matrix-search", "search");
  auth[kAdminTok] = "Bearer " + MakeToken("matrix-admin", "admin");
  auth[kBadTok] = "Bearer kmt_0123456789abcdef_" + std::string(64, 'a');
  for (int c = kIngestTok; c <= kAdminTok; ++c) ASSERT_GT(auth[c].size(), 30u) << kColNames[c];

  size_t sent = 0, failures = 0;
  for (const Line& l : kMatrix) {
    for (int c = 0; c < kCols; ++c) {
      std::string body;
      const int got = Send(l.method, l.target, l.headers, auth[c], "", &body);
      ++sent;
      if (Matches(l.want[c], got)) continue;
      ++failures;
      ADD_FAILURE() << l.method << " " << l.target << (*l.headers ? " (" + std::string(l.headers).substr(0, 30) + "...)" : "")
                    << " as " << kColNames[c] << ": got " << got << ", want "
                    << (l.want[c] == kOk ? std::string("allowed (not 401/403/429/500)") : std::to_string(l.want[c]))
                    << "; body: " << body.substr(0, 200);
    }
  }
  std::printf("route matrix: %zu lines x %d callers = %zu requests, %zu wrong\n", std::size(kMatrix), kCols, sent, failures);
  EXPECT_EQ(sent, std::size(kMatrix) * kCols);
  // Each caller's credentials worked somewhere (a broken login would turn every line into 401).
  EXPECT_EQ(Send("GET", "/api/v1/me", "", auth[kViewer]), 200);
  EXPECT_EQ(Send("GET", "/api/v1/me", "", auth[kIngestTok]), 200);
}

// The production route table may have no rule that no line above reaches: a route added to it
// needs a line of its own here, with its expectations written by hand.
TEST(RouteMatrixCoverage, EveryRuleOfTheRouteTableHasALine) {
  using namespace kamatama::server;
  std::set<const RouteRule*> reached;
  for (const Line& l : kMatrix) {
    Request r;
    r.method = l.method;
    std::string target = l.target;
    r.path = target.substr(0, target.find('?'));
    std::string h = l.headers;
    for (size_t at = 0; at < h.size();) {
      size_t end = h.find("\r\n", at), colon = h.find(':', at);
      std::string name = h.substr(at, colon - at);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.headers.emplace(name, h.substr(colon + 2, end - colon - 2));
      at = end + 2;
    }
    if (const RouteRule* rule = FindRoute(r)) reached.insert(rule);
  }
  size_t missing = 0;
  for (const RouteRule& rule : RouteTable()) {
    if (reached.count(&rule)) continue;
    ++missing;
    ADD_FAILURE() << "route " << rule.method << " " << rule.pattern << " (" << rule.what
                  << ") has no line in kMatrix: add one with the status each caller must get";
  }
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(reached.size(), RouteTable().size());
}

}  // namespace
