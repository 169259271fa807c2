// ingest/syslog_server.cc
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include "ingest/syslog_server.h"

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <charconv>
#include <list>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"
#include "ingest/framing.h"
#include "ingest/listen.h"
#include "ingest/tls.h"

namespace kamatama::ingest {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {
// The `drops` column of the socket with this inode in /proc/net/udp{,6}.
uint64_t UdpSocketDrops(unsigned long inode) {
  for (const char* path : {"/proc/self/net/udp", "/proc/self/net/udp6"}) {
    std::FILE* f = std::fopen(path, "r");
    if (!f) continue;
    char line[512];
    uint64_t found = UINT64_MAX;
    while (std::fgets(line, sizeof line, f)) {
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
      char tok[13][128];
      if (std::sscanf(line, "%127s %127s %127s %127s %127s %127s %127s %127s %127s %127s %127s %127s %127s", tok[0],
                      tok[1], tok[2], tok[3], tok[4], tok[5], tok[6], tok[7], tok[8], tok[9], tok[10], tok[11],
                      tok[12]) != 13)
        continue;
      if (std::strtoul(tok[9], nullptr, 10) == inode) {
        found = std::strtoull(tok[12], nullptr, 10);
        break;
      }
    }
    std::fclose(f);
    if (found != UINT64_MAX) return found;
  }
  return 0;
}

struct Counters {
  Counter& tcp_frames = GetCounter("kamatama_received_total", "transport=\"tcp\"", "Messages received");
  Counter& udp_frames = GetCounter("kamatama_received_total", "transport=\"udp\"", "Messages received");
  Counter& tcp_bytes = GetCounter("kamatama_received_bytes_total", "transport=\"tcp\"", "Bytes received");
  Counter& udp_bytes = GetCounter("kamatama_received_bytes_total", "transport=\"udp\"", "Bytes received");
  Counter& truncated = GetCounter("kamatama_truncated_total", "", "Frames cut at the maximum frame size");
  Counter& udp_dropped = GetCounter("kamatama_events_dropped_total", "reason=\"udp_queue_full\"",
                                    "Events dropped, by reason");
  Counter& udp_store_unavailable = GetCounter("kamatama_events_dropped_total", "reason=\"udp_store_unavailable\"",
                                              "Events dropped, by reason");
  Counter& conn_refused = GetCounter("kamatama_connections_refused_total", "",
                                     "TCP connections closed at once because max_connections was reached");
  Counter& partial = GetCounter("kamatama_incomplete_frames_total", "",
                                "Connections closed in the middle of a frame");
  Counter& idle_closed = GetCounter("kamatama_idle_connections_closed_total", "",
                                    "TCP connections closed by the idle timeout");
  Counter& backpressure = GetCounter("kamatama_tcp_backpressure_waits_total", "",
                                     "Times a TCP reader paused because the pipeline was full");
  Counter& parsed = GetCounter("kamatama_events_parsed_total", "", "Events parsed");
  Counter& invalid_utf8 = GetCounter("kamatama_invalid_utf8_total", "", "Frames that are not valid UTF-8");
};
Counters& C() {
  static Counters* c = new Counters();
  return *c;
}
}  // namespace

class SyslogServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Pipeline* p, ParseOptions parse, SyslogOptions opt)
      : io_(io), pipeline_(p), parse_(std::move(parse)), opt_(std::move(opt)), acceptor_(io), udp_(io), tls_acceptor_(io) {}

  asio::io_context& io_;
  Pipeline* pipeline_;
  ParseOptions parse_;
  SyslogOptions opt_;
  tcp::acceptor acceptor_;
  udp::socket udp_;
  tcp::acceptor tls_acceptor_;                    // syslog over TLS (RFC 5425), issue 8
  TlsContextSlot tls_;  // replaced by ReloadTls
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  std::mutex per_ip_mu_;
  std::unordered_map<std::string, size_t> per_ip_;  // open TCP/TLS connections by peer address
  // Counts a connection from `addr`; false when the address is at syslog.max_connections_per_ip.
  bool AcquireIp(const std::string& addr) {
    std::lock_guard lock(per_ip_mu_);
    size_t& n = per_ip_[addr];
    if (opt_.max_connections_per_ip && n >= opt_.max_connections_per_ip) {
      if (n == 0) per_ip_.erase(addr);
      return false;
    }
    ++n;
    return true;
  }
  void ReleaseIp(const std::string& addr) {
    std::lock_guard lock(per_ip_mu_);
    auto it = per_ip_.find(addr);
    if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  }
  std::mutex conns_mu_;
  std::list<std::weak_ptr<tcp::socket>> conns_;

  void AddRecord(Batch* b, std::string_view frame, bool truncated, const std::string& observer, int64_t now) {
    RawRecord r;
    r.received_ns = now;
    r.data.assign(frame);
    r.observer = observer;
    r.source = opt_.source;
    if (truncated) {
      r.flags |= kRawTruncated;
      C().truncated.Add();
    }
    if (!IsValidUtf8(frame)) C().invalid_utf8.Add();
    b->events.push_back(ParseRecord(r, parse_));
    b->raws.push_back(std::move(r));
  }

  asio::awaitable<void> Watchdog(std::shared_ptr<tcp::socket> sock, std::shared_ptr<int64_t> deadline) {
    asio::steady_timer timer(sock->get_executor());
    while (sock->is_open()) {
      int64_t now = store::NowSteady();
      if (now >= *deadline) {
        C().idle_closed.Add();
        boost::system::error_code ec;
        sock->close(ec);
        co_return;
      }
      timer.expires_after(std::chrono::nanoseconds(*deadline - now));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Waits (counting backpressure) until the pipeline has room to take more; false if stopping.
  asio::awaitable<bool> WaitForRoom(asio::steady_timer& wait, int64_t* deadline) {
    while (!pipeline_->HasRoom()) {
      if (stopping_) co_return false;
      C().backpressure.Add();
      boost::system::error_code ec;
      wait.expires_after(std::chrono::milliseconds(2));
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      *deadline = store::NowSteady() + opt_.idle_timeout_ns;  // not idle: we are not reading
    }
    co_return true;
  }

  // `stream` is the socket itself, or a TLS stream over it (then the handshake comes first; RFC
  // 5425 frames are octet-counted, which the framer detects like on plain TCP).
  template <class Stream>
  asio::awaitable<void> Session(std::shared_ptr<Stream> stream, std::shared_ptr<tcp::socket> sock, std::string observer) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    auto deadline = std::make_shared<int64_t>(store::NowSteady() + opt_.idle_timeout_ns);
    asio::co_spawn(sock->get_executor(), Watchdog(sock, deadline), asio::detached);
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      static Counter& failed = GetCounter("kamatama_tls_handshake_failures_total", "listener=\"syslog\"",
                                          "TLS handshakes that failed (no or bad client certificate, not TLS, ...)");
      *deadline = store::NowSteady() + std::min<int64_t>(opt_.idle_timeout_ns, 30LL * 1'000'000'000);
      co_await stream->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        failed.Add();
        sock->close(ec);
        connections_--;
        ReleaseIp(observer);
        co_return;
      }
      *deadline = store::NowSteady() + opt_.idle_timeout_ns;
    }
    SyslogFramer framer(opt_.max_frame);
    // Memory (reliability, issue 9): plain TCP waits for data without a buffer and reads into one
    // buffer per thread, so an idle or paused connection holds no 64 KiB read buffer.
    constexpr bool kPlain = std::is_same_v<Stream, tcp::socket>;
    std::vector<char> buf(kPlain ? 0 : 64 * 1024);
    if constexpr (kPlain) sock->non_blocking(true, ec);
    asio::steady_timer wait(sock->get_executor());
    Counters& c = C();
    for (;;) {
      size_t n = 0;
      const char* data = nullptr;
      if constexpr (kPlain) {
        co_await sock->async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        // Memory (reliability): read only when there is room (see Pipeline::HasRoom); from here
        // to the submit or hold below nothing waits, so at most one read per thread overshoots.
        if (!co_await WaitForRoom(wait, deadline.get())) co_return;
        thread_local std::vector<char> tbuf(64 * 1024);
        n = sock->read_some(asio::buffer(tbuf), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        data = tbuf.data();
      } else {
        if (!co_await WaitForRoom(wait, deadline.get())) co_return;
        n = co_await stream->async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        data = buf.data();
      }
      if (ec || n == 0) break;
      *deadline = store::NowSteady() + opt_.idle_timeout_ns;
      c.tcp_bytes.Add(n);
      Batch batch;
      int64_t now = NowNanos();
      framer.Feed(std::string_view(data, n), [&](std::string_view f, bool truncated) {
        AddRecord(&batch, f, truncated, observer, now);
      });
      if (batch.events.empty()) continue;
      size_t frames = batch.events.size();
      c.tcp_frames.Add(frames);
      c.parsed.Add(frames);
      // Backpressure: hold the connection (and stop reading) until the pipeline has room; the
      // held batch counts against the queue's limit meanwhile.
      if (!pipeline_->TrySubmit(batch)) {
        const size_t held = batch.Bytes();
        pipeline_->Hold(held);
        while (!pipeline_->TrySubmit(batch)) {
          if (stopping_) {
            pipeline_->Release(held);
            co_return;
          }
          c.backpressure.Add();
          wait.expires_after(std::chrono::milliseconds(2));
          co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          *deadline = store::NowSteady() + opt_.idle_timeout_ns;
        }
        pipeline_->Release(held);
      }
    }
    if (framer.Pending() > 0) c.partial.Add();
    sock->close(ec);
    connections_--;
    ReleaseIp(observer);
  }

  asio::awaitable<void> Accept(tcp::acceptor& acceptor, bool tls) {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(asio::make_strand(io_));
      co_await acceptor.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_) co_return;
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        // EMFILE and friends: back off briefly rather than spin.
        asio::steady_timer t(io_, std::chrono::milliseconds(50));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (connections_ >= opt_.max_connections) {
        C().conn_refused.Add();
        s.close(ec);
        continue;
      }
      std::string peer;
      {
        auto ep = s.remote_endpoint(ec);
        if (!ec) peer = ep.address().to_string();
        if (ec || !AcquireIp(peer)) {
          C().conn_refused.Add();
          s.close(ec);
          continue;
        }
      }
      connections_++;
      std::shared_ptr<tcp::socket> sock;
      std::shared_ptr<asio::ssl::stream<tcp::socket>> tls_stream;
      if (tls) {
        std::shared_ptr<asio::ssl::context> ctx = tls_.Current();
        tls_stream = std::make_shared<asio::ssl::stream<tcp::socket>>(std::move(s), *ctx);
        sock = std::shared_ptr<tcp::socket>(tls_stream, &tls_stream->next_layer());  // shares ownership
      } else {
        sock = std::make_shared<tcp::socket>(std::move(s));
      }
      {
        std::lock_guard lock(conns_mu_);
        conns_.remove_if([](const std::weak_ptr<tcp::socket>& w) { return w.expired(); });
        conns_.push_back(sock);
      }
      if (tls) asio::co_spawn(sock->get_executor(), Session(tls_stream, sock, peer), asio::detached);
      else asio::co_spawn(sock->get_executor(), Session(sock, sock, peer), asio::detached);
    }
  }

  asio::awaitable<void> ReceiveUdp() {
    auto self = shared_from_this();
    DatagramReader reader;
    Counters& c = C();
    for (;;) {
      boost::system::error_code ec;
      co_await udp_.async_wait(udp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      Batch batch;
      const int64_t now = NowNanos();
      // Take what is already queued in the socket (up to 512 datagrams) as one batch.
      for (int n; batch.events.size() < 512 && (n = reader.Read(udp_.native_handle())) > 0;) {
        for (int i = 0; i < n; ++i) {
          c.udp_bytes.Add(reader.Length(i));
          std::string_view d = reader.Data(i);
          const bool truncated = reader.Length(i) > opt_.max_frame;
          if (truncated) d = d.substr(0, opt_.max_frame);
          if (!d.empty() && (d.back() == '\n' || d.back() == '\0')) d.remove_suffix(1);
          if (d.empty()) continue;
          AddRecord(&batch, d, truncated, reader.Sender(i), now);
        }
      }
      if (batch.events.empty()) continue;
      c.udp_frames.Add(batch.events.size());
      c.parsed.Add(batch.events.size());
      size_t k = batch.events.size();
      if (!pipeline_->TrySubmit(batch)) {
        // reliability (issue 9): say why (a full queue, or a full disk / read-only store).
        if (pipeline_->State() == IngestState::kOk) c.udp_dropped.Add(k);
        else c.udp_store_unavailable.Add(k);
      }
    }
  }
};

SyslogServer::SyslogServer(asio::io_context& io, Pipeline* pipeline, ParseOptions parse, SyslogOptions opt)
    : impl_(std::make_shared<Impl>(io, pipeline, std::move(parse), std::move(opt))) {}

SyslogServer::~SyslogServer() { Stop(); }

Status SyslogServer::Start() {
  Impl& m = *impl_;
  if (!m.opt_.tcp_listen.empty()) {
    if (Status s = ListenTcp(m.acceptor_, m.opt_.tcp_listen, "syslog TCP"); !s.ok()) return s;
    asio::co_spawn(m.io_, m.Accept(m.acceptor_, false), asio::detached);
  }
  if (!m.opt_.tls_listen.empty()) {
    TlsFiles files{m.opt_.tls_cert, m.opt_.tls_key, m.opt_.tls_client_ca, m.opt_.tls_client_certs};
    if (Status s = m.tls_.Load(files); !s.ok()) return s;
    if (Status s = ListenTcp(m.tls_acceptor_, m.opt_.tls_listen, "syslog TLS"); !s.ok()) return s;
    asio::co_spawn(m.io_, m.Accept(m.tls_acceptor_, true), asio::detached);
  }
  if (!m.opt_.udp_listen.empty()) {
    if (Status s = BindUdp(m.udp_, m.opt_.udp_listen, "syslog UDP", m.opt_.udp_receive_buffer); !s.ok()) return s;
    // reliability (issue 9): datagrams the kernel dropped because the receive buffer was full.
    struct stat st {};
    if (::fstat(m.udp_.native_handle(), &st) == 0) {
      unsigned long inode = st.st_ino;
      RegisterGauge("kamatama_udp_receive_buffer_drops",
                    "Syslog UDP datagrams the kernel dropped because the socket's receive buffer was full",
                    [inode] { return static_cast<double>(UdpSocketDrops(inode)); });
    }
    asio::co_spawn(m.io_, m.ReceiveUdp(), asio::detached);
  }
  return Status::OK();
}

void SyslogServer::Stop() {
  Impl& m = *impl_;
  if (m.stopping_.exchange(true)) return;
  boost::system::error_code ec;
  m.acceptor_.close(ec);
  m.tls_acceptor_.close(ec);
  m.udp_.close(ec);
  std::lock_guard lock(m.conns_mu_);
  for (auto& w : m.conns_) {
    if (auto s = w.lock()) s->close(ec);
  }
}

std::string SyslogServer::udp_address() const { return LocalAddress(impl_->udp_); }
std::string SyslogServer::tls_address() const { return LocalAddress(impl_->tls_acceptor_); }
std::string SyslogServer::tcp_address() const { return LocalAddress(impl_->acceptor_); }

Status SyslogServer::ReloadTls(const SyslogOptions& opt) {
  Impl& m = *impl_;
  if (m.opt_.tls_listen.empty()) return Status::OK();
  return m.tls_.Load(TlsFiles{opt.tls_cert, opt.tls_key, opt.tls_client_ca, opt.tls_client_certs});
}

}  // namespace kamatama::ingest
