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

//! The matching rows of one stored block, handed to an aggregation at once (issue 24): a field's
//! column is looked up once per block instead of once per row, and a dictionary-encoded column
//! gives each row's index into the block's distinct values, so that rows can be counted by index
//! and each distinct value resolved once per block.
struct ColumnView {
  //! By block row: whether the row has the field, and its value. Null: no matching row has it.
  const std::vector<uint8_t>* present = nullptr;
  const std::vector<std::string_view>* values = nullptr;
  //! By block row (where present): index into `dict`. Null: the column is not dictionary-encoded.
  const std::vector<uint32_t>* ids = nullptr;
  const std::vector<std::string_view>* dict = nullptr;
};
class RowBatch {
 public:
  virtual ~RowBatch() = default;
  //! The matching rows (block row numbers, ascending).
  virtual const std::vector<uint32_t>& Rows() const = 0;
  //! @timestamp by block row (the block's oldest time for every row when the scan was told that
  //! times are not needed).
  virtual int64_t Timestamp(uint32_t row) const = 0;
  //! The column of a field the scan was asked to read (filter fields and `visit_fields`).
  virtual ColumnView Column(std::string_view name) const = 0;
  //! Row `row` as a FieldAccessor, valid until the next call.
  virtual const FieldAccessor& At(uint32_t row) const = 0;
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
