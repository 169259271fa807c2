// clickhouse/options.cc
#include "clickhouse/options.h"

#include <fmt/format.h>
#include <unistd.h>

namespace kamatama::clickhouse {

std::string NodeName(const ClickHouseOptions& opt) {
  if (!opt.node.empty()) return opt.node;
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "kamatama";
  return buf;
}

bool IsIdentifier(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

Status Validate(const ClickHouseOptions& opt, const std::string& where) {
  if (opt.urls.empty()) return Status::InvalidArgument(where + ".urls: at least one URL is needed");
  for (const std::string& url : opt.urls) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      return Status::InvalidArgument(fmt::format("{}.urls: '{}' is not an http:// or https:// URL", where, url));
    if (url.find('@') != std::string::npos || url.find('?') != std::string::npos)
      return Status::InvalidArgument(
          fmt::format("{}.urls: '{}': no user:password@ or ?parameters (use user and password)", where, url));
  }
  if (!IsIdentifier(opt.cluster))
    return Status::InvalidArgument(where + ".cluster: must be the cluster's name (letters, digits, _)");
  if (!IsIdentifier(opt.database))
    return Status::InvalidArgument(where + ".database: must be a name of letters, digits and _");
  if (opt.user.empty()) return Status::InvalidArgument(where + ".user: must not be empty");
  for (char c : opt.node) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return Status::InvalidArgument(where + ".node: must not hold control characters");
  }
  return Status::OK();
}

}  // namespace kamatama::clickhouse
