// ingest/tls.h
//! TLS server contexts (OpenSSL through Asio) shared by HTTPS (server/http_server.cc) and syslog
//! over TLS (RFC 5425, ingest/syslog_server.cc): TLS 1.2 or newer, a certificate chain and key
//! from PEM files, and optionally client certificates verified against a CA (mutual TLS).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"

namespace boost::asio::ssl {
class context;
}
typedef struct ssl_st SSL;

namespace kamatama::ingest {

struct TlsFiles {
  std::string cert, key, client_ca;
  std::string client_certs = "none";  //!< none | optional | require
};

//! Loads the files into a new server context; an error names the file that failed.
Status MakeServerTlsContext(const TlsFiles& files, std::shared_ptr<boost::asio::ssl::context>* out);

//! A listener's server context, replaced on reload. Connections opened with an earlier context
//! keep using it (an SSL stream holds its context by reference), so those are kept until the
//! listener goes. Thread-safe.
class TlsContextSlot {
 public:
  //! Loads the files into a new context and makes it the current one; on an error the current
  //! one stays.
  Status Load(const TlsFiles& files);
  //! The current context (null before the first Load).
  std::shared_ptr<boost::asio::ssl::context> Current() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> ctx_;
  std::vector<std::shared_ptr<boost::asio::ssl::context>> retired_;
};

//! The verified peer certificate's subject ("/CN=fw01"), or "" when there is none.
std::string PeerSubject(SSL* ssl);

}  // namespace kamatama::ingest
