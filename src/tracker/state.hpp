#pragma once

// The tracker's types: what strata's two tables (and another tool's table) say, as plain
// values. The planner reads them without the Tracker, which needs a Driver: this header and
// strata_tracker_state have no database in them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/database_url.hpp"
#include "core/direction.hpp"

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

// The detail of a `running` or `failed` row: the step, and the statements it is sending
// (`running`: statement…through on lines line…through_line) or where it stopped (`failed`: the
// failing statement, or with `interrupted` the next one, the first that did not run).
struct StepDetail {
  Direction direction = Direction::up;
  std::string file;               // the statement's file (a part's, for a version of several files)
  int64_t statements = 0;         // how many the step has (0: unknown)
  std::optional<int64_t> before;  // the version row before the step
  std::optional<int64_t> after;   // and after it
  int64_t statement = 0;          // 1-based
  int line = 0;
  std::string sql;               // the statement's first line (at most 60 characters)
  int64_t through = 0;           // running: the last statement being sent
  int through_line = 0;          // running: its line
  std::string own_transaction;   // running: "file" or "strata" opened a transaction around it
  std::string error;             // failed: the database's message
  std::string interrupted;       // failed by a stop request: "SIGINT" or "SIGTERM" (no `error`)
  int64_t rolled_back_from = 0;  // failed: a transaction of the file's own, open since this
                                 // statement, was rolled back before recording (0: none)
};

// The detail of a `forced` row: the state `force` replaced.
struct ForceOrigin {
  std::optional<int64_t> from;
  bool dirty = false;
  std::string unreadable;  // the version table could not be read: why ("" when it could)
};

// The detail of a `baseline` row.
struct BaselineDetail {
  bool dirty = false;  // the version row was dirty when the history started
};

// The detail of an `imported` row: the other tool's record that started the history.
struct ImportedVersions {
  std::string tool;
  std::string table;
  std::vector<int64_t> versions;  // exactly the versions the tool had applied, ascending
  std::string moved_to;           // dbmate's table after it was moved aside ("" when it was not)
  std::vector<std::string> unmapped;
};

// The detail of an `accepted` row: the edited file recorded as it is now.
struct AcceptedChecksum {
  std::string file;
  std::string previous;  // the checksum it replaces
};

// What a history row's detail column holds, by outcome; monostate for none (applied, reverted)
// or for a detail this build cannot read. Serialised as JSON only inside the tracker.
using Detail =
    std::variant<std::monostate, StepDetail, ForceOrigin, BaselineDetail, ImportedVersions, AcceptedChecksum>;

// One row of `<table>_history`.
struct HistoryEntry {
  int64_t id = 0;  // insertion order; assigned by the database
  int64_t version = 0;
  std::string name;
  std::optional<Direction> direction;  // none for force/baseline/imported rows
  std::string checksum;                // SHA-256 of the file that ran; "" when no file
  std::string applied_at;              // UTC, "2026-01-01T10:00:00Z"
  double duration_ms = 0;
  std::string applied_by;  // user@host
  Outcome outcome = Outcome::applied;
  Detail detail;

  // The detail as `T`, or nullptr when it holds something else.
  template <typename T>
  const T* detail_as() const {
    return std::get_if<T>(&detail);
  }
};

// The `imported` row that records `foreign` (what Tracker::import writes, and what read-only
// commands replay without writing it).
HistoryEntry imported_entry(const ForeignState& foreign);
// The versions an `imported` row says are applied; empty for other rows or an unreadable detail.
std::vector<int64_t> imported_versions(const HistoryEntry& entry);

// The detail as the JSON text of the `detail` column ("" for none), and back: the one place
// that knows the column's format (docs/architecture.md#history-table).
std::string detail_json(const Detail& detail);
// `row_direction` is the row's direction column, for a step detail that does not repeat it.
Detail parse_detail(Outcome outcome, std::string_view json, std::optional<Direction> row_direction = std::nullopt);

}  // namespace strata::tracker
