#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dialect.hpp"

namespace strata::source {

// Why `sql` cannot run inside a transaction on `dialect`, as a short name of the statement
// ("CREATE INDEX CONCURRENTLY", "VACUUM", "REINDEX SCHEMA"), or nullopt when it can.
//
// `sql` is one statement as the splitter emits it: trimmed of leading comments, though comments
// may still stand between its words (`CREATE INDEX /* x */ CONCURRENTLY`). Only the statement's
// own words count: a word inside a string, a quoted identifier, a comment or a function body never
// matches, and neither does a longer word (`concurrently_idx`).
//
// PostgreSQL 15 refuses these inside a transaction block (SQLSTATE 25001): CREATE [UNIQUE] INDEX
// CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX … CONCURRENTLY, REINDEX SCHEMA/DATABASE/SYSTEM,
// VACUUM, CREATE/DROP DATABASE, ALTER DATABASE … SET TABLESPACE, CREATE/DROP TABLESPACE, ALTER
// SYSTEM, CREATE SUBSCRIPTION (unless create_slot or connect is false), ALTER SUBSCRIPTION …
// REFRESH PUBLICATION and … SET/ADD/DROP PUBLICATION (unless refresh = false), DROP SUBSCRIPTION
// (refused when the subscription has a replication slot, the default: strata cannot tell, so it
// always counts), CLUSTER without a table, COMMIT/ROLLBACK PREPARED, DISCARD ALL and ALTER TABLE
// … DETACH PARTITION … CONCURRENTLY. What depends on the objects (REINDEX or CLUSTER of a
// partitioned table) cannot be seen in the text and is not detected.
//
// SQLite: VACUUM (also VACUUM INTO), PRAGMA journal_mode = … (a change into or out of WAL fails
// in a transaction) and PRAGMA synchronous = … (refused in one). PRAGMA foreign_keys is not
// listed: it is silently ignored inside a transaction, but strata's connections start with
// foreign keys off, so the usual `PRAGMA foreign_keys = OFF` before rebuilding a table already
// holds (docs/file-format.md).
//
// MySQL/MariaDB: always nullopt. strata runs no MySQL migration in a transaction.
std::optional<std::string> transaction_blocker(std::string_view sql, Dialect dialect);

// Lower-case words at least one of which occurs (in any letter case) in every statement for which
// transaction_blocker() returns a value: a text without any of them holds no such statement. This
// is what lets a byte scan rule them out without splitting (source::may_leave_transaction).
const std::vector<std::string_view>& transaction_blocker_words(Dialect dialect);

}  // namespace strata::source
