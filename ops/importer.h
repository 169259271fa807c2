// ops/importer.h
//! `kamatama import`: existing log files (plain, .gz, .zst, .xz, .bz2), directories of them and
//! tar archives (.tar, .tar.gz, .tgz, .tar.zst, ...) with compressed files inside, parsed by the
//! same parsers as live ingest and written straight into a store the caller opened (offline).
//!
//! Idempotent: every file's decompressed content is cut into chunks at deterministic line
//! boundaries (8192 lines or 1 MiB); a chunk's SHA-256 and length are recorded in an IdRegistry
//! after its events are durable, and a chunk already recorded is skipped. Importing the same file
//! again (or the same content under another name or compression) stores nothing twice, and an
//! interrupted import resumes where it stopped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ingest/id_registry.h"
#include "parsers/parse.h"
#include "store/store.h"

namespace kamatama::ops {

struct ImportOptions {
  std::string source;            //!< force a source parser (dataset), "" = automatic
  ParseOptions parse;
  size_t max_line = 64u << 10;   //!< longer lines are cut and tagged "truncated" (syslog.max_frame)
  bool progress = false;         //!< a live progress line on stderr (terminal)
};

struct ImportStats {
  uint64_t files = 0;            //!< files read (inside archives too)
  uint64_t files_binary = 0;     //!< skipped: not text (wtmp, journal files, ...)
  uint64_t lines = 0;            //!< non-empty lines read
  uint64_t bytes = 0;            //!< decompressed bytes read
  uint64_t stored = 0;           //!< events written
  uint64_t duplicate_lines = 0;  //!< lines of chunks imported before, skipped
  uint64_t expired = 0;          //!< dropped by retention
  double seconds = 0;
};

Status Import(const std::vector<std::string>& paths, store::Store* store, ingest::IdRegistry* ids,
              const ImportOptions& opt, ImportStats* stats);

}  // namespace kamatama::ops
