// server/owned_store.h
//! Things users keep and share (issue 25): saved searches and dashboards. One `OwnedObject` is an
//! id, an owner, private or shared, when it was made and changed, and the object's own fields as
//! a JSON object (checked by its kind, server/library_kinds.h). One `OwnedObjectStore` per kind,
//! one file per kind in the data directory (`saved_searches.json`, `dashboards.json`; 0600,
//! written atomically with core/safe_file.h like the alerts and the notification targets), read
//! once at start. Small: every change rewrites the file. Thread-safe.
//!
//! Who may do what (docs/dashboards.md#permissions), decided here for every kind:
//!   read    shared objects, one's own, and (administrators) every object
//!   create  analysts and administrators (kPermTriage: not viewers, not search-scoped tokens)
//!   change  (PUT, PATCH, DELETE) the owner, if still allowed to create, and administrators:
//!           a viewer never changes anything; an analyst never changes another's shared object;
//!           nobody changes a built-in (shipped) object
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/safe_file.h"
#include "core/status.h"
#include "server/auth.h"

namespace kamatama::server {

struct OwnedObject {
  std::string id;          //!< 16 hex digits, random
  std::string owner;       //!< the principal's name that created it
  bool shared = false;     //!< visible to every user, else to its owner (and administrators)
  int64_t created_ns = 0, updated_ns = 0;
  std::string updated_by;  //!< who changed it last
  std::string body;        //!< the kind's fields: one JSON object, already checked
  bool builtin = false;    //!< shipped with kamatama (server/shipped_dashboards.h): nobody changes it
};

class OwnedObjectStore {
 public:
  //! `file_name`: one path component in the data directory; at most `max_objects` are kept.
  OwnedObjectStore(std::string file_name, size_t max_objects)
      : file_(std::move(file_name)), max_objects_(max_objects) {}
  //! Reads the file (a missing file is an empty store). Corruption when it cannot be read.
  Status Open(const std::string& data_dir);
  //! Every object, oldest first.
  std::vector<OwnedObject> List() const;
  std::optional<OwnedObject> Get(const std::string& id) const;
  //! Stores a new object: sets its id and times. ResourceExhausted when max_objects are kept.
  Status Create(OwnedObject* obj, int64_t now_ns);
  //! Changes one object atomically: `change` gets the stored object (a copy) under the store's
  //! lock and edits it, or returns why not (then nothing is written); its id, owner and creation
  //! time are kept, updated_ns set. NotFound when there is no such object. *out: the result.
  //! Two PATCHes at once both apply, one after the other.
  Status Update(const std::string& id, const std::function<Status(OwnedObject*)>& change, int64_t now_ns,
                OwnedObject* out);
  Status Remove(const std::string& id);
  const std::string& file_name() const { return file_; }

 private:
  //! Writes `objects` to the file; on success they become the store's.
  Status Commit(std::vector<OwnedObject> objects);

  const std::string file_;
  const size_t max_objects_;
  mutable std::mutex mu_;
  UniqueFd dir_;
  std::vector<OwnedObject> objects_;
};

//! The access rules above.
bool CanRead(const Principal& who, const OwnedObject& obj);
bool CanCreate(const Principal& who);
bool CanChange(const Principal& who, const OwnedObject& obj);

//! The object as the API shows it: {"id","owner","shared","created","updated","updated_by",
//! ["builtin":true,] ...the body's fields}.
void AppendOwnedJson(const OwnedObject& obj, std::string* out);

}  // namespace kamatama::server
