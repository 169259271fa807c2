// ingest/relp_server.cc
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include "ingest/relp_server.h"

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/json.h"
#include "core/metrics.h"
#include "core/time.h"
#include "ingest/listen.h"
#include "ingest/relp.h"
#include "ingest/tls.h"

namespace kamatama::ingest {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

struct Counters {
  Counter& frames = GetCounter("kamatama_received_total", "transport=\"relp\"", "Messages received");
  Counter& bytes = GetCounter("kamatama_received_bytes_total", "transport=\"relp\"", "Bytes received");
  Counter& truncated = GetCounter("kamatama_truncated_total", "", "Frames cut at the maximum frame size");
  Counter& invalid_utf8 = GetCounter("kamatama_invalid_utf8_total", "", "Frames that are not valid UTF-8");
  Counter& parsed = GetCounter("kamatama_events_parsed_total", "", "Events parsed");
  Counter& acked = GetCounter("kamatama_relp_acknowledged_total", "",
                              "RELP messages answered 200 OK after they were fsynced");
  Counter& sessions = GetCounter("kamatama_relp_sessions_total", "", "RELP sessions accepted");
  Counter& protocol_errors = GetCounter("kamatama_relp_protocol_errors_total", "",
                                        "RELP sessions closed for a protocol violation");
  Counter& unacked_failed = GetCounter("kamatama_relp_sessions_failed_total", "",
                                       "RELP sessions closed unanswered because the store refused a batch");
  Counter& conn_refused = GetCounter("kamatama_connections_refused_total", "",
                                     "TCP connections closed at once because max_connections was reached");
  Counter& idle_closed = GetCounter("kamatama_idle_connections_closed_total", "",
                                    "TCP connections closed by the idle timeout");
  Counter& backpressure = GetCounter("kamatama_relp_backpressure_waits_total", "",
                                     "Times a RELP session paused reading because the pipeline was full");
};
Counters& C() {
  static Counters* c = new Counters();
  return *c;
}

using TlsStream = asio::ssl::stream<tcp::socket>;

// One RELP session. The reader and writer coroutines run on the socket's strand; `mu` guards
// what the pipeline's writer thread touches (the batch completion callbacks).
struct Conn {
  Conn(std::shared_ptr<tcp::socket> s, std::shared_ptr<TlsStream> t)
      : sock(std::move(s)), tls(std::move(t)), wake(sock->get_executor()) {}
  std::shared_ptr<tcp::socket> sock;       // the TCP socket (inside `tls` when TLS is on)
  std::shared_ptr<TlsStream> tls;          // null without TLS
  asio::steady_timer wake;                 // the writer waits on it; cancel() wakes it
  std::string peer;

  std::mutex mu;
  std::string ready;       // answers that may be sent now
  int inflight = 0;        // batches submitted whose completion has not come yet
  bool failed = false;     // the store refused a batch: close without answering
  bool reading_done = false;
  std::string close_rsp;   // the answer to `close`, sent once nothing is in flight
  bool has_close = false;
  bool writing = false;    // an async write is in progress (strand only)
  bool finished = false;   // the writer has closed the connection

  void Close() {
    boost::system::error_code ec;
    sock->close(ec);
  }
};

}  // namespace

class RelpServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Pipeline* p, ParseOptions parse, SyslogOptions opt)
      : io_(io), pipeline_(p), parse_(std::move(parse)), opt_(std::move(opt)), acceptor_(io) {}

  asio::io_context& io_;
  Pipeline* pipeline_;
  ParseOptions parse_;
  SyslogOptions opt_;
  tcp::acceptor acceptor_;
  TlsContextSlot tls_;  // replaced by ReloadTls
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  std::mutex conns_mu_;
  std::list<std::weak_ptr<Conn>> conns_;
  std::mutex per_ip_mu_;
  std::unordered_map<std::string, size_t> per_ip_;

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

  template <class Buf, class Token>
  auto AsyncWrite(Conn& c, const Buf& b, Token&& t) {
    if (c.tls) return asio::async_write(*c.tls, b, std::forward<Token>(t));
    return asio::async_write(*c.sock, b, std::forward<Token>(t));
  }

  // Sends the answers as they become due; closes the connection when the session is over (the
  // reader is done and nothing is in flight) or when the store refused a batch.
  asio::awaitable<void> Writer(std::shared_ptr<Conn> c) {
    auto self = shared_from_this();
    std::string out;
    for (;;) {
      bool fail, over;
      {
        std::lock_guard lock(c->mu);
        out.swap(c->ready);
        fail = c->failed;
        over = c->reading_done && c->inflight == 0;
        if (over && c->has_close && !fail) {
          out += c->close_rsp;
          c->has_close = false;
        }
      }
      if (fail) {
        C().unacked_failed.Add();
        break;
      }
      if (!out.empty()) {
        boost::system::error_code ec;
        c->writing = true;
        co_await AsyncWrite(*c, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
        c->writing = false;
        out.clear();
        if (ec) break;
        continue;
      }
      if (over) break;
      boost::system::error_code ec;
      c->wake.expires_at(asio::steady_timer::time_point::max());
      co_await c->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    c->finished = true;
    c->Close();
  }

  // Called on the pipeline's writer thread once the batch is durable (or refused).
  static void Completed(const std::shared_ptr<Conn>& c, const std::string& answers, size_t n, const Status& s) {
    {
      std::lock_guard lock(c->mu);
      if (s.ok()) c->ready += answers;
      else c->failed = true;
      --c->inflight;
    }
    if (s.ok()) C().acked.Add(n);
    asio::post(c->sock->get_executor(), [c] { c->wake.cancel(); });
  }

  void Wake(Conn& c) { c.wake.cancel(); }

  asio::awaitable<void> Watchdog(std::shared_ptr<Conn> c, std::shared_ptr<int64_t> deadline) {
    asio::steady_timer timer(c->sock->get_executor());
    while (c->sock->is_open()) {
      int64_t now = store::NowSteady();
      if (now >= *deadline) {
        C().idle_closed.Add();
        c->Close();
        co_return;
      }
      timer.expires_after(std::chrono::nanoseconds(*deadline - now));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  asio::awaitable<void> Session(std::shared_ptr<Conn> c) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    auto deadline = std::make_shared<int64_t>(store::NowSteady() + opt_.idle_timeout_ns);
    asio::co_spawn(c->sock->get_executor(), Watchdog(c, deadline), asio::detached);
    if (c->tls) {
      static Counter& failed = GetCounter("kamatama_tls_handshake_failures_total", "listener=\"relp\"",
                                          "TLS handshakes that failed (no or bad client certificate, not TLS, ...)");
      *deadline = store::NowSteady() + std::min<int64_t>(opt_.idle_timeout_ns, 30LL * 1'000'000'000);
      co_await c->tls->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        failed.Add();
        c->Close();
        connections_--;
        ReleaseIp(c->peer);
        co_return;
      }
      *deadline = store::NowSteady() + opt_.idle_timeout_ns;
    }
    C().sessions.Add();
    asio::co_spawn(c->sock->get_executor(), Writer(c), asio::detached);
    RelpFramer framer(opt_.max_frame);
    RelpSession proto;
    std::vector<char> buf(64 * 1024);
    asio::steady_timer wait(c->sock->get_executor());
    Counters& k = C();
    bool more = true;
    while (more && !stopping_) {
      // Backpressure: read nothing while the pipeline has no room; the sender's window fills.
      while (!pipeline_->HasRoom() && !stopping_ && c->sock->is_open()) {
        k.backpressure.Add();
        wait.expires_after(std::chrono::milliseconds(2));
        co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        *deadline = store::NowSteady() + opt_.idle_timeout_ns;
      }
      size_t n = c->tls ? co_await c->tls->async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec))
                        : co_await c->sock->async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      if (ec || n == 0) break;
      *deadline = store::NowSteady() + opt_.idle_timeout_ns;
      k.bytes.Add(n);
      Batch batch;
      std::string answers, now_answers;
      const int64_t now = NowNanos();
      bool ok = framer.Feed(std::string_view(buf.data(), n), [&](const RelpFrame& f) {
        if (!more) return;  // after close or a violation, the rest is ignored
        RelpStep step = proto.OnFrame(f);
        switch (step.kind) {
          case RelpStep::kMessage: {
            RawRecord r;
            r.received_ns = now;
            r.data.assign(step.message);
            r.observer = c->peer;
            r.source = opt_.source;
            if (step.truncated) {
              r.flags |= kRawTruncated;
              k.truncated.Add();
            }
            if (!IsValidUtf8(step.message)) k.invalid_utf8.Add();
            batch.events.push_back(ParseRecord(r, parse_));
            batch.raws.push_back(std::move(r));
            answers += step.response;
            break;
          }
          case RelpStep::kRespond:
            now_answers += step.response;
            break;
          case RelpStep::kClose: {
            std::lock_guard lock(c->mu);
            c->close_rsp = std::move(step.response);
            c->has_close = true;
            more = false;
            break;
          }
          case RelpStep::kFail:
            k.protocol_errors.Add();
            more = false;
            break;
        }
      });
      if (!ok) {
        k.protocol_errors.Add();
        more = false;
      }
      if (!now_answers.empty()) {
        std::lock_guard lock(c->mu);
        c->ready += now_answers;
      }
      if (!batch.events.empty()) {
        const size_t frames = batch.events.size();
        {
          std::lock_guard lock(c->mu);
          ++c->inflight;
        }
        batch.done = [c, answers = std::move(answers), frames](Status s) { Completed(c, answers, frames, s); };
        // Backpressure: wait for room; the held batch counts against the queue meanwhile.
        bool queued = pipeline_->TrySubmit(batch);
        if (!queued) {
          const size_t held = batch.Bytes();
          pipeline_->Hold(held);
          while (!(queued = pipeline_->TrySubmit(batch)) && !stopping_ && c->sock->is_open()) {
            k.backpressure.Add();
            wait.expires_after(std::chrono::milliseconds(2));
            co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            *deadline = store::NowSteady() + opt_.idle_timeout_ns;
          }
          pipeline_->Release(held);
        }
        if (queued) {
          k.frames.Add(frames);
          k.parsed.Add(frames);
        } else {  // stopping or closed: never answered, so the sender sends these again
          std::lock_guard lock(c->mu);
          --c->inflight;
          more = false;
        }
      }
      Wake(*c);
    }
    {
      std::lock_guard lock(c->mu);
      c->reading_done = true;
    }
    Wake(*c);
    connections_--;
    ReleaseIp(c->peer);
  }

  asio::awaitable<void> Accept() {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(asio::make_strand(io_));
      co_await acceptor_.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_) co_return;
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        asio::steady_timer t(io_, std::chrono::milliseconds(50));  // EMFILE and friends: back off
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (connections_ >= opt_.max_connections) {
        C().conn_refused.Add();
        s.close(ec);
        continue;
      }
      std::string peer;
      auto ep = s.remote_endpoint(ec);
      if (!ec) peer = ep.address().to_string();
      if (ec || !AcquireIp(peer)) {
        C().conn_refused.Add();
        s.close(ec);
        continue;
      }
      connections_++;
      std::shared_ptr<Conn> c;
      if (opt_.relp_tls) {
        std::shared_ptr<asio::ssl::context> ctx = tls_.Current();
        auto tls = std::make_shared<TlsStream>(std::move(s), *ctx);
        c = std::make_shared<Conn>(std::shared_ptr<tcp::socket>(tls, &tls->next_layer()), tls);  // shares ownership
      } else {
        c = std::make_shared<Conn>(std::make_shared<tcp::socket>(std::move(s)), nullptr);
      }
      c->peer = std::move(peer);
      {
        std::lock_guard lock(conns_mu_);
        conns_.remove_if([](const std::weak_ptr<Conn>& w) { return w.expired(); });
        conns_.push_back(c);
      }
      asio::co_spawn(c->sock->get_executor(), Session(c), asio::detached);
    }
  }
};

RelpServer::RelpServer(asio::io_context& io, Pipeline* pipeline, ParseOptions parse, SyslogOptions opt)
    : impl_(std::make_shared<Impl>(io, pipeline, std::move(parse), std::move(opt))) {}

RelpServer::~RelpServer() { Stop(); }

Status RelpServer::Start() {
  Impl& m = *impl_;
  if (m.opt_.relp_listen.empty()) return Status::OK();
  if (m.opt_.relp_tls) {
    TlsFiles files{m.opt_.tls_cert, m.opt_.tls_key, m.opt_.tls_client_ca, m.opt_.tls_client_certs};
    if (Status s = m.tls_.Load(files); !s.ok()) return s;
  }
  if (Status s = ListenTcp(m.acceptor_, m.opt_.relp_listen, "syslog RELP"); !s.ok()) return s;
  asio::co_spawn(m.io_, m.Accept(), asio::detached);
  return Status::OK();
}

void RelpServer::Stop() {
  Impl& m = *impl_;
  if (m.stopping_.exchange(true)) return;
  boost::system::error_code ec;
  m.acceptor_.close(ec);
  std::vector<std::shared_ptr<Conn>> conns;
  {
    std::lock_guard lock(m.conns_mu_);
    for (auto& w : m.conns_) {
      if (auto c = w.lock()) conns.push_back(std::move(c));
    }
  }
  // No io thread runs any more: answer here, synchronously, what became durable (a clean stop
  // then causes no duplicates). The pipeline still writes, so batches in flight complete.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (auto& c : conns) {
    std::string out;
    for (;;) {
      {
        std::lock_guard lock(c->mu);
        if (c->inflight == 0 || c->failed) {
          if (!c->failed) out.swap(c->ready);
          break;
        }
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // A write cut off by the stop may have sent part of its buffer: then send nothing more.
    if (!c->finished && !c->writing && c->sock->is_open()) {
      out += RelpServerCloseHint();
      if (c->tls) asio::write(*c->tls, asio::buffer(out), ec);
      else asio::write(*c->sock, asio::buffer(out), ec);
    }
    c->Close();
  }
}

std::string RelpServer::address() const { return LocalAddress(impl_->acceptor_); }

Status RelpServer::ReloadTls(const SyslogOptions& opt) {
  Impl& m = *impl_;
  if (m.opt_.relp_listen.empty() || !m.opt_.relp_tls) return Status::OK();
  return m.tls_.Load(TlsFiles{opt.tls_cert, opt.tls_key, opt.tls_client_ca, opt.tls_client_certs});
}

}  // namespace kamatama::ingest
