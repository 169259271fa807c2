// query/internal.h
//! Helpers shared by the query text parser (parser.cc) and QueryBuilder (builder.cc): what both
//! precompute on nodes so that evaluation and pruning answer the same way whichever built them.
//! Not part of the query library's interface.
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"

namespace kamatama::query::internal {

//! Adds the hashes of the tokens of `part` that every string holding `part` has, where
//! `open_before`/`open_after` say whether a glob's '*' may extend it on that side.
void AddBoundedTokenHashes(std::string_view part, bool open_before, bool open_after,
                           std::vector<uint64_t>* hashes);
//! Whether RE2's prefilter atoms of `pattern` can be trusted for token pruning.
bool PrefilterTrustworthy(std::string_view pattern);
//! Sets a regex node's prefilter, atom_hashes, row_prefilter and row_atoms.
void SetRegexPrefilter(Node* node, const std::string& pattern, const RE2::Options& options);
//! Query::RequiredText of the tree under `root`.
std::vector<std::string> CollectRequiredText(const std::vector<Node>& nodes, uint32_t root);
//! Sets match_order of every kAnd/kOr under `index`; returns the subtree's relative cost.
uint32_t OrderForMatching(std::vector<Node>* nodes, uint32_t index);
//! Query::ReferencedFields of the tree under `root`.
std::vector<std::string> CollectFields(const std::vector<Node>& nodes, uint32_t root);
//! A glob's parts between '*'s, and its lowercased segments (Node::segments).
std::vector<std::string_view> SplitStars(std::string_view value);
std::vector<std::string> GlobSegments(std::string_view value);

}  // namespace kamatama::query::internal
