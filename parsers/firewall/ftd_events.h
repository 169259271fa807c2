// parsers/firewall/ftd_events.h
//! Cisco Firepower Threat Defense security events (%FTD-x-430001 intrusion, 430002 connection
//! start, 430003 connection end, 430004 file, 430005 malware): a body of "Key: Value, Key: Value"
//! pairs. Called by the ASA/FTD parser (firewall_asa.cc) once the %FTD header is read.
#pragma once

#include <string_view>

#include "core/event.h"

namespace kamatama::ftd {

//! True for the message ids 430001-430005.
bool IsSecurityEvent(std::string_view id);

//! Sets the ECS fields of one security event from its body, every pair also as
//! cisco.ftd.<Key> (spaces as '_'), and event.kind/category/type/action/outcome by the id.
void ParseSecurityEvent(Event* ev, std::string_view id, std::string_view body);

}  // namespace kamatama::ftd
