#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::source {

struct CreateOptions {
  bool timestamp = false;        // UTC YYYYMMDDhhmmss instead of max+1
  std::optional<size_t> digits;  // zero-pad width for sequential versions
  bool single = false;           // one file with -- +strata Up / Down
};

// Creates a new migration in `directory` (created when missing) and returns the paths
// written. NAME's spaces and dashes become `_`; any other character outside [A-Za-z0-9_] is a
// UsageError (exit 2). Never overwrites: an existing file is a UsageError and nothing is
// written. Files are created with mode 0666 & ~umask.
std::vector<std::filesystem::path> create_migration(const std::filesystem::path& directory, const std::string& name,
                                                    const CreateOptions& options);

// Whether `checksum` is that of a file as create_migration() writes it (an empty pair file, or
// a single file with empty sections): a migration applied with it ran no statements.
bool is_new_file_checksum(std::string_view checksum);

}  // namespace strata::source
