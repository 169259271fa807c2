// ops/importer.cc
#include "ops/importer.h"
#include "ops/evtx.h"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "core/time.h"

namespace kamatama::ops {

namespace fs = std::filesystem;

namespace {
constexpr size_t kChunkLines = 8192;
constexpr size_t kChunkBytes = 1u << 20;
constexpr size_t kSniffBytes = 8192;

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool IsTarName(const std::string& name) {
  for (auto ext : {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".txz", ".tar.bz2", ".tbz2"})
    if (EndsWith(name, ext)) return true;
  return false;
}
bool IsCompressedName(const std::string& name) {
  for (auto ext : {".gz", ".zst", ".xz", ".bz2", ".lz4"})
    if (EndsWith(name, ext)) return true;
  return false;
}

#define KMT_IMPORT_TRY(expr)   \
  do {                         \
    Status _s = (expr);        \
    if (!_s.ok()) return _s;   \
  } while (0)

class Importer {
 public:
  Importer(store::Store* store, ingest::IdRegistry* ids, const ImportOptions& opt, ImportStats* st)
      : store_(store), ids_(ids), opt_(opt), st_(st), t0_(NowNanos()) {}

  void SetTotalBytes(uint64_t b) { total_input_ = b; }

  Status Path(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path().string());
      }
      if (ec) return Status::IoError(fmt::format("cannot read directory {}: {}", path, ec.message()));
      std::sort(files.begin(), files.end());
      for (const auto& f : files) KMT_IMPORT_TRY(File(f));
      return Status::OK();
    }
    if (!fs::is_regular_file(path, ec)) return Status::NotFound(fmt::format("{}: no such file or directory", path));
    return File(path);
  }

  Status Finish() {
    Progress(true);
    return Status::OK();
  }

 private:
  Status File(const std::string& path) {
    struct stat sb {};
    if (::stat(path.c_str(), &sb) != 0) return Status::IoError(fmt::format("cannot stat {}", path));
    int64_t mtime_ns = static_cast<int64_t>(sb.st_mtim.tv_sec) * 1'000'000'000 + sb.st_mtim.tv_nsec;
    if (EndsWith(path, ".evtx") || LooksLikeEvtx(path)) {
      Status s = Evtx(path, mtime_ns);
      input_done_ += static_cast<uint64_t>(sb.st_size);
      return s;
    }
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(a.get());
    bool tar = IsTarName(path);
    if (tar) archive_read_support_format_tar(a.get());
    else archive_read_support_format_raw(a.get());
    if (sb.st_size == 0) {
      ++st_->files;
      return Status::OK();
    }
    if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
      return Status::IoError(fmt::format("{}: {}", path, archive_error_string(a.get())));
    outer_ = a.get();
    archive_entry* e = nullptr;
    int r;
    while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
      if (!tar) {
        KMT_IMPORT_TRY(Stream(a.get(), path, mtime_ns));
        break;
      }
      if (archive_entry_filetype(e) != AE_IFREG) continue;
      std::string name = path + ":" + archive_entry_pathname(e);
      int64_t mt = archive_entry_mtime_is_set(e)
                       ? static_cast<int64_t>(archive_entry_mtime(e)) * 1'000'000'000 + archive_entry_mtime_nsec(e)
                       : mtime_ns;
      if (IsCompressedName(name)) KMT_IMPORT_TRY(Nested(a.get(), name, mt));
      else KMT_IMPORT_TRY(Stream(a.get(), name, mt));
    }
    if (r != ARCHIVE_EOF && r != ARCHIVE_OK)
      return Status::IoError(fmt::format("{}: {}", path, archive_error_string(a.get())));
    input_done_ += static_cast<uint64_t>(sb.st_size);
    outer_ = nullptr;
    return Status::OK();
  }

  // A compressed file inside a tar archive: a second reader fed from the first.
  Status Nested(archive* outer, const std::string& name, int64_t mtime_ns) {
    struct Feed {
      archive* outer;
      char buf[1 << 16];
    };
    auto feed = std::make_unique<Feed>();
    feed->outer = outer;
    std::unique_ptr<archive, decltype(&archive_read_free)> in(archive_read_new(), archive_read_free);
    archive_read_support_filter_all(in.get());
    archive_read_support_format_raw(in.get());
    auto read_cb = [](archive*, void* ud, const void** buf) -> la_ssize_t {
      auto* f = static_cast<Feed*>(ud);
      *buf = f->buf;
      return archive_read_data(f->outer, f->buf, sizeof f->buf);
    };
    if (archive_read_open(in.get(), feed.get(), nullptr, read_cb, nullptr) != ARCHIVE_OK) {
      // An empty member: nothing to import.
      ++st_->files;
      return Status::OK();
    }
    archive_entry* e = nullptr;
    if (archive_read_next_header(in.get(), &e) != ARCHIVE_OK) {
      ++st_->files;
      return Status::OK();
    }
    return Stream(in.get(), name, mtime_ns);
  }

  // Reads the decompressed data of the current entry of `a`, line by line, in chunks.
  Status Stream(archive* a, const std::string& name, int64_t mtime_ns) {
    ++st_->files;
    name_ = name;
    mtime_ns_ = mtime_ns;
    pending_.clear();
    chunk_.clear();
    chunk_lines_ = 0;
    sniffed_ = false;
    binary_ = false;
    char buf[1 << 16];
    for (;;) {
      la_ssize_t n = archive_read_data(a, buf, sizeof buf);
      if (n < 0) return Status::IoError(fmt::format("{}: {}", name, archive_error_string(a)));
      if (n == 0) break;
      std::string_view data(buf, static_cast<size_t>(n));
      if (!sniffed_) {
        sniff_.append(data.substr(0, std::min(data.size(), kSniffBytes - sniff_.size())));
        if (sniff_.size() >= kSniffBytes || sniff_.find('\0') != std::string::npos) {
          sniffed_ = true;
          binary_ = sniff_.find('\0') != std::string::npos;
          sniff_.clear();
        }
      }
      if (binary_) break;
      st_->bytes += data.size();
      KMT_IMPORT_TRY(Feed(data));
      Progress(false);
    }
    sniff_.clear();
    if (binary_) {
      ++st_->files_binary;
      if (!opt_.progress) fmt::print(stderr, "kamatama import: {}: skipped, not a text file\n", name);
      return Status::OK();
    }
    if (!pending_.empty()) KMT_IMPORT_TRY(Line(pending_));
    pending_.clear();
    return FlushChunk();
  }

  Status Feed(std::string_view data) {
    while (!data.empty()) {
      size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        pending_.append(data);
        return Status::OK();
      }
      if (pending_.empty()) {
        KMT_IMPORT_TRY(Line(data.substr(0, nl)));
      } else {
        pending_.append(data.substr(0, nl));
        KMT_IMPORT_TRY(Line(pending_));
        pending_.clear();
      }
      data.remove_prefix(nl + 1);
    }
    return Status::OK();
  }

  Status Line(std::string_view line) {
    chunk_.append(line);
    chunk_.push_back('\n');
    ++chunk_lines_;
    if (chunk_lines_ >= kChunkLines || chunk_.size() >= kChunkBytes) return FlushChunk();
    return Status::OK();
  }

  Status FlushChunk() {
    if (chunk_.empty()) return Status::OK();
    const std::string id = ChunkId("import:", chunk_);
    std::vector<RawRecord> raws;
    std::string_view rest(chunk_);
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view l = rest.substr(0, nl);
      rest.remove_prefix(nl + 1);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.empty()) continue;
      RawRecord r;
      r.received_ns = mtime_ns_;
      r.source = opt_.source;
      if (l.size() > opt_.max_line) {
        l = l.substr(0, opt_.max_line);
        r.flags |= kRawTruncated;
      }
      r.data.assign(l);
      raws.push_back(std::move(r));
    }
    chunk_.clear();
    chunk_lines_ = 0;
    return StoreChunk(id, std::move(raws));
  }

  //! "<prefix><sha256 of data>:<length>": a chunk's id in the registry.
  static std::string ChunkId(std::string_view prefix, std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_Digest(data.data(), data.size(), md, &md_len, EVP_sha256(), nullptr);
    std::string id(prefix);
    for (unsigned i = 0; i < md_len; ++i) id += fmt::format("{:02x}", md[i]);
    return id + fmt::format(":{}", data.size());
  }

  //! Parses and stores one chunk's records unless the chunk was imported before; records it.
  Status StoreChunk(const std::string& id, std::vector<RawRecord> raws) {
    if (raws.empty()) return Status::OK();
    std::vector<bool> known;
    KMT_IMPORT_TRY(ids_->Lookup({id}, &known));
    st_->lines += raws.size();
    if (known[0]) {
      st_->duplicate_lines += raws.size();
      return Status::OK();
    }
    std::vector<Event> events;
    events.reserve(raws.size());
    for (const auto& r : raws) events.push_back(ParseRecord(r, opt_.parse));
    if (opt_.detect) st_->alerts += opt_.detect(&events, &raws);
    uint64_t expired = 0;
    KMT_IMPORT_TRY(store_->Append(&events, raws, &expired));
    KMT_IMPORT_TRY(store_->Commit(true));  // durable before the chunk is recorded
    st_->stored += raws.size() - expired;
    st_->expired += expired;
    return ids_->Record({id}, NowNanos());
  }

  //! A Windows .evtx file: each record's XML is a raw record; chunks of kChunkLines records.
  Status Evtx(const std::string& path, int64_t mtime_ns) {
    ++st_->files;
    ++st_->evtx_files;
    std::vector<RawRecord> raws;
    std::string joined;  // the chunk's records, for its id
    auto flush = [&]() -> Status {
      Status s = StoreChunk(ChunkId("evtx:", joined), std::move(raws));
      raws.clear();
      joined.clear();
      return s;
    };
    EvtxStats es;
    Status s = ReadEvtx(path, [&](std::string&& xml) -> Status {
      st_->bytes += xml.size();
      joined.append(xml).push_back('\n');
      RawRecord r;
      r.received_ns = mtime_ns;
      r.source = opt_.source;
      r.data = std::move(xml);
      raws.push_back(std::move(r));
      Progress(false);
      return raws.size() >= kChunkLines ? flush() : Status::OK();
    }, &es);
    if (s.ok()) s = flush();
    st_->unreadable_records += es.unreadable;
    if (s.code() == Status::Code::kInvalidArgument) {  // not an .evtx libevtx can open: say so, go on
      ++st_->failed_files;
      fmt::print(stderr, "kamatama import: {}\n", s.message());
      return Status::OK();
    }
    if (es.unreadable)
      fmt::print(stderr, "kamatama import: {}: {} record(s) could not be read and were skipped ({}); {} read\n", path,
                 es.unreadable, es.first_error, es.records);
    if (es.truncated() || es.corrupted)
      fmt::print(stderr, "kamatama import: {}: {} ({} of the {} bytes its header announces); {} record(s) read\n", path,
                 es.truncated() ? "truncated" : "marked corrupted by libevtx", es.size, es.expected, es.records);
    return s;
  }

  void Progress(bool final) {
    if (!opt_.progress) return;
    int64_t now = NowNanos();
    if (!final && now - last_progress_ < 200'000'000) return;
    last_progress_ = now;
    double secs = std::max(1e-3, (now - t0_) / 1e9);
    uint64_t done = input_done_;
    if (outer_) done += static_cast<uint64_t>(std::max<int64_t>(0, archive_filter_bytes(outer_, -1)));
    std::string eta = "?";
    if (total_input_ > 0 && done > 0) {
      double left = secs * (static_cast<double>(total_input_) / static_cast<double>(done) - 1);
      eta = fmt::format("{:.0f}s", std::max(0.0, left));
    }
    fmt::print(stderr, "\r\033[K{} lines, {:.1f} MiB, {:.0f} lines/s, {:.1f} MiB/s, {:.0f}% of input, ETA {}{}",
               st_->lines, st_->bytes / 1048576.0, st_->lines / secs, st_->bytes / 1048576.0 / secs,
               total_input_ ? 100.0 * std::min(done, total_input_) / total_input_ : 0.0, final ? "0s" : eta,
               final ? "\n" : "");
    std::fflush(stderr);
  }

  store::Store* store_;
  ingest::IdRegistry* ids_;
  const ImportOptions& opt_;
  ImportStats* st_;
  int64_t t0_;
  int64_t last_progress_ = 0;
  uint64_t total_input_ = 0, input_done_ = 0;
  archive* outer_ = nullptr;
  std::string name_;
  int64_t mtime_ns_ = 0;
  std::string pending_, chunk_, sniff_;
  size_t chunk_lines_ = 0;
  bool sniffed_ = false, binary_ = false;
};
}  // namespace

Status Import(const std::vector<std::string>& paths, store::Store* store, ingest::IdRegistry* ids,
              const ImportOptions& opt, ImportStats* stats) {
  *stats = ImportStats();
  int64_t t0 = NowNanos();
  Importer imp(store, ids, opt, stats);
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& p : paths) {
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file(ec)) total += it->file_size(ec);
    } else if (fs::is_regular_file(p, ec)) {
      total += fs::file_size(p, ec);
    }
  }
  imp.SetTotalBytes(total);
  Status s;
  for (const auto& p : paths) {
    s = imp.Path(p);
    if (!s.ok()) break;
  }
  (void)imp.Finish();
  Status f = store->FlushIdle(NowNanos(), 0);  // seal every block: the import leaves no pending rows
  stats->seconds = (NowNanos() - t0) / 1e9;
  return s.ok() ? f : s;
}

}  // namespace kamatama::ops
