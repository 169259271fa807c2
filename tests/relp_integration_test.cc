// tests/relp_integration_test.cc: RELP (issue 27) with a real rsyslogd. rsyslog's imfile reads a
// file of numbered lines that the test keeps appending to, and forwards it to kamatama, which is
// killed with SIGKILL and started again at random moments. With omrelp every line must arrive,
// and duplicates stay within the documented bound (ingest/relp_server.h: omrelp's window per
// connection per crash). The same run with omfwd over TCP (the docs' recipe) shows what plain TCP
// loses, and checks what TCP does guarantee: lines are lost only at the kills (one contiguous run
// of numbers per kill at most), never mangled, and everything after the last kill arrives.
//
// rsyslogd with omrelp (Debian rsyslog-relp) is required: under CI=true its absence fails.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "harness.h"

using namespace kmt_test;

namespace {

using Clock = std::chrono::steady_clock;

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}


// Appends "MARKER seq=N" lines (N from 0) to a file at a steady pace, from a thread.
class SeqWriter {
 public:
  SeqWriter(std::string path, std::string marker, int per_tick, int tick_ms)
      : path_(std::move(path)), marker_(std::move(marker)), per_tick_(per_tick), tick_ms_(tick_ms) {
    std::ofstream(path_, std::ios::trunc).close();
    thread_ = std::thread([this] { Run(); });
  }
  ~SeqWriter() { Stop(); }
  //! Stops writing; returns how many lines were written.
  long Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return written_;
  }
  long written() const { return written_; }

 private:
  void Run() {
    std::ofstream out(path_, std::ios::app);
    while (!stop_) {
      for (int i = 0; i < per_tick_; ++i) out << marker_ << " seq=" << written_ + i << "\n";
      out.flush();
      written_ += per_tick_;
      std::this_thread::sleep_for(std::chrono::milliseconds(tick_ms_));
    }
  }
  std::string path_, marker_;
  int per_tick_, tick_ms_;
  std::atomic<bool> stop_{false};
  std::atomic<long> written_{0};
  std::thread thread_;
};

// seq -> occurrences of the stored events carrying `marker`; *bad counts stored messages that
// are not exactly a line the test wrote.
std::map<long, int> Arrived(const Server& s, const std::string& marker, long* bad) {
  std::map<long, int> seqs;
  *bad = 0;
  int code = 0;
  std::string body = s.Get("/api/v1/export?format=ndjson&fields=message&q=" + UrlEncode(marker), &code);
  EXPECT_EQ(code, 200) << body.substr(0, 300);
  std::istringstream in(body);
  simdjson::dom::parser p;
  const std::string prefix = marker + " seq=";
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto r = p.parse(line);
    std::string_view msg;
    if (r.error() || r.value()["message"].get(msg)) continue;
    char* end = nullptr;
    long n = -1;
    const std::string digits(msg.size() >= prefix.size() ? msg.substr(prefix.size()) : std::string_view());
    if (msg.substr(0, prefix.size()) == prefix) n = std::strtol(digits.c_str(), &end, 10);
    if (n < 0 || !end || *end != '\0') {
      if (*bad == 0) std::fprintf(stderr, "not a line the test wrote: [%.*s]\n", static_cast<int>(msg.size()), msg.data());
      ++*bad;
      continue;
    }
    ++seqs[n];
  }
  return seqs;
}

struct Outcome {
  long sent = 0, distinct = 0, duplicates = 0, lost = 0, bad = 0, gaps = 0, last_gap_end = -1;
  std::string missing;  // the first missing numbers
  std::string dir;      // the run's directory (server log, rsyslog's files)
  std::string rsyslog_queue;  // rsyslog's last impstats line for the action queue
  double backpressure = 0;    // kamatama_relp_backpressure_waits_total of the last run
  int rounds = 0;
  double seconds = 0;
};

Outcome Summarise(const std::map<long, int>& seqs, long sent) {
  Outcome o;
  o.sent = sent;
  bool in_gap = false;
  for (long i = 0; i < sent; ++i) {
    auto it = seqs.find(i);
    if (it == seqs.end()) {
      if (++o.lost <= 20) o.missing += " " + std::to_string(i);
      if (!in_gap) ++o.gaps;
      in_gap = true;
      o.last_gap_end = i;
      continue;
    }
    in_gap = false;
    ++o.distinct;
    o.duplicates += it->second - 1;
  }
  return o;
}

// rsyslogd reading `file` with imfile and forwarding with `action` (one action() statement).
std::string RsyslogConf(const std::string& rdir, const std::string& file, const std::string& action) {
  return "global(workDirectory=\"" + rdir + "/work\")\n"
         "module(load=\"imfile\")\n"
         "module(load=\"impstats\" interval=\"1\" log.syslog=\"off\" log.file=\"" + rdir + "/stats\")\n"
         "input(type=\"imfile\" file=\"" + file + "\" tag=\"seqfile:\")\n" + action;
}

// Starts kamatama on `yaml`, rsyslogd on `action`, writes numbered lines while killing kamatama
// (SIGKILL, or `sig`) `rounds` times at random moments, then waits until the file has been forwarded
// (`want_all`: until every line is there; otherwise until the last line is there and the count
// holds still). `marker` names the run's lines.
Outcome KillLoop(const std::string& name, const std::string& yaml, const std::string& tcp_listen,
                 const std::string& action_template, int port, int rounds, bool want_all, int sig = SIGKILL,
                 int slow_fsync_ms = 0) {
  Outcome o;
  std::string dir = TempDir(name);
  std::string rdir = dir + "/rsyslog";
  std::filesystem::create_directories(rdir + "/work");
  std::ofstream(dir + "/kamatama.yaml") << yaml;
  std::string marker = "seqmark" + std::to_string(::getpid()) + name.substr(0, 4);
  std::string action = action_template;
  action.replace(action.find("PORT"), 4, std::to_string(port));
  std::ofstream(rdir + "/rsyslog.conf") << RsyslogConf(rdir, rdir + "/seq.log", action);
  int st = 0;
  std::string check = Shell("rsyslogd -N1 -f " + ShellQuote(rdir + "/rsyslog.conf") + " 2>&1", &st);
  if (st != 0) {
    ADD_FAILURE() << "rsyslogd refuses the configuration (Debian rsyslog-relp provides omrelp): " << check;
    return o;
  }

  Server s(dir, {"--config", dir + "/kamatama.yaml", "--syslog-tcp", tcp_listen});
  // A slow disk (the LD_PRELOAD shim of tests/fsync_shim.cc), for kamatama only: batches are
  // then in flight when it stops.
  auto start = [&] {
    if (slow_fsync_ms > 0) {
      std::ofstream(dir + "/slow").close();
      ::setenv("LD_PRELOAD", KMT_FSYNC_SHIM, 1);
      ::setenv("KMT_FSYNC_DELAY_FILE", (dir + "/slow").c_str(), 1);
      ::setenv("KMT_FSYNC_DELAY_MS", std::to_string(slow_fsync_ms).c_str(), 1);
    }
    s.Start();
    ::unsetenv("LD_PRELOAD");
  };
  start();
  if (::testing::Test::HasFatalFailure()) return o;
  SeqWriter writer(rdir + "/seq.log", marker, 20, 10);  // ~2,000 lines/s
  pid_t rs = StartRsyslogd(rdir);
  auto t0 = Clock::now();
  std::mt19937 rng(static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> up_ms(300, 900);
  for (int r = 0; r < rounds; ++r) {
    std::this_thread::sleep_for(std::chrono::milliseconds(up_ms(rng)));
    int rc = s.Stop(sig);
    if (sig == SIGTERM) EXPECT_EQ(rc, 0) << "round " << r;
    start();
    if (::testing::Test::HasFatalFailure()) break;
    ++o.rounds;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  long sent = writer.Stop();
  std::map<long, int> seqs;
  long bad = 0;
  if (want_all) {
    Eventually([&] {
      seqs = Arrived(s, marker, &bad);
      return static_cast<long>(seqs.size()) >= sent;
    }, 60000);
  } else {
    size_t stable_since = 0, last = SIZE_MAX;
    Eventually([&] {
      seqs = Arrived(s, marker, &bad);
      if (seqs.size() != last) {
        last = seqs.size();
        stable_since = 0;
      }
      return seqs.count(sent - 1) && ++stable_since >= 20;  // 20 polls (~1 s) without change
    }, 60000);
  }
  o.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  double backpressure = s.Metric("kamatama_relp_backpressure_waits_total");
  ::kill(rs, SIGTERM);
  ::waitpid(rs, nullptr, 0);
  Outcome sum = Summarise(seqs, sent);
  sum.rounds = o.rounds;
  sum.seconds = o.seconds;
  sum.bad = bad;
  sum.backpressure = backpressure;
  EXPECT_EQ(s.Stop(), 0);
  // rsyslog's own accounting (impstats): a message its action queue discarded never reached us.
  std::string stats = ReadFile(rdir + "/stats");
  size_t q = stats.rfind(" queue: origin=core.queue");
  if (q != std::string::npos) sum.rsyslog_queue = stats.substr(stats.rfind('\n', q) + 1, stats.find('\n', q) - stats.rfind('\n', q) - 1);
  if (::testing::Test::HasFailure() || sum.lost > 0)
    std::fprintf(stderr, "rsyslogd output:\n%s\nrsyslog action queue: %s\n", ReadFile(rdir + "/rsyslogd.out").c_str(),
                 sum.rsyslog_queue.c_str());
  sum.dir = dir;
  return sum;
}

bool HaveRsyslog() { return !Shell("command -v rsyslogd").empty(); }

}  // namespace

TEST(Relp, RsyslogOmrelpLosesNothingAcrossKill9) {
  if (!HaveRsyslog()) {
    if (InCi()) FAIL() << "rsyslogd missing (deploy/install-deps.sh installs rsyslog and rsyslog-relp)";
    GTEST_SKIP() << "rsyslogd not installed (deploy/install-deps.sh installs it)";
  }
  const int port = FreeLocalPort();
  constexpr int kRounds = 20;
  constexpr int kWindow = 128;  // omrelp's windowSize, set explicitly below
  std::string yaml = "syslog:\n  relp: 127.0.0.1:" + std::to_string(port) + "\n";
  // The docs' recipe (docs/shippers.md), with a 1 s retry instead of rsyslog's 30 s default.
  std::string action =
      "module(load=\"omrelp\")\n"
      "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"PORT\" windowSize=\"" + std::to_string(kWindow) + "\"\n"
      "       template=\"RSYSLOG_SyslogProtocol23Format\"\n"
      "       queue.type=\"LinkedList\" queue.size=\"100000\" queue.filename=\"kamatama_relp\" queue.saveOnShutdown=\"on\"\n"
      "       action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\")\n";
  Outcome o = KillLoop("relpkill", yaml, "127.0.0.1:0", action, port, kRounds, true);
  std::printf("\nRELP (omrelp): %d rounds of kill -9 in %.1f s: %ld lines sent, %ld arrived, %ld lost, "
              "%ld duplicates (bound %d), %ld mangled\n",
              o.rounds, o.seconds, o.sent, o.distinct, o.lost, o.duplicates, kRounds * kWindow, o.bad);
  EXPECT_EQ(o.rounds, kRounds);
  EXPECT_GT(o.sent, 10000);  // the kills happened while lines were flowing
  EXPECT_EQ(o.lost, 0) << "missing:" << o.missing;
  EXPECT_LE(o.duplicates, static_cast<long>(o.rounds) * kWindow);
  EXPECT_EQ(o.bad, 0);
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(o.dir);
}

// A clean stop (SIGTERM) answers every message it stored before it closes: restarts lose
// nothing and store nothing twice. Each fsync takes 50 ms here, so that a batch is in flight
// (stored, not yet answered) when the stop comes: RelpServer::Stop must answer it. The ingest
// queue is 16 KiB, so it fills: sessions stop reading (backpressure) and nothing is lost either.
TEST(Relp, RsyslogOmrelpCleanRestartsStoreEachLineOnce) {
  if (!HaveRsyslog()) {
    if (InCi()) FAIL() << "rsyslogd missing (deploy/install-deps.sh installs rsyslog and rsyslog-relp)";
    GTEST_SKIP() << "rsyslogd not installed (deploy/install-deps.sh installs it)";
  }
  const int port = FreeLocalPort();
  constexpr int kRounds = 5;
  std::string yaml = "syslog:\n  relp: 127.0.0.1:" + std::to_string(port) + "\n";
  std::string action =
      "module(load=\"omrelp\")\n"
      "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"PORT\" template=\"RSYSLOG_SyslogProtocol23Format\"\n"
      "       queue.type=\"LinkedList\" queue.size=\"100000\" queue.filename=\"kamatama_relp\" queue.saveOnShutdown=\"on\"\n"
      "       action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\")\n";
  yaml += "storage:\n  queue: 16KiB\n";
  Outcome o = KillLoop("relpterm", yaml, "127.0.0.1:0", action, port, kRounds, true, SIGTERM, 50);
  std::printf("\nRELP (omrelp): %d clean restarts (SIGTERM) in %.1f s: %ld lines sent, %ld arrived, %ld lost, "
              "%ld duplicates, %ld mangled; %.0f backpressure waits in the last run\n",
              o.rounds, o.seconds, o.sent, o.distinct, o.lost, o.duplicates, o.bad, o.backpressure);
  EXPECT_EQ(o.rounds, kRounds);
  EXPECT_GT(o.sent, 2000);
  EXPECT_GT(o.backpressure, 0);  // the queue did fill
  EXPECT_EQ(o.lost, 0) << "missing:" << o.missing;
  EXPECT_EQ(o.duplicates, 0);
  EXPECT_EQ(o.bad, 0);
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(o.dir);
}

TEST(Relp, RsyslogOmfwdTcpLosesOnlyAtTheKills) {
  if (!HaveRsyslog()) {
    if (InCi()) FAIL() << "rsyslogd missing (deploy/install-deps.sh installs it)";
    GTEST_SKIP() << "rsyslogd not installed (deploy/install-deps.sh installs it)";
  }
  const int port = FreeLocalPort();
  constexpr int kRounds = 10;
  std::string yaml = "{}\n";
  std::string action =
      "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"PORT\" protocol=\"tcp\"\n"
      "       TCP_Framing=\"octet-counted\" template=\"RSYSLOG_SyslogProtocol23Format\"\n"
      "       queue.type=\"LinkedList\" queue.size=\"100000\" queue.filename=\"kamatama_fwd\" queue.saveOnShutdown=\"on\"\n"
      "       action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\")\n";
  Outcome o = KillLoop("tcpkill", yaml, "127.0.0.1:" + std::to_string(port), action, port, kRounds, false);
  std::printf("\nTCP (omfwd): %d rounds of kill -9 in %.1f s: %ld lines sent, %ld arrived, %ld lost in %ld runs, "
              "%ld duplicates, %ld mangled\n",
              o.rounds, o.seconds, o.sent, o.distinct, o.lost, o.gaps, o.duplicates, o.bad);
  EXPECT_EQ(o.rounds, kRounds);
  EXPECT_GT(o.sent, 5000);
  // What plain TCP does guarantee: no line is altered, losses happen only at a kill (at most one
  // run of consecutive lines each: what was in flight), and the stream continues after each.
  EXPECT_EQ(o.bad, 0);
  EXPECT_LE(o.gaps, o.rounds);
  EXPECT_LT(o.last_gap_end, o.sent - 1) << "the last line written must arrive";
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(o.dir);
}

// RELP over TLS (syslog.relp_tls) with omrelp's TLS: the server's certificate checked by name.
TEST(Relp, RsyslogOmrelpOverTls) {
  if (!HaveRsyslog()) {
    if (InCi()) FAIL() << "rsyslogd missing (deploy/install-deps.sh installs rsyslog and rsyslog-relp)";
    GTEST_SKIP() << "rsyslogd not installed (deploy/install-deps.sh installs it)";
  }
  std::string dir = TempDir("relptls");
  std::string rdir = dir + "/rsyslog";
  std::filesystem::create_directories(rdir + "/work");
  int st = 0;
  std::string out = Shell(std::string(KMT_BINARY) + " cert self-signed --out " + ShellQuote(dir) + " 2>&1", &st);
  ASSERT_EQ(st, 0) << out;
  const int port = FreeLocalPort();
  std::ofstream(dir + "/kamatama.yaml") << "syslog:\n  relp: 127.0.0.1:" << port << "\n  relp_tls: true\n"
                                        << "tls:\n  cert: " << dir << "/cert.pem\n  key: " << dir << "/key.pem\n";
  const std::string marker = "tlsmark" + std::to_string(::getpid());
  std::ofstream(rdir + "/rsyslog.conf")
      << RsyslogConf(rdir, rdir + "/seq.log",
                     // omrelp's default GnuTLS driver (librelp 1.11) offers only TLS 1.3 suites in a TLS 1.2
                     // hello, which OpenSSL answers "no shared cipher": docs/shippers.md says to use OpenSSL.
                     "module(load=\"omrelp\" tls.tlslib=\"openssl\")\n"
                     "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"" + std::to_string(port) + "\" tls=\"on\"\n"
                     "       tls.caCert=\"" + dir + "/cert.pem\" tls.authMode=\"name\" tls.permittedPeer=[\"localhost\"]\n"
                     "       template=\"RSYSLOG_SyslogProtocol23Format\"\n"
                     "       action.resumeRetryCount=\"-1\" action.resumeInterval=\"1\")\n");
  std::string check = Shell("rsyslogd -N1 -f " + ShellQuote(rdir + "/rsyslog.conf") + " 2>&1", &st);
  ASSERT_EQ(st, 0) << "rsyslogd refuses the configuration (Debian rsyslog-relp provides omrelp): " << check;
  Server s(dir, {"--config", dir + "/kamatama.yaml"});
  ASSERT_NO_FATAL_FAILURE(s.Start());
  {
    std::ofstream f(rdir + "/seq.log");
    for (int i = 0; i < 500; ++i) f << marker << " seq=" << i << "\n";
  }
  pid_t rs = StartRsyslogd(rdir);
  std::map<long, int> seqs;
  long bad = 0;
  bool all = Eventually([&] {
    seqs = Arrived(s, marker, &bad);
    return seqs.size() == 500;
  }, 30000);
  ::kill(rs, SIGTERM);
  ::waitpid(rs, nullptr, 0);
  EXPECT_TRUE(all) << seqs.size() << " of 500 arrived\n" << ReadFile(rdir + "/rsyslogd.out") << s.log();
  EXPECT_EQ(bad, 0);
  for (auto& [seq, n] : seqs) EXPECT_EQ(n, 1) << "seq " << seq;  // no kill: no duplicate
  EXPECT_GE(s.Metric("kamatama_received_total{transport=\"relp\"}"), 500);
  EXPECT_EQ(s.Metric("kamatama_tls_handshake_failures_total{listener=\"relp\"}"), 0) << s.log();
  EXPECT_EQ(s.Stop(), 0);
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}
