// server/web_routes.h
//! Serves the embedded browser UI (web/ui/, see web/assets.h): GET/HEAD "/" and "/ui/<file>".
#pragma once

#include <optional>

#include "server/http_types.h"

namespace kamatama::server {

//! The Content-Security-Policy sent with every UI response.
inline constexpr const char* kUiContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

//! A response when `req` is for the UI ("/" or under "/ui/"), else nullopt (the API handles it).
//! Unknown files under /ui/ answer 404, other methods 405; ETag / If-None-Match give 304.
std::optional<Response> ServeWeb(const Request& req);

}  // namespace kamatama::server
