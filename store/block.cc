// store/block.cc
#include "store/block.h"
#include "store/token_index.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <map>
#include <unordered_map>

#include "core/tokenize.h"
#include "core/varint.h"

#define KMT_RETURN_IF_ERROR(expr) \
  do {                            \
    Status _s = (expr);           \
    if (!_s.ok()) return _s;      \
  } while (0)

namespace kamatama::store {

namespace {
// Block header versions: 1 (store formats 0-2), 2 (store format 3: adds frame_rows).
constexpr uint64_t kHeaderVersion = 2;

// kSpanOfOriginal (store format 4): each value found in its row's original line is stored as its
// length and offset there (a span), the others as literal bytes.
enum class ColumnKind : uint8_t { kPlain = 0, kDict = 1, kSuffixOfOriginal = 2, kSpanOfOriginal = 3 };
constexpr uint8_t kLastKind = static_cast<uint8_t>(ColumnKind::kSpanOfOriginal);
bool RelativeToOriginal(ColumnKind k) { return k == ColumnKind::kSuffixOfOriginal || k == ColumnKind::kSpanOfOriginal; }
// Set on the kind byte of a column written with a frame offset table (store format 3).
constexpr uint8_t kFramedFlag = 0x80;

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
  std::string key(kFilterKeyPrefix);
  PutFixed64BE(&key, block_id);
  return key;
}

std::string EncodeHeader(const BlockHeader& h) {
  std::string out;
  PutVarint(&out, kHeaderVersion);
  PutVarint(&out, h.count);
  PutVarint(&out, ZigZag(h.min_ts));
  PutVarint(&out, ZigZag(h.max_ts));
  PutVarint(&out, h.raw_bytes);
  PutVarint(&out, h.columns.size());
  for (const auto& c : h.columns) PutLengthPrefixed(&out, c);
  PutVarint(&out, h.frame_rows);
  return out;
}

Status DecodeHeader(std::string_view in, BlockHeader* h) {
  uint64_t version, count, min_ts, max_ts, raw, ncols;
  if (!GetVarint(&in, &version) || version < 1 || version > kHeaderVersion || !GetVarint(&in, &count) ||
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
  h->version = static_cast<uint32_t>(version);
  h->frame_rows = 0;
  if (version >= 2) {
    uint64_t frame_rows;
    if (!GetVarint(&in, &frame_rows) || frame_rows > count) return Status::Corruption("bad block header frames");
    h->frame_rows = static_cast<uint32_t>(frame_rows);
  }
  return Status::OK();
}

// ---- Bloom filter ---------------------------------------------------------------------------
namespace {
constexpr int kProbes = 7;
constexpr int kBitsPerKey = 10;
// Frame filters only choose frames inside a block the block filter let through, so they can be
// small: 4 bits per distinct token and 3 probes (~15% false positives) cost ~3.6 B/event.
constexpr int kFrameProbes = 3;
constexpr int kFrameBitsPerKey = 4;
}  // namespace

std::string TokenBloom::Build(std::vector<uint64_t>* hashes) { return Build(hashes, kBitsPerKey, kProbes); }

namespace {
// Replaces *hashes by its distinct values (0 read as 1, as MayContain does), in no particular
// order. The open-addressing table starts small and grows with the distinct count, not with the
// input: a block's ~100k hashes hold ~20k distinct tokens, and a table sized for the input (2 MiB,
// zeroed per filter) cost more than the filter itself.
void DedupHashes(std::vector<uint64_t>* hashes) {
  size_t cap = 1024;
  while (cap < 4 * 1024 && cap < hashes->size() * 2) cap <<= 1;
  std::vector<uint64_t> table(cap, 0);
  size_t distinct = 0;
  auto insert = [&](uint64_t key) {
    size_t i = static_cast<size_t>(key) & (cap - 1);
    while (table[i] != 0 && table[i] != key) i = (i + 1) & (cap - 1);
    if (table[i] != 0) return;
    table[i] = key;
    if (++distinct * 2 <= cap) return;
    std::vector<uint64_t> old(cap * 4, 0);  // grow at half full
    old.swap(table);
    cap *= 4;
    for (uint64_t k : old) {
      if (!k) continue;
      size_t j = static_cast<size_t>(k) & (cap - 1);
      while (table[j] != 0) j = (j + 1) & (cap - 1);
      table[j] = k;
    }
  };
  for (uint64_t h : *hashes) insert(h ? h : 1);  // 0 marks an empty slot
  hashes->clear();
  for (uint64_t k : table) {
    if (k) hashes->push_back(k);
  }
}
}  // namespace

std::string TokenBloom::Build(std::vector<uint64_t>* hashes, int bits_per_key, int probes) {
  DedupHashes(hashes);
  const size_t distinct = hashes->size();
  size_t bits = std::max<size_t>(64, distinct * static_cast<size_t>(bits_per_key));
  size_t bytes = (bits + 7) / 8;
  bits = bytes * 8;
  std::string out(bytes + 1, '\0');
  out[0] = static_cast<char>(probes);
  auto* data = reinterpret_cast<unsigned char*>(out.data() + 1);
  // Probe i sets bit (h1 + i * h2) % bits, the sum wrapping at 2^64 (the format; MayContain). It is
  // stepped here without a division per probe: adding h2 adds h2 % bits, and a wrap past 2^64
  // takes 2^64 % bits away (two divisions per token instead of one per probe).
  const uint64_t wrap = (UINT64_MAX % bits + 1) % bits;  // 2^64 mod bits
  for (uint64_t h : *hashes) {
    const uint64_t h2 = (h >> 32) | (h << 32) | 1;
    const uint64_t step = h2 % bits;
    uint64_t x = h, bit = h % bits;
    for (int i = 0; i < probes; ++i) {
      data[bit / 8] |= static_cast<unsigned char>(1u << (bit % 8));
      const uint64_t next = x + h2;
      bit += step;
      if (bit >= bits) bit -= bits;
      if (next < x) bit = bit >= wrap ? bit - wrap : bit + bits - wrap;
      x = next;
    }
  }
  return out;
}

bool TokenBloom::MayContain(std::string_view filter, uint64_t h) {
  if (filter.size() < 9) return true;
  if (h == 0) h = 1;
  const int probes = static_cast<unsigned char>(filter[0]);
  const auto* data = reinterpret_cast<const unsigned char*>(filter.data() + 1);
  const uint64_t bits = (filter.size() - 1) * 8;
  const uint64_t h1 = h, h2 = (h >> 32) | (h << 32) | 1;
  // The probes land in different cache lines of a filter that is rarely in the CPU cache:
  // computing them all and prefetching first overlaps the misses (one wait instead of ~2-7).
  constexpr int kMaxPrefetched = 16;
  uint64_t at[kMaxPrefetched];
  const int n = std::min(probes, kMaxPrefetched);
  for (int i = 0; i < n; ++i) {
    at[i] = (h1 + static_cast<uint64_t>(i) * h2) % bits;
    __builtin_prefetch(data + at[i] / 8);
  }
  for (int i = 0; i < probes; ++i) {
    const uint64_t bit = i < n ? at[i] : (h1 + static_cast<uint64_t>(i) * h2) % bits;
    if (!(data[bit / 8] & (1u << (bit % 8)))) return false;
  }
  return true;
}

void AddTokenHashes(std::string_view value, std::vector<uint64_t>* out) {
  HashTokensLower(value, out);
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

// Assembles a column: kind byte, presence, then (framed) the frame offset table, then `dict`
// (the dictionary, if any) and `values`. offsets[f] is where the values of frame f start in `values`.
std::string AssembleColumn(ColumnKind kind, const std::vector<const std::string*>& vals, uint32_t frame_rows,
                           const std::vector<size_t>& offsets, std::string_view dict, std::string_view values) {
  std::string out;
  out.reserve(16 + vals.size() / 8 + offsets.size() * 3 + dict.size() + values.size());
  const bool framed = frame_rows > 0;
  out.push_back(static_cast<char>(static_cast<uint8_t>(kind) | (framed ? kFramedFlag : 0)));
  EncodePresence(vals, &out);
  if (framed) {
    PutVarint(&out, frame_rows);
    PutVarint(&out, offsets.size());
    size_t prev = 0;
    for (size_t o : offsets) {
      PutVarint(&out, o - prev);
      prev = o;
    }
  }
  out.append(dict);
  out.append(values);
  return out;
}

// A column is dictionary-encoded when its distinct values number at most a quarter of its
// present rows (plus 4) and at most 4096. If so, *order gets them in first-seen order and *ids each
// present row's index into it; false (early) otherwise. One hash per value in a flat table, and
// none for a value equal to the previous one.
bool DictionaryIds(const std::vector<const std::string*>& vals, size_t present, std::vector<std::string_view>* order,
                   std::vector<uint32_t>* ids) {
  if (present == 0) return false;
  const size_t max_distinct = std::min<size_t>(4096, (present + 16) / 4);
  size_t cap = 16;
  while (cap < 2 * (max_distinct + 1)) cap <<= 1;
  std::vector<uint32_t> slots(cap, 0);  // index into *order + 1; 0: empty
  std::vector<size_t> hashes;
  ids->reserve(present);
  std::string_view last;
  uint32_t last_id = UINT32_MAX;
  for (const std::string* v : vals) {
    if (!v) continue;
    const std::string_view str(*v);
    if (last_id != UINT32_MAX && str == last) {
      ids->push_back(last_id);
      continue;
    }
    const size_t h = std::hash<std::string_view>{}(str);
    size_t i = h & (cap - 1);
    uint32_t id = UINT32_MAX;
    for (; slots[i] != 0; i = (i + 1) & (cap - 1)) {
      const uint32_t k = slots[i] - 1;
      if (hashes[k] == h && (*order)[k] == str) {
        id = k;
        break;
      }
    }
    if (id == UINT32_MAX) {
      id = static_cast<uint32_t>(order->size());
      if (id + 1 > max_distinct) return false;
      order->push_back(str);
      hashes.push_back(h);
      slots[i] = id + 1;
    }
    ids->push_back(id);
    last = str;
    last_id = id;
  }
  return true;
}

// A column's values as spans of their rows' original lines (kSpanOfOriginal): per present row,
// varint (length << 1 | 1) and varint offset where the value is found in the line, else varint
// (length << 1) and the bytes. Written into *values (frame starts into *offsets) when the values
// average kSpanMinMean bytes or more and the spans take at most half their bytes; false (and
// nothing written) otherwise. Reading a span column decompresses the lines too, so a short field
// (an address, a host, a user, a port) stays plain: with spans for every column, counting by
// source.ip measured 276 -> 392 ms and by host.name 40 -> 149 ms on 2M bench events.
constexpr size_t kSpanMinMean = 24;

bool SpanColumn(const std::vector<const std::string*>& vals, const std::vector<const Event*>& events,
                uint32_t frame_rows, std::vector<size_t>* offsets, std::string* values) {
  size_t plain = 0, present = 0;
  for (const std::string* v : vals) {
    if (!v) continue;
    plain += v->size() + 1;
    ++present;
  }
  if (plain < present * (kSpanMinMean + 1)) return false;  // before searching any line
  std::string out;
  std::vector<size_t> starts;
  for (size_t i = 0; i < vals.size(); ++i) {
    if (frame_rows && i % frame_rows == 0) starts.push_back(out.size());
    if (!vals[i]) continue;
    const std::string& v = *vals[i];
    const size_t at = v.empty() ? std::string::npos : events[i]->original.find(v);
    if (at != std::string::npos) {
      PutVarint(&out, (v.size() << 1) | 1);
      PutVarint(&out, at);
    } else {
      PutVarint(&out, v.size() << 1);
      out.append(v);
    }
  }
  if (out.size() * 2 > plain) return false;
  offsets->swap(starts);
  values->swap(out);
  return true;
}

std::string EncodeColumn(std::string_view name, const std::vector<const std::string*>& vals,
                         const std::vector<const Event*>& events, uint32_t frame_rows) {
  size_t present = 0;
  for (auto* v : vals) present += v != nullptr;
  std::vector<size_t> offsets;
  std::string values;
  // Records where each frame's values start, before row i is written.
  auto frame_mark = [&](size_t i) {
    if (frame_rows && i % frame_rows == 0) offsets.push_back(values.size());
  };
  // message is nearly always the tail of the original line: store only its length then.
  if (name == field::kMessage) {
    size_t suffixes = 0;
    for (size_t i = 0; i < vals.size(); ++i) {
      if (vals[i] && IsSuffix(events[i]->original, *vals[i])) ++suffixes;
    }
    if (suffixes * 2 > present) {
      for (size_t i = 0; i < vals.size(); ++i) {
        frame_mark(i);
        if (!vals[i]) continue;
        if (IsSuffix(events[i]->original, *vals[i])) {
          PutVarint(&values, (vals[i]->size() << 1) | 1);
        } else {
          PutVarint(&values, vals[i]->size() << 1);
          values.append(*vals[i]);
        }
      }
      return AssembleColumn(ColumnKind::kSuffixOfOriginal, vals, frame_rows, offsets, {}, values);
    }
  }
  // Dictionary if few distinct values.
  std::vector<std::string_view> order;
  std::vector<uint32_t> ids;
  if (DictionaryIds(vals, present, &order, &ids)) {
    std::string dict_part;
    PutVarint(&dict_part, order.size());
    for (auto str : order) PutLengthPrefixed(&dict_part, str);
    size_t k = 0;
    for (size_t i = 0; i < vals.size(); ++i) {
      frame_mark(i);
      if (vals[i]) PutVarint(&values, ids[k++]);
    }
    return AssembleColumn(ColumnKind::kDict, vals, frame_rows, offsets, dict_part, values);
  }
  if (name != field::kOriginal && SpanColumn(vals, events, frame_rows, &offsets, &values))
    return AssembleColumn(ColumnKind::kSpanOfOriginal, vals, frame_rows, offsets, {}, values);
  for (size_t i = 0; i < vals.size(); ++i) {
    frame_mark(i);
    if (vals[i]) PutLengthPrefixed(&values, *vals[i]);
  }
  return AssembleColumn(ColumnKind::kPlain, vals, frame_rows, offsets, {}, values);
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
  // Per event, the column of each of its fields. Events from one source list the same fields in
  // the same order, and a block mixes a few sources: a row whose field names are those of one of
  // the last kLayouts distinct layouts takes that row's columns (same_as), without a lookup.
  std::vector<std::vector<uint32_t>> field_cols(events.size());
  std::vector<uint32_t> same_as(events.size(), UINT32_MAX);
  constexpr size_t kLayouts = 8;
  uint32_t layouts[kLayouts];  // a row of each recent layout
  size_t nlayouts = 0;
  size_t value_bytes = 0;
  for (size_t r = 0; r < events.size(); ++r) {
    const Event* ev = events[r];
    h.min_ts = std::min(h.min_ts, ev->timestamp_ns);
    h.max_ts = std::max(h.max_ts, ev->timestamp_ns);
    h.raw_bytes += ev->original.size();
    value_bytes += ev->original.size();
    auto& fc = field_cols[r];
    for (size_t k = 0; k < nlayouts && same_as[r] == UINT32_MAX; ++k) {
      const auto& other = events[layouts[k]]->fields;
      if (other.size() != ev->fields.size()) continue;
      size_t j = 0;
      while (j < other.size() && other[j].first == ev->fields[j].first) ++j;
      if (j == other.size()) same_as[r] = layouts[k];
    }
    if (same_as[r] != UINT32_MAX) {
      fc = field_cols[same_as[r]];
    } else {
      fc.resize(ev->fields.size());
      for (size_t j = 0; j < ev->fields.size(); ++j) {
        auto [it, inserted] = col_index.emplace(ev->fields[j].first, names.size());
        if (inserted) names.push_back(ev->fields[j].first);
        fc[j] = static_cast<uint32_t>(it->second);
      }
      std::move_backward(layouts, layouts + std::min(nlayouts, kLayouts - 1), layouts + std::min(nlayouts + 1, kLayouts));
      layouts[0] = static_cast<uint32_t>(r);
      nlayouts = std::min(nlayouts + 1, kLayouts);
    }
    for (const auto& f : ev->fields) value_bytes += f.second.size();
  }
  if (events.empty()) h.min_ts = h.max_ts = 0;
  // Frames: a block larger than one frame gets per-frame token filters and column offsets.
  const uint32_t frame_rows = events.size() > kFrameRows ? static_cast<uint32_t>(kFrameRows) : 0;
  h.frame_rows = frame_rows;
  h.version = kHeaderVersion;
  // Times.
  out->times.clear();
  int64_t prev = h.min_ts;
  for (const Event* ev : events) {
    PutVarint(&out->times, ZigZag(ev->timestamp_ns - prev));
    prev = ev->timestamp_ns;
  }
  prev = h.min_ts;
  for (const Event* ev : events) {
    PutVarint(&out->times, ZigZag(ev->ingested_ns - prev));
    prev = ev->ingested_ns;
  }
  // Columns and tokens.
  std::vector<uint64_t> hashes;
  hashes.reserve(value_bytes / 3);
  out->tokens.clear();  // ~one token per 4-5 bytes: no regrowth
  std::vector<std::vector<const std::string*>> cols(names.size(), std::vector<const std::string*>(events.size()));
  std::vector<size_t> frame_starts;  // index in `hashes` of each frame's first hash
  for (size_t r = 0; r < events.size(); ++r) {
    const Event* ev = events[r];
    if (frame_rows && r % frame_rows == 0) frame_starts.push_back(hashes.size());
    cols[0][r] = &ev->original;
    HashTokensLower(ev->original, &hashes, kIndexedTokenMin, &out->tokens);
    for (size_t j = 0; j < ev->fields.size(); ++j) {
      const auto& f = ev->fields[j];
      cols[field_cols[r][j]][r] = &f.second;
      // A message that ends the original line at a token boundary has its tokens in already.
      if (f.first == field::kMessage && IsSuffix(ev->original, f.second) &&
          (f.second.size() == ev->original.size() ||
           !IsTokenByte(ev->original[ev->original.size() - f.second.size() - 1])))
        continue;
      HashTokensLower(f.second, &hashes, kIndexedTokenMin, &out->tokens);
    }
  }
  // Row columns: the distinct column sets (a source's events share one), then each row's set.
  out->row_columns.clear();
  {
    std::map<std::vector<uint32_t>, uint32_t> set_ids;
    std::vector<const std::vector<uint32_t>*> sets;
    std::vector<uint32_t> row_set(events.size());
    std::vector<uint32_t> cols_of_row;
    std::map<std::vector<uint32_t>, uint32_t> by_fields;  // a row's columns as listed -> set id
    for (size_t r = 0; r < events.size(); ++r) {
      if (same_as[r] != UINT32_MAX) {
        row_set[r] = row_set[same_as[r]];
        continue;
      }
      if (auto known = by_fields.find(field_cols[r]); known != by_fields.end()) {
        row_set[r] = known->second;
        continue;
      }
      cols_of_row.assign(field_cols[r].begin(), field_cols[r].end());
      cols_of_row.push_back(0);  // event.original
      std::sort(cols_of_row.begin(), cols_of_row.end());
      cols_of_row.erase(std::unique(cols_of_row.begin(), cols_of_row.end()), cols_of_row.end());
      auto [it, inserted] = set_ids.emplace(cols_of_row, static_cast<uint32_t>(sets.size()));
      if (inserted) sets.push_back(&it->first);
      row_set[r] = it->second;
      by_fields.emplace(field_cols[r], it->second);
    }
    PutVarint(&out->row_columns, sets.size());
    for (const auto* set : sets) {
      PutVarint(&out->row_columns, set->size());
      for (uint32_t c : *set) PutVarint(&out->row_columns, c);
    }
    for (uint32_t id : row_set) PutVarint(&out->row_columns, id);
  }
  out->frame_filters.clear();
  if (frame_rows) {
    PutVarint(&out->frame_filters, frame_starts.size());
    // Build leaves each frame's distinct hashes in frame_hashes: the block filter is built from
    // those (a token repeated across frames is deduplicated once per frame, not once per row).
    std::vector<uint64_t> frame_hashes, frames_distinct;
    for (size_t f = 0; f < frame_starts.size(); ++f) {
      const size_t end = f + 1 < frame_starts.size() ? frame_starts[f + 1] : hashes.size();
      frame_hashes.assign(hashes.begin() + static_cast<std::ptrdiff_t>(frame_starts[f]),
                          hashes.begin() + static_cast<std::ptrdiff_t>(end));
      PutLengthPrefixed(&out->frame_filters, TokenBloom::Build(&frame_hashes, kFrameBitsPerKey, kFrameProbes));
      frames_distinct.insert(frames_distinct.end(), frame_hashes.begin(), frame_hashes.end());
    }
    hashes.swap(frames_distinct);
  }
  out->filter = TokenBloom::Build(&hashes);
  // The indexed tokens (store/token_index.h), distinct, for the day's token index.
  std::sort(out->tokens.begin(), out->tokens.end());
  out->tokens.erase(std::unique(out->tokens.begin(), out->tokens.end()), out->tokens.end());
  out->columns.clear();
  for (size_t c = 0; c < names.size(); ++c) {
    h.columns.emplace_back(names[c]);
    out->columns.emplace_back(std::string(names[c]), EncodeColumn(names[c], cols[c], events, frame_rows));
  }
  out->header_value = EncodeHeader(h);
}

// ---- Decoding -------------------------------------------------------------------------------
namespace {
//! Skips `n` varints at the front of *in by counting their last bytes (high bit clear), eight
//! bytes at a time: several times faster than reading them when only their end matters.
bool SkipVarints(std::string_view* in, uint64_t n) {
  const char* p = in->data();
  const char* const e = p + in->size();
  while (n > 8 && e - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    const auto ends = static_cast<uint64_t>(__builtin_popcountll(~w & 0x8080808080808080ULL));
    if (ends >= n) break;  // the n-th end is in this word: finish byte by byte
    n -= ends;
    p += 8;
  }
  for (; n && p < e; ++p) n -= !(static_cast<unsigned char>(*p) & 0x80);
  if (n) return false;
  in->remove_prefix(static_cast<size_t>(p - in->data()));
  return true;
}
}  // namespace

Status DecodeTimes(std::string_view in, const BlockHeader& h, std::vector<int64_t>* ts, std::vector<int64_t>* ingested,
                   uint32_t rows) {
  const uint32_t count = h.count;
  const uint32_t n = std::min(rows, count);
  ts->resize(count);
  int64_t prev = h.min_ts;
  uint32_t i = 0;
  for (; i < n; ++i) {
    uint64_t v;
    if (!GetVarint(&in, &v)) return Status::Corruption("bad times column");
    prev += UnZigZag(v);
    (*ts)[i] = prev;
  }
  if (!ingested) return Status::OK();
  if (!SkipVarints(&in, count - i)) return Status::Corruption("bad times column");  // the other @timestamps
  ingested->resize(count);
  prev = h.min_ts;
  for (i = 0; i < n; ++i) {
    uint64_t v;
    if (!GetVarint(&in, &v)) return Status::Corruption("bad times column");
    if (h.version < 2) {
      (*ingested)[i] = (*ts)[i] + UnZigZag(v);
    } else {
      prev += UnZigZag(v);
      (*ingested)[i] = prev;
    }
  }
  return Status::OK();
}

namespace {
//! A column's parts, parsed once: presence, frame offsets (format 3), dictionary, values.
struct ColumnLayout {
  ColumnKind kind = ColumnKind::kPlain;
  bool has_bitmap = false;
  std::string_view bitmap;
  uint32_t frame_rows = 0;        //!< 0: no frame offsets (the whole column is one run)
  std::vector<uint32_t> offsets;  //!< per frame: where its values start in `values`
  std::vector<std::string_view> dict;
  std::string_view values;

  bool Present(uint32_t i) const {
    return !has_bitmap || ((static_cast<unsigned char>(bitmap[i / 8]) >> (i % 8)) & 1);
  }
  //! How many of the rows [a, b) are present.
  uint32_t PresentBetween(uint32_t a, uint32_t b) const {
    if (!has_bitmap) return b - a;
    uint32_t n = 0, i = a;
    for (; i < b && (i & 7); ++i) n += Present(i);
    for (; i + 8 <= b; i += 8) n += static_cast<uint32_t>(__builtin_popcount(static_cast<unsigned char>(bitmap[i / 8])));
    for (; i < b; ++i) n += Present(i);
    return n;
  }
  //! The rows [begin, end) of the run holding row `row`, and its values.
  void RunOf(uint32_t row, uint32_t count, uint32_t* begin, uint32_t* end, std::string_view* in) const {
    if (!frame_rows) {
      *begin = 0;
      *end = count;
      *in = values;
      return;
    }
    const uint32_t f = row / frame_rows;
    *begin = f * frame_rows;
    *end = std::min(count, *begin + frame_rows);
    // Cut at the next frame's values (a search through the run must not run on into them);
    // offsets out of order give an empty run, which reads as damage.
    const size_t stop = f + 1 < offsets.size() ? offsets[f + 1] : values.size();
    *in = values.substr(offsets[f], stop >= offsets[f] ? stop - offsets[f] : 0);
  }
  //! Reads the value of a present row at the front of *in. `orig` is the row's original line
  //! (suffix columns only; nullptr: the value is skipped, *v left empty).
  bool Next(std::string_view* in, const std::string_view* orig, std::string_view* v) const {
    switch (kind) {
      case ColumnKind::kPlain:
        return GetLengthPrefixed(in, v);
      case ColumnKind::kDict: {
        uint64_t idx;
        if (!GetVarint(in, &idx) || idx >= dict.size()) return false;
        *v = dict[idx];
        return true;
      }
      case ColumnKind::kSuffixOfOriginal: {
        uint64_t x;
        if (!GetVarint(in, &x)) return false;
        const uint64_t len = x >> 1;
        if (x & 1) {
          if (!orig) return true;
          if (len > orig->size()) return false;
          *v = orig->substr(orig->size() - len);
        } else {
          if (len > in->size()) return false;
          *v = in->substr(0, len);
          in->remove_prefix(len);
        }
        return true;
      }
      case ColumnKind::kSpanOfOriginal: {
        uint64_t x, at;
        if (!GetVarint(in, &x)) return false;
        const uint64_t len = x >> 1;
        if (x & 1) {
          if (!GetVarint(in, &at)) return false;
          if (!orig) return true;
          if (at > orig->size() || len > orig->size() - at) return false;
          *v = orig->substr(at, len);
        } else {
          if (len > in->size()) return false;
          *v = in->substr(0, len);
          in->remove_prefix(len);
        }
        return true;
      }
    }
    return false;
  }
};

//! Parses the kind and presence of a column (cheap); *rest is what follows (see ParseColumnRest).
Status ParsePresence(std::string_view in, uint32_t count, ColumnLayout* l, std::string_view* rest, bool* framed) {
  if (in.size() < 2) return Status::Corruption("short column");
  const auto kind_byte = static_cast<uint8_t>(in[0]);
  *framed = kind_byte & kFramedFlag;
  const uint8_t kind = kind_byte & static_cast<uint8_t>(~kFramedFlag);
  if (kind > kLastKind) return Status::Corruption("unknown column kind");
  l->kind = static_cast<ColumnKind>(kind);
  l->has_bitmap = in[1] == 1;
  in.remove_prefix(2);
  if (l->has_bitmap) {
    const size_t bytes = (count + 7) / 8;
    if (in.size() < bytes) return Status::Corruption("short column bitmap");
    l->bitmap = in.substr(0, bytes);
    in.remove_prefix(bytes);
  }
  *rest = in;
  return Status::OK();
}

//! Parses the frame offsets and dictionary that follow the presence.
Status ParseColumnRest(std::string_view in, uint32_t count, bool framed, ColumnLayout* l) {
  l->frame_rows = 0;
  l->offsets.clear();
  if (framed) {
    uint64_t frame_rows, n;
    if (!GetVarint(&in, &frame_rows) || frame_rows == 0 || frame_rows > count || !GetVarint(&in, &n) ||
        n != (count + frame_rows - 1) / frame_rows)
      return Status::Corruption("bad column frames");
    l->frame_rows = static_cast<uint32_t>(frame_rows);
    uint64_t at = 0;
    for (uint64_t f = 0; f < n; ++f) {
      uint64_t delta;
      if (!GetVarint(&in, &delta)) return Status::Corruption("bad column frame offset");
      at += delta;
      l->offsets.push_back(static_cast<uint32_t>(at));
    }
  }
  l->dict.clear();
  if (l->kind == ColumnKind::kDict) {
    uint64_t n;
    if (!GetVarint(&in, &n) || n > in.size()) return Status::Corruption("bad dict column");
    l->dict.resize(n);
    for (auto& d : l->dict) {
      if (!GetLengthPrefixed(&in, &d)) return Status::Corruption("bad dict entry");
    }
  }
  for (uint32_t o : l->offsets) {
    if (o > in.size()) return Status::Corruption("column frame offset out of range");
  }
  l->values = in;
  return Status::OK();
}

Status ParseColumn(std::string_view in, uint32_t count, ColumnLayout* l) {
  std::string_view rest;
  bool framed = false;
  KMT_RETURN_IF_ERROR(ParsePresence(in, count, l, &rest, &framed));
  return ParseColumnRest(rest, count, framed, l);
}
}  // namespace

Status ColumnsOfRows(std::string_view in, uint32_t count, size_t columns, const std::vector<uint32_t>& rows,
                     std::vector<uint8_t>* wanted) {
  wanted->assign(columns, 0);
  uint64_t nsets;
  if (!GetVarint(&in, &nsets) || nsets > count) return Status::Corruption("bad row columns");
  std::vector<std::string_view> sets(nsets);  // each set's encoded column list
  for (auto& set : sets) {
    uint64_t n;
    if (!GetVarint(&in, &n) || n > columns) return Status::Corruption("bad row column set");
    const char* start = in.data();
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t c;
      if (!GetVarint(&in, &c) || c >= columns) return Status::Corruption("bad row column");
    }
    set = std::string_view(start, static_cast<size_t>(in.data() - start));
  }
  std::vector<uint8_t> used(nsets, 0);
  size_t k = 0;
  for (uint32_t r = 0; r < count && k < rows.size(); ++r) {
    uint64_t id;
    if (!GetVarint(&in, &id) || id >= nsets) return Status::Corruption("bad row column set id");
    if (rows[k] != r) continue;
    used[id] = 1;
    while (k < rows.size() && rows[k] == r) ++k;
  }
  if (k < rows.size()) return Status::Corruption("row out of range");
  for (size_t i = 0; i < nsets; ++i) {
    if (!used[i]) continue;
    std::string_view set = sets[i];
    uint64_t c;
    while (GetVarint(&set, &c)) (*wanted)[c] = 1;
  }
  return Status::OK();
}

bool ColumnNeedsOriginal(std::string_view in) {
  if (in.empty()) return false;
  const auto kind = static_cast<uint8_t>(static_cast<uint8_t>(in[0]) & ~kFramedFlag);
  return kind <= kLastKind && RelativeToOriginal(static_cast<ColumnKind>(kind));
}

bool RowsContaining(std::string_view in, uint32_t count, std::string_view needle, const std::vector<uint8_t>* frames,
                    std::vector<uint32_t>* rows) {
  ColumnLayout l;
  if (needle.empty() || !ParseColumn(in, count, &l).ok() || l.kind != ColumnKind::kPlain) return false;
  constexpr size_t npos = std::string_view::npos;
  const size_t runs = l.frame_rows ? l.offsets.size() : 1;
  for (size_t f = 0; f < runs; ++f) {
    if (l.frame_rows && frames && f < frames->size() && !(*frames)[f]) continue;
    if (f + 1 < l.offsets.size() && l.offsets[f + 1] < l.offsets[f]) return false;
    uint32_t begin, end;
    std::string_view run;
    l.RunOf(static_cast<uint32_t>(f) * l.frame_rows, count, &begin, &end, &run);
    // `pos`: the next occurrence in the run (length prefixes included); rows are walked until
    // the one whose value holds it. An occurrence running over a value's end (across a length
    // prefix into the next value) belongs to no row: the search resumes inside the next value.
    size_t pos = FindIgnoreCase(run, needle);
    std::string_view rest = run;
    for (uint32_t i = begin; i < end && pos != npos; ++i) {
      if (!l.Present(i)) continue;
      std::string_view v;
      if (!GetLengthPrefixed(&rest, &v)) return false;
      const size_t vstart = static_cast<size_t>(v.data() - run.data()), vend = vstart + v.size();
      if (pos + needle.size() > vend) continue;  // ends in a later value
      if (pos < vstart) {
        pos = FindIgnoreCase(run, needle, vstart);
        if (pos == npos || pos + needle.size() > vend) continue;
      }
      rows->push_back(i);
      pos = FindIgnoreCase(run, needle, vend);
    }
  }
  return true;
}

Status DecodeFrameFilters(std::string_view in, uint32_t frames, std::vector<std::string_view>* filters) {
  filters->clear();
  uint64_t n;
  if (!GetVarint(&in, &n) || n != frames) return Status::Corruption("bad frame filters");
  for (uint64_t f = 0; f < n; ++f) {
    std::string_view bloom;
    if (!GetLengthPrefixed(&in, &bloom)) return Status::Corruption("bad frame filter");
    filters->push_back(bloom);
  }
  return Status::OK();
}

Status DecodeColumn(std::string_view in, uint32_t count, const DecodedColumn* original, DecodedColumn* out,
                    const std::vector<uint8_t>* frames) {
  out->values.resize(count);  // rows not decoded keep whatever was there: present says 0
  out->present.assign(count, 0);
  // One layout per thread, reused: its frame offsets and dictionary keep their capacity (a
  // search reading a hit's 20-odd columns in each of ~80 blocks spent ~5% of its CPU allocating).
  thread_local ColumnLayout layout;
  ColumnLayout& l = layout;
  KMT_RETURN_IF_ERROR(ParseColumn(in, count, &l));
  if (RelativeToOriginal(l.kind) && !original) return Status::Corruption("span column without original");
  const bool dict = l.kind == ColumnKind::kDict;
  out->dict.assign(l.dict.begin(), l.dict.end());
  if (dict) out->ids.resize(count);
  auto decode_run = [&](uint32_t begin, uint32_t end, std::string_view run) -> Status {
    if (dict) {  // the index kept beside the value (aggregations count by it)
      for (uint32_t i = begin; i < end; ++i) {
        if (!l.Present(i)) continue;
        uint64_t idx;
        if (!GetVarint(&run, &idx) || idx >= l.dict.size()) return Status::Corruption("bad column value");
        out->ids[i] = static_cast<uint32_t>(idx);
        out->values[i] = l.dict[idx];
        out->present[i] = 1;
      }
      return Status::OK();
    }
    for (uint32_t i = begin; i < end; ++i) {
      if (!l.Present(i)) {
        out->values[i] = {};
        continue;
      }
      const std::string_view* orig = original ? &original->values[i] : nullptr;
      if (!l.Next(&run, orig, &out->values[i])) return Status::Corruption("bad column value");
      out->present[i] = 1;
    }
    return Status::OK();
  };
  if (!l.frame_rows || !frames) return decode_run(0, count, l.values);
  for (uint32_t f = 0; f < l.offsets.size(); ++f) {
    if (f < frames->size() && !(*frames)[f]) continue;
    uint32_t begin, end;
    std::string_view run;
    l.RunOf(f * l.frame_rows, count, &begin, &end, &run);
    KMT_RETURN_IF_ERROR(decode_run(begin, end, run));
  }
  return Status::OK();
}

Status ExtractRows(std::string_view in, uint32_t count, const std::vector<uint32_t>& rows,
                   const std::vector<std::string_view>* original_rows, std::vector<std::string_view>* values,
                   std::vector<uint8_t>* present) {
  values->assign(rows.size(), {});
  present->assign(rows.size(), 0);
  if (rows.empty()) return Status::OK();
  if (rows.back() >= count) return Status::Corruption("row out of range");
  thread_local ColumnLayout layout;  // reused, as in DecodeColumn
  ColumnLayout& l = layout;
  std::string_view rest;
  bool framed = false;
  KMT_RETURN_IF_ERROR(ParsePresence(in, count, &l, &rest, &framed));
  // A sparse column absent from every wanted row (common in blocks mixing sources) stops here,
  // before its frame offsets and dictionary are parsed.
  if (std::none_of(rows.begin(), rows.end(), [&](uint32_t r) { return l.Present(r); })) return Status::OK();
  KMT_RETURN_IF_ERROR(ParseColumnRest(rest, count, framed, &l));
  if (RelativeToOriginal(l.kind) && !original_rows) return Status::Corruption("span column without original");
  // Run by run (a frame, or the whole column without frame offsets): walk the present rows from
  // the run's start up to its last wanted row that is present; a run without any is not walked.
  for (size_t k = 0; k < rows.size();) {
    uint32_t begin, end;
    std::string_view run;
    l.RunOf(rows[k], count, &begin, &end, &run);
    if (l.kind == ColumnKind::kDict) {
      // Dictionary indexes are varints: the values before a wanted row are skipped by counting
      // their last bytes (SkipVarints) instead of being read one by one.
      uint32_t at = begin;
      for (; k < rows.size() && rows[k] < end; ++k) {
        const uint32_t r = rows[k];
        if (!l.Present(r)) continue;
        std::string_view v;
        if (!SkipVarints(&run, l.PresentBetween(at, r)) || !l.Next(&run, nullptr, &v))
          return Status::Corruption("bad column value");
        (*values)[k] = v;
        (*present)[k] = 1;
        at = r + 1;
      }
      continue;
    }
    size_t kend = k;
    uint32_t last = 0;
    bool any = false;
    for (; kend < rows.size() && rows[kend] < end; ++kend) {
      if (l.Present(rows[kend])) {
        last = rows[kend];
        any = true;
      }
    }
    for (uint32_t i = begin; any && i <= last; ++i) {
      if (!l.Present(i)) continue;
      while (k < kend && rows[k] < i) ++k;
      const bool want = k < kend && rows[k] == i;
      std::string_view v;
      if (!l.Next(&run, want && original_rows ? &(*original_rows)[k] : nullptr, &v))
        return Status::Corruption("bad column value");
      if (want) {
        (*values)[k] = v;
        (*present)[k] = 1;
      }
    }
    k = kend;
  }
  return Status::OK();
}

Status DecodeRows(std::string_view in, uint32_t count, const DecodedColumn* original, const std::vector<uint32_t>& rows,
                  DecodedColumn* out) {
  out->values.resize(count);
  out->present.assign(count, 0);
  out->dict.clear();  // no indexes from this path
  thread_local std::vector<std::string_view> orig_rows, vals;
  thread_local std::vector<uint8_t> pres;
  if (original) {
    orig_rows.resize(rows.size());
    for (size_t k = 0; k < rows.size(); ++k) {
      if (rows[k] >= count || rows[k] >= original->values.size()) return Status::Corruption("row out of range");
      orig_rows[k] = original->present[rows[k]] ? original->values[rows[k]] : std::string_view();
    }
  }
  KMT_RETURN_IF_ERROR(ExtractRows(in, count, rows, original ? &orig_rows : nullptr, &vals, &pres));
  for (size_t k = 0; k < rows.size(); ++k) {
    if (!pres[k]) continue;
    out->values[rows[k]] = vals[k];
    out->present[rows[k]] = 1;
  }
  return Status::OK();
}

}  // namespace kamatama::store
