// tests/reliability_integration_test.cc: the promises of docs/reliability.md (issue 9).
// kill -9 loops, a failing fsync (LD_PRELOAD shim), a full disk (tmpfs), load, New Year under
// faketime, retention by size and free space, kill -9 during a retention drop. Every test ends
// with the accounting identity received = stored + rejected + dropped from /metrics.
#include <simdjson.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <atomic>
#include <climits>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "core/time.h"
#include "harness.h"

using namespace kmt_test;

namespace {

using Clock = std::chrono::steady_clock;

// Sums of the accounting counters in /metrics.
struct Accounts {
  double received = 0, stored = 0, rejected = 0, dropped = 0;
  std::string detail;
};

Accounts ReadAccounts(const Server& s) {
  Accounts a;
  std::istringstream in(s.Get("/metrics"));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    double v = std::atof(line.c_str() + sp + 1);
    // Audit events (issue 8) and internal events (issue 10, self-monitoring) are queued by the
    // server itself: on the received side.
    if (name == "kamatama_received_total" || name == "kamatama_audit_events_total" ||
        name == "kamatama_internal_events_total")
      a.received += v;
    else if (name == "kamatama_events_stored_total") a.stored += v;
    else if (name == "kamatama_events_rejected_total") a.rejected += v;
    else if (name == "kamatama_events_dropped_total") a.dropped += v;
    else continue;
    if (v != 0) a.detail += "  " + line + "\n";
  }
  return a;
}

// received = stored + rejected + dropped, once the queue has drained.
void ExpectAccountingIdentity(const Server& s) {
  Accounts a;
  bool ok = Eventually([&] {
    a = ReadAccounts(s);
    return a.received == a.stored + a.rejected + a.dropped;
  }, 20000);
  EXPECT_TRUE(ok) << "received " << a.received << " != stored " << a.stored << " + rejected " << a.rejected
                  << " + dropped " << a.dropped << "\n" << a.detail;
  std::printf("accounting: received %.0f = stored %.0f + rejected %.0f + dropped %.0f\n", a.received, a.stored,
              a.rejected, a.dropped);
}

// NDJSON of n events whose messages carry the given ids.
void WriteIds(const std::string& file, const std::vector<std::string>& ids, int64_t ts_ns) {
  std::ofstream out(file);
  for (size_t i = 0; i < ids.size(); ++i) {
    out << "{\"@timestamp\":\"" << kamatama::FormatRfc3339(ts_ns + static_cast<int64_t>(i) * 1000) << "\",\"message\":\"relmarker "
        << ids[i] << "\"}\n";
  }
}

// Every message of the store matching q (export, NDJSON), as id -> occurrences; ids are the
// second word of "relmarker ID".
std::map<std::string, int> ExportIds(const Server& s, const std::string& q) {
  std::map<std::string, int> ids;
  int code = 0;
  std::string body = s.Get("/api/v1/export?format=ndjson&fields=message&q=" + UrlEncode(q), &code);
  EXPECT_EQ(code, 200) << body.substr(0, 300);
  std::istringstream in(body);
  simdjson::dom::parser p;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto r = p.parse(line);
    if (r.error()) continue;
    std::string_view msg;
    if (r.value()["message"].get(msg)) continue;
    size_t sp = msg.find(' ');
    if (sp == std::string_view::npos) continue;
    ++ids[std::string(msg.substr(sp + 1))];
  }
  return ids;
}

// Curl with the response headers (for Retry-After); *code = status.
std::string PostWithHeaders(const Server& s, const std::string& path, const std::string& file, int* code) {
  std::string out = Shell("curl -s -m 60 -D - -o /dev/null -w '\\n%{http_code}' -H 'Content-Type: application/x-ndjson' "
                          "--data-binary @" + ShellQuote(file) + " " + ShellQuote(s.Url(path)));
  size_t nl = out.rfind('\n');
  *code = nl == std::string::npos ? -1 : std::atoi(out.c_str() + nl + 1);
  return out;
}

// The kamatama.internal events (self-monitoring, issue 10) matching q, by an admin search that
// names the dataset, as field -> value.
std::vector<std::map<std::string, std::string>> InternalEvents(const Server& s, const std::string& q) {
  std::vector<std::map<std::string, std::string>> out;
  std::string body = s.Search("event.dataset:kamatama.internal AND " + q, "&limit=100");
  simdjson::dom::parser p;
  auto doc = p.parse(body);
  simdjson::dom::array evs;
  if (doc.error() || doc.value()["events"].get(evs)) return out;
  for (auto ev : evs) {
    simdjson::dom::object obj;
    if (ev.get(obj)) continue;
    std::map<std::string, std::string> m;
    for (auto [k, v] : obj) {
      std::string_view sv;
      m[std::string(k)] = v.get(sv) ? simdjson::to_string(v) : std::string(sv);
    }
    out.push_back(std::move(m));
  }
  return out;
}

long RssKiB(pid_t pid) {
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

bool RaiseFdLimit(rlim_t want) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur >= want;
}

}  // namespace

// 1. kill -9 at a random moment, N times: every event acknowledged over HTTP, and every syslog
// TCP line sent more than storage.sync_interval before the kill, is there exactly once.
TEST(Reliability, CrashLoopKill9LosesNothingAcknowledged) {
  const int rounds = std::getenv("KMT_CRASH_ROUNDS") ? std::atoi(std::getenv("KMT_CRASH_ROUNDS")) : 20;
  const int64_t sync_ms = 500;
  std::string dir = TempDir("crashloop");
  std::ofstream(dir + "/k.yaml") << "storage:\n  sync_interval: " << sync_ms << "ms\n";
  const unsigned seed = TestSeed();
  std::mt19937 rng(seed);
  struct Round {
    std::set<std::string> http_acked, tcp_old, tcp_recent;
  };
  std::vector<Round> rs(rounds);
  const int64_t ts = kamatama::NowNanos() - 3600 * kamatama::kNanosPerSecond;
  // The HTTP sender uses an API token: a password would cost each restarted server a scrypt
  // derivation (2^17, issue 19) before its first acknowledgement, longer than a short round
  // under the sanitizers.
  std::string token;
  {
    Server s0(dir, {"--config", dir + "/k.yaml"});
    s0.Start();
    if (HasFatalFailure()) return;
    std::string out = Shell("curl -s -m 60 -H 'Content-Type: application/json' -d '{\"name\":\"crashloop\",\"scopes\":[\"ingest\"]}' " +
                            ShellQuote(s0.Url("/api/v1/tokens")));
    size_t p = out.find("\"token\":\"");
    ASSERT_NE(p, std::string::npos) << out;
    token = out.substr(p + 9, out.find('"', p + 9) - p - 9);
    EXPECT_EQ(s0.Stop(), 0);
  }
  for (int r = 0; r < rounds; ++r) {
    Server s(dir, {"--config", dir + "/k.yaml"});
    s.Start();
    if (HasFatalFailure()) return;
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<std::pair<std::string, Clock::time_point>> tcp_sent;
    std::thread http([&] {
      for (int b = 0; !stop; ++b) {
        std::vector<std::string> ids;
        for (int i = 0; i < 40; ++i) ids.push_back("h" + std::to_string(r) + "x" + std::to_string(b) + "x" + std::to_string(i));
        std::string file = dir + "/batch.ndjson";
        WriteIds(file, ids, ts);
        std::string out = Shell("curl -s -m 60 -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer " + token +
                                "' -H 'Content-Type: application/x-ndjson' --data-binary @" + ShellQuote(file) + " " +
                                ShellQuote(s.AnonUrl("/api/v1/ingest")));
        int code = out.empty() ? -1 : std::atoi(out.c_str());
        if (code == 200) {
          std::lock_guard lock(mu);
          rs[r].http_acked.insert(ids.begin(), ids.end());
        } else if (code == 0 || code == -1) {
          break;  // the server is gone
        }
      }
    });
    std::thread tcp([&] {
      TcpClient c(s.tcp());
      for (int i = 0; !stop && c.ok(); ++i) {
        std::string id = "t" + std::to_string(r) + "x" + std::to_string(i);
        if (!c.Send("<13>Nov 26 12:00:00 crashhost app: relmarker " + id + "\n")) break;
        tcp_sent.emplace_back(id, Clock::now());
        if (i % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    int delay_ms = std::uniform_int_distribution<int>(200, 1600)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    auto killed_at = Clock::now();
    s.Stop(SIGKILL);
    stop = true;
    http.join();
    tcp.join();
    for (auto& [id, t] : tcp_sent) {
      (killed_at - t > std::chrono::milliseconds(sync_ms) ? rs[r].tcp_old : rs[r].tcp_recent).insert(id);
    }
  }
  Server s(dir, {"--config", dir + "/k.yaml"});
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  auto found = ExportIds(s, "relmarker");
  std::printf("\ncrash loop: %d rounds of kill -9 (HTTP acknowledged batches; TCP lines sent > %lld ms before the kill)\n",
              rounds, static_cast<long long>(sync_ms));
  std::printf("%5s %14s %10s %6s %11s | %10s %10s %6s %11s | %12s\n", "round", "http_acked", "found", "lost", "duplicated",
              "tcp_old", "found", "lost", "duplicated", "tcp_recent_found");
  uint64_t t_ack = 0, t_found = 0, t_lost = 0, t_dup = 0, t_old = 0, t_ofound = 0, t_olost = 0, t_odup = 0;
  for (int r = 0; r < rounds; ++r) {
    uint64_t ack = rs[r].http_acked.size(), f = 0, lost = 0, dup = 0, old = rs[r].tcp_old.size(), of = 0, ol = 0, od = 0,
             recent_found = 0;
    for (auto& id : rs[r].http_acked) {
      auto it = found.find(id);
      int n = it == found.end() ? 0 : it->second;
      if (n == 0) ++lost;
      else ++f;
      if (n > 1) ++dup;
    }
    for (auto& id : rs[r].tcp_old) {
      auto it = found.find(id);
      int n = it == found.end() ? 0 : it->second;
      if (n == 0) ++ol;
      else ++of;
      if (n > 1) ++od;
    }
    for (auto& id : rs[r].tcp_recent) {
      auto it = found.find(id);
      if (it != found.end()) {
        ++recent_found;
        if (it->second > 1) ++od;
      }
    }
    std::printf("%5d %14llu %10llu %6llu %11llu | %10llu %10llu %6llu %11llu | %12llu/%zu\n", r + 1,
                (unsigned long long)ack, (unsigned long long)f, (unsigned long long)lost, (unsigned long long)dup,
                (unsigned long long)old, (unsigned long long)of, (unsigned long long)ol, (unsigned long long)od,
                (unsigned long long)recent_found, rs[r].tcp_recent.size());
    t_ack += ack, t_found += f, t_lost += lost, t_dup += dup, t_old += old, t_ofound += of, t_olost += ol, t_odup += od;
  }
  std::printf("%5s %14llu %10llu %6llu %11llu | %10llu %10llu %6llu %11llu |\n\n", "total", (unsigned long long)t_ack,
              (unsigned long long)t_found, (unsigned long long)t_lost, (unsigned long long)t_dup,
              (unsigned long long)t_old, (unsigned long long)t_ofound, (unsigned long long)t_olost,
              (unsigned long long)t_odup);
  // No event at all is duplicated, acknowledged or not.
  size_t dups = 0;
  for (auto& [id, n] : found) dups += n > 1;
  EXPECT_EQ(dups, 0u);
  EXPECT_EQ(t_lost, 0u);
  EXPECT_EQ(t_olost, 0u);
  EXPECT_GT(t_ack, 0u);
  ExpectAccountingIdentity(s);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// 6a. A failing fsync (LD_PRELOAD shim): nothing more is acknowledged, even after fsync works
// again; the store goes read-only and says so; what was acknowledged before is kept.
TEST(Reliability, FailedFsyncStopsAcknowledgingForGood) {
  std::string dir = TempDir("fsyncfail");
  std::string trigger = dir + "/fail-fsync-now";
  ::setenv("LD_PRELOAD", KMT_FSYNC_SHIM, 1);
  ::setenv("KMT_FSYNC_FAIL_FILE", trigger.c_str(), 1);
  Server s(dir);
  s.Start();
  ::unsetenv("LD_PRELOAD");
  ::unsetenv("KMT_FSYNC_FAIL_FILE");
  ASSERT_FALSE(HasFatalFailure());
  const int64_t ts = kamatama::NowNanos() - 60 * kamatama::kNanosPerSecond;
  auto ids = [](const std::string& p) {
    std::vector<std::string> v;
    for (int i = 0; i < 100; ++i) v.push_back(p + std::to_string(i));
    return v;
  };
  WriteIds(dir + "/a.ndjson", ids("fa"), ts);
  WriteIds(dir + "/b.ndjson", ids("fb"), ts);
  WriteIds(dir + "/c.ndjson", ids("fc"), ts);
  int code = 0;
  s.Post("/api/v1/ingest", dir + "/a.ndjson", &code);
  ASSERT_EQ(code, 200);
  std::ofstream(trigger) << "1";
  std::string body = s.Post("/api/v1/ingest", dir + "/b.ndjson", &code);
  EXPECT_NE(code, 200) << body;
  std::filesystem::remove(trigger);  // fsync works again: still nothing is acknowledged
  std::string hdr = PostWithHeaders(s, "/api/v1/ingest", dir + "/c.ndjson", &code);
  EXPECT_EQ(code, 503) << hdr;
  EXPECT_NE(hdr.find("Retry-After:"), std::string::npos) << hdr;
  EXPECT_EQ(s.Metric("kamatama_store_read_only"), 1);
  EXPECT_NE(s.log().find("read-only"), std::string::npos) << s.log();
  std::string ready = s.Get("/readyz", &code);
  EXPECT_EQ(code, 503);
  EXPECT_EQ(ready.rfind("read-only: ", 0), 0u) << ready;
  // Searches are audited, and a read-only store cannot record their audit event: they are
  // refused, saying why (issue 19: auditing fails closed), until a restart.
  std::string refused = s.Search("relmarker", "", &code);
  EXPECT_EQ(code, 503) << refused;
  EXPECT_NE(refused.find("audit log cannot record"), std::string::npos) << refused;
  ExpectAccountingIdentity(s);
  s.Stop(SIGKILL);
  Server again(dir);
  again.Start();
  ASSERT_FALSE(HasFatalFailure());
  auto found = ExportIds(again, "relmarker");
  size_t a = 0, b = 0, c = 0, dup = 0;
  for (auto& [id, n] : found) {
    (id[1] == 'a' ? a : id[1] == 'b' ? b : c) += 1;
    dup += n > 1;
  }
  std::printf("fsync failure: acknowledged 100 found %zu; refused (failed fsync) found %zu; refused (after) found %zu\n", a, b, c);
  EXPECT_EQ(a, 100u);
  EXPECT_EQ(c, 0u);
  EXPECT_EQ(dup, 0u);
  EXPECT_EQ(again.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// 2. Disk full (a 64 MiB tmpfs filled to the brim during ingest): ingest pauses (HTTP 507 with
// Retry-After, TCP not read), searches keep working, nothing stored is damaged, ingest resumes
// by itself when space returns, and the store opens clean after a restart.
TEST(Reliability, DiskFullPausesIngestAndResumesByItself) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  std::string dir = TempDir("diskfull");
  std::string mnt = dir + "/mnt";
  std::filesystem::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs (" << std::strerror(errno) << "): disk-full test skipped";
  struct Unmount {
    std::string m;
    void Now() {
      if (!m.empty()) ::umount2(m.c_str(), MNT_DETACH);
      m.clear();
    }
    ~Unmount() { Now(); }
  } unmount{mnt};
  // No free-space watermark: the full disk is met by RocksDB itself (ENOSPC), the hard case.
  std::ofstream(dir + "/d.yaml") << "storage:\n  min_free: 0\n  write_buffer: 4MiB\n  cache: 8MiB\n";
  // The harness's data directory (DIR/data) is a link into the small file system.
  std::filesystem::create_directories(mnt + "/data");
  std::filesystem::create_directory_symlink(mnt + "/data", dir + "/data");
  Server s(dir, {"--config", dir + "/d.yaml"});
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  const int64_t ts = kamatama::NowNanos() - 60 * kamatama::kNanosPerSecond;
  auto ids = [](const std::string& p, int n) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i) v.push_back(p + std::to_string(i));
    return v;
  };
  WriteIds(dir + "/a.ndjson", ids("da", 500), ts);
  int code = 0;
  s.Post("/api/v1/ingest", dir + "/a.ndjson", &code);
  ASSERT_EQ(code, 200);

  // Fill the file system to the brim.
  std::string filler = mnt + "/filler";
  {
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    std::string chunk(1 << 20, 'F');
    for (size_t sz = chunk.size(); sz >= 512;) {
      if (::write(fd, chunk.data(), sz) != static_cast<ssize_t>(sz)) sz /= 2;
    }
    ::close(fd);
  }
  // A TCP sender keeps sending 20 MB of lines (more than any preallocated log space).
  std::atomic<uint64_t> tcp_sent{0};
  std::atomic<bool> tcp_done{false};
  std::thread tcp([&] {
    TcpClient c(s.tcp());
    std::string pad(200, 'p');
    for (int i = 0; i < 80000; ++i) {
      if (!c.Send("<13>Nov 26 12:00:00 fullhost app: relmarker dt" + std::to_string(i) + " " + pad + "\n")) break;
      tcp_sent++;
    }
    tcp_done = true;
  });
  // An HTTP batch meets the full disk: it is answered 507, or held and answered 200 once stored.
  WriteIds(dir + "/b.ndjson", ids("db", 500), ts);
  std::atomic<int> b_code{0};
  std::thread http_b([&] {
    int c = 0;
    s.Post("/api/v1/ingest", dir + "/b.ndjson", &c);
    b_code = c;
  });
  // On a failed ASSERT the senders may be blocked on the paused server: kill it, then join them.
  struct JoinSenders {
    Server& s;
    std::thread& a;
    std::thread& b;
    ~JoinSenders() {
      if (a.joinable() || b.joinable()) s.Stop(SIGKILL);
      if (a.joinable()) a.join();
      if (b.joinable()) b.join();
    }
  } join_senders{s, tcp, http_b};
  ASSERT_TRUE(Eventually([&] { return s.Metric("kamatama_ingest_paused") == 1; }, 30000)) << s.log();
  auto paused_at = Clock::now();
  // Paused: HTTP ingest is refused with 507 and Retry-After; searches and health keep working.
  WriteIds(dir + "/c.ndjson", ids("dc", 100), ts);
  std::string hdr = PostWithHeaders(s, "/api/v1/ingest", dir + "/c.ndjson", &code);
  EXPECT_EQ(code, 507) << hdr;
  EXPECT_NE(hdr.find("Retry-After:"), std::string::npos) << hdr;
  s.Get("/healthz", &code);
  EXPECT_EQ(code, 200);
  std::string ready = s.Get("/readyz", &code);
  EXPECT_EQ(code, 503);  // not ready: nothing new can be stored
  EXPECT_NE(ready.find("ingest paused"), std::string::npos) << ready;
  EXPECT_EQ(s.CountMatches("da1 OR da2 OR da499"), 3u);
  s.Search("relmarker", "&limit=10", &code);
  EXPECT_EQ(code, 200);
  double waits = s.Metric("kamatama_tcp_backpressure_waits_total");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // Self-monitoring gauges while paused (issue 10): the syslog lines that arrived before the pause
  // wait in the queue (stored after the resume), and the ingest lag counts at least the time since
  // the last write, which came before the pause was seen.
  const double queued = s.Metric("kamatama_queue_events"), queued_bytes = s.Metric("kamatama_queue_bytes");
  const double lag = s.Metric("kamatama_ingest_lag_seconds");
  const double paused_for = std::chrono::duration<double>(Clock::now() - paused_at).count();
  std::printf("disk full: while paused %.0f event(s) (%.0f bytes) queued, ingest lag %.2f s after %.2f s paused\n", queued,
              queued_bytes, lag, paused_for);
  EXPECT_GE(queued, 1) << s.Get("/metrics");
  EXPECT_GT(queued_bytes, 0);
  EXPECT_GE(lag, paused_for - 0.05);
  EXPECT_GT(s.Metric("kamatama_tcp_backpressure_waits_total"), waits);  // TCP is not read
  EXPECT_FALSE(tcp_done);
  EXPECT_EQ(s.Metric("kamatama_ingest_paused"), 1);

  // Space returns: ingest resumes by itself.
  std::filesystem::remove(filler);
  ASSERT_TRUE(Eventually([&] { return s.Metric("kamatama_ingest_paused") == 0; }, 30000)) << s.log();
  std::printf("disk full: ingest paused for %.1f s\n",
              std::chrono::duration<double>(Clock::now() - paused_at).count());
  s.Get("/readyz", &code);
  EXPECT_EQ(code, 200);
  http_b.join();
  tcp.join();
  // The sender has handed every line to its kernel; the server reads what the socket buffers
  // still hold (a megabyte or more under ASan) in its own time. Plain TCP syslog has no
  // acknowledgement, so lines still unread when the server stops would be lost by design: wait
  // until every sent line has been received before counting.
  EXPECT_TRUE(Eventually([&] { return s.Metric("kamatama_received_total{transport=\"tcp\"}") >= tcp_sent.load(); },
                         60000))
      << s.Metric("kamatama_received_total{transport=\"tcp\"}") << " of " << tcp_sent.load();
  // The TCP backlog read after the resume drains in its own time (seconds under ASan).
  EXPECT_TRUE(Eventually([&] { return s.Metric("kamatama_queue_events") == 0; }, 30000))
      << s.Metric("kamatama_queue_events");
  WriteIds(dir + "/d.ndjson", ids("dd", 500), ts);
  s.Post("/api/v1/ingest", dir + "/d.ndjson", &code);
  EXPECT_EQ(code, 200);
  EXPECT_NE(s.log().find("ingest resumed"), std::string::npos);
  // Written after the resume onto a drained queue, the new batch brings the lag back to its own
  // short wait. (Posted while the backlog still drained, it once waited 2.01 s behind it under
  // ASan on a busy 2-core machine, and the lag stayed there.)
  EXPECT_TRUE(Eventually([&] { return s.Metric("kamatama_ingest_lag_seconds") < 2; }, 20000))
      << s.Metric("kamatama_ingest_lag_seconds");
  // The pause and the resume are searchable kamatama.internal events (issue 10), written once
  // ingest resumed: an admin search that names the dataset finds both, with their fields.
  std::vector<std::map<std::string, std::string>> paused_ev, resumed_ev;
  EXPECT_TRUE(Eventually([&] {
    paused_ev = InternalEvents(s, "event.action:ingest_paused");
    resumed_ev = InternalEvents(s, "event.action:ingest_resumed");
    return !paused_ev.empty() && !resumed_ev.empty();
  }, 10000)) << s.log();
  ASSERT_EQ(paused_ev.size(), 1u);
  ASSERT_EQ(resumed_ev.size(), 1u);
  auto& pe = paused_ev[0];
  auto& re = resumed_ev[0];
  EXPECT_EQ(pe["event.dataset"], "kamatama.internal");
  EXPECT_EQ(pe["log.level"], "error");
  EXPECT_EQ(pe["event.kind"], "alert");
  EXPECT_NE(pe["message"].find("disk full"), std::string::npos) << pe["message"];
  EXPECT_NE(pe["message"].find("ingest paused"), std::string::npos) << pe["message"];
  EXPECT_NE(s.log().find(pe["message"]), std::string::npos) << "the event carries the logged line";
  EXPECT_FALSE(pe["kamatama.disk.free_bytes"].empty());
  EXPECT_EQ(re["event.dataset"], "kamatama.internal");
  EXPECT_EQ(re["log.level"], "info");
  EXPECT_EQ(re["event.kind"], "event");
  EXPECT_EQ(re["message"].rfind("disk has room again: ingest resumed after ", 0), 0u) << re["message"];
  // Free space then: the filler (tens of MiB) was removed.
  EXPECT_GT(std::atof(re["kamatama.disk.free_bytes"].c_str()), 8.0 * (1 << 20)) << re["kamatama.disk.free_bytes"];
  EXPECT_LT(pe["@timestamp"], re["@timestamp"]);
  // Not shown unless named.
  EXPECT_EQ(s.CountMatches("ingest resumed"), 0u);
  ExpectAccountingIdentity(s);
  double tcp_dropped = std::max(0.0, s.Metric("kamatama_events_dropped_total{reason=\"disk_full\"}"));
  EXPECT_EQ(s.Stop(), 0);

  size_t log_before = s.log().size();
  Server again(dir, {"--config", dir + "/d.yaml"});
  again.Start();
  ASSERT_FALSE(HasFatalFailure());
  auto found = ExportIds(again, "relmarker");
  size_t a = 0, b = 0, c = 0, d = 0, t = 0, dup = 0;
  for (auto& [id, n] : found) {
    if (id.rfind("da", 0) == 0) ++a;
    else if (id.rfind("db", 0) == 0) ++b;
    else if (id.rfind("dc", 0) == 0) ++c;
    else if (id.rfind("dd", 0) == 0) ++d;
    else if (id.rfind("dt", 0) == 0) ++t;
    dup += n > 1;
  }
  std::printf("disk full: before 500/%zu, caught (HTTP %d) %zu, refused %zu, after 500/%zu, TCP %llu sent, %zu found, "
              "%.0f counted dropped\n",
              a, b_code.load(), b, c, d, (unsigned long long)tcp_sent.load(), t, tcp_dropped);
  EXPECT_EQ(a, 500u);
  EXPECT_EQ(d, 500u);
  EXPECT_EQ(c, 0u);
  if (b_code == 200) {
    EXPECT_EQ(b, 500u);
  }
  EXPECT_EQ(dup, 0u);
  EXPECT_EQ(t + static_cast<size_t>(tcp_dropped), tcp_sent.load());
  EXPECT_EQ(again.log().substr(log_before).find("error"), std::string::npos) << again.log().substr(log_before);
  EXPECT_EQ(again.Stop(), 0);
  unmount.Now();
  std::filesystem::remove_all(dir);
}

// 3. Load: 2,000 concurrent TCP senders and a UDP flood for a bounded time. The server answers
// /healthz and searches throughout, stays under its memory bound, and the counts reconcile:
// TCP sent = received; UDP sent = received + kernel drops; received = stored + dropped.
TEST(Reliability, LoadTwoThousandSendersAndUdpFlood) {
  if (!RaiseFdLimit(4400)) GTEST_SKIP() << "open file limit too low for 2000 connections";
  std::string dir = TempDir("load");
  const size_t queue_mib = 8, wb_mib = 16, cache_mib = 16, conns = 2000;
  std::ofstream(dir + "/l.yaml") << "storage:\n  queue: " << queue_mib << "MiB\n  write_buffer: " << wb_mib
                                 << "MiB\n  cache: " << cache_mib << "MiB\nsyslog:\n  udp_receive_buffer: 1MiB\n";
  Server s(dir, {"--config", dir + "/l.yaml"});
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  const auto duration = std::chrono::seconds(std::getenv("KMT_LOAD_SECONDS") ? std::atoi(std::getenv("KMT_LOAD_SECONDS")) : 4);
  std::string rss_samples;
  std::vector<std::unique_ptr<TcpClient>> cs;
  for (size_t i = 0; i < conns; ++i) {
    cs.push_back(std::make_unique<TcpClient>(s.tcp()));
    ASSERT_TRUE(cs.back()->ok()) << i;
  }
  std::atomic<uint64_t> tcp_sent{0}, udp_sent{0};
  std::atomic<bool> stop{false};
  long rss_peak = 0;
  double health_max = 0, search_max = 0;
  int health_fail = 0, search_fail = 0, probes = 0;
  auto t0 = Clock::now();
  std::vector<std::thread> ths;
  // KMT_LOAD_ROUNDS caps the lines per connection (unlimited by default: senders go as fast as
  // the kernel's socket buffers take them for the whole duration).
  const int rounds = std::getenv("KMT_LOAD_ROUNDS") ? std::atoi(std::getenv("KMT_LOAD_ROUNDS")) : INT_MAX;
  for (int t = 0; t < 4; ++t) {
    ths.emplace_back([&, t] {
      for (int round = 0; !stop && round < rounds; ++round) {
        for (size_t i = t; i < conns && !stop; i += 4) {
          if (cs[i]->Send("<13>Nov 26 12:00:00 c" + std::to_string(i) + " app: loadmarker tcp " + std::to_string(round) + "\n"))
            tcp_sent++;
        }
      }
    });
  }
  ths.emplace_back([&] {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(s.udp_port())));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    std::string msg = "<13>Nov 26 12:00:00 udphost app: loadmarker udp flood";
    while (!stop) {
      if (::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) > 0) udp_sent++;
    }
    ::close(fd);
  });
  int searches = 0;
  std::thread searcher([&] {  // searches run beside the health probes
    while (Clock::now() - t0 < duration) {
      auto p0 = Clock::now();
      int code = 0;
      s.Search("loadmarker AND c17", "&limit=5", &code);
      search_max = std::max(search_max, std::chrono::duration<double>(Clock::now() - p0).count());
      search_fail += code != 200;
      ++searches;
    }
  });
  while (Clock::now() - t0 < duration) {
    auto p0 = Clock::now();
    int code = 0;
    s.Get("/healthz", &code);
    double h = std::chrono::duration<double>(Clock::now() - p0).count();
    health_max = std::max(health_max, h);
    health_fail += code != 200;
    ++probes;
    long rss = RssKiB(s.pid());
    rss_peak = std::max(rss_peak, rss);
    rss_samples += " " + std::to_string(rss / 1024);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : ths) t.join();
  searcher.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  cs.clear();
  // Drain: every TCP line is read, and the UDP socket is empty.
  EXPECT_TRUE(Eventually([&] { return s.Metric("kamatama_received_total{transport=\"tcp\"}") == tcp_sent; }, 60000))
      << s.Metric("kamatama_received_total{transport=\"tcp\"}") << " of " << tcp_sent;
  double udp_recv = 0, udp_kdrop = 0;
  EXPECT_TRUE(Eventually([&] {
    udp_recv = s.Metric("kamatama_received_total{transport=\"udp\"}");
    udp_kdrop = s.Metric("kamatama_udp_receive_buffer_drops");
    // The loopback device's own backlog (netdev_max_backlog) may drop a few datagrams before
    // they reach the socket: those are visible only in /proc/net/softnet_stat.
    return udp_recv + udp_kdrop <= udp_sent && udp_sent - (udp_recv + udp_kdrop) <= udp_sent / 1000;
  }, 30000)) << "udp sent " << udp_sent << " received " << udp_recv << " kernel drops " << udp_kdrop;
  rss_peak = std::max(rss_peak, RssKiB(s.pid()));
  ExpectAccountingIdentity(s);
  Accounts a = ReadAccounts(s);
  // The configured budget (docs/reliability.md): 64 MiB + queue + write buffers + cache +
  // 64 KiB per connection. Under AddressSanitizer (shadow memory, quarantine) only a loose
  // ceiling is checked.
  long budget_kib = static_cast<long>((64 + queue_mib + wb_mib + cache_mib) * 1024 + conns * 64);
#if defined(__SANITIZE_ADDRESS__)
  long cap_kib = 2048L * 1024;
#else
  long cap_kib = budget_kib;
#endif
  std::printf("\nload: %zu TCP connections + 1 UDP flooder for %.1f s\n", conns, secs);
  std::printf("  TCP lines sent %llu (%.0f/s), all received\n", (unsigned long long)tcp_sent.load(), tcp_sent / secs);
  std::printf("  UDP datagrams sent %llu (%.0f/s): received %.0f, kernel buffer drops %.0f, queue-full drops %.0f\n",
              (unsigned long long)udp_sent.load(), udp_sent / secs, udp_recv, udp_kdrop,
              std::max(0.0, s.Metric("kamatama_events_dropped_total{reason=\"udp_queue_full\"}")));
  std::printf("  stored %.0f, dropped %.0f, rejected %.0f\n", a.stored, a.dropped, a.rejected);
  std::printf("  /healthz max %.3f s (%d probes, %d failed), search max %.3f s (%d searches, %d failed)\n", health_max,
              probes, health_fail, search_max, searches, search_fail);
  std::printf("  peak RSS %ld MiB (configured budget %ld MiB, test ceiling %ld MiB); samples (MiB):%s\n\n",
              rss_peak / 1024, budget_kib / 1024, cap_kib / 1024, rss_samples.c_str());
  EXPECT_EQ(health_fail, 0);
  EXPECT_EQ(search_fail, 0);
  EXPECT_LT(health_max, 5.0);
  EXPECT_LT(rss_peak, cap_kib);
  EXPECT_TRUE(s.Alive());
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// 4. Hostile input over every receiver (syslog TCP/UDP, GELF TCP/UDP, HTTP ingest, _bulk, HEC,
// Loki), slowloris and oversized bodies: refused or stored as designed, never a crash, other
// senders unaffected.
TEST(Reliability, HostileInputOverEveryReceiver) {
  std::string dir = TempDir("hostile");
  // Every client here is 127.0.0.1: the per-address connection cap (issue 8) would refuse the
  // good client along with the slowloris ones, so it is raised; the read timeout must cope.
  std::ofstream(dir + "/h.yaml") << "http:\n  max_body: 4MiB\n  read_timeout: 2s\n  max_connections_per_ip: 1000\n"
                                 << "gelf:\n  udp: 127.0.0.1:0\n  tcp: 127.0.0.1:0\n";
  Server s(dir, {"--config", dir + "/h.yaml"});
  s.Start();
  ASSERT_FALSE(HasFatalFailure());
  auto after = [&](const std::string& key) {
    std::string log = s.log();
    size_t p = log.rfind(key);
    return p == std::string::npos ? std::string() : log.substr(p + key.size(), log.find('\n', p) - p - key.size());
  };
  std::string gelf_udp = after("gelf udp listening on "), gelf_tcp = after("gelf tcp listening on ");
  ASSERT_FALSE(gelf_udp.empty());
  ASSERT_FALSE(gelf_tcp.empty());

  std::vector<std::string> corpus = {
      "5 <13>wrong octet count, far longer than five",
      "-5 <13>negative length",
      "99999999999999999999999 <13>huge length",
      "18446744073709551616 <13>2^64",
      std::string("<13>Nov 26 12:00:00 h app: nul\0inside\0", 38),
      "<13>Nov 26 12:00:00 h app: bad utf8 \xff\xfe\xc3\x28\xed\xa0\x80 end",
      "<999999999999>Nov 26 12:00:00 h app: huge pri",
      "<13>1 9999-99-99T99:99:99Z h a p m - out of range date",
      "<13>Feb 30 25:61:61 h app: impossible date",
      std::string(100000, '[') + std::string(100000, ']'),
      std::string(50000, '{') + "\"a\":1" + std::string(50000, '}'),
      "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}}}}}}}}",
      "{\"message\":\"dup1\",\"message\":\"dup2\",\"host\":{\"name\":\"x\"},\"host\":\"y\"}",
      "{\"@timestamp\":1e400,\"n\":-99999999999999999999999999999,\"f\":1e-400,\"i\":18446744073709551616}",
      "{\"@timestamp\":\"+275760-09-13T00:00:00Z\",\"message\":\"far future\"}",
      "{\"@timestamp\":-9223372036854775808,\"message\":\"far past\"}",
      "{\"version\":\"1.1\",\"host\":\"h\",\"short_message\":\"gelf\",\"level\":99999999999999999999}",
      "{\"unterminated\":\"",
      "\x1f\x8b\x08\x00garbage gzip",
      "\x78\x9c garbage zlib",
      "\x1e\x0f chunked gelf header garbage",
      "<13>Nov 26 12:00:00 h app: " + std::string(10 << 20, 'L'),  // 10 MB line
  };
  // A well-behaved sender keeps its connection throughout.
  TcpClient good(s.tcp());
  ASSERT_TRUE(good.Send("<13>Nov 26 12:00:00 goodhost app: hostilegood before\n"));

  // Slowloris: connections that trickle a request and never finish it.
  std::atomic<bool> stop_slow{false}, slow_open{false}, slow_finished{false};
  std::thread slow([&] {
    std::vector<std::unique_ptr<TcpClient>> cs;
    for (int i = 0; i < 100; ++i) {
      cs.push_back(std::make_unique<TcpClient>(s.http_address()));
      cs.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    }
    slow_open = true;
    for (int i = 0; i < 600 && !stop_slow; ++i) {  // until told to stop (bounded: 60 s)
      for (auto& c : cs) c->Send("X");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    slow_finished = true;
  });
  // While the slowloris connections hang on, others are served: the answer comes before the
  // trickle ends (an order, not a time bound; a server that served one connection at a time
  // would answer only once the trickle stopped, or never within curl's 30 s).
  {
    ASSERT_TRUE(Eventually([&] { return slow_open.load(); }));
    int code = 0;
    s.Get("/healthz", &code);
    EXPECT_EQ(code, 200);
    EXPECT_FALSE(slow_finished.load()) << "/healthz was answered only after the slowloris trickle ended";
  }

  int fd_udp = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::vector<std::string> hosts = {s.udp(), gelf_udp};
  std::map<int, int> http_codes;
  int i = 0;
  for (const auto& item : corpus) {
    ++i;
    {  // syslog TCP: the item alone, as a line and cut in the middle of an octet-counted frame
      TcpClient c(s.tcp());
      c.Send(item + "\n");
      TcpClient d(s.tcp());
      d.Send("300 " + item.substr(0, 100));
    }
    {  // GELF TCP: NUL-terminated
      TcpClient c(gelf_tcp);
      c.Send(item + std::string(1, '\0'));
    }
    for (const auto& hp : hosts) SendUdp(hp, item.substr(0, 65000));
    std::string file = dir + "/item.bin";
    std::ofstream(file, std::ios::binary) << item << "\n";
    std::ofstream(dir + "/bulk.bin", std::ios::binary) << "{\"index\":{}}\n" << item << "\n";
    int code = 0;
    for (const char* path : {"/api/v1/ingest", "/services/collector/event", "/loki/api/v1/push", "/gelf"}) {
      s.Post(path, file, &code);
      ++http_codes[code];
      EXPECT_TRUE(code > 0 && code < 500) << path << " item " << i << " -> " << code;
    }
    s.Post("/_bulk", dir + "/bulk.bin", &code);
    ++http_codes[code];
    EXPECT_TRUE(code > 0 && code < 500) << "/_bulk item " << i << " -> " << code;
    ASSERT_TRUE(s.Alive()) << "server died on item " << i;
  }
  ::close(fd_udp);
  // An oversized body is refused.
  {
    std::ofstream(dir + "/big.bin") << std::string(6 << 20, 'B') << "\n";
    int code = 0;
    s.Post("/api/v1/ingest", dir + "/big.bin", &code);
    EXPECT_EQ(code, 413);
  }
  stop_slow = true;
  slow.join();
  ASSERT_TRUE(good.Send("<13>Nov 26 12:00:00 goodhost app: hostilegood after\n"));
  EXPECT_TRUE(Eventually([&] { return s.CountMatches("hostilegood") == 2; }));
  std::string codes;
  for (auto& [c, n] : http_codes) codes += " " + std::to_string(c) + "x" + std::to_string(n);
  std::printf("hostile input: %zu items over 9 receivers; HTTP answers:%s\n", corpus.size(), codes.c_str());
  EXPECT_TRUE(s.Alive());
  ExpectAccountingIdentity(s);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

// 6b. New Year under faketime: RFC 3164 lines (no year) from Dec 31 and Jan 1 get the right
// year on either side of midnight, and land in the right day partitions.
TEST(Reliability, NewYearUnderFaketime) {
  const char* lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
  if (!std::filesystem::exists(lib)) GTEST_SKIP() << "faketime is not installed (Debian package faketime)";
  std::string dir = TempDir("newyear");
  auto start = [&](Server& s) {
    ::setenv("LD_PRELOAD", lib, 1);
    ::setenv("FAKETIME", "@2026-12-31 23:59:57", 1);
    ::setenv("DONT_FAKE_MONOTONIC", "1", 1);
    s.Start();
    ::unsetenv("LD_PRELOAD");
    ::unsetenv("FAKETIME");
    ::unsetenv("DONT_FAKE_MONOTONIC");
  };
  // The scenario needs the first two lines received before the server's (faked) midnight and the
  // last two after it; a slow start can miss the first window, so a round that did not set the
  // scenario up is redone in a fresh directory (bounded), and the checks run on one that did.
  const std::string midnight = "2027-01-01T00:00:00.000Z";
  std::map<std::string, std::string> ts, ingested;
  bool scenario = false;
  std::unique_ptr<Server> sp;
  for (int round = 1; round <= 3 && !scenario; ++round) {
    if (sp) {
      EXPECT_EQ(sp->Stop(), 0);
      sp.reset();
      std::filesystem::remove_all(dir);
      dir = TempDir("newyear");
    }
    sp = std::make_unique<Server>(dir);
    start(*sp);
    ASSERT_FALSE(HasFatalFailure());
    Server& s = *sp;
    TcpClient c(s.tcp());
    // Before midnight (server clock 23:59:57+): one line of the old year, one from a sender whose
    // clock is a few seconds ahead.
    c.Send("<13>Dec 31 23:59:58 nyhost app: relmarker ny1\n<13>Jan  1 00:00:03 nyhost app: relmarker ny2\n");
    ASSERT_TRUE(Eventually([&] { return s.CountMatches("relmarker") == 2; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(4500));
    // After midnight: a late line of the old year and one of the new.
    c.Send("<13>Dec 31 23:59:59 nyhost app: relmarker ny3\n<13>Jan  1 00:00:02 nyhost app: relmarker ny4\n");
    ASSERT_TRUE(Eventually([&] { return s.CountMatches("relmarker") == 4; }));
    simdjson::dom::parser p;
    std::string body = s.Search("relmarker", "&limit=10");
    auto r = p.parse(body);
    ASSERT_FALSE(r.error()) << body;
    ts.clear();
    ingested.clear();
    for (auto ev : r.value()["events"].get_array()) {
      std::string_view m = ev["message"].get_string().value(), t = ev["@timestamp"].get_string().value();
      std::string_view in = ev["event.ingested"].get_string().value();
      ts[std::string(m.substr(m.find(' ') + 1))] = std::string(t);
      ingested[std::string(m.substr(m.find(' ') + 1))] = std::string(in);
    }
    scenario = ingested["ny1"] < midnight && ingested["ny2"] < midnight && ingested["ny3"] >= midnight &&
               ingested["ny4"] >= midnight;
    std::printf("new year round %d: received ny1 %s, ny2 %s, ny3 %s, ny4 %s%s\n", round, ingested["ny1"].c_str(),
                ingested["ny2"].c_str(), ingested["ny3"].c_str(), ingested["ny4"].c_str(),
                scenario ? "" : ": not on both sides of midnight, again");
  }
  // The year inference was put to the test: two lines received on each side of the faked midnight.
  ASSERT_TRUE(scenario) << "ny1/ny2 never arrived before the faked midnight (and ny3/ny4 after) in 3 rounds";
  Server& s = *sp;
  EXPECT_EQ(ts["ny1"].substr(0, 10), "2026-12-31");
  EXPECT_EQ(ts["ny2"].substr(0, 10), "2027-01-01");
  EXPECT_EQ(ts["ny3"].substr(0, 10), "2026-12-31");
  EXPECT_EQ(ts["ny4"].substr(0, 10), "2027-01-01");
  ExpectAccountingIdentity(s);
  EXPECT_EQ(s.Stop(), 0);
  Server again(dir);
  start(again);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(again.Metric("kamatama_partitions"), 2);
  simdjson::dom::parser p;
  auto count = [&](const std::string& from, const std::string& to) {
    std::string b = again.Search("relmarker", "&limit=100&from=" + from + "&to=" + to);
    auto rr = p.parse(b);
    return rr.error() ? size_t(0) : rr.value()["events"].get_array().size();
  };
  EXPECT_EQ(count("2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z"), 2u);
  EXPECT_EQ(count("2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z"), 2u);
  EXPECT_EQ(again.Stop(), 0);
  sp.reset();
  std::filesystem::remove_all(dir);
}

namespace {
// Ingests n events for each of the given days ago (and today), marked "dayN".
void IngestDays(const Server& s, const std::string& dir, const std::vector<int>& days_ago, int n) {
  int64_t now = kamatama::NowNanos();
  for (int d : days_ago) {
    std::ofstream out(dir + "/days.ndjson");
    int64_t base = (kamatama::DayOf(now) - d) * kamatama::kNanosPerDay + 3600 * kamatama::kNanosPerSecond;
    if (d == 0) base = now - static_cast<int64_t>(n) * 1000;
    for (int i = 0; i < n; ++i)
      out << "{\"@timestamp\":\"" << kamatama::FormatRfc3339(base + i * 1000LL) << "\",\"message\":\"relmarker day"
          << d << "x" << i << " d" << d << "\"}\n";
    out.close();
    int code = 0;
    s.Post("/api/v1/ingest", dir + "/days.ndjson", &code);
    ASSERT_EQ(code, 200);
  }
}
}  // namespace

// 8. Size-based and free-space retention drop the oldest days first, never the current one,
// and say what they dropped.
TEST(Reliability, SizeAndFreeSpaceRetentionDropOldestDaysNeverToday) {
  for (std::string key : {"max_size: 1", "min_free: 1000000G"}) {
    std::string dir = TempDir("sizeret");
    {
      Server s(dir);
      s.Start();
      ASSERT_FALSE(HasFatalFailure());
      IngestDays(s, dir, {4, 3, 2, 1, 0}, 300);
      ASSERT_FALSE(HasFatalFailure());
      EXPECT_EQ(s.Stop(), 0);
    }
    std::ofstream(dir + "/r.yaml") << "retention:\n  " << key << "\n";
    Server s(dir, {"--config", dir + "/r.yaml"});
    s.Start();
    ASSERT_FALSE(HasFatalFailure());
    std::string reason = key.substr(0, key.find(':'));
    std::string metric = "kamatama_retention_dropped_days_total{reason=\"" + reason + "\"}";
    EXPECT_TRUE(Eventually([&] { return s.Metric(metric) == 4; }, 20000)) << s.log();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // nothing more goes
    EXPECT_EQ(s.Metric(metric), 4);
    EXPECT_EQ(s.CountMatches("d0"), 300u);
    for (int d = 1; d <= 4; ++d) EXPECT_EQ(s.CountMatches("d" + std::to_string(d)), 0u) << d;
    EXPECT_EQ(s.Metric("kamatama_retention_dropped_events_total{reason=\"" + reason + "\"}"), 1200);
    // The log says which day went, oldest first.
    std::string log = s.log();
    size_t prev = 0;
    for (int d = 4; d >= 1; --d) {
      std::string day = kamatama::FormatRfc3339((kamatama::DayOf(kamatama::NowNanos()) - d) * kamatama::kNanosPerDay).substr(0, 10);
      size_t p = log.find("retention (" + reason + "): dropped day " + day + " (300 event(s)");
      EXPECT_NE(p, std::string::npos) << day << "\n" << log;
      EXPECT_GT(p, prev) << day;
      prev = p;
    }
    ExpectAccountingIdentity(s);
    EXPECT_EQ(s.Stop(), 0);
    std::filesystem::remove_all(dir);
  }
}

// 6c. kill -9 during a retention drop: each day is either all there or all gone. The kill must
// land during the drop (after the retention cut is durable, before the drop is reported), or the
// test proves nothing: every fsync is slowed (the shim, KMT_FSYNC_DELAY_MS) to widen the drop's
// window, and the kill time is bisected between "before the drop" and "after it was reported"
// until one round lands inside, within a bounded number of rounds.
TEST(Reliability, Kill9DuringRetentionDropIsAllOrNothing) {
  const unsigned seed = TestSeed();
  std::mt19937 rng(seed);
  const int max_rounds = 16, per_day = 500;
  int lo_us = 0, hi_us = 6000000;  // kill delays known to land before the drop / after its report
  int during = 0, before = 0, after = 0;
  for (int r = 0; r < max_rounds && during == 0; ++r) {
    std::string dir = TempDir("retkill");
    std::ofstream(dir + "/b.yaml") << "storage:\n  block_events: 100\n";
    {
      Server s(dir, {"--config", dir + "/b.yaml"});
      s.Start();
      ASSERT_FALSE(HasFatalFailure());
      IngestDays(s, dir, {8, 7, 6, 5, 4, 3}, per_day);  // 5 blocks per day, the last one pending
      ASSERT_FALSE(HasFatalFailure());
      s.Stop(SIGKILL);  // leave pending rows behind
    }
    std::ofstream(dir + "/r.yaml") << "storage:\n  block_events: 100\nretention:\n  max_age_days: 2\n";
    std::ofstream(dir + "/slow");  // the shim's delay file: every fsync sleeps first
    const int delay_us = lo_us + static_cast<int>((hi_us - lo_us) * std::uniform_real_distribution<double>(0.3, 0.7)(rng));
    pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("KAMATAMA_ADMIN_PASSWORD", kAdminPassword, 1);
      ::setenv("LD_PRELOAD", KMT_FSYNC_SHIM, 1);
      ::setenv("KMT_FSYNC_DELAY_FILE", (dir + "/slow").c_str(), 1);
      ::setenv("KMT_FSYNC_DELAY_MS", "60", 1);
      int fd = ::open((dir + "/kill.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string data = dir + "/data", cfg = dir + "/r.yaml";
      ::execl(KMT_BINARY, KMT_BINARY, "serve", "--config", cfg.c_str(), "--data-dir", data.c_str(), "--syslog-udp",
              "127.0.0.1:0", "--syslog-tcp", "127.0.0.1:0", "--http", "127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    std::filesystem::remove(dir + "/slow");
    Server s(dir, {"--config", dir + "/b.yaml"});
    s.Start();
    ASSERT_FALSE(HasFatalFailure());
    std::string line;
    bool gone_before = true;
    int days_gone = 0;
    for (int d = 8; d >= 3; --d) {
      size_t n = s.CountMatches("d" + std::to_string(d));
      line += " d-" + std::to_string(d) + "=" + std::to_string(n);
      EXPECT_TRUE(n == 0 || n == static_cast<size_t>(per_day)) << "day -" << d << ": " << n << " events";
      if (n != 0) gone_before = false;
      else {
        ++days_gone;
        EXPECT_TRUE(gone_before) << "a newer day went before an older one";
      }
    }
    // Every day here is past max_age_days: the drop is one cut, so none or all of them went.
    EXPECT_TRUE(days_gone == 0 || days_gone == 6) << line;
    const bool reported = ReadFile(dir + "/kill.log").find("retention dropped") != std::string::npos;
    const char* when;
    if (days_gone == 0) {
      EXPECT_FALSE(reported) << "the drop was reported but the days are all there:" << line;
      when = "before the drop";
      ++before;
      lo_us = delay_us;
    } else if (!reported) {
      when = "DURING the drop (cut durable, drop not yet reported)";
      ++during;
    } else {
      when = "after the drop was reported";
      ++after;
      hi_us = delay_us;
    }
    std::printf("retention kill round %d at %.3f s: %s:%s\n", r + 1, delay_us / 1e6, when, line.c_str());
    EXPECT_EQ(s.Stop(), 0);
    std::filesystem::remove_all(dir);
  }
  // The scenario must have happened, or the all-or-nothing checks above were never put to the test.
  EXPECT_GE(during, 1) << "no kill landed during a drop in " << max_rounds << " rounds (" << before << " before, "
                       << after << " after); seed " << seed;
}
