// parsers/registry.h
//! The source parser registry: the hook through which per-product parsers (sshd, postfix,
//! FortiGate, ...) turn an envelope-parsed event into ECS fields.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"

namespace kamatama {

//! A source parser reads ev->Get("message") (and the envelope fields) and adds ECS fields;
//! returns true if it recognised the line (then it sets event.dataset).
using SourceParseFn = bool (*)(Event* ev);

struct SourceParser {
  std::string dataset;                //!< e.g. "sshd"; unique in a registry
  std::vector<std::string> programs;  //!< syslog appnames it claims, lowercase
  //! Cheap content test used when no program matches; may be nullptr (never chosen that way).
  bool (*looks_like)(std::string_view message) = nullptr;
  SourceParseFn parse = nullptr;
  //! For JSON events (shippers: Winlogbeat, NXLog, ...): whether this parser takes the event,
  //! judged from its fields (e.g. winlog.channel); may be nullptr.
  bool (*claims_json)(const Event& ev) = nullptr;
};

//! Parsers by dataset and by program. Register during start-up only; after that the registry
//! is read-only and safe to use from any number of threads.
class ParserRegistry {
 public:
  //! The process-wide registry, with the built-in parsers registered (once, thread-safely,
  //! on first use).
  static ParserRegistry& Global();

  //! Adds a parser; one with the same dataset replaces the earlier one (in its place).
  //! Returned pointers stay valid across later registrations.
  void Register(SourceParser p);
  //! The parser of a dataset, or nullptr.
  const SourceParser* ByDataset(std::string_view dataset) const;
  //! The parser for an event: by process.name (ASCII case-insensitive; "postfix/smtpd" also
  //! tries "postfix"), else the first whose looks_like(message) is true, in registration
  //! order; nullptr if none.
  const SourceParser* Choose(const Event& ev) const;
  //! Runs the parsers that may understand the event until one recognises it: for syslog, the
  //! one claiming process.name, then every parser whose looks_like(message) is true; for JSON
  //! events, every parser whose claims_json(ev) is true. Returns the one that did, or nullptr.
  //! event.dataset is set to its dataset unless the parser set a more specific one.
  const SourceParser* Parse(Event* ev, bool json) const;
  //! Registered datasets, in registration order.
  std::vector<std::string> Datasets() const;

 private:
  const SourceParser* ByProgram(std::string_view lowercase_program) const;

  std::deque<SourceParser> parsers_;
  //! (lowercase program, index into parsers_), sorted by program.
  std::vector<std::pair<std::string, size_t>> programs_;
};

//! Registers the parsers that ship with kamatama (parsers/builtin.cc).
void RegisterBuiltinParsers(ParserRegistry* registry);

}  // namespace kamatama
