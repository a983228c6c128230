#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/database_url.hpp"
#include "tracker/foreign.hpp"

namespace strata::drivers {
class Driver;
}

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

// Reads and writes strata's two tables through a Driver. Every method throws DriverError
// when the database fails; none but start_running() opens or commits a transaction of its
// own, so the runner decides what is atomic.
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

  // Replaces the version row (golang-migrate's protocol: at most one row; a dirty "nothing
  // applied" is stored as -1).
  void set_version(std::optional<int64_t> version, bool dirty);

  // Every history row in insertion order; empty when the table does not exist.
  std::vector<HistoryEntry> read_history();

  // The statements that end a step: the version row set to (version, dirty) and `entry`
  // recorded, as a new history row or, with `running_id`, over that `running` row. Values are
  // literals, so the runner can send them in one round trip with the commit
  // (Driver::commit_with).
  std::vector<std::string> completion_statements(std::optional<int64_t> version, bool dirty, const HistoryEntry& entry,
                                                 std::optional<int64_t> running_id = std::nullopt) const;
  // In one transaction of its own: the version row marked dirty at `version` and the `running`
  // row recorded. Returns that row's id. Only while holding the migration lock.
  int64_t start_running(std::optional<int64_t> version, const HistoryEntry& running);

  void record(const HistoryEntry& entry);
  // Overwrites every column of row `id` but the version with `entry`'s.
  void update(int64_t id, const HistoryEntry& entry);

  // Continues from another tool's record (find_foreign_state): moves dbmate's table aside when
  // it occupies the version table's name, creates strata's tables, sets the version row to the
  // highest applied version and records the `imported` row. Leaves other tables as they are.
  // Atomic only inside a transaction the caller opened, on an engine with transactional DDL.
  // Only while holding the migration lock.
  void import(const ForeignState& foreign);

  // "user@host" of this process, for HistoryEntry::applied_by.
  static std::string current_user();
  // Current UTC time as "YYYY-MM-DDThh:mm:ssZ".
  static std::string now_utc();

 private:
  std::string version_table_sql() const;
  std::string history_table_sql() const;
  std::string qualified(const TableName& table) const;
  std::vector<std::string> version_statements(std::optional<int64_t> version, bool dirty) const;
  std::string record_statement(const HistoryEntry& entry) const;
  std::string update_statement(int64_t id, const HistoryEntry& entry) const;
  std::string max_id_query() const;

  drivers::Driver& m_driver;
  TableName m_table;
};

}  // namespace strata::tracker
