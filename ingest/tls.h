// ingest/tls.h
//! TLS server contexts (OpenSSL through Asio) shared by HTTPS (server/http_server.cc) and syslog
//! over TLS (RFC 5425, ingest/syslog_server.cc): TLS 1.2 or newer, a certificate chain and key
//! from PEM files, and optionally client certificates verified against a CA (mutual TLS).
#pragma once

#include <memory>
#include <string>

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

//! The verified peer certificate's subject ("/CN=fw01"), or "" when there is none.
std::string PeerSubject(SSL* ssl);

}  // namespace kamatama::ingest
