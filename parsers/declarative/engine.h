// parsers/declarative/engine.h
//! Running one declarative parser on an event: recognise (`when`), extract (the steps), map
//! (`fields`, `set`, `rules`). Pure functions of the definition and the event; thread-safe.
#pragma once

#include "core/event.h"
#include "parsers/declarative/definition.h"

namespace kamatama::declarative {

//! Whether `m` holds for the event (a JSON event only if m.json; a text line only if not).
bool Matches(const Matcher& m, const Event& ev, bool json);

//! Applies `def` to an event whose envelope is parsed: true if `when` held and every step that
//! is not optional matched; the event then has the definition's fields and event.dataset (a
//! value that failed its conversion is left out and named in error.message). False leaves the
//! event unchanged. Reads at most kMaxInputBytes of each input.
bool Apply(const Definition& def, Event* ev, bool json);

}  // namespace kamatama::declarative
