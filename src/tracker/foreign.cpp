#include "tracker/foreign.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <set>

#include "core/error.hpp"
#include "drivers/driver.hpp"
#include "source/loader.hpp"

namespace strata::tracker {

namespace {

constexpr std::string_view k_goose_table = "goose_db_version";
constexpr std::string_view k_gorp_table = "gorp_migrations";
constexpr std::string_view k_dbmate_table = "schema_migrations";

std::string qualified(const drivers::Driver& driver, const TableName& table) {
  if (table.schema.empty()) return driver.quote_identifier(table.name);
  return driver.quote_identifier(table.schema) + "." + driver.quote_identifier(table.name);
}

TableName sibling(const TableName& table, std::string_view name) {
  return TableName{table.schema, std::string(name)};
}

// The table's column names, lower case.
std::set<std::string> columns(drivers::Driver& driver, const TableName& table) {
  std::vector<drivers::Row> rows;
  switch (driver.dialect()) {
    case Dialect::sqlite: rows = driver.query("SELECT name FROM pragma_table_info(?)", {table.name}); break;
    case Dialect::postgres:
      rows = driver.query(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE(?, current_schema()) "
          "AND table_name = ?",
          {table.schema.empty() ? drivers::Value{} : drivers::Value{table.schema}, table.name});
      break;
    case Dialect::mysql:
      rows = driver.query(
          "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?",
          {table.name});
      break;
  }
  std::set<std::string> names;
  for (const drivers::Row& row : rows) {
    if (row.empty() || !row[0]) continue;
    std::string name = *row[0];
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    names.insert(name);
  }
  return names;
}

// The number a text starts with (all of it when `whole`); nullopt when there is none or it
// does not fit a version.
std::optional<int64_t> leading_version(std::string_view text, bool whole) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || (whole && digits != text.size())) return std::nullopt;
  std::string_view number = text.substr(0, digits);
  while (number.size() > 1 && number.front() == '0') number.remove_prefix(1);
  if (number.size() > 19) return std::nullopt;
  try {
    return std::stoll(std::string(number));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool is_true(const drivers::Value& value) {
  return value && (*value == "1" || *value == "t" || *value == "true" || *value == "TRUE");
}

std::vector<drivers::Row> read_rows(drivers::Driver& driver, const TableName& table, std::string_view tool,
                                    const std::string& sql) {
  try {
    return driver.query(sql);
  } catch (const DriverError& error) {
    throw DriverError(fmt::format("cannot read {}'s table {}: {}", tool, table.display(), error.what()),
                      error.sqlstate());
  }
}

// goose: a version is applied when its latest row (by id) says so; version 0 is goose's own
// first row, not a migration.
ForeignState read_goose(drivers::Driver& driver, const TableName& table) {
  ForeignState state;
  state.tool = ForeignTool::goose;
  state.table = table;
  std::map<int64_t, bool> latest;
  for (const drivers::Row& row :
       read_rows(driver, table, "goose",
                 fmt::format("SELECT version_id, is_applied FROM {} ORDER BY id", qualified(driver, table)))) {
    std::optional<int64_t> version = row.at(0) ? leading_version(*row.at(0), true) : std::nullopt;
    if (!version) {
      if (row.at(0)) state.unmapped.push_back(*row.at(0));
      continue;
    }
    if (*version == 0) continue;
    latest[*version] = is_true(row.at(1));
  }
  for (const auto& [version, applied] : latest) {
    if (applied) state.versions.push_back(version);
  }
  return state;
}

// sql-migrate: one row per applied file, its name as the id; the version is its number.
ForeignState read_gorp(drivers::Driver& driver, const TableName& table) {
  ForeignState state;
  state.tool = ForeignTool::sql_migrate;
  state.table = table;
  for (const drivers::Row& row : read_rows(driver, table, "sql-migrate",
                                           fmt::format("SELECT id FROM {} ORDER BY id", qualified(driver, table)))) {
    if (!row.at(0)) continue;
    // The file's version as strata reads its name (a dated name such as 2023-01-20.1-x.sql too).
    std::optional<int64_t> version;
    try {
      if (std::optional<source::ParsedFileName> parsed = source::parse_file_name(*row.at(0))) version = parsed->version;
    } catch (const SourceError&) {
      version = leading_version(*row.at(0), false);
    }
    if (version) {
      state.files[*version].push_back(*row.at(0));
    } else {
      state.unmapped.push_back(*row.at(0));
    }
  }
  for (const auto& [version, files] : state.files) state.versions.push_back(version);
  return state;
}

// dbmate: one row per applied version, the version as text.
ForeignState read_dbmate(drivers::Driver& driver, const TableName& table, bool occupies_version_table) {
  ForeignState state;
  state.tool = ForeignTool::dbmate;
  state.table = table;
  state.occupies_version_table = occupies_version_table;
  std::set<int64_t> versions;
  for (const drivers::Row& row :
       read_rows(driver, table, "dbmate", fmt::format("SELECT version FROM {}", qualified(driver, table)))) {
    if (!row.at(0)) continue;
    if (std::optional<int64_t> version = leading_version(*row.at(0), true)) {
      versions.insert(*version);
    } else {
      state.unmapped.push_back(*row.at(0));
    }
  }
  state.versions.assign(versions.begin(), versions.end());
  return state;
}

// dbmate's table: a `version` column and no `dirty` column.
bool is_dbmate_table(drivers::Driver& driver, const TableName& table) {
  if (!driver.table_exists(table)) return false;
  std::set<std::string> names = columns(driver, table);
  return names.count("version") != 0 && names.count("dirty") == 0;
}

}  // namespace

std::optional<ForeignState> find_foreign_state(drivers::Driver& driver, const TableName& version_table) {
  if (driver.table_exists(version_table.history())) return std::nullopt;
  if (driver.table_exists(version_table)) {
    std::set<std::string> names = columns(driver, version_table);
    if (names.count("dirty") != 0) {
      // golang-migrate's (or strata's) table: it wins once it holds a row.
      if (!driver.query(fmt::format("SELECT 1 FROM {}", qualified(driver, version_table))).empty()) return std::nullopt;
    } else if (names.count("version") != 0) {
      return read_dbmate(driver, version_table, true);
    } else {
      return std::nullopt;  // not a version table at all: reading it says so
    }
  }

  std::vector<ForeignState> found;
  if (driver.table_exists(sibling(version_table, k_goose_table)))
    found.push_back(read_goose(driver, sibling(version_table, k_goose_table)));
  if (driver.table_exists(sibling(version_table, k_gorp_table)))
    found.push_back(read_gorp(driver, sibling(version_table, k_gorp_table)));
  for (const TableName& dbmate : {moved_aside_name(version_table), sibling(version_table, k_dbmate_table)}) {
    if (dbmate.name != version_table.name && is_dbmate_table(driver, dbmate)) {
      found.push_back(read_dbmate(driver, dbmate, false));
      break;
    }
  }
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    std::vector<std::string> tables;
    for (const ForeignState& state : found) {
      tables.push_back(fmt::format("{} ({})", state.table.display(), tool_name(state.tool)));
    }
    throw DriverError(fmt::format(
        "strata has no tables in this database yet and found the tables of more than one migration tool: {}; "
        "strata cannot tell which of them to continue from: rename or drop the ones no longer in use",
        fmt::join(tables, ", ")));
  }
  return std::move(found.front());
}

}  // namespace strata::tracker
