// server/parser_loading.cc
#include "server/parser_loading.h"

#include <filesystem>
#include <map>
#include <mutex>

namespace kamatama::server {

std::string SavedParsersDir(const Config& cfg) { return (std::filesystem::path(cfg.storage.dir) / "parsers").string(); }

std::vector<std::string> ParserPaths(const Config& cfg) {
  std::vector<std::string> paths = cfg.parsers.dirs;
  std::error_code ec;
  if (cfg.storage.dir.empty()) return paths;
  if (const std::string saved = SavedParsersDir(cfg); std::filesystem::is_directory(saved, ec)) paths.push_back(saved);
  return paths;
}

namespace {
// The `parsers:` section each holder was last loaded with (a server has one holder).
std::mutex loaded_mu;
std::map<const declarative::UserParsers*, ParsersOptions> loaded_with;
}  // namespace

Status LoadServerParsers(const Config& cfg, declarative::UserParsers* holder, declarative::LoadSummary* summary) {
  std::shared_ptr<const declarative::ParserSet> set;
  declarative::LoadOptions options;
  options.shipped = cfg.parsers.shipped;
  options.disabled = cfg.parsers.disable;
  std::lock_guard lock(loaded_mu);  // a SIGHUP and a save load one after the other
  Status s = declarative::LoadParserSet(ParserPaths(cfg), &set, summary, options);
  if (!s.ok()) return s;
  holder->Swap(std::move(set));
  loaded_with[holder] = cfg.parsers;
  return s;
}

Status ReloadServerParsers(const Config& cfg, declarative::UserParsers* holder, declarative::LoadSummary* summary) {
  Config now = cfg;
  {
    std::lock_guard lock(loaded_mu);
    if (auto it = loaded_with.find(holder); it != loaded_with.end()) now.parsers = it->second;
  }
  return LoadServerParsers(now, holder, summary);
}

}  // namespace kamatama::server
