// server/owned_store.cc
#include "server/owned_store.h"

#include <simdjson.h>

#include <algorithm>

#include "core/json.h"
#include "core/time.h"

namespace kamatama::server {

namespace {
constexpr int kFileVersion = 1;

void AppendFileRecord(const OwnedObject& o, std::string* out) {
  *out += "{\"id\":";
  AppendJsonString(out, o.id);
  *out += ",\"owner\":";
  AppendJsonString(out, o.owner);
  *out += o.shared ? ",\"shared\":true" : ",\"shared\":false";
  *out += ",\"created_ns\":" + std::to_string(o.created_ns) + ",\"updated_ns\":" + std::to_string(o.updated_ns);
  *out += ",\"updated_by\":";
  AppendJsonString(out, o.updated_by);
  *out += ",\"body\":" + o.body + "}";
}

//! One record of the file; false when it is not one.
bool ReadFileRecord(simdjson::dom::element e, OwnedObject* o) {
  std::string_view id, owner, by;
  simdjson::dom::object body;
  if (e["id"].get(id) || e["owner"].get(owner) || e["shared"].get(o->shared) || e["created_ns"].get(o->created_ns) ||
      e["updated_ns"].get(o->updated_ns) || e["updated_by"].get(by) || e["body"].get(body))
    return false;
  o->id = id;
  o->owner = owner;
  o->updated_by = by;
  o->body = simdjson::minify(body);
  return true;
}
}  // namespace

Status OwnedObjectStore::Open(const std::string& data_dir) {
  if (Status s = OpenDir(data_dir, &dir_); !s.ok()) return s;
  std::string text;
  Status s = ReadFileInDir(dir_.get(), file_, &text);
  if (s.code() == Status::Code::kNotFound) return Status::OK();
  if (!s.ok()) return s;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array list;
  int64_t version = 0;
  if (parser.parse(text).get(root) || root["version"].get(version) || root["objects"].get(list))
    return Status::Corruption(file_ + " is not a kamatama objects file");
  if (version > kFileVersion)
    return Status::Corruption(file_ + " was written by a newer kamatama (version " + std::to_string(version) + ")");
  std::vector<OwnedObject> loaded;
  for (simdjson::dom::element e : list) {
    OwnedObject o;
    if (!ReadFileRecord(e, &o)) return Status::Corruption(file_ + ": a record is incomplete");
    loaded.push_back(std::move(o));
  }
  std::lock_guard lock(mu_);
  objects_ = std::move(loaded);
  return Status::OK();
}

std::vector<OwnedObject> OwnedObjectStore::List() const {
  std::lock_guard lock(mu_);
  return objects_;
}

std::optional<OwnedObject> OwnedObjectStore::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (const auto& o : objects_)
    if (o.id == id) return o;
  return std::nullopt;
}

Status OwnedObjectStore::Create(OwnedObject* obj, int64_t now_ns) {
  std::lock_guard lock(mu_);
  if (objects_.size() >= max_objects_)
    return Status::ResourceExhausted("at most " + std::to_string(max_objects_) + " are kept: delete some first");
  obj->id = RandomHex(8);
  obj->created_ns = obj->updated_ns = now_ns;
  obj->updated_by = obj->owner;
  std::vector<OwnedObject> next = objects_;
  next.push_back(*obj);
  return Commit(std::move(next));
}

Status OwnedObjectStore::Update(const std::string& id, const std::function<Status(OwnedObject*)>& change,
                                int64_t now_ns, OwnedObject* out) {
  std::lock_guard lock(mu_);
  std::vector<OwnedObject> next = objects_;
  auto it = std::find_if(next.begin(), next.end(), [&](const OwnedObject& o) { return o.id == id; });
  if (it == next.end()) return Status::NotFound(id);
  OwnedObject edited = *it;
  if (Status s = change(&edited); !s.ok()) return s;
  edited.id = it->id;
  edited.owner = it->owner;
  edited.created_ns = it->created_ns;
  edited.updated_ns = now_ns;
  *it = edited;
  if (Status s = Commit(std::move(next)); !s.ok()) return s;
  *out = std::move(edited);
  return Status::OK();
}

Status OwnedObjectStore::Remove(const std::string& id) {
  std::lock_guard lock(mu_);
  std::vector<OwnedObject> next = objects_;
  auto it = std::find_if(next.begin(), next.end(), [&](const OwnedObject& o) { return o.id == id; });
  if (it == next.end()) return Status::NotFound(id);
  next.erase(it);
  return Commit(std::move(next));
}

Status OwnedObjectStore::Commit(std::vector<OwnedObject> objects) {
  std::string text = "{\"version\":" + std::to_string(kFileVersion) + ",\"objects\":[";
  for (size_t i = 0; i < objects.size(); ++i) {
    if (i) text += ",\n";
    AppendFileRecord(objects[i], &text);
  }
  text += "]}\n";
  if (Status s = WriteFileAtomic(dir_.get(), file_, text, 0600); !s.ok()) return s;
  objects_ = std::move(objects);
  return Status::OK();
}

bool CanRead(const Principal& who, const OwnedObject& obj) {
  return obj.shared || obj.owner == who.name || who.Has(kPermAdmin);
}

bool CanCreate(const Principal& who) { return who.Has(kPermTriage); }

bool CanChange(const Principal& who, const OwnedObject& obj) {
  if (obj.builtin) return false;
  return who.Has(kPermAdmin) || (obj.owner == who.name && CanCreate(who));
}

void AppendOwnedJson(const OwnedObject& obj, std::string* out) {
  *out += "{\"id\":";
  AppendJsonString(out, obj.id);
  *out += ",\"owner\":";
  AppendJsonString(out, obj.owner);
  *out += obj.shared ? ",\"shared\":true" : ",\"shared\":false";
  *out += ",\"created\":";
  AppendJsonString(out, FormatRfc3339(obj.created_ns));
  *out += ",\"updated\":";
  AppendJsonString(out, FormatRfc3339(obj.updated_ns));
  *out += ",\"updated_by\":";
  AppendJsonString(out, obj.updated_by);
  if (obj.builtin) *out += ",\"builtin\":true";
  // The body is an object: splice its fields in ("{}" adds none).
  if (obj.body.size() > 2) {
    out->push_back(',');
    out->append(obj.body, 1, obj.body.size() - 2);
  }
  out->push_back('}');
}

}  // namespace kamatama::server
