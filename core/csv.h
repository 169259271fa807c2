// core/csv.h
//! CSV cells (RFC 4180) that are safe to open in a spreadsheet: log lines are written by
//! attackers, so a cell a spreadsheet would run as a formula (starting with = + - @, a tab or a
//! carriage return) is quoted and prefixed with a single quote, unless it is a plain number
//! ("-5"). Shared by the search export (server/api.cc) and case exports (investigate/). Pure.
#pragma once

#include <string>
#include <string_view>

namespace kamatama {

//! Whether `s` is a plain decimal number ("-5", "3.25"; not "1e5", "05", "1.").
bool LooksNumeric(std::string_view s);

//! Appends `v` as one CSV cell: quoted when it holds , " CR or LF, formula-guarded as above.
void AppendCsvCell(std::string_view v, std::string* out);

}  // namespace kamatama
