#pragma once

// The tracker's types: what strata's two tables (and another tool's table) say, as plain
// values. The planner reads them without the Tracker, which needs a Driver: this header and
// strata_tracker_state have no database in them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/database_url.hpp"

namespace strata::tracker {

// The migration tools whose record of applied migrations strata reads and imports
// (docs/migrating.md#continuing-another-tools-database).
enum class ForeignTool { goose, sql_migrate, dbmate };
std::string_view tool_name(ForeignTool tool);

// What another tool's table says is applied.
struct ForeignState {
  ForeignTool tool = ForeignTool::goose;
  TableName table;  // where it was read
  // dbmate's table under strata's own version-table name: importing moves it aside
  // (moved_aside_name) so that strata can create its table there.
  bool occupies_version_table = false;
  std::vector<int64_t> versions;  // applied, ascending, without duplicates
  // sql-migrate: the file names (gorp ids) recorded for each version.
  std::map<int64_t, std::vector<std::string>> files;
  std::vector<std::string> unmapped;  // rows that name no version (a gorp id without a number)

  std::optional<int64_t> highest() const {
    return versions.empty() ? std::nullopt : std::optional<int64_t>(versions.back());
  }
};

// Where dbmate's table goes when strata takes over its name: `<name>_dbmate`, same schema.
TableName moved_aside_name(const TableName& table);

// The one row of golang-migrate's schema_migrations table.
struct VersionState {
  std::optional<int64_t> version;  // nullopt: nothing applied (no row, or golang-migrate's -1)
  bool dirty = false;
};

// What a history row says happened.
enum class Outcome {
  applied,   // an up migration ran to completion
  reverted,  // a down migration ran to completion
  failed,    // a migration failed and left the database dirty (detail says where)
  forced,    // `strata force` set the version (detail says from which state)
  baseline,  // history started on a database already at `version` (golang-migrate)
  running,   // a migration outside a transaction is under way (detail says which statements);
             // left behind when its process died or lost its connection mid-way
  accepted,  // `strata accept`: the applied file's current content is the accepted one from now
             // on (checksum); the applied state does not change
  imported,  // history started from another tool's table: exactly the versions in detail are
             // applied; `version` is the highest of them (-1 for none), as is the version row
};

std::string_view outcome_name(Outcome outcome);
std::optional<Outcome> parse_outcome(std::string_view text);

// One row of `<table>_history`.
struct HistoryEntry {
  int64_t id = 0;  // insertion order; assigned by the database
  int64_t version = 0;
  std::string name;
  std::string direction;   // "up", "down", or "" for force/baseline
  std::string checksum;    // SHA-256 of the file that ran; "" when no file
  std::string applied_at;  // UTC, "2026-01-01T10:00:00Z"
  double duration_ms = 0;
  std::string applied_by;  // user@host
  Outcome outcome = Outcome::applied;
  std::string detail;  // JSON text: failure location, force origin; "" when none
};

// The `imported` row that records `foreign` (what Tracker::import writes, and what read-only
// commands replay without writing it).
HistoryEntry imported_entry(const ForeignState& foreign);
// The versions an `imported` row says are applied; empty for other rows or an unreadable detail.
std::vector<int64_t> imported_versions(const HistoryEntry& entry);

}  // namespace strata::tracker
