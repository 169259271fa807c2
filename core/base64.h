// core/base64.h
//! Base64 (RFC 4648 standard alphabet), the one implementation in the project: OpenSSL's
//! EVP_EncodeBlock/EVP_DecodeBlock underneath. Used by HTTP Basic/ApiKey credentials
//! (server/auth.cc), Sigma's base64 modifiers (detect/) and encoded PowerShell command lines
//! (parsers/). Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace kamatama {

//! Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);

//! Decodes standard base64; padding optional, trailing spaces and tabs ignored. False (and *out
//! unspecified) on any character outside the alphabet or a length no encoder produces.
bool Base64Decode(std::string_view in, std::string* out);

//! UTF-16LE bytes (as Windows stores PowerShell's -EncodedCommand) to UTF-8; unpaired surrogates
//! become U+FFFD. An odd trailing byte is dropped.
std::string Utf16LeToUtf8(std::string_view bytes);

}  // namespace kamatama
