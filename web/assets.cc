// web/assets.cc
#include "web/assets.h"

#include <algorithm>

namespace kamatama::web {

extern const Asset kEmbeddedAssets[];
extern const size_t kEmbeddedAssetsCount;

const Asset* AssetsBegin() { return kEmbeddedAssets; }
const Asset* AssetsEnd() { return kEmbeddedAssets + kEmbeddedAssetsCount; }

extern const Asset kShippedDashboards[];
extern const size_t kShippedDashboardsCount;
const Asset* ShippedDashboardsBegin() { return kShippedDashboards; }
const Asset* ShippedDashboardsEnd() { return kShippedDashboards + kShippedDashboardsCount; }

const Asset* FindAsset(std::string_view path) {
  if (path == "/" || path == "/ui" || path == "/ui/") path = "/ui/index.html";
  const Asset* end = AssetsEnd();
  const Asset* it = std::lower_bound(AssetsBegin(), end, path,
                                     [](const Asset& a, std::string_view p) { return a.path < p; });
  if (it == end || it->path != path) return nullptr;
  return it;
}

}  // namespace kamatama::web
