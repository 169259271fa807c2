// parsers/declarative/shipped.h
//! The declarative definitions that ship inside the binary (parsers/defs/*.yaml, embedded at
//! build time by embed_defs.cmake): loaded by default by `serve` and `parse` (issue 23), before
//! nothing and after the user's own (a user definition of the same name replaces a shipped one;
//! `parsers.shipped: false` or `parsers.disable: [name]` turns them off).
#pragma once

#include <string_view>
#include <vector>

namespace kamatama::declarative {

struct ShippedFile {
  std::string_view name;  //!< e.g. "panos.yaml"
  std::string_view text;  //!< the YAML, as in parsers/defs/
};

//! Every shipped definition file, sorted by name.
const std::vector<ShippedFile>& ShippedFiles();

}  // namespace kamatama::declarative
