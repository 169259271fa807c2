// tests/hardening_integration_test.cc: issue 19, the holes a security review found, each against
// the real binary: links planted in the data directory for a root-run command, bodies read
// before authentication, live tails outliving their credentials, CLI password changes and
// sessions, floods of bad credentials, audit that fails closed, forged log lines, backup targets.
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "harness.h"

using namespace kmt_test;

namespace {

std::string Code(const std::string& out) { return out.substr(out.rfind('\n') + 1); }

// curl with arguments against `url`; the body, a newline and the status.
std::string Curl(const std::string& args, const std::string& url) {
  return Shell("curl -s -m 60 -w '\\n%{http_code}' " + args + " " + ShellQuote(url));
}

std::string JsonField(const std::string& body, const char* key) {
  simdjson::dom::parser p;
  auto r = p.parse(body.substr(0, body.rfind('\n')));
  std::string_view v;
  if (r.error() || r.value()[key].get(v)) return "";
  return std::string(v);
}

// Resident memory of a process, in KiB.
long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// A WebSocket tail opened with `auth_header` (a full header line, CRLF-terminated). Returns the
// handshake answer.
std::string OpenTail(TcpClient& c, const std::string& http, const std::string& auth_header) {
  c.Send("GET /api/v1/tail?q=zzhardeningzz HTTP/1.1\r\nHost: " + http +
         "\r\nOrigin: http://" + http +
         "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
         auth_header + "\r\n");
  return ReadUntil(c.fd(), "\r\n\r\n", 10000);
}

// Waits for the server's close frame on a tail; its status code, or -1 if none came in `ms`.
int CloseCode(TcpClient& c, int ms) {
  std::string got = ReadUntil(c.fd(), "", ms);
  // Server frames are unmasked: 0x88 (FIN + close), length, then the 2-byte code.
  for (size_t i = 0; i + 3 < got.size(); ++i) {
    if (static_cast<unsigned char>(got[i]) == 0x88 && (got[i + 1] & 0x7f) >= 2)
      return (static_cast<unsigned char>(got[i + 2]) << 8) | static_cast<unsigned char>(got[i + 3]);
  }
  return -1;
}

bool IsRoot() { return ::geteuid() == 0; }

void RequireRootOrSkip() {
  if (IsRoot()) return;
  // CI runs as root (.ci/run): there the scenario must run, never be skipped.
  if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true") FAIL() << "this test needs root under CI";
  GTEST_SKIP() << "needs root (a root-run command against a directory another account owns)";
}

}  // namespace

// 1 (high). `kamatama user|token` run as root on a data directory owned by the service account:
// links planted there by that account must not make root touch other files.
TEST(Hardening, RootRunCommandsDoNotFollowLinksPlantedInTheDataDirectory) {
  RequireRootOrSkip();
  std::string dir = TempDir("hard_links");
  ::chmod(dir.c_str(), 0755);
  passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  auto target = [&](const std::string& name) {
    std::string p = dir + "/" + name;
    std::ofstream(p) << "root's file\n";
    ::chmod(p.c_str(), 0644);
    return p;
  };
  auto untouched = [&](const std::string& p) {
    struct stat st{};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_uid, 0u) << p << " changed owner";
    EXPECT_EQ(st.st_mode & 0777, 0644u) << p << " changed mode";
    EXPECT_EQ(ReadFile(p), "root's file\n") << p << " changed content";
  };
  auto run_as_root = [&](const std::string& data, const std::string& args) {
    int st = -1;
    std::string out = Shell("KAMATAMA_PASSWORD=planted-links-pw " + std::string(KMT_BINARY) + " " + args +
                                " --data-dir " + ShellQuote(data) + " 2>&1",
                            &st);
    return out;
  };
  auto plant = [&](const std::string& data, const std::string& name, const std::string& to) {
    std::string link = data + "/" + name;
    ASSERT_EQ(::symlink(to.c_str(), link.c_str()), 0) << link;
    ASSERT_EQ(::lchown(link.c_str(), uid, gid), 0);  // planted by the directory's owner
  };
  auto make_data = [&](const std::string& name) {
    std::string data = dir + "/" + name;
    std::filesystem::create_directories(data);
    ::chown(data.c_str(), uid, gid);
    ::chmod(data.c_str(), 0700);
    return data;
  };

  // A clean directory: everything the command writes belongs to the directory's owner.
  std::string clean = make_data("clean");
  std::string out = run_as_root(clean, "user add bob --role viewer");
  EXPECT_NE(out.find("added user bob"), std::string::npos) << out;
  for (const char* f : {"auth.db", "auth.db.lock", "audit.pending"}) {
    struct stat st{};
    ASSERT_EQ(::lstat((clean + "/" + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_uid, uid) << f << " is the service account's, not root's";
    EXPECT_EQ(st.st_mode & 077, 0u) << f << " is private";
  }

  // Links to root's files for each file the command touches.
  std::string data = make_data("planted");
  std::string t_pending = target("t_pending"), t_tmp = target("t_tmp"), t_lock = target("t_lock");
  plant(data, "audit.pending", t_pending);
  plant(data, "auth.db.tmp", t_tmp);
  plant(data, "auth.db.lock", t_lock);
  out = run_as_root(data, "user add eve --role admin");
  untouched(t_pending);
  untouched(t_tmp);
  untouched(t_lock);
  EXPECT_NE(out.find("symbolic link"), std::string::npos) << "the refusal is explained: " << out;
  // auth.db itself a link: refused, not read and not chmodded.
  std::string data2 = make_data("planted_db");
  std::string t_db = target("t_db");
  plant(data2, "auth.db", t_db);
  out = run_as_root(data2, "token create t --scope search");
  untouched(t_db);
  EXPECT_NE(out.find("symbolic link"), std::string::npos) << out;
  // A hard link to a root file (made by root here: the kernel stops others making one).
  std::string data3 = make_data("planted_hard");
  std::string t_hard = target("t_hard");
  ASSERT_EQ(::link(t_hard.c_str(), (data3 + "/audit.pending").c_str()), 0);
  out = run_as_root(data3, "user add mallory");
  untouched(t_hard);
  std::filesystem::remove_all(dir);
}

// 2 (high). Bodies are read only after the header passed authentication, and only as large as
// the route allows: strangers cannot make the server hold their uploads.
TEST(Hardening, BodiesAreReadOnlyForAuthenticatedCallersThatMayIngest) {
  std::string dir = TempDir("hard_bodies");
  Server s(dir);
  s.Start();
  const std::string big = dir + "/big.bin";
  {
    std::ofstream f(big, std::ios::binary);
    std::string mib(1 << 20, 'x');
    for (int i = 0; i < 59; ++i) f << mib;
  }
  int code = 0;
  s.Get("/api/v1/search?q=warmup", &code);
  ASSERT_EQ(code, 200);
  const long before = RssKiB(s.pid());
  ASSERT_GT(before, 0);
  // Anonymous, with a wrong token and with a malformed header; with and without Expect.
  std::vector<std::thread> senders;
  std::atomic<int> refused{0};
  for (int i = 0; i < 8; ++i) {
    senders.emplace_back([&, i] {
      std::string auth = i % 3 == 0   ? ""
                         : i % 3 == 1 ? "-H 'Authorization: Bearer kmt_0000000000000000_" + std::string(64, 'b') + "'"
                                      : "-H 'Authorization: Digest nonsense'";
      std::string expect = i % 2 ? "-H 'Expect:'" : "";
      std::string out = Curl(auth + " " + expect + " --data-binary @" + ShellQuote(big), s.AnonUrl("/api/v1/ingest"));
      std::string c = Code(out);
      if (c == "401" || c == "000") ++refused;  // 000: the server closed before curl finished sending
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(refused.load(), 8);
  const long after = RssKiB(s.pid());
  std::printf("bodies: server RSS %ld KiB before, %ld KiB after 8 refused 59 MiB uploads\n", before, after);
  // 8 bodies of 59 MiB would be 472 MiB; none of them may have been read.
  EXPECT_LT(after - before, 32 * 1024) << "RSS before " << before << " KiB, after " << after << " KiB";
  // A user without the ingest permission cannot send a large body either.
  std::string out = Curl("-H 'Content-Type: application/json' -d '{\"name\":\"viewer9\",\"role\":\"viewer\","
                         "\"password\":\"viewer9-password\"}'",
                         s.Url("/api/v1/users"));
  ASSERT_EQ(Code(out), "201") << out;
  out = Curl("-u viewer9:viewer9-password --data-binary @" + ShellQuote(big), s.AnonUrl("/api/v1/ingest"));
  EXPECT_EQ(Code(out), "403") << out;
  // Non-ingest routes take small bodies only, whoever sends them.
  const std::string mb = dir + "/one.bin";
  { std::ofstream(mb, std::ios::binary) << std::string(1 << 20, '{'); }
  out = Curl("-H 'Content-Type: application/json' --data-binary @" + ShellQuote(mb), s.Url("/api/v1/users"));
  EXPECT_EQ(Code(out), "413") << out;
  out = Curl("-H 'Content-Type: application/json' --data-binary @" + ShellQuote(mb), s.AnonUrl("/api/v1/login"));
  EXPECT_EQ(Code(out), "413") << out;
  // Ingest with the permission still takes large bodies.
  const std::string nd = dir + "/events.ndjson";
  {
    std::ofstream f(nd);
    for (int i = 0; i < 40000; ++i) f << "{\"message\":\"zzbigbatchzz " << i << " " << std::string(200, 'y') << "\"}\n";
  }
  out = Curl("-H 'Content-Type: application/x-ndjson' --data-binary @" + ShellQuote(nd), s.Url("/api/v1/ingest"));
  EXPECT_EQ(Code(out), "200") << out.substr(0, 300);
  EXPECT_NE(out.find("\"accepted\":40000"), std::string::npos) << out.substr(0, 300);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// 3 (medium). A live tail ends when its credentials do: token revoked, session logged out,
// password changed on the command line. And one principal holds at most a few tails.
TEST(Hardening, LiveTailsCloseWhenTheirCredentialsEnd) {
  std::string dir = TempDir("hard_tail");
  { std::ofstream(dir + "/k.yaml") << "query:\n  max_tails_per_principal: 2\n"; }
  Server s(dir, {"--config", dir + "/k.yaml"});
  s.Start();
  const std::string http = s.http_address();
  // A token's tail, then the token revoked through the API.
  std::string out = Curl("-H 'Content-Type: application/json' -d '{\"name\":\"tailtok\",\"scopes\":[\"search\"]}'",
                         s.Url("/api/v1/tokens"));
  ASSERT_EQ(Code(out), "201") << out;
  const std::string tok = JsonField(out, "token"), id = JsonField(out, "id");
  TcpClient t1(http);
  ASSERT_EQ(OpenTail(t1, http, "Authorization: Bearer " + tok + "\r\n").rfind("HTTP/1.1 101", 0), 0u);
  TcpClient t2(http);
  ASSERT_EQ(OpenTail(t2, http, "Authorization: Bearer " + tok + "\r\n").rfind("HTTP/1.1 101", 0), 0u);
  TcpClient t3(http);
  std::string third = OpenTail(t3, http, "Authorization: Bearer " + tok + "\r\n");
  if (third.find("max_tails_per_principal") == std::string::npos) third += ReadUntil(t3.fd(), "max_tails_per_principal", 5000);
  EXPECT_NE(third.find("max_tails_per_principal"), std::string::npos) << "a third tail of one token is refused";
  out = Curl("-X DELETE", s.Url("/api/v1/tokens/" + id));
  ASSERT_EQ(Code(out), "200") << out;
  EXPECT_EQ(CloseCode(t1, 3000), 1008) << "closed with policy violation once the token is revoked";
  EXPECT_EQ(CloseCode(t2, 3000), 1008);

  // A session's tail, then logout.
  out = Curl("-H 'Content-Type: application/json' -d '{\"name\":\"tailuser\",\"role\":\"analyst\",\"password\":\"tailuser-pw-1\"}'",
             s.Url("/api/v1/users"));
  ASSERT_EQ(Code(out), "201") << out;
  const std::string jar = dir + "/jar.txt";
  out = Curl("-c " + jar + " -H 'Content-Type: application/json' -d '{\"user\":\"tailuser\",\"password\":\"tailuser-pw-1\"}'",
             s.AnonUrl("/api/v1/login"));
  ASSERT_EQ(Code(out), "200") << out;
  const std::string csrf = JsonField(out, "csrf");
  std::string cookie;
  {
    std::ifstream in(jar);
    std::string line;
    while (std::getline(in, line)) {
      size_t p = line.find("kamatama_session\t");
      if (p != std::string::npos) cookie = "kamatama_session=" + line.substr(p + 17);
    }
  }
  ASSERT_FALSE(cookie.empty());
  TcpClient t4(http);
  ASSERT_EQ(OpenTail(t4, http, "Cookie: " + cookie + "\r\n").rfind("HTTP/1.1 101", 0), 0u);
  out = Curl("-b " + jar + " -X POST -H 'X-CSRF-Token: " + csrf + "'", s.AnonUrl("/api/v1/logout"));
  ASSERT_EQ(Code(out), "200") << out;
  EXPECT_EQ(CloseCode(t4, 3000), 1008) << "closed at logout";

  // A Basic tail, then the password changed with `kamatama user passwd` on the host: the server
  // re-checks every few seconds.
  TcpClient t5(http);
  ASSERT_EQ(OpenTail(t5, http, "Authorization: Basic " + BasicCredentials("tailuser", "tailuser-pw-1") + "\r\n")
                .rfind("HTTP/1.1 101", 0),
            0u);
  int st = -1;
  Shell("KAMATAMA_PASSWORD=tailuser-pw-2 " + std::string(KMT_BINARY) + " user passwd tailuser --data-dir " +
            ShellQuote(dir + "/data") + " 2>&1",
        &st);
  ASSERT_EQ(st, 0);
  EXPECT_EQ(CloseCode(t5, 10000), 1008) << "closed after the password changed on the command line";
  EXPECT_GE(s.Metric("kamatama_tails_revoked_total"), 4);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// 4 (medium). `kamatama user passwd` on the command line ends the user's browser sessions.
TEST(Hardening, PasswdOnTheCommandLineEndsSessions) {
  std::string dir = TempDir("hard_passwd");
  Server s(dir);
  s.Start();
  std::string out = Curl("-H 'Content-Type: application/json' -d '{\"name\":\"carol\",\"role\":\"viewer\",\"password\":\"carol-pw-1\"}'",
                         s.Url("/api/v1/users"));
  ASSERT_EQ(Code(out), "201") << out;
  const std::string jar = dir + "/jar.txt";
  out = Curl("-c " + jar + " -H 'Content-Type: application/json' -d '{\"user\":\"carol\",\"password\":\"carol-pw-1\"}'",
             s.AnonUrl("/api/v1/login"));
  ASSERT_EQ(Code(out), "200") << out;
  EXPECT_EQ(Code(Curl("-b " + jar, s.AnonUrl("/api/v1/me"))), "200");
  int st = -1;
  Shell("KAMATAMA_PASSWORD=carol-pw-2 " + std::string(KMT_BINARY) + " user passwd carol --data-dir " +
            ShellQuote(dir + "/data") + " 2>&1",
        &st);
  ASSERT_EQ(st, 0);
  std::string me;
  EXPECT_TRUE(Eventually([&] { return Code(me = Curl("-b " + jar, s.AnonUrl("/api/v1/me"))) == "401"; }, 5000)) << me;
  EXPECT_NE(me.find("password changed"), std::string::npos) << me;
  EXPECT_EQ(Code(Curl("-u carol:carol-pw-2", s.AnonUrl("/api/v1/me"))), "200");
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// 5 (medium). Bad tokens are failures like bad passwords: past auth.max_failures the address gets
// 429 without a check, and a flood is a few audit and log lines, not one per request.
TEST(Hardening, BadTokenFloodIsRateLimitedAndAggregated) {
  std::string dir = TempDir("hard_flood");
  { std::ofstream(dir + "/k.yaml") << "auth:\n  max_failures: 10\n"; }
  Server s(dir, {"--config", dir + "/k.yaml"});
  s.Start();
  // 300 requests on kept-alive connections, from 127.0.0.3.
  std::string urls;
  for (int i = 0; i < 100; ++i) urls += " -o /dev/null " + ShellQuote(s.AnonUrl("/api/v1/search?q=x"));
  std::map<std::string, int> codes;
  for (int round = 0; round < 3; ++round) {
    std::string out = Shell("curl -s --interface 127.0.0.3 -w '%{http_code}\\n' -H 'Authorization: Bearer kmt_" +
                            std::string(16, '1') + "_" + std::string(64, 'c') + "'" + urls);
    std::istringstream in(out);
    std::string c;
    while (std::getline(in, c)) ++codes[c];
  }
  EXPECT_EQ(codes["401"], 10) << "the first ten are checked";
  EXPECT_EQ(codes["429"], 290) << "the rest refused without a check";
  // A valid credential from another address still works.
  int code;
  s.Get("/api/v1/me", &code);
  EXPECT_EQ(code, 200);
  const std::string log = s.log();
  size_t lines = 0;
  for (size_t p = 0; (p = log.find("authentication failure from 127.0.0.3", p)) != std::string::npos; ++p) ++lines;
  EXPECT_EQ(lines, 1u) << "one log line at once; the rest are counted";
  EXPECT_EQ(s.Stop(), 0);  // the count is written at shutdown (or after auth.failure_audit_interval)
  EXPECT_NE(s.log().find("299 more authentication failure(s) from 127.0.0.3"), std::string::npos) << s.log();
  s.Start();
  std::string audit;
  EXPECT_TRUE(Eventually([&] {
    audit = s.Search("event.dataset:kamatama.audit AND event.action:authentication AND source.ip:127.0.0.3", "&limit=100");
    return audit.find("\"matched\":2,") != std::string::npos && audit.find("\"kamatama.count\":\"299\"") != std::string::npos;
  })) << audit.substr(0, 500);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// 6 (medium). Audit fails closed: once the store is read-only, audited reads are refused (503) and
// the records of `kamatama user|token` stay in audit.pending.
TEST(Hardening, AuditedReadsAreRefusedWhenTheirRecordCannotBeQueued) {
  std::string dir = TempDir("hard_audit");
  const std::string fail = dir + "/fsync-fails";
  ::setenv("LD_PRELOAD", KMT_FSYNC_SHIM, 1);
  ::setenv("KMT_FSYNC_FAIL_FILE", fail.c_str(), 1);
  Server s(dir);
  s.Start();
  ::unsetenv("LD_PRELOAD");
  ::unsetenv("KMT_FSYNC_FAIL_FILE");
  int code;
  s.Get("/api/v1/search?q=before", &code);
  EXPECT_EQ(code, 200);
  { std::ofstream(fail) << "1"; }
  // A write needs a sync to fail: ingest one event (refused once the store goes read-only).
  std::string nd = dir + "/one.ndjson";
  { std::ofstream(nd) << "{\"message\":\"zzfsyncfailzz\"}\n"; }
  s.Post("/api/v1/ingest", nd, &code);
  ASSERT_TRUE(Eventually([&] { return s.Metric("kamatama_store_read_only") == 1; }, 15000));
  std::string body = s.Get("/api/v1/search?q=after", &code);
  EXPECT_EQ(code, 503) << body;
  EXPECT_NE(body.find("audit"), std::string::npos) << body;
  s.Get("/api/v1/export?q=after", &code);
  EXPECT_EQ(code, 503);
  // A command's change cannot be queued: it stays in audit.pending.
  int st = -1;
  Shell("KAMATAMA_PASSWORD=pending-user-pw " + std::string(KMT_BINARY) + " user add pendinguser --data-dir " +
            ShellQuote(dir + "/data") + " 2>&1",
        &st);
  ASSERT_EQ(st, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // the server drains every second
  EXPECT_NE(ReadFile(dir + "/data/audit.pending").find("pendinguser"), std::string::npos)
      << "not removed before it was queued";
  s.Stop(SIGKILL);
  std::filesystem::remove(fail);
  s.Start();  // a restart recovers; the pending record is audited now
  std::string audit;
  EXPECT_TRUE(Eventually([&] {
    audit = s.Search("event.dataset:kamatama.audit AND event.action:user.create AND kamatama.target:pendinguser");
    return audit.find("\"matched\":1,") != std::string::npos;
  })) << audit.substr(0, 300);
  EXPECT_EQ(ReadFile(dir + "/data/audit.pending"), "");
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// Low. Control characters from a request cannot forge a line of kamatama's own log; backups go
// only to backup.allowed_dirs, never into the data directory; files are private (umask).
TEST(Hardening, LogLinesBackupTargetsAndFileModes) {
  std::string dir = TempDir("hard_low");
  std::filesystem::create_directories(dir + "/allowed");
  {
    std::ofstream(dir + "/k.yaml") << "backup:\n  allowed_dirs: [" << dir << "/allowed, " << dir << "/data]\n";
  }
  Server s(dir, {"--config", dir + "/k.yaml"});
  s.Start();
  std::string out = Curl("-H 'Content-Type: application/json' --data-binary "
                         "'{\"user\":\"x\\nFORGED kamatama: admin logged in\\u001b[2J\",\"password\":\"nope-nope\"}'",
                         s.AnonUrl("/api/v1/login"));
  EXPECT_EQ(Code(out), "401");
  ASSERT_TRUE(Eventually([&] { return s.log().find("login failure from") != std::string::npos; }));
  const std::string log = s.log();
  EXPECT_EQ(log.find("\nFORGED"), std::string::npos) << log;
  EXPECT_NE(log.find("\\x0aFORGED"), std::string::npos) << log;
  EXPECT_EQ(log.find('\x1b'), std::string::npos) << "no terminal escape reaches the log";

  out = Curl("-X POST", s.Url("/api/v1/admin/backup?to=" + UrlEncode(dir + "/allowed/b1")));
  EXPECT_EQ(Code(out), "200") << out;
  out = Curl("-X POST", s.Url("/api/v1/admin/backup?to=" + UrlEncode(dir + "/elsewhere")));
  EXPECT_EQ(Code(out), "403") << out;
  EXPECT_NE(out.find("backup.allowed_dirs"), std::string::npos) << out;
  out = Curl("-X POST", s.Url("/api/v1/admin/backup?to=" + UrlEncode(dir + "/allowed/../elsewhere")));
  EXPECT_EQ(Code(out), "403") << ".. does not escape: " << out;
  std::filesystem::create_directories(dir + "/elsewhere2");
  std::filesystem::create_directory_symlink(dir + "/elsewhere2", dir + "/allowed/link");
  out = Curl("-X POST", s.Url("/api/v1/admin/backup?to=" + UrlEncode(dir + "/allowed/link/b")));
  EXPECT_EQ(Code(out), "403") << "nor does a symlink: " << out;
  std::filesystem::create_directory_symlink(dir + "/nowhere", dir + "/allowed/dangling");
  out = Curl("-X POST", s.Url("/api/v1/admin/backup?to=" + UrlEncode(dir + "/allowed/dangling")));
  EXPECT_EQ(Code(out), "403") << "nor a dangling one: " << out;
  out = Curl("-X POST", s.Url("/api/v1/admin/backup?to=" + UrlEncode(dir + "/data/inside")));
  EXPECT_EQ(Code(out), "403") << "never into the data directory, even when listed: " << out;

  // Private files whatever umask started the server (the harness inherits the test's).
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/data")) {
    if (!e.is_regular_file()) continue;
    struct stat st{};
    ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 007, 0u) << e.path() << " is readable by others";
  }
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// Low. Under HTTPS: HSTS, and the session cookie with the __Host- prefix.
TEST(Hardening, HttpsSetsHstsAndHostPrefixedCookie) {
  std::string dir = TempDir("hard_tls");
  int st;
  Shell(std::string(KMT_BINARY) + " cert self-signed --out " + dir + "/tls --host localhost", &st);
  ASSERT_EQ(st, 0);
  {
    std::ofstream(dir + "/k.yaml") << "tls:\n  cert: " << dir << "/tls/cert.pem\n  key: " << dir
                                   << "/tls/key.pem\nhttp:\n  tls: true\n";
  }
  Server s(dir, {"--config", dir + "/k.yaml"});
  s.Start();
  const std::string url = "https://" + s.http_address() + "/api/v1/login";
  std::string out = Shell("curl -s -k -D - -o /dev/null -H 'Content-Type: application/json' -d " +
                          ShellQuote(std::string("{\"user\":\"admin\",\"password\":\"") + kAdminPassword + "\"}") + " " +
                          ShellQuote(url));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(out.find("http/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("strict-transport-security: max-age="), std::string::npos) << out;
  EXPECT_NE(out.find("set-cookie: __host-kamatama_session="), std::string::npos) << out;
  EXPECT_NE(out.find("; secure"), std::string::npos) << out;
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}
