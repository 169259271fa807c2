// bench/store_bytes.cc
//! Where a store's bytes go (issue 24): walks every day column family of a closed data directory
//! and sums, per part of the blocks (header, token filter, frame filters, times, row columns,
//! token index, and each column by name), the bytes of its values and an estimate of them on disk:
//! the part's values concatenated in the order stored and compressed with zstd level 1 in 16 KiB
//! pieces (a value of 8 KiB or more alone), as the store's table blocks are cut.
//! Usage: kmt_store_bytes DATA_DIR [EVENTS]   (EVENTS: divide by it for bytes per event)
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <rocksdb/db.h>

namespace {

struct Part {
  uint64_t values = 0, raw = 0, packed = 0;
  std::string pending;
};

size_t Zstd1(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 1);
  return ZSTD_isError(n) ? in.size() : n;
}

void Add(Part* p, const rocksdb::Slice& v) {
  ++p->values;
  p->raw += v.size();
  if (v.size() >= 8192) {
    p->packed += Zstd1(v.ToString());
    return;
  }
  p->pending.append(v.data(), v.size());
  if (p->pending.size() >= 16384) {
    p->packed += Zstd1(p->pending);
    p->pending.clear();
  }
}

std::string PartOf(const rocksdb::Slice& key) {
  if (key.size() >= 2 && static_cast<unsigned char>(key[0]) == 0xff) return key[1] == 'I' ? "(token index)" : "(token filter)";
  if (key.size() < 9) return "(other)";
  switch (key[8]) {
    case 0: return "(header)";
    case 1: return "(token filter)";
    case 2: return "(times)";
    case 3: return std::string(key.data() + 9, key.size() - 9);
    case 4: return "(frame filters)";
    case 5: return "(row columns)";
  }
  return "(other)";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: kmt_store_bytes DATA_DIR [EVENTS]\n");
    return 2;
  }
  const double events = argc > 2 ? std::strtod(argv[2], nullptr) : 1.0;
  std::vector<std::string> names;
  rocksdb::Options opts;
  if (auto s = rocksdb::DB::ListColumnFamilies(opts, argv[1], &names); !s.ok()) {
    fmt::print(stderr, "{}\n", s.ToString());
    return 1;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  if (auto s = rocksdb::DB::OpenForReadOnly(opts, argv[1], cfs, &handles, &raw_db); !s.ok()) {
    fmt::print(stderr, "{}\n", s.ToString());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);
  std::map<std::string, Part> parts;
  for (auto* h : handles) {
    if (h->GetName().empty() || h->GetName()[0] != 'd') continue;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) Add(&parts[PartOf(it->key())], it->value());
  }
  std::vector<std::pair<std::string, Part*>> order;
  uint64_t raw = 0, packed = 0;
  for (auto& [name, p] : parts) {
    if (!p.pending.empty()) p.packed += Zstd1(p.pending);
    raw += p.raw;
    packed += p.packed;
    order.emplace_back(name, &p);
  }
  std::sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.second->packed > b.second->packed; });
  fmt::print("{:<36} {:>10} {:>12} {:>12}\n", "part", "values", "raw B/ev", "zstd1 B/ev");
  for (auto& [name, p] : order)
    fmt::print("{:<36} {:>10} {:>12.2f} {:>12.2f}\n", name, p->values, p->raw / events, p->packed / events);
  fmt::print("{:<36} {:>10} {:>12.2f} {:>12.2f}\n", "total", "", raw / events, packed / events);
  // Table files as they are on disk, by what their keys span: obsolete versions of a rewritten
  // value (the token index) stay in older files until a compaction drops them.
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  std::map<std::string, uint64_t> by_span;
  uint64_t on_disk = 0;
  for (const auto& f : files) {
    const std::string a = PartOf(f.smallestkey), b = PartOf(f.largestkey);
    const std::string what = f.column_family_name[0] == 'd' ? (a == b ? a : "blocks") : f.column_family_name;
    by_span[what] += f.size;
    on_disk += f.size;
  }
  for (const auto& [what, bytes] : by_span) fmt::print("table files: {:<24} {:>12.2f} B/ev\n", what, bytes / events);
  fmt::print("table files: {:<24} {:>12.2f} B/ev\n", "total", on_disk / events);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  return 0;
}
