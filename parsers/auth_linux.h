// parsers/auth_linux.h
//! Linux and RADIUS authentication: sshd, sudo, su, PAM (any service) and FortiAuthenticator
//! RADIUS syslog. Datasets auth.sshd, auth.sudo, auth.su, auth.pam, auth.radius.
//!
//! Common fields: event.dataset, event.kind=event, event.category (authentication | session |
//! process | network | iam), event.type, event.action, event.outcome (success | failure, only
//! when the line says), user.name, source.ip (source.domain when the peer is a name),
//! source.port. Action names:
//!  - sshd: ssh_login (Accepted/Failed/Invalid user/preauth closes of a named user...),
//!    logout, ssh_disconnect, ssh_connection, ssh_negotiation_failed, ssh_auth_timeout,
//!    ssh_dispatch_fatal, ssh_bad_handshake, ssh_refused_connection, ssh_reverse_mapping_failed,
//!    ssh_no_identification; sshd.auth_method holds the method (password, publickey, ...).
//!  - PAM (any program): authentication_failure, logged-on, logged-off, password_changed,
//!    user_unknown, pam_requirement_not_met. Session lines: user.name = the session user, or the
//!    invoking user when "by X(uid=N)" names one (then user.effective.name = session user).
//!  - sudo: sudo (user.name invoking, user.effective.name target, process.command_line,
//!    process.working_directory, sudo.tty); outcome failure on "user NOT in sudoers",
//!    "N incorrect password attempts", "command not allowed" and the like (event.reason).
//!  - su: su (user.name = invoking user, user.effective.name = target).
//!  - radius: FortiAuthenticator key="value" lines; user.name, source.ip = NAS, event.code =
//!    typeid, event.action = action (lowercased), event.outcome from status. FreeRADIUS
//!    radius.log "Auth: (N) Login OK/incorrect: [user] (from client X port N cli MAC)".
//! PAM lines emitted by sshd, su or sudo keep that program's dataset.
#pragma once

#include <string_view>

#include "core/event.h"
#include "parsers/registry.h"

namespace kamatama {

//! Registers auth.sshd, auth.sudo, auth.su, auth.pam and auth.radius.
void RegisterLinuxAuthParsers(ParserRegistry* registry);

bool LooksLikeSshd(std::string_view message);
bool ParseSshd(Event* ev);
bool LooksLikeSudo(std::string_view message);
bool ParseSudo(Event* ev);
bool LooksLikeSu(std::string_view message);
bool ParseSu(Event* ev);
bool LooksLikePam(std::string_view message);
bool ParsePam(Event* ev);
bool LooksLikeRadius(std::string_view message);
bool ParseRadius(Event* ev);

}  // namespace kamatama
