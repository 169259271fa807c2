// parsers/syslog.h
//! The syslog envelope: RFC 5424, RFC 3164 as real senders write it (with or without PRI,
//! hostname, year, fraction or ISO timestamp), Cisco ASA and FortiOS prefixes.
//! Hand-written scanner: no regex, no locale, no allocation beyond the field strings.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/event.h"
#include "core/time.h"

namespace kamatama {

struct SyslogOptions {
  //! A timestamp may lie at most this far after the receive time. Yearless RFC 3164 times
  //! get the latest year that satisfies it; explicit times beyond it are replaced by the
  //! receive time and tagged "timestamp_in_future".
  int64_t future_margin_ns = kNanosPerDay;
};

//! Parses one syslog line into `ev`: sets ev->timestamp_ns and the fields host.name,
//! log.syslog.{priority,facility.code,facility.name,severity.code,severity.name,version,
//! appname,procid,msgid,structured_data.<SD-ID>.<param>}, process.name, process.pid, message.
//! Absent and NILVALUE parts set no field; facility/severity only when a PRI was present.
//! Returns false if the line does not look like syslog; then only message (the whole line,
//! if non-empty) and timestamp_ns = received_ns are set. Accepts any bytes.
//! Uses Add for envelope fields when `ev` has no fields yet, Set otherwise.
bool ParseSyslog(std::string_view line, int64_t received_ns, const SyslogOptions& opt, Event* ev);

//! Facility/severity names as in ECS log.syslog.*.name ("" if out of range).
std::string_view SyslogFacilityName(int facility);
std::string_view SyslogSeverityName(int severity);

}  // namespace kamatama
