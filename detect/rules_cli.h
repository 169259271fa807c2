// detect/rules_cli.h
//! `kamatama rules check [--json] DIR...`: loads the rules and prints the report (text: one line
//! per rule not loaded and the counts; --json: one object). Exit 0 unless a file or directory
//! cannot be read (1).
#pragma once

namespace CLI {
class App;
}

namespace kamatama::detect {

//! Adds the `rules` command group to the application.
void AddRulesCommands(CLI::App* app);
//! Runs it if it was given: its exit code, else -1.
int RunRulesCommand(const CLI::App& app);

}  // namespace kamatama::detect
