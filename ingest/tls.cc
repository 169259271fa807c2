// ingest/tls.cc
#include "ingest/tls.h"

#include <boost/asio/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>

namespace kamatama::ingest {

namespace ssl = boost::asio::ssl;

namespace {
std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (!e) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}
}  // namespace

Status MakeServerTlsContext(const TlsFiles& f, std::shared_ptr<ssl::context>* out) {
  if (f.cert.empty() || f.key.empty()) return Status::InvalidArgument("TLS needs tls.cert and tls.key");
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2: forward-secret AEAD suites only (TLS 1.3 suites are all fine).
  SSL_CTX_set_cipher_list(c, "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20");
  if (SSL_CTX_use_certificate_chain_file(c, f.cert.c_str()) != 1)
    return Status::InvalidArgument(fmt::format("tls.cert {}: {}", f.cert, OpenSslError()));
  if (SSL_CTX_use_PrivateKey_file(c, f.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return Status::InvalidArgument(fmt::format("tls.key {}: {}", f.key, OpenSslError()));
  if (SSL_CTX_check_private_key(c) != 1)
    return Status::InvalidArgument(fmt::format("tls.key {} does not match tls.cert {}", f.key, f.cert));
  if (f.client_certs != "none") {
    if (f.client_ca.empty()) return Status::InvalidArgument("client certificates need tls.client_ca");
    if (SSL_CTX_load_verify_locations(c, f.client_ca.c_str(), nullptr) != 1)
      return Status::InvalidArgument(fmt::format("tls.client_ca {}: {}", f.client_ca, OpenSslError()));
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(f.client_ca.c_str())) SSL_CTX_set_client_CA_list(c, names);
    int mode = SSL_VERIFY_PEER;
    if (f.client_certs == "require") mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(c, mode, nullptr);
    SSL_CTX_set_verify_depth(c, 5);
  }
  *out = std::move(ctx);
  return Status::OK();
}

std::string PeerSubject(SSL* s) {
  if (!s || SSL_get_verify_result(s) != X509_V_OK) return "";
  X509* cert = SSL_get1_peer_certificate(s);
  if (!cert) return "";
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  X509_free(cert);
  return buf;
}

Status TlsContextSlot::Load(const TlsFiles& files) {
  std::shared_ptr<boost::asio::ssl::context> next;
  if (Status s = MakeServerTlsContext(files, &next); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (ctx_) retired_.push_back(std::move(ctx_));
  ctx_ = std::move(next);
  return Status::OK();
}

std::shared_ptr<boost::asio::ssl::context> TlsContextSlot::Current() const {
  std::lock_guard lock(mu_);
  return ctx_;
}

}  // namespace kamatama::ingest
