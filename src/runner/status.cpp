#include "runner/status.hpp"

#include <map>
#include <set>

namespace strata::runner {

std::set<int64_t> versions_without_down(const source::Source& source) {
  std::set<int64_t> versions;
  for (const source::Migration& migration : source.migrations()) {
    if (!source::has_down_section(migration, source.dialect())) versions.insert(migration.version);
  }
  return versions;
}

StatusReport build_status(const source::Source& source, const DatabaseView& view, const std::vector<Drift>& drift,
                          const std::set<int64_t>& without_down) {
  StatusReport report;
  report.version = view.state.version;
  report.dirty = view.state.dirty;
  if (report.dirty) report.runbook = dirty_runbook(view, source);

  std::map<int64_t, const tracker::HistoryEntry*> last_applied;
  for (const tracker::HistoryEntry& entry : view.history) {
    if (entry.outcome == tracker::Outcome::applied) last_applied[entry.version] = &entry;
  }
  std::set<int64_t> modified;
  for (const Drift& item : drift) modified.insert(item.version);

  std::vector<int64_t> known;
  for (const source::Migration& migration : source.migrations()) known.push_back(migration.version);
  std::set<int64_t> versions(known.begin(), known.end());
  for (int64_t version : view.applied.list(known)) versions.insert(version);
  if (view.state.version) versions.insert(*view.state.version);
  // The migration a dirty database is stuck in: the one whose failure was recorded last (a
  // failed down step leaves the row at the version it was going to), else the version row.
  std::optional<int64_t> dirty_version;
  if (view.state.dirty) {
    dirty_version = view.state.version;
    if (!view.history.empty() && (view.history.back().outcome == tracker::Outcome::failed ||
                                  view.history.back().outcome == tracker::Outcome::running)) {
      dirty_version = view.history.back().version;
    }
  }

  for (int64_t version : versions) {
    StatusRow row;
    row.version = version;
    const source::Migration* migration = source.find(version);
    auto history = last_applied.find(version);
    if (migration) {
      row.name = migration->name;
      row.has_down = without_down.count(version) == 0;
      for (const source::MigrationFile& part : migration->parts) row.parts.push_back(part.name);
    } else if (history != last_applied.end()) {
      row.name = history->second->name;
    }
    bool applied = view.applied.contains(version);
    if (dirty_version == version) {
      row.state = "dirty";
    } else if (applied) {
      row.state = !migration ? "missing" : modified.count(version) ? "modified" : "applied";
    } else if (view.state.version && version < *view.state.version) {
      row.state = "out-of-order";
    } else {
      row.state = "pending";
    }
    if (row.state == "pending" || row.state == "out-of-order") ++report.pending;
    if (applied && history != last_applied.end()) {
      row.applied_at = history->second->applied_at;
      row.duration_ms = history->second->duration_ms;
      row.applied_by = history->second->applied_by;
    }
    report.rows.push_back(std::move(row));
  }
  return report;
}

}  // namespace strata::runner
