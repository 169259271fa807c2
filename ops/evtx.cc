// ops/evtx.cc
#include "ops/evtx.h"

// Debian's libevtx-dev declares its libbfio entry points (unused here) without depending on
// libbfio-dev: leave them out rather than require that package too.
#include <libevtx/features.h>
#undef LIBEVTX_HAVE_BFIO
#include <libevtx.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>

namespace kamatama::ops {

namespace {

constexpr uint64_t kHeaderBytes = 4096;  //!< the file header block
constexpr uint64_t kChunkBytes = 65536;  //!< one chunk of records

//! libevtx's message for an error, and the error freed.
std::string TakeError(libevtx_error_t* error) {
  if (!error) return "unknown error";
  char buf[1024] = {};
  libevtx_error_sprint(error, buf, sizeof buf);
  libevtx_error_free(&error);
  std::string s(buf);
  for (char& c : s) c = (c == '\n' || c == '\r') ? ' ' : c;
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

struct FileCloser {
  void operator()(libevtx_file_t* f) const {
    libevtx_file_close(f, nullptr);
    libevtx_file_free(&f, nullptr);
  }
};

//! The renderer's indentation between elements removed: a newline and the spaces after it, where
//! the next character opens a tag (text inside values keeps its own line breaks).
std::string OneLine(const char* xml, size_t n) {
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n && xml[i]; ++i) {
    if (xml[i] == '\n' || xml[i] == '\r') {
      size_t j = i;
      while (j < n && (xml[j] == '\n' || xml[j] == '\r' || xml[j] == ' ' || xml[j] == '\t')) ++j;
      if (j >= n || xml[j] == '<' || xml[j] == '\0') {
        i = j - 1;
        continue;
      }
    }
    out.push_back(xml[i]);
  }
  return out;
}

//! Element text that is a zero-padded hexadecimal number (`>0x000001f<`) loses its padding.
void UnpadHex(std::string* xml) {
  std::string out;
  out.reserve(xml->size());
  size_t i = 0;
  while (i < xml->size()) {
    const size_t at = xml->find(">0x0", i);
    if (at == std::string::npos) break;
    size_t end = at + 3;
    while (end < xml->size() && std::isxdigit(static_cast<unsigned char>((*xml)[end]))) ++end;
    out.append(*xml, i, at + 3 - i);  // through "0x"
    if (end < xml->size() && (*xml)[end] == '<') {
      size_t first = at + 3;
      while (first + 1 < end && (*xml)[first] == '0') ++first;
      out.append(*xml, first, end - first);
    } else {
      out.append(*xml, at + 3, end - at - 3);
    }
    i = end;
  }
  out.append(*xml, i, std::string::npos);
  *xml = std::move(out);
}

//! The XML of record `index`, or false with the reason.
bool RecordXml(libevtx_file_t* file, int index, std::string* xml, std::string* why) {
  libevtx_error_t* error = nullptr;
  libevtx_record_t* record = nullptr;
  if (libevtx_file_get_record_by_index(file, index, &record, &error) != 1) {
    *why = TakeError(error);
    return false;
  }
  size_t size = 0;
  bool ok = libevtx_record_get_utf8_xml_string_size(record, &size, &error) == 1 && size > 0;
  std::string buf(ok ? size : 0, '\0');
  ok = ok && libevtx_record_get_utf8_xml_string(record, reinterpret_cast<uint8_t*>(buf.data()), size, &error) == 1;
  if (!ok) *why = TakeError(error);
  else {
    *xml = OneLine(buf.data(), buf.size());
    UnpadHex(xml);
  }
  libevtx_record_free(&record, nullptr);
  return ok;
}

}  // namespace

bool LooksLikeEvtx(const std::string& path) {
  char sig[8] = {};
  std::ifstream in(path, std::ios::binary);
  return in.read(sig, sizeof sig) && std::memcmp(sig, "ElfFile\0", 8) == 0;
}

Status ReadEvtx(const std::string& path, const std::function<Status(std::string&& xml)>& emit, EvtxStats* stats) {
  *stats = EvtxStats();
  libevtx_error_t* error = nullptr;
  libevtx_file_t* raw = nullptr;
  if (libevtx_file_initialize(&raw, &error) != 1) return Status::IoError("libevtx: " + TakeError(error));
  if (libevtx_file_open(raw, path.c_str(), LIBEVTX_OPEN_READ, &error) != 1) {
    libevtx_file_free(&raw, nullptr);
    return Status::InvalidArgument(fmt::format("{}: not a readable .evtx file: {}", path, TakeError(error)));
  }
  std::unique_ptr<libevtx_file_t, FileCloser> file(raw);
  std::error_code ec;
  stats->size = std::filesystem::file_size(path, ec);
  stats->expected = stats->size;
  {
    // The file header's chunk count (bytes 42-43): what a complete file holds.
    unsigned char header[44] = {};
    std::ifstream in(path, std::ios::binary);
    if (in.read(reinterpret_cast<char*>(header), sizeof header))
      stats->expected = kHeaderBytes + kChunkBytes * (header[42] | (header[43] << 8));
  }
  stats->corrupted = libevtx_file_is_corrupted(raw, nullptr) == 1;
  int n = 0;
  if (libevtx_file_get_number_of_records(raw, &n, &error) != 1)
    return Status::InvalidArgument(fmt::format("{}: cannot count its records: {}", path, TakeError(error)));
  std::string xml, why;
  for (int i = 0; i < n; ++i) {
    if (!RecordXml(raw, i, &xml, &why)) {
      if (stats->unreadable++ == 0) stats->first_error = fmt::format("record {}: {}", i, why);
      continue;
    }
    ++stats->records;
    if (Status s = emit(std::move(xml)); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace kamatama::ops
