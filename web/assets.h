// web/assets.h
//! The browser UI's files (web/ui/), embedded in the binary at build time by web/embed.cmake.
#pragma once

#include <cstddef>
#include <string_view>

namespace kamatama::web {

struct Asset {
  std::string_view path;          //!< "/ui/app.js"
  std::string_view content_type;  //!< "text/javascript; charset=utf-8"
  std::string_view data;          //!< the file's bytes
  std::string_view etag;          //!< strong ETag, quoted: "\"3f2a...\"" (a hash of the content)
};

//! The asset served at `path`: "/" and "/ui/" are index.html, "/ui/<file>" that file.
//! Null for anything else (no file-system access, so no traversal is possible).
const Asset* FindAsset(std::string_view path);

//! Every embedded asset, sorted by path.
const Asset* AssetsBegin();
const Asset* AssetsEnd();

//! The shipped dashboards (web/dashboards/*.json, issue 25), sorted by path
//! ("/dashboards/firewall.json"): not served as files; server/shipped_dashboards.h reads them.
const Asset* ShippedDashboardsBegin();
const Asset* ShippedDashboardsEnd();

}  // namespace kamatama::web
