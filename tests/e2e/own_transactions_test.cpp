// Migrations with transaction statements of their own (testdata/own_transactions): a file
// wrapped in BEGIN/COMMIT runs in strata's transaction; a file that manages its transactions
// (sql-migrate's COMMIT … BEGIN around CREATE INDEX CONCURRENTLY, SQLite's table rebuild) runs
// as written, outside strata's transaction, with the dirty protocol.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

using json = nlohmann::json;

class OwnTransactionsTest : public EngineTest {
 protected:
  bool transactional_ddl() const { return GetParam() != "mysql"; }
};
// The engines whose transactions include DDL (on MySQL DDL commits implicitly, and every
// migration runs with the dirty protocol).
class TransactionalOwnTransactionsTest : public EngineTest {};

TEST_P(OwnTransactionsTest, WrappedAndSelfManagedFilesRunAsTheirAuthorsMeant) {
  copy_testdata("own_transactions");
  json plan = run("--json up --dry-run").json()["plan"];
  ASSERT_EQ(plan.size(), 3u);
  if (transactional_ddl()) {
    EXPECT_EQ(plan[0]["own_transactions"], "wrapper");
    EXPECT_EQ(plan[0]["transaction"], true);
    ASSERT_EQ(plan[0]["statements"].size(), 2u) << "the wrapper's BEGIN and COMMIT are not sent";
    EXPECT_EQ(plan[0]["statements"][0]["line"], 3);
    EXPECT_EQ(plan[1]["own_transactions"], "managed");
    EXPECT_EQ(plan[1]["transaction"], false);
  } else {
    EXPECT_EQ(plan[0]["own_transactions"], nullptr) << "MySQL sends them as written";
  }

  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(version(), "3\n");
  EXPECT_EQ(sql("SELECT member_id, note FROM member_log"), "1|indexed\n");
  EXPECT_EQ(sql("SELECT id, email, name FROM members"), "1|first@example.org|\n");
  if (GetParam() == "postgres") {
    EXPECT_EQ(sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'member_email'::regclass"), "t\n");
  }
  EXPECT_EQ(sql("SELECT version, outcome FROM schema_migrations_history ORDER BY id"),
            "1|applied\n2|applied\n3|applied\n");
  EXPECT_EQ(run("status --exit-code").exit_code, 0);

  Result down = run("down --all -y");
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(table_count("members"), "0\n");
  Result again = run("up");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(sql("SELECT count(*) FROM member_log"), "1\n");
}

TEST_P(TransactionalOwnTransactionsTest, FailureInsideTheFilesOwnTransactionSaysWhatWasRolledBack) {
  write("migrations/1_log.sql",
        "-- +migrate Up\nCREATE TABLE log (id INTEGER);\nCOMMIT;\nCREATE TABLE log2 (id INTEGER);\nBEGIN;\n"
        "INSERT INTO log VALUES (1);\nINSERT INTO nope VALUES (1);\n-- +migrate Down\nDROP TABLE log;\n");
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 3);
  const std::string error_text = GetParam() == "sqlite" ? "no such table: nope" : "relation \"nope\" does not exist";
  EXPECT_NE(up.err.find("strata: error: database is dirty at version 1: migration 1 (up) failed at 1_log.sql:7, "
                        "statement 6 of 6 (INSERT INTO nope VALUES (1)): " +
                        error_text),
            std::string::npos)
      << up.err;
  EXPECT_NE(up.err.find("; the transaction open since statement 4 was rolled back, so only the statements before 4 "
                        "took effect; repair the database by hand, then run `strata force 1` if the migration's "
                        "changes are all in place, or `strata force none` if none of them are and then `strata up` "
                        "to retry it\n"),
            std::string::npos)
      << up.err;
  EXPECT_EQ(table_count("log"), "1\n") << "committed by the file before its own transaction";
  EXPECT_EQ(table_count("log2"), "1\n");
  EXPECT_EQ(sql("SELECT count(*) FROM log"), "0\n") << "the INSERT inside the failed transaction is gone";
  EXPECT_EQ(run("version").out, "1 (dirty)\n");
}

TEST_P(TransactionalOwnTransactionsTest, WrappedFileThatFailsIsRolledBackWithItsVersionRow) {
  write("migrations/1_a.up.sql", "BEGIN;\nCREATE TABLE a (id INTEGER);\nINSERT INTO nope VALUES (1);\nCOMMIT;\n");
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_NE(up.err.find("strata: error: migration 1_a (up) failed at 1_a.up.sql:3: "), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("; rolled back, database still at version none\n"), std::string::npos) << up.err;
  EXPECT_EQ(table_count("a"), "0\n");
  EXPECT_EQ(version(), "none\n");
}

INSTANTIATE_TEST_SUITE_P(Engines, OwnTransactionsTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, TransactionalOwnTransactionsTest, ::testing::Values("sqlite", "postgres"),
                         engine_name);

}  // namespace
}  // namespace strata::e2e
