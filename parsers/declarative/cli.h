// parsers/declarative/cli.h
//! `kamatama parsers check [--json] PATH...`: loads definitions and reports each invalid one with
//! its file, line and column, and the counts; exit 0 when every definition loaded, 1 otherwise.
//! `kamatama parsers test [--json] [--expect FILE] PATH...`: PATHs ending in .yaml/.yml and
//! directories are definitions, other files are sample logs. Runs every definition's examples,
//! then parses each sample line as the server would (declarative and built-in parsers) and
//! prints which parser took it and its fields; --expect gives NDJSON, one object per sample line
//! (fields that must have these values, null: absent; "parser": the parser that must take it).
//! Exit 0 when every example and expectation holds and every definition loaded, 1 otherwise,
//! 2 on a usage error.
#pragma once

namespace CLI {
class App;
}

namespace kamatama::declarative {

//! Adds the `parsers` command group.
void AddParsersCommands(CLI::App* app);
//! Runs it if it was given: its exit code, else -1.
int RunParsersCommand(const CLI::App& app);

}  // namespace kamatama::declarative
