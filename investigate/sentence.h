// investigate/sentence.h
//! One readable sentence per event for timelines (issue 22): "pgustavo's wscript.exe started
//! powershell.exe -noP -sta -w 1 -enc ... on WORKSTATION5". Built from the normalised fields by
//! event kind (process start and end, connection, DNS, file, registry, logon, DHCP, firewall,
//! proxy); any other event gives its dataset and message. Plain text: the UI writes it with
//! textContent. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/event.h"

namespace kamatama::investigate {

//! Longest command line or message quoted in a sentence (the event itself has all of it).
inline constexpr size_t kSentenceValueBytes = 120;

std::string Sentence(const Event& ev);

//! "WORKSTATION5" for "WORKSTATION5.theshire.local"; addresses are returned unchanged.
std::string ShortHost(std::string_view host);

}  // namespace kamatama::investigate
