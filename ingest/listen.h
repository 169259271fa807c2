// ingest/listen.h
//! Opening the listening sockets every receiver shares (syslog UDP/TCP/TLS, GELF, RELP, HTTP):
//! a "host:port" address parsed, bound and listened on, with errors that name the listener.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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

//! The bound "address:port", or "" when the socket is not open.
std::string LocalAddress(const boost::asio::ip::tcp::acceptor& acceptor);
std::string LocalAddress(const boost::asio::ip::udp::socket& socket);

}  // namespace kamatama::ingest
