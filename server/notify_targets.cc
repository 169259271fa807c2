// server/notify_targets.cc
#include "server/notify_targets.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "core/json.h"
#include "core/safe_file.h"
#include "query/ast.h"
#include "net/http_client.h"

namespace kamatama::server {

using net::HttpUrl;
using net::IsInternalAddress;
using net::ResolveHost;
using net::SplitHttpUrl;

namespace {

//! One allowed_targets entry: a host name, or an address/network; a port or any (0).
struct AllowEntry {
  std::string name;  //!< lower-case host name (empty for an address or network)
  query::IpAddress net{};
  int prefix = -1;   //!< bits of `net` that must match (-1: a name entry)
  int port = 0;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool ValidHostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; });
}

//! An address or network ("10.0.0.0/8", "::1") into *e.
bool ParseNet(const std::string& text, AllowEntry* e) {
  const size_t slash = text.find('/');
  if (!query::ParseIpAddress(text.substr(0, slash), &e->net)) return false;
  const int bits = e->net.size * 8;
  e->prefix = bits;
  if (slash == std::string::npos) return true;
  const std::string len = text.substr(slash + 1);
  if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos) return false;
  e->prefix = std::stoi(len);
  return e->prefix <= bits;
}

bool ParseEntry(const std::string& text, AllowEntry* e) {
  std::string host = text, port;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) return false;
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return false;
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  if (!port.empty() || (!text.empty() && text.back() == ':')) {
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
    e->port = std::stoi(port);
    if (e->port <= 0 || e->port > 65535) return false;
  }
  if (ParseNet(host, e)) return true;
  if (host.find_first_of("/:") != std::string::npos || !ValidHostName(host)) return false;
  e->name = Lower(host);
  return true;
}

bool InNet(const query::IpAddress& ip, const AllowEntry& e) {
  if (e.prefix < 0 || ip.size != e.net.size) return false;
  const int full = e.prefix / 8, rest = e.prefix % 8;
  if (std::memcmp(ip.bytes, e.net.bytes, full) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes[full] & mask) == (e.net.bytes[full] & mask);
}

std::vector<AllowEntry> Entries(const std::vector<std::string>& allowed) {
  std::vector<AllowEntry> out;
  for (const std::string& a : allowed) {
    AllowEntry e;
    if (ParseEntry(a, &e)) out.push_back(e);
  }
  return out;
}

bool PortOk(const AllowEntry& e, int port) { return e.port == 0 || e.port == port; }

bool AddressListed(const std::string& address, int port, const std::vector<AllowEntry>& entries) {
  query::IpAddress ip;
  if (!query::ParseIpAddress(address, &ip)) return false;
  return std::any_of(entries.begin(), entries.end(), [&](const AllowEntry& e) { return PortOk(e, port) && InNet(ip, e); });
}

bool NameListed(const std::string& host, int port, const std::vector<AllowEntry>& entries) {
  const std::string h = Lower(host);
  return std::any_of(entries.begin(), entries.end(), [&](const AllowEntry& e) { return PortOk(e, port) && e.name == h; });
}

bool ValidName(std::string_view n) {
  return !n.empty() && n.size() <= 64 &&
         std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

//! local@domain with the characters RFC 5322 allows unquoted (no spaces, brackets, commas,
//! quotes or control characters: nothing that could end a header or add a recipient).
bool ValidMailbox(std::string_view a) {
  const size_t at = a.rfind('@');
  if (a.size() > 254 || at == std::string_view::npos || at == 0 || at + 1 == a.size()) return false;
  static constexpr std::string_view kLocal = "!#$%&'*+-/=?^_`{|}~.";
  for (size_t i = 0; i < at; ++i) {
    const unsigned char c = a[i];
    if (!std::isalnum(c) && kLocal.find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return ValidHostName(a.substr(at + 1));
}

const char* kLevels[] = {"informational", "low", "medium", "high", "critical"};

Status Invalid(const NotifyTarget& t, const std::string& why) {
  return Status::InvalidArgument(fmt::format("target '{}': {}", t.name, why));
}

Status ValidateMail(const NotifyTarget& t) {
  if (!ValidMailbox(t.from)) return Invalid(t, "from must be one address (local@domain)");
  if (t.to.empty() || t.to.size() > kMaxNotifyRecipients)
    return Invalid(t, fmt::format("to must list 1 to {} addresses", kMaxNotifyRecipients));
  for (const std::string& r : t.to)
    if (!ValidMailbox(r)) return Invalid(t, "'" + EscapeControl(r) + "' is not one address (local@domain)");
  for (const std::string* s : {&t.username, &t.secret})
    for (unsigned char c : *s)
      if (c < 0x20 || c == 0x7f) return Invalid(t, "username and password may not hold control characters");
  return Status::OK();
}

}  // namespace

int LevelRank(std::string_view level) {
  for (int i = 0; i < 5; ++i)
    if (level == kLevels[i]) return i;
  return 0;
}

std::string CheckAllowEntry(const std::string& entry) {
  AllowEntry e;
  if (ParseEntry(entry, &e)) return "";
  return fmt::format("'{}' is not a host name, address or network with an optional :port", EscapeControl(entry));
}

std::string CheckTargetText(const std::string& host, int port, const std::vector<std::string>& allowed) {
  const std::vector<AllowEntry> entries = Entries(allowed);
  if (NameListed(host, port, entries) || AddressListed(host, port, entries)) return "";
  return fmt::format("{} port {} is not in notifications.allowed_targets", host, port);
}

std::string CheckTargetAddress(const std::string& host, const std::string& address, int port,
                               const std::vector<std::string>& allowed) {
  const std::vector<AllowEntry> entries = Entries(allowed);
  if (AddressListed(address, port, entries)) return "";
  if (IsInternalAddress(address))
    return fmt::format("{} resolves to the internal address {}, which no address or network of "
                       "notifications.allowed_targets covers",
                       host, address);
  if (NameListed(host, port, entries)) return "";
  return fmt::format("{} ({}) port {} is not in notifications.allowed_targets", host, address, port);
}

bool TargetEndpoint(const NotifyTarget& t, std::string* host, int* port) {
  HttpUrl u;
  std::string url = t.url;
  if (t.type == "email") {  // smtp(s)://host[:port][/]: split as the http URL of the same authority
    const bool tls = url.rfind("smtps://", 0) == 0;
    if (!tls && url.rfind("smtp://", 0) != 0) return false;
    std::string rest = url.substr(tls ? 8 : 7);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (rest.find_first_of("/?#") != std::string::npos) return false;
    const size_t close = rest.rfind(']'), colon = rest.rfind(':');
    const bool has_port = colon != std::string::npos && (close == std::string::npos ? rest.find(':') == colon : colon > close);
    if (!SplitHttpUrl("http://" + rest + (has_port ? "" : tls ? ":465" : ":25"), &u)) return false;
  } else if (!SplitHttpUrl(url, &u)) {
    return false;
  }
  *host = u.host;
  *port = std::stoi(u.port);
  return true;
}

Status ValidateTarget(const NotifyTarget& t, const std::vector<std::string>& allowed, bool resolve) {
  if (!ValidName(t.name)) return Status::InvalidArgument("a target name is 1 to 64 of A-Z a-z 0-9 . _ -");
  if (t.type != "webhook" && t.type != "email") return Invalid(t, "type must be webhook or email");
  std::string host;
  int port = 0;
  if (!TargetEndpoint(t, &host, &port))
    return Invalid(t, t.type == "webhook" ? "url must be http(s)://host[:port]/path (no user:password@)"
                                          : "url must be smtp://host[:port] or smtps://host[:port]");
  if (t.secret.size() > kMaxNotifySecretBytes) return Invalid(t, "secret too long");
  if (t.type == "webhook" && t.secret.size() < kMinWebhookSecretBytes)
    return Invalid(t, fmt::format("a webhook needs a secret of at least {} bytes (its HMAC key)", kMinWebhookSecretBytes));
  if (t.type == "email") {
    if (Status s = ValidateMail(t); !s.ok()) return s;
  }
  if (std::find(std::begin(kLevels), std::end(kLevels), t.min_level) == std::end(kLevels))
    return Invalid(t, "min_level must be informational, low, medium, high or critical");
  if (t.rules.size() > kMaxNotifyRules) return Invalid(t, "too many rules");
  if (t.rate_limit < 0 || t.rate_limit > 10000) return Invalid(t, "rate_limit must be 0 to 10000");
  if (std::string why = CheckTargetText(host, port, allowed); !why.empty()) return Invalid(t, why);
  if (!resolve) return Status::OK();
  std::string error;
  const std::vector<std::string> addresses = ResolveHost(host, std::to_string(port), &error);
  if (addresses.empty()) return Invalid(t, error);
  for (const std::string& a : addresses)
    if (std::string why = CheckTargetAddress(host, a, port, allowed); !why.empty()) return Invalid(t, why);
  return Status::OK();
}

namespace {

Status StringArray(simdjson::dom::element v, std::string_view key, std::vector<std::string>* out) {
  simdjson::dom::array arr;
  if (v.get(arr)) return Status::InvalidArgument(fmt::format("'{}' must be a list of strings", key));
  out->clear();
  for (auto item : arr) {
    std::string_view s;
    if (item.get(s)) return Status::InvalidArgument(fmt::format("'{}' must be a list of strings", key));
    out->emplace_back(s);
  }
  return Status::OK();
}

Status ParseTarget(simdjson::dom::object obj, NotifyTarget* t, bool* has_secret) {
  for (auto [key, v] : obj) {
    std::string_view s;
    bool b = false;
    int64_t n = 0;
    Status st;
    if (key == "name" || key == "type" || key == "url" || key == "secret" || key == "username" || key == "from" ||
        key == "min_level") {
      if (v.get(s)) return Status::InvalidArgument(fmt::format("'{}' must be a string", key));
      std::string* field = key == "name" ? &t->name : key == "type" ? &t->type : key == "url" ? &t->url
                           : key == "secret" ? &t->secret : key == "username" ? &t->username
                           : key == "from" ? &t->from : &t->min_level;
      *field = std::string(s);
      if (key == "secret") *has_secret = true;
    } else if (key == "to" || key == "rules") {
      st = StringArray(v, key, key == "to" ? &t->to : &t->rules);
    } else if (key == "starttls" || key == "enabled") {
      if (v.get(b)) return Status::InvalidArgument(fmt::format("'{}' must be true or false", key));
      (key == "starttls" ? t->starttls : t->enabled) = b;
    } else if (key == "rate_limit") {
      if (v.get(n) || n < 0 || n > 10000) return Status::InvalidArgument("'rate_limit' must be 0 to 10000");
      t->rate_limit = static_cast<int>(n);
    } else if (key == "secret_set" || key == "stats") {
      // what GET adds: ignored when a GET answer is PUT back
    } else {
      return Status::InvalidArgument(fmt::format("unknown key '{}' in a target", EscapeControl(key)));
    }
    if (!st.ok()) return st;
  }
  return Status::OK();
}

}  // namespace

Status ParseTargets(std::string_view json, const std::vector<NotifyTarget>& previous, std::vector<NotifyTarget>* out) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  simdjson::dom::array arr;
  if (parser.parse(json.data(), json.size()).get(root) || root["targets"].get(arr))
    return Status::InvalidArgument("the body must be {\"targets\": [...]}");
  out->clear();
  std::set<std::string> names;
  for (auto item : arr) {
    simdjson::dom::object obj;
    if (item.get(obj)) return Status::InvalidArgument("each target must be an object");
    NotifyTarget t;
    bool has_secret = false;
    if (Status s = ParseTarget(obj, &t, &has_secret); !s.ok()) return s;
    if (!has_secret) {
      for (const NotifyTarget& p : previous)
        if (p.name == t.name && p.type == t.type) t.secret = p.secret;
    }
    if (!names.insert(t.name).second) return Status::InvalidArgument(fmt::format("two targets are named '{}'", t.name));
    out->push_back(std::move(t));
  }
  if (out->size() > kMaxNotifyTargets) return Status::InvalidArgument(fmt::format("at most {} targets", kMaxNotifyTargets));
  return Status::OK();
}

void AppendTargetJson(const NotifyTarget& t, bool with_secret, std::string* j) {
  j->push_back('{');
  AppendJsonMember(j, "name", t.name);
  AppendJsonMember(j, "type", t.type);
  AppendJsonMember(j, "url", t.url);
  if (with_secret) AppendJsonMember(j, "secret", t.secret);
  *j += fmt::format(",\"secret_set\":{}", t.secret.empty() ? "false" : "true");
  if (t.type == "email") {
    AppendJsonMember(j, "username", t.username);
    AppendJsonMember(j, "from", t.from);
    *j += ",\"to\":[";
    for (size_t i = 0; i < t.to.size(); ++i) {
      if (i) j->push_back(',');
      AppendJsonString(j, t.to[i]);
    }
    *j += fmt::format("],\"starttls\":{}", t.starttls ? "true" : "false");
  }
  AppendJsonMember(j, "min_level", t.min_level);
  *j += ",\"rules\":[";
  for (size_t i = 0; i < t.rules.size(); ++i) {
    if (i) j->push_back(',');
    AppendJsonString(j, t.rules[i]);
  }
  *j += fmt::format("],\"rate_limit\":{},\"enabled\":{}}}", t.rate_limit, t.enabled ? "true" : "false");
}

}  // namespace kamatama::server
