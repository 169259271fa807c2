// detect/rules_cli.cc
#include "detect/rules_cli.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "detect/correlation.h"
#include "detect/ruleset.h"

namespace kamatama::detect {

namespace {

struct RulesArgs {
  CLI::App* rules = nullptr;
  CLI::App* check = nullptr;
  bool json = false;
  std::vector<std::string> dirs;
  std::vector<std::string> placeholders;  //!< NAME=VALUE, as detection.placeholders
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
  a.check->add_option("--placeholder", a.placeholders,
                      "NAME=VALUE: a value of the `expand` placeholder %NAME% (repeat for a list), as detection.placeholders");
  a.check->add_option("dirs", a.dirs, "rule directories or files")->required();
}

int RunRulesCommand(const CLI::App& app) {
  RulesArgs& a = Args();
  if (!a.rules || !a.rules->parsed() || !a.check->parsed()) return -1;
  RuleSet set;
  LoadSummary summary;
  CompileOptions options;
  for (const std::string& p : a.placeholders) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      fmt::print(stderr, "kamatama: --placeholder takes NAME=VALUE, not '{}'\n", p);
      return 2;
    }
    options.placeholders[p.substr(0, eq)].push_back(p.substr(eq + 1));
  }
  Status st = set.Load(a.dirs, options, &summary);
  CorrelationSet correlations;  // correlation documents: loaded when every rule they name is
  if (Status c = correlations.Load(a.dirs, set, &summary); st.ok() && !c.ok()) st = c;
  const std::string out = a.json ? SummaryJson(summary) + "\n" : SummaryText(summary);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!st.ok()) {
    fmt::print(stderr, "kamatama: {}\n", st.ToString());
    return 1;
  }
  return 0;
}

}  // namespace kamatama::detect
