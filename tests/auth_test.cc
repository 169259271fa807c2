// tests/auth_test.cc: unit tests of server/auth.h: the scrypt KDF, the users/tokens file,
// tokens, sessions, lock-out, rate limits and the route table.
#include "server/auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "core/time.h"
#include "server/api.h"
#include "server/config.h"

namespace kamatama::server {
namespace {

std::filesystem::path TmpDir() {
  return std::filesystem::temp_directory_path() / ("kmt_auth_" + std::to_string(::getpid()));
}

// The directory TmpFile fills is removed once the test program's tests have run (it was left
// behind by every run).
class TmpDirCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(TmpDir(), ec);
  }
};
[[maybe_unused]] ::testing::Environment* const kTmpDirCleanup =
    ::testing::AddGlobalTestEnvironment(new TmpDirCleanup);

std::string TmpFile(const std::string& name) {
  auto dir = TmpDir();
  std::filesystem::create_directories(dir);
  std::string p = (dir / name).string();
  std::filesystem::remove(p);
  return p;
}

//! A clock the test advances by hand (AuthClock): starts at the real time, so records made
//! with it look like any others; no test sleeps to let time pass.
struct ManualClock {
  std::shared_ptr<std::atomic<int64_t>> ns = std::make_shared<std::atomic<int64_t>>(NowNanos());
  AuthClock fn() const {
    return [n = ns] { return n->load(); };
  }
  void Advance(int64_t d) { ns->fetch_add(d); }
  int64_t now() const { return ns->load(); }
};
constexpr int64_t kMs = 1'000'000;

std::string Slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Kdf, HashesAreSaltedAndVerify) {
  std::string h1 = HashPassword("correct horse", 10), h2 = HashPassword("correct horse", 10);
  EXPECT_EQ(h1.rfind("$scrypt$ln=10,r=8,p=1$", 0), 0u) << h1;
  EXPECT_NE(h1, h2) << "a random salt per hash";
  EXPECT_TRUE(VerifyPassword("correct horse", h1));
  EXPECT_FALSE(VerifyPassword("correct horsE", h1));
  EXPECT_FALSE(VerifyPassword("", h1));
  EXPECT_FALSE(VerifyPassword("correct horse", "$scrypt$garbage"));
  EXPECT_FALSE(VerifyPassword("correct horse", "plain"));
  EXPECT_EQ(h1.find("correct"), std::string::npos);
}

TEST(Kdf, DefaultCostIsSlow) {
  // The default cost is what makes a guess slow (N = 2^17, r = 8: 128 MiB per derivation): the
  // hash records the parameters it was made with, and one derivation ran per hash and check. The
  // time is printed for the docs, not asserted (no timed assertions in ctest).
  const uint64_t kdfs = KdfRuns();
  auto t0 = std::chrono::steady_clock::now();
  std::string h = HashPassword("x-password");
  auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(h.rfind("$scrypt$ln=17,r=8,p=1$", 0), 0u) << h;
  EXPECT_EQ(HashLogN(h), 17);
  EXPECT_TRUE(VerifyPassword("x-password", h));
  EXPECT_EQ(KdfRuns(), kdfs + 2);
  std::printf("scrypt ln=17 r=8 p=1: %.1f ms per hash\n", std::chrono::duration<double, std::milli>(t1 - t0).count());
}

TEST(Crypto, HelpersBehave) {
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
  std::string out;
  ASSERT_TRUE(Base64Decode(Base64Encode("admin:pa:ss"), &out));
  EXPECT_EQ(out, "admin:pa:ss");
  ASSERT_TRUE(Base64Decode("YQ", &out));  // padding optional
  EXPECT_EQ(out, "a");
  EXPECT_FALSE(Base64Decode("!!!!", &out));
  EXPECT_EQ(RandomHex(16).size(), 32u);
  EXPECT_NE(RandomHex(16), RandomHex(16));
  EXPECT_TRUE(ValidName("alice.b-c_d@x"));
  EXPECT_FALSE(ValidName("a b"));
  EXPECT_FALSE(ValidName("a\tb"));
  EXPECT_FALSE(ValidName(""));
}

TEST(AuthStoreTest, UsersAndTokensPersistHashedWith0600) {
  std::string path = TmpFile("users.db");
  {
    AuthStore st(path);
    st.set_log_n(10);
    ASSERT_TRUE(st.Load().ok());
    ASSERT_TRUE(st.AddUser("alice", Role::kAnalyst, "alice-password").ok());
    EXPECT_FALSE(st.AddUser("alice", Role::kViewer, "another-password").ok()) << "duplicate";
    EXPECT_FALSE(st.AddUser("bob", Role::kViewer, "short").ok()) << "password policy";
    EXPECT_FALSE(st.AddUser("b\tob", Role::kViewer, "long-enough").ok()) << "name policy";
    ASSERT_TRUE(st.AddUser("root", Role::kAdmin, "root-password").ok());
    EXPECT_FALSE(st.DeleteUser("root").ok()) << "the last admin stays";
    EXPECT_FALSE(st.SetRole("root", Role::kViewer).ok()) << "the last admin stays admin";
    std::string secret;
    TokenRecord rec;
    EXPECT_FALSE(st.CreateToken("fw", {"write"}, 0, "root", &secret, &rec).ok()) << "unknown scope";
    ASSERT_TRUE(st.CreateToken("fw", {"ingest"}, 0, "root", &secret, &rec).ok());
    EXPECT_EQ(secret.rfind("kmt_" + rec.id + "_", 0), 0u);
    EXPECT_EQ(secret.size(), 85u);
    std::string file = Slurp(path);
    EXPECT_EQ(file.find("alice-password"), std::string::npos);
    EXPECT_EQ(file.find(secret.substr(21)), std::string::npos) << "only the token's hash is stored";
    EXPECT_NE(file.find(Sha256Hex(secret.substr(21))), std::string::npos);
    struct stat sb{};
    ASSERT_EQ(::stat(path.c_str(), &sb), 0);
    EXPECT_EQ(sb.st_mode & 0777, 0600u);
  }
  AuthStore again(path);
  ASSERT_TRUE(again.Load().ok());
  ASSERT_EQ(again.Users().size(), 2u);
  auto alice = again.FindUser("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->role, Role::kAnalyst);
  EXPECT_TRUE(VerifyPassword("alice-password", alice->hash));
  ASSERT_EQ(again.Tokens().size(), 1u);
  EXPECT_EQ(again.Tokens()[0].scopes, std::vector<std::string>{"ingest"});
  ASSERT_TRUE(again.RevokeToken(again.Tokens()[0].id).ok());
  EXPECT_TRUE(again.Tokens().empty());
}

Request Req(const std::string& auth, const std::string& cookie = "") {
  Request r;
  r.method = "GET";
  r.path = "/api/v1/search";
  r.client = "192.0.2.1";
  if (!auth.empty()) r.headers.emplace("authorization", auth);
  if (!cookie.empty()) r.headers.emplace("cookie", cookie);
  return r;
}

TEST(AuthenticatorTest, BasicBearerAndSessions) {
  std::string path = TmpFile("a.db");
  ManualClock clock;
  AuthStore st(path, clock.fn());
  st.set_log_n(10);
  ASSERT_TRUE(st.Load().ok());
  ASSERT_TRUE(st.AddUser("vic", Role::kViewer, "vic-password").ok());
  AuthOptions opt;
  opt.session_idle_ns = 300 * kMs;
  Authenticator auth(&st, opt, {"hec-secret"}, clock.fn());
  using O = Authenticator::Outcome;
  EXPECT_EQ(auth.Authenticate(Req("")).outcome, O::kNone);
  auto r = auth.Authenticate(Req("Basic " + Base64Encode("vic:vic-password")));
  ASSERT_EQ(r.outcome, O::kOk);
  EXPECT_EQ(r.who.name, "vic");
  EXPECT_EQ(r.who.perms, RolePerms(Role::kViewer));
  EXPECT_EQ(auth.Authenticate(Req("Basic " + Base64Encode("vic:wrong"))).outcome, O::kBad);
  EXPECT_EQ(auth.Authenticate(Req("Basic " + Base64Encode("nobody:vic-password"))).outcome, O::kBad);
  EXPECT_EQ(auth.Authenticate(Req("Basic !!")).outcome, O::kBad);
  EXPECT_EQ(auth.Authenticate(Req("Digest x")).outcome, O::kBad);

  std::string tok;
  TokenRecord rec;
  ASSERT_TRUE(st.CreateToken("shipper", {"ingest"}, 0, "t", &tok, &rec).ok());
  r = auth.Authenticate(Req("Bearer " + tok));
  ASSERT_EQ(r.outcome, O::kOk);
  EXPECT_EQ(r.who.perms, static_cast<uint32_t>(kPermIngest)) << "an ingest token cannot read";
  EXPECT_EQ(auth.Authenticate(Req("Basic " + Base64Encode("x:" + tok))).outcome, O::kOk) << "token as Basic password";
  std::string forged = tok;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(auth.Authenticate(Req("Bearer " + forged)).outcome, O::kBad);
  EXPECT_EQ(auth.Authenticate(Req("Splunk hec-secret")).outcome, O::kOk);
  EXPECT_EQ(auth.Authenticate(Req("Splunk " + tok)).outcome, O::kOk);
  EXPECT_EQ(auth.Authenticate(Req("Splunk nope")).outcome, O::kBad);
  ASSERT_TRUE(st.CreateToken("short", {"search"}, clock.now() + 200 * kMs, "t", &tok, &rec).ok());
  clock.Advance(199 * kMs);
  EXPECT_EQ(auth.Authenticate(Req("Bearer " + tok)).outcome, O::kOk) << "1 ms before its expiry";
  clock.Advance(1 * kMs);
  EXPECT_EQ(auth.Authenticate(Req("Bearer " + tok)).outcome, O::kBad) << "expired at its expiry time";

  auto login = auth.Login("vic", "vic-password", "192.0.2.1");
  ASSERT_EQ(login.outcome, O::kOk);
  std::string cookie = "other=1; kamatama_session=" + login.who.session_id;
  r = auth.Authenticate(Req("", cookie));
  ASSERT_EQ(r.outcome, O::kOk);
  EXPECT_EQ(r.who.method, "session");
  EXPECT_EQ(r.who.csrf, login.who.csrf);
  EXPECT_EQ(auth.Authenticate(Req("", "kamatama_session=deadbeef")).outcome, O::kBad);
  clock.Advance(300 * kMs);
  EXPECT_EQ(auth.Authenticate(Req("", cookie)).outcome, O::kOk) << "used again exactly at the idle limit";
  clock.Advance(300 * kMs);
  EXPECT_EQ(auth.Authenticate(Req("", cookie)).outcome, O::kOk) << "each use restarts the idle time";
  clock.Advance(300 * kMs + 1);
  EXPECT_EQ(auth.Authenticate(Req("", cookie)).outcome, O::kBad) << "idle expiry";
  login = auth.Login("vic", "vic-password", "192.0.2.1");
  cookie = "kamatama_session=" + login.who.session_id;
  auth.Logout(login.who.session_id);
  EXPECT_EQ(auth.Authenticate(Req("", cookie)).outcome, O::kBad) << "logged out";
  std::string c = auth.SessionCookie("abc");
  EXPECT_NE(c.find("HttpOnly"), std::string::npos);
  EXPECT_NE(c.find("SameSite=Strict"), std::string::npos);
}

TEST(AuthenticatorTest, ElasticsearchApiKeyAndMalformedHeaders) {
  AuthStore st(TmpFile("apikey.db"));
  st.set_log_n(10);
  ASSERT_TRUE(st.Load().ok());
  AuthOptions opt;
  opt.max_failures = 0;  // this test classifies many bad headers from one address
  Authenticator auth(&st, opt, {"hec-secret"});
  using O = Authenticator::Outcome;
  std::string tok;
  TokenRecord rec;
  ASSERT_TRUE(st.CreateToken("winlogbeat", {"ingest"}, 0, "t", &tok, &rec).ok());
  // Beats' `api_key: "<id>:<key>"` is sent as "ApiKey base64(id:key)": the key is the token and
  // the id is free, as the Basic user name is.
  auto r = auth.Authenticate(Req("ApiKey " + Base64Encode("winlogbeat:" + tok)));
  ASSERT_EQ(r.outcome, O::kOk) << r.reason;
  EXPECT_EQ(r.who.perms, static_cast<uint32_t>(kPermIngest));
  EXPECT_EQ(r.who.token_id, rec.id);
  EXPECT_EQ(r.who.method, "token");
  // ... or the token split as Elasticsearch shows a key: its id and its secret.
  r = auth.Authenticate(Req("ApiKey " + Base64Encode(tok.substr(4, 16) + ":" + tok.substr(21))));
  ASSERT_EQ(r.outcome, O::kOk) << r.reason;
  EXPECT_EQ(r.who.token_id, rec.id);
  EXPECT_EQ(auth.Authenticate(Req("ApiKey " + Base64Encode(tok.substr(0, 20) + ":" + tok.substr(21)))).outcome, O::kOk)
      << "the id may keep its kmt_ prefix";
  EXPECT_EQ(auth.Authenticate(Req("ApiKey " + tok)).outcome, O::kOk) << "a bare token";
  std::string forged = tok;
  forged.back() = forged.back() == '0' ? '1' : '0';
  r = auth.Authenticate(Req("ApiKey " + Base64Encode("winlogbeat:" + forged)));
  EXPECT_EQ(r.outcome, O::kBad);
  EXPECT_FALSE(r.malformed) << "well-formed, wrong key";
  r = auth.Authenticate(Req("ApiKey " + Base64Encode(tok.substr(4, 16) + ":" + std::string(64, 'a'))));
  EXPECT_EQ(r.outcome, O::kBad);
  EXPECT_FALSE(r.malformed);

  // Malformed headers (the HEC answers them with code 3) against wrong credentials (code 4).
  const std::vector<std::string> malformed = {"ApiKey !!!", "ApiKey " + Base64Encode("no colon"), "Basic !!", "Digest x",
                                              tok, "Splunk ", "Bearer  ", "ApiKey"};
  for (const auto& h : malformed) {
    r = auth.Authenticate(Req(h));
    EXPECT_EQ(r.outcome, O::kBad) << h;
    EXPECT_TRUE(r.malformed) << h;
  }
  const std::vector<std::string> wrong = {"Splunk nope", "Bearer " + forged, "Basic " + Base64Encode("x:" + forged)};
  for (const auto& h : wrong) {
    r = auth.Authenticate(Req(h));
    EXPECT_EQ(r.outcome, O::kBad) << h;
    EXPECT_FALSE(r.malformed) << h;
  }
  EXPECT_EQ(auth.Authenticate(Req("Splunk hec-secret")).outcome, O::kOk);
  EXPECT_EQ(auth.Authenticate(Req("splunk  " + tok + " ")).outcome, O::kOk) << "scheme case and blanks";
}

TEST(AuthenticatorTest, LockOutAfterRepeatedFailures) {
  ManualClock clock;
  AuthStore st(TmpFile("lock.db"), clock.fn());
  st.set_log_n(10);
  ASSERT_TRUE(st.Load().ok());
  ASSERT_TRUE(st.AddUser("eve", Role::kViewer, "eve-password").ok());
  AuthOptions opt;
  opt.max_failures = 5;
  opt.lockout_ns = 500 * kMs;
  opt.login_rate = 0;  // the per-user login rate is tested below
  Authenticator auth(&st, opt, {}, clock.fn());
  using O = Authenticator::Outcome;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(auth.Login("eve", "wrong-" + std::to_string(i), "198.51.100.7").outcome, O::kBad);
  auto r = auth.Login("eve", "eve-password", "198.51.100.7");
  EXPECT_EQ(r.outcome, O::kLocked) << "eve is locked at the guessing address";
  EXPECT_GE(r.retry_after_s, 1);
  // Issue 19: the lock is per (user, address): a stranger guessing cannot lock eve out elsewhere.
  EXPECT_EQ(auth.Login("eve", "eve-password", "198.51.100.8").outcome, O::kOk) << "eve from her own address";
  EXPECT_EQ(auth.Login("other", "x-password", "198.51.100.7").outcome, O::kLocked) << "the guessing address is locked";
  clock.Advance(499 * kMs);
  EXPECT_EQ(auth.Login("eve", "eve-password", "198.51.100.7").outcome, O::kLocked) << "1 ms before the lock-out ends";
  clock.Advance(1 * kMs);
  EXPECT_EQ(auth.Login("eve", "eve-password", "198.51.100.7").outcome, O::kOk) << "the lock-out ends after 0.5 s";
  // A second lock-out of the same key lasts twice as long (backoff).
  for (int i = 0; i < 5; ++i) EXPECT_EQ(auth.Login("eve", "again-" + std::to_string(i), "198.51.100.9").outcome, O::kBad);
  EXPECT_EQ(auth.Login("eve", "eve-password", "198.51.100.9").outcome, O::kLocked);
  clock.Advance(500 * kMs);
  EXPECT_EQ(auth.Login("eve", "eve-password", "198.51.100.9").outcome, O::kOk) << "first lock of .9: 0.5 s";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(auth.Login("eve", "third-" + std::to_string(i), "198.51.100.9").outcome, O::kBad);
  r = auth.Login("eve", "eve-password", "198.51.100.9");
  EXPECT_EQ(r.outcome, O::kLocked);
  clock.Advance(999 * kMs);
  EXPECT_EQ(auth.Login("eve", "eve-password", "198.51.100.9").outcome, O::kLocked) << "the second lock lasts 1 s";
  clock.Advance(1 * kMs);
  EXPECT_EQ(auth.Login("eve", "eve-password", "198.51.100.9").outcome, O::kOk) << "and no longer";
}

// Issue 19: bad tokens and malformed headers count against the address like bad passwords; past
// the limit the address gets 429 (kLocked) without any check, valid token or not.
TEST(AuthenticatorTest, EveryFailedCredentialCountsPerAddress) {
  AuthStore st(TmpFile("tokfail.db"));
  st.set_log_n(10);
  ASSERT_TRUE(st.Load().ok());
  std::string tok;
  TokenRecord rec;
  ASSERT_TRUE(st.CreateToken("s", {"search"}, 0, "t", &tok, &rec).ok());
  AuthOptions opt;
  opt.max_failures = 10;
  Authenticator auth(&st, opt);
  using O = Authenticator::Outcome;
  Request bad = Req("Bearer kmt_0000000000000000_" + std::string(64, 'a'));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(auth.Authenticate(bad).outcome, O::kBad) << i;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(auth.Authenticate(Req("Digest nonsense")).outcome, O::kBad) << i;
  auto r = auth.Authenticate(bad);
  EXPECT_EQ(r.outcome, O::kLocked) << "the 11th attempt from the address";
  EXPECT_EQ(auth.Authenticate(Req("Bearer " + tok)).outcome, O::kLocked) << "no check at all while locked";
  Request elsewhere = Req("Bearer " + tok);
  elsewhere.client = "192.0.2.77";
  EXPECT_EQ(auth.Authenticate(elsewhere).outcome, O::kOk) << "other addresses are not affected";
}

// Issue 19: the attempt is reserved before the KDF, so parallel guesses cannot exceed the limit
// (before: 15 of 15 parallel guesses were checked where 8 were allowed).
TEST(AuthenticatorTest, ParallelGuessesCannotPassTheLimit) {
  AuthStore st(TmpFile("race.db"));
  st.set_log_n(14);  // each check takes a few milliseconds: the guesses overlap
  ASSERT_TRUE(st.Load().ok());
  ASSERT_TRUE(st.AddUser("admin2", Role::kAdmin, "the-right-password").ok());
  AuthOptions opt;
  opt.max_failures = 8;
  opt.login_rate = 0;
  Authenticator auth(&st, opt);
  using O = Authenticator::Outcome;
  std::atomic<int> checked{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 15; ++i) {
    threads.emplace_back([&, i] {
      auto r = auth.Login("admin2", "guess-" + std::to_string(i), "203.0.113.5");
      (r.outcome == O::kBad ? checked : refused)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(checked.load(), 8) << "guesses checked";
  EXPECT_EQ(checked + refused, 15);
  EXPECT_GE(refused.load(), 7);
}

// Issue 19: sessions are bound to the password's generation: a change made through another
// AuthStore on the same file (what `kamatama user passwd` does) ends them; a rehash does not.
TEST(AuthenticatorTest, PasswordChangeFromTheCommandLineEndsSessions) {
  std::string path = TmpFile("gen.db");
  ManualClock clock;
  AuthStore st(path, clock.fn());
  st.set_log_n(10);
  ASSERT_TRUE(st.Load().ok());
  ASSERT_TRUE(st.AddUser("ann", Role::kAnalyst, "ann-password-1").ok());
  AuthOptions opt;
  Authenticator auth(&st, opt, {}, clock.fn());
  using O = Authenticator::Outcome;
  auto login = auth.Login("ann", "ann-password-1", "192.0.2.1");
  ASSERT_EQ(login.outcome, O::kOk);
  std::string cookie = "kamatama_session=" + login.who.session_id;
  ASSERT_EQ(auth.Authenticate(Req("", cookie)).outcome, O::kOk);
  const uint64_t epoch = auth.epoch();
  AuthStore cli(path);  // the command line, another process in real life
  cli.set_log_n(10);
  ASSERT_TRUE(cli.Load().ok());
  ASSERT_TRUE(cli.SetPassword("ann", "ann-password-2").ok());
  EXPECT_EQ(cli.FindUser("ann")->generation, 1);
  // The server re-reads the file at most once a second.
  clock.Advance(999 * kMs);
  EXPECT_EQ(auth.Authenticate(Req("", cookie)).outcome, O::kOk) << "within the second, the file is not re-read";
  clock.Advance(1 * kMs);
  auto r = auth.Authenticate(Req("", cookie));
  EXPECT_EQ(r.outcome, O::kBad) << "the old session ended";
  EXPECT_NE(r.reason.find("password changed"), std::string::npos) << r.reason;
  EXPECT_NE(auth.epoch(), epoch) << "open tails see the change";
  // A rehash at a higher cost keeps the generation, and so the sessions.
  login = auth.Login("ann", "ann-password-2", "192.0.2.1");
  ASSERT_EQ(login.outcome, O::kOk);
  cookie = "kamatama_session=" + login.who.session_id;
  auto u = st.FindUser("ann");
  ASSERT_TRUE(st.Rehash("ann", u->hash, "ann-password-2").ok());
  EXPECT_EQ(st.FindUser("ann")->generation, 1);
  EXPECT_EQ(auth.Authenticate(Req("", cookie)).outcome, O::kOk);
}

// Issue 19: hashes of a lower cost are redone at the current cost at the next login; passwords
// over 1,024 bytes are refused without running the KDF.
TEST(AuthenticatorTest, OldHashesAreUpgradedAndHugePasswordsRefused) {
  AuthStore st(TmpFile("rehash.db"));
  st.set_log_n(10);
  ASSERT_TRUE(st.Load().ok());
  ASSERT_TRUE(st.AddUser("old", Role::kViewer, "old-password").ok());
  EXPECT_EQ(HashLogN(st.FindUser("old")->hash), 10);
  st.set_log_n(kScryptLogN);
  Authenticator auth(&st, AuthOptions{});
  ASSERT_EQ(auth.Login("old", "old-password", "192.0.2.1").outcome, Authenticator::Outcome::kOk);
  EXPECT_EQ(HashLogN(st.FindUser("old")->hash), kScryptLogN) << "rehashed at 2^17";
  EXPECT_EQ(kScryptLogN, 17);
  const uint64_t kdfs = KdfRuns();
  auto r = auth.Login("old", std::string(1'000'000, 'x'), "192.0.2.1");
  EXPECT_EQ(r.outcome, Authenticator::Outcome::kBad);
  EXPECT_EQ(KdfRuns(), kdfs) << "no key derivation for a password over 1,024 bytes";
  ASSERT_EQ(auth.Login("old", "old-passworX", "192.0.2.1").outcome, Authenticator::Outcome::kBad);
  EXPECT_EQ(KdfRuns(), kdfs + 1) << "a wrong password of a normal size is checked";
}

// Issue 19: at most max_sessions_per_user sessions; a new one ends the least recently used.
TEST(AuthenticatorTest, SessionsPerUserAreCapped) {
  ManualClock clock;
  AuthStore st(TmpFile("cap.db"), clock.fn());
  st.set_log_n(10);
  ASSERT_TRUE(st.Load().ok());
  ASSERT_TRUE(st.AddUser("bob", Role::kViewer, "bob-password").ok());
  AuthOptions opt;
  opt.max_sessions_per_user = 3;
  opt.login_rate = 0;
  Authenticator auth(&st, opt, {}, clock.fn());
  std::vector<std::string> cookies;
  for (int i = 0; i < 5; ++i) {
    auto l = auth.Login("bob", "bob-password", "192.0.2.1");
    ASSERT_EQ(l.outcome, Authenticator::Outcome::kOk);
    cookies.push_back("kamatama_session=" + l.who.session_id);
    clock.Advance(1 * kMs);
  }
  int alive = 0;
  for (const auto& c : cookies) alive += auth.Authenticate(Req("", c)).outcome == Authenticator::Outcome::kOk;
  EXPECT_EQ(alive, 3);
  EXPECT_EQ(auth.Authenticate(Req("", cookies.back())).outcome, Authenticator::Outcome::kOk) << "the newest lives";
  EXPECT_NE(auth.Authenticate(Req("", cookies.front())).outcome, Authenticator::Outcome::kOk) << "the oldest ended";
  // Logins per user are rate-limited (a bucket of login_burst, refilled at login_rate).
  AuthOptions limited;
  limited.login_rate = 0.01;
  limited.login_burst = 3;
  Authenticator slow(&st, limited, {}, clock.fn());
  int ok = 0, locked = 0;
  for (int i = 0; i < 6; ++i) {
    auto l = slow.Login("bob", "bob-password", "192.0.2.1");
    ok += l.outcome == Authenticator::Outcome::kOk;
    locked += l.outcome == Authenticator::Outcome::kLocked;
  }
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(locked, 3);
  clock.Advance(50'000 * kMs);  // half a check at 0.01 per second
  EXPECT_EQ(slow.Login("bob", "bob-password", "192.0.2.1").outcome, Authenticator::Outcome::kLocked);
  clock.Advance(60'000 * kMs);  // 1.1 checks
  EXPECT_EQ(slow.Login("bob", "bob-password", "192.0.2.1").outcome, Authenticator::Outcome::kOk) << "refilled";
}

TEST(AuthenticatorTest, SearchRateLimit) {
  ManualClock clock;
  AuthStore st(TmpFile("rate.db"), clock.fn());
  ASSERT_TRUE(st.Load().ok());
  AuthOptions opt;
  opt.search_rate = 1;
  opt.search_burst = 2;
  Authenticator auth(&st, opt, {}, clock.fn());
  Principal a, b;
  a.name = "a";
  b.token_id = "b";
  int retry = 0;
  EXPECT_TRUE(auth.AllowSearch(a, &retry));
  EXPECT_TRUE(auth.AllowSearch(a, &retry));
  EXPECT_FALSE(auth.AllowSearch(a, &retry));
  EXPECT_GE(retry, 1);
  EXPECT_TRUE(auth.AllowSearch(b, &retry)) << "buckets are per principal";
  clock.Advance(500 * kMs);
  EXPECT_FALSE(auth.AllowSearch(a, &retry)) << "half a search refilled";
  clock.Advance(600 * kMs);
  EXPECT_TRUE(auth.AllowSearch(a, &retry)) << "1.1 searches refilled";
  EXPECT_FALSE(auth.AllowSearch(a, &retry));
}

TEST(RouteTableTest, EveryExampleFindsARuleAndUnknownPathsNone) {
  for (const auto& rule : RouteTable()) {
    Request r;
    r.method = std::string(rule.method) == "*" ? "POST" : rule.method;
    r.path = rule.example;
    size_t q = r.path.find('?');
    if (q != std::string::npos) r.path.resize(q);
    if (r.path == "/" && !rule.auth) r.headers.emplace("accept", "text/html");
    const RouteRule* found = FindRoute(r);
    ASSERT_NE(found, nullptr) << rule.example;
    EXPECT_EQ(found->auth, rule.auth) << rule.example;
    EXPECT_EQ(found->perm, rule.perm) << rule.example;
  }
  Request r;
  r.method = "GET";
  for (const char* p : {"/api/v1/nope", "/api/v2/search", "/x/y/_bulk", "/healthz/x", "/uix"}) {
    r.path = p;
    EXPECT_EQ(FindRoute(r), nullptr) << p;
  }
  r.path = "/";  // no text/html: an Elasticsearch client
  ASSERT_NE(FindRoute(r), nullptr);
  EXPECT_EQ(FindRoute(r)->perm, static_cast<uint32_t>(kPermIngest));
  r.path = "/api/v1/search";
  EXPECT_EQ(FindRoute(r)->perm, static_cast<uint32_t>(kPermSearch));
  EXPECT_TRUE(RolePerms(Role::kViewer) == kPermSearch);
  EXPECT_FALSE(RolePerms(Role::kAnalyst) & kPermAdmin);
  EXPECT_FALSE(ScopePerms("ingest") & kPermSearch);
}

// syslog.tls (RFC 5425): the port defaults to 6514; a bad value is named exactly.
TEST(SyslogTlsConfig, DefaultPortAndExactErrors) {
  const std::string path = TmpFile("syslog_tls.yaml");
  auto load = [&](const std::string& value, Config* cfg) {
    std::ofstream(path) << "tls:\n  cert: /c.pem\n  key: /k.pem\nsyslog:\n  tls: " << value << "\n";
    return LoadConfigFile(path, cfg);
  };
  struct Case {
    std::string yaml, listen;
  };
  for (const Case& c : std::vector<Case>{{"true", "127.0.0.1:6514"},
                                         {"yes", "127.0.0.1:6514"},
                                         {"0.0.0.0", "0.0.0.0:6514"},
                                         {"192.0.2.7", "192.0.2.7:6514"},
                                         {"0.0.0.0:7514", "0.0.0.0:7514"},
                                         {"127.0.0.1:0", "127.0.0.1:0"},
                                         {"'::'", "[::]:6514"},
                                         {"'[::1]'", "[::1]:6514"},
                                         {"'[::1]:10514'", "[::1]:10514"},
                                         {"false", ""},
                                         {"''", ""}}) {
    Config cfg;
    cfg.syslog.tls_listen = "stale";
    Status s = load(c.yaml, &cfg);
    EXPECT_TRUE(s.ok()) << c.yaml << ": " << s.ToString();
    EXPECT_EQ(cfg.syslog.tls_listen, c.listen) << c.yaml;
  }
  Config defaults;
  EXPECT_EQ(defaults.syslog.tls_listen, "") << "off unless configured";
  for (const std::string bad : {"localhost", "siem.example.com:6514", "0.0.0.0:65536", "0.0.0.0:", ":6514",
                                "::1:6514:x", "fe80::1%eth0:6514", "1.2.3.4:6514x", "[1.2.3.4]:6514", "6514"}) {
    Config cfg;
    Status s = load("'" + bad + "'", &cfg);
    EXPECT_NE(s.ToString().find(path + ": syslog.tls: must be true, false, an IP address (port 6514) or IP:PORT "
                                "with a port from 0 to 65535 (got '" + bad + "')"),
              std::string::npos)
        << bad << ": " << s.ToString();
  }
  {
    Config cfg;  // not a string at all
    Status s = load("[1, 2]", &cfg);
    EXPECT_NE(s.ToString().find("syslog.tls: must be true, false"), std::string::npos) << s.ToString();
  }
  // TLS needs the certificate and key whichever way the listener is given.
  std::ofstream(path) << "syslog:\n  tls: true\n";
  Config cfg;
  Status s = LoadConfigFile(path, &cfg);
  EXPECT_NE(s.ToString().find("syslog.tls need tls.cert and tls.key"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace kamatama::server
