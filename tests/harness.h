// tests/harness.h
//! Integration-test harness: starts the real `kamatama` binary on free loopback ports with its
//! own data directory, and talks to it with real peers (curl, logger, rsyslog).
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kmt_test {

inline std::string Shell(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}

//! Percent-encodes a query parameter value.
inline std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("kmt_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

//! The first admin's password: every test server is started with it in KAMATAMA_ADMIN_PASSWORD
//! (issue 8: the API needs authentication), and Url() carries it as HTTP Basic credentials.
inline constexpr const char* kAdminUser = "admin";
inline constexpr const char* kAdminPassword = "kmt-test-admin-pw";

//! Base64 of "user:password", for raw HTTP requests.
inline std::string BasicCredentials(const std::string& user, const std::string& pw) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = user + ":" + pw, out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<uint8_t>(in[i + 2]);
    out.push_back(t[(v >> 18) & 63]);
    out.push_back(t[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? t[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? t[v & 63] : '=');
  }
  return out;
}

//! The kamatama server as a child process.
class Server {
 public:
  explicit Server(std::string dir, std::vector<std::string> extra = {}) : dir_(std::move(dir)), extra_(std::move(extra)) {}
  ~Server() {
    if (pid_ > 0) Stop();
  }

  //! Starts and waits until it logs its listening addresses.
  void Start() {
    log_ = dir_ + "/server.log";
    size_t log_start = ReadFile(log_).size();  // earlier runs in the same directory append
    std::vector<std::string> args = {KMT_BINARY, "serve", "--data-dir", dir_ + "/data", "--http", "127.0.0.1:0"};
    // Syslog on port 0 unless `extra` chooses the address (a fixed port survives restarts).
    for (const char* flag : {"--syslog-udp", "--syslog-tcp"}) {
      if (std::find(extra_.begin(), extra_.end(), flag) == extra_.end()) args.insert(args.end(), {flag, "127.0.0.1:0"});
    }
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("KAMATAMA_ADMIN_PASSWORD", kAdminPassword, 1);
      FILE* f = std::fopen(log_.c_str(), "a");
      ::dup2(fileno(f), 2);
      ::dup2(fileno(f), 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string log = ReadFile(log_);
      log = log.substr(std::min(log_start, log.size()));
      if (log.find("http listening on ") != std::string::npos) {
        http_ = After(log, "http listening on ");
        udp_ = After(log, "syslog udp listening on ");
        tcp_ = After(log, "syslog tcp listening on ");
        return;
      }
      int st;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "server exited during start-up:\n" << log;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "server did not start:\n" << ReadFile(log_);
  }

  //! Sends SIGTERM (or sig) and waits; returns the exit code.
  int Stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int st = 0;
    // A server that does not stop within two minutes is hung: kill it (and say so) rather than
    // hang the test binary until ctest's timeout.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    while (::waitpid(pid_, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "server %d did not stop within 2 minutes of signal %d: killed\n", pid_, sig);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (rc != 0 && sig == SIGTERM) std::fprintf(stderr, "server exited with %d; its log:\n%s\n", rc, log().c_str());
    return rc;
  }
  bool Alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  pid_t pid() const { return pid_; }

  //! The URL with the admin's credentials (curl sends them as HTTP Basic).
  std::string Url(const std::string& path) const {
    return std::string("http://") + kAdminUser + ":" + kAdminPassword + "@" + http_ + path;
  }
  //! The URL without credentials.
  std::string AnonUrl(const std::string& path) const { return "http://" + http_ + path; }
  //! An "Authorization: Basic ..." header line (CRLF-terminated) for raw HTTP requests.
  static std::string AuthHeader() { return "Authorization: Basic " + BasicCredentials(kAdminUser, kAdminPassword) + "\r\n"; }
  //! GET through curl; returns the body, *code = HTTP status.
  std::string Get(const std::string& path, int* code = nullptr) const {
    std::string out = Shell("curl -s -m 30 -w '\\n%{http_code}' " + ShellQuote(Url(path)));
    return SplitCode(out, code);
  }
  std::string Post(const std::string& path, const std::string& body_file, int* code = nullptr) const {
    std::string out = Shell("curl -s -m 60 -w '\\n%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary @" +
                            ShellQuote(body_file) + " " + ShellQuote(Url(path)));
    return SplitCode(out, code);
  }
  std::string Search(const std::string& q, const std::string& extra = "", int* code = nullptr) const {
    return Get("/api/v1/search?q=" + UrlEncode(q) + extra, code);
  }

  //! A CountMatches answer that was not a search result (never a real count).
  static constexpr size_t kNoCount = static_cast<size_t>(-1);

  //! How many events a search returns (up to 10000). An answer other than 200 with an `events`
  //! array (401, 500, a dead server, a body that is not JSON) fails the test, showing the status
  //! and body, and returns kNoCount, so `CountMatches(q) == 0` cannot pass on an error.
  size_t CountMatches(const std::string& q) const {
    int code = 0;
    std::string body = Search(q, "&limit=10000", &code);
    simdjson::dom::parser p;
    simdjson::dom::array events;
    if (code != 200 || p.parse(body)["events"].get(events)) {
      ADD_FAILURE() << "search '" << q << "' answered " << code << ", not a search result: " << body.substr(0, 500);
      return kNoCount;
    }
    return events.size();
  }

  const std::string& udp() const { return udp_; }
  const std::string& http_address() const { return http_; }
  const std::string& tcp() const { return tcp_; }
  std::string udp_port() const { return udp_.substr(udp_.rfind(':') + 1); }
  std::string tcp_port() const { return tcp_.substr(tcp_.rfind(':') + 1); }
  const std::string& dir() const { return dir_; }
  std::string log() const { return ReadFile(log_); }

  //! Value of a metric line (exact name with labels) from /metrics, or -1.
  double Metric(const std::string& name_with_labels) const {
    std::string m = Get("/metrics");
    std::istringstream in(m);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(name_with_labels + " ", 0) == 0) return std::stod(line.substr(name_with_labels.size() + 1));
    }
    return -1;
  }

 private:
  static std::string After(const std::string& log, const std::string& key) {
    size_t p = log.find(key);
    if (p == std::string::npos) return "";
    p += key.size();
    return log.substr(p, log.find('\n', p) - p);
  }
  static std::string SplitCode(const std::string& out, int* code) {
    size_t nl = out.rfind('\n');
    if (code) *code = nl == std::string::npos ? -1 : std::atoi(out.c_str() + nl + 1);
    return nl == std::string::npos ? out : out.substr(0, nl);
  }
  std::string dir_;
  std::vector<std::string> extra_;
  std::string log_;
  pid_t pid_ = -1;
  std::string http_, udp_, tcp_;
};

//! A fixture whose tests share one server, started once for the suite in its own directory.
class SharedServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(); }
  //! Starts the suite's server, with `config` (YAML) as its --config file unless empty; a suite
  //! that needs settings calls it from its own SetUpTestSuite.
  static void StartSuiteServer(const std::string& config = "") {
    dir_ = new std::string(TempDir(::testing::UnitTest::GetInstance()->current_test_suite()->name()));
    std::vector<std::string> args;
    if (!config.empty()) {
      std::ofstream(*dir_ + "/kamatama.yaml") << config;
      args = {"--config", *dir_ + "/kamatama.yaml"};
    }
    server_ = new Server(*dir_, args);
    server_->Start();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->Stop(), 0);
    delete server_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  inline static std::string* dir_ = nullptr;
  inline static Server* server_ = nullptr;
};

//! Starts `rsyslogd -n` on `rdir`/rsyslog.conf (pid file in rdir, output in rdir/rsyslogd.out);
//! returns its pid (the caller stops it).
inline pid_t StartRsyslogd(const std::string& rdir) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string log = rdir + "/rsyslogd.out";
    FILE* f = std::fopen(log.c_str(), "w");
    ::dup2(fileno(f), 1);
    ::dup2(fileno(f), 2);
    std::string conf = rdir + "/rsyslog.conf", pidf = rdir + "/rsyslogd.pid";
    ::execlp("rsyslogd", "rsyslogd", "-n", "-f", conf.c_str(), "-i", pidf.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

//! The seed of a randomized test: KMT_SEED when set (to replay a failure), else the clock. It is
//! printed and recorded as the test's "seed" property, so a failing run says how to replay it.
inline unsigned TestSeed() {
  const char* env = std::getenv("KMT_SEED");
  const unsigned seed = env ? static_cast<unsigned>(std::strtoul(env, nullptr, 10))
                            : static_cast<unsigned>(std::chrono::system_clock::now().time_since_epoch().count());
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::printf("%s.%s: seed %u (replay with KMT_SEED=%u)\n", info ? info->test_suite_name() : "?",
              info ? info->name() : "?", seed, seed);
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

//! A free port on 127.0.0.1 for `type` (SOCK_STREAM, SOCK_DGRAM): nothing listens there when this
//! returns, for a peer to be started on it later.
inline int FreeLocalPort(int type = SOCK_STREAM) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

//! Polls `fn` until it returns true or the timeout passes.
template <class F>
bool Eventually(F fn, int timeout_ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fn();
}

//! A raw TCP client for sending exact bytes, to the port of `hostport` on 127.0.0.1; `from`
//! chooses the local address (127.0.0.x), to tell per-address limits from totals.
class TcpClient {
 public:
  explicit TcpClient(const std::string& hostport, const char* from = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    bool bound = true;
    if (from) {
      sockaddr_in src{};
      src.sin_family = AF_INET;
      ::inet_pton(AF_INET, from, &src.sin_addr);
      bound = ::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) == 0;
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(hostport.substr(hostport.rfind(':') + 1))));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ok_ = bound && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~TcpClient() { Close(); }
  bool ok() const { return ok_; }
  int fd() const { return fd_; }
  bool Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

//! Reads from fd until `until` appears (never, when empty), the peer closes, or `ms` pass.
inline std::string ReadUntil(int fd, const std::string& until, int ms) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (until.empty() || got.find(until) == std::string::npos) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd pfd{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&pfd, 1, left) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

inline void SendUdp(const std::string& hostport, const std::string& data) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(hostport.substr(hostport.rfind(':') + 1))));
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::close(fd);
}

}  // namespace kmt_test
