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
}

namespace strata::tracker {

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
