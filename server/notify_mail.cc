// server/notify_mail.cc
//! The only file that includes libcurl.
#include "server/notify_mail.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <mutex>

#include <fmt/format.h>

namespace kamatama::server {

namespace {

struct Upload {
  const std::string* data = nullptr;
  size_t at = 0;
};

size_t ReadBody(char* buf, size_t size, size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * nitems, up->data->size() - up->at);
  std::memcpy(buf, up->data->data() + up->at, n);
  up->at += n;
  return n;
}

struct SocketCheck {
  const MailCall* call = nullptr;
  std::string host;
  std::string refused;  //!< the last refusal
};

std::string AddressText(const curl_sockaddr* a) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (a->family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a->addr)->sin_addr, text, sizeof text);
  else if (a->family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a->addr)->sin6_addr, text, sizeof text);
  return text;
}

//! CURLOPT_OPENSOCKETFUNCTION: the allow-list, on the address about to be connected to.
curl_socket_t OpenChecked(void* user, curlsocktype purpose, curl_sockaddr* a) {
  auto* check = static_cast<SocketCheck*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  if (check->call->check_address) {
    if (std::string why = check->call->check_address(check->host, AddressText(a)); !why.empty()) {
      check->refused = why;
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(a->family, a->socktype, a->protocol);
}

//! The host of smtp(s)://host[:port][/] (brackets removed).
std::string HostOf(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  if (!rest.empty() && rest[0] == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find_first_of(":/"));
}

using Curl = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using Slist = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

}  // namespace

std::string SendMail(const MailCall& call) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const NotifyTarget& t = *call.target;
  Curl curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return "cannot start libcurl";
  Slist rcpt(nullptr, curl_slist_free_all);
  for (const std::string& r : t.to) {
    curl_slist* next = curl_slist_append(rcpt.get(), ("<" + r + ">").c_str());
    if (!next) return "out of memory";
    rcpt.release();
    rcpt.reset(next);
  }
  Upload up{&call.message, 0};
  SocketCheck check{&call, HostOf(t.url), ""};
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never through a proxy from the environment
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + t.from + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, OpenChecked);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &check);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (t.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!call.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, call.ca_file.c_str());
  if (!t.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, t.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, t.secret.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (!check.refused.empty()) return check.refused;
  if (rc == CURLE_OK) return "";
  return fmt::format("{}{}{}", curl_easy_strerror(rc), error[0] ? ": " : "", error);
}

}  // namespace kamatama::server
