// server/intel_fetch.cc
//! The only HTTP client of the server (Boost.Beast, OpenSSL for https): fetches of intel.feeds.
#include "server/intel_fetch.h"

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "core/metrics.h"
#include "query/ast.h"

namespace kamatama::server {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

//! A whole fetch (resolve excepted) may take this long.
constexpr auto kFetchTimeout = std::chrono::seconds(60);

struct Url {
  bool https = false;
  std::string host, port, target;
};

bool SplitUrl(const std::string& url, Url* out) {
  size_t at = 0;
  if (url.rfind("https://", 0) == 0) {
    out->https = true;
    at = 8;
  } else if (url.rfind("http://", 0) == 0) {
    at = 7;
  } else {
    return false;
  }
  const size_t end = url.find_first_of("/?#", at);
  const std::string authority = url.substr(at, end == std::string::npos ? std::string::npos : end - at);
  out->target = end == std::string::npos ? "/" : url.substr(end);
  out->target = out->target.substr(0, out->target.find('#'));
  if (out->target.empty() || out->target[0] != '/') out->target = "/" + out->target;
  if (authority.empty() || authority.find('@') != std::string::npos) return false;
  std::string rest;
  if (authority[0] == '[') {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos) return false;
    out->host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
  } else {
    const size_t colon = authority.find(':');
    out->host = authority.substr(0, colon);
    rest = colon == std::string::npos ? "" : authority.substr(colon);
  }
  if (!rest.empty()) {
    if (rest[0] != ':' || rest.size() == 1 || rest.find_first_not_of("0123456789", 1) != std::string::npos) return false;
    out->port = rest.substr(1);
  }
  if (out->port.empty()) out->port = out->https ? "443" : "80";
  return !out->host.empty();
}

bool IsInternalV4(const uint8_t* b) {
  return b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254) ||
         (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
         (b[0] == 192 && b[1] == 0 && b[2] == 0) || (b[0] == 198 && (b[1] & 0xfe) == 18);
}

struct Fetched {
  int status = 0;
  std::string body;
  std::string error;
};

template <class Stream>
asio::awaitable<void> Exchange(Stream& stream, const Url& u, size_t limit, Fetched* out) {
  http::request<http::empty_body> req{http::verb::get, u.target, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "kamatama-intel");
  req.set(http::field::accept, "*/*");
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(limit);
  co_await http::async_read(stream, buf, parser, asio::use_awaitable);
  out->status = static_cast<int>(parser.get().result_int());
  out->body = std::move(parser.get().body());
}

asio::awaitable<void> Get(Url u, std::vector<tcp::endpoint> to, size_t limit, asio::ssl::context* tls, Fetched* out) {
  beast::tcp_stream plain(co_await asio::this_coro::executor);
  co_await plain.async_connect(to, asio::use_awaitable);
  if (!u.https) {
    co_await Exchange(plain, u, limit, out);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str())) throw std::runtime_error("cannot set the TLS server name");
  stream.set_verify_callback(asio::ssl::host_name_verification(u.host));
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  co_await Exchange(stream, u, limit, out);
}

//! Resolves, checks every address, connects to the checked ones and GETs the URL.
Fetched Fetch(const std::string& url, const IntelOptions& opt) {
  Fetched f;
  Url u;
  if (!SplitUrl(url, &u)) {
    f.error = "bad URL";
    return f;
  }
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(u.host, u.port, ec);
  if (ec) {
    f.error = "cannot resolve " + u.host + ": " + ec.message();
    return f;
  }
  std::vector<tcp::endpoint> to;
  for (const auto& r : results) {
    const std::string a = r.endpoint().address().to_string();
    if (!opt.allow_internal && IsInternalAddress(a)) {
      f.error = fmt::format("{} resolves to the internal address {} (intel.allow_internal is off)", u.host, a);
      return f;
    }
    to.push_back(r.endpoint());
  }
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_default_verify_paths();
  if (!opt.ca_file.empty()) {
    tls.load_verify_file(opt.ca_file, ec);
    if (ec) {
      f.error = "intel.ca_file " + opt.ca_file + ": " + ec.message();
      return f;
    }
  }
  tls.set_verify_mode(asio::ssl::verify_peer);
  bool done = false;
  asio::co_spawn(io, Get(u, to, opt.max_list_bytes, &tls, &f), [&](std::exception_ptr e) {
    done = true;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      f.error = x.what();
    }
  });
  io.run_for(kFetchTimeout);
  if (!done) f.error = "no answer within 60 seconds";
  return f;
}

const char* ContentTypeOf(const std::string& format) {
  if (format == "csv") return "text/csv";
  if (format == "stix") return "application/stix+json";
  if (format == "misp") return "application/vnd.misp+json";
  return "text/plain";
}

}  // namespace

std::string CheckFeedUrl(const std::string& url, const std::vector<std::string>& allowed) {
  Url u;
  if (!SplitUrl(url, &u)) return "'" + url + "' is not an http:// or https:// URL with a host (and no user:password@)";
  std::string list;
  for (const std::string& a : allowed) {
    list += (list.empty() ? "" : ", ") + a;
    if (a.empty() || url.rfind(a, 0) != 0) continue;
    // The prefix must end at a boundary: https://feeds.example must not allow https://feeds.example.evil/.
    const char next = url.size() > a.size() ? url[a.size()] : '/';
    if (a.back() == '/' || next == '/' || next == '?' || next == '#') return "";
  }
  return fmt::format("{} is not under intel.allowed_urls ({})", url, list.empty() ? "none" : list);
}

bool IsInternalAddress(const std::string& address) {
  query::IpAddress ip;
  if (!query::ParseIpAddress(address, &ip)) return true;  // not an address we can judge
  const uint8_t* b = ip.bytes;
  if (ip.size == 4) return IsInternalV4(b);
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, kMapped, 12) == 0) return IsInternalV4(b + 12);
  bool low_zero = true;
  for (int i = 0; i < 15; ++i) low_zero = low_zero && b[i] == 0;
  if (low_zero && b[15] <= 1) return true;                   // :: and ::1
  if ((b[0] & 0xfe) == 0xfc) return true;                    // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;    // fe80::/10 link-local
  if (b[0] == 0xff) return true;                             // multicast
  return b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8;  // 2001:db8::/32 documentation
}

Response IntelFetcher::FetchNow(const IntelOptions::Feed& feed) {
  if (std::string why = CheckFeedUrl(feed.url, opt_.allowed_urls); !why.empty()) return JsonError(403, why);
  Fetched f = Fetch(feed.url, opt_);
  if (!f.error.empty()) return JsonError(502, "fetching " + feed.url + ": " + f.error);
  if (f.status != 200) return JsonError(502, fmt::format("{} answered HTTP {}", feed.url, f.status));
  return routes_->PutList(feed.name, ContentTypeOf(feed.format), f.body, false, "fetch of " + feed.url, opt_.hunt_on_import);
}

void IntelFetcher::Start() {
  if (opt_.feeds.empty()) return;
  thread_ = std::thread([this] { Run(); });
}

void IntelFetcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IntelFetcher::Run() {
  static Counter& ok = GetCounter("kamatama_intel_fetches_total", "result=\"ok\"", "Feed fetches, by result");
  static Counter& failed = GetCounter("kamatama_intel_fetches_total", "result=\"failed\"", "Feed fetches, by result");
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> due(opt_.feeds.size(), Clock::now());
  std::unique_lock lock(mu_);
  while (!stop_) {
    for (size_t i = 0; i < opt_.feeds.size() && !stop_; ++i) {
      if (due[i] > Clock::now()) continue;
      const IntelOptions::Feed& feed = opt_.feeds[i];
      lock.unlock();
      const auto t0 = Clock::now();
      Response r = FetchNow(feed);
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      (r.status == 200 ? ok : failed).Add();
      log_(fmt::format("intel: feed {} from {}: status {} after {:.1f} s: {}", feed.name, feed.url, r.status,
                       secs, r.body.substr(0, 300)));
      lock.lock();
      due[i] = Clock::now() + std::chrono::nanoseconds(feed.interval_ns);
    }
    cv_.wait_until(lock, *std::min_element(due.begin(), due.end()), [this] { return stop_; });
  }
}

}  // namespace kamatama::server
