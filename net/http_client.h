// net/http_client.h
//! kamatama's only HTTP client (Boost.Beast; OpenSSL for https, certificates verified against
//! the system's CAs and an optional extra CA file, the host name checked): intel feed fetches
//! (server/intel_fetch.h), webhook notifications (server/notifier.h) and the ClickHouse backend
//! (clickhouse/client.h). A call resolves the
//! host once, asks the caller about every address (a refusal ends the call before any
//! connection: what keeps a request off loopback and internal services, DNS rebinding
//! included), and connects only to the addresses checked. Redirects are not followed. Every call
//! has its own io_context: calls are independent and thread-safe; each blocks its thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace kamatama::net {

//! An http:// or https:// URL split into its parts (the port filled in from the scheme).
struct HttpUrl {
  bool https = false;
  std::string host, port, target;
};
//! False unless `url` is http(s)://host[:port][/path] with no user:password@.
bool SplitHttpUrl(const std::string& url, HttpUrl* out);
//! Whether an address (IPv4 or IPv6 text) is loopback, private, link-local, CGNAT, multicast,
//! unspecified or reserved (text that is no address counts as internal).
bool IsInternalAddress(const std::string& address);
//! The addresses `host` resolves to (as text), or empty with *error set.
std::vector<std::string> ResolveHost(const std::string& host, const std::string& port, std::string* error);

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  //!< beside Host and User-Agent
  std::string body;                                         //!< sent when not empty
  size_t body_limit = 1u << 20;                             //!< most bytes of answer body read
  std::chrono::seconds timeout{60};                         //!< the whole call, resolution excepted
  std::string ca_file;  //!< PEM file of CAs trusted for https beside the system's (empty: none)
  std::string user_agent = "kamatama";
  //! Asked about every address the host resolves to (host, address); a non-empty answer refuses
  //! the call with that reason. Unset: every address is taken.
  std::function<std::string(const std::string& host, const std::string& address)> check_address;
};

struct HttpAnswer {
  int status = 0;     //!< the HTTP status (0: none received)
  std::string body;
  std::string error;  //!< why there is no answer (empty when there is one)
};

//! Makes the call; blocks for at most call.timeout once the host is resolved.
HttpAnswer HttpSend(const HttpCall& call);

}  // namespace kamatama::net
