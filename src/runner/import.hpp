#pragma once

#include <optional>
#include <string>

#include "source/loader.hpp"
#include "tracker/tracker.hpp"

namespace strata::drivers {
class Driver;
}

namespace strata::runner {

// Continuing a database that goose, sql-migrate or dbmate migrated (docs/migrating.md).

// Throws SourceError when sql-migrate applied only some of the files that share a version:
// strata runs them as one step, so it could neither count the version applied nor run it
// without running an applied file again.
void check_foreign_parts(const tracker::ForeignState& foreign, const source::Source& source);

// Under the migration lock: when strata's tables record nothing and another tool's table is
// found, imports it (Tracker::import) in one transaction (atomic where the engine has
// transactional DDL) and returns what was imported; nullopt when there was nothing to import.
// Throws SourceError like check_foreign_parts before writing anything.
std::optional<tracker::ForeignState> import_foreign(drivers::Driver& driver, tracker::Tracker& tracker,
                                                    const source::Source& source);

// The one line a read-only command prints when it reports another tool's table.
std::string reading_message(const tracker::ForeignState& foreign, const source::Source& source,
                            const TableName& version_table);
// The one line printed once a command imported another tool's table.
std::string imported_message(const tracker::ForeignState& foreign, const source::Source& source,
                             const TableName& version_table);

}  // namespace strata::runner
