#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/database_url.hpp"

namespace strata::drivers {
class Driver;
}

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

// The record another tool left, when strata's own tables record nothing yet; nullopt otherwise.
// strata's tables win as soon as they hold anything: a history table, or a row in the version
// table (golang-migrate's table counts as strata's). Looked for, in the version table's schema:
// dbmate's `version`-only table under the version table's own name (or `schema_migrations`, or
// `<name>_dbmate` left by an import that was cut short), goose's `goose_db_version` and
// sql-migrate's `gorp_migrations`. Never writes. Throws DriverError when the tables of more than
// one tool are found (strata cannot tell which is current) or a table cannot be read.
std::optional<ForeignState> find_foreign_state(drivers::Driver& driver, const TableName& version_table);

}  // namespace strata::tracker
