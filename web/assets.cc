// web/assets.cc
#include "web/assets.h"

#include <algorithm>

namespace kamatama::web {

extern const Asset kEmbeddedAssets[];
extern const size_t kEmbeddedAssetCount;

const Asset* AssetsBegin() { return kEmbeddedAssets; }
const Asset* AssetsEnd() { return kEmbeddedAssets + kEmbeddedAssetCount; }

const Asset* FindAsset(std::string_view path) {
  if (path == "/" || path == "/ui" || path == "/ui/") path = "/ui/index.html";
  const Asset* end = AssetsEnd();
  const Asset* it = std::lower_bound(AssetsBegin(), end, path,
                                     [](const Asset& a, std::string_view p) { return a.path < p; });
  if (it == end || it->path != path) return nullptr;
  return it;
}

}  // namespace kamatama::web
