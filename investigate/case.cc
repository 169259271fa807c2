// investigate/case.cc
#include "investigate/case.h"

#include <simdjson.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/json.h"
#include "core/time.h"
#include "investigate/entity.h"

namespace kamatama::investigate {

namespace {

constexpr const char* kCasesFile = "cases.json";
constexpr int kFileVersion = 1;

// ------------------------------------------------------------------ writing

void AppendTime(std::string* j, std::string_view key, int64_t ns) { AppendJsonMember(j, key, FormatRfc3339(ns)); }

void AppendPinned(std::string* j, const Pinned& p) {
  AppendJsonMember(j, "id", static_cast<int64_t>(p.id));
  AppendTime(j, "pinned_at", p.at_ns);
  AppendJsonMember(j, "pinned_by", p.by);
}

void AppendEvent(std::string* j, const CaseEvent& e) {
  j->push_back('{');
  AppendPinned(j, e.pin);
  AppendTime(j, "@timestamp", e.ts_ns);
  AppendJsonMember(j, "event.dataset", e.dataset);
  AppendJsonMember(j, "host.name", e.host);
  AppendJsonMember(j, "sha256", e.sha256);
  AppendJsonMember(j, "summary", e.summary);
  AppendJsonMember(j, "message", e.message);
  j->append(",\"fields\":{");
  for (const auto& [k, v] : e.fields) AppendJsonMember(j, k, v);
  j->append("}}");
}

void AppendEntity(std::string* j, const CaseEntity& e) {
  j->push_back('{');
  AppendPinned(j, e.pin);
  AppendJsonMember(j, "type", e.type);
  AppendJsonMember(j, "value", e.value);
  j->push_back('}');
}

void AppendAlert(std::string* j, const CaseAlert& a) {
  j->push_back('{');
  AppendPinned(j, a.pin);
  AppendJsonMember(j, "alert_id", static_cast<int64_t>(a.alert_id));
  AppendJsonMember(j, "rule", a.rule);
  AppendJsonMember(j, "level", a.level);
  AppendJsonMember(j, "host", a.host);
  AppendJsonMember(j, "excerpt", a.excerpt);
  AppendTime(j, "first", a.first_ns);
  j->push_back('}');
}

void AppendNote(std::string* j, const CaseNote& n) {
  j->push_back('{');
  AppendPinned(j, n.pin);
  AppendJsonMember(j, "text", n.text);
  j->push_back('}');
}

template <class T, class F>
void AppendList(std::string* j, std::string_view key, const std::vector<T>& items, F each) {
  j->push_back(',');
  AppendJsonString(j, key);
  j->append(":[");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) j->push_back(',');
    each(j, items[i]);
  }
  j->push_back(']');
}

void AppendHead(const Case& c, std::string* j) {
  j->push_back('{');
  AppendJsonMember(j, "id", static_cast<int64_t>(c.id));
  AppendJsonMember(j, "title", c.title);
  AppendJsonMember(j, "description", c.description);
  AppendJsonMember(j, "status", c.status);
  AppendJsonMember(j, "owner", c.owner);
  AppendJsonMember(j, "created_by", c.created_by);
  AppendTime(j, "created", c.created_ns);
  AppendTime(j, "updated", c.updated_ns);
}

// ------------------------------------------------------------------ reading

using Obj = simdjson::dom::object;

std::string Str(Obj o, std::string_view key) {
  std::string_view v;
  return o[key].get(v) ? std::string() : std::string(v);
}
int64_t Int(Obj o, std::string_view key) {
  int64_t v = 0;
  return o[key].get(v) ? 0 : v;
}
int64_t Time(Obj o, std::string_view key) {
  std::string_view v;
  if (o[key].get(v)) return 0;
  return ParseRfc3339(v).value_or(0);
}

Pinned ReadPinned(Obj o) {
  return Pinned{static_cast<uint64_t>(Int(o, "id")), Time(o, "pinned_at"), Str(o, "pinned_by")};
}

CaseEvent ReadEvent(Obj o) {
  CaseEvent e{ReadPinned(o), Time(o, "@timestamp"), Str(o, "event.dataset"), Str(o, "host.name"),
              Str(o, "sha256"), Str(o, "summary"), Str(o, "message"), {}};
  Obj fields;
  if (!o["fields"].get(fields)) {
    for (auto [k, v] : fields) {
      std::string_view s;
      if (!v.get(s)) e.fields.emplace_back(std::string(k), std::string(s));
    }
  }
  return e;
}

CaseEntity ReadEntity(Obj o) { return CaseEntity{ReadPinned(o), Str(o, "type"), Str(o, "value")}; }

CaseAlert ReadAlert(Obj o) {
  return CaseAlert{ReadPinned(o),  static_cast<uint64_t>(Int(o, "alert_id")), Str(o, "rule"), Str(o, "level"),
                   Str(o, "host"), Str(o, "excerpt"), Time(o, "first")};
}

CaseNote ReadNote(Obj o) { return CaseNote{ReadPinned(o), Str(o, "text")}; }

template <class T, class F>
void ReadList(Obj o, std::string_view key, std::vector<T>* out, F read) {
  simdjson::dom::array a;
  if (o[key].get(a)) return;
  for (simdjson::dom::element e : a) {
    Obj item;
    if (!e.get(item)) out->push_back(read(item));
  }
}

template <class T>
uint64_t MaxId(const std::vector<T>& items) {
  uint64_t m = 0;
  for (const T& t : items) m = std::max(m, t.pin.id);
  return m;
}

Case ReadCase(Obj o) {
  Case c;
  c.id = static_cast<uint64_t>(Int(o, "id"));
  c.title = Str(o, "title");
  c.description = Str(o, "description");
  c.status = Str(o, "status");
  c.owner = Str(o, "owner");
  c.created_by = Str(o, "created_by");
  c.created_ns = Time(o, "created");
  c.updated_ns = Time(o, "updated");
  ReadList(o, "events", &c.events, ReadEvent);
  ReadList(o, "entities", &c.entities, ReadEntity);
  ReadList(o, "alerts", &c.alerts, ReadAlert);
  ReadList(o, "notes", &c.notes, ReadNote);
  c.next_item = 1 + std::max({MaxId(c.events), MaxId(c.entities), MaxId(c.alerts), MaxId(c.notes)});
  return c;
}

// ------------------------------------------------------------------ checks

Status CheckSize(std::string_view what, const std::string& v, size_t max) {
  if (v.size() > max) return Status::InvalidArgument(fmt::format("{} is longer than {} bytes", what, max));
  return Status::OK();
}

Status CheckCase(const Case& c) {
  if (c.title.empty()) return Status::InvalidArgument("a case needs a title");
  if (c.status != "open" && c.status != "closed") return Status::InvalidArgument("status must be open or closed");
  if (Status s = CheckSize("title", c.title, kMaxCaseTitleBytes); !s.ok()) return s;
  if (Status s = CheckSize("owner", c.owner, kMaxCaseTitleBytes); !s.ok()) return s;
  return CheckSize("description", c.description, kMaxCaseDescriptionBytes);
}

template <class T>
Status RemoveItems(std::vector<T>* items, const std::vector<uint64_t>& ids, std::string_view what) {
  for (uint64_t id : ids) {
    auto it = std::find_if(items->begin(), items->end(), [id](const T& t) { return t.pin.id == id; });
    if (it == items->end()) return Status::InvalidArgument(fmt::format("the case has no {} {}", what, id));
    items->erase(it);
  }
  return Status::OK();
}

//! Appends the items not already in `into` (by `key`), stamped; *added counts them.
template <class T, class K>
Status AppendNew(Case* c, std::vector<T>* into, std::vector<T> items, const Pinned& stamp, K key, size_t* added) {
  std::set<std::string> have;
  for (const T& t : *into) have.insert(key(t));
  *added = 0;
  for (T& t : items) {
    if (!have.insert(key(t)).second) continue;
    if (into->size() >= kMaxCaseItems) return Status::ResourceExhausted(fmt::format("a case holds at most {} items of a kind", kMaxCaseItems));
    t.pin = stamp;
    t.pin.id = c->next_item++;
    into->push_back(std::move(t));
    ++*added;
  }
  return Status::OK();
}

}  // namespace

const std::vector<std::string_view>& CaseEventFields() {
  static const std::vector<std::string_view> fields = {
      "event.action",       "event.outcome",        "event.code",         "user.name",
      "source.ip",          "source.port",          "destination.ip",     "destination.port",
      "process.entity_id",  "process.pid",          "process.executable", "process.command_line",
      "process.parent.executable", "process.hash.sha256", "file.path",    "dns.question.name",
      "url.original",       "rule.name"};
  return fields;
}

void AppendCaseJson(const Case& c, std::string* out) {
  AppendHead(c, out);
  AppendList(out, "events", c.events, AppendEvent);
  AppendList(out, "entities", c.entities, AppendEntity);
  AppendList(out, "alerts", c.alerts, AppendAlert);
  AppendList(out, "notes", c.notes, AppendNote);
  out->push_back('}');
}

void AppendCaseEventJson(const CaseEvent& e, std::string* out) { AppendEvent(out, e); }

void AppendCaseSummaryJson(const Case& c, std::string* out) {
  AppendHead(c, out);
  *out += fmt::format(",\"counts\":{{\"events\":{},\"entities\":{},\"alerts\":{},\"notes\":{}}}}}", c.events.size(),
                      c.entities.size(), c.alerts.size(), c.notes.size());
}

Status ParseCaseJson(std::string_view json, Case* out) {
  simdjson::dom::parser parser;
  Obj o;
  if (parser.parse(json.data(), json.size()).get(o)) return Status::InvalidArgument("not a JSON object");
  *out = ReadCase(o);
  return out->id ? Status::OK() : Status::InvalidArgument("a case without an id");
}

// ------------------------------------------------------------------ CaseBook

Status CaseBook::Open(const std::string& data_dir) {
  if (Status s = OpenDir(data_dir, &dir_); !s.ok()) return s;
  std::string text;
  Status s = ReadFileInDir(dir_.get(), kCasesFile, &text);
  if (s.code() == Status::Code::kNotFound) return Status::OK();
  if (!s.ok()) return s;
  simdjson::dom::parser parser;
  Obj root;
  simdjson::dom::array list;
  if (parser.parse(text).get(root) || root["cases"].get(list))
    return Status::Corruption(std::string(kCasesFile) + " is not a case file");
  std::lock_guard lock(mu_);
  next_id_ = static_cast<uint64_t>(std::max<int64_t>(1, Int(root, "next_id")));
  for (simdjson::dom::element e : list) {
    Obj o;
    if (e.get(o)) continue;
    Case c = ReadCase(o);
    if (c.id) next_id_ = std::max(next_id_, c.id + 1), cases_[c.id] = std::move(c);
  }
  return Status::OK();
}

Status CaseBook::Save(const std::map<uint64_t, Case>& cases) const {
  std::string j = fmt::format("{{\"version\":{},\"next_id\":{},\"cases\":[", kFileVersion, next_id_);
  bool first = true;
  for (const auto& [id, c] : cases) {
    if (!first) j.push_back(',');
    first = false;
    AppendCaseJson(c, &j);
  }
  j += "]}\n";
  return WriteFileAtomic(dir_.get(), kCasesFile, j, 0600);
}

std::vector<Case> CaseBook::List() const {
  std::lock_guard lock(mu_);
  std::vector<Case> out;
  for (auto it = cases_.rbegin(); it != cases_.rend(); ++it) out.push_back(it->second);
  return out;
}

std::optional<Case> CaseBook::Get(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = cases_.find(id);
  if (it == cases_.end()) return std::nullopt;
  return it->second;
}

Status CaseBook::Create(Case c, const std::string& user, int64_t now_ns, Case* out) {
  if (c.owner.empty()) c.owner = user;
  if (Status s = CheckCase(c); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (cases_.size() >= kMaxCases) return Status::ResourceExhausted(fmt::format("at most {} cases are kept", kMaxCases));
  c.id = next_id_;
  c.created_by = user;
  c.created_ns = c.updated_ns = now_ns;
  c.events.clear(), c.entities.clear(), c.alerts.clear(), c.notes.clear();
  c.next_item = 1;
  std::map<uint64_t, Case> next = cases_;
  next[c.id] = c;
  ++next_id_;
  if (Status s = Save(next); !s.ok()) {
    --next_id_;
    return s;
  }
  cases_ = std::move(next);
  *out = std::move(c);
  return Status::OK();
}

template <class F>
Status CaseBook::Change(uint64_t id, int64_t now_ns, Case* out, F&& change) {
  std::lock_guard lock(mu_);
  auto it = cases_.find(id);
  if (it == cases_.end()) return Status::NotFound(fmt::format("no case {}", id));
  Case c = it->second;
  if (Status s = change(&c); !s.ok()) return s;
  c.updated_ns = now_ns;
  std::swap(it->second, c);
  if (Status s = Save(cases_); !s.ok()) {
    std::swap(it->second, c);  // the file still holds the old case: so does memory
    return s;
  }
  *out = it->second;
  return Status::OK();
}

Status CaseBook::Update(uint64_t id, const CasePatch& p, int64_t now_ns, Case* out) {
  return Change(id, now_ns, out, [&p](Case* c) {
    if (p.title) c->title = *p.title;
    if (p.description) c->description = *p.description;
    if (p.status) c->status = *p.status;
    if (p.owner) c->owner = *p.owner;
    if (Status s = CheckCase(*c); !s.ok()) return s;
    if (Status s = RemoveItems(&c->events, p.remove_events, "event"); !s.ok()) return s;
    if (Status s = RemoveItems(&c->entities, p.remove_entities, "entity"); !s.ok()) return s;
    return RemoveItems(&c->alerts, p.remove_alerts, "alert");
  });
}

Status CaseBook::Remove(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = cases_.find(id);
  if (it == cases_.end()) return Status::NotFound(fmt::format("no case {}", id));
  std::map<uint64_t, Case> next = cases_;
  next.erase(id);
  if (Status s = Save(next); !s.ok()) return s;
  cases_ = std::move(next);
  return Status::OK();
}

Status CaseBook::AddEvents(uint64_t id, std::vector<CaseEvent> items, const std::string& user, int64_t now_ns,
                           Case* out, size_t* added) {
  for (CaseEvent& e : items)
    if (e.message.size() > kCaseMessageBytes) e.message.resize(kCaseMessageBytes);
  return Change(id, now_ns, out, [&](Case* c) {
    auto key = [](const CaseEvent& e) { return fmt::format("{}|{}", e.ts_ns, e.sha256); };
    return AppendNew(c, &c->events, std::move(items), Pinned{0, now_ns, user}, key, added);
  });
}

Status CaseBook::AddEntities(uint64_t id, std::vector<CaseEntity> items, const std::string& user, int64_t now_ns,
                             Case* out, size_t* added) {
  for (const CaseEntity& e : items) {
    if (!ParseEntityType(e.type)) return Status::InvalidArgument("entity type must be host, user, ip, process, hash or domain");
    if (e.value.empty()) return Status::InvalidArgument("an entity needs a value");
    if (Status s = CheckSize("entity value", e.value, kMaxCaseValueBytes); !s.ok()) return s;
  }
  return Change(id, now_ns, out, [&](Case* c) {
    auto key = [](const CaseEntity& e) { return e.type + '\0' + e.value; };
    return AppendNew(c, &c->entities, std::move(items), Pinned{0, now_ns, user}, key, added);
  });
}

Status CaseBook::AddAlerts(uint64_t id, std::vector<CaseAlert> items, const std::string& user, int64_t now_ns,
                           Case* out, size_t* added) {
  return Change(id, now_ns, out, [&](Case* c) {
    auto key = [](const CaseAlert& a) { return std::to_string(a.alert_id); };
    return AppendNew(c, &c->alerts, std::move(items), Pinned{0, now_ns, user}, key, added);
  });
}

Status CaseBook::AddNote(uint64_t id, std::string text, const std::string& user, int64_t now_ns, Case* out) {
  if (text.empty()) return Status::InvalidArgument("a note needs text");
  if (Status s = CheckSize("a note", text, kMaxCaseNoteBytes); !s.ok()) return s;
  return Change(id, now_ns, out, [&](Case* c) {
    if (c->notes.size() >= kMaxCaseItems) return Status::ResourceExhausted(fmt::format("a case holds at most {} notes", kMaxCaseItems));
    c->notes.push_back(CaseNote{Pinned{c->next_item++, now_ns, user}, std::move(text)});
    return Status::OK();
  });
}

}  // namespace kamatama::investigate
