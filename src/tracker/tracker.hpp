#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/database_url.hpp"
#include "core/direction.hpp"
#include "tracker/foreign.hpp"

namespace strata::drivers {
class Driver;
class Transaction;
}  // namespace strata::drivers

namespace strata::tracker {

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

// Reads and writes strata's two tables through a Driver. Each write method is one intent of
// the dirty protocol and performs it atomically where the engine allows; every method throws
// DriverError when the database fails. Write only while holding the migration lock.
class Tracker {
 public:
  Tracker(drivers::Driver& driver, TableName table);

  const TableName& table() const { return m_table; }

  // Creates the version and history tables when missing. When the history table is new and
  // the database already has a version (golang-migrate), records a baseline row for it.
  void ensure_tables();

  // Another tool's record when strata's tables record nothing yet (find_foreign_state).
  std::optional<ForeignState> find_foreign();

  // The version row; nothing applied when the table does not exist. Never creates anything.
  VersionState read_state();

  // Every history row in insertion order; empty when the table does not exist.
  std::vector<HistoryEntry> read_history();

  // Ends a transactional step inside `transaction`: the version row set to (version, clean), `done`
  // recorded, and the commit, in one round trip where the engine allows (Driver::commit_after).
  // On failure the transaction is left to its guard, which rolls it back.
  void commit_step(drivers::Transaction& transaction, std::optional<int64_t> version, const HistoryEntry& done);

  // Starts a step outside a transaction, in one transaction of its own: the version row marked
  // dirty at `version` and the `running` row recorded. Returns that row's id.
  int64_t start_running(std::optional<int64_t> version, const HistoryEntry& running);
  // Overwrites the `running` row `id` with the statements now being sent.
  void update_running(int64_t id, const HistoryEntry& running);
  // Records where a step outside a transaction stopped: over its `running` row, or as a new row
  // when it had none. The version row stays dirty.
  void record_failure(std::optional<int64_t> running_id, const HistoryEntry& failed);
  // Ends a step outside a transaction, in one transaction of its own: the version row set to
  // (version, clean) and the `running` row `running_id` turned into `done` (`done` recorded as a
  // new row when the step had none: it sent no statement).
  void finish(std::optional<int64_t> running_id, std::optional<int64_t> version, const HistoryEntry& done);

  // `strata force`: in one transaction, the version row set to (version, clean) and a `forced`
  // row recorded for `name` with the state it replaced.
  void force(std::optional<int64_t> version, const std::string& name, const ForceOrigin& origin);
  // `strata accept`: records the `accepted` rows in one transaction; the version row is unchanged.
  void accept(const std::vector<HistoryEntry>& accepted);

  // Continues from another tool's record (find_foreign_state): moves dbmate's table aside when
  // it occupies the version table's name, creates strata's tables, sets the version row to the
  // highest applied version and records the `imported` row. Leaves other tables as they are.
  // Atomic only inside a transaction the caller opened, on an engine with transactional DDL.
  void import(const ForeignState& foreign);

  // "user@host" of this process, for HistoryEntry::applied_by.
  static std::string current_user();
  // Current UTC time as "YYYY-MM-DDThh:mm:ssZ".
  static std::string now_utc();

 private:
  std::string version_table_sql() const;
  std::string history_table_sql() const;
  std::string qualified(const TableName& table) const;
  // Replaces the version row (golang-migrate's protocol: at most one row; a dirty "nothing
  // applied" is stored as -1), in the caller's transaction if one is open.
  void set_version(std::optional<int64_t> version, bool dirty);
  std::vector<std::string> version_statements(std::optional<int64_t> version, bool dirty) const;
  std::vector<std::string> completion_statements(std::optional<int64_t> version, bool dirty, const HistoryEntry& entry,
                                                 std::optional<int64_t> running_id = std::nullopt) const;
  std::string record_statement(const HistoryEntry& entry) const;
  std::string update_statement(int64_t id, const HistoryEntry& entry) const;
  std::string max_id_query() const;
  void record(const HistoryEntry& entry);

  drivers::Driver& m_driver;
  TableName m_table;
};

}  // namespace strata::tracker
