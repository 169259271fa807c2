// store/block.cc
#include "store/block.h"

#include <algorithm>
#include <unordered_map>

#include "core/tokenize.h"
#include "core/varint.h"

namespace kamatama::store {

namespace {
constexpr uint64_t kFormatVersion = 1;

enum class ColumnKind : uint8_t { kPlain = 0, kDict = 1, kSuffixOfOriginal = 2 };

// Bytes that can be inside a token (compounds included).
bool IsTokenByte(char c) { return IsWordByte(static_cast<unsigned char>(c)) || c == '.' || c == '-'; }

bool IsSuffix(std::string_view whole, std::string_view part) {
  return part.size() <= whole.size() && whole.substr(whole.size() - part.size()) == part;
}
}  // namespace

std::string BlockKey(uint64_t block_id, KeyKind kind, std::string_view column) {
  std::string key;
  key.reserve(9 + column.size());
  PutFixed64BE(&key, block_id);
  key.push_back(static_cast<char>(kind));
  key.append(column);
  return key;
}

std::string FilterKey(uint64_t block_id) {
  std::string key("\xff" "F");
  PutFixed64BE(&key, block_id);
  return key;
}

std::string EncodeHeader(const BlockHeader& h) {
  std::string out;
  PutVarint(&out, kFormatVersion);
  PutVarint(&out, h.count);
  PutVarint(&out, ZigZag(h.min_ts));
  PutVarint(&out, ZigZag(h.max_ts));
  PutVarint(&out, h.raw_bytes);
  PutVarint(&out, h.columns.size());
  for (const auto& c : h.columns) PutLengthPrefixed(&out, c);
  return out;
}

Status DecodeHeader(std::string_view in, BlockHeader* h) {
  uint64_t version, count, min_ts, max_ts, raw, ncols;
  if (!GetVarint(&in, &version) || version != kFormatVersion || !GetVarint(&in, &count) ||
      !GetVarint(&in, &min_ts) || !GetVarint(&in, &max_ts) || !GetVarint(&in, &raw) ||
      !GetVarint(&in, &ncols) || ncols > 100000)
    return Status::Corruption("bad block header");
  h->count = static_cast<uint32_t>(count);
  h->min_ts = UnZigZag(min_ts);
  h->max_ts = UnZigZag(max_ts);
  h->raw_bytes = raw;
  h->columns.clear();
  for (uint64_t i = 0; i < ncols; ++i) {
    std::string_view name;
    if (!GetLengthPrefixed(&in, &name)) return Status::Corruption("bad block header column");
    h->columns.emplace_back(name);
  }
  return Status::OK();
}

// ---- Bloom filter ---------------------------------------------------------------------------
namespace {
constexpr int kProbes = 7;
constexpr int kBitsPerKey = 10;
}  // namespace

std::string TokenBloom::Build(std::vector<uint64_t>* hashes) {
  // Deduplicate with an open-addressing set (much cheaper than sorting ~20 hashes per event).
  size_t cap = 64;
  while (cap < hashes->size() * 2) cap <<= 1;
  std::vector<uint64_t> table(cap, 0);
  size_t distinct = 0;
  for (uint64_t h : *hashes) {
    uint64_t key = h ? h : 1;  // 0 marks an empty slot
    size_t i = static_cast<size_t>(key) & (cap - 1);
    while (table[i] != 0 && table[i] != key) i = (i + 1) & (cap - 1);
    if (table[i] == 0) {
      table[i] = key;
      ++distinct;
    }
  }
  hashes->clear();
  for (uint64_t k : table) {
    if (k) hashes->push_back(k);
  }
  size_t bits = std::max<size_t>(64, distinct * kBitsPerKey);
  size_t bytes = (bits + 7) / 8;
  bits = bytes * 8;
  std::string out(bytes + 1, '\0');
  out[0] = static_cast<char>(kProbes);
  auto* data = reinterpret_cast<unsigned char*>(out.data() + 1);
  for (uint64_t h : *hashes) {
    uint64_t h1 = h, h2 = (h >> 32) | (h << 32) | 1;
    for (int i = 0; i < kProbes; ++i) {
      uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
      data[bit / 8] |= static_cast<unsigned char>(1u << (bit % 8));
    }
  }
  return out;
}

bool TokenBloom::MayContain(std::string_view filter, uint64_t h) {
  if (filter.size() < 9) return true;
  if (h == 0) h = 1;
  int probes = static_cast<unsigned char>(filter[0]);
  const auto* data = reinterpret_cast<const unsigned char*>(filter.data() + 1);
  uint64_t bits = (filter.size() - 1) * 8;
  uint64_t h1 = h, h2 = (h >> 32) | (h << 32) | 1;
  for (int i = 0; i < probes; ++i) {
    uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % bits;
    if (!(data[bit / 8] & (1u << (bit % 8)))) return false;
  }
  return true;
}

void AddTokenHashes(std::string_view value, std::vector<uint64_t>* out) {
  ForEachToken(value, [&](std::string_view t) { out->push_back(HashTokenLower(t)); });
}

// ---- Encoding -------------------------------------------------------------------------------
namespace {
void EncodePresence(const std::vector<const std::string*>& vals, std::string* out) {
  bool all = std::all_of(vals.begin(), vals.end(), [](const std::string* v) { return v != nullptr; });
  if (all) {
    out->push_back(0);
    return;
  }
  out->push_back(1);
  std::string bitmap((vals.size() + 7) / 8, '\0');
  for (size_t i = 0; i < vals.size(); ++i) {
    if (vals[i]) bitmap[i / 8] = static_cast<char>(bitmap[i / 8] | (1 << (i % 8)));
  }
  out->append(bitmap);
}

std::string EncodeColumn(std::string_view name, const std::vector<const std::string*>& vals,
                         const std::vector<const Event*>& events) {
  std::string out;
  size_t present = 0;
  for (auto* v : vals) present += v != nullptr;
  // message is nearly always the tail of the original line: store only its length then.
  if (name == field::kMessage) {
    size_t suffixes = 0;
    for (size_t i = 0; i < vals.size(); ++i) {
      if (vals[i] && IsSuffix(events[i]->original, *vals[i])) ++suffixes;
    }
    if (suffixes * 2 > present) {
      out.push_back(static_cast<char>(ColumnKind::kSuffixOfOriginal));
      EncodePresence(vals, &out);
      for (size_t i = 0; i < vals.size(); ++i) {
        if (!vals[i]) continue;
        if (IsSuffix(events[i]->original, *vals[i])) {
          PutVarint(&out, (vals[i]->size() << 1) | 1);
        } else {
          PutVarint(&out, vals[i]->size() << 1);
          out.append(*vals[i]);
        }
      }
      return out;
    }
  }
  // Dictionary if few distinct values.
  std::unordered_map<std::string_view, uint32_t> dict;
  std::vector<std::string_view> order;
  bool use_dict = true;
  for (auto* v : vals) {
    if (!v) continue;
    auto [it, inserted] = dict.emplace(*v, static_cast<uint32_t>(order.size()));
    if (inserted) {
      order.push_back(*v);
      if (order.size() > 4096 || order.size() * 4 > present + 16) {
        use_dict = false;
        break;
      }
    }
  }
  if (use_dict && present > 0) {
    out.push_back(static_cast<char>(ColumnKind::kDict));
    EncodePresence(vals, &out);
    PutVarint(&out, order.size());
    for (auto s : order) PutLengthPrefixed(&out, s);
    for (auto* v : vals) {
      if (v) PutVarint(&out, dict[*v]);
    }
    return out;
  }
  out.push_back(static_cast<char>(ColumnKind::kPlain));
  EncodePresence(vals, &out);
  for (auto* v : vals) {
    if (v) PutLengthPrefixed(&out, *v);
  }
  return out;
}
}  // namespace

void EncodeBlock(uint64_t id, const std::vector<const Event*>& events, EncodedBlock* out) {
  BlockHeader& h = out->header;
  h.id = id;
  h.count = static_cast<uint32_t>(events.size());
  h.min_ts = INT64_MAX;
  h.max_ts = INT64_MIN;
  h.raw_bytes = 0;
  h.columns.clear();
  // Column order: first-seen order across events; event.original first.
  std::unordered_map<std::string_view, size_t> col_index;
  std::vector<std::string_view> names;
  names.push_back(field::kOriginal);
  col_index.emplace(field::kOriginal, 0);
  // Per event, the column of each of its fields. Events from one source list their fields in the
  // same order, so the previous event's column at the same position is checked first.
  std::vector<std::vector<uint32_t>> field_cols(events.size());
  std::vector<uint32_t> hint;
  for (size_t r = 0; r < events.size(); ++r) {
    const Event* ev = events[r];
    h.min_ts = std::min(h.min_ts, ev->timestamp_ns);
    h.max_ts = std::max(h.max_ts, ev->timestamp_ns);
    h.raw_bytes += ev->original.size();
    auto& fc = field_cols[r];
    fc.resize(ev->fields.size());
    for (size_t j = 0; j < ev->fields.size(); ++j) {
      const std::string& name = ev->fields[j].first;
      if (j < hint.size() && names[hint[j]] == name) {
        fc[j] = hint[j];
        continue;
      }
      auto [it, inserted] = col_index.emplace(name, names.size());
      if (inserted) names.push_back(name);
      fc[j] = static_cast<uint32_t>(it->second);
    }
    hint = fc;
  }
  if (events.empty()) h.min_ts = h.max_ts = 0;
  // Times.
  out->times.clear();
  int64_t prev = h.min_ts;
  for (const Event* ev : events) {
    PutVarint(&out->times, ZigZag(ev->timestamp_ns - prev));
    prev = ev->timestamp_ns;
  }
  for (const Event* ev : events) PutVarint(&out->times, ZigZag(ev->ingested_ns - ev->timestamp_ns));
  // Columns and tokens.
  std::vector<uint64_t> hashes;
  hashes.reserve(events.size() * 16);
  std::vector<std::vector<const std::string*>> cols(names.size(), std::vector<const std::string*>(events.size()));
  for (size_t r = 0; r < events.size(); ++r) {
    const Event* ev = events[r];
    cols[0][r] = &ev->original;
    AddTokenHashes(ev->original, &hashes);
    for (size_t j = 0; j < ev->fields.size(); ++j) {
      const auto& f = ev->fields[j];
      cols[field_cols[r][j]][r] = &f.second;
      // A message that ends the original line at a token boundary has its tokens in already.
      if (f.first == field::kMessage && IsSuffix(ev->original, f.second) &&
          (f.second.size() == ev->original.size() ||
           !IsTokenByte(ev->original[ev->original.size() - f.second.size() - 1])))
        continue;
      AddTokenHashes(f.second, &hashes);
    }
  }
  out->filter = TokenBloom::Build(&hashes);
  out->columns.clear();
  for (size_t c = 0; c < names.size(); ++c) {
    h.columns.emplace_back(names[c]);
    out->columns.emplace_back(std::string(names[c]), EncodeColumn(names[c], cols[c], events));
  }
  out->header_value = EncodeHeader(h);
}

// ---- Decoding -------------------------------------------------------------------------------
Status DecodeTimes(std::string_view in, uint32_t count, int64_t min_ts, std::vector<int64_t>* ts,
                   std::vector<int64_t>* ingested) {
  ts->resize(count);
  ingested->resize(count);
  int64_t prev = min_ts;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t v;
    if (!GetVarint(&in, &v)) return Status::Corruption("bad times column");
    prev += UnZigZag(v);
    (*ts)[i] = prev;
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t v;
    if (!GetVarint(&in, &v)) return Status::Corruption("bad times column");
    (*ingested)[i] = (*ts)[i] + UnZigZag(v);
  }
  return Status::OK();
}

Status DecodeColumn(std::string_view in, uint32_t count, const DecodedColumn* original, DecodedColumn* out) {
  out->values.assign(count, {});
  out->present.assign(count, 0);
  if (in.size() < 2) return Status::Corruption("short column");
  auto kind = static_cast<ColumnKind>(in[0]);
  bool has_bitmap = in[1] == 1;
  in.remove_prefix(2);
  if (has_bitmap) {
    size_t bytes = (count + 7) / 8;
    if (in.size() < bytes) return Status::Corruption("short column bitmap");
    for (uint32_t i = 0; i < count; ++i) out->present[i] = (in[i / 8] >> (i % 8)) & 1;
    in.remove_prefix(bytes);
  } else {
    std::fill(out->present.begin(), out->present.end(), 1);
  }
  switch (kind) {
    case ColumnKind::kPlain:
      for (uint32_t i = 0; i < count; ++i) {
        if (out->present[i] && !GetLengthPrefixed(&in, &out->values[i])) return Status::Corruption("bad plain column");
      }
      return Status::OK();
    case ColumnKind::kDict: {
      uint64_t n;
      if (!GetVarint(&in, &n) || n > in.size()) return Status::Corruption("bad dict column");
      std::vector<std::string_view> dict(n);
      for (auto& d : dict) {
        if (!GetLengthPrefixed(&in, &d)) return Status::Corruption("bad dict entry");
      }
      for (uint32_t i = 0; i < count; ++i) {
        if (!out->present[i]) continue;
        uint64_t idx;
        if (!GetVarint(&in, &idx) || idx >= n) return Status::Corruption("bad dict index");
        out->values[i] = dict[idx];
      }
      return Status::OK();
    }
    case ColumnKind::kSuffixOfOriginal:
      if (!original) return Status::Corruption("suffix column without original");
      for (uint32_t i = 0; i < count; ++i) {
        if (!out->present[i]) continue;
        uint64_t v;
        if (!GetVarint(&in, &v)) return Status::Corruption("bad suffix column");
        uint64_t len = v >> 1;
        if (v & 1) {
          std::string_view orig = original->values[i];
          if (len > orig.size()) return Status::Corruption("bad suffix length");
          out->values[i] = orig.substr(orig.size() - len);
        } else {
          if (len > in.size()) return Status::Corruption("bad suffix literal");
          out->values[i] = in.substr(0, len);
          in.remove_prefix(len);
        }
      }
      return Status::OK();
  }
  return Status::Corruption("unknown column kind");
}

Status ExtractRows(std::string_view in, uint32_t count, const std::vector<uint32_t>& rows,
                   const std::vector<std::string_view>* original_rows, std::vector<std::string_view>* values,
                   std::vector<uint8_t>* present) {
  values->assign(rows.size(), {});
  present->assign(rows.size(), 0);
  if (rows.empty()) return Status::OK();
  if (in.size() < 2) return Status::Corruption("short column");
  auto kind = static_cast<ColumnKind>(in[0]);
  bool has_bitmap = in[1] == 1;
  in.remove_prefix(2);
  std::string_view bitmap;
  if (has_bitmap) {
    size_t bytes = (count + 7) / 8;
    if (in.size() < bytes) return Status::Corruption("short column bitmap");
    bitmap = in.substr(0, bytes);
    in.remove_prefix(bytes);
  }
  auto is_present = [&](uint32_t i) { return !has_bitmap || ((bitmap[i / 8] >> (i % 8)) & 1); };
  std::vector<std::string_view> dict;
  if (kind == ColumnKind::kDict) {
    uint64_t n;
    if (!GetVarint(&in, &n) || n > in.size()) return Status::Corruption("bad dict column");
    dict.resize(n);
    for (auto& d : dict) {
      if (!GetLengthPrefixed(&in, &d)) return Status::Corruption("bad dict entry");
    }
  } else if (kind == ColumnKind::kSuffixOfOriginal && !original_rows) {
    return Status::Corruption("suffix column without original");
  } else if (kind != ColumnKind::kPlain && kind != ColumnKind::kSuffixOfOriginal) {
    return Status::Corruption("unknown column kind");
  }
  // Walk the present rows in order, keeping only the wanted ones, up to the last wanted row
  // that is present (a sparse column absent from every wanted row is not walked at all).
  size_t k = 0;
  if (rows.back() >= count) return Status::Corruption("row out of range");
  uint32_t last = 0;
  bool any = false;
  for (size_t j = rows.size(); j-- > 0;) {
    if (is_present(rows[j])) {
      last = rows[j];
      any = true;
      break;
    }
  }
  if (!any) return Status::OK();
  for (uint32_t i = 0; i <= last; ++i) {
    while (k < rows.size() && rows[k] < i) ++k;
    if (k == rows.size()) break;
    if (!is_present(i)) continue;
    const bool want = rows[k] == i;
    std::string_view v;
    switch (kind) {
      case ColumnKind::kPlain:
        if (!GetLengthPrefixed(&in, &v)) return Status::Corruption("bad plain column");
        break;
      case ColumnKind::kDict: {
        uint64_t idx;
        if (!GetVarint(&in, &idx) || idx >= dict.size()) return Status::Corruption("bad dict index");
        v = dict[idx];
        break;
      }
      case ColumnKind::kSuffixOfOriginal: {
        uint64_t x;
        if (!GetVarint(&in, &x)) return Status::Corruption("bad suffix column");
        uint64_t len = x >> 1;
        if (x & 1) {
          if (want) {
            std::string_view orig = (*original_rows)[k];
            if (len > orig.size()) return Status::Corruption("bad suffix length");
            v = orig.substr(orig.size() - len);
          }
        } else {
          if (len > in.size()) return Status::Corruption("bad suffix literal");
          v = in.substr(0, len);
          in.remove_prefix(len);
        }
        break;
      }
    }
    if (want) {
      (*values)[k] = v;
      (*present)[k] = 1;
    }
  }
  return Status::OK();
}

}  // namespace kamatama::store
