// core/row.h
//! The narrow interface between query evaluation and whatever holds the rows (in-memory Events or
//! decoded column blocks), so the store never depends on the query language and vice versa.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace kamatama {

//! Gives the fields of one row. "event.original" gives the original line.
class FieldAccessor {
 public:
  virtual ~FieldAccessor() = default;
  //! The value of a field of the current row; false if the row does not have it.
  virtual bool Get(std::string_view name, std::string_view* value) const = 0;
  //! Calls f(name, value) for every field the row holds ("event.original" for the original line;
  //! a store row: the columns its filter reads). False if the accessor cannot list its fields.
  virtual bool ForEachField(const std::function<void(std::string_view, std::string_view)>& f) const {
    (void)f;
    return false;
  }
};

//! A FieldAccessor over an Event.
class EventAccessor final : public FieldAccessor {
 public:
  explicit EventAccessor(const Event& ev) : ev_(ev) {}
  bool Get(std::string_view name, std::string_view* value) const override {
    if (name == field::kOriginal) {
      *value = ev_.original;
      return true;
    }
    const std::string* v = ev_.Get(name);
    if (!v) return false;
    *value = *v;
    return true;
  }
  bool ForEachField(const std::function<void(std::string_view, std::string_view)>& f) const override {
    f(field::kOriginal, ev_.original);
    for (const auto& [name, value] : ev_.fields) f(name, value);
    return true;
  }

 private:
  const Event& ev_;
};

//! Answers "may this block contain the token with this hash?" (false = certainly not).
using TokenFilter = std::function<bool(uint64_t)>;

//! What a block's token set tells of all its rows at once.
enum class BlockAnswer : uint8_t {
  kNone,  //!< no row can match: the block is skipped
  kSome,  //!< rows must be evaluated
  kAll,   //!< every row matches: rows are not evaluated, columns not decoded for it
};

//! A row predicate the store can prune blocks with and evaluate rows with.
//! Implementations must be safe to call from several threads at once (const, no mutation).
class RowFilter {
 public:
  virtual ~RowFilter() = default;
  //! False only if no row of a block whose token set passes `has_token` can match.
  virtual bool MayMatch(const TokenFilter& has_token) const = 0;
  //! kNone only if no row can match (as MayMatch false), kAll only if every row of such a block
  //! matches (a NOT whose operand's tokens are absent: `NOT event.dataset:x` where no x).
  virtual BlockAnswer Answer(const TokenFilter& has_token) const {
    return MayMatch(has_token) ? BlockAnswer::kSome : BlockAnswer::kNone;
  }
  virtual bool Matches(const FieldAccessor& row) const = 0;
  //! Fields Matches reads, and the only ones: the store decodes only these columns to evaluate,
  //! and asks a filter that reads none once per block (its answer is the same for every row).
  virtual const std::vector<std::string>& ReferencedFields() const = 0;
  //! Lowercase strings that the original line (event.original) of every matching row contains,
  //! ignoring ASCII case. The store skips, unread, the rows of a stretch of lines holding none of
  //! the first. Empty: no such promise.
  virtual const std::vector<std::string>& RequiredText() const {
    static const std::vector<std::string> kNone;
    return kNone;
  }
};

}  // namespace kamatama
