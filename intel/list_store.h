// intel/list_store.h
//! ListStore: the named indicator lists of a server (issue 28), kept in <data_dir>/intel/ (one
//! file per list, NAME.list, replaced atomically through core/safe_file.h), loaded at start.
//! Each PUT makes a new version of a list: an immutable IntelList (its indicators and their
//! ListMatcher) that replaces the old one at once; readers holding the old one keep it until
//! they let go. It is the query language's ListResolver (`field:@NAME`).
//! Thread-safe: any method from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/safe_file.h"
#include "core/status.h"
#include "intel/indicator.h"
#include "intel/matcher.h"
#include "query/query.h"

namespace kamatama::intel {

//! One earlier version of a list, as the list's history keeps it.
struct VersionNote {
  uint64_t version = 0;
  int64_t updated_ns = 0;
  size_t size = 0;
  std::string origin;
};

struct ListInfo {
  std::string name;
  uint64_t version = 0;      //!< 1 for the first PUT, +1 for each one after
  int64_t created_ns = 0;    //!< the first version
  int64_t updated_ns = 0;    //!< this version
  std::string format;        //!< what it was read from: text, csv, stix, misp
  std::string origin;        //!< who or what sent it ("upload by alice", "fetch of https://...")
  std::vector<VersionNote> history;  //!< the versions before this one, newest first (at most kHistory)
};
inline constexpr size_t kHistory = 10;

//! One version of a list. Immutable.
struct IntelList {
  IntelList(ListInfo i, std::shared_ptr<const std::vector<Indicator>> indicators)
      : info(std::move(i)), matcher(std::move(indicators)) {}
  ListInfo info;
  ListMatcher matcher;  //!< owns the indicators: matcher.indicators()
  //! Indicators not expired at `now_ns`.
  size_t Active(int64_t now_ns) const;
};

class ListStore final : public query::ListResolver {
 public:
  //! Opens (creating, mode 0700) the directory of lists and loads every NAME.list in it. A file
  //! that does not load is named in load_errors() and left alone.
  static Status Open(const std::string& dir, std::unique_ptr<ListStore>* out);

  //! Names: 1-64 bytes of letters, digits, '_' and '-'.
  static bool ValidName(std::string_view name);
  //! Most lists a server keeps.
  static constexpr size_t kMaxLists = 256;

  //! Makes `indicators` the new version of list `name` (created if new), written to disk
  //! before it is live. Indicators expired at `now_ns` are left out.
  Status Put(const std::string& name, std::vector<Indicator> indicators, const std::string& format,
             const std::string& origin, int64_t now_ns, std::shared_ptr<const IntelList>* out = nullptr);
  //! Removes a list (NotFound if there is none).
  Status Delete(const std::string& name);
  //! The list as it is now, or null.
  std::shared_ptr<const IntelList> Get(std::string_view name) const;
  //! Every list as it is now, by name.
  std::vector<std::shared_ptr<const IntelList>> All() const;
  //! query::ListResolver: the list's matcher.
  std::shared_ptr<const query::ValueList> Find(std::string_view name) const override;
  //! Files of the directory that did not load at Open, with why.
  const std::vector<std::string>& load_errors() const { return load_errors_; }

 private:
  ListStore() = default;
  Status Load(const std::string& file);

  UniqueFd dir_;
  mutable std::mutex mu_;  // guards lists_
  std::map<std::string, std::shared_ptr<const IntelList>, std::less<>> lists_;
  std::mutex write_mu_;    // one Put or Delete at a time (file, then map)
  std::vector<std::string> load_errors_;
};

//! The text of a list file (format version 1: a magic line, a JSON header line, then one
//! indicator per line: type TAB value TAB expires_ns TAB source TAB description, with \t \n \r
//! and \\ escaped), and back.
std::string SerializeList(const ListInfo& info, const std::vector<Indicator>& indicators);
Status ParseListFile(std::string_view text, ListInfo* info, std::vector<Indicator>* indicators);

//! The lists of a ListStore for rules compiled once (Sigma's `field|list: NAME`, issue 28): each
//! ValueList it gives looks its list up again at every Contains, so the rule follows every new
//! version of the list, and matches nothing while there is no list of that name (a rule may name
//! a list imported later). Thread-safe; the store must outlive the lists it gives.
class FollowingLists final : public query::ListResolver {
 public:
  explicit FollowingLists(const ListStore* store) : store_(store) {}
  //! Never null for a valid list name (ListStore::ValidName).
  std::shared_ptr<const query::ValueList> Find(std::string_view name) const override;

 private:
  const ListStore* store_;
};

}  // namespace kamatama::intel
