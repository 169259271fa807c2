// ingest/gelf_server.cc
#include <utility>  // before awaitable.hpp on g++ 12 with Boost 1.74
#include "ingest/gelf_server.h"

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <list>
#include <mutex>

#include <fmt/format.h>

#include "core/metrics.h"
#include "core/time.h"
#include "ingest/inflate.h"
#include "ingest/listen.h"

namespace kamatama::ingest {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {
Counter& Dropped(std::string_view reason) {
  return GetCounter("kamatama_events_dropped_total", fmt::format("reason=\"{}\"", reason), "Events dropped, by reason");
}
struct GelfCounters {
  Counter& udp = GetCounter("kamatama_received_total", "transport=\"gelf_udp\"", "Messages received");
  Counter& tcp = GetCounter("kamatama_received_total", "transport=\"gelf_tcp\"", "Messages received");
  Counter& udp_bytes = GetCounter("kamatama_received_bytes_total", "transport=\"gelf_udp\"", "Bytes received");
  Counter& tcp_bytes = GetCounter("kamatama_received_bytes_total", "transport=\"gelf_tcp\"", "Bytes received");
  Counter& parsed = GetCounter("kamatama_events_parsed_total", "", "Events parsed");
  Counter& expired = Dropped("gelf_expired");
  Counter& queue_full = Dropped("gelf_queue_full");
  Counter& backpressure = GetCounter("kamatama_tcp_backpressure_waits_total", "",
                                     "Times a TCP reader paused because the pipeline was full");
  Counter& conn_refused = GetCounter("kamatama_connections_refused_total", "",
                                     "TCP connections closed at once because max_connections was reached");
};
GelfCounters& C() {
  static GelfCounters* c = new GelfCounters();
  return *c;
}
}  // namespace

bool GelfToRecord(std::string_view message, size_t max_message, int64_t now_ns, const std::string& observer,
                  RawRecord* out, const char** reason) {
  std::string inflated;
  Compression c = SniffCompression(message);
  if (c != Compression::kNone) {
    InflateResult r = Decompress(message, c, max_message, &inflated);
    if (r != InflateResult::kOk) {
      *reason = r == InflateResult::kTooLarge ? "gelf_too_large" : "gelf_corrupt";
      return false;
    }
    message = inflated;
  } else if (message.size() > max_message) {
    *reason = "gelf_too_large";
    return false;
  }
  while (!message.empty() && (message.back() == '\0' || message.back() == '\n' || message.back() == '\r'))
    message.remove_suffix(1);
  std::string error;
  if (!DecodeGelf(message, now_ns, observer, out, &error)) {
    *reason = "gelf_invalid";
    return false;
  }
  return true;
}

class GelfServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Pipeline* p, ParseOptions parse, GelfOptions opt)
      : io_(io), pipeline_(p), parse_(std::move(parse)), opt_(std::move(opt)), chunks_(opt_.chunks), acceptor_(io),
        udp_(io) {}

  asio::io_context& io_;
  Pipeline* pipeline_;
  ParseOptions parse_;
  GelfOptions opt_;
  GelfReassembler chunks_;
  tcp::acceptor acceptor_;
  udp::socket udp_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connections_{0};
  std::mutex conns_mu_;
  std::list<std::weak_ptr<tcp::socket>> conns_;
  std::shared_ptr<asio::steady_timer> expiry_timer_;

  void Add(Batch* b, std::string_view message, const std::string& observer, int64_t now) {
    RawRecord r;
    const char* reason = nullptr;
    if (!GelfToRecord(message, opt_.max_message, now, observer, &r, &reason)) {
      Dropped(reason).Add();
      return;
    }
    b->events.push_back(ParseRecord(r, parse_));
    b->raws.push_back(std::move(r));
  }

  asio::awaitable<void> ExpireLoop() {
    auto self = shared_from_this();
    expiry_timer_ = std::make_shared<asio::steady_timer>(io_);
    for (;;) {
      expiry_timer_->expires_after(std::chrono::milliseconds(500));
      boost::system::error_code ec;
      co_await expiry_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_) co_return;
      size_t gone = chunks_.Expire(store::NowSteady());
      C().expired.Add(gone);
      C().udp.Add(gone);  // accounting (issue 9): received = stored + rejected + dropped
    }
  }

  asio::awaitable<void> ReceiveUdp() {
    auto self = shared_from_this();
    DatagramReader reader;
    GelfCounters& c = C();
    std::string message;
    for (;;) {
      boost::system::error_code ec;
      co_await udp_.async_wait(udp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      Batch batch;
      const int64_t now = NowNanos();
      size_t datagrams = 0;
      for (int n; datagrams < 512 && (n = reader.Read(udp_.native_handle())) > 0;) {
        for (int i = 0; i < n; ++i, ++datagrams) {
          c.udp_bytes.Add(reader.Length(i));
          const std::string& sender = reader.Sender(i);
          const char* reason = nullptr;
          // Keyed by the sender's address, not its port: a sender may use a socket per chunk.
          auto r = chunks_.Add(reader.Data(i), sender, store::NowSteady(), &message, &reason);
          if (r == GelfReassembler::Result::kDropped) Dropped(reason).Add(), c.udp.Add();  // accounting (issue 9)
          if (r != GelfReassembler::Result::kComplete) continue;
          c.udp.Add();
          Add(&batch, message, sender, now);
        }
      }
      if (batch.events.empty()) continue;
      size_t k = batch.events.size();
      c.parsed.Add(k);
      if (!pipeline_->TrySubmit(batch)) c.queue_full.Add(k);
    }
  }

  asio::awaitable<void> Session(std::shared_ptr<tcp::socket> sock) {
    auto self = shared_from_this();
    boost::system::error_code ec;
    auto ep = sock->remote_endpoint(ec);
    std::string observer = ec ? "" : ep.address().to_string();
    std::vector<char> buf(64 * 1024);
    std::string frame;
    bool discarding = false;
    asio::steady_timer wait(sock->get_executor());
    GelfCounters& c = C();
    for (;;) {
      // The idle timeout: a read that takes longer closes the connection.
      asio::steady_timer idle(sock->get_executor(), std::chrono::nanoseconds(opt_.idle_timeout_ns));
      idle.async_wait([sock](const boost::system::error_code& e) {
        if (!e) {
          boost::system::error_code ignored;
          sock->close(ignored);
        }
      });
      // Memory (reliability): read only when the pipeline has room (see Pipeline::HasRoom).
      while (!pipeline_->HasRoom() && !stopping_) {
        c.backpressure.Add();
        wait.expires_after(std::chrono::milliseconds(2));
        co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        idle.expires_after(std::chrono::nanoseconds(opt_.idle_timeout_ns));
        idle.async_wait([sock](const boost::system::error_code& e) {
          if (!e) {
            boost::system::error_code ignored;
            sock->close(ignored);
          }
        });
      }
      size_t n = co_await sock->async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      idle.cancel();
      if (ec || n == 0) break;
      c.tcp_bytes.Add(n);
      Batch batch;
      int64_t now = NowNanos();
      std::string_view data(buf.data(), n);
      while (!data.empty()) {
        size_t nul = data.find('\0');
        std::string_view piece = data.substr(0, nul);
        if (!discarding) {
          if (frame.size() + piece.size() > opt_.max_message) {
            Dropped("gelf_too_large").Add();
            c.tcp.Add();  // accounting (issue 9)
            frame.clear();
            discarding = true;
          } else {
            frame.append(piece);
          }
        }
        if (nul == std::string_view::npos) break;
        data.remove_prefix(nul + 1);
        if (!discarding && !frame.empty() && frame.find_first_not_of(" \r\n\t") != std::string::npos) {
          c.tcp.Add();
          Add(&batch, frame, observer, now);
        }
        frame.clear();
        discarding = false;
      }
      if (batch.events.empty()) continue;
      c.parsed.Add(batch.events.size());
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
        }
        pipeline_->Release(held);
      }
    }
    if (!frame.empty()) Dropped("gelf_incomplete").Add(), C().tcp.Add();  // accounting (issue 9)
    sock->close(ec);
    connections_--;
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
        asio::steady_timer t(io_, std::chrono::milliseconds(50));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (connections_ >= opt_.max_connections) {
        C().conn_refused.Add();
        s.close(ec);
        continue;
      }
      connections_++;
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      {
        std::lock_guard lock(conns_mu_);
        conns_.remove_if([](const std::weak_ptr<tcp::socket>& w) { return w.expired(); });
        conns_.push_back(sock);
      }
      asio::co_spawn(sock->get_executor(), Session(sock), asio::detached);
    }
  }
};

GelfServer::GelfServer(asio::io_context& io, Pipeline* pipeline, ParseOptions parse, GelfOptions opt)
    : impl_(std::make_shared<Impl>(io, pipeline, std::move(parse), std::move(opt))) {}

GelfServer::~GelfServer() { Stop(); }

Status GelfServer::Start() {
  Impl& m = *impl_;
  if (!m.opt_.tcp_listen.empty()) {
    if (Status s = ListenTcp(m.acceptor_, m.opt_.tcp_listen, "GELF TCP"); !s.ok()) return s;
    asio::co_spawn(m.io_, m.Accept(), asio::detached);
  }
  if (!m.opt_.udp_listen.empty()) {
    if (Status s = BindUdp(m.udp_, m.opt_.udp_listen, "GELF UDP", m.opt_.udp_receive_buffer); !s.ok()) return s;
    asio::co_spawn(m.io_, m.ReceiveUdp(), asio::detached);
    asio::co_spawn(m.io_, m.ExpireLoop(), asio::detached);
  }
  return Status::OK();
}

void GelfServer::Stop() {
  Impl& m = *impl_;
  if (m.stopping_.exchange(true)) return;
  boost::system::error_code ec;
  m.acceptor_.close(ec);
  m.udp_.close(ec);
  if (m.expiry_timer_) m.expiry_timer_->cancel();
  std::lock_guard lock(m.conns_mu_);
  for (auto& w : m.conns_) {
    if (auto s = w.lock()) s->close(ec);
  }
}

std::string GelfServer::udp_address() const { return LocalAddress(impl_->udp_); }
std::string GelfServer::tcp_address() const { return LocalAddress(impl_->acceptor_); }

}  // namespace kamatama::ingest
