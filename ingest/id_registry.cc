// ingest/id_registry.cc
#include "ingest/id_registry.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

namespace kamatama::ingest {

namespace {
std::string Be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}
uint64_t FromBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
Status FromRocks(const rocksdb::Status& s) {
  return s.ok() ? Status::OK() : Status::IoError("shipper id registry: " + s.ToString());
}
constexpr int64_t kExpireEveryNs = 3600LL * 1'000'000'000;
}  // namespace

Status IdRegistry::Open(const std::string& dir, int64_t max_age_ns, std::unique_ptr<IdRegistry>* out) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  rocksdb::Options o;
  o.create_if_missing = true;
  o.max_background_jobs = 1;
  o.write_buffer_size = 8u << 20;
  o.keep_log_file_num = 2;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(o, dir, &raw);
  if (!s.ok()) return FromRocks(s);
  std::unique_ptr<IdRegistry> r(new IdRegistry());
  r->db_.reset(raw);
  r->max_age_ns_ = max_age_ns;
  *out = std::move(r);
  return Status::OK();
}

IdRegistry::~IdRegistry() {
  if (db_) db_->Close();
}

Status IdRegistry::Lookup(const std::vector<std::string>& ids, std::vector<bool>* known) const {
  known->assign(ids.size(), false);
  if (ids.empty()) return Status::OK();
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back("x" + id);
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<std::string> values;
  auto statuses = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i].ok()) (*known)[i] = true;
    else if (!statuses[i].IsNotFound()) return FromRocks(statuses[i]);
  }
  return Status::OK();
}

Status IdRegistry::Record(const std::vector<std::string>& ids, int64_t now_ns) {
  if (!ids.empty()) {
    rocksdb::WriteBatch b;
    const std::string t = Be64(static_cast<uint64_t>(now_ns));
    for (const auto& id : ids) {
      b.Put("x" + id, t);
      b.Put("t" + t + id, "");
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Write(wo, &b);
    if (!s.ok()) return FromRocks(s);
  }
  bool due = false;
  {
    std::lock_guard lock(expire_mu_);
    if (now_ns - last_expire_ns_ >= kExpireEveryNs) {
      last_expire_ns_ = now_ns;
      due = true;
    }
  }
  size_t dropped = 0;
  return due ? Expire(now_ns, &dropped) : Status::OK();
}

Status IdRegistry::Expire(int64_t now_ns, size_t* dropped) {
  *dropped = 0;
  const uint64_t cutoff = static_cast<uint64_t>(std::max<int64_t>(0, now_ns - max_age_ns_));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  rocksdb::WriteBatch b;
  for (it->Seek("t"); it->Valid(); it->Next()) {
    auto k = it->key();
    if (k.size() < 9 || k[0] != 't') break;
    const uint64_t t = FromBe64(k.data() + 1);
    if (t >= cutoff) break;
    std::string id(k.data() + 9, k.size() - 9);
    std::string v;
    // The id key is removed only if it still carries this time.
    if (db_->Get(rocksdb::ReadOptions(), "x" + id, &v).ok() && v.size() == 8 && FromBe64(v.data()) == t)
      b.Delete("x" + id);
    b.Delete(k);
    ++*dropped;
    if (b.Count() >= 10000) {
      auto s = db_->Write(rocksdb::WriteOptions(), &b);
      if (!s.ok()) return FromRocks(s);
      b.Clear();
    }
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return b.Count() ? FromRocks(db_->Write(rocksdb::WriteOptions(), &b)) : Status::OK();
}

}  // namespace kamatama::ingest
