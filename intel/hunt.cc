// intel/hunt.cc
#include "intel/hunt.h"

#include <algorithm>

namespace kamatama::intel {

HuntFilter::HuntFilter(std::shared_ptr<const IntelList> list, int64_t now_ns, unsigned workers)
    : list_(std::move(list)), now_ns_(now_ns), tallies_(workers) {}

namespace {
bool IsOwnEvent(const FieldAccessor& row) {
  std::string_view ds;
  return row.Get("event.dataset", &ds) && ds.starts_with("kamatama.");
}
}  // namespace

const std::vector<std::string>& HuntFilter::ReferencedFields() const {
  static const std::vector<std::string> fields = [] {
    std::vector<std::string> f = MatchedFields();
    f.push_back("event.dataset");
    return f;
  }();
  return fields;
}

bool HuntFilter::Matches(const FieldAccessor& row) const {
  if (IsOwnEvent(row)) return false;
  std::string_view value;
  for (const std::string& name : MatchedFields()) {
    if (row.Get(name, &value) && list_->matcher.Find(ClassifyField(name), value, now_ns_) >= 0) return true;
  }
  return false;
}

void HuntFilter::Visit(unsigned worker, const FieldAccessor& row, int64_t ts_ns) {
  thread_local std::vector<Hit> hits;
  hits.clear();
  list_->matcher.MatchRow(row, now_ns_, &hits);
  auto& tally = tallies_[worker];
  for (size_t h = 0; h < hits.size(); ++h) {
    // An indicator in two fields of one event (source and destination) is one sighting.
    bool seen = false;
    for (size_t e = 0; e < h && !seen; ++e) seen = hits[e].indicator == hits[h].indicator;
    if (seen) continue;
    Sighting& s = tally[hits[h].indicator];
    s.indicator = hits[h].indicator;
    ++s.count;
    s.first_ns = std::min(s.first_ns, ts_ns);
    if (ts_ns >= s.last_ns) s.field = hits[h].field;
    s.last_ns = std::max(s.last_ns, ts_ns);
  }
}

std::vector<Sighting> HuntFilter::Result() const {
  std::unordered_map<uint32_t, Sighting> all;
  for (const auto& tally : tallies_) {
    for (const auto& [i, s] : tally) {
      Sighting& a = all[i];
      a.indicator = i;
      a.count += s.count;
      a.first_ns = std::min(a.first_ns, s.first_ns);
      if (s.last_ns >= a.last_ns) a.field = s.field;
      a.last_ns = std::max(a.last_ns, s.last_ns);
    }
  }
  std::vector<Sighting> out;
  out.reserve(all.size());
  for (auto& [i, s] : all) out.push_back(std::move(s));
  std::sort(out.begin(), out.end(), [](const Sighting& a, const Sighting& b) {
    return a.count != b.count ? a.count > b.count : a.indicator < b.indicator;
  });
  return out;
}

}  // namespace kamatama::intel
