// ingest/inflate.h
//! Bounded decompression of request bodies and GELF datagrams: gzip, zlib, raw deflate (zlib)
//! and Snappy block format (Loki protobuf pushes). Every function stops as soon as the output
//! would exceed `max_out` bytes, so a decompression bomb costs at most `max_out` bytes of memory
//! and the time to produce them (never the whole expansion).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kamatama::ingest {

enum class InflateResult {
  kOk,
  kTooLarge,  //!< the output would exceed max_out (a bomb, or simply too big)
  kCorrupt,   //!< not valid compressed data, or truncated
};

enum class Compression { kNone, kGzip, kZlib, kDeflate, kSnappy };

//! Maps a Content-Encoding value ("gzip", "x-gzip", "deflate", "snappy", "identity", ""):
//! false for anything else. "deflate" means zlib-wrapped per RFC 9110; raw deflate is also
//! accepted by Inflate (detected from the first bytes).
bool CompressionFromEncoding(std::string_view content_encoding, Compression* out);

//! Detects gzip (1f 8b) or zlib (78 01/5e/9c/da) from the first bytes; kNone otherwise.
Compression SniffCompression(std::string_view data);

//! Decompresses `in` into *out (replaced). kNone copies (and still checks max_out).
InflateResult Decompress(std::string_view in, Compression c, size_t max_out, std::string* out);

const char* InflateResultName(InflateResult r);

}  // namespace kamatama::ingest
