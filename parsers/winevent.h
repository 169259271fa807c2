// parsers/winevent.h
//! Windows events in every form kamatama receives them, normalised to one record: rendered
//! event XML (`<Event><System>...</System><EventData><Data Name="X">v</Data>...`, from WEF,
//! python-evtx, Sysmon for Linux), Winlogbeat JSON (winlog.*), NXLog im_msvistalog JSON (flat)
//! and the Wazuh agent's eventchannel JSON (win.system.*, win.eventdata.*).
//! The XML scanner is hand-written: no XML library, no recursion, never reads past its input,
//! linear in the input size. Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"

namespace kamatama::winevent {

//! Where a record came from.
enum class Form : uint8_t { kXml, kWinlogbeat, kNxlog, kWazuh, kEvtxJson };

//! At most this many EventData/UserData values are kept per record (the rest are dropped).
inline constexpr size_t kMaxDataItems = 512;

//! One Windows event: the System header and the event data (name → value, decoded).
struct Record {
  Form form = Form::kXml;
  std::string provider;     //!< Provider Name (NXLog SourceName, Winlogbeat winlog.provider_name)
  std::string event_id;     //!< decimal text
  std::string channel;      //!< e.g. "Security", "Microsoft-Windows-Sysmon/Operational"
  std::string computer;     //!< Computer
  std::string system_time;  //!< TimeCreated SystemTime as written (ISO or python-evtx style)
  std::string process_id;   //!< Execution ProcessID (the logging process)
  std::string thread_id;
  std::string record_id;    //!< EventRecordID
  std::string level;        //!< Level number text
  std::string keywords;     //!< "0x8020000000000000", or Winlogbeat's ["Audit Success"]
  std::string user_sid;     //!< Security UserID
  std::string task, opcode, version;
  std::string rendered_message;  //!< RenderingInfo/Message or the shipper's message, if any
  //! EventData/UserData values by name, in document order; unnamed <Data> are "param1", ...
  std::vector<std::pair<std::string, std::string>> data;

  //! A data value by name (ASCII case-insensitive), or nullptr.
  const std::string* Find(std::string_view name) const;
  //! A data value, or "" when absent or Windows' "-" placeholder.
  std::string_view Val(std::string_view name) const;
};

//! Whether `text` begins (after whitespace, a BOM, "- " markers from Event Viewer copies and an
//! optional `<?xml ...?>` / `<Events>` prologue) with an `<Event` element. Cheap, no allocation.
bool LooksLikeEventXml(std::string_view text);

//! Scans the first `<Event>` element of `xml` into `*out` (replacing its contents). Returns
//! false, leaving `*out` unspecified, if there is no `<Event` element or it has no
//! System/EventData content at all. Truncated input gives what was read before the end.
bool ScanEventXml(std::string_view xml, Record* out);

//! Reads a JSON event (already flattened, see json_event.h) from Winlogbeat, NXLog, Wazuh or an
//! .evtx dumper's JSON (Event.System.*, Event.EventData.*, XML attributes under `#attributes`).
//! Returns false if it carries no Windows event fields (no channel/provider and event id).
//! Wazuh's EventData values (win.eventdata.*) are escaped once more than JSON needs (its
//! win.system.message is not):
//! `C:\\Windows` and `\"` after JSON decoding. Those become single backslashes and quotes.
bool FromJsonEvent(const Event& ev, Record* out);

//! Undoes the Wazuh agent's extra escaping of one value: `\\` -> `\`, `\"` -> `"`.
std::string WazuhUnescape(std::string_view v);

//! Reads `ev` as a Windows event in any form: `message` holding event XML, else the JSON
//! fields. Does not modify `ev`.
bool ReadRecord(const Event& ev, Record* out);

//! The channel/provider of a JSON event without building a Record (for claims_json).
std::string_view JsonChannel(const Event& ev);
std::string_view JsonProvider(const Event& ev);

//! Decodes the five XML entities and decimal/hex character references (as UTF-8; invalid code
//! points become U+FFFD); an unknown or unterminated '&' stays literal. Appends to *out.
void AppendXmlDecoded(std::string_view text, std::string* out);

// ---- helpers shared by the Windows parsers ----

//! Which of kamatama's Windows parsers a log belongs to, by provider and channel.
enum class Family : uint8_t { kOther, kSysmon, kSecurity, kPowerShell, kDefender };
Family FamilyOf(std::string_view provider, std::string_view channel);

//! The file name after the last '\' or '/'.
std::string_view BaseName(std::string_view path);
//! "DOMAIN\user" split; a value without '\' is all user.
void SplitDomainUser(std::string_view v, std::string_view* domain, std::string_view* user);
//! Decimal text of "1234" or "0x4d2" (hex as Windows prints pids); "" if neither.
std::string DecimalOf(std::string_view v);
//! Whether `v` is a textual IPv4 or IPv6 address.
bool IsIp(std::string_view v);
//! Whether `v` is 1 to 10 decimal digits (a port or a pid).
bool IsSmallNumber(std::string_view v);

//! Writes the fields every Windows event gets: event.code, event.provider, winlog.channel,
//! winlog.record_id, winlog.computer_name, host.name, log.level, user.id (from the System
//! Security UserID) and winlog.event_data.<Name> for each non-empty value of every form but
//! Winlogbeat's (which carries winlog.event_data.* already): the raw EventData under the same
//! names whichever way the event arrived (Wazuh's camelCase names get their first letter
//! upper-cased back; NXLog's own metadata fields are not EventData). Spaces are dropped from
//! the names (Defender's "Threat Name" is winlog.event_data.ThreatName, as Sigma rules name it
//! and as the query syntax can write it).
//! Sets the timestamp from `time_text` if it parses, else from SystemTime.
void EmitCommon(const Record& r, std::string_view time_text, Event* ev);

//! Sets a field when the value is non-empty and not "-".
void SetIf(Event* ev, std::string_view name, std::string_view value);

}  // namespace kamatama::winevent
