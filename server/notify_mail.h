// server/notify_mail.h
//! Sends one e-mail over SMTP with libcurl (issue 21: a well-kept client rather than our own):
//! smtp:// with optional STARTTLS (required when the target says so), smtps://, optional login;
//! certificates verified (the system's CAs and notifications.ca_file). Only SMTP is allowed
//! (no other protocol, no proxy), and every address curl is about to connect to is checked
//! first (the allow-list, on the resolved address). Blocking; thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "server/notify_targets.h"

namespace kamatama::server {

struct MailCall {
  const NotifyTarget* target = nullptr;  //!< url, from, to, username, secret (password), starttls
  std::string message;                   //!< the whole message (server/notify_message.h MailMessage)
  std::chrono::milliseconds timeout{10000};
  std::string ca_file;                   //!< extra CAs (PEM); empty: the system's only
  //! Asked before each connection (host, address); a non-empty answer refuses it.
  std::function<std::string(const std::string& host, const std::string& address)> check_address;
};

//! Sends the message; empty on success, else why not.
std::string SendMail(const MailCall& call);

}  // namespace kamatama::server
