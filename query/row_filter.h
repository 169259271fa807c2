// query/row_filter.h
//! A parsed query as the store's row filter (core/row.h): pruning by token filters and required
//! text, evaluation per row. Holds a reference: the query must outlive it. Thread-safe.
#pragma once

#include "core/row.h"
#include "query/query.h"

namespace kamatama::query {

class QueryRowFilter final : public RowFilter {
 public:
  explicit QueryRowFilter(const Query& q) : q_(q) {}
  bool MayMatch(const TokenFilter& has) const override { return q_.MayMatch(has); }
  BlockAnswer Answer(const TokenFilter& has) const override { return q_.Answer(has); }
  bool Matches(const FieldAccessor& row) const override { return q_.Matches(row); }
  const std::vector<std::string>& ReferencedFields() const override { return q_.ReferencedFields(); }
  const std::vector<std::string>& RequiredText() const override { return q_.RequiredText(); }

 private:
  const Query& q_;
};

}  // namespace kamatama::query
