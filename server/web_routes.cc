// server/web_routes.cc
#include "server/web_routes.h"

#include <string_view>

#include "web/assets.h"

namespace kamatama::server {

namespace {
void AddSecurityHeaders(Response* r) {
  r->headers.emplace_back("Content-Security-Policy", kUiContentSecurityPolicy);
  r->headers.emplace_back("X-Frame-Options", "DENY");
  r->headers.emplace_back("Referrer-Policy", "no-referrer");
  r->headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

Response Plain(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  AddSecurityHeaders(&r);
  return r;
}

//! True when an If-None-Match list ("a", W/"b", *) names `etag`.
bool EtagMatches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
  }
  return false;
}
}  // namespace

std::optional<Response> ServeWeb(const Request& req) {
  const std::string& path = req.path;
  const bool index = path == "/" || path == "/index.html";
  const bool under_ui = path == "/ui" || path.rfind("/ui/", 0) == 0;
  if (!index && !under_ui && path != "/favicon.ico") return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") {
    Response r = Plain(405, "use GET\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  const web::Asset* asset = nullptr;
  if (index) {
    asset = web::FindAsset("/");
  } else if (path == "/favicon.ico") {
    asset = web::FindAsset("/ui/favicon.svg");
  } else if (path.find("..") == std::string::npos && path.find('\\') == std::string::npos &&
             path.find('\0') == std::string::npos && path.find("//") == std::string::npos) {
    // Assets are looked up by exact name in a table compiled into the binary: no file system.
    asset = web::FindAsset(path);
  }
  if (!asset) return Plain(404, "not found\n");

  Response r;
  r.content_type = std::string(asset->content_type);
  AddSecurityHeaders(&r);
  r.headers.emplace_back("ETag", std::string(asset->etag));
  // index.html names the assets without a version, so everything is revalidated (cheap: 304).
  // The index is never stored by shared caches; assets may be kept for a short while.
  const bool is_index = asset->path == "/ui/index.html";
  r.headers.emplace_back("Cache-Control", is_index ? "no-cache, private" : "private, max-age=60, must-revalidate");
  if (const std::string* inm = req.Header("if-none-match"); inm && EtagMatches(*inm, asset->etag)) {
    r.status = 304;
    return r;
  }
  r.body.assign(asset->data);
  return r;
}

}  // namespace kamatama::server
