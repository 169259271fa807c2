// server/parser_loading.cc
#include "server/parser_loading.h"

#include <filesystem>

namespace kamatama::server {

std::string SavedParsersDir(const Config& cfg) { return (std::filesystem::path(cfg.storage.dir) / "parsers").string(); }

std::vector<std::string> ParserPaths(const Config& cfg) {
  std::vector<std::string> paths = cfg.parsers.dirs;
  std::error_code ec;
  if (cfg.storage.dir.empty()) return paths;
  if (const std::string saved = SavedParsersDir(cfg); std::filesystem::is_directory(saved, ec)) paths.push_back(saved);
  return paths;
}

Status LoadServerParsers(const Config& cfg, declarative::UserParsers* holder, declarative::LoadSummary* summary) {
  std::shared_ptr<const declarative::ParserSet> set;
  declarative::LoadOptions options;
  options.shipped = cfg.parsers.shipped;
  options.disabled = cfg.parsers.disable;
  Status s = declarative::LoadParserSet(ParserPaths(cfg), &set, summary, options);
  if (s.ok()) holder->Swap(std::move(set));
  return s;
}

}  // namespace kamatama::server
