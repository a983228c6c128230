#include "runner/runner.hpp"

#include "source/checksum_prefetch.hpp"

#include <fmt/format.h>

#include <map>

#include "core/error.hpp"
#include "drivers/driver.hpp"
#include "runner/import.hpp"

namespace strata::runner {

using tracker::Outcome;

namespace {

std::vector<int64_t> versions_of(const source::Source& source) {
  std::vector<int64_t> versions;
  versions.reserve(source.migrations().size());
  for (const source::Migration& migration : source.migrations()) versions.push_back(migration.version);
  return versions;
}

}  // namespace

std::string version_text(std::optional<int64_t> version) {
  return version ? std::to_string(*version) : "none";
}

DatabaseView read_view(tracker::Tracker& tracker, const source::Source& source) {
  DatabaseView view;
  view.foreign = tracker.find_foreign();
  if (view.foreign) {
    check_foreign_parts(*view.foreign, source);
    view.state.version = view.foreign->highest();
    view.history.push_back(tracker::imported_entry(*view.foreign));
  } else {
    view.state = tracker.read_state();
    view.history = tracker.read_history();
  }
  view.applied = planner::AppliedSet::from(view.state, view.history, versions_of(source));
  return view;
}

planner::Inputs plan_inputs(const source::Source& source, const DatabaseView& view, bool allow_out_of_order) {
  planner::Inputs inputs;
  inputs.source_versions = versions_of(source);
  inputs.current = view.state.version;
  inputs.applied = view.applied;
  inputs.allow_out_of_order = allow_out_of_order;
  return inputs;
}

std::vector<Drift> find_drift(const source::Source& source, const DatabaseView& view,
                              source::ChecksumPrefetch* prefetched) {
  // The checksum each version was last applied (or accepted) with, replayed in history order.
  std::map<int64_t, std::string> applied_with;
  for (const tracker::HistoryEntry& entry : view.history) {
    if ((entry.outcome == Outcome::applied || entry.outcome == Outcome::accepted) && !entry.checksum.empty())
      applied_with[entry.version] = entry.checksum;
  }
  std::vector<Drift> drift;
  for (const auto& [version, checksum] : applied_with) {
    if (!view.applied.contains(version)) continue;
    const source::Migration* migration = source.find(version);
    if (!migration) continue;  // missing: reported by status, not drift
    std::string current = prefetched != nullptr ? prefetched->checksum(*migration) : source.checksum(*migration);
    // Rows written by strata 0.1 hold the checksum of the raw bytes (of one file: versions of
    // several files are newer): read again only on a mismatch.
    if (current != checksum && (!migration->parts.empty() || source::raw_file_checksum(*migration->up) != checksum)) {
      std::vector<std::string> files;
      for (const source::MigrationFile* file : source::script_files(*migration, Direction::up))
        files.push_back(file->name);
      drift.push_back(Drift{version, fmt::format("{}", fmt::join(files, ", ")), checksum, current, files.size()});
    }
  }
  return drift;
}

std::string drift_message(const Drift& drift) {
  if (drift.files > 1) {
    return fmt::format(
        "version {} ({}) changed after it was applied: a part was edited, added or removed (stored checksum {}, "
        "current {}); restore the files, or add a new migration for the change",
        drift.version, drift.file, drift.stored_checksum.substr(0, 12), drift.current_checksum.substr(0, 12));
  }
  return fmt::format(
      "{} was edited after it was applied (stored checksum {}, current {}); restore the file, add a new "
      "migration for the change, or run `strata accept {}` to record the file as it is now",
      drift.file, drift.stored_checksum.substr(0, 12), drift.current_checksum.substr(0, 12), drift.version);
}

LockGuard::LockGuard(drivers::Driver& driver, const TableName& table, std::chrono::milliseconds timeout)
    : m_driver(driver) {
  m_driver.lock(table, timeout);
}

LockGuard::~LockGuard() {
  m_driver.unlock();
}

}  // namespace strata::runner
