// server/notify_targets.h
//! Notification targets (issue 21): a webhook (an http(s) URL and the secret its HMAC signature
//! uses) or an e-mail recipient list (an smtp(s) URL, from, to, optional login and STARTTLS),
//! with a minimum level, an optional rule filter and a rate limit. Admins set them over the API
//! (server/notify_routes.h); they live in <data_dir>/notifications.json (0600: secrets). Every
//! target is checked against notifications.allowed_targets when it is saved (its text, and every
//! address its host resolves to then) and again on the addresses resolved for each connection.
//! Pure functions apart from name resolution; no state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace kamatama::server {

//! Longest secret or password kept, most recipients, most rules in a filter, most targets.
inline constexpr size_t kMaxNotifySecretBytes = 1024;
inline constexpr size_t kMaxNotifyRecipients = 50;
inline constexpr size_t kMaxNotifyRules = 1000;
inline constexpr size_t kMaxNotifyTargets = 64;
//! Shortest webhook secret (HMAC-SHA256 keys shorter than this are guessable).
inline constexpr size_t kMinWebhookSecretBytes = 16;

struct NotifyTarget {
  std::string name;                  //!< [A-Za-z0-9._-]{1,64}, unique
  std::string type;                  //!< "webhook" or "email"
  std::string url;                   //!< http(s):// for webhooks, smtp:// or smtps:// for e-mail
  std::string secret;                //!< webhook: the HMAC key; e-mail: the SMTP password (optional)
  std::string username;              //!< e-mail: SMTP login (optional)
  std::string from;                  //!< e-mail: envelope and From: address
  std::vector<std::string> to;       //!< e-mail: recipients
  bool starttls = false;             //!< e-mail over smtp://: require STARTTLS
  std::string min_level = "informational";  //!< alerts below this level are not sent
  std::vector<std::string> rules;    //!< rule ids or names; empty: every rule
  int rate_limit = 10;               //!< messages per notifications.rate_window; the rest go into one digest (0: no limit)
  bool enabled = true;
};

//! The rank of a Sigma level (informational 0 ... critical 4; anything else 0).
int LevelRank(std::string_view level);

//! Why `entry` is not a valid notifications.allowed_targets entry (empty: it is).
std::string CheckAllowEntry(const std::string& entry);

//! Why host:port may not be a target by its text (empty: an entry names the host, or covers the
//! address it is, with that port).
std::string CheckTargetText(const std::string& host, int port, const std::vector<std::string>& allowed);
//! Why a connection to `address` (resolved from `host`) on `port` is refused (empty: allowed):
//! an address or network entry covers it; or it is public and an entry names the host. Loopback,
//! private, link-local and other internal addresses need an address or network entry.
std::string CheckTargetAddress(const std::string& host, const std::string& address, int port,
                               const std::vector<std::string>& allowed);

//! The host and port a target connects to (from its URL); false when the URL is not one.
bool TargetEndpoint(const NotifyTarget& t, std::string* host, int* port);

//! Checks a target (names, URL, addresses, level, sizes) and, unless `resolve` is false, every
//! address its host resolves to now. InvalidArgument with the reason.
Status ValidateTarget(const NotifyTarget& t, const std::vector<std::string>& allowed, bool resolve = true);

//! Parses {"targets":[...]}; a target without "secret" takes the one of the target of the same
//! name in `previous` (so that a GET, edited and PUT back, keeps the secrets it never showed).
Status ParseTargets(std::string_view json, const std::vector<NotifyTarget>& previous, std::vector<NotifyTarget>* out);
//! A target as a JSON object; its secret only when `with_secret` (the file, never the API).
void AppendTargetJson(const NotifyTarget& t, bool with_secret, std::string* out);

}  // namespace kamatama::server
