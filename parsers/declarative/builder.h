// parsers/declarative/builder.h
//! The parser builder behind the "Unparsed" page (issue 23): the shape of a line no parser
//! understood (to group such lines), a starting definition proposed from one of them, and a
//! definition text tried on sample lines exactly as the server would parse them. Everything
//! here reads attacker-written lines: the proposal quotes them as YAML text and RE2 literals,
//! and trying a definition runs it under the engine's usual limits (RE2, 64 KiB per step).
//! Thread-safe (no shared state).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "parsers/declarative/loader.h"

namespace kamatama::declarative {

//! The line with its variable parts replaced: IPv4/IPv6 addresses by <IP>, numbers by <N>, long
//! hex strings by <HEX>, quoted strings by <Q>, key=value values by <V>; at most the first 24
//! tokens. Lines of one format written by one program mostly share a shape.
std::string LineShape(std::string_view message);

//! A starting definition (YAML text) for lines like `line` (as received): its syslog envelope is
//! read (the program becomes `when.program`), then by the message's look a `json`, `kv`, `csv`
//! or grok step (addresses, ports, numbers and user names captured, with ECS names guessed from
//! the words before them), a dataset `custom.<program>` and the line itself as an example.
std::string ProposeDefinition(std::string_view line);

//! What trying definitions on sample lines gave.
struct TryOutcome {
  std::vector<std::string> loaded;   //!< parser names
  std::vector<Problem> problems;     //!< definitions that did not load
  struct Line {
    std::string parser;              //!< the parser that took it; empty: none
    bool declarative = false;        //!< one of the tried definitions took it
    Event event;
  };
  std::vector<Line> lines;
  //! Examples of the tried definitions that do not hold ("<parser> example N: field: expected
  //! 'x', got 'y'"), checked as `kamatama parsers test` checks them.
  std::vector<std::string> failed_examples;
};

//! Which of `want` (field, expected value or nullopt for "absent") `ev` does not have; one
//! message per field. `kamatama parsers test` and the builder's save use it.
std::vector<std::string> FieldMismatches(const Event& ev,
                                         const std::vector<std::pair<std::string, std::optional<std::string>>>& want);

//! Compiles `yaml` (one or more definitions) and parses each of `lines` with them and the
//! built-in parsers, as `kamatama parsers test` does. `name` is the file name shown in problems.
TryOutcome TryDefinitions(std::string_view yaml, const std::string& name, const std::vector<std::string>& lines);

}  // namespace kamatama::declarative
