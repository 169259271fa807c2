// parsers/declarative/parser_set.cc
#include "parsers/declarative/parser_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/json.h"
#include "parsers/declarative/engine.h"
#include "parsers/declarative/shipped.h"

namespace kamatama::declarative {

namespace {

namespace fs = std::filesystem;

//! Largest definition file read (a definition is a page of YAML).
constexpr uintmax_t kMaxFileBytes = 1 << 20;

bool IsDefinitionFile(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

//! The definition files of `path` (a file, or a directory searched recursively), sorted.
Status ListFiles(const std::string& path, std::vector<std::string>* files) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    files->push_back(path);
    return Status::OK();
  }
  if (!fs::is_directory(path, ec)) return Status::InvalidArgument("cannot read parser directory " + path);
  std::vector<std::string> found;
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && IsDefinitionFile(it->path())) found.push_back(it->path().string());
  }
  if (ec) return Status::InvalidArgument("cannot read parser directory " + path + ": " + ec.message());
  std::sort(found.begin(), found.end());
  files->insert(files->end(), found.begin(), found.end());
  return Status::OK();
}

void LoadFile(const std::string& file, std::vector<Definition>* defs, std::vector<Problem>* problems) {
  std::error_code ec;
  if (fs::file_size(file, ec) > kMaxFileBytes) {
    problems->push_back(Problem{file, {}, "larger than 1 MiB"});
    return;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    problems->push_back(Problem{file, {}, "cannot be read"});
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  CompileDefinitions(text.str(), file, defs, problems);
}

std::string Located(const Definition& d) {
  return d.file + ":" + std::to_string(d.where.line) + ":" + std::to_string(d.where.column);
}

}  // namespace

std::string LoadSummary::Text() const {
  std::string out;
  for (const Problem& p : invalid) out += "invalid: " + p.ToString() + "\n";
  for (const std::string& n : overridden) out += "shipped " + n + " replaced by the user's\n";
  for (const std::string& n : disabled) out += "disabled: " + n + "\n";
  out += std::to_string(loaded.size()) + " loaded";
  if (shipped) out += " (" + std::to_string(shipped) + " shipped)";
  return out + ", " + std::to_string(invalid.size()) + " invalid\n";
}

std::string LoadSummary::Json() const {
  std::string out = "{\"loaded\":" + std::to_string(loaded.size()) + ",\"invalid\":" + std::to_string(invalid.size()) +
                    ",\"parsers\":[";
  for (size_t i = 0; i < loaded.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, loaded[i]);
  }
  out += "],\"problems\":[";
  for (size_t i = 0; i < invalid.size(); ++i) {
    if (i) out.push_back(',');
    out += "{\"file\":";
    AppendJsonString(&out, invalid[i].file);
    out += ",\"line\":" + std::to_string(invalid[i].where.line) + ",\"column\":" + std::to_string(invalid[i].where.column);
    out += ",\"message\":";
    AppendJsonString(&out, invalid[i].message);
    out.push_back('}');
  }
  out += "],\"shipped\":" + std::to_string(shipped) + ",\"overridden\":[";
  for (size_t i = 0; i < overridden.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, overridden[i]);
  }
  out += "],\"disabled\":[";
  for (size_t i = 0; i < disabled.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(&out, disabled[i]);
  }
  return out + "]}";
}

ParserSet::ParserSet(std::vector<Definition> defs) : defs_(std::move(defs)) {}

bool ParserSet::RunOne(const Definition* def, Event* ev, bool json) const {
  if (!def) return false;
  try {
    return Apply(*def, ev, json);
  } catch (...) {  // std::bad_alloc and the like: this parser declines, ingest goes on
    failures_.fetch_add(1, std::memory_order_relaxed);
    if (def->errors) def->errors->Add();
    return false;
  }
}

const Definition* ParserSet::Run(Order order, Event* ev, bool json) const {
  for (const Definition& d : defs_) {
    if (d.order == order && RunOne(&d, ev, json)) return &d;
  }
  return nullptr;
}

const Definition* ParserSet::ByDataset(std::string_view dataset) const {
  for (const Definition& d : defs_) {
    if (d.dataset == dataset || d.name == dataset) return &d;
  }
  return nullptr;
}

namespace {

//! The shipped definitions not replaced by a user's (`names`), appended to *kept.
void AddShipped(std::set<std::string>* names, std::vector<Definition>* kept, LoadSummary* summary) {
  std::vector<Definition> shipped;
  for (const ShippedFile& f : ShippedFiles())
    CompileDefinitions(f.text, "shipped:" + std::string(f.name), &shipped, &summary->invalid);
  for (Definition& d : shipped) {
    if (!names->insert(d.name).second) {
      summary->overridden.push_back(d.name);
      continue;
    }
    ++summary->shipped;
    kept->push_back(std::move(d));
  }
}

}  // namespace

Status LoadParserSet(const std::vector<std::string>& paths, std::shared_ptr<const ParserSet>* out,
                     LoadSummary* summary, const LoadOptions& options) {
  std::vector<std::string> files;
  Status status = Status::OK();
  for (const std::string& p : paths) {
    if (Status s = ListFiles(p, &files); !s.ok() && status.ok()) status = s;
  }
  std::vector<Definition> all, kept;
  for (const std::string& f : files) LoadFile(f, &all, &summary->invalid);
  std::set<std::string> names;
  for (Definition& d : all) {
    if (!names.insert(d.name).second) {
      summary->invalid.push_back(Problem{d.file, d.where, "parser " + d.name + " is defined twice (the first is kept)"});
      continue;
    }
    kept.push_back(std::move(d));
  }
  if (options.shipped) AddShipped(&names, &kept, summary);
  std::vector<Definition> running;
  for (Definition& d : kept) {
    if (std::find(options.disabled.begin(), options.disabled.end(), d.name) != options.disabled.end()) {
      summary->disabled.push_back(d.name);
      if (d.file.rfind("shipped:", 0) == 0) --summary->shipped;
      continue;
    }
    summary->loaded.push_back(d.name + " (" + Located(d) + ")");
    d.errors = &GetCounter("kamatama_parser_errors_total", "parser=\"" + d.name + "\"",
                           "Events a declarative parser threw on (and declined) or gave error.message");
    running.push_back(std::move(d));
  }
  *out = std::make_shared<const ParserSet>(std::move(running));
  return status;
}

}  // namespace kamatama::declarative
