// server/auth_cli.h
//! Security subcommands of the `kamatama` command (issue 8):
//!   kamatama user add|passwd|del|list ...   kamatama token create|revoke|list ...
//!   kamatama cert self-signed --out DIR [--host NAME]
//! They work on <data_dir>/auth.db directly (a running server picks changes up within a second).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace kamatama::server {

//! Changes made with `kamatama user|token` are audited through this file in the data directory
//! (they may run while the server is stopped, and the store belongs to the server): each command
//! appends one JSON line per change, under flock(2), and the server moves the lines into
//! kamatama.audit within a second, or at its next start (Api::DrainHostAudit). Keys of a line:
//! time_ns (number), event.action, event.outcome, kamatama.os_user and the change's kamatama.* /
//! error.message fields.
inline constexpr const char* kHostAuditFile = "audit.pending";

//! Registers the subcommands on `app`.
void AddSecurityCommands(CLI::App* app);
//! Runs the chosen security subcommand and returns its exit code, or -1 when none was chosen.
int RunSecurityCommand(const CLI::App& app);

//! Writes key.pem (0600) and cert.pem into `dir`: an EC P-256 key and a self-signed certificate
//! (CA:TRUE, so clients can trust it with --cacert) for `host`, localhost and 127.0.0.1, valid
//! `days` days. Returns "" or an error message.
std::string WriteSelfSignedCert(const std::string& dir, const std::string& host, int days = 825);

}  // namespace kamatama::server
