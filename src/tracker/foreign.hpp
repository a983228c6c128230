#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/database_url.hpp"
#include "tracker/state.hpp"

namespace strata::drivers {
class Driver;
}

namespace strata::tracker {

// The record another tool left, when strata's own tables record nothing yet; nullopt otherwise.
// strata's tables win as soon as they hold anything: a history table, or a row in the version
// table (golang-migrate's table counts as strata's). Looked for, in the version table's schema:
// dbmate's `version`-only table under the version table's own name (or `schema_migrations`, or
// `<name>_dbmate` left by an import that was cut short), goose's `goose_db_version` and
// sql-migrate's `gorp_migrations`. Never writes. Throws DriverError when the tables of more than
// one tool are found (strata cannot tell which is current) or a table cannot be read.
std::optional<ForeignState> find_foreign_state(drivers::Driver& driver, const TableName& version_table);

}  // namespace strata::tracker
