#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/dialect.hpp"
#include "source/transaction_rules.hpp"

namespace strata::source {
namespace {

// Each statement below was checked against PostgreSQL 15 (`BEGIN; <statement>;` gives SQLSTATE
// 25001, or not) and sqlite3 3.40.
const std::vector<std::pair<std::string, std::string>> k_postgres_blockers = {
    {"CREATE INDEX CONCURRENTLY users_name_idx ON users (name)", "CREATE INDEX CONCURRENTLY"},
    {"create unique index concurrently u_idx on users (email)", "CREATE INDEX CONCURRENTLY"},
    {"CREATE INDEX /* online */ CONCURRENTLY IF NOT EXISTS i ON t (a)", "CREATE INDEX CONCURRENTLY"},
    {"CREATE INDEX CONCURRENTLY ON t (a)", "CREATE INDEX CONCURRENTLY"},
    {"CREATE INDEX\n-- no lock\nCONCURRENTLY i ON t (a)", "CREATE INDEX CONCURRENTLY"},
    {"DROP INDEX CONCURRENTLY IF EXISTS users_name_idx", "DROP INDEX CONCURRENTLY"},
    {"REINDEX INDEX CONCURRENTLY users_name_idx", "REINDEX CONCURRENTLY"},
    {"REINDEX TABLE CONCURRENTLY users", "REINDEX CONCURRENTLY"},
    {"REINDEX (VERBOSE, CONCURRENTLY) TABLE users", "REINDEX CONCURRENTLY"},
    {"REINDEX SCHEMA CONCURRENTLY public", "REINDEX CONCURRENTLY"},
    {"REINDEX SCHEMA public", "REINDEX SCHEMA"},
    {"REINDEX DATABASE app", "REINDEX DATABASE"},
    {"REINDEX SYSTEM app", "REINDEX SYSTEM"},
    {"VACUUM", "VACUUM"},
    {"vacuum (analyze, verbose) users", "VACUUM"},
    {"VACUUM FULL users", "VACUUM"},
    {"CREATE DATABASE app_test TEMPLATE template0", "CREATE DATABASE"},
    {"DROP DATABASE IF EXISTS app_test WITH (FORCE)", "DROP DATABASE"},
    {"ALTER DATABASE app SET TABLESPACE fast", "ALTER DATABASE ... SET TABLESPACE"},
    {"ALTER DATABASE \"my app\" SET TABLESPACE fast", "ALTER DATABASE ... SET TABLESPACE"},
    {"CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE"},
    {"DROP TABLESPACE IF EXISTS fast", "DROP TABLESPACE"},
    {"ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"},
    {"ALTER SYSTEM RESET ALL", "ALTER SYSTEM"},
    {"CREATE SUBSCRIPTION s CONNECTION 'host=a dbname=b' PUBLICATION p", "CREATE SUBSCRIPTION"},
    {"CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p WITH (copy_data = false)", "CREATE SUBSCRIPTION"},
    {"ALTER SUBSCRIPTION s REFRESH PUBLICATION", "ALTER SUBSCRIPTION ... REFRESH PUBLICATION"},
    {"ALTER SUBSCRIPTION s REFRESH PUBLICATION WITH (copy_data = false)", "ALTER SUBSCRIPTION ... REFRESH PUBLICATION"},
    {"ALTER SUBSCRIPTION s ADD PUBLICATION p2", "ALTER SUBSCRIPTION ... ADD PUBLICATION"},
    {"ALTER SUBSCRIPTION s SET PUBLICATION p2 WITH (refresh = true)", "ALTER SUBSCRIPTION ... SET PUBLICATION"},
    {"DROP SUBSCRIPTION IF EXISTS s", "DROP SUBSCRIPTION"},
    {"CLUSTER", "CLUSTER without a table"},
    {"CLUSTER VERBOSE", "CLUSTER without a table"},
    {"CLUSTER (VERBOSE)", "CLUSTER without a table"},
    {"COMMIT PREPARED 'tx1'", "COMMIT PREPARED"},
    {"ROLLBACK PREPARED 'tx1'", "ROLLBACK PREPARED"},
    {"DISCARD ALL", "DISCARD ALL"},
    {"ALTER TABLE measurements DETACH PARTITION measurements_2020 CONCURRENTLY",
     "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"},
    {"ALTER TABLE IF EXISTS ONLY \"s\".\"m\" DETACH PARTITION \"s\".\"m1\" CONCURRENTLY",
     "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"},
};

// Statements that run in a transaction: look-alikes of the ones above.
const std::vector<std::string> k_postgres_allowed = {
    "CREATE INDEX concurrently_idx ON t (a)",
    "CREATE INDEX users_name_idx ON users (concurrently)",
    "CREATE INDEX \"concurrently\" ON t (a)",
    "ALTER TABLE t ADD COLUMN concurrently_x int",
    "DROP INDEX users_name_idx",
    "REINDEX TABLE users",
    "REINDEX (CONCURRENTLY false) TABLE users",
    "ANALYZE users",
    "SELECT 'VACUUM'",
    "INSERT INTO log (note) VALUES ('CREATE DATABASE x; VACUUM')",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ VACUUM $$",
    "DO $$ BEGIN PERFORM 1; END $$",
    "SELECT 1 /* CREATE DATABASE x */",
    "CREATE TABLE vacuum_log (id int)",
    "ALTER DATABASE app SET search_path = app",
    "ALTER DATABASE app RENAME TO app2",
    "ALTER TABLESPACE fast RENAME TO quick",
    "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p WITH (connect = false)",
    "CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p WITH (create_slot = false)",
    "ALTER SUBSCRIPTION s ADD PUBLICATION p2 WITH (refresh = false)",
    "ALTER SUBSCRIPTION s ENABLE",
    "ALTER SUBSCRIPTION s CONNECTION 'host=b'",
    "CLUSTER users USING users_pkey",
    "CLUSTER VERBOSE users",
    "COMMIT",
    "ROLLBACK TO SAVEPOINT a",
    "DISCARD PLANS",
    "ALTER TABLE m DETACH PARTITION m1",
    "ALTER TABLE m DETACH PARTITION m1 FINALIZE",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY totals",
    "ALTER TYPE mood ADD VALUE 'meh'",
    "CREATE TABLE system (id int)",
    "PRAGMA journal_mode = WAL",
};

TEST(TransactionBlocker, FindsEveryPostgresStatementThatRefusesATransactionBlock) {
  for (const auto& [sql, why] : k_postgres_blockers) {
    EXPECT_EQ(transaction_blocker(sql, Dialect::postgres), std::optional<std::string>(why)) << sql;
  }
}

TEST(TransactionBlocker, LeavesPostgresLookAlikesInTheTransaction) {
  for (const std::string& sql : k_postgres_allowed) {
    EXPECT_EQ(transaction_blocker(sql, Dialect::postgres), std::nullopt) << sql;
  }
}

const std::vector<std::pair<std::string, std::string>> k_sqlite_blockers = {
    {"VACUUM", "VACUUM"},
    {"vacuum main", "VACUUM"},
    {"VACUUM INTO '/tmp/backup.db'", "VACUUM"},
    {"PRAGMA journal_mode = WAL", "PRAGMA journal_mode"},
    {"pragma main.journal_mode=delete", "PRAGMA journal_mode"},
    {"PRAGMA journal_mode(WAL)", "PRAGMA journal_mode"},
    {"PRAGMA synchronous = NORMAL", "PRAGMA synchronous"},
};

const std::vector<std::string> k_sqlite_allowed = {
    "PRAGMA journal_mode",
    "PRAGMA foreign_keys = OFF",
    "PRAGMA foreign_keys = ON",
    "PRAGMA user_version = 3",
    "CREATE TABLE vacuum (x)",
    "SELECT 'VACUUM'",
    "PRAGMA legacy_alter_table=ON",
    "ANALYZE",
    "CREATE INDEX CONCURRENTLY i ON t (a)",
};

TEST(TransactionBlocker, FindsSqliteStatementsThatFailOrChangeNothingInATransaction) {
  for (const auto& [sql, why] : k_sqlite_blockers) {
    EXPECT_EQ(transaction_blocker(sql, Dialect::sqlite), std::optional<std::string>(why)) << sql;
  }
  for (const std::string& sql : k_sqlite_allowed) {
    EXPECT_EQ(transaction_blocker(sql, Dialect::sqlite), std::nullopt) << sql;
  }
}

TEST(TransactionBlocker, NothingBlocksOnMysqlWhereNoMigrationRunsInATransaction) {
  for (const auto& [sql, why] : k_postgres_blockers) {
    EXPECT_EQ(transaction_blocker(sql, Dialect::mysql), std::nullopt) << sql;
  }
  EXPECT_TRUE(transaction_blocker_words(Dialect::mysql).empty());
}

bool contains_any_word(std::string sql, const std::vector<std::string_view>& words) {
  std::transform(sql.begin(), sql.end(), sql.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view word) { return sql.find(word) != std::string::npos; });
}

// The byte scan for large files relies on it: no blocker escapes the word list.
TEST(TransactionBlockerWords, OccurInEveryStatementThatBlocks) {
  for (const auto& [sql, why] : k_postgres_blockers) {
    EXPECT_TRUE(contains_any_word(sql, transaction_blocker_words(Dialect::postgres))) << sql;
  }
  for (const auto& [sql, why] : k_sqlite_blockers) {
    EXPECT_TRUE(contains_any_word(sql, transaction_blocker_words(Dialect::sqlite))) << sql;
  }
  EXPECT_FALSE(contains_any_word("INSERT INTO items VALUES (1, 'a')", transaction_blocker_words(Dialect::postgres)));
}

}  // namespace
}  // namespace strata::source
