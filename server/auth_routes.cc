// server/auth_routes.cc: the security half of Api (issue 8): authorisation before dispatch,
// login/logout/me, users and tokens endpoints, and the audit log. See docs/security.md.
#include <simdjson.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/json.h"
#include "core/safe_file.h"
#include "core/metrics.h"
#include "core/time.h"
#include "parsers/parse.h"
#include "server/api.h"
#include "server/auth_cli.h"
#include "server/selfmon.h"

namespace kamatama::server {

namespace {

Response HecError(int status, std::string_view text, int code) {
  Response r;
  r.status = status;
  r.body = "{\"text\":";
  AppendJsonString(&r.body, text);
  r.body += ",\"code\":" + std::to_string(code) + "}";
  return r;
}

//! No Origin header (not a browser, or a same-origin GET), or an Origin equal to our Host.
bool SameOrigin(const Request& req) {
  const std::string* o = req.Header("origin");
  if (!o) return true;
  const std::string* h = req.Header("host");
  if (!h) return false;
  std::string_view ov = *o;
  size_t p = ov.find("://");
  if (p == std::string_view::npos) return false;  // "null" and other opaque origins
  return ov.substr(p + 3) == *h;
}

bool StateChanging(const std::string& m) { return m != "GET" && m != "HEAD" && m != "OPTIONS"; }

Counter& AuthFailures() {
  return GetCounter("kamatama_auth_failures_total", "", "Failed authentications (bad password, token, session)");
}

void Log(const std::string& msg) {
  // Names and paths come from requests: a newline or an escape must not forge a log line.
  fmt::print(stderr, "{} kamatama: {}\n", FormatRfc3339(NowNanos()), EscapeControl(msg));
  std::fflush(stderr);
}

std::string PrincipalJson(const Principal& p) {
  std::string b = "{\"user\":";
  AppendJsonString(&b, p.name);
  b += ",\"role\":";
  AppendJsonString(&b, p.token_id.empty() ? RoleName(p.role) : "token");
  b += ",\"method\":";
  AppendJsonString(&b, p.method);
  b += ",\"permissions\":[";
  std::string names = PermNames(p.perms);
  bool first = true;
  size_t start = 0;
  while (start < names.size()) {
    size_t c = names.find(',', start);
    if (!first) b.push_back(',');
    first = false;
    AppendJsonString(&b, names.substr(start, c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  b += "]";
  if (!p.csrf.empty()) {
    b += ",\"csrf\":";
    AppendJsonString(&b, p.csrf);
  }
  if (p.must_change) b += ",\"must_change_password\":true";
  b += "}";
  return b;
}
}  // namespace

Status Api::InitAuth(const std::function<void(const std::string&)>& log) {
  auth_store_ = std::make_unique<AuthStore>(cfg_.storage.dir + "/auth.db");
  if (Status s = auth_store_->Load(); !s.ok()) return s;
  auth_ = std::make_unique<Authenticator>(auth_store_.get(), cfg_.auth, cfg_.shippers.hec_tokens);
  std::string generated;
  bool created = false;
  if (Status s = auth_->Bootstrap(&generated, &created); !s.ok()) return Status::InvalidArgument("creating the first admin: " + s.ToString());
  if (created && !generated.empty()) {
    // Not in the journal, which many can read (issue 19): a 0600 file, and the account must
    // change the password before it can do anything else.
    UniqueFd dir;
    Status w = OpenDir(cfg_.storage.dir, &dir);
    if (w.ok()) w = WriteFileAtomic(dir.get(), "initial_admin_password", generated + "\n", 0600);
    if (Status m = auth_store_->SetMustChange("admin", true); !m.ok()) return m;
    if (!w.ok()) return Status::IoError("cannot write the first admin's password: " + w.ToString());
    log(fmt::format("no users yet: created user 'admin'; its password is in {}/initial_admin_password (0600) and "
                    "must be changed at the first sign-in", cfg_.storage.dir));
  } else if (created) {
    log("no users yet: created user 'admin' with the password in KAMATAMA_ADMIN_PASSWORD");
  }
  log(fmt::format("auth: {} user(s), {} API token(s) in {}", auth_store_->UserCount(), auth_store_->Tokens().size(),
                  auth_store_->path()));
  return Status::OK();
}

std::string Api::RestrictFilter(const Principal& who, const std::string& filter) const {
  // Admins see the audit log when they ask for it by name (event.dataset:kamatama.audit);
  // otherwise it stays out of their results too, like a separate index (an audit entry holds
  // the query text, so it would match the next search for the same words). The server's own
  // warnings and errors (kamatama.internal, issue 10) are kept apart the same way.
  std::string lower = filter;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string hide;
  for (const char* ds : {"kamatama.audit", "kamatama.internal"}) {
    if (who.Has(kPermAdmin) && lower.find(ds) != std::string::npos) continue;
    hide += hide.empty() ? "NOT event.dataset:" : " AND NOT event.dataset:";
    hide += ds;
  }
  if (hide.empty()) return filter;
  // The user's filter already parsed on its own, so its parentheses, quotes and regexes are
  // balanced: it cannot close our group early. The space keeps a trailing backslash inside.
  if (filter.find_first_not_of(" \t\r\n") == std::string::npos) return hide;
  return "(" + filter + " ) AND " + hide;
}

// Self-monitoring (issue 10): a failure that started a lock-out is a burst of failed logins.
void Api::ReportLockout(const Authenticator::Result& r, const std::string& client) {
  if (!monitor_ || r.locked_now.empty()) return;
  const bool user = r.locked_now.find("user") != std::string::npos;
  monitor_->Report("warning", "login_failures_burst", user ? "user:" + r.user : "address:" + client,
                   fmt::format("failed logins: {} locked after {} failures within auth.failure_window (user '{}' from {})",
                               user ? "account" : "address", cfg_.auth.max_failures, SanitizeUtf8(r.user), client),
                   {{"user.name", r.user.empty() ? "-" : r.user},
                    {"source.ip", client},
                    {"kamatama.auth.locked", r.locked_now}},
                   /*log=*/true);
}

std::optional<Response> Api::Authorize(Request& req, const RouteRule* rule) {
  if (!auth_) return JsonError(503, "authentication is not initialised");
  const bool hec = req.path.rfind("/services/collector", 0) == 0;
  Authenticator::Result res = auth_->Authenticate(req);
  if (res.outcome != Authenticator::Outcome::kOk) {
    if (res.outcome != Authenticator::Outcome::kNone) {
      AuthFailures().Add();
      NoteAuthFailure(req, "authentication", res);
      ReportLockout(res, req.client);  // issue 10
    }
    if (hec) {
      // Splunk's codes: no credentials 2, an Authorization header that is not a usable credential
      // ("Splunk" missing, say) 3, a well-formed token that is not valid 4.
      if (res.outcome == Authenticator::Outcome::kNone) return HecError(401, "Token is required", 2);
      if (res.malformed) return HecError(401, "Invalid authorization", 3);
      return HecError(403, "Invalid token", 4);
    }
    if (res.outcome == Authenticator::Outcome::kLocked) {
      Response r = JsonError(429, res.reason);
      r.headers.emplace_back("Retry-After", std::to_string(std::max(1, res.retry_after_s)));
      return r;
    }
    Response r = JsonError(401, res.outcome == Authenticator::Outcome::kNone ? "authentication required" : res.reason);
    // No Basic challenge: a browser must never cache a password for this origin (CSRF).
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"kamatama\"");
    return r;
  }
  req.principal = res.who;
  const Principal& who = req.principal;
  if (hec && who.method != "hec" && who.method != "token") return HecError(401, "Token is required", 2);
  // The first admin's generated password must be changed before anything else (issue 19).
  if (who.must_change && req.path != "/api/v1/me" && req.path != "/api/v1/logout" && req.path != "/api/v1/password") {
    Response r = JsonError(403, "change the initial password first: POST /api/v1/password {\"current\",\"new\"}");
    r.body.insert(r.body.size() - 1, ",\"password_change_required\":true");
    return r;
  }
  if (rule && rule->perm && !who.Has(rule->perm)) {
    Audit(req, who, "access.denied", "failure", {{"kamatama.permission", PermNames(rule->perm)}});
    return JsonError(403, fmt::format("forbidden: {} needs the '{}' permission", req.path, PermNames(rule->perm)));
  }
  if (who.method == "session") {
    // Cookies ride along on cross-site requests: refuse any other origin, and require the
    // session's CSRF token (sent by the UI as X-CSRF-Token) on every state-changing request.
    if (!SameOrigin(req)) return JsonError(403, "cross-origin request refused");
    if (StateChanging(req.method)) {
      const std::string* t = req.Header("x-csrf-token");
      if (!t || !ConstantTimeEqual(*t, who.csrf)) return JsonError(403, "missing or wrong CSRF token (X-CSRF-Token header)");
    }
  }
  if (req.path == "/api/v1/tail" && !SameOrigin(req)) return JsonError(403, "cross-origin WebSocket refused");
  if (rule && (rule->perm & (kPermSearch | kPermExport | kPermTail)) && req.path != "/metrics") {
    int retry = 1;
    if (!auth_->AllowSearch(who, &retry)) {
      GetCounter("kamatama_rate_limited_total", "", "Searches refused by auth.search_rate").Add();
      Response r = JsonError(429, fmt::format("too many searches (auth.search_rate = {}/s)", cfg_.auth.search_rate));
      r.headers.emplace_back("Retry-After", std::to_string(retry));
      return r;
    }
  }
  return std::nullopt;
}

bool Api::Audit(const Request& req, const Principal& who, std::string_view action, std::string_view outcome,
                const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::pair<std::string, std::string>> f;
  f.emplace_back("user.name", who.name.empty() ? "-" : who.name);
  if (who.authenticated()) f.emplace_back("user.roles", who.token_id.empty() ? RoleName(who.role) : "token");
  f.emplace_back("kamatama.auth.method", who.method);
  f.emplace_back("kamatama.token.id", who.token_id);
  f.emplace_back("source.ip", req.client);
  f.emplace_back("http.request.method", req.method);
  f.emplace_back("url.path", req.path);
  if (const std::string* ua = req.Header("user-agent")) f.emplace_back("user_agent.original", ua->substr(0, 512));
  f.insert(f.end(), extra.begin(), extra.end());
  return WriteAudit(NowNanos(), action, outcome, f,
             fmt::format("{} {} by {} from {}", action, outcome, who.name.empty() ? "-" : who.name, req.client));
}

bool Api::AuditLocal(std::string_view action, std::string_view outcome, std::string_view method,
                     const std::vector<std::pair<std::string, std::string>>& extra, int64_t at_ns) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"user.name", "system"}, {"kamatama.auth.method", std::string(method)}, {"source.address", "local"}};
  f.insert(f.end(), extra.begin(), extra.end());
  return WriteAudit(at_ns ? at_ns : NowNanos(), action, outcome, f,
             fmt::format("{} {} by system ({}) from local", action, outcome, method));
}

bool Api::WriteAudit(int64_t at_ns, std::string_view action, std::string_view outcome,
                     const std::vector<std::pair<std::string, std::string>>& fields, const std::string& msg) {
  static Counter& written = GetCounter("kamatama_audit_events_total", "", "Audit events written");
  static Counter& lost = GetCounter("kamatama_audit_events_lost_total", "", "Audit events that could not be queued");
  if (!pipeline_) return true;  // `kamatama parse` and unit tests: nothing to write to
  std::string j = "{\"@timestamp\":";
  AppendJsonString(&j, FormatRfc3339(at_ns));
  auto add = [&](std::string_view k, std::string_view v) {
    if (v.empty()) return;
    j += ",";
    AppendJsonString(&j, k);
    j += ":";
    AppendJsonString(&j, v);
  };
  add("event.dataset", "kamatama.audit");
  add("event.kind", "event");
  add("event.action", action);
  add("event.outcome", outcome);
  for (const auto& [k, v] : fields) add(k, v);
  add("message", msg);
  j += "}";
  RawRecord raw;
  raw.received_ns = NowNanos();
  raw.data = std::move(j);
  raw.flags = kRawJson | kRawInternal;
  ingest::Batch b;
  b.events.push_back(ParseRecord(raw, cfg_.parse));
  b.raws.push_back(std::move(raw));
  // Not waiting for durability (that would add the sync interval to every search), but never
  // dropped for ordinary traffic: audit events have reserved room in the queue, and are queued
  // while a full disk pauses ingest. When even that fails the caller refuses what it audits.
  if (pipeline_->TrySubmitReserved(b)) {
    written.Add();
    return true;
  }
  lost.Add();
  Log(fmt::format("audit event not queued ({}): {}",
                  pipeline_->State() == ingest::IngestState::kReadOnly ? "store read-only" : "reserve full", msg));
  return false;
}

size_t Api::DrainHostAudit() {
  const std::string path = cfg_.storage.dir + "/" + kHostAuditFile;
  struct stat sb{};
  if (::stat(path.c_str(), &sb) != 0 || sb.st_size == 0) return 0;
  std::lock_guard guard(host_audit_mu_);
  // Through the directory, never a link, only a regular file of ours (issue 19).
  UniqueFd dirfd, file;
  Status opened = OpenDir(cfg_.storage.dir, &dirfd);
  if (opened.ok()) opened = OpenInDir(dirfd.get(), kHostAuditFile, O_RDWR, 0, &file);
  if (!opened.ok()) {
    static std::atomic<bool> said{false};
    if (!said.exchange(true)) Log(fmt::format("cannot read {} (changes made with `kamatama user|token`): {}", path, opened.ToString()));
    return 0;
  }
  const int fd = file.get();
  ::flock(fd, LOCK_EX);  // the commands append under the same lock
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  // The file is writable by whoever can change auth.db; still, take only what a command writes.
  static const std::set<std::string_view> kActions = {"user.create", "user.update", "user.delete", "token.create",
                                                      "token.revoke"};
  static const char* kFields[] = {"kamatama.target", "kamatama.role", "kamatama.scopes", "kamatama.token.name",
                                  "kamatama.token.expires", "kamatama.password_changed", "kamatama.os_user",
                                  "error.message"};
  size_t done = 0, bad = 0, start = 0;
  simdjson::dom::parser parser;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + start, nl - start);
    const size_t line_start = start;
    start = nl + 1;
    if (line.empty()) continue;
    auto doc = parser.parse(line.data(), line.size());
    std::string_view action, outcome;
    int64_t at = 0;
    if (doc.error() || doc.value()["event.action"].get(action) || doc.value()["event.outcome"].get(outcome) ||
        !kActions.count(action) || (outcome != "success" && outcome != "failure")) {
      ++bad;
      continue;
    }
    if (doc.value()["time_ns"].get(at) || at <= 0) at = NowNanos();
    std::vector<std::pair<std::string, std::string>> extra;
    for (const char* k : kFields) {
      std::string_view v;
      if (!doc.value()[k].get(v)) extra.emplace_back(k, std::string(v.substr(0, 1024)));
    }
    if (!AuditLocal(action, outcome, "cli", extra, at)) {
      // Not queued: this line and the rest stay in the file for the next drain (issue 19).
      start = line_start;
      break;
    }
    ++done;
  }
  // Only what was queued leaves the file.
  std::string rest = start < text.size() ? text.substr(start) : std::string();
  if (::ftruncate(fd, 0) != 0 || (!rest.empty() && ::pwrite(fd, rest.data(), rest.size(), 0) != static_cast<ssize_t>(rest.size())))
    Log(fmt::format("cannot rewrite {}: {}", path, std::strerror(errno)));
  ::flock(fd, LOCK_UN);
  if (bad) Log(fmt::format("{}: {} line(s) that are no user or token change were ignored", path, bad));
  return done;
}

Response Api::Login(const Request& req) {
  if (req.method != "POST") return JsonError(405, "use POST");
  if (!auth_) return JsonError(503, "authentication is not initialised");
  if (!SameOrigin(req)) return JsonError(403, "cross-origin request refused");
  simdjson::dom::parser parser;
  auto doc = parser.parse(req.body);
  std::string_view user, password;
  if (doc.error() || doc.value()["user"].get(user) || doc.value()["password"].get(password))
    return JsonError(400, "send {\"user\": \"...\", \"password\": \"...\"} as JSON");
  Authenticator::Result r = auth_->Login(std::string(user), std::string(password), req.client);
  Principal who = r.who;
  if (r.outcome != Authenticator::Outcome::kOk) {
    AuthFailures().Add();
    NoteAuthFailure(req, "login", r);
    ReportLockout(r, req.client);  // issue 10
    if (r.outcome == Authenticator::Outcome::kLocked) {
      Response resp = JsonError(429, r.reason);
      resp.headers.emplace_back("Retry-After", std::to_string(std::max(1, r.retry_after_s)));
      return resp;
    }
    return JsonError(401, r.reason);
  }
  if (!Audit(req, who, "login", "success")) {
    auth_->Logout(who.session_id);  // an unrecorded login does not happen (issue 19)
    return JsonError(503, "the audit log cannot record this login now (store read-only or queue full); try again later");
  }
  Response resp{200, "application/json", PrincipalJson(who)};
  resp.headers.emplace_back("Set-Cookie", auth_->SessionCookie(who.session_id));
  return resp;
}

Response Api::Logout(const Request& req) {
  if (req.method != "POST") return JsonError(405, "use POST");
  if (!req.principal.session_id.empty()) auth_->Logout(req.principal.session_id);
  Audit(req, req.principal, "logout", "success");
  Response resp{200, "application/json", "{\"ok\":true}"};
  resp.headers.emplace_back("Set-Cookie", auth_->SessionCookie(""));
  return resp;
}

Response Api::Me(const Request& req) {
  if (req.method != "GET") return JsonError(405, "use GET");
  return Response{200, "application/json", PrincipalJson(req.principal)};
}

Response Api::Users(const Request& req) {
  AuthStore* st = auth_store_.get();
  std::string name = req.path.size() > 14 ? req.path.substr(14) : "";
  if (name.empty()) {
    if (req.method == "GET") {
      std::string b = "{\"users\":[";
      bool first = true;
      for (const auto& u : st->Users()) {
        if (!first) b.push_back(',');
        first = false;
        b += "{\"name\":";
        AppendJsonString(&b, u.name);
        b += ",\"role\":";
        AppendJsonString(&b, RoleName(u.role));
        b += ",\"created\":";
        AppendJsonString(&b, FormatRfc3339(u.created_ns));
        b += "}";
      }
      b += "]}";
      return Response{200, "application/json", std::move(b)};
    }
    if (req.method != "POST") return JsonError(405, "use GET or POST");
  } else if (req.method != "PUT" && req.method != "DELETE") {
    return JsonError(405, "use PUT or DELETE");
  }
  simdjson::dom::parser parser;
  std::string_view jname, jrole, jpw;
  bool has_role = false, has_pw = false;
  if (req.method != "DELETE") {
    auto doc = parser.parse(req.body);
    if (doc.error() || !doc.value().is_object()) return JsonError(400, "the body must be a JSON object");
    has_role = !doc.value()["role"].get(jrole);
    has_pw = !doc.value()["password"].get(jpw);
    if (name.empty() && doc.value()["name"].get(jname)) return JsonError(400, "'name' is required");
  }
  Role role = Role::kViewer;
  if (has_role && !ParseRole(jrole, &role)) return JsonError(400, "'role' must be admin, analyst or viewer");
  Status s;
  std::string action, target = name.empty() ? std::string(jname) : name;
  if (name.empty()) {
    action = "user.create";
    if (!has_pw) return JsonError(400, "'password' is required");
    s = st->AddUser(target, has_role ? role : Role::kViewer, std::string(jpw));
  } else if (req.method == "DELETE") {
    action = "user.delete";
    s = st->DeleteUser(name);
    if (s.ok()) auth_->EndSessions(name);
  } else {
    action = "user.update";
    if (!has_role && !has_pw) return JsonError(400, "give 'role' and/or 'password'");
    if (has_role) s = st->SetRole(name, role);
    if (s.ok() && has_pw) {
      s = st->SetPassword(name, std::string(jpw));
      if (s.ok()) auth_->EndSessions(name);
    }
  }
  std::vector<std::pair<std::string, std::string>> extra = {{"kamatama.target", target}};
  if (has_role) extra.emplace_back("kamatama.role", std::string(jrole));
  if (has_pw) extra.emplace_back("kamatama.password_changed", "true");
  if (!s.ok()) {
    extra.emplace_back("error.message", s.message());
    Audit(req, req.principal, action, "failure", extra);
    return JsonError(s.code() == Status::Code::kNotFound ? 404 : 400, s.message());
  }
  Audit(req, req.principal, action, "success", extra);
  std::string b = "{\"name\":";
  AppendJsonString(&b, target);
  b += ",\"ok\":true}";
  return Response{name.empty() ? 201 : 200, "application/json", std::move(b)};
}

Response Api::Tokens(const Request& req) {
  AuthStore* st = auth_store_.get();
  std::string id = req.path.size() > 15 ? req.path.substr(15) : "";
  auto token_json = [](const TokenRecord& t, std::string* b) {
    *b += "{\"id\":";
    AppendJsonString(b, t.id);
    *b += ",\"name\":";
    AppendJsonString(b, t.name);
    *b += ",\"scopes\":[";
    for (size_t i = 0; i < t.scopes.size(); ++i) {
      if (i) b->push_back(',');
      AppendJsonString(b, t.scopes[i]);
    }
    *b += "],\"created\":";
    AppendJsonString(b, FormatRfc3339(t.created_ns));
    *b += ",\"expires\":";
    if (t.expires_ns) AppendJsonString(b, FormatRfc3339(t.expires_ns));
    else *b += "null";
    *b += ",\"created_by\":";
    AppendJsonString(b, t.created_by);
  };
  if (!id.empty()) {
    if (req.method != "DELETE") return JsonError(405, "use DELETE");
    Status s = st->RevokeToken(id);
    Audit(req, req.principal, "token.revoke", s.ok() ? "success" : "failure", {{"kamatama.target", id}});
    if (!s.ok()) return JsonError(404, s.message());
    return Response{200, "application/json", "{\"ok\":true}"};
  }
  if (req.method == "GET") {
    std::string b = "{\"tokens\":[";
    bool first = true;
    for (const auto& t : st->Tokens()) {
      if (!first) b.push_back(',');
      first = false;
      token_json(t, &b);
      b += "}";
    }
    b += "]}";
    return Response{200, "application/json", std::move(b)};
  }
  if (req.method != "POST") return JsonError(405, "use GET or POST");
  simdjson::dom::parser parser;
  auto doc = parser.parse(req.body);
  std::string_view name;
  if (doc.error() || doc.value()["name"].get(name)) return JsonError(400, "send {\"name\": \"...\", \"scopes\": [...]}");
  std::vector<std::string> scopes;
  simdjson::dom::array arr;
  if (doc.value()["scopes"].get(arr)) return JsonError(400, "'scopes' must be a list: ingest, search, admin");
  for (auto v : arr) {
    std::string_view sc;
    if (v.get(sc)) return JsonError(400, "'scopes' must be a list of strings");
    scopes.emplace_back(sc);
  }
  int64_t expires = 0;
  std::string_view exp;
  if (!doc.value()["expires"].get(exp) && !exp.empty()) {
    auto t = ParseApiTime(std::string(exp[0] == '-' ? "" : "now+") + std::string(exp), NowNanos());
    if (!t) t = ParseApiTime(std::string(exp), NowNanos());
    if (!t || *t <= NowNanos()) return JsonError(400, "'expires' must be a duration like 90d or a future time");
    expires = *t;
  }
  std::string secret;
  TokenRecord rec;
  Status s = st->CreateToken(std::string(name), scopes, expires, req.principal.name, &secret, &rec);
  std::string scope_list;
  for (const auto& sc : scopes) scope_list += (scope_list.empty() ? "" : ",") + sc;
  if (!s.ok()) {
    Audit(req, req.principal, "token.create", "failure", {{"kamatama.target", std::string(name)}, {"error.message", s.message()}});
    return JsonError(400, s.message());
  }
  Audit(req, req.principal, "token.create", "success",
        {{"kamatama.target", rec.id}, {"kamatama.token.name", rec.name}, {"kamatama.scopes", scope_list}});
  std::string b;
  token_json(rec, &b);
  b += ",\"token\":";
  AppendJsonString(&b, secret);
  b += "}";
  return Response{201, "application/json", std::move(b)};
}

// ------------------------------------------------------------------ issue 19

void Api::NoteAuthFailure(const Request& req, const std::string& what, const Authenticator::Result& res) {
  const int64_t now = NowNanos();
  bool first = false;
  {
    std::lock_guard g(failures_mu_);
    if (failure_counts_.size() > 100000) {
      failures_mu_.unlock();
      FlushAuthFailures(/*all=*/true);
      failures_mu_.lock();
    }
    FailureCount& c = failure_counts_[req.client + '\x1f' + what];
    if (c.since_ns == 0) {
      c.since_ns = now;
      first = true;
    } else {
      ++c.unreported;
      c.user = res.user;
      c.reason = res.reason;
      c.what = what;
    }
  }
  if (!first) return;
  // The first failure of an address's minute is written at once; the rest as one line a minute.
  Principal anon;
  anon.name = res.user;
  Audit(req, anon, what, "failure", {{"error.message", res.reason}});
  Log(fmt::format("{} failure from {} (user '{}'): {}", what, req.client, SanitizeUtf8(res.user), res.reason));
}

void Api::FlushAuthFailures(bool all) {
  const int64_t now = NowNanos();
  std::vector<std::pair<std::string, FailureCount>> due;
  {
    std::lock_guard g(failures_mu_);
    for (auto it = failure_counts_.begin(); it != failure_counts_.end();) {
      if (all || now - it->second.since_ns >= cfg_.auth.failure_audit_interval_ns) {
        if (it->second.unreported) due.emplace_back(it->first, std::move(it->second));
        it = failure_counts_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [key, c] : due) {
    const std::string client = key.substr(0, key.find('\x1f'));
    Request r;
    r.client = client;
    Principal anon;
    anon.name = c.user;
    std::string n = std::to_string(c.unreported);
    Audit(r, anon, c.what, "failure", {{"error.message", c.reason}, {"kamatama.count", n}});
    Log(fmt::format("{} more {} failure(s) from {} since the first one (last user '{}'): {}", n, c.what, client,
                    SanitizeUtf8(c.user), c.reason));
  }
}

std::optional<Response> Api::Admit(Request& req, size_t* body_limit) {
  const RouteRule* rule = FindRoute(req);
  const bool open = (rule && !rule->auth) || (req.path == "/metrics" && cfg_.auth.metrics_anonymous);
  if (!open) {
    if (auto refused = Authorize(req, rule)) return refused;
  }
  req.admitted = true;
  // Only a principal with the ingest permission sends large bodies, and only to ingest routes.
  *body_limit = rule && (rule->perm & kPermIngest) && req.principal.Has(kPermIngest) ? cfg_.http.max_body : kSmallBody;
  // Issue 28: a list is uploaded by an admin; a POSTed search carries a long query (JSON escaping
  // may double it). What exceeds the limit is answered 413 before it is read.
  if (req.method == "PUT" && req.path.starts_with("/api/v1/lists/") && req.principal.Has(kPermAdmin))
    *body_limit = cfg_.intel.max_list_bytes;
  if (req.method == "POST" && req.path == "/api/v1/search" && req.principal.Has(kPermSearch))
    *body_limit = std::max(kSmallBody, 2 * cfg_.query.max_query_bytes + 4096);
  return std::nullopt;
}

bool Api::StillAuthorized(const Request& req) {
  if (!auth_) return false;
  Authenticator::Result res = auth_->Authenticate(req);
  return res.outcome == Authenticator::Outcome::kOk && res.who.Has(kPermTail) && !res.who.must_change;
}

Response Api::ChangeOwnPassword(const Request& req) {
  if (req.method != "POST") return JsonError(405, "use POST");
  const Principal& who = req.principal;
  if (!who.token_id.empty() || who.method == "hec") return JsonError(400, "a token has no password");
  simdjson::dom::parser parser;
  auto doc = parser.parse(req.body);
  std::string_view current, next;
  if (doc.error() || doc.value()["current"].get(current) || doc.value()["new"].get(next))
    return JsonError(400, "send {\"current\": \"...\", \"new\": \"...\"} as JSON");
  // The current password again (a session left open must not be enough to take the account).
  Authenticator::Result check = auth_->Login(who.name, std::string(current), req.client);
  if (check.outcome != Authenticator::Outcome::kOk) {
    NoteAuthFailure(req, "password.change", check);
    Response r = JsonError(check.outcome == Authenticator::Outcome::kLocked ? 429 : 403, "the current password is wrong");
    if (check.outcome == Authenticator::Outcome::kLocked)
      r.headers.emplace_back("Retry-After", std::to_string(std::max(1, check.retry_after_s)));
    return r;
  }
  auth_->Logout(check.who.session_id);
  if (next == current) return JsonError(400, "the new password must differ from the current one");
  Status s = auth_store_->SetPassword(who.name, std::string(next));
  Audit(req, who, "user.update", s.ok() ? "success" : "failure",
        {{"kamatama.target", who.name}, {"kamatama.password_changed", "true"}, {"error.message", s.ok() ? "" : s.message()}});
  if (!s.ok()) return JsonError(400, s.message());
  auth_->EndSessions(who.name);
  if (std::string path = cfg_.storage.dir + "/initial_admin_password"; who.must_change) ::unlink(path.c_str());
  // A browser gets a fresh session, so the change does not sign it out.
  Response resp{200, "application/json", "{\"ok\":true}"};
  if (who.method == "session") {
    Authenticator::Result fresh = auth_->Login(who.name, std::string(next), req.client);
    if (fresh.outcome == Authenticator::Outcome::kOk) {
      resp.body = PrincipalJson(fresh.who);
      resp.headers.emplace_back("Set-Cookie", auth_->SessionCookie(fresh.who.session_id));
    }
  }
  return resp;
}

}  // namespace kamatama::server
