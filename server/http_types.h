// server/http_types.h
//! The HTTP vocabulary of the server, independent of the HTTP library (no Beast here): a
//! `Request` in, a `Response` out, and the few helpers every route file uses on them. Route
//! files (server/*_routes.*) and the route table (server/auth.cc) include this header, not
//! server/api.h, so they depend only downwards; server/api.h and the Beast layer include it too.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/auth.h"  // Principal (auth.h includes only core/)

namespace kamatama::server {

struct Request {
  std::string method;
  std::string path;                           //!< decoded path without the query string
  std::multimap<std::string, std::string> params;  //!< decoded query parameters
  //! Header fields, names lower-cased (values as sent).
  std::multimap<std::string, std::string> headers;
  std::string body;
  std::string client;                         //!< peer address
  //! Set by the HTTP layer when the client goes away; long handlers stop early. May be null.
  const std::atomic<bool>* cancelled = nullptr;
  //! Who sent it: set by Api::Handle from the credentials before dispatch (issue 8).
  Principal principal;
  //! Authenticated and authorised from the header already (Api::Admit, before the body was
  //! read): Handle does not check again (issue 19).
  bool admitted = false;
  //! The verified client certificate's subject (mutual TLS), if any.
  std::string client_cert_subject;
  bool tls = false;
  //! The header value, or null.
  const std::string* Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

//! Sends one piece of a streamed body; blocks until it is on its way and returns false once the
//! client has gone (the producer should then stop).
using BodyWriter = std::function<bool(std::string_view piece)>;

struct Response {
  Response() = default;
  Response(int s, std::string type, std::string b) : status(s), content_type(std::move(type)), body(std::move(b)) {}
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  //! Extra header fields (Content-Disposition, Retry-After, ...).
  std::vector<std::pair<std::string, std::string>> headers;
  //! When set, the body is produced by this function on the worker thread after the header is
  //! sent (chunked transfer encoding), and `body` is ignored. For exports of any size.
  std::function<void(const BodyWriter&)> stream;
  //! Events or rows answered, for the audit log (-1: not a search).
  int64_t results = -1;
};

//! Splits a request target into the decoded path and parameters; false on bad escapes.
bool ParseTarget(std::string_view target, std::string* path, std::multimap<std::string, std::string>* params);
//! Percent-decoding ('+' as space when `plus_is_space`); false on a bad escape.
bool UrlDecode(std::string_view in, bool plus_is_space, std::string* out);

//! A response with `{"error": message}` and the given status.
Response JsonError(int status, std::string_view message);

//! Whether `needle` occurs in `hay`, ASCII letters compared case-insensitively (header values).
bool ContainsNoCase(std::string_view hay, std::string_view needle);

//! Whether a `GET /` comes from an Elasticsearch client rather than a browser (the route table
//! and the shipper routes both ask).
bool LooksLikeElasticClient(const Request& req);

//! A route handler's signature for its own audit events: action, outcome, extra fields; false
//! when the event could not be queued.
using AuditFn = std::function<bool(std::string_view action, std::string_view outcome,
                                   const std::vector<std::pair<std::string, std::string>>& extra)>;

}  // namespace kamatama::server
