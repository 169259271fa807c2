// intel/list_store.cc
#include "intel/list_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "core/json.h"

namespace kamatama::intel {

namespace {

constexpr std::string_view kMagic = "kamatama-intel-list 1";
constexpr std::string_view kSuffix = ".list";

void AppendEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '\\': out->append("\\\\"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      default: out->push_back(c);
    }
  }
}

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char e = s[++i];
    out.push_back(e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e);
  }
  return out;
}

std::string HeaderJson(const ListInfo& info) {
  std::string j = "{";
  AppendJsonMember(&j, "name", info.name);
  AppendJsonMember(&j, "version", static_cast<int64_t>(info.version));
  AppendJsonMember(&j, "created_ns", info.created_ns);
  AppendJsonMember(&j, "updated_ns", info.updated_ns);
  AppendJsonMember(&j, "format", info.format);
  AppendJsonMember(&j, "origin", info.origin);
  j += ",\"history\":[";
  for (size_t i = 0; i < info.history.size(); ++i) {
    const VersionNote& v = info.history[i];
    if (i) j.push_back(',');
    std::string o = "{";
    AppendJsonMember(&o, "version", static_cast<int64_t>(v.version));
    AppendJsonMember(&o, "updated_ns", v.updated_ns);
    AppendJsonMember(&o, "size", static_cast<int64_t>(v.size));
    AppendJsonMember(&o, "origin", v.origin);
    j += o + "}";
  }
  return j + "]}";
}

template <class T>
T Num(simdjson::dom::element e, const char* key) {
  int64_t v = 0;
  if (e[key].get(v)) return T{};
  return static_cast<T>(v);
}

std::string Text(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v)) return {};
  return std::string(v);
}

}  // namespace

std::string SerializeList(const ListInfo& info, const std::vector<Indicator>& indicators) {
  std::string out;
  out.reserve(256 + indicators.size() * 64);
  out.append(kMagic);
  out.push_back('\n');
  out += HeaderJson(info);
  out.push_back('\n');
  for (const Indicator& ind : indicators) {
    out.append(IndicatorTypeName(ind.type));
    out.push_back('\t');
    AppendEscaped(&out, ind.value);
    out += fmt::format("\t{}\t", ind.expires_ns);
    AppendEscaped(&out, ind.source);
    out.push_back('\t');
    AppendEscaped(&out, ind.description);
    out.push_back('\n');
  }
  return out;
}

Status ParseListFile(std::string_view text, ListInfo* info, std::vector<Indicator>* indicators) {
  auto next_line = [&text]() {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    return line;
  };
  if (next_line() != kMagic) return Status::Corruption("not a kamatama list file (version 1)");
  const std::string_view header = next_line();
  simdjson::dom::parser parser;
  simdjson::dom::element h;
  if (parser.parse(header.data(), header.size()).get(h)) return Status::Corruption("bad list header");
  info->name = Text(h, "name");
  info->version = Num<uint64_t>(h, "version");
  info->created_ns = Num<int64_t>(h, "created_ns");
  info->updated_ns = Num<int64_t>(h, "updated_ns");
  info->format = Text(h, "format");
  info->origin = Text(h, "origin");
  simdjson::dom::array hist;
  if (!h["history"].get(hist)) {
    for (simdjson::dom::element v : hist)
      info->history.push_back(VersionNote{Num<uint64_t>(v, "version"), Num<int64_t>(v, "updated_ns"), Num<size_t>(v, "size"),
                                          Text(v, "origin")});
  }
  size_t line_no = 2;
  while (!text.empty()) {
    const std::string_view line = next_line();
    ++line_no;
    if (line.empty()) continue;
    std::string_view cols[5];
    std::string_view rest = line;
    for (int c = 0; c < 5; ++c) {
      const size_t tab = c < 4 ? rest.find('\t') : std::string_view::npos;
      cols[c] = rest.substr(0, tab);
      rest = tab == std::string_view::npos ? std::string_view() : rest.substr(tab + 1);
    }
    Indicator ind;
    if (!ParseIndicatorType(cols[0], &ind.type)) return Status::Corruption(fmt::format("line {}: bad type", line_no));
    ind.value = Unescape(cols[1]);
    auto [p, ec] = std::from_chars(cols[2].data(), cols[2].data() + cols[2].size(), ind.expires_ns);
    if (ec != std::errc()) return Status::Corruption(fmt::format("line {}: bad expiry", line_no));
    ind.source = Unescape(cols[3]);
    ind.description = Unescape(cols[4]);
    indicators->push_back(std::move(ind));
  }
  return Status::OK();
}

size_t IntelList::Active(int64_t now_ns) const {
  return static_cast<size_t>(std::count_if(matcher.indicators().begin(), matcher.indicators().end(),
                                           [now_ns](const Indicator& i) { return !i.Expired(now_ns); }));
}

bool ListStore::ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

Status ListStore::Open(const std::string& dir, std::unique_ptr<ListStore>* out) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  std::unique_ptr<ListStore> store(new ListStore());
  if (Status s = OpenDir(dir, &store->dir_); !s.ok()) return s;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string f = entry.path().filename().string();
    if (f.size() > kSuffix.size() && f.ends_with(kSuffix)) files.push_back(f);
  }
  if (ec) return Status::IoError("cannot read " + dir + ": " + ec.message());
  for (const std::string& f : files) {
    if (Status s = store->Load(f); !s.ok()) store->load_errors_.push_back(f + ": " + s.ToString());
  }
  *out = std::move(store);
  return Status::OK();
}

Status ListStore::Load(const std::string& file) {
  std::string text;
  if (Status s = ReadFileInDir(dir_.get(), file, &text); !s.ok()) return s;
  ListInfo info;
  auto indicators = std::make_shared<std::vector<Indicator>>();
  if (Status s = ParseListFile(text, &info, indicators.get()); !s.ok()) return s;
  if (info.name + std::string(kSuffix) != file || !ValidName(info.name)) return Status::Corruption("the name inside differs");
  auto list = std::make_shared<const IntelList>(std::move(info), std::move(indicators));
  std::lock_guard lock(mu_);
  lists_[list->info.name] = std::move(list);
  return Status::OK();
}

Status ListStore::Put(const std::string& name, std::vector<Indicator> indicators, const std::string& format,
                      const std::string& origin, int64_t now_ns, std::shared_ptr<const IntelList>* out) {
  if (!ValidName(name)) return Status::InvalidArgument("a list name is 1-64 letters, digits, '_' or '-'");
  std::lock_guard write(write_mu_);
  std::shared_ptr<const IntelList> old = Get(name);
  if (!old && All().size() >= kMaxLists)
    return Status::ResourceExhausted(fmt::format("at most {} lists; delete one first", kMaxLists));
  std::erase_if(indicators, [now_ns](const Indicator& i) { return i.Expired(now_ns); });
  ListInfo info;
  info.name = name;
  info.version = old ? old->info.version + 1 : 1;
  info.created_ns = old ? old->info.created_ns : now_ns;
  info.updated_ns = now_ns;
  info.format = format;
  info.origin = origin;
  if (old) {
    info.history.push_back(VersionNote{old->info.version, old->info.updated_ns, old->matcher.indicators().size(), old->info.origin});
    for (const VersionNote& v : old->info.history) {
      if (info.history.size() < kHistory) info.history.push_back(v);
    }
  }
  if (Status s = WriteFileAtomic(dir_.get(), name + std::string(kSuffix), SerializeList(info, indicators), 0600); !s.ok())
    return s;
  auto list = std::make_shared<const IntelList>(std::move(info), std::make_shared<const std::vector<Indicator>>(std::move(indicators)));
  {
    std::lock_guard lock(mu_);
    lists_[name] = list;
  }
  if (out) *out = std::move(list);
  return Status::OK();
}

Status ListStore::Delete(const std::string& name) {
  if (!ValidName(name)) return Status::InvalidArgument("a list name is 1-64 letters, digits, '_' or '-'");
  std::lock_guard write(write_mu_);
  if (!Get(name)) return Status::NotFound("no list named '" + name + "'");
  const std::string file = name + std::string(kSuffix);
  if (::unlinkat(dir_.get(), file.c_str(), 0) != 0 && errno != ENOENT)
    return Status::IoError(fmt::format("cannot remove {}: {}", file, std::strerror(errno)));
  ::fsync(dir_.get());
  std::lock_guard lock(mu_);
  lists_.erase(name);
  return Status::OK();
}

std::shared_ptr<const IntelList> ListStore::Get(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = lists_.find(name);
  return it == lists_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const IntelList>> ListStore::All() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const IntelList>> out;
  out.reserve(lists_.size());
  for (const auto& [name, list] : lists_) out.push_back(list);
  return out;
}

std::shared_ptr<const query::ValueList> ListStore::Find(std::string_view name) const {
  std::shared_ptr<const IntelList> list = Get(name);
  if (!list) return nullptr;
  return std::shared_ptr<const query::ValueList>(list, &list->matcher);  // keeps the version alive
}

namespace {

//! A list looked up by name at each use (FollowingLists).
class FollowingList final : public query::ValueList {
 public:
  FollowingList(const ListStore* store, std::string name) : store_(store), name_(std::move(name)) {}
  bool Contains(std::string_view value) const override {
    std::shared_ptr<const query::ValueList> now = store_->Find(name_);
    return now && now->Contains(value);
  }
  bool GetContents(Contents* out) const override {
    std::shared_ptr<const query::ValueList> now = store_->Find(name_);
    return now && now->GetContents(out);
  }

 private:
  const ListStore* store_;
  std::string name_;
};

}  // namespace

std::shared_ptr<const query::ValueList> FollowingLists::Find(std::string_view name) const {
  if (!ListStore::ValidName(name)) return nullptr;
  return std::make_shared<FollowingList>(store_, std::string(name));
}

}  // namespace kamatama::intel
