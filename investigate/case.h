// investigate/case.h
//! Cases (issue 22): what an analyst collects while working an incident. A case has a title, a
//! description, a status (open/closed), an owner, and pinned items: events (a reference that finds
//! the event again in the store, plus a copy of its summary so that the case outlives retention),
//! entities (type + value, the kinds of entity.h), alerts (the alert's id and a copy of what it
//! said) and notes (markdown text: shown as text, never as HTML). Every item remembers who pinned
//! it and when. `CaseBook` keeps the cases of a data directory in `cases.json`, rewritten
//! atomically (core/safe_file.h) on every change. Nothing here talks HTTP or reads the store:
//! server/case_routes.cc resolves references. Thread-safe (CaseBook); the structs are values.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/safe_file.h"
#include "core/status.h"

namespace kamatama::investigate {

//! Most cases kept (creating one more is refused: cases are evidence, none is dropped silently).
inline constexpr size_t kMaxCases = 10000;
//! Most items of one kind (events, entities, alerts, notes) in a case.
inline constexpr size_t kMaxCaseItems = 2000;
//! Longest title, description, note and entity value (bytes).
inline constexpr size_t kMaxCaseTitleBytes = 200;
inline constexpr size_t kMaxCaseDescriptionBytes = 16384;
inline constexpr size_t kMaxCaseNoteBytes = 16384;
inline constexpr size_t kMaxCaseValueBytes = 2048;
//! Bytes of a pinned event's original line kept in the case (the store has all of it while it lasts).
inline constexpr size_t kCaseMessageBytes = 4096;

//! When and by whom an item was added.
struct Pinned {
  uint64_t id = 0;  //!< unique within the case and its kind
  int64_t at_ns = 0;
  std::string by;
};

//! A pinned event: the reference (time, dataset, host, SHA-256 of the original line) that finds it
//! in the store again, and the copy that survives retention.
struct CaseEvent {
  Pinned pin;
  int64_t ts_ns = 0;
  std::string dataset, host, sha256;
  std::string summary;  //!< the event as one sentence (sentence.h)
  std::string message;  //!< the original line, cut to kCaseMessageBytes
  std::vector<std::pair<std::string, std::string>> fields;  //!< the normalised fields that identify it
};

struct CaseEntity {
  Pinned pin;
  std::string type, value;  //!< type: host, user, ip, process, hash or domain
};

struct CaseAlert {
  Pinned pin;
  uint64_t alert_id = 0;
  std::string rule, level, host, excerpt;
  int64_t first_ns = 0;
};

struct CaseNote {
  Pinned pin;  //!< pin.by is the author
  std::string text;
};

struct Case {
  uint64_t id = 0;
  std::string title, description, status = "open", owner, created_by;
  int64_t created_ns = 0, updated_ns = 0;
  std::vector<CaseEvent> events;
  std::vector<CaseEntity> entities;
  std::vector<CaseAlert> alerts;
  std::vector<CaseNote> notes;
  uint64_t next_item = 1;  //!< the next item id
};

//! PATCH: what to change (unset: unchanged) and which items to unpin (by item id; notes stay).
struct CasePatch {
  std::optional<std::string> title, description, status, owner;
  std::vector<uint64_t> remove_events, remove_entities, remove_alerts;
};

//! The fields kept with a pinned event (when present), in this order.
const std::vector<std::string_view>& CaseEventFields();

//! A case as a JSON object (the API's, the JSON export's and the file's form).
void AppendCaseJson(const Case& c, std::string* out);
//! One pinned event as a JSON object (as in the case's "events").
void AppendCaseEventJson(const CaseEvent& e, std::string* out);
//! A case's list entry: no items, their counts.
void AppendCaseSummaryJson(const Case& c, std::string* out);
//! Parses one case object written by AppendCaseJson; InvalidArgument when it is not one.
Status ParseCaseJson(std::string_view json, Case* out);

class CaseBook {
 public:
  //! Reads `<data_dir>/cases.json` (missing: no cases yet).
  Status Open(const std::string& data_dir);

  std::vector<Case> List() const;
  std::optional<Case> Get(uint64_t id) const;
  //! A new case by `user` (owner: `user` when empty); InvalidArgument on sizes, ResourceExhausted
  //! at kMaxCases.
  Status Create(Case c, const std::string& user, int64_t now_ns, Case* out);
  //! NotFound, InvalidArgument (status, sizes, an unknown item id).
  Status Update(uint64_t id, const CasePatch& p, int64_t now_ns, Case* out);
  Status Remove(uint64_t id);
  //! Adds items (stamped with `user` and `now_ns`); an event or entity already pinned is not
  //! added twice. *added says how many were new.
  Status AddEvents(uint64_t id, std::vector<CaseEvent> items, const std::string& user, int64_t now_ns, Case* out,
                   size_t* added);
  Status AddEntities(uint64_t id, std::vector<CaseEntity> items, const std::string& user, int64_t now_ns, Case* out,
                     size_t* added);
  Status AddAlerts(uint64_t id, std::vector<CaseAlert> items, const std::string& user, int64_t now_ns, Case* out,
                   size_t* added);
  Status AddNote(uint64_t id, std::string text, const std::string& user, int64_t now_ns, Case* out);

 private:
  //! Applies `change` to case `id` and writes the file; the case is unchanged if either fails.
  template <class F>
  Status Change(uint64_t id, int64_t now_ns, Case* out, F&& change);
  Status Save(const std::map<uint64_t, Case>& cases) const;

  UniqueFd dir_;
  mutable std::mutex mu_;
  std::map<uint64_t, Case> cases_;
  uint64_t next_id_ = 1;
};

}  // namespace kamatama::investigate
