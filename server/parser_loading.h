// server/parser_loading.h
//! Which declarative parser definitions a server runs (issue 23): the user's `parsers.dirs`, the
//! definitions saved from the Unparsed page's builder (<storage.dir>/parsers), then the ones
//! shipped in the binary (parsers/defs) unless `parsers.shipped: false`, less `parsers.disable`.
//! One function for the start, SIGHUP and a save from the builder, so all three load alike.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "parsers/declarative/parser_set.h"
#include "server/config.h"

namespace kamatama::server {

//! <storage.dir>/parsers: where the builder saves definitions.
std::string SavedParsersDir(const Config& cfg);

//! The paths loaded: parsers.dirs, then SavedParsersDir when it exists (and storage.dir is set).
std::vector<std::string> ParserPaths(const Config& cfg);

//! Loads the set `cfg` names into `holder`. When a directory cannot be read the running set is
//! kept and the error returned; *summary says what loaded and what did not.
Status LoadServerParsers(const Config& cfg, declarative::UserParsers* holder, declarative::LoadSummary* summary);

//! Loads again what `holder` last loaded: the `parsers:` section of its last successful
//! LoadServerParsers (the start, or the last SIGHUP that applied), with cfg's storage.dir. A save
//! from the builder reloads with this, not with the configuration the server started with.
Status ReloadServerParsers(const Config& cfg, declarative::UserParsers* holder, declarative::LoadSummary* summary);

}  // namespace kamatama::server
