// server/http_types.cc
#include "server/http_types.h"

#include "core/json.h"

namespace kamatama::server {

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); };
  if (needle.empty()) return true;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

Response JsonError(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = "{\"error\":";
  AppendJsonString(&r.body, message);
  r.body += "}";
  return r;
}

bool UrlDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseTarget(std::string_view target, std::string* path, std::multimap<std::string, std::string>* params) {
  size_t q = target.find('?');
  if (!UrlDecode(target.substr(0, q), false, path)) return false;
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view kv = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string k, v;
    if (!UrlDecode(kv.substr(0, eq), true, &k)) return false;
    if (eq != std::string_view::npos && !UrlDecode(kv.substr(eq + 1), true, &v)) return false;
    params->emplace(std::move(k), std::move(v));
  }
  return true;
}

bool LooksLikeElasticClient(const Request& req) {
  // Rule: browsers always put text/html in Accept; Elasticsearch clients never do. Beats and the
  // official clients also send x-elastic-client-meta, which settles it.
  if (req.Header("x-elastic-client-meta")) return true;
  const std::string* accept = req.Header("accept");
  return !accept || !ContainsNoCase(*accept, "text/html");
}

}  // namespace kamatama::server
