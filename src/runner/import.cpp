#include "runner/import.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "drivers/driver.hpp"

namespace strata::runner {

namespace {

// "3 applied migrations (1, 2, 4), up to version 4; ..." with what strata will make of them.
std::string summary(const tracker::ForeignState& foreign, const source::Source& source) {
  const size_t count = foreign.versions.size();
  std::string text = fmt::format("{}'s table {}: ", tracker::tool_name(foreign.tool), foreign.table.display());
  if (count == 0) {
    text += "no applied migrations";
  } else {
    constexpr size_t k_listed = 10;
    std::vector<int64_t> listed(foreign.versions.begin(), foreign.versions.begin() + std::min(count, k_listed));
    text += fmt::format("{} applied migration{} ({}{}), up to version {}", count, count == 1 ? "" : "s",
                        fmt::join(listed, ", "), count > k_listed ? ", …" : "", *foreign.highest());
  }
  std::vector<int64_t> without_file;
  for (int64_t version : foreign.versions) {
    if (!source.find(version)) without_file.push_back(version);
  }
  if (!without_file.empty()) {
    text += fmt::format("; without a file here (missing): {}", fmt::join(without_file, ", "));
  }
  std::vector<int64_t> gaps;
  for (const source::Migration& migration : source.migrations()) {
    if (foreign.highest() && migration.version < *foreign.highest() &&
        !std::binary_search(foreign.versions.begin(), foreign.versions.end(), migration.version)) {
      gaps.push_back(migration.version);
    }
  }
  if (!gaps.empty()) text += fmt::format("; not applied below it (out of order): {}", fmt::join(gaps, ", "));
  if (!foreign.unmapped.empty()) {
    text += fmt::format("; ignored {} row{} naming no version: {}", foreign.unmapped.size(),
                        foreign.unmapped.size() == 1 ? "" : "s", fmt::join(foreign.unmapped, ", "));
  }
  return text;
}

}  // namespace

void check_foreign_parts(const tracker::ForeignState& foreign, const source::Source& source) {
  for (const auto& [version, files] : foreign.files) {
    const source::Migration* migration = source.find(version);
    if (!migration || migration->parts.empty()) continue;
    std::vector<std::string> applied;
    std::vector<std::string> not_applied;
    for (const source::MigrationFile& part : migration->parts) {
      (std::find(files.begin(), files.end(), part.name) != files.end() ? applied : not_applied).push_back(part.name);
    }
    if (applied.empty() || not_applied.empty()) continue;  // all of it, or files renamed since
    throw SourceError(fmt::format(
        "version {} is applied only in part by sql-migrate ({} has {}, not {}); strata runs the files of one "
        "version as one step: apply the rest with sql-migrate first, or give the files that did not run a "
        "version of their own",
        version, foreign.table.display(), fmt::join(applied, ", "), fmt::join(not_applied, ", ")));
  }
}

std::optional<tracker::ForeignState> import_foreign(drivers::Driver& driver, tracker::Tracker& tracker,
                                                    const source::Source& source) {
  std::optional<tracker::ForeignState> foreign = tracker.find_foreign();
  if (!foreign) return std::nullopt;
  check_foreign_parts(*foreign, source);
  drivers::Transaction transaction(driver);
  tracker.import(*foreign);
  transaction.commit();
  return foreign;
}

std::string reading_message(const tracker::ForeignState& foreign, const source::Source& source,
                            const TableName& version_table) {
  return fmt::format(
      "reading {}; strata has no tables here yet: the next up, down, goto, redo or force imports this into {}",
      summary(foreign, source), version_table.display());
}

std::string imported_message(const tracker::ForeignState& foreign, const source::Source& source,
                             const TableName& version_table) {
  const std::string left =
      foreign.occupies_version_table
          ? fmt::format("dbmate's table was renamed to {}", tracker::moved_aside_name(foreign.table).display())
          : fmt::format("{} is left as it was", foreign.table.display());
  return fmt::format("imported {}; strata records in {} from now on ({})", summary(foreign, source),
                     version_table.display(), left);
}

}  // namespace strata::runner
