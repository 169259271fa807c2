// intel/indicator.cc
#include "intel/indicator.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/tokenize.h"
#include "query/ast.h"

namespace kamatama::intel {

namespace {

struct TypeAlias {
  std::string_view name;
  IndicatorType type;
};

// Type names of our CSV, STIX object types and MISP attribute types (the part before a '|').
constexpr TypeAlias kAliases[] = {
    {"ip", IndicatorType::kIp},         {"ipv4", IndicatorType::kIp},        {"ipv6", IndicatorType::kIp},
    {"ipv4-addr", IndicatorType::kIp},  {"ipv6-addr", IndicatorType::kIp},   {"ip-src", IndicatorType::kIp},
    {"ip-dst", IndicatorType::kIp},     {"address", IndicatorType::kIp},     {"cidr", IndicatorType::kCidr},
    {"network", IndicatorType::kCidr},  {"domain", IndicatorType::kDomain},  {"hostname", IndicatorType::kDomain},
    {"domain-name", IndicatorType::kDomain}, {"fqdn", IndicatorType::kDomain}, {"url", IndicatorType::kUrl},
    {"uri", IndicatorType::kUrl},       {"md5", IndicatorType::kMd5},        {"sha1", IndicatorType::kSha1},
    {"sha-1", IndicatorType::kSha1},    {"sha256", IndicatorType::kSha256},  {"sha-256", IndicatorType::kSha256},
    {"email", IndicatorType::kEmail},   {"email-addr", IndicatorType::kEmail}, {"email-src", IndicatorType::kEmail},
    {"email-dst", IndicatorType::kEmail}, {"e-mail", IndicatorType::kEmail},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

//! Undoes the usual defanging of reports: hxxp(s):// and [.] / (.) / [dot] / [@].
std::string Refang(std::string_view s) {
  std::string out(s);
  for (std::string_view from : {"[.]", "(.)", "[dot]", "{.}"}) {
    for (size_t at = out.find(from); at != std::string::npos; at = out.find(from, at)) out.replace(at, from.size(), ".");
  }
  for (size_t at = out.find("[@]"); at != std::string::npos; at = out.find("[@]", at)) out.replace(at, 3, "@");
  if (out.size() > 4 && (out[0] == 'h' || out[0] == 'H') && (out[1] == 'x' || out[1] == 'X') &&
      (out[2] == 'x' || out[2] == 'X'))
    out.replace(1, 2, "tt");
  return out;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

//! A host name: labels of letters, digits, '-' and '_' (seen in real DNS), 1-63 bytes each, at
//! least two labels (a single label such as "com" would match every name under it).
Status CheckDomain(std::string_view d) {
  if (d.size() > 253) return Status::InvalidArgument("a domain name has at most 253 bytes");
  size_t labels = 0;
  size_t start = 0;
  while (start <= d.size()) {
    size_t dot = d.find('.', start);
    if (dot == std::string_view::npos) dot = d.size();
    std::string_view label = d.substr(start, dot - start);
    if (label.empty() || label.size() > 63) return Status::InvalidArgument("empty or over-long label in domain '" + std::string(d) + "'");
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) return Status::InvalidArgument(fmt::format("'{}' is not a domain name (byte '{}')", d, c));
    }
    ++labels;
    start = dot + 1;
  }
  if (labels < 2)
    return Status::InvalidArgument("'" + std::string(d) + "' has one label: it would match every name under it");
  return Status::OK();
}

Status MakeIp(std::string_view v, Indicator* out) {
  const size_t slash = v.find('/');
  query::IpAddress ip;
  if (!query::ParseIpAddress(v.substr(0, slash), &ip))
    return Status::InvalidArgument("'" + std::string(v) + "' is not an IP address or network");
  char buf[INET6_ADDRSTRLEN];
  const int family = ip.size == 4 ? AF_INET : AF_INET6;
  const int bits = ip.size * 8;
  int len = bits;
  if (slash != std::string_view::npos) {
    std::string_view lt = v.substr(slash + 1);
    auto [p, ec] = std::from_chars(lt.data(), lt.data() + lt.size(), len);
    if (ec != std::errc() || p != lt.data() + lt.size() || len < 0 || len > bits)
      return Status::InvalidArgument("bad prefix length in '" + std::string(v) + "'");
    const int min = ip.size == 4 ? kMinPrefixV4 : kMinPrefixV6;
    if (len < min)
      return Status::InvalidArgument(fmt::format(
          "'{}' is a /{} network: it would match a large part of the Internet (networks of /{} or longer "
          "are accepted)", v, len, min));
    for (int b = len; b < bits; ++b) ip.bytes[b / 8] &= static_cast<uint8_t>(~(0x80u >> (b % 8)));
  }
  inet_ntop(family, ip.bytes, buf, sizeof buf);
  out->value = buf;
  out->type = len == bits ? IndicatorType::kIp : IndicatorType::kCidr;
  if (out->type == IndicatorType::kCidr) out->value += "/" + std::to_string(len);
  return Status::OK();
}

Status MakeHash(std::string_view v, IndicatorType type, Indicator* out) {
  const size_t want = type == IndicatorType::kMd5 ? 32 : type == IndicatorType::kSha1 ? 40 : 64;
  if (v.size() != want || !IsHex(v))
    return Status::InvalidArgument(fmt::format("'{}' is not a {} hash ({} hex digits)", v.substr(0, 100),
                                               IndicatorTypeName(type), want));
  out->type = type;
  out->value = Lower(v);
  return Status::OK();
}

Status MakeEmail(std::string_view v, Indicator* out) {
  const size_t at = v.find('@');
  if (at == 0 || at == std::string_view::npos || v.find('@', at + 1) != std::string_view::npos ||
      v.find_first_of(" <>,;\"") != std::string_view::npos)
    return Status::InvalidArgument("'" + std::string(v) + "' is not an e-mail address");
  std::string lower = Lower(v);
  if (Status s = CheckDomain(std::string_view(lower).substr(at + 1)); !s.ok())
    return Status::InvalidArgument("'" + std::string(v) + "' is not an e-mail address: " + s.message());
  out->type = IndicatorType::kEmail;
  out->value = std::move(lower);
  return Status::OK();
}

Status MakeUrl(std::string_view v, Indicator* out) {
  const size_t scheme_end = v.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0 || v.size() <= scheme_end + 3 ||
      v.find_first_of(" \t") != std::string_view::npos)
    return Status::InvalidArgument("'" + std::string(v.substr(0, 200)) + "' is not a URL (scheme://host/...)");
  const size_t host_end = v.find_first_of("/?#", scheme_end + 3);
  out->type = IndicatorType::kUrl;
  out->value = Lower(v.substr(0, host_end)) + std::string(host_end == std::string_view::npos ? "" : v.substr(host_end));
  return Status::OK();
}

IndicatorType Guess(std::string_view v) {
  query::IpAddress ip;
  if (query::ParseIpAddress(v.substr(0, v.find('/')), &ip)) return IndicatorType::kIp;  // or a network
  if (IsHex(v) && v.size() == 32) return IndicatorType::kMd5;
  if (IsHex(v) && v.size() == 40) return IndicatorType::kSha1;
  if (IsHex(v) && v.size() == 64) return IndicatorType::kSha256;
  if (v.find("://") != std::string_view::npos) return IndicatorType::kUrl;
  if (v.find('@') != std::string_view::npos) return IndicatorType::kEmail;
  return IndicatorType::kDomain;
}

}  // namespace

const char* IndicatorTypeName(IndicatorType type) {
  switch (type) {
    case IndicatorType::kIp: return "ip";
    case IndicatorType::kCidr: return "cidr";
    case IndicatorType::kDomain: return "domain";
    case IndicatorType::kUrl: return "url";
    case IndicatorType::kMd5: return "md5";
    case IndicatorType::kSha1: return "sha1";
    case IndicatorType::kSha256: return "sha256";
    case IndicatorType::kEmail: return "email";
  }
  return "?";
}

bool ParseIndicatorType(std::string_view name, IndicatorType* out) {
  const std::string lower = Lower(Trim(name));
  for (const TypeAlias& a : kAliases) {
    if (a.name == lower) {
      *out = a.type;
      return true;
    }
  }
  return false;
}

Status MakeIndicator(std::string_view raw, std::string_view type_hint, Indicator* out) {
  const std::string value = Refang(Trim(raw));
  if (value.empty()) return Status::InvalidArgument("empty value");
  if (std::any_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return Status::InvalidArgument("a value with a control character");
  if (value.size() > kMaxIndicatorBytes)
    return Status::InvalidArgument(fmt::format("a value of {} bytes (at most {})", value.size(), kMaxIndicatorBytes));
  IndicatorType type = IndicatorType::kIp;
  if (Trim(type_hint).empty()) {
    type = Guess(value);
  } else if (!ParseIndicatorType(type_hint, &type)) {
    return Status::InvalidArgument("unknown indicator type '" + std::string(Trim(type_hint).substr(0, 64)) + "'");
  }
  switch (type) {
    case IndicatorType::kIp:
    case IndicatorType::kCidr:
      return MakeIp(value, out);
    case IndicatorType::kMd5:
    case IndicatorType::kSha1:
    case IndicatorType::kSha256:
      return MakeHash(value, type, out);
    case IndicatorType::kEmail:
      return MakeEmail(value, out);
    case IndicatorType::kUrl:
      return MakeUrl(value, out);
    case IndicatorType::kDomain: {
      std::string d = Lower(value);
      if (!d.empty() && d.back() == '.') d.pop_back();  // the root label of a fully qualified name
      if (Status s = CheckDomain(d); !s.ok()) return s;
      out->type = IndicatorType::kDomain;
      out->value = std::move(d);
      return Status::OK();
    }
  }
  return Status::InvalidArgument("unknown indicator type");
}

}  // namespace kamatama::intel
