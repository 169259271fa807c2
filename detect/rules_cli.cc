// detect/rules_cli.cc
#include "detect/rules_cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "detect/ruleset.h"

namespace kamatama::detect {

namespace {

struct RulesArgs {
  CLI::App* rules = nullptr;
  CLI::App* check = nullptr;
  bool json = false;
  std::vector<std::string> dirs;
};

RulesArgs& Args() {
  static RulesArgs args;
  return args;
}

}  // namespace

void AddRulesCommands(CLI::App* app) {
  RulesArgs& a = Args();
  a.rules = app->add_subcommand("rules", "Sigma detection rules");
  a.rules->require_subcommand(1);
  a.check = a.rules->add_subcommand("check", "load Sigma rules and report each as loaded, unsupported or invalid");
  a.check->add_flag("--json", a.json, "print one JSON object {loaded, unsupported, invalid, rules:[...]}");
  a.check->add_option("dirs", a.dirs, "rule directories or files")->required();
}

int RunRulesCommand(const CLI::App& app) {
  RulesArgs& a = Args();
  if (!a.rules || !a.rules->parsed() || !a.check->parsed()) return -1;
  RuleSet set;
  LoadSummary summary;
  const Status st = set.Load(a.dirs, CompileOptions{}, &summary);
  const std::string out = a.json ? SummaryJson(summary) + "\n" : SummaryText(summary);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!st.ok()) {
    fmt::print(stderr, "kamatama: {}\n", st.ToString());
    return 1;
  }
  return 0;
}

}  // namespace kamatama::detect
