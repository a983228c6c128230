#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/database_url.hpp"
#include "tracker/foreign.hpp"
#include "tracker/state.hpp"

namespace strata::drivers {
class Driver;
class Transaction;
}  // namespace strata::drivers

namespace strata::tracker {

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
  // recorded, and the commit, in one round trip where the engine allows (Driver::commit_with).
  // On failure the transaction is rolled back and the guard closed (Transaction::commit_with).
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
