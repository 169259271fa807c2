// intel/indicator.h
//! One threat-intelligence indicator (issue 28): an address or network, a domain, a URL, a file
//! hash or an e-mail address, in a canonical form, with where it came from and when it expires.
//! MakeIndicator checks and normalises a value as lists arrive (every import format goes
//! through it). Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kamatama::intel {

enum class IndicatorType : uint8_t { kIp, kCidr, kDomain, kUrl, kMd5, kSha1, kSha256, kEmail };
inline constexpr int kIndicatorTypes = 8;

//! "ip", "cidr", "domain", "url", "md5", "sha1", "sha256", "email".
const char* IndicatorTypeName(IndicatorType type);
//! Reads a type name: ours, and the usual spellings of feeds (ipv4, ipv6, ip-src, ip-dst,
//! hostname, domain-name, uri, sha-256, email-src, ...). False for anything else.
bool ParseIndicatorType(std::string_view name, IndicatorType* out);

//! Longest indicator value accepted, in bytes (a URL may be long; nothing longer is a real one).
inline constexpr size_t kMaxIndicatorBytes = 4096;
//! Shortest networks accepted: a /0 (or /1 .. /7) network would match a large part of the
//! Internet, which no feed means; such entries are refused with an error.
inline constexpr int kMinPrefixV4 = 8;
inline constexpr int kMinPrefixV6 = 16;

struct Indicator {
  IndicatorType type = IndicatorType::kIp;
  //! Canonical text: addresses as inet_ntop writes them, networks with their host bits cleared
  //! ("10.0.0.0/8"), names, hashes and e-mail addresses lower-case, URLs with the scheme and
  //! host lower-case.
  std::string value;
  std::string source;       //!< who reported it (feed, vendor, report); may be empty
  std::string description;  //!< may be empty
  int64_t expires_ns = 0;   //!< nanoseconds since the epoch; 0: never
  bool Expired(int64_t now_ns) const { return expires_ns != 0 && expires_ns <= now_ns; }
};

//! Checks `raw` (surrounding spaces ignored; defanged forms such as hxxp:// and [.] undone) as an
//! indicator of the type named by `type_hint`, or of the type it looks like when the hint is
//! empty, and sets out->type and out->value. InvalidArgument says what is wrong.
Status MakeIndicator(std::string_view raw, std::string_view type_hint, Indicator* out);

}  // namespace kamatama::intel
