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
//!
//! Windows .evtx files (issue 20; by name or by their signature) are read with libevtx
//! (ops/evtx.h): each record's event XML is one raw record, chunked by 8192 records the same way.
//! A file libevtx cannot open, or records it cannot read, give one line on stderr and are
//! skipped: the rest of the import goes on.
//!
//! Detection on import (`kamatama import --rules DIR`, or detection.rules of --config):
//! `detect` runs on every chunk's events before they are stored and appends alert events;
//! a chunk imported before is skipped whole, so its alerts are not raised twice.
#pragma once

#include <cstdint>
#include <functional>
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
  //! Adds alert events (with their raw records) for the chunk's events; returns how many. Empty:
  //! no detection.
  std::function<size_t(std::vector<Event>* events, std::vector<RawRecord>* raws)> detect;
};

struct ImportStats {
  uint64_t files = 0;            //!< files read (inside archives too)
  uint64_t files_binary = 0;     //!< skipped: not text (wtmp, journal files, ...)
  uint64_t lines = 0;            //!< non-empty lines read
  uint64_t bytes = 0;            //!< decompressed bytes read
  uint64_t stored = 0;           //!< events written
  uint64_t duplicate_lines = 0;  //!< lines of chunks imported before, skipped
  uint64_t expired = 0;          //!< dropped by retention
  uint64_t evtx_files = 0;       //!< .evtx files read (their records count as lines)
  uint64_t failed_files = 0;     //!< files that could not be read (.evtx libevtx cannot open)
  uint64_t unreadable_records = 0;  //!< .evtx records libevtx could not read (skipped)
  uint64_t alerts = 0;           //!< alerts raised by `detect`
  double seconds = 0;
};

Status Import(const std::vector<std::string>& paths, store::Store* store, ingest::IdRegistry* ids,
              const ImportOptions& opt, ImportStats* stats);

}  // namespace kamatama::ops
