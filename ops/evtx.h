// ops/evtx.h
//! Windows .evtx files (issue 20), read with libevtx: every record rendered as its event XML,
//! the form Windows Event Forwarding and the shippers' XML path deliver, so the Windows parsers
//! (parsers/winevent.*) make of it the same event as of a shipped one. Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace kamatama::ops {

//! Whether the file begins with the EVTX signature ("ElfFile\0").
bool LooksLikeEvtx(const std::string& path);

//! What reading one .evtx file found.
struct EvtxStats {
  uint64_t records = 0;     //!< records rendered and handed to `emit`
  uint64_t unreadable = 0;  //!< records libevtx could not read or render (skipped)
  bool corrupted = false;   //!< libevtx flagged the file as corrupted (damaged chunks)
  uint64_t size = 0;        //!< bytes of the file
  uint64_t expected = 0;    //!< bytes its header announces (4 KiB + 64 KiB per chunk)
  bool truncated() const { return size < expected; }
  std::string first_error;  //!< libevtx's message for the first unreadable record
};

//! Reads every record of `path` in file order and calls `emit` with its XML, as Windows renders
//! it: on one line (the renderer's line breaks between elements removed), hexadecimal values
//! without libevtx's zero padding (`0x0000000000085527` is `0x85527`, as Event Viewer, WEF and
//! Winlogbeat write it, and as rules compare it: `SubjectLogonId: '0x3e7'`). A file libevtx
//! cannot open is an error (kInvalidArgument) with its reason; records it cannot read are skipped
//! and counted. Stops at the first error `emit` returns.
Status ReadEvtx(const std::string& path, const std::function<Status(std::string&& xml)>& emit, EvtxStats* stats);

}  // namespace kamatama::ops
