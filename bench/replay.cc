// bench/replay.cc
//! Replays a file of syslog lines over TCP as fast as the receiver accepts them, split over
//! several connections (newline framing), then waits until the server's /metrics says every
//! event is stored and prints events/s. Usage: kmt_replay HOST:PORT DONE FILE [CONNS]
//! DONE is kamatama's HTTP HOST:PORT (wait for the stored events that are not alerts,
//! kamatama_events_stored_total less the alerts raised, kamatama_detection_alerts_total and
//! kamatama_intel_alerts_total, to grow by the line count: alerts are stored events too) or
//! file:PATH (wait until that file is as large as FILE: a peer writing the raw lines).
//! Prints the alerts raised meanwhile as "alerts".
//!
//! kmt_replay --udp RATE SECONDS SYSLOG_HOST:PORT HTTP_HOST:PORT FILE sends FILE's lines as one
//! datagram each at RATE datagrams/s for SECONDS (cycling through the lines, sendmmsg every
//! millisecond), then waits until stored + dropped events reach the count sent or stop moving
//! for 5 s, and prints what was sent, stored, and dropped by reason (queue full, store
//! unavailable, and the kernel's receive-buffer drops).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {
int Connect(const std::string& hostport, int type = SOCK_STREAM) {
  int fd = ::socket(AF_INET, type, 0);
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
std::string ReadAll(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sends `lines` round-robin as datagrams at `rate` per second for `seconds`; returns the count sent.
uint64_t SendPaced(int fd, const std::vector<std::string_view>& lines, double rate, double seconds) {
  constexpr size_t kBurst = 256;
  std::vector<mmsghdr> msgs(kBurst);
  std::vector<iovec> iov(kBurst);
  uint64_t sent = 0;
  size_t next = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t total = static_cast<uint64_t>(rate * seconds);
  while (sent < total) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    uint64_t due = std::min<uint64_t>(total, static_cast<uint64_t>(elapsed * rate)) - sent;
    if (due == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(1000));
      continue;
    }
    while (due > 0) {
      const size_t k = std::min<uint64_t>(due, kBurst);
      for (size_t i = 0; i < k; ++i) {
        std::string_view l = lines[next++ % lines.size()];
        iov[i] = {const_cast<char*>(l.data()), l.size()};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::sendmmsg(fd, msgs.data(), static_cast<unsigned>(k), 0);
      if (n <= 0) {
        std::perror("sendmmsg");
        return sent;
      }
      sent += static_cast<uint64_t>(n), due -= static_cast<uint64_t>(n);
    }
  }
  return sent;
}

int ReplayUdp(double rate, double seconds, const std::string& syslog, const std::string& http, const std::string& file) {
  const std::string data = ReadAll(file);
  std::vector<std::string_view> lines;
  for (size_t b = 0, e; b < data.size(); b = e + 1) {
    e = data.find('\n', b);
    if (e == std::string::npos) e = data.size();
    if (e > b) lines.emplace_back(data.data() + b, e - b);
  }
  if (lines.empty()) return 2;
  const std::vector<std::string> names = {"kamatama_events_stored_total",
                                          "kamatama_events_dropped_total{reason=\"udp_queue_full\"}",
                                          "kamatama_events_dropped_total{reason=\"udp_store_unavailable\"}",
                                          "kamatama_udp_receive_buffer_drops", "kamatama_received_total{transport=\"udp\"}"};
  const std::vector<double> before = Metrics(http, names);
  const auto delta = [&] {
    std::vector<double> m = Metrics(http, names);
    for (size_t i = 0; i < m.size(); ++i) m[i] -= before[i];
    return m;
  };
  int fd = Connect(syslog, SOCK_DGRAM);
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t sent = SendPaced(fd, lines, rate, seconds);
  const double send_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  // Wait until every datagram is accounted for, or nothing moved for 5 s.
  std::vector<double> m = delta();
  auto still_since = std::chrono::steady_clock::now();
  while (m[0] + m[1] + m[2] + m[3] < static_cast<double>(sent) &&
         std::chrono::steady_clock::now() - still_since < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<double> now = delta();
    if (now != m) still_since = std::chrono::steady_clock::now();
    m = std::move(now);
  }
  const double drain_secs = std::chrono::duration<double>(still_since - t0).count() - send_secs;
  std::printf("{\"rate\":%.0f,\"seconds\":%.3f,\"sent\":%lu,\"received\":%.0f,\"stored\":%.0f,\"dropped_queue_full\":%.0f,"
              "\"dropped_store_unavailable\":%.0f,\"dropped_receive_buffer\":%.0f,\"lost\":%.0f,\"loss_pct\":%.4f,"
              "\"drain_seconds\":%.3f}\n",
              rate, send_secs, static_cast<unsigned long>(sent), m[4], m[0], m[1], m[2], m[3],
              static_cast<double>(sent) - m[0], 100.0 * (static_cast<double>(sent) - m[0]) / static_cast<double>(sent),
              std::max(0.0, drain_secs));
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc >= 7 && std::string(argv[1]) == "--udp")
    return ReplayUdp(std::atof(argv[2]), std::atof(argv[3]), argv[4], argv[5], argv[6]);
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SYSLOG_HOST:PORT HTTP_HOST:PORT|file:PATH FILE [CONNECTIONS]\n", argv[0]);
    return 2;
  }
  std::string syslog = argv[1], http = argv[2], file = argv[3];
  int conns = argc > 4 ? std::atoi(argv[4]) : 4;
  std::string data = ReadAll(file);
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
