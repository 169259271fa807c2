// net/http_client.cc
//! The only file of kamatama with an HTTP client (Boost.Beast, OpenSSL for https).
#include "net/http_client.h"

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace kamatama::net {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool IsInternalV4(const uint8_t* b) {
  return b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254) ||
         (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64) ||
         (b[0] == 192 && b[1] == 0 && b[2] == 0) || (b[0] == 198 && (b[1] & 0xfe) == 18);
}

template <class Stream>
asio::awaitable<void> Exchange(Stream& stream, const HttpUrl& u, const HttpCall& call, HttpAnswer* out) {
  http::request<http::string_body> req{http::string_to_verb(call.method), u.target, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, call.user_agent);
  req.set(http::field::accept, "*/*");
  for (const auto& [name, value] : call.headers) req.set(name, value);
  if (!call.body.empty() || call.method != "GET") {
    req.body() = call.body;
    req.prepare_payload();
  }
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(call.body_limit);
  co_await http::async_read(stream, buf, parser, asio::use_awaitable);
  out->status = static_cast<int>(parser.get().result_int());
  out->body = std::move(parser.get().body());
}

asio::awaitable<void> Run(HttpUrl u, std::vector<tcp::endpoint> to, const HttpCall* call, asio::ssl::context* tls,
                          HttpAnswer* out) {
  beast::tcp_stream plain(co_await asio::this_coro::executor);
  co_await plain.async_connect(to, asio::use_awaitable);
  if (!u.https) {
    co_await Exchange(plain, u, *call, out);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(plain), *tls);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str())) throw std::runtime_error("cannot set the TLS server name");
  stream.set_verify_callback(asio::ssl::host_name_verification(u.host));
  co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  co_await Exchange(stream, u, *call, out);
}

//! How long a client TLS context (the system's CAs and the extra CA file, loaded) is reused.
constexpr auto kTlsContextLife = std::chrono::minutes(10);

//! The client TLS context for `ca_file`, shared by calls: loading the system's CAs costs tens of
//! milliseconds, which a context built per call paid on every webhook. Rebuilt after
//! kTlsContextLife, so renewed CA files are taken. Null with *error when the CA file is unusable.
std::shared_ptr<asio::ssl::context> ClientTls(const std::string& ca_file, std::string* error) {
  struct Cached {
    std::shared_ptr<asio::ssl::context> tls;
    std::chrono::steady_clock::time_point built;
  };
  static std::mutex mu;
  static std::map<std::string, Cached> cache;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu);
  Cached& c = cache[ca_file];
  if (c.tls && now - c.built < kTlsContextLife) return c.tls;
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->set_default_verify_paths();
  if (!ca_file.empty()) {
    boost::system::error_code ec;
    tls->load_verify_file(ca_file, ec);
    if (ec) {
      *error = "cannot read the CA file " + ca_file + ": " + ec.message();
      return nullptr;
    }
  }
  tls->set_verify_mode(asio::ssl::verify_peer);
  c = Cached{tls, now};
  return tls;
}

}  // namespace

bool SplitHttpUrl(const std::string& url, HttpUrl* out) {
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
    if (rest[0] != ':' || rest.size() == 1 || rest.size() > 6 || rest.find_first_not_of("0123456789", 1) != std::string::npos)
      return false;
    out->port = rest.substr(1);
  }
  if (out->port.empty()) out->port = out->https ? "443" : "80";
  if (const int port = std::stoi(out->port); port <= 0 || port > 65535) return false;
  // Control characters, spaces and the like have no place in a host or a request target.
  for (const std::string* s : {&out->host, &out->target})
    for (unsigned char c : *s)
      if (c <= ' ' || c >= 0x7f) return false;
  return !out->host.empty();
}

bool IsInternalAddress(const std::string& address) {
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(address, ec);
  if (ec) return true;  // not an address we can judge
  if (ip.is_v4()) return IsInternalV4(ip.to_v4().to_bytes().data());
  const asio::ip::address_v6::bytes_type v6 = ip.to_v6().to_bytes();
  const uint8_t* b = v6.data();
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

std::vector<std::string> ResolveHost(const std::string& host, const std::string& port, std::string* error) {
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, port, ec);
  std::vector<std::string> out;
  if (ec) {
    *error = "cannot resolve " + host + ": " + ec.message();
    return out;
  }
  for (const auto& r : results) out.push_back(r.endpoint().address().to_string());
  if (out.empty()) *error = "cannot resolve " + host + ": no address";
  return out;
}

HttpAnswer HttpSend(const HttpCall& call) {
  HttpAnswer f;
  HttpUrl u;
  if (!SplitHttpUrl(call.url, &u)) {
    f.error = "bad URL";
    return f;
  }
  std::vector<std::string> addresses = ResolveHost(u.host, u.port, &f.error);
  if (addresses.empty()) return f;
  std::vector<tcp::endpoint> to;
  for (const std::string& a : addresses) {
    if (call.check_address) {
      if (std::string why = call.check_address(u.host, a); !why.empty()) {
        f.error = why;
        return f;
      }
    }
    to.emplace_back(asio::ip::make_address(a), static_cast<uint16_t>(std::stoi(u.port)));
  }
  asio::io_context io;
  std::shared_ptr<asio::ssl::context> tls;
  if (u.https && !(tls = ClientTls(call.ca_file, &f.error))) return f;
  bool done = false;
  asio::co_spawn(io, Run(u, to, &call, tls.get(), &f), [&](std::exception_ptr e) {
    done = true;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      f.error = x.what();
    }
  });
  io.run_for(call.timeout);
  if (!done) f.error = fmt::format("no answer within {} seconds", call.timeout.count());
  return f;
}

}  // namespace kamatama::net
