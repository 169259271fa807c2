// ingest/inflate.cc
#include "ingest/inflate.h"

#include <snappy.h>
#include <zlib.h>

#include <algorithm>

namespace kamatama::ingest {

bool CompressionFromEncoding(std::string_view e, Compression* out) {
  auto lower = [](std::string_view s) {
    std::string r(s);
    for (char& c : r) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    while (!r.empty() && (r.back() == ' ' || r.back() == '\t')) r.pop_back();
    while (!r.empty() && (r.front() == ' ' || r.front() == '\t')) r.erase(0, 1);
    return r;
  };
  std::string v = lower(e);
  if (v.empty() || v == "identity") *out = Compression::kNone;
  else if (v == "gzip" || v == "x-gzip") *out = Compression::kGzip;
  else if (v == "deflate") *out = Compression::kZlib;
  else if (v == "snappy") *out = Compression::kSnappy;
  else return false;
  return true;
}

Compression SniffCompression(std::string_view d) {
  if (d.size() >= 2 && static_cast<unsigned char>(d[0]) == 0x1f && static_cast<unsigned char>(d[1]) == 0x8b)
    return Compression::kGzip;
  if (d.size() >= 2 && static_cast<unsigned char>(d[0]) == 0x78 &&
      ((static_cast<unsigned char>(d[0]) << 8) | static_cast<unsigned char>(d[1])) % 31 == 0)
    return Compression::kZlib;
  return Compression::kNone;
}

namespace {
// windowBits: 16+15 gzip, 15 zlib, -15 raw deflate.
InflateResult ZInflate(std::string_view in, int window_bits, size_t max_out, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) return InflateResult::kCorrupt;
  out->clear();
  // Grow geometrically from a modest guess; never beyond max_out (+1 byte to detect overflow).
  size_t cap = std::min(max_out + 1, std::max<size_t>(in.size() * 4, 4096));
  out->resize(cap);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  size_t produced = 0;
  InflateResult result = InflateResult::kCorrupt;
  for (;;) {
    if (produced == out->size()) {
      if (out->size() > max_out) {
        result = InflateResult::kTooLarge;
        break;
      }
      out->resize(std::min(max_out + 1, out->size() * 2));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out->size() - produced, UINT32_MAX));
    const size_t before = zs.avail_out;
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced += before - zs.avail_out;
    if (produced > max_out) {
      result = InflateResult::kTooLarge;
      break;
    }
    if (rc == Z_STREAM_END) {
      // gzip allows concatenated members: continue with the next one if bytes remain.
      if (window_bits > 15 && zs.avail_in > 0) {
        if (inflateReset(&zs) != Z_OK) break;
        continue;
      }
      result = InflateResult::kOk;
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
  }
  inflateEnd(&zs);
  if (result == InflateResult::kOk) out->resize(produced);
  else out->clear();
  return result;
}
}  // namespace

InflateResult Decompress(std::string_view in, Compression c, size_t max_out, std::string* out) {
  switch (c) {
    case Compression::kNone:
      if (in.size() > max_out) return InflateResult::kTooLarge;
      out->assign(in);
      return InflateResult::kOk;
    case Compression::kGzip:
      return ZInflate(in, 16 + MAX_WBITS, max_out, out);
    case Compression::kZlib:
      // "deflate" in HTTP is zlib-wrapped, but some clients send raw deflate.
      return SniffCompression(in) == Compression::kZlib ? ZInflate(in, MAX_WBITS, max_out, out)
                                                        : ZInflate(in, -MAX_WBITS, max_out, out);
    case Compression::kDeflate:
      return ZInflate(in, -MAX_WBITS, max_out, out);
    case Compression::kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n)) return InflateResult::kCorrupt;
      if (n > max_out) return InflateResult::kTooLarge;  // known before any work
      if (!snappy::IsValidCompressedBuffer(in.data(), in.size())) return InflateResult::kCorrupt;
      out->clear();
      if (!snappy::Uncompress(in.data(), in.size(), out)) {
        out->clear();
        return InflateResult::kCorrupt;
      }
      return InflateResult::kOk;
    }
  }
  return InflateResult::kCorrupt;
}

const char* InflateResultName(InflateResult r) {
  switch (r) {
    case InflateResult::kOk: return "ok";
    case InflateResult::kTooLarge: return "too large";
    case InflateResult::kCorrupt: return "corrupt";
  }
  return "?";
}

}  // namespace kamatama::ingest
