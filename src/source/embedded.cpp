#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "source/listing.hpp"
#include "source/loader.hpp"
#include "strata/embedded.hpp"

namespace strata::source {

Source load_embedded(const EmbeddedMigrations& set, Dialect dialect) {
  const std::string directory = set.directory != nullptr ? set.directory : "";
  std::vector<ListedEntry> entries;
  entries.reserve(set.count);
  for (size_t index = 0; index < set.count; ++index) {
    const EmbeddedFile& file = set.files[index];
    const std::string name = file.name != nullptr ? file.name : "";
    // A directory's listing cannot hold these; a hand-made set could.
    if (name.empty() || name.find('/') != std::string::npos) {
      throw SourceError(fmt::format("compiled-in migrations of {}: '{}' is not a file name (file {} of the set)",
                                    directory, name, index + 1));
    }
    if (file.data == nullptr && file.size > 0) {
      throw SourceError(name, 0, fmt::format("compiled in without its bytes ({} expected)", file.size));
    }
    const std::string_view bytes =
        file.size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(file.data), file.size);
    entries.push_back({name, true, bytes});
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  const auto twice =
      std::adjacent_find(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name == b.name; });
  if (twice != entries.end()) throw SourceError(twice->name, 0, "is listed twice in the compiled-in migrations");
  return assemble_source(directory, dialect, entries);
}

}  // namespace strata::source
