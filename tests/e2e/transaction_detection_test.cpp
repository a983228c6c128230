// Statements that the engine refuses inside a transaction (CREATE INDEX CONCURRENTLY, VACUUM, …)
// take their migration out of one without an annotation: on real PostgreSQL and SQLite.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

using nlohmann::json;

const std::string k_mixed_warning =
    "strata: warning: 2_idx.up.sql:2: CREATE INDEX CONCURRENTLY cannot run in a transaction, so the whole migration "
    "runs without one: if one of its statements fails, those before it stay applied and the database is left dirty "
    "(move the CREATE INDEX CONCURRENTLY to a migration of its own, or add `-- +strata NO TRANSACTION` to the file to "
    "silence this warning)\n";

class PostgresTransactionTest : public EngineTest {
 protected:
  void write_users() const {
    write("migrations/1_users.up.sql", "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);\n");
  }
  std::string index_count(const std::string& name) const {
    return sql("SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '" + name + "'");
  }
};

TEST_P(PostgresTransactionTest, CreateIndexConcurrentlyAloneRunsOutsideATransactionWithoutAWord) {
  write_users();
  write("migrations/2_idx.up.sql", "-- online\nCREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n");
  write("migrations/2_idx.down.sql", "DROP INDEX CONCURRENTLY users_name_idx;\n");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.err.find("warning"), std::string::npos) << up.err;
  EXPECT_EQ(version(), "2\n");
  EXPECT_EQ(index_count("users_name_idx"), "1\n");
  EXPECT_EQ(sql("SELECT outcome FROM schema_migrations_history ORDER BY id"), "applied\napplied\n");

  Result down = run("down");
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(down.err.find("warning"), std::string::npos) << down.err;
  EXPECT_EQ(version(), "1\n");
  EXPECT_EQ(index_count("users_name_idx"), "0\n");
}

TEST_P(PostgresTransactionTest, MixedMigrationRunsOutsideATransactionAndWarnsFirst) {
  write_users();
  write("migrations/2_idx.up.sql",
        "CREATE TABLE tags (id INT);\nCREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n");
  Result validate = run("validate");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_EQ(validate.err, k_mixed_warning);
  EXPECT_EQ(validate.out, "ok: 2 migrations; without a down migration: 1, 2\n");

  ASSERT_EQ(run("up 1").exit_code, 0);
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.err.substr(0, up.err.find("[1/1] applied")), k_mixed_warning + "[1/1] applying 2_idx\n");
  EXPECT_EQ(table_count("tags"), "1\n");
  EXPECT_EQ(index_count("users_name_idx"), "1\n");
  EXPECT_EQ(run("-q up").err, "");
}

TEST_P(PostgresTransactionTest, DryRunAndJsonPlanSayWhichStatementTookTheStepOutOfATransaction) {
  write_users();
  write("migrations/2_idx.up.sql", "CREATE INDEX CONCURRENTLY users_name_idx ON users (name);\n");
  write("migrations/2_idx.down.sql", "DROP INDEX /* no lock */ CONCURRENTLY users_name_idx;\n");
  Result plan = run("--json up --dry-run");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(plan.err, "");
  const json steps = plan.json()["plan"];
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0]["transaction"], true);
  EXPECT_FALSE(steps[0].contains("transaction_reason"));
  EXPECT_EQ(steps[1]["transaction"], false);
  EXPECT_EQ(steps[1]["transaction_reason"],
            json::parse(R"({"file": "2_idx.up.sql", "line": 1, "statement": "CREATE INDEX CONCURRENTLY"})"));

  Result text = run("up --dry-run");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.substr(0, text.out.find("\n\n")),
            "-- strata dry run (postgres): 2 migrations from version none to 2\n"
            "--   up   1_users\n"
            "--   up   2_idx (no transaction: 2_idx.up.sql:1: CREATE INDEX CONCURRENTLY cannot run in a transaction)");
  EXPECT_NE(text.out.find("\n-- up 2_idx (2_idx.up.sql, no transaction: 2_idx.up.sql:1: CREATE INDEX CONCURRENTLY "
                          "cannot run in a transaction)\n-- schema_migrations: version 2 marked dirty\n"),
            std::string::npos)
      << text.out;
  EXPECT_EQ(table_count("schema_migrations"), "0\n");

  ASSERT_EQ(run("up").exit_code, 0);
  Result verbose = run("-v down --dry-run");
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_NE(verbose.out.find("--   down 2_idx (no transaction: 2_idx.down.sql:1: DROP INDEX CONCURRENTLY cannot run "
                             "in a transaction)\n"),
            std::string::npos)
      << verbose.out;
  Result down = run("-v down");
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(down.err.substr(0, down.err.find("[1/1] reverted")),
            "[1/1] reverting 2_idx\n"
            "  without a transaction: 2_idx.down.sql:1: DROP INDEX CONCURRENTLY cannot run in a transaction\n"
            "  2_idx.down.sql:1: DROP INDEX /* no lock */ CONCURRENTLY users_name_idx\n");
}

TEST_P(PostgresTransactionTest, FailingConcurrentIndexLeavesTheDatabaseDirtyWithATrueRunbook) {
  write("migrations/1_users.up.sql",
        "CREATE TABLE users (id INT PRIMARY KEY, name TEXT);\nINSERT INTO users VALUES (1, 'a'), (2, 'a');\n");
  write("migrations/2_idx.up.sql",
        "CREATE TABLE tags (id INT);\nCREATE UNIQUE INDEX CONCURRENTLY u_name ON users (name);\n");
  ASSERT_EQ(run("up 1").exit_code, 0);
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 3) << up.err;
  EXPECT_EQ(up.err,
            std::string(k_mixed_warning) +
                "[1/1] applying 2_idx\n"
                "strata: error: database is dirty at version 2: migration 2 (up) failed at 2_idx.up.sql:2, "
                "statement 2 of 2 (CREATE UNIQUE INDEX CONCURRENTLY u_name ON users (name)): could not create "
                "unique index \"u_name\" (detail: Key (name)=(a) is duplicated.); PostgreSQL left the index u_name "
                "behind, INVALID: run `DROP INDEX CONCURRENTLY IF EXISTS u_name;` before retrying; repair the "
                "database by hand, "
                "then run `strata force 2` if the migration's changes are all in place, or `strata force 1` if "
                "none of them are and then `strata up` to retry it\n");
  EXPECT_EQ(version(), "2 (dirty)\n");
  // The statement before it stayed applied, as the warning said; the failed index is left invalid.
  EXPECT_EQ(table_count("tags"), "1\n");
  EXPECT_EQ(sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'u_name'::regclass"), "f\n");
  EXPECT_EQ(run("up").exit_code, 3);
}

INSTANTIATE_TEST_SUITE_P(Postgres, PostgresTransactionTest, ::testing::Values("postgres"), engine_name);

class SqliteTransactionTest : public EngineTest {};

TEST_P(SqliteTransactionTest, VacuumAndJournalModeRunOutsideATransaction) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\n");
  write("migrations/2_vacuum.up.sql", "VACUUM;\n");
  write("migrations/3_wal.up.sql", "CREATE TABLE b (id INTEGER);\nPRAGMA journal_mode = WAL;\n");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.err.substr(0, up.err.find("[1/3]")),
            "strata: warning: 3_wal.up.sql:2: PRAGMA journal_mode cannot run in a transaction, so the whole migration "
            "runs without one: if one of its statements fails, those before it stay applied and the database is left "
            "dirty (move the PRAGMA journal_mode to a migration of its own, or add `-- +strata NO TRANSACTION` to the "
            "file to silence this warning)\n");
  EXPECT_EQ(version(), "3\n");
  EXPECT_EQ(sql("PRAGMA journal_mode;"), "wal\n");
  EXPECT_EQ(sql("SELECT count(*) FROM a;"), "1\n");
}

// A file over 1 MiB as the first step is normally read only once, inside its transaction; a
// VACUUM at its end must be seen before that transaction starts.
TEST_P(SqliteTransactionTest, LargeFirstStepWithVacuumAtItsEndRunsOutsideATransaction) {
  write("migrations/1_a.up.sql",
        "CREATE TABLE a (note TEXT);\nINSERT INTO a VALUES ('" + std::string(1200 * 1024, 'x') + "');\nVacuum;\n");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.err.substr(0, up.err.find('\n')),
            "strata: warning: 1_a.up.sql:3: VACUUM cannot run in a transaction, so the whole migration runs without "
            "one: if one of its statements fails, those before it stay applied and the database is left dirty (move "
            "the VACUUM to a migration of its own, or add `-- +strata NO TRANSACTION` to the file to silence this "
            "warning)");
  EXPECT_EQ(version(), "1\n");
  EXPECT_EQ(sql("SELECT length(note) FROM a;"), std::to_string(1200 * 1024) + "\n");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SqliteTransactionTest, ::testing::Values("sqlite"), engine_name);

}  // namespace
}  // namespace strata::e2e
