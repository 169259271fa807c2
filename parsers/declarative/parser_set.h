// parsers/declarative/parser_set.h
//! The declarative parsers a server runs: a ParserSet loaded from the definition directories
//! (`parsers.dirs`, `serve --parsers`), and UserParsers, the holder every copy of ParseOptions
//! shares, whose set is replaced as a whole on SIGHUP while lines are being parsed (a parse
//! keeps the set it started with; no line waits and none is lost).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "parsers/declarative/definition.h"
#include "parsers/declarative/loader.h"

namespace kamatama::declarative {

//! What loading definition directories gave: every definition loaded, every one that did not.
struct LoadSummary {
  std::vector<std::string> loaded;  //!< "name (file)"
  std::vector<Problem> invalid;
  std::vector<std::string> overridden;  //!< shipped definitions a user definition of the same name replaced
  std::vector<std::string> disabled;    //!< definitions left out by LoadOptions::disabled
  size_t shipped = 0;                   //!< how many of `loaded` are shipped ones
  //! One line per invalid definition and the counts ("2 loaded, 1 invalid").
  std::string Text() const;
  //! {"loaded":N,"invalid":N,"parsers":[...],"problems":[{file,line,column,message}]}.
  std::string Json() const;
};

//! Loaded definitions, immutable, thread-safe. Definitions run in the order of their files
//! (sorted by path) and of the documents in a file; `order: last` ones after the built-ins.
class ParserSet {
 public:
  explicit ParserSet(std::vector<Definition> defs);

  //! Runs the definitions of `order` until one takes the event; returns it, or nullptr. A
  //! definition that throws declines (counted in failures()).
  const Definition* Run(Order order, Event* ev, bool json) const;
  //! The definition whose dataset (or name) is `dataset`, or nullptr (records whose source names
  //! a dataset: syslog.source).
  const Definition* ByDataset(std::string_view dataset) const;
  //! Runs one definition as Run does (nullptr-safe).
  bool RunOne(const Definition* def, Event* ev, bool json) const;

  const std::vector<Definition>& definitions() const { return defs_; }
  uint64_t failures() const { return failures_.load(std::memory_order_relaxed); }

 private:
  std::vector<Definition> defs_;
  mutable std::atomic<uint64_t> failures_{0};
};

//! What LoadParserSet adds to the files of its paths (issue 23).
struct LoadOptions {
  //! The definitions shipped in the binary (shipped.h), after the user's own: a user definition
  //! of the same name replaces the shipped one (LoadSummary::overridden).
  bool shipped = false;
  //! Names of definitions to leave out, shipped or the user's (`parsers.disable`).
  std::vector<std::string> disabled;
};

//! Loads every *.yaml / *.yml file under `paths` (directories, searched recursively, or files),
//! then the shipped definitions when `options.shipped`. Bad definitions (and a name defined twice
//! by the user's files: the later one) are reported in *summary and skipped. An error only when
//! a path cannot be read; *out is set in every case.
Status LoadParserSet(const std::vector<std::string>& paths, std::shared_ptr<const ParserSet>* out,
                     LoadSummary* summary, const LoadOptions& options = {});

//! The holder of the running set. Thread-safe: Current() from any thread, Swap() from one.
class UserParsers {
 public:
  //! The running set; nullptr when none is loaded.
  std::shared_ptr<const ParserSet> Current() const {
    if (!any_.load(std::memory_order_acquire)) return nullptr;
    return set_.load(std::memory_order_acquire);
  }
  void Swap(std::shared_ptr<const ParserSet> next) {
    const bool any = next && !next->definitions().empty();
    set_.store(std::move(next), std::memory_order_release);
    any_.store(any, std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const ParserSet>> set_;
  std::atomic<bool> any_{false};  //!< spares the shared_ptr's atomic count when there is no set
};

}  // namespace kamatama::declarative
