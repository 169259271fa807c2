// bench/replay.cc
//! Replays a file of syslog lines over TCP as fast as the receiver accepts them, split over
//! several connections (newline framing), then waits until the server's /metrics says every
//! event is stored and prints events/s. Usage: kmt_replay HOST:PORT DONE FILE [CONNS]
//! DONE is kamatama's HTTP HOST:PORT (wait for the stored events that are not alerts,
//! kamatama_events_stored_total less the alerts raised, kamatama_detection_alerts_total and
//! kamatama_intel_alerts_total, to grow by the line count: alerts are stored events too) or
//! file:PATH (wait until that file is as large as FILE: a peer writing the raw lines).
//! Prints the alerts raised meanwhile as "alerts".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {
int Connect(const std::string& hostport) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(hostport.substr(hostport.rfind(':') + 1))));
  ::inet_pton(AF_INET, hostport.substr(0, hostport.rfind(':')).c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

// Reads metric values from one /metrics response over a plain HTTP/1.0 request (0 if absent).
std::vector<double> Metrics(const std::string& http, const std::vector<std::string>& names) {
  int fd = Connect(http);
  std::string req = "GET /metrics HTTP/1.0\r\nHost: x\r\n";
  // The server is locked by default: KMT_AUTHORIZATION holds the Authorization header value.
  if (const char* auth = std::getenv("KMT_AUTHORIZATION")) req += std::string("Authorization: ") + auth + "\r\n";
  req += "\r\n";
  ::send(fd, req.data(), req.size(), 0);
  std::string resp;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  std::vector<double> out(names.size(), 0.0);
  std::istringstream in(resp);
  std::string line;
  while (std::getline(in, line)) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (line.rfind(names[i] + " ", 0) == 0) out[i] = std::stod(line.substr(names[i].size() + 1));
    }
  }
  return out;
}

// Stored events that are not alerts, and alerts raised. Both counters come from one response; an
// alert is counted raised before it is stored, so this never runs ahead of the events stored.
std::pair<double, double> StoredAndAlerts(const std::string& http) {
  const std::vector<double> m =
      Metrics(http, {"kamatama_events_stored_total", "kamatama_detection_alerts_total", "kamatama_intel_alerts_total"});
  return {m[0] - m[1] - m[2], m[1] + m[2]};
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SYSLOG_HOST:PORT HTTP_HOST:PORT|file:PATH FILE [CONNECTIONS]\n", argv[0]);
    return 2;
  }
  std::string syslog = argv[1], http = argv[2], file = argv[3];
  int conns = argc > 4 ? std::atoi(argv[4]) : 4;
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  size_t lines = 0;
  for (char c : data) lines += c == '\n';
  // Split at line boundaries into `conns` parts.
  std::vector<std::pair<size_t, size_t>> parts;
  size_t start = 0;
  for (int i = 0; i < conns; ++i) {
    size_t end = i + 1 == conns ? data.size() : data.find('\n', data.size() * (i + 1) / conns);
    end = end == std::string::npos ? data.size() : end + 1;
    parts.emplace_back(start, end);
    start = end;
  }
  const bool to_file = http.rfind("file:", 0) == 0;
  const std::string out_path = to_file ? http.substr(5) : "";
  double alerts_before = 0, alerts = 0;
  auto done_count = [&]() -> double {
    if (!to_file) {
      auto [stored, raised] = StoredAndAlerts(http);
      alerts = raised;
      return stored;
    }
    std::ifstream f(out_path, std::ios::binary | std::ios::ate);
    return f ? static_cast<double>(f.tellg()) : 0.0;
  };
  const double target = to_file ? static_cast<double>(data.size()) : static_cast<double>(lines);
  double before = to_file ? 0 : done_count();
  alerts_before = alerts;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (auto [b, e] : parts) {
    threads.emplace_back([&, b = b, e = e] {
      int fd = Connect(syslog);
      size_t off = b;
      while (off < e) {
        ssize_t n = ::send(fd, data.data() + off, std::min<size_t>(e - off, 1 << 20), MSG_NOSIGNAL);
        if (n <= 0) {
          std::perror("send");
          break;
        }
        off += static_cast<size_t>(n);
      }
      ::close(fd);
    });
  }
  for (auto& t : threads) t.join();
  auto t_sent = std::chrono::steady_clock::now();
  while (done_count() - before < target) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto t1 = std::chrono::steady_clock::now();
  double secs = std::chrono::duration<double>(t1 - t0).count();
  double sent_secs = std::chrono::duration<double>(t_sent - t0).count();
  std::printf("{\"events\":%zu,\"bytes\":%zu,\"connections\":%d,\"seconds\":%.3f,\"send_seconds\":%.3f,"
              "\"events_per_second\":%.0f,\"alerts\":%.0f}\n",
              lines, data.size(), conns, secs, sent_secs, lines / secs, alerts - alerts_before);
  return 0;
}
