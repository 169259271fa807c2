// investigate/logons.h
//! Who was logged on (issue 22): logon sessions from Windows Security 4624 (start) and 4634/4647
//! (end) paired by host and logon id (winlog.logon.id, the TargetLogonId), and sshd sessions
//! ("Accepted ..." / "session opened" to "session closed" / "Disconnected") paired by host and
//! sshd's pid. Gives the sessions of a host or user, the sessions open on a host at a time, and
//! the session behind a process's logon id (Sysmon 1 LogonId, 4688 Subject/TargetLogonId).
//! Rows are read column by column (Searcher::Visit). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "investigate/searcher.h"

namespace kamatama::investigate {

//! How far before `at` a session's start is looked for by default: interactive sessions last days.
inline constexpr int64_t kDefaultLogonLookbackNs = 30LL * 86'400 * 1'000'000'000;
//! Rows read for one pairing at most (a domain controller logs thousands of network logons a day).
inline constexpr size_t kMaxLogonRows = 200'000;

struct LogonSession {
  std::string user, domain, host, logon_id, logon_type, source_ip, dataset;
  int64_t start_ns = 0, end_ns = 0;  //!< 0: not seen (before or after the range searched)
  bool well_known = false;           //!< SYSTEM, LOCAL/NETWORK SERVICE: no 4624 to look for
};

//! The filter of Windows logon/logoff and sshd session events (AND it with who or where).
std::string LogonEventsFilter();

//! Sessions named by `who` (a filter: a host's or a user's events) in [from_ns, to_ns), oldest
//! first; when there are more than `max`, the newest `max`. *truncated: a row cap was reached.
Status FindSessions(const Searcher& s, const std::string& who, int64_t from_ns, int64_t to_ns, size_t max,
                    std::vector<LogonSession>* out, bool* truncated = nullptr);

//! The sessions on `host` open at `at_ns`: started at or before it (looked for back to
//! at - lookback) and not ended before it; the end is looked for up to at + lookback.
Status SessionsAt(const Searcher& s, std::string_view host, int64_t at_ns, int64_t lookback_ns,
                  std::vector<LogonSession>* out, bool* truncated = nullptr);

//! The session of each Windows logon id on `host`: the newest 4624 of the id at or before
//! `before_ns[id]` within [from_ns, to_ns), with its logoff. Well-known ids (0x3e7 SYSTEM,
//! 0x3e4 NETWORK SERVICE, 0x3e5 LOCAL SERVICE) answer without a search; ids with no 4624 are
//! left out.
Status SessionsByLogonId(const Searcher& s, std::string_view host, const std::map<std::string, int64_t>& before_ns,
                         int64_t from_ns, int64_t to_ns, std::map<std::string, LogonSession>* out);

//! The logon id a process runs under from its start event: Sysmon 1's LogonId; Security 4688's
//! TargetLogonId when set (another account's token), else its SubjectLogonId. "" if none.
std::string ProcessLogonId(const Event& ev);

//! {"user","domain","host","logon_id","logon_type","source_ip","dataset","start","end","well_known"}
void AppendSessionJson(const LogonSession& s, std::string* out);

}  // namespace kamatama::investigate
