// ingest/listen.cc
#include "ingest/listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace kamatama::ingest {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size()) return false;
  std::string h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned p = 0;
  auto [ptr, ec] = std::from_chars(s.data() + colon + 1, s.data() + s.size(), p);
  if (ec != std::errc() || ptr != s.data() + s.size() || p > 65535) return false;
  *host = h.empty() ? "0.0.0.0" : h;
  *port = static_cast<uint16_t>(p);
  return true;
}

namespace {
// The address as an IP and port, or why not.
Status ParseAddress(const std::string& address, std::string_view what, asio::ip::address* ip, uint16_t* port) {
  std::string host;
  boost::system::error_code ec;
  if (SplitHostPort(address, &host, port)) *ip = asio::ip::make_address(host, ec);
  else ec = asio::error::invalid_argument;
  if (ec) return Status::InvalidArgument(fmt::format("bad {} address: {}", what, address));
  return Status::OK();
}
}  // namespace

Status ListenTcp(tcp::acceptor& acceptor, const std::string& address, std::string_view what) {
  asio::ip::address ip;
  uint16_t port = 0;
  if (Status s = ParseAddress(address, what, &ip, &port); !s.ok()) return s;
  tcp::endpoint ep(ip, port);
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError(fmt::format("cannot listen on {} {}: {}", what, address, ec.message()));
  return Status::OK();
}

Status BindUdp(udp::socket& socket, const std::string& address, std::string_view what, size_t receive_buffer) {
  asio::ip::address ip;
  uint16_t port = 0;
  if (Status s = ParseAddress(address, what, &ip, &port); !s.ok()) return s;
  udp::endpoint ep(ip, port);
  boost::system::error_code ec;
  socket.open(ep.protocol(), ec);
  if (!ec) socket.bind(ep, ec);
  if (ec) return Status::IoError(fmt::format("cannot listen on {} {}: {}", what, address, ec.message()));
  int size = static_cast<int>(receive_buffer);
  if (setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  return Status::OK();
}

DatagramReader::DatagramReader(size_t slots)
    : buf_(slots * kSlotBytes), msgs_(slots), iov_(slots), from_(slots) {}

int DatagramReader::Read(int fd) {
  for (size_t i = 0; i < msgs_.size(); ++i) {
    iov_[i] = {buf_.data() + i * kSlotBytes, kSlotBytes};
    msgs_[i] = {};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &from_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(from_[i]);
  }
  int n = ::recvmmsg(fd, msgs_.data(), static_cast<unsigned>(msgs_.size()), MSG_DONTWAIT | MSG_TRUNC, nullptr);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
  return n;
}

std::string_view DatagramReader::Data(int i) const {
  return {buf_.data() + static_cast<size_t>(i) * kSlotBytes, std::min<size_t>(msgs_[i].msg_len, kSlotBytes)};
}

const std::string& DatagramReader::Sender(int i) {
  const socklen_t len = msgs_[i].msg_hdr.msg_namelen;
  if (len == last_len_ && std::memcmp(&from_[i], &last_from_, len) == 0) return last_sender_;
  std::memcpy(&last_from_, &from_[i], len);
  last_len_ = len;
  char text[INET6_ADDRSTRLEN] = "";
  const auto* sa = reinterpret_cast<const sockaddr*>(&from_[i]);
  if (sa->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  } else if (sa->sa_family == AF_INET6) {
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(sa);
    // A v4 sender on a dual-stack socket reads as "::ffff:a.b.c.d"; asio's to_string() said so too.
    ::inet_ntop(AF_INET6, &a6->sin6_addr, text, sizeof text);
  }
  last_sender_ = text;
  return last_sender_;
}

namespace {
template <class Socket>
std::string Bound(const Socket& s) {
  boost::system::error_code ec;
  auto ep = s.local_endpoint(ec);
  return ec ? "" : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}
}  // namespace

std::string LocalAddress(const tcp::acceptor& acceptor) { return Bound(acceptor); }
std::string LocalAddress(const udp::socket& socket) { return Bound(socket); }

}  // namespace kamatama::ingest
