// detect/hunt.cc
#include "detect/hunt.h"

#include <algorithm>

namespace kamatama::detect {

namespace {

//! Appends `name` to `refs` unless it is there.
void AddField(std::vector<std::string>* refs, std::string_view name) {
  if (std::find(refs->begin(), refs->end(), name) == refs->end()) refs->emplace_back(name);
}

bool RowIsOwn(const FieldAccessor& row) {
  std::string_view ds;
  return row.Get(field::kDataset, &ds) && IsOwnDataset(ds);
}

}  // namespace

bool IsOwnDataset(std::string_view dataset) { return dataset.starts_with("kamatama."); }

RuleFilter::RuleFilter(const Rule& rule) : rule_(rule), refs_(rule.query.ReferencedFields()) {
  AddField(&refs_, field::kDataset);
}

BlockAnswer RuleFilter::Answer(const TokenFilter& has) const {
  const BlockAnswer a = rule_.query.Answer(has);
  return a == BlockAnswer::kAll ? BlockAnswer::kSome : a;
}

bool RuleFilter::Matches(const FieldAccessor& row) const { return !RowIsOwn(row) && rule_.query.Matches(row); }

RuleSetFilter::RuleSetFilter(const RuleSet& set)
    : set_(set), counts_(std::make_unique<std::atomic<uint64_t>[]>(set.rules().size())) {
  for (uint32_t i = 0; i < set.rules().size(); ++i) {
    const Rule& r = *set.rules()[i];
    index_.emplace(&r, i);
    for (const std::string& f : r.query.ReferencedFields()) AddField(&refs_, f);
  }
  AddField(&refs_, field::kDataset);
  ResetCounts();
}

bool RuleSetFilter::MayMatch(const TokenFilter& has) const {
  for (const auto& r : set_.rules()) {
    if (r->query.MayMatch(has)) return true;
  }
  return false;
}

void RuleSetFilter::ResetCounts() {
  for (size_t i = 0; i < set_.rules().size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

bool RuleSetFilter::Matches(const FieldAccessor& row) const {
  thread_local Event ev;
  thread_local std::vector<const Rule*> fired;
  ev.fields.clear();
  ev.original.clear();
  bool own = false;
  const bool listed = row.ForEachField([&](std::string_view name, std::string_view value) {
    if (name == field::kOriginal) {
      ev.original.assign(value);
      return;
    }
    if (name == field::kDataset && IsOwnDataset(value)) own = true;
    ev.Add(name, value);
  });
  if (!listed) {  // an accessor that cannot list its fields: ask for each one
    for (const std::string& f : refs_) {
      std::string_view v;
      if (!row.Get(f, &v)) continue;
      if (f == field::kOriginal) ev.original.assign(v);
      else ev.Add(f, v);
    }
    own = RowIsOwn(row);
  }
  if (own) return false;
  fired.clear();
  set_.Match(ev, &fired, RuleSet::Keywords::kOriginalLine);
  for (const Rule* r : fired) counts_[index_.at(r)].fetch_add(1, std::memory_order_relaxed);
  return !fired.empty();
}

void RuleSetFilter::Fire(const Event& ev, std::vector<uint32_t>* out) const {
  out->clear();
  const std::string* ds = ev.Get(field::kDataset);
  if (ds && IsOwnDataset(*ds)) return;
  std::vector<const Rule*> fired;
  set_.Match(ev, &fired, RuleSet::Keywords::kOriginalLine);
  for (const Rule* r : fired) out->push_back(index_.at(r));
}

CorrelationHunt::CorrelationHunt(std::shared_ptr<const CorrelationSet> set, const RuleSet& hunted) : state_(set) {
  for (const auto& r : hunted.rules()) {
    if (set->Consumers(r->id)) feeders_.Add(r);
  }
  feeders_.CompilePrefilter();
  for (const auto& r : feeders_.rules()) {
    for (const std::string& f : r->query.ReferencedFields()) AddField(&fields_, f);
  }
  for (const Correlation& c : set->correlations()) {
    for (const std::string& f : c.group_by) AddField(&fields_, f);
    if (!c.value_field.empty()) AddField(&fields_, c.value_field);
  }
  AddField(&fields_, field::kDataset);
}

void CorrelationHunt::Collect(const FieldAccessor& row, int64_t ts_ns) {
  if (rows_.size() >= kMaxCorrelationSliceRows) {
    truncated_ = true;
    return;
  }
  Row r;
  for (const std::string& f : fields_) {
    std::string_view v;
    if (!row.Get(f, &v)) continue;
    if (f == field::kOriginal) r.ev.original.assign(v);
    else r.ev.Add(f, v);
  }
  if (const std::string* ds = r.ev.Get(field::kDataset); ds && IsOwnDataset(*ds)) return;
  r.ev.timestamp_ns = ts_ns;
  feeders_.Match(r.ev, &r.rules, RuleSet::Keywords::kOriginalLine);
  if (!r.rules.empty()) rows_.push_back(std::move(r));
}

void CorrelationHunt::Flush(const std::function<void(const Correlation&, const Event&)>& fired) {
  std::stable_sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) { return a.ev.timestamp_ns < b.ev.timestamp_ns; });
  std::vector<const Correlation*> out;
  for (const Row& r : rows_) {
    out.clear();
    state_.FeedAll(r.rules, r.ev, &out);
    for (const Correlation* c : out) {
      if (state_.set().Generates(c->rule->id)) fired(*c, r.ev);
    }
  }
  rows_.clear();
}

}  // namespace kamatama::detect
