// ingest/listen.h
//! Opening the listening sockets every receiver shares (syslog UDP/TCP/TLS, GELF, RELP, HTTP):
//! a "host:port" address parsed, bound and listened on, with errors that name the listener.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/status.h"

namespace kamatama::ingest {

//! "host:port" or "[v6]:port" (an empty host is 0.0.0.0); false when it is not one.
bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port);

//! Opens `acceptor` on `address` (SO_REUSEADDR) and listens. `what` names the listener in the
//! error ("syslog TCP"): InvalidArgument for a bad address, IoError when the port cannot be had.
Status ListenTcp(boost::asio::ip::tcp::acceptor& acceptor, const std::string& address, std::string_view what);

//! Opens and binds `socket` on `address`, and asks for a receive buffer of `receive_buffer`
//! bytes (SO_RCVBUFFORCE, which works beyond rmem_max as root, else SO_RCVBUF).
Status BindUdp(boost::asio::ip::udp::socket& socket, const std::string& address, std::string_view what,
               size_t receive_buffer);

//! Reads the datagrams already queued on a UDP socket, up to `slots` in one recvmmsg call
//! (issue 24: one system call per datagram, plus an FIONREAD ioctl to see whether another was
//! queued, were a third of the receiving thread's time at 100k datagrams/s). Each slot holds a
//! datagram of up to 65,536 bytes; Length() is the datagram's full length (MSG_TRUNC), so a
//! longer one is known to be cut. The sender's address is kept as text, and turned into text
//! again only when it changes from one datagram to the next.
class DatagramReader {
 public:
  explicit DatagramReader(size_t slots = 32);
  //! Reads what is queued without waiting: the count read, 0 when nothing was (EAGAIN), or -1
  //! on another error (errno says which).
  int Read(int fd);
  //! The i-th datagram of the last Read, at most 65,536 bytes of it.
  std::string_view Data(int i) const;
  //! Its full length, which may exceed Data(i).size().
  size_t Length(int i) const { return msgs_[i].msg_len; }
  //! Its sender's address as text ("192.0.2.1", "2001:db8::1"; "" when not an IP address).
  const std::string& Sender(int i);

 private:
  static constexpr size_t kSlotBytes = 65536;
  std::vector<char> buf_;
  std::vector<struct mmsghdr> msgs_;
  std::vector<struct iovec> iov_;
  std::vector<struct sockaddr_storage> from_;
  struct sockaddr_storage last_from_ {};
  socklen_t last_len_ = 0;
  std::string last_sender_;
};

//! The bound "address:port", or "" when the socket is not open.
std::string LocalAddress(const boost::asio::ip::tcp::acceptor& acceptor);
std::string LocalAddress(const boost::asio::ip::udp::socket& socket);

}  // namespace kamatama::ingest
