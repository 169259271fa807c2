// server/auth.cc
#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <semaphore>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "core/base64.h"
#include "core/safe_file.h"
#include "core/time.h"
#include "server/http_types.h"

namespace kamatama::server {

// ------------------------------------------------------------------ roles

const char* RoleName(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kAnalyst: return "analyst";
    case Role::kViewer: return "viewer";
  }
  return "viewer";
}

bool ParseRole(std::string_view s, Role* out) {
  if (s == "admin") *out = Role::kAdmin;
  else if (s == "analyst") *out = Role::kAnalyst;
  else if (s == "viewer") *out = Role::kViewer;
  else return false;
  return true;
}

uint32_t RolePerms(Role r) {
  switch (r) {
    case Role::kAdmin: return kPermSearch | kPermExport | kPermTail | kPermIngest | kPermAdmin | kPermTriage;
    case Role::kAnalyst: return kPermSearch | kPermExport | kPermTail | kPermTriage;
    case Role::kViewer: return kPermSearch;
  }
  return 0;
}

uint32_t ScopePerms(std::string_view scope) {
  if (scope == "ingest") return kPermIngest;
  if (scope == "search") return kPermSearch | kPermExport | kPermTail;
  if (scope == "admin") return kPermSearch | kPermExport | kPermTail | kPermIngest | kPermAdmin | kPermTriage;
  return 0;
}

std::string PermNames(uint32_t perms) {
  std::string out;
  for (auto [bit, name] : {std::pair<uint32_t, const char*>{kPermSearch, "search"}, {kPermExport, "export"},
                           {kPermTail, "tail"}, {kPermIngest, "ingest"}, {kPermAdmin, "admin"},
                           {kPermTriage, "triage"}}) {
    if (!(perms & bit)) continue;
    if (!out.empty()) out.push_back(',');
    out += name;
  }
  return out;
}

uint32_t TokenRecord::Perms() const {
  uint32_t p = 0;
  for (const auto& s : scopes) p |= ScopePerms(s);
  return p;
}

// ------------------------------------------------------------------ route table

const std::vector<RouteRule>& RouteTable() {
  static const std::vector<RouteRule> table = {
      // Public: probes, the login itself and the static UI (no data in it).
      {"*", "/healthz", false, 0, "/healthz", "liveness"},
      {"*", "/readyz", false, 0, "/readyz", "readiness"},
      {"*", "/api/v1/login", false, 0, "/api/v1/login", "password login, sets the session cookie"},
      {"GET", "/index.html", false, 0, "/index.html", "web UI"},
      {"GET", "/ui/*", false, 0, "/ui/app.js", "web UI assets"},
      {"GET", "/ui", false, 0, "/ui", "web UI assets"},
      {"GET", "/favicon.ico", false, 0, "/favicon.ico", "web UI icon"},
      // GET / is the UI for a browser and the Elasticsearch banner for a shipper (see FindRoute).
      {"GET", "/", false, 0, "/", "web UI (browsers)"},
      {"*", "/services/collector/health*", false, 0, "/services/collector/health", "Splunk HEC health (as Splunk)"},
      // Any authenticated principal.
      {"*", "/api/v1/logout", true, 0, "/api/v1/logout", "ends the session"},
      {"*", "/api/v1/me", true, 0, "/api/v1/me", "who am I, my permissions, the CSRF token"},
      {"*", "/api/v1/password", true, 0, "/api/v1/password", "change my own password (the current one again)"},
      {"*", "/metrics", true, kPermSearch, "/metrics", "Prometheus metrics (public with auth.metrics_anonymous)"},
      // Search family.
      {"*", "/api/v1/search", true, kPermSearch, "/api/v1/search?q=x", "search"},
      {"*", "/api/v1/histogram", true, kPermSearch, "/api/v1/histogram", "counts over time"},
      {"*", "/api/v1/fields", true, kPermSearch, "/api/v1/fields", "field summary"},
      {"*", "/api/v1/fieldnames", true, kPermSearch, "/api/v1/fieldnames", "field names"},
      {"*", "/api/v1/sources", true, kPermSearch, "/api/v1/sources", "sources summary"},
      {"*", "/api/v1/ip/owner", true, kPermSearch, "/api/v1/ip/owner?ip=10.0.0.1", "which host had an address at a time"},
      {"*", "/api/v1/process/tree", true, kPermSearch, "/api/v1/process/tree?entity_id=x", "process tree"},
      {"*", "/api/v1/entity", true, kPermSearch, "/api/v1/entity?type=ip&value=10.0.0.1", "entity page"},
      {"*", "/api/v1/host/logons", true, kPermSearch, "/api/v1/host/logons?host=x", "who was logged on to a host at a time"},
      {"*", "/api/v1/connection", true, kPermSearch, "/api/v1/connection?src=10.0.0.1&dst=10.0.0.2", "one connection across sources"},
      {"*", "/api/v1/export", true, kPermExport, "/api/v1/export?q=x", "export (NDJSON/CSV)"},
      {"*", "/api/v1/hunt", true, kPermExport, "/api/v1/hunt", "retro-hunt: Sigma rules over stored events (analysts)"},
      {"*", "/api/v1/tail", true, kPermTail, "/api/v1/tail", "live tail (WebSocket)"},
      // Threat intelligence (issue 28): analysts read lists and hunt; admins write them.
      {"*", "/api/v1/lists", true, kPermSearch, "/api/v1/lists", "threat-intelligence lists (GET)"},
      {"GET", "/api/v1/lists/*", true, kPermSearch, "/api/v1/lists/x/hits", "a list, its hits"},
      {"POST", "/api/v1/lists/*/hunt", true, kPermSearch, "/api/v1/lists/x/hunt", "search history for a list"},
      {"PUT", "/api/v1/lists/*", true, kPermAdmin, "/api/v1/lists/x", "write a list (a new version)"},
      {"DELETE", "/api/v1/lists/*", true, kPermAdmin, "/api/v1/lists/x", "delete a list"},
      // Alerts and rules (issue 21): reading is searching; working an alert is triage; tuning a
      // rule (off, level, exclusions) changes what is detected: administrators.
      {"PATCH", "/api/v1/alerts/*", true, kPermTriage, "/api/v1/alerts/1", "acknowledge, close, assign, comment an alert"},
      {"*", "/api/v1/alerts*", true, kPermSearch, "/api/v1/alerts", "alerts (list, one)"},
      {"PATCH", "/api/v1/rules/*", true, kPermAdmin, "/api/v1/rules/x", "tune a rule (on/off, level, exclusions)"},
      {"*", "/api/v1/rules*", true, kPermSearch, "/api/v1/rules", "rules, hits, tuning, coverage"},
      // Cases (issue 22): viewers read, analysts (triage) create, pin, note and edit, exports need the
      // export permission, only administrators delete a case.
      {"GET", "/api/v1/cases/*/export", true, kPermExport, "/api/v1/cases/1/export", "export a case (JSON, CSV, Markdown, HTML)"},
      {"DELETE", "/api/v1/cases/*", true, kPermAdmin, "/api/v1/cases/1", "delete a case"},
      {"GET", "/api/v1/cases*", true, kPermSearch, "/api/v1/cases", "cases (list, one, a pinned event)"},
      {"POST", "/api/v1/cases*", true, kPermTriage, "/api/v1/cases/1/notes", "create a case, pin to it, add a note"},
      {"PATCH", "/api/v1/cases/*", true, kPermTriage, "/api/v1/cases/1", "edit a case, unpin items"},
      // Notification targets (issue 21): where alerts are sent, with their secrets: administrators.
      {"*", "/api/v1/notifications*", true, kPermAdmin, "/api/v1/notifications", "notification targets, test (admins)"},
      // Saved searches and dashboards (issue 25): everyone who searches reads the shared ones;
      // analysts write (the route needs the analyst's permission) and the handler
      // (server/owned_store.h) lets only owners and administrators change an existing one.
      {"GET", "/api/v1/saved-searches*", true, kPermSearch, "/api/v1/saved-searches", "saved searches (list, one)"},
      {"POST", "/api/v1/saved-searches*", true, kPermTriage, "/api/v1/saved-searches", "create a saved search"},
      {"PUT", "/api/v1/saved-searches/*", true, kPermTriage, "/api/v1/saved-searches/x", "replace a saved search (owner or admin)"},
      {"PATCH", "/api/v1/saved-searches/*", true, kPermTriage, "/api/v1/saved-searches/x", "change a saved search (owner or admin)"},
      {"DELETE", "/api/v1/saved-searches/*", true, kPermTriage, "/api/v1/saved-searches/x", "delete a saved search (owner or admin)"},
      {"GET", "/api/v1/dashboards*", true, kPermSearch, "/api/v1/dashboards", "dashboards (list, one, export)"},
      {"POST", "/api/v1/dashboards*", true, kPermTriage, "/api/v1/dashboards", "create or import a dashboard"},
      {"PUT", "/api/v1/dashboards/*", true, kPermTriage, "/api/v1/dashboards/x", "replace a dashboard (owner or admin)"},
      {"PATCH", "/api/v1/dashboards/*", true, kPermTriage, "/api/v1/dashboards/x", "change a dashboard (owner or admin)"},
      {"DELETE", "/api/v1/dashboards/*", true, kPermTriage, "/api/v1/dashboards/x", "delete a dashboard (owner or admin)"},
      // Unparsed lines and the parser builder (issue 23): reading them is searching; proposing and
      // trying a definition changes nothing (the definition is only compiled for the request).
      // Saving a definition changes how every later line is parsed: administrators.
      {"*", "/api/v1/unparsed/save", true, kPermAdmin, "/api/v1/unparsed/save", "save a parser definition (admins)"},
      {"*", "/api/v1/unparsed*", true, kPermSearch, "/api/v1/unparsed", "unparsed lines, propose and try a parser"},
      // Scheduled searches and reports (issue 25): as saved searches; the handler lets only
      // owners and administrators change or run one, and only administrators name a target.
      {"GET", "/api/v1/schedules*", true, kPermSearch, "/api/v1/schedules", "schedules (list, one, runs)"},
      {"POST", "/api/v1/schedules*", true, kPermTriage, "/api/v1/schedules", "create a schedule, run one now"},
      {"PUT", "/api/v1/schedules/*", true, kPermTriage, "/api/v1/schedules/x", "replace a schedule (owner or admin)"},
      {"PATCH", "/api/v1/schedules/*", true, kPermTriage, "/api/v1/schedules/x", "change a schedule (owner or admin)"},
      {"DELETE", "/api/v1/schedules/*", true, kPermTriage, "/api/v1/schedules/x", "delete a schedule (owner or admin)"},
      // Writing events.
      {"*", "/api/v1/ingest", true, kPermIngest, "/api/v1/ingest", "NDJSON ingest"},
      {"*", "/api/prom/push", true, kPermIngest, "/api/prom/push", "Loki push (old path)"},
      {"*", "/loki/*", true, kPermIngest, "/loki/api/v1/push", "Loki push"},
      {"*", "/services/collector*", true, kPermIngest, "/services/collector/event", "Splunk HEC"},
      {"*", "/v1/logs", true, kPermIngest, "/v1/logs", "OTLP/HTTP logs (OpenTelemetry Collector)"},
      {"*", "/gelf", true, kPermIngest, "/gelf", "GELF over HTTP"},
      {"*", "/_*", true, kPermIngest, "/_bulk", "Elasticsearch _bulk and set-up probes"},
      {"*", "*/_bulk", true, kPermIngest, "/logs-x/_bulk", "Elasticsearch _bulk into an index"},
      {"*", "/", true, kPermIngest, "/", "Elasticsearch banner (non-browser GET /)"},
      // Administration.
      {"*", "/api/v1/users", true, kPermAdmin, "/api/v1/users", "list and create users"},
      {"*", "/api/v1/users/*", true, kPermAdmin, "/api/v1/users/nobody", "change or delete a user"},
      {"*", "/api/v1/tokens", true, kPermAdmin, "/api/v1/tokens", "list and create API tokens"},
      {"*", "/api/v1/tokens/*", true, kPermAdmin, "/api/v1/tokens/0000000000000000", "revoke an API token"},
      {"*", "/api/v1/admin/*", true, kPermAdmin, "/api/v1/admin/backup", "backups and other administration"},
  };
  return table;
}

namespace {
bool PatternMatches(std::string_view pattern, std::string_view path) {
  if (pattern.size() > 1 && pattern[0] == '*') {  // "*/_bulk": /<one segment>/_bulk
    std::string_view tail = pattern.substr(1);
    if (path.size() <= tail.size() + 1 || path.substr(path.size() - tail.size()) != tail) return false;
    std::string_view index = path.substr(1, path.size() - tail.size() - 1);
    return path[0] == '/' && index.find('/') == std::string_view::npos;
  }
  if (!pattern.empty() && pattern.back() == '*') return path.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
  if (const size_t star = pattern.find('*'); star != std::string_view::npos) {  // "/a/*/b": one segment
    std::string_view pre = pattern.substr(0, star), post = pattern.substr(star + 1);
    if (path.size() <= pre.size() + post.size() || !path.starts_with(pre) || !path.ends_with(post)) return false;
    return path.substr(pre.size(), path.size() - pre.size() - post.size()).find('/') == std::string_view::npos;
  }
  return pattern == path;
}
}  // namespace

const RouteRule* FindRoute(const Request& req) {
  const bool get = req.method == "GET" || req.method == "HEAD";
  for (const auto& r : RouteTable()) {
    std::string_view m = r.method;
    if (m != "*" && !(m == "GET" && get) && m != req.method) continue;
    if (!PatternMatches(r.pattern, req.path)) continue;
    // GET / from an Elasticsearch client is the shipper banner, not the UI.
    if (std::string_view(r.pattern) == "/" && !r.auth && LooksLikeElasticClient(req)) continue;
    return &r;
  }
  return nullptr;
}

// ------------------------------------------------------------------ crypto helpers

namespace {
std::string Hex(const unsigned char* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = d[p[i] >> 4];
    s[2 * i + 1] = d[p[i] & 15];
  }
  return s;
}
bool Unhex(std::string_view h, std::string* out) {
  if (h.size() % 2) return false;
  out->clear();
  auto v = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  for (size_t i = 0; i < h.size(); i += 2) {
    int a = v(h[i]), b = v(h[i + 1]);
    if (a < 0 || b < 0) return false;
    out->push_back(static_cast<char>(a * 16 + b));
  }
  return true;
}
std::atomic<uint64_t> kdf_runs{0};
}  // namespace
// tcmalloc's (gperftools) call to give freed memory back to the system; absent (null) on other
// allocators, e.g. in sanitizer builds.
extern "C" void MallocExtension_ReleaseFreeMemory(void) __attribute__((weak));
namespace {
bool Scrypt(std::string_view pw, std::string_view salt, int log_n, int r, int p, unsigned char* out, size_t n) {
  kdf_runs.fetch_add(1, std::memory_order_relaxed);
  if (log_n < 1 || log_n > 22 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  uint64_t N = 1ull << log_n;
  uint64_t maxmem = 128ull * N * r * p + (16u << 20);
  // Each derivation holds 128 * N * r bytes (128 MiB at the default cost): two at a time.
  static std::counting_semaphore<2> slots(2);
  slots.acquire();
  struct Release {
    ~Release() { slots.release(); }
  } release;
  const bool ok = EVP_PBE_scrypt(pw.data(), pw.size(), reinterpret_cast<const unsigned char*>(salt.data()), salt.size(),
                                 N, static_cast<uint64_t>(r), static_cast<uint64_t>(p), maxmem, out, n) == 1;
  // The derivation's 128 MiB buffer would otherwise stay in tcmalloc's free lists for good.
  if (MallocExtension_ReleaseFreeMemory) MallocExtension_ReleaseFreeMemory();
  return ok;
}
}  // namespace

std::string RandomHex(size_t bytes) {
  std::string buf(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(bytes)) != 1) std::abort();
  return Hex(reinterpret_cast<const unsigned char*>(buf.data()), bytes);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return Hex(md, sizeof md);
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string HashPassword(std::string_view password, int log_n) {
  std::string salt(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), 16) != 1) std::abort();
  unsigned char out[32];
  if (!Scrypt(password, salt, log_n, 8, 1, out, sizeof out)) std::abort();
  return fmt::format("$scrypt$ln={},r=8,p=1${}${}", log_n, Hex(reinterpret_cast<const unsigned char*>(salt.data()), 16),
                     Hex(out, sizeof out));
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  // $scrypt$ln=15,r=8,p=1$salt$hash
  if (encoded.substr(0, 8) != "$scrypt$") return false;
  encoded.remove_prefix(8);
  size_t d1 = encoded.find('$');
  if (d1 == std::string_view::npos) return false;
  std::string params(encoded.substr(0, d1));
  std::string_view rest = encoded.substr(d1 + 1);
  size_t d2 = rest.find('$');
  if (d2 == std::string_view::npos) return false;
  int log_n = 0, r = 0, p = 0;
  if (std::sscanf(params.c_str(), "ln=%d,r=%d,p=%d", &log_n, &r, &p) != 3) return false;
  std::string salt, want;
  if (!Unhex(rest.substr(0, d2), &salt) || !Unhex(rest.substr(d2 + 1), &want) || want.size() != 32) return false;
  unsigned char got[32];
  if (!Scrypt(password, salt, log_n, r, p, got, sizeof got)) return false;
  return CRYPTO_memcmp(got, want.data(), 32) == 0;
}

uint64_t KdfRuns() { return kdf_runs.load(std::memory_order_relaxed); }

int HashLogN(std::string_view encoded) {
  int log_n = 0;
  if (encoded.substr(0, 11) != "$scrypt$ln=") return 0;
  std::string digits(encoded.substr(11, 2));
  log_n = std::atoi(digits.c_str());
  return log_n;
}

namespace {
// Credentials in an Authorization header are short: a longer value is refused before decoding.
constexpr size_t kMaxEncodedCredentials = 8192;
bool DecodeCredentials(std::string_view in, std::string* out) {
  return in.size() <= kMaxEncodedCredentials && Base64Decode(in, out);
}
}  // namespace

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' || c == '-')) return false;
  }
  return true;
}

bool ValidPassword(std::string_view pw, std::string* why) {
  if (pw.size() < 8) {
    *why = "the password must have at least 8 characters";
    return false;
  }
  if (pw.size() > 1024) {
    *why = "the password is longer than 1024 bytes";
    return false;
  }
  return true;
}

// ------------------------------------------------------------------ AuthStore

namespace {
int64_t FileMtime(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}
std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t t = line.find('\t', start);
    out.push_back(line.substr(start, t - start));
    if (t == std::string::npos) break;
    start = t + 1;
  }
  return out;
}
// The directory of the users file, and the file's own name in it.
std::pair<std::string, std::string> SplitPath(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}
// An exclusive lock on <path>.lock for the duration of a change (opened through the directory,
// never through a link: issue 19).
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    auto [dir, name] = SplitPath(path);
    UniqueFd d;
    status_ = OpenDir(dir, &d);
    if (status_.ok()) status_ = OpenInDir(d.get(), name + ".lock", O_RDWR | O_CREAT, 0600, &fd_);
    if (status_.ok() && ::flock(fd_.get(), LOCK_EX) != 0) status_ = Status::IoError("cannot lock " + path + ".lock");
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  UniqueFd fd_;  // closing it releases the lock
  Status status_;
};
}  // namespace

Status AuthStore::ReadLocked(std::map<std::string, UserRecord>* users, std::map<std::string, TokenRecord>* tokens) const {
  users->clear();
  tokens->clear();
  auto [dir, name] = SplitPath(path_);
  UniqueFd d;
  if (Status s = OpenDir(dir, &d); !s.ok()) return s;
  std::string text;
  if (Status s = ReadFileInDir(d.get(), name, &text); !s.ok()) {
    if (s.code() == Status::Code::kNotFound) return Status::OK();
    return Status::IoError(path_ + ": " + s.message());
  }
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    auto f = SplitTabs(line);
    if (f[0] == "user" && f.size() >= 5) {
      UserRecord u;
      u.name = f[1];
      if (!ParseRole(f[2], &u.role)) return Status::InvalidArgument(fmt::format("{}:{}: bad role", path_, lineno));
      u.hash = f[3];
      u.created_ns = std::atoll(f[4].c_str());
      if (f.size() >= 6) u.generation = std::atoll(f[5].c_str());
      if (f.size() >= 7) u.must_change = f[6] == "must_change";
      (*users)[u.name] = std::move(u);
    } else if (f[0] == "token" && f.size() >= 8) {
      TokenRecord t;
      t.id = f[1];
      t.name = f[2];
      std::stringstream ss(f[3]);
      std::string s;
      while (std::getline(ss, s, ',')) {
        if (!s.empty()) t.scopes.push_back(s);
      }
      t.hash = f[4];
      t.created_ns = std::atoll(f[5].c_str());
      t.expires_ns = std::atoll(f[6].c_str());
      t.created_by = f[7];
      (*tokens)[t.id] = std::move(t);
    } else {
      return Status::InvalidArgument(fmt::format("{}:{}: unreadable line", path_, lineno));
    }
  }
  return Status::OK();
}

Status AuthStore::WriteLocked(const std::map<std::string, UserRecord>& users,
                              const std::map<std::string, TokenRecord>& tokens) const {
  std::string body = "# kamatama users and API tokens (hashes only). Change with `kamatama user|token` or the API.\n";
  for (const auto& [n, u] : users)
    body += fmt::format("user\t{}\t{}\t{}\t{}\t{}\t{}\n", u.name, RoleName(u.role), u.hash, u.created_ns, u.generation,
                        u.must_change ? "must_change" : "-");
  for (const auto& [id, t] : tokens) {
    std::string scopes;
    for (const auto& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + s;
    body += fmt::format("token\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", t.id, t.name, scopes, t.hash, t.created_ns, t.expires_ns,
                        t.created_by);
  }
  auto [dir, name] = SplitPath(path_);
  UniqueFd d;
  if (Status s = OpenDir(dir, &d); !s.ok()) return s;
  if (Status s = WriteFileAtomic(d.get(), name, body, 0600); !s.ok()) return Status::IoError(path_ + ": " + s.message());
  return Status::OK();
}

Status AuthStore::Load() {
  FileLock lock(path_);
  std::lock_guard g(mu_);
  Status s = ReadLocked(&users_, &tokens_);
  version_.fetch_add(1, std::memory_order_acq_rel);
  mtime_ns_ = FileMtime(path_);
  checked_at_ = clock_();
  if (s.ok() && mtime_ns_ >= 0) {
    // The file must stay private: fchmod on the file itself (checked, never through a link).
    auto [dir, name] = SplitPath(path_);
    UniqueFd d, f;
    if (OpenDir(dir, &d).ok() && OpenInDir(d.get(), name, O_RDONLY, 0, &f).ok()) ::fchmod(f.get(), 0600);
  }
  return s;
}

void AuthStore::MaybeReload() {
  int64_t now = clock_();
  {
    std::lock_guard g(mu_);
    if (now - checked_at_ < 1'000'000'000) return;
    checked_at_ = now;
    if (FileMtime(path_) == mtime_ns_) return;
  }
  if (Status s = Load(); !s.ok())
    fmt::print(stderr, "{} kamatama: auth: cannot reload {}: {}\n", FormatRfc3339(NowNanos()), path_, s.ToString());
}

template <class F>
Status AuthStore::Mutate(F&& change) {
  FileLock lock(path_);
  if (!lock.ok()) return Status::IoError("cannot lock " + path_ + ": " + lock.status().ToString());
  std::map<std::string, UserRecord> users;
  std::map<std::string, TokenRecord> tokens;
  if (Status s = ReadLocked(&users, &tokens); !s.ok()) return s;
  if (Status s = change(users, tokens); !s.ok()) return s;
  if (Status s = WriteLocked(users, tokens); !s.ok()) return s;
  std::lock_guard g(mu_);
  users_ = std::move(users);
  tokens_ = std::move(tokens);
  version_.fetch_add(1, std::memory_order_acq_rel);
  mtime_ns_ = FileMtime(path_);
  return Status::OK();
}

Status AuthStore::AddUser(const std::string& name, Role role, const std::string& password) {
  if (!ValidName(name)) return Status::InvalidArgument("a user name is 1 to 64 of A-Z a-z 0-9 . _ @ -");
  std::string why;
  if (!ValidPassword(password, &why)) return Status::InvalidArgument(why);
  std::string hash = HashPassword(password, log_n_);
  return Mutate([&](auto& users, auto&) {
    if (users.count(name)) return Status::InvalidArgument("user " + name + " exists");
    users[name] = UserRecord{name, role, hash, clock_()};
    return Status::OK();
  });
}

Status AuthStore::SetPassword(const std::string& name, const std::string& password) {
  std::string why;
  if (!ValidPassword(password, &why)) return Status::InvalidArgument(why);
  std::string hash = HashPassword(password, log_n_);
  return Mutate([&](auto& users, auto&) {
    auto it = users.find(name);
    if (it == users.end()) return Status::NotFound("no user " + name);
    it->second.hash = hash;
    ++it->second.generation;
    it->second.must_change = false;
    return Status::OK();
  });
}

Status AuthStore::Rehash(const std::string& name, const std::string& old_hash, const std::string& password) {
  std::string hash = HashPassword(password, log_n_);
  return Mutate([&](auto& users, auto&) {
    auto it = users.find(name);
    if (it == users.end() || it->second.hash != old_hash) return Status::Busy("changed meanwhile");
    it->second.hash = hash;
    return Status::OK();
  });
}

Status AuthStore::SetMustChange(const std::string& name, bool must_change) {
  return Mutate([&](auto& users, auto&) {
    auto it = users.find(name);
    if (it == users.end()) return Status::NotFound("no user " + name);
    it->second.must_change = must_change;
    return Status::OK();
  });
}

Status AuthStore::SetRole(const std::string& name, Role role) {
  return Mutate([&](auto& users, auto&) {
    auto it = users.find(name);
    if (it == users.end()) return Status::NotFound("no user " + name);
    if (it->second.role == Role::kAdmin && role != Role::kAdmin) {
      size_t admins = 0;
      for (const auto& [n, u] : users) admins += u.role == Role::kAdmin;
      if (admins <= 1) return Status::InvalidArgument("cannot demote the last admin");
    }
    it->second.role = role;
    return Status::OK();
  });
}

Status AuthStore::DeleteUser(const std::string& name) {
  return Mutate([&](auto& users, auto&) {
    auto it = users.find(name);
    if (it == users.end()) return Status::NotFound("no user " + name);
    if (it->second.role == Role::kAdmin) {
      size_t admins = 0;
      for (const auto& [n, u] : users) admins += u.role == Role::kAdmin;
      if (admins <= 1) return Status::InvalidArgument("cannot delete the last admin");
    }
    users.erase(it);
    return Status::OK();
  });
}

Status AuthStore::CreateToken(const std::string& name, const std::vector<std::string>& scopes, int64_t expires_ns,
                              const std::string& created_by, std::string* secret, TokenRecord* rec) {
  if (!ValidName(name)) return Status::InvalidArgument("a token name is 1 to 64 of A-Z a-z 0-9 . _ @ -");
  if (scopes.empty()) return Status::InvalidArgument("a token needs at least one scope: ingest, search, admin");
  for (const auto& s : scopes) {
    if (!ScopePerms(s)) return Status::InvalidArgument("unknown scope '" + s + "': ingest, search or admin");
  }
  TokenRecord t;
  t.id = RandomHex(8);
  std::string key = RandomHex(32);
  t.name = name;
  t.scopes = scopes;
  t.hash = Sha256Hex(key);
  t.created_ns = clock_();
  t.expires_ns = expires_ns;
  t.created_by = ValidName(created_by) ? created_by : "cli";
  Status s = Mutate([&](auto&, auto& tokens) {
    tokens[t.id] = t;
    return Status::OK();
  });
  if (!s.ok()) return s;
  *secret = "kmt_" + t.id + "_" + key;
  if (rec) *rec = t;
  return Status::OK();
}

Status AuthStore::RevokeToken(const std::string& id) {
  return Mutate([&](auto&, auto& tokens) {
    if (!tokens.erase(id)) return Status::NotFound("no token " + id);
    return Status::OK();
  });
}

std::vector<UserRecord> AuthStore::Users() const {
  std::lock_guard g(mu_);
  std::vector<UserRecord> out;
  for (const auto& [n, u] : users_) out.push_back(u);
  return out;
}
std::vector<TokenRecord> AuthStore::Tokens() const {
  std::lock_guard g(mu_);
  std::vector<TokenRecord> out;
  for (const auto& [n, t] : tokens_) out.push_back(t);
  return out;
}
std::optional<UserRecord> AuthStore::FindUser(const std::string& name) const {
  std::lock_guard g(mu_);
  auto it = users_.find(name);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}
std::optional<TokenRecord> AuthStore::FindToken(const std::string& id) const {
  std::lock_guard g(mu_);
  auto it = tokens_.find(id);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}
size_t AuthStore::UserCount() const {
  std::lock_guard g(mu_);
  return users_.size();
}

// ------------------------------------------------------------------ Authenticator

Status Authenticator::Bootstrap(std::string* generated, bool* created) {
  *created = false;
  if (store_->UserCount() > 0) return Status::OK();
  std::string pw;
  if (const char* env = std::getenv("KAMATAMA_ADMIN_PASSWORD"); env && *env) {
    pw = env;
  } else {
    pw = RandomHex(12);
    *generated = pw;
  }
  Status s = store_->AddUser("admin", Role::kAdmin, pw);
  if (s.ok()) *created = true;
  return s;
}

namespace {
constexpr int64_t kSecond = 1'000'000'000;
std::string UserAtAddress(const std::string& user, const std::string& client) { return "ua:" + user + '\x1f' + client; }
std::string AddressKey(const std::string& client) { return "a:" + client; }
}  // namespace

bool Authenticator::IsLocked(const std::string& key, int64_t now, int* retry_s) {
  auto it = failures_.find(key);
  if (it == failures_.end() || it->second.locked_until <= now) return false;
  if (retry_s) *retry_s = std::max(*retry_s, static_cast<int>((it->second.locked_until - now + kSecond - 1) / kSecond));
  return true;
}

void Authenticator::PruneFailures(int64_t now) {
  if (failures_.size() <= 100000) return;  // bounded: forget stale entries
  for (auto it = failures_.begin(); it != failures_.end();) {
    const Failures& f = it->second;
    if (f.pending == 0 && f.locked_until <= now && (f.times.empty() || now - f.times.back() > opt_.failure_window_ns))
      it = failures_.erase(it);
    else
      ++it;
  }
}

bool Authenticator::Reserve(const std::string& key, int64_t now) {
  PruneFailures(now);
  Failures& f = failures_[key];
  std::erase_if(f.times, [&](int64_t t) { return now - t > opt_.failure_window_ns; });
  if (opt_.max_failures > 0 && static_cast<int>(f.times.size()) + f.pending >= opt_.max_failures) return false;
  ++f.pending;
  return true;
}

void Authenticator::Failed(const std::string& key, int64_t now, bool* now_locked, bool reserved) {
  Failures& f = failures_[key];
  if (reserved && f.pending > 0) --f.pending;
  f.times.push_back(now);
  std::erase_if(f.times, [&](int64_t t) { return now - t > opt_.failure_window_ns; });
  if (opt_.max_failures > 0 && static_cast<int>(f.times.size()) >= opt_.max_failures) {
    f.locked_until = now + (opt_.lockout_ns << std::min(f.lockouts, 6));
    ++f.lockouts;
    f.times.clear();
    *now_locked = true;
  }
}

void Authenticator::Forget(const std::string& key) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return;
  if (it->second.pending > 0) --it->second.pending;
  it->second.times.clear();
  it->second.lockouts = 0;
}

bool Authenticator::AllowLogin(const std::string& user, int64_t now) {
  if (opt_.login_rate <= 0) return true;
  if (login_buckets_.size() > 100000) login_buckets_.clear();
  Bucket& b = login_buckets_[user];
  if (b.at == 0) b.tokens = opt_.login_burst;
  else b.tokens = std::min(opt_.login_burst, b.tokens + (now - b.at) / 1e9 * opt_.login_rate);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

Authenticator::Result Authenticator::CheckPassword(const std::string& user, const std::string& password,
                                                   const std::string& client, bool login) {
  Result r;
  r.user = user;
  const int64_t now = clock_();
  // Lock-outs are per user at an address (someone guessing admin's password from one address
  // does not lock admin out elsewhere) and per address (every kind of failed credential).
  const std::string ukey = UserAtAddress(user, client), akey = AddressKey(client);
  {
    std::lock_guard g(mu_);
    int retry = 0;
    const bool user_locked = IsLocked(ukey, now, &retry), addr_locked = IsLocked(akey, now, &retry);
    if (user_locked || addr_locked) {
      r.outcome = Outcome::kLocked;
      r.retry_after_s = retry;
      r.reason = user_locked ? "account locked at this address after repeated failures"
                             : "address locked after repeated failures";
      return r;
    }
  }
  store_->MaybeReload();
  auto u = store_->FindUser(user);
  const std::string cache_key = Sha256Hex(pepper_ + '\0' + user + '\0' + password);
  bool ok = false;
  if (u && password.size() <= 1024) {
    std::lock_guard g(mu_);
    auto it = verified_.find(cache_key);
    ok = it != verified_.end() && it->second.second > now && ConstantTimeEqual(it->second.first, u->hash);
  }
  // A login (a new session), or a check not in the cache, is rate-limited per user; a real check
  // is reserved before the (slow) KDF so that parallel guesses cannot pass the limit.
  if (login || !ok) {
    std::lock_guard g(mu_);
    if (!AllowLogin(user, now)) {
      r.outcome = Outcome::kLocked;
      r.retry_after_s = static_cast<int>(std::max(1.0, 1 / std::max(opt_.login_rate, 1e-3)));
      r.reason = "too many password checks for this user";
      return r;
    }
  }
  bool reserved = false;
  if (!ok) {
    std::lock_guard g(mu_);
    // Reserve the attempt before the (slow) KDF: parallel guesses cannot pass the limit.
    if (!Reserve(ukey, now)) {
      r.outcome = Outcome::kLocked;
      r.retry_after_s = 1;
      r.reason = "too many attempts in progress for this account";
      return r;
    }
    if (!Reserve(akey, now)) {
      if (auto it = failures_.find(ukey); it != failures_.end() && it->second.pending > 0) --it->second.pending;
      r.outcome = Outcome::kLocked;
      r.retry_after_s = 1;
      r.reason = "too many attempts in progress from this address";
      return r;
    }
    reserved = true;
  }
  // A password over the policy's 1,024 bytes cannot be right: refused without the KDF.
  if (!ok && password.size() <= 1024) {
    // Unknown users cost the same KDF time, so timing does not tell which names exist.
    static const std::string dummy = HashPassword("kamatama-dummy-password", kScryptLogN);
    ok = VerifyPassword(password, u ? u->hash : dummy) && u.has_value();
    if (ok) {
      if (HashLogN(u->hash) < kScryptLogN && store_->Rehash(u->name, u->hash, password).ok()) {
        if (auto again = store_->FindUser(user)) u = again;
      }
      std::lock_guard g(mu_);
      if (verified_.size() > 10000) verified_.clear();
      verified_[cache_key] = {u->hash, now + 300LL * kSecond};
    }
  }
  std::lock_guard g(mu_);
  if (!ok) {
    bool locked_u = false, locked_a = false;
    Failed(ukey, now, &locked_u, reserved);
    Failed(akey, now, &locked_a, reserved);
    r.outcome = Outcome::kBad;
    r.reason = locked_u ? "wrong password; account now locked at this address"
               : locked_a ? "wrong password; address now locked"
                          : "wrong user name or password";
    r.locked_now = locked_u && locked_a ? "user,address" : locked_u ? "user" : locked_a ? "address" : "";  // issue 10
    r.counted = true;
    return r;
  }
  if (reserved) {
    Forget(ukey);
    if (auto it = failures_.find(akey); it != failures_.end() && it->second.pending > 0) --it->second.pending;
  }
  r.outcome = Outcome::kOk;
  r.who.name = u->name;
  r.who.role = u->role;
  r.who.perms = RolePerms(u->role);
  r.who.method = "basic";
  r.who.must_change = u->must_change;
  return r;
}

Authenticator::Result Authenticator::CheckToken(std::string_view token) {
  Result r;
  // kmt_<16 hex id>_<64 hex secret>
  if (token.size() != 4 + 16 + 1 + 64 || token.substr(0, 4) != "kmt_" || token[20] != '_') {
    r.outcome = Outcome::kBad;
    r.reason = "malformed token";
    return r;
  }
  store_->MaybeReload();
  auto t = store_->FindToken(std::string(token.substr(4, 16)));
  // Compare hashes (fixed length) in constant time; an unknown id costs the same.
  std::string got = Sha256Hex(token.substr(21));
  if (!ConstantTimeEqual(got, t ? t->hash : std::string(64, '0')) || !t) {
    r.outcome = Outcome::kBad;
    r.reason = "unknown or revoked token";
    return r;
  }
  if (t->expires_ns && t->expires_ns <= clock_()) {
    r.outcome = Outcome::kBad;
    r.reason = "token expired";
    return r;
  }
  r.outcome = Outcome::kOk;
  r.who.name = t->name;
  r.who.token_id = t->id;
  r.who.method = "token";
  r.who.perms = t->Perms();
  r.who.role = (r.who.perms & kPermAdmin) ? Role::kAdmin : Role::kViewer;
  r.user = t->name;
  return r;
}

namespace {
std::string CookieValue(const std::string& header, std::string_view name) {
  std::string_view h = header;
  while (!h.empty()) {
    size_t semi = h.find(';');
    std::string_view item = h.substr(0, semi);
    h = semi == std::string_view::npos ? std::string_view() : h.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.size() > name.size() && item.substr(0, name.size()) == name && item[name.size()] == '=')
      return std::string(item.substr(name.size() + 1));
  }
  return "";
}
}  // namespace

Authenticator::Result Authenticator::AuthenticateHeader(const Request& req, std::string_view header) {
  Result r;
    std::string_view v = header;
    auto scheme_is = [&](std::string_view s) {
      if (v.size() <= s.size() || v[s.size()] != ' ') return false;
      for (size_t i = 0; i < s.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(v[i])) != s[i]) return false;
      }
      return true;
    };
    auto malformed = [&](std::string reason) {
      r.outcome = Outcome::kBad;
      r.reason = std::move(reason);
      r.malformed = true;
      return r;
    };
    // The credentials after "Scheme ", without surrounding blanks.
    auto credentials = [&] {
      std::string_view t = v.substr(v.find(' ') + 1);
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
      return t;
    };
    auto is_token = [](std::string_view t) { return t.size() == 85 && t.substr(0, 4) == "kmt_"; };
    if (scheme_is("basic")) {
      std::string decoded;
      size_t colon;
      if (!DecodeCredentials(credentials(), &decoded) || (colon = decoded.find(':')) == std::string::npos)
        return malformed("malformed Basic credentials");
      std::string user = decoded.substr(0, colon), pw = decoded.substr(colon + 1);
      // A shipper may put an API token as the Basic password (any user name).
      if (is_token(pw)) return CheckToken(pw);
      return CheckPassword(user, pw, req.client);
    }
    if (scheme_is("bearer")) {
      std::string_view t = credentials();
      if (t.empty()) return malformed("no token after Bearer");
      return CheckToken(t);
    }
    if (scheme_is("apikey")) {
      // Elasticsearch API keys: Beats' `api_key: "id:key"` (and Fluent Bit, Vector, the official
      // clients) send "ApiKey base64(id:key)". The key is a kamatama token; the id is free (as
      // the Basic user name), or the token's 16-hex id with the key its 64-hex secret. A bare
      // token after ApiKey works too.
      std::string_view t = credentials();
      if (t.empty()) return malformed("no key after ApiKey");
      if (is_token(t)) return CheckToken(t);
      std::string decoded;
      size_t colon;
      if (!DecodeCredentials(t, &decoded) || (colon = decoded.find(':')) == std::string::npos)
        return malformed("malformed ApiKey credentials (expected base64 of id:key)");
      std::string_view id = std::string_view(decoded).substr(0, colon), key = std::string_view(decoded).substr(colon + 1);
      if (is_token(key)) return CheckToken(key);
      if (id.substr(0, 4) == "kmt_") id.remove_prefix(4);
      if (id.size() == 16 && key.size() == 64) return CheckToken("kmt_" + std::string(id) + "_" + std::string(key));
      return CheckToken(key);  // refused as a malformed token, counted like any bad credential
    }
    if (scheme_is("splunk")) {
      std::string_view t = credentials();
      if (t.empty()) return malformed("no token after Splunk");
      for (const auto& h : hec_tokens_) {
        if (ConstantTimeEqual(Sha256Hex(h), Sha256Hex(t))) {
          r.outcome = Outcome::kOk;
          r.who.name = "hec";
          r.who.method = "hec";
          r.who.perms = kPermIngest;
          return r;
        }
      }
      return CheckToken(t);
    }
    return malformed("unsupported Authorization scheme");
}

Authenticator::Result Authenticator::AuthenticateCookie(const std::string& cookie) {
  Result r;
  std::string id = CookieValue(cookie, CookieName());
  if (id.empty()) return r;
  const int64_t now = clock_();
  Session s;
  {
    std::lock_guard g(mu_);
    auto it = sessions_.find(Sha256Hex(id));
    if (it == sessions_.end() || now - it->second.last > opt_.session_idle_ns ||
        now - it->second.created > opt_.session_max_ns) {
      if (it != sessions_.end()) sessions_.erase(it);
      r.outcome = Outcome::kBad;
      r.reason = "session expired";
      return r;
    }
    it->second.last = now;
    s = it->second;
  }
  store_->MaybeReload();
  auto u = store_->FindUser(s.user);
  if (!u) {
    r.outcome = Outcome::kBad;
    r.reason = "user deleted";
    return r;
  }
  if (u->generation != s.generation) {
    // The password changed (through the API or `kamatama user passwd`): the session ends.
    std::lock_guard g(mu_);
    sessions_.erase(Sha256Hex(id));
    r.outcome = Outcome::kBad;
    r.reason = "session ended: the password changed";
    return r;
  }
  r.outcome = Outcome::kOk;
  r.who.name = u->name;
  r.who.role = u->role;  // the current role: a change applies to open sessions at once
  r.who.perms = RolePerms(u->role);
  r.who.method = "session";
  r.who.session_id = id;
  r.who.csrf = s.csrf;
  r.who.must_change = u->must_change;
  r.user = u->name;
  return r;
}

Authenticator::Result Authenticator::Authenticate(const Request& req) {
  if (const std::string* a = req.Header("authorization")) {
    // Every failed credential counts against the address (issue 19): bad tokens and malformed
    // headers too. Past auth.max_failures the address gets 429 without any check being made.
    const int64_t now = clock_();
    const std::string akey = AddressKey(req.client);
    {
      std::lock_guard g(mu_);
      int retry = 0;
      if (IsLocked(akey, now, &retry)) {
        Result r;
        r.outcome = Outcome::kLocked;
        r.retry_after_s = retry;
        r.reason = "address locked after repeated failures";
        return r;
      }
    }
    Result r = AuthenticateHeader(req, *a);
    if (r.outcome == Outcome::kBad && !r.counted) {
      std::lock_guard g(mu_);
      bool locked = false;
      Failed(akey, now, &locked, /*reserved=*/false);
      if (locked) r.locked_now = "address";
    }
    return r;
  }
  if (const std::string* c = req.Header("cookie")) return AuthenticateCookie(*c);
  return Result{};
}

Authenticator::Result Authenticator::Login(const std::string& user, const std::string& password,
                                           const std::string& client) {
  Result r = CheckPassword(user, password, client, /*login=*/true);
  if (r.outcome != Outcome::kOk) return r;
  std::string id = RandomHex(32);
  Session s;
  s.user = user;
  s.csrf = RandomHex(32);
  s.created = s.last = clock_();
  if (auto u = store_->FindUser(user)) s.generation = u->generation;
  {
    std::lock_guard g(mu_);
    if (sessions_.size() > 10000) {
      for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (s.last - it->second.last > opt_.session_idle_ns) it = sessions_.erase(it);
        else ++it;
      }
    }
    // At most max_sessions_per_user: a new one ends the user's least recently used.
    if (opt_.max_sessions_per_user > 0) {
      for (;;) {
        size_t n = 0;
        auto oldest = sessions_.end();
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
          if (it->second.user != user) continue;
          ++n;
          if (oldest == sessions_.end() || it->second.last < oldest->second.last) oldest = it;
        }
        if (static_cast<int>(n) < opt_.max_sessions_per_user || oldest == sessions_.end()) break;
        sessions_.erase(oldest);
        BumpEpoch();
      }
    }
    sessions_[Sha256Hex(id)] = s;
  }
  r.who.method = "session";
  r.who.session_id = id;
  r.who.csrf = s.csrf;
  return r;
}

void Authenticator::Logout(const std::string& session_id) {
  std::lock_guard g(mu_);
  sessions_.erase(Sha256Hex(session_id));
  BumpEpoch();
}

void Authenticator::EndSessions(const std::string& user) {
  std::lock_guard g(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.user == user) it = sessions_.erase(it);
    else ++it;
  }
  verified_.clear();
  BumpEpoch();
}

bool Authenticator::AllowSearch(const Principal& p, int* retry_s) {
  if (opt_.search_rate <= 0) return true;
  const int64_t now = clock_();
  std::lock_guard g(mu_);
  if (buckets_.size() > 100000) buckets_.clear();
  Bucket& b = buckets_[p.Key()];
  if (b.at == 0) b.tokens = opt_.search_burst;
  else b.tokens = std::min(opt_.search_burst, b.tokens + (now - b.at) / 1e9 * opt_.search_rate);
  b.at = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  *retry_s = std::max(1, static_cast<int>((1 - b.tokens) / opt_.search_rate + 0.999));
  return false;
}

std::string Authenticator::SessionCookie(const std::string& id) const {
  std::string c = std::string(CookieName()) + "=" + id + "; Path=/; HttpOnly; SameSite=Strict";
  if (opt_.secure_cookies) c += "; Secure";
  if (id.empty()) c += "; Max-Age=0";
  return c;
}

}  // namespace kamatama::server
