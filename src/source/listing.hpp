#pragma once

// What load_source and load_embedded share: the loader's rules applied to a directory's
// listing, wherever the names come from. Internal to src/source.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "source/loader.hpp"

namespace strata::source {

// One name of a migrations directory.
struct ListedEntry {
  std::string name;
  // readdir() said it is a regular file (a compiled-in file is one), so nothing more need be
  // looked at; any other entry on disk (a directory, a symbolic link, a type the file system did
  // not say) is looked at again.
  bool regular = false;
  std::optional<std::string_view> bytes;  // a compiled-in file's bytes; nullopt for one on disk
};

// Applies the rules of load_source() to `entries` (sorted by name, unique) of `directory`.
Source assemble_source(const std::filesystem::path& directory, Dialect dialect,
                       const std::vector<ListedEntry>& entries);

}  // namespace strata::source
