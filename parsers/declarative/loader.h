// parsers/declarative/loader.h
//! Reading parser definitions: YAML text (one definition per document, `---` between them) to
//! compiled Definitions. Every mistake is reported with the file and the YAML line and column
//! and skips that definition only. Not on the data path: exceptions of yaml-cpp stay inside.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "parsers/declarative/definition.h"

namespace kamatama::declarative {

//! A definition that did not load, and why.
struct Problem {
  std::string file;
  Where where;
  std::string message;
  //! "file:line:column: message".
  std::string ToString() const;
};

//! Compiles every YAML document of `text` (read from `file`): good ones are appended to *defs,
//! a bad one adds a Problem instead.
void CompileDefinitions(std::string_view text, const std::string& file, std::vector<Definition>* defs,
                        std::vector<Problem>* problems);

}  // namespace kamatama::declarative
