#include "tracker/tracker.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "drivers/driver.hpp"

namespace strata::tracker {

namespace {

int64_t to_int64(const drivers::Value& value, std::string_view what) {
  if (!value) throw DriverError(fmt::format("unexpected NULL {} in the version table", what));
  try {
    size_t used = 0;
    long long parsed = std::stoll(*value, &used);
    if (used != value->size()) throw std::invalid_argument(*value);
    return parsed;
  } catch (const std::exception&) {
    throw DriverError(fmt::format("unexpected {} '{}' in the version table", what, *value));
  }
}

bool to_bool(const drivers::Value& value) {
  return value && (*value == "1" || *value == "t" || *value == "true" || *value == "TRUE");
}

}  // namespace

Tracker::Tracker(drivers::Driver& driver, TableName table) : m_driver(driver), m_table(std::move(table)) {}

std::string Tracker::qualified(const TableName& table) const {
  if (table.schema.empty()) return m_driver.quote_identifier(table.name);
  return m_driver.quote_identifier(table.schema) + "." + m_driver.quote_identifier(table.name);
}

std::string Tracker::version_table_sql() const {
  // Exactly golang-migrate's table so either tool can read the other's database.
  return fmt::format("CREATE TABLE {} (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)",
                     qualified(m_table));
}

std::string Tracker::history_table_sql() const {
  std::string_view id_column;
  std::string_view text = "TEXT";
  switch (m_driver.dialect()) {
    // The rowid: strata never deletes history rows, so new ids keep growing. AUTOINCREMENT would
    // add a write to sqlite_sequence to every migration's commit.
    case Dialect::sqlite: id_column = "id INTEGER PRIMARY KEY"; break;
    case Dialect::postgres: id_column = "id BIGSERIAL PRIMARY KEY"; break;
    case Dialect::mysql:
      id_column = "id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY";
      text = "VARCHAR(255)";
      break;
  }
  return fmt::format(
      "CREATE TABLE {} ({}, version BIGINT NOT NULL, name {} NOT NULL, direction VARCHAR(8) NOT NULL, "
      "checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(32) NOT NULL, duration_ms DOUBLE PRECISION NOT NULL, "
      "applied_by {} NOT NULL, outcome VARCHAR(16) NOT NULL, detail TEXT)",
      qualified(m_table.history()), id_column, text, text);
}

void Tracker::ensure_tables() {
  if (!m_driver.table_exists(m_table)) {
    if (!m_table.schema.empty()) {
      m_driver.execute(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", m_driver.quote_identifier(m_table.schema)));
    }
    m_driver.execute(version_table_sql());
  }
  if (!m_driver.table_exists(m_table.history())) {
    // Read first: a version table strata did not make may not be golang-migrate's either.
    VersionState state = read_state();
    m_driver.execute(history_table_sql());
    if (state.version) {
      HistoryEntry baseline;
      baseline.version = *state.version;
      baseline.outcome = Outcome::baseline;
      if (state.dirty) baseline.detail = BaselineDetail{true};
      record(baseline);
    }
  }
}

std::optional<ForeignState> Tracker::find_foreign() {
  return find_foreign_state(m_driver, m_table);
}

VersionState Tracker::read_state() {
  VersionState state;
  if (!m_driver.table_exists(m_table)) return state;
  std::vector<drivers::Row> rows;
  try {
    rows = m_driver.query(fmt::format("SELECT version, dirty FROM {} ORDER BY version DESC", qualified(m_table)));
  } catch (const DriverError& error) {
    throw DriverError(fmt::format("cannot read the version table {}: {}; if another tool (dbmate, goose, …) owns "
                                  "a table of that name, give strata its own with --table",
                                  m_table.display(), error.what()),
                      error.sqlstate());
  }
  if (rows.empty()) return state;
  if (rows.size() > 1) {
    throw DriverError(fmt::format("version table {} holds {} rows; it must hold at most one (see `strata force`)",
                                  m_table.display(), rows.size()));
  }
  int64_t version = to_int64(rows[0].at(0), "version");
  state.dirty = to_bool(rows[0].at(1));
  if (version >= 0) state.version = version;
  return state;
}

std::vector<std::string> Tracker::version_statements(std::optional<int64_t> version, bool dirty) const {
  // DELETE + INSERT in one transaction: never a moment with no row, never two rows.
  std::vector<std::string> statements{fmt::format("DELETE FROM {}", qualified(m_table))};
  if (version || dirty) {
    statements.push_back(fmt::format("INSERT INTO {} (version, dirty) VALUES ({}, {})", qualified(m_table),
                                     version.value_or(-1), m_driver.quote_literal(dirty ? "1" : "0")));
  }
  return statements;
}

void Tracker::set_version(std::optional<int64_t> version, bool dirty) {
  for (const std::string& statement : version_statements(version, dirty)) m_driver.execute(statement);
}

std::vector<HistoryEntry> Tracker::read_history() {
  std::vector<HistoryEntry> entries;
  if (!m_driver.table_exists(m_table.history())) return entries;
  std::vector<drivers::Row> rows = m_driver.query(
      fmt::format("SELECT id, version, name, direction, checksum, applied_at, duration_ms, applied_by, outcome, detail "
                  "FROM {} ORDER BY id",
                  qualified(m_table.history())));
  entries.reserve(rows.size());
  // The texts are moved out of the rows: a long history is a large part of a no-op's reading.
  auto take = [](std::optional<std::string>& value) { return value ? std::move(*value) : std::string(); };
  for (drivers::Row& row : rows) {
    HistoryEntry entry;
    entry.id = to_int64(row.at(0), "history id");
    entry.version = to_int64(row.at(1), "history version");
    entry.name = take(row.at(2));
    entry.direction = parse_direction(row.at(3).value_or(""));
    entry.checksum = take(row.at(4));
    entry.applied_at = take(row.at(5));
    entry.duration_ms = row.at(6) ? std::atof(row.at(6)->c_str()) : 0.0;
    entry.applied_by = take(row.at(7));
    std::optional<Outcome> outcome = parse_outcome(row.at(8).value_or(""));
    if (!outcome) continue;  // written by a newer strata; ignore rather than fail
    entry.outcome = *outcome;
    entry.detail = parse_detail(entry.outcome, row.at(9).value_or(""), entry.direction);
    entries.push_back(std::move(entry));
  }
  return entries;
}

namespace {

// The values of a history row's columns after version and id, as SQL literals.
struct EntryLiterals {
  std::string name, direction, checksum, applied_at, duration_ms, applied_by, outcome, detail;
};

EntryLiterals literals(const drivers::Driver& driver, const HistoryEntry& entry) {
  auto quote = [&](std::string_view text) { return driver.quote_literal(text); };
  const std::string detail = detail_json(entry.detail);
  return EntryLiterals{quote(entry.name),
                       quote(entry.direction ? direction_name(*entry.direction) : std::string_view()),
                       quote(entry.checksum),
                       quote(entry.applied_at.empty() ? Tracker::now_utc() : entry.applied_at),
                       quote(fmt::format("{:.3f}", entry.duration_ms)),
                       quote(entry.applied_by.empty() ? Tracker::current_user() : entry.applied_by),
                       quote(outcome_name(entry.outcome)),
                       detail.empty() ? std::string("NULL") : quote(detail)};
}

}  // namespace

std::string Tracker::record_statement(const HistoryEntry& entry) const {
  const EntryLiterals v = literals(m_driver, entry);
  return fmt::format(
      "INSERT INTO {} (version, name, direction, checksum, applied_at, duration_ms, applied_by, outcome, detail) "
      "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
      qualified(m_table.history()), entry.version, v.name, v.direction, v.checksum, v.applied_at, v.duration_ms,
      v.applied_by, v.outcome, v.detail);
}

std::string Tracker::update_statement(int64_t id, const HistoryEntry& entry) const {
  const EntryLiterals v = literals(m_driver, entry);
  return fmt::format(
      "UPDATE {} SET name = {}, direction = {}, checksum = {}, applied_at = {}, duration_ms = {}, applied_by = {}, "
      "outcome = {}, detail = {} WHERE id = {}",
      qualified(m_table.history()), v.name, v.direction, v.checksum, v.applied_at, v.duration_ms, v.applied_by,
      v.outcome, v.detail, id);
}

std::string Tracker::max_id_query() const {
  // On a Galera cluster auto-increment ids step by the cluster size and are not dense; the id
  // this connection just generated is the row's, whatever the step.
  if (m_driver.dialect() == Dialect::mysql) return "SELECT LAST_INSERT_ID()";
  return fmt::format("SELECT MAX(id) FROM {}", qualified(m_table.history()));
}

std::vector<std::string> Tracker::completion_statements(std::optional<int64_t> version, bool dirty,
                                                        const HistoryEntry& entry,
                                                        std::optional<int64_t> running_id) const {
  std::vector<std::string> statements = version_statements(version, dirty);
  statements.push_back(running_id ? update_statement(*running_id, entry) : record_statement(entry));
  return statements;
}

void Tracker::commit_step(drivers::Transaction& transaction, std::optional<int64_t> version, const HistoryEntry& done) {
  // The version row, the history row and the COMMIT: one round trip where the engine allows.
  transaction.commit_with(completion_statements(version, false, done));
}

int64_t Tracker::start_running(std::optional<int64_t> version, const HistoryEntry& running) {
  // The dirty mark, the `running` row and its id, in a transaction of their own: one round trip
  // on PostgreSQL and MySQL.
  std::vector<std::string> statements = completion_statements(version, true, running);
  statements.push_back(max_id_query());
  const std::vector<drivers::Row> rows = m_driver.commit_with(statements);
  if (rows.empty() || rows[0].empty()) throw DriverError("the history table returned no id");
  return to_int64(rows[0][0], "history id");
}

void Tracker::update_running(int64_t id, const HistoryEntry& running) {
  m_driver.execute(update_statement(id, running));
}

void Tracker::record_failure(std::optional<int64_t> running_id, const HistoryEntry& failed) {
  m_driver.execute(running_id ? update_statement(*running_id, failed) : record_statement(failed));
}

void Tracker::finish(std::optional<int64_t> running_id, std::optional<int64_t> version, const HistoryEntry& done) {
  // The clean version row and the history row in one transaction of their own (one round trip
  // on PostgreSQL and MySQL).
  m_driver.commit_with(completion_statements(version, false, done, running_id));
}

void Tracker::force(std::optional<int64_t> version, const std::string& name, const ForceOrigin& origin) {
  HistoryEntry entry;
  entry.version = version.value_or(-1);
  entry.name = name;
  entry.outcome = Outcome::forced;
  entry.detail = origin;
  m_driver.commit_with(completion_statements(version, false, entry));
}

void Tracker::accept(const std::vector<HistoryEntry>& accepted) {
  if (accepted.empty()) return;
  std::vector<std::string> statements;
  statements.reserve(accepted.size());
  for (const HistoryEntry& entry : accepted) statements.push_back(record_statement(entry));
  m_driver.commit_with(statements);
}

void Tracker::import(const ForeignState& foreign) {
  if (foreign.occupies_version_table) {
    const TableName aside = moved_aside_name(foreign.table);
    if (m_driver.table_exists(aside)) {
      throw DriverError(fmt::format("cannot move dbmate's table {} aside: {} exists already", foreign.table.display(),
                                    aside.display()));
    }
    m_driver.execute(
        fmt::format("ALTER TABLE {} RENAME TO {}", qualified(foreign.table), m_driver.quote_identifier(aside.name)));
  }
  if (!m_driver.table_exists(m_table)) {
    if (!m_table.schema.empty()) {
      m_driver.execute(fmt::format("CREATE SCHEMA IF NOT EXISTS {}", m_driver.quote_identifier(m_table.schema)));
    }
    m_driver.execute(version_table_sql());
  }
  // The version row before the history table: an import cut short on MySQL (no transactional
  // DDL) leaves either nothing that counts as strata's, or a version row, never an empty history.
  set_version(foreign.highest(), false);
  if (!m_driver.table_exists(m_table.history())) m_driver.execute(history_table_sql());
  record(imported_entry(foreign));
}

void Tracker::record(const HistoryEntry& entry) {
  m_driver.execute(record_statement(entry));
}

std::string Tracker::current_user() {
  // Once per process: getpwuid() reads /etc/passwd, and every history row needs the name.
  static const std::string k_user = [] {
    std::string user;
    if (const char* env = std::getenv("USER"); env && *env) {
      user = env;
    } else if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) {
      user = pw->pw_name;
    } else {
      user = std::to_string(getuid());
    }
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return host[0] ? user + "@" + host : user;
  }();
  return k_user;
}

std::string Tracker::now_utc() {
  return utc_now("%Y-%m-%dT%H:%M:%SZ");
}

}  // namespace strata::tracker
