// parsers/powershell_decode.h
//! Encoded PowerShell (issue 22): `powershell.exe -enc <base64 of UTF-16LE>` hides the script in
//! the command line. DecodePowerShellCommand finds the -EncodedCommand flag (any prefix from
//! `-e`, `-ec`, `/` instead of `-`, any case) of a powershell/pwsh command line and returns the
//! script as UTF-8. ParseRecord stores it as `process.command_line_decoded` (searchable like any
//! field). Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kamatama {

//! The longest decoded script kept (a Windows command line holds at most 32,767 characters).
inline constexpr size_t kMaxDecodedCommandBytes = 64u << 10;

//! The decoded script, or nullopt when the command line is not PowerShell, has no encoded-command
//! flag, or its argument is not base64 of UTF-16LE text.
std::optional<std::string> DecodePowerShellCommand(std::string_view command_line);

}  // namespace kamatama
