// parsers/generic/generic.h
//! Generic structured formats that many products speak: ArcSight CEF, QRadar LEEF 1.0/2.0,
//! and key=value lines from sources no other parser knows. One file per format in this folder;
//! shared field helpers in fields.h.
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

//! "CEF:<version>|" at the start of the message or after a space within its first 512 bytes.
bool LooksLikeCef(std::string_view message);
//! Dataset "cef": header to observer.vendor/product/version, event.code, event.severity and
//! cef.name; extension pairs to cef.<key> and the standard keys to ECS; custom fields with a
//! label also to cef.label.<label>. A broken header keeps what it had and sets error.message.
bool ParseCef(Event* ev);

//! "LEEF:1.0|" or "LEEF:2.0|" at the start of the message or after a space (first 512 bytes).
bool LooksLikeLeef(std::string_view message);
//! Dataset "leef": header to observer.*, event.code; attributes to leef.<key>, the predefined
//! keys (src, dst, srcPort, usrName, devTime with devTimeFormat, sev, proto, ...) to ECS.
bool ParseLeef(Event* ev);

//! At least three key=value pairs in the message.
bool LooksLikeKeyValue(std::string_view message);
//! Dataset "kv": pairs to kv.<program>.<key> (kv.<key> without a program); well-known keys
//! (src/srcip/src_ip, dst..., sport..., dport..., user, action, proto, ...) also to ECS.
bool ParseKeyValue(Event* ev);

//! Registers CEF and LEEF (specific: register before the per-product parsers).
void RegisterGenericFormatParsers(ParserRegistry* registry);
//! Registers the key=value fallback (register last: it accepts any line with enough pairs).
void RegisterKeyValueParser(ParserRegistry* registry);

}  // namespace kamatama
