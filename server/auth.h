// server/auth.h
//! Authentication and authorisation (issue 8, docs/security.md): local users with roles, API
//! tokens with scopes, browser sessions with CSRF tokens, lock-out after repeated failures,
//! per-principal search rate limits, and the route table that says which permission every HTTP
//! route needs. Passwords are hashed with scrypt (OpenSSL EVP_PBE_scrypt); API tokens are 256-bit
//! random secrets stored as SHA-256 (a fast hash is enough for a secret that cannot be guessed).
//! Users and tokens live in `<data_dir>/auth.db`: a 0600 text file replaced by atomic rename.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace kamatama::server {

struct Request;

//! The clock the users/tokens file and the authenticator read: nanoseconds since the epoch.
//! NowNanos in the server; tests pass a clock they advance by hand (no sleeps).
using AuthClock = std::function<int64_t()>;

// ------------------------------------------------------------------ roles and permissions

enum Perm : uint32_t {
  kPermSearch = 1,   //!< search, histogram, fields, field names, sources
  kPermExport = 2,   //!< /api/v1/export
  kPermTail = 4,     //!< the live tail (WebSocket)
  kPermIngest = 8,   //!< /api/v1/ingest and the shipper dialects
  kPermAdmin = 16,   //!< users, tokens, settings; sees the kamatama.audit dataset
  kPermTriage = 32,  //!< works alerts: status, assignee, comments (issue 21)
};

enum class Role { kViewer, kAnalyst, kAdmin };
const char* RoleName(Role r);
bool ParseRole(std::string_view s, Role* out);
uint32_t RolePerms(Role r);
//! Permissions of a token scope ("ingest", "search", "admin"); 0 for an unknown scope.
uint32_t ScopePerms(std::string_view scope);
//! Human-readable list of permission names ("search,export").
std::string PermNames(uint32_t perms);

//! Who sent a request.
struct Principal {
  std::string name;      //!< user name, or the token's name
  std::string method;    //!< "session", "basic", "token", "hec"; empty = anonymous
  std::string token_id;  //!< for tokens
  Role role = Role::kViewer;
  uint32_t perms = 0;
  std::string session_id, csrf;  //!< for sessions
  bool must_change = false;      //!< a user who must change the password first (issue 19)
  bool authenticated() const { return !method.empty(); }
  bool Has(uint32_t p) const { return (perms & p) == p; }
  //! The key for per-principal limits ("user:alice", "token:ab12...").
  std::string Key() const { return token_id.empty() ? "user:" + name : "token:" + token_id; }
};

// ------------------------------------------------------------------ route table

//! What a route needs. `perm` == 0 with `auth` true: any authenticated principal.
struct RouteRule {
  const char* method;   //!< "GET", "POST", ... or "*"
  const char* pattern;  //!< exact path, or a prefix ending in '*'; "*/_bulk" = any index's _bulk
  bool auth;            //!< false: public
  uint32_t perm;
  const char* example;  //!< a concrete path for tests
  const char* what;
};
//! Every route the server answers, in match order (first match wins). Api::Handle consults it
//! for every request before dispatch; a path not in it needs authentication and answers 404.
const std::vector<RouteRule>& RouteTable();
//! The rule for a request (method and path; `GET /` depends on the Accept header, see
//! LooksLikeElasticClient). Null: not a known route (authentication required, then 404).
const RouteRule* FindRoute(const Request& req);

// ------------------------------------------------------------------ crypto helpers

//! The scrypt cost of new hashes: N = 2^17, r = 8, p = 1 (OWASP's minimum; 128 MiB and about
//! 0.3 s per derivation here). Hashes of a lower cost are redone at the next successful login.
inline constexpr int kScryptLogN = 17;
//! scrypt with N = 2^log_n, r = 8, p = 1 and a 16-byte random salt:
//! "$scrypt$ln=17,r=8,p=1$<salt hex>$<hash hex>". At most two derivations run at once (each
//! takes 128 * N * r bytes), so a burst of logins cannot take the server's memory.
std::string HashPassword(std::string_view password, int log_n = kScryptLogN);
bool VerifyPassword(std::string_view password, std::string_view encoded);
//! Key derivations run so far by this process (tests: a refused password ran none).
uint64_t KdfRuns();
//! The log2(N) of an encoded hash (0 if unreadable).
int HashLogN(std::string_view encoded);
std::string RandomHex(size_t bytes);
std::string Sha256Hex(std::string_view data);
bool ConstantTimeEqual(std::string_view a, std::string_view b);
//! Names of users and tokens: 1 to 64 of [A-Za-z0-9._@-].
bool ValidName(std::string_view name);
//! Password policy: at least 8 bytes, at most 1024.
bool ValidPassword(std::string_view pw, std::string* why);

// ------------------------------------------------------------------ the users/tokens file

struct UserRecord {
  std::string name;
  Role role = Role::kViewer;
  std::string hash;
  int64_t created_ns = 0;
  //! Bumped by every password change (not by a rehash at a higher cost): a session is bound to
  //! the generation it was opened under, so a change by the API or the CLI ends it (issue 19).
  int64_t generation = 0;
  //! The first admin's generated password must be changed before anything else (issue 19).
  bool must_change = false;
};

struct TokenRecord {
  std::string id;  //!< 16 hex digits, public (shown in lists, used to revoke)
  std::string name;
  std::vector<std::string> scopes;
  std::string hash;  //!< SHA-256 hex of the secret part
  int64_t created_ns = 0;
  int64_t expires_ns = 0;  //!< 0 = never
  std::string created_by;
  uint32_t Perms() const;
};

//! The users and tokens file. Every change takes an exclusive lock (flock on `<path>.lock`),
//! re-reads the file, applies the change and writes a new file (0600) renamed over the old one,
//! so the CLI and a running server can both change it. Thread-safe.
class AuthStore {
 public:
  explicit AuthStore(std::string path, AuthClock clock = NowNanos) : path_(std::move(path)), clock_(std::move(clock)) {}
  //! Reads the file; a missing file is empty.
  Status Load();
  //! Re-reads the file if it changed on disk (at most once a second).
  void MaybeReload();

  Status AddUser(const std::string& name, Role role, const std::string& password);
  //! A new password (a new generation: the user's sessions end); clears must_change.
  Status SetPassword(const std::string& name, const std::string& password);
  //! Replaces the hash by one of the current cost, if the user still has `old_hash`. The
  //! generation stays: open sessions go on.
  Status Rehash(const std::string& name, const std::string& old_hash, const std::string& password);
  //! Marks a user as having to change the password before anything else.
  Status SetMustChange(const std::string& name, bool must_change);
  Status SetRole(const std::string& name, Role role);
  Status DeleteUser(const std::string& name);
  //! Creates a token; *secret is the full token string (shown once): "kmt_<id>_<secret>".
  Status CreateToken(const std::string& name, const std::vector<std::string>& scopes, int64_t expires_ns,
                     const std::string& created_by, std::string* secret, TokenRecord* rec);
  Status RevokeToken(const std::string& id);

  std::vector<UserRecord> Users() const;
  std::vector<TokenRecord> Tokens() const;
  std::optional<UserRecord> FindUser(const std::string& name) const;
  std::optional<TokenRecord> FindToken(const std::string& id) const;
  size_t UserCount() const;
  const std::string& path() const { return path_; }
  //! Moves with every change read or made (tails re-check their credentials when it does).
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  //! Scrypt cost for new hashes (tests lower it).
  void set_log_n(int n) { log_n_ = n; }

 private:
  template <class F>
  Status Mutate(F&& change);
  Status ReadLocked(std::map<std::string, UserRecord>* users, std::map<std::string, TokenRecord>* tokens) const;
  Status WriteLocked(const std::map<std::string, UserRecord>& users,
                     const std::map<std::string, TokenRecord>& tokens) const;

  std::string path_;
  AuthClock clock_;
  int log_n_ = kScryptLogN;
  mutable std::mutex mu_;
  std::map<std::string, UserRecord> users_;
  std::map<std::string, TokenRecord> tokens_;
  int64_t mtime_ns_ = -1;
  std::atomic<uint64_t> version_{0};
  int64_t checked_at_ = 0;
};

// ------------------------------------------------------------------ the authenticator

struct AuthOptions {
  int64_t session_idle_ns = 30LL * 60 * 1'000'000'000;     //!< a session unused this long ends
  int64_t session_max_ns = 12LL * 3600 * 1'000'000'000;    //!< and every session after this long
  //! Failed attempts before a lock-out: of one user from one address, and of any credential
  //! (passwords, tokens, malformed headers) from one address.
  int max_failures = 10;
  int64_t failure_window_ns = 15LL * 60 * 1'000'000'000;   //!< failures counted over this window
  //! How long the first lock-out lasts; each further one of the same key doubles it (to 64x).
  int64_t lockout_ns = 60LL * 1'000'000'000;
  int max_sessions_per_user = 20;                           //!< the oldest session ends past this
  double login_rate = 1;                                    //!< password checks per second per user
  double login_burst = 10;
  //! Failed credentials from one address are audited once at once, then as one line with a count
  //! per this interval (issue 19).
  int64_t failure_audit_interval_ns = 60LL * 1'000'000'000;
  double search_rate = 50;                                  //!< searches per second per principal (0: no limit)
  double search_burst = 200;                                //!< bucket size
  bool metrics_anonymous = false;                           //!< /metrics without authentication
  bool secure_cookies = false;                              //!< Secure flag (set under HTTPS)
};

class Authenticator {
 public:
  Authenticator(AuthStore* store, AuthOptions opt, std::vector<std::string> hec_tokens = {},
                AuthClock clock = NowNanos)
      : store_(store), opt_(std::move(opt)), hec_tokens_(std::move(hec_tokens)), clock_(std::move(clock)) {}

  //! With no users: creates "admin" with KAMATAMA_ADMIN_PASSWORD, or a random password returned
  //! in *generated (to be logged once). *created says whether a user was made.
  Status Bootstrap(std::string* generated, bool* created);

  enum class Outcome { kOk, kNone, kBad, kLocked };
  struct Result {
    Outcome outcome = Outcome::kNone;
    Principal who;
    std::string user;    //!< the user name tried (for the audit), if any
    std::string reason;  //!< for failures
    //! "user", "address" or "user,address" when this failure started a lock-out (issue 10).
    std::string locked_now;
    //! The Authorization header itself is unusable (unknown scheme, undecodable Basic or
    //! ApiKey, no credentials after the scheme), as opposed to well-formed but wrong
    //! credentials. The HEC answers the first with code 3, the second with code 4, as Splunk.
    bool malformed = false;
    //! Seconds until a lock-out ends (Retry-After), for kLocked.
    int retry_after_s = 0;
    //! The failure was already counted toward the lock-outs (password checks count their own).
    bool counted = false;
  };
  //! Credentials of a request: session cookie, Authorization Basic/Bearer/ApiKey, or (HEC) Splunk.
  Result Authenticate(const Request& req);
  //! A login with a password (POST /api/v1/login): on success a new session.
  Result Login(const std::string& user, const std::string& password, const std::string& client);
  void Logout(const std::string& session_id);
  //! Ends every session of a user (password change, deletion).
  void EndSessions(const std::string& user);
  //! Counts a change of any credential (session ended, token revoked, user changed or deleted,
  //! the users file reloaded): open live tails re-check theirs when it moves (issue 19).
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire) + store_->version(); }
  void BumpEpoch() { epoch_.fetch_add(1, std::memory_order_acq_rel); }
  //! Token bucket of searches for the principal; false when over the rate (*retry_s to wait).
  bool AllowSearch(const Principal& p, int* retry_s);
  //! The session cookie's name: "__Host-kamatama_session" with secure cookies (HTTPS, or
  //! auth.secure_cookies behind a TLS proxy), so that no other host or path can set it (issue 19);
  //! "kamatama_session" over plain HTTP, where the __Host- prefix is refused by browsers.
  const char* CookieName() const { return opt_.secure_cookies ? "__Host-kamatama_session" : "kamatama_session"; }
  //! The Set-Cookie value for a session (or to clear it when id is empty).
  std::string SessionCookie(const std::string& id) const;
  const AuthOptions& options() const { return opt_; }
  AuthStore* store() { return store_; }

 private:
  //! `login`: a new session is asked for (rate-limited per user even when the pair is cached).
  Result CheckPassword(const std::string& user, const std::string& password, const std::string& client, bool login = false);
  Result CheckToken(std::string_view token);
  Result AuthenticateHeader(const Request& req, std::string_view header);
  Result AuthenticateCookie(const std::string& cookie);
  // Lock-out bookkeeping (under mu_). Reserve counts an attempt before its verdict, so parallel
  // guesses cannot pass the limit while a KDF runs; Failed keeps it and may start a lock-out;
  // Forget drops the reservation after a success.
  bool IsLocked(const std::string& key, int64_t now, int* retry_s = nullptr);
  bool Reserve(const std::string& key, int64_t now);
  void Failed(const std::string& key, int64_t now, bool* now_locked, bool reserved = true);
  void Forget(const std::string& key);
  void PruneFailures(int64_t now);
  bool AllowLogin(const std::string& user, int64_t now);

  struct Session {
    std::string user, csrf;
    int64_t created = 0, last = 0;
    int64_t generation = 0;  //!< the user's password generation at login
  };
  struct Failures {
    std::vector<int64_t> times;
    int pending = 0;  //!< attempts reserved whose verdict is not in yet
    int64_t locked_until = 0;
    int lockouts = 0;  //!< lock-outs so far (each doubles the next)
  };
  struct Bucket {
    double tokens = 0;
    int64_t at = 0;
  };
  AuthStore* store_;
  AuthOptions opt_;
  std::vector<std::string> hec_tokens_;
  AuthClock clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Session> sessions_;
  std::unordered_map<std::string, Failures> failures_;
  std::unordered_map<std::string, Bucket> buckets_;
  //! Verified (user, password) pairs: SHA-256(pepper, user, password) -> (hash, expiry), so
  //! scripts using Basic do not pay the KDF on every request.
  std::unordered_map<std::string, std::pair<std::string, int64_t>> verified_;
  std::string pepper_ = RandomHex(32);
  std::unordered_map<std::string, Bucket> login_buckets_;
  std::atomic<uint64_t> epoch_{0};
};

}  // namespace kamatama::server
