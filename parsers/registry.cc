// parsers/registry.cc
#include "parsers/registry.h"

#include <algorithm>

#include "core/tokenize.h"

namespace kamatama {

ParserRegistry& ParserRegistry::Global() {
  static ParserRegistry* registry = [] {
    auto* r = new ParserRegistry;  // never destroyed: usable from other statics' destructors
    RegisterBuiltinParsers(r);
    return r;
  }();
  return *registry;
}

void ParserRegistry::Register(SourceParser p) {
  size_t index = parsers_.size();
  for (size_t i = 0; i < parsers_.size(); ++i) {
    if (parsers_[i].dataset == p.dataset) index = i;
  }
  for (auto& prog : p.programs) {
    std::transform(prog.begin(), prog.end(), prog.begin(), AsciiLower);
  }
  if (index == parsers_.size()) {
    parsers_.push_back(std::move(p));
  } else {
    parsers_[index] = std::move(p);
    std::erase_if(programs_, [&](const auto& e) { return e.second == index; });
  }
  for (const auto& prog : parsers_[index].programs) programs_.emplace_back(prog, index);
  // Stable: on a program claimed twice, the earlier registration wins.
  std::stable_sort(programs_.begin(), programs_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

const SourceParser* ParserRegistry::ByDataset(std::string_view dataset) const {
  for (const auto& p : parsers_) {
    if (p.dataset == dataset) return &p;
  }
  return nullptr;
}

const SourceParser* ParserRegistry::ByProgram(std::string_view program) const {
  auto it = std::lower_bound(programs_.begin(), programs_.end(), program,
                             [](const auto& e, std::string_view v) { return e.first < v; });
  if (it != programs_.end() && it->first == program) return &parsers_[it->second];
  return nullptr;
}

const SourceParser* ParserRegistry::Choose(const Event& ev) const {
  if (parsers_.empty()) return nullptr;
  if (!programs_.empty()) {
    if (const std::string* name = ev.Get("process.name"); name && name->size() <= 64) {
      char buf[64];
      for (size_t i = 0; i < name->size(); ++i) buf[i] = AsciiLower((*name)[i]);
      std::string_view lower(buf, name->size());
      if (const SourceParser* p = ByProgram(lower)) return p;
      if (size_t slash = lower.find('/'); slash != std::string_view::npos) {
        if (const SourceParser* p = ByProgram(lower.substr(0, slash))) return p;
      }
    }
  }
  const std::string* message = ev.Get(field::kMessage);
  std::string_view text = message ? std::string_view(*message) : std::string_view();
  for (const auto& p : parsers_) {
    if (p.looks_like && p.looks_like(text)) return &p;
  }
  return nullptr;
}

const SourceParser* ParserRegistry::Parse(Event* ev, bool json) const {
  auto run = [ev](const SourceParser* p) {
    if (!p || !p->parse || !p->parse(ev)) return false;
    if (!ev->Get(field::kDataset)) ev->Set(field::kDataset, p->dataset);
    return true;
  };
  if (json) {
    for (const auto& p : parsers_) {
      if (p.claims_json && p.claims_json(*ev) && run(&p)) return &p;
    }
    return nullptr;
  }
  const SourceParser* by_program = Choose(*ev);
  if (by_program && run(by_program)) return by_program;
  const std::string* message = ev->Get(field::kMessage);
  std::string_view text = message ? std::string_view(*message) : std::string_view();
  for (const auto& p : parsers_) {
    if (&p != by_program && p.looks_like && p.looks_like(text) && run(&p)) return &p;
  }
  return nullptr;
}

std::vector<std::string> ParserRegistry::Datasets() const {
  std::vector<std::string> out;
  out.reserve(parsers_.size());
  for (const auto& p : parsers_) out.push_back(p.dataset);
  return out;
}

}  // namespace kamatama
