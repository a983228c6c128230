// Lock-queue protection (--statement-lock-timeout, --retries) against a real lock: another
// session holds a lock on the table a migration changes, the way a long transaction of an
// application does. The holder is released by the script only once strata has said what it did
// about the wait, so nothing here depends on timing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

class LockQueueTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    write("migrations/1_t.up.sql", "CREATE TABLE t (id INTEGER);\nINSERT INTO t VALUES (1);\n");
    ASSERT_EQ(run("up").exit_code, 0);
  }

  // The engine's client reading its statements from the fifo `hold`, and what it is sent.
  std::string client() const {
    if (GetParam() == "sqlite") return "sqlite3 test.db";
    if (GetParam() == "postgres") {
      return "PGPASSWORD=" + shell_quote(m_server.password.value_or("")) + " psql -X -q -v ON_ERROR_STOP=1 -h " +
             m_server.host + " -p " + std::to_string(m_server.port.value_or(5432)) + " -U " + m_server.user + " -d " +
             m_server.database;
    }
    return "mariadb --no-defaults -h " + m_server.host + " -P " + std::to_string(m_server.port.value_or(3306)) +
           " -u " + m_server.user + " -p" + shell_quote(m_server.password.value_or("")) + " " + m_schema;
  }
  // Takes a lock that the migration's statement conflicts with, then creates the file `locked`.
  std::string take_lock() const {
    if (GetParam() == "sqlite") return "BEGIN IMMEDIATE;\n.shell touch locked\n";  // the write lock of the file
    if (GetParam() == "postgres")
      return "SET search_path TO " + m_schema + ";\nBEGIN;\nSELECT count(*) FROM t;\n\\! touch locked\n";
    return "START TRANSACTION;\nSELECT count(*) FROM t;\nsystem touch locked\n";  // a metadata lock on t
  }
  std::string release() const {
    if (GetParam() == "sqlite") return "ROLLBACK;\n.quit\n";
    if (GetParam() == "postgres") return "COMMIT;\n\\q\n";
    return "COMMIT;\nquit\n";
  }

  // Runs `strata <args>` while the other session holds its lock, and releases the lock once
  // strata's stderr contains `release_after` (or once strata has ended, when it is empty).
  Result run_while_locked(const std::string& args, const std::string& release_after) const {
    const std::string strata_command =
        "env -u STRATA_STATEMENT_LOCK_TIMEOUT -u STRATA_RETRIES DATABASE_URL=" + shell_quote(m_url) + " " +
        shell_quote(STRATA_BINARY) + " " + args + " </dev/null >.out 2>.err";
    const std::string wait_for_release =
        release_after.empty()
            ? "wait $s; echo $? >.rc"
            : "while kill -0 $s 2>/dev/null && ! grep -qF " + shell_quote(release_after) + " .err; do sleep 0.05; done";
    const std::string script =
        "set -u; cd " + shell_quote(dir().string()) + "; rm -f hold locked .rc; mkfifo hold; (" + client() +
        " <hold >.holder 2>&1) & holder=$!; exec 3>hold; printf '%s' " + shell_quote(take_lock()) +
        " >&3; while [ ! -e locked ] && kill -0 $holder 2>/dev/null; do sleep 0.05; done; (" + strata_command +
        ") & s=$!; " + wait_for_release + "; printf '%s' " + shell_quote(release()) +
        " >&3; exec 3>&-; wait $holder; [ -e .rc ] || { wait $s; echo "
        "$? >.rc; }";
    const int status = std::system(("bash -c " + shell_quote(script)).c_str());
    EXPECT_EQ(status, 0) << "the lock holder failed: " << read(".holder");
    EXPECT_TRUE(fs::exists(dir() / "locked")) << "the other session never held its lock: " << read(".holder");
    Result result;
    result.exit_code = std::stoi("0" + read(".rc"));
    result.out = read(".out");
    result.err = read(".err");
    return result;
  }

  std::string timeout_flag() const {
    // MySQL counts lock_wait_timeout in whole seconds.
    return GetParam() == "mysql" ? "--statement-lock-timeout 1" : "--statement-lock-timeout 0.5";
  }
  std::string shown_timeout() const { return GetParam() == "mysql" ? "1 s" : "0.5 s"; }
  std::string migration() const {
    return GetParam() == "sqlite" ? "INSERT INTO t VALUES (2);\n" : "ALTER TABLE t ADD COLUMN x INTEGER;\n";
  }
  std::string rows_or_columns() const {
    if (GetParam() == "sqlite") return sql("SELECT count(*) FROM t;");
    return sql(GetParam() == "postgres"
                   ? "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND "
                     "table_name = 't'"
                   : "SELECT count(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name "
                     "= 't'");
  }
};

// In strata's transaction (SQLite, PostgreSQL): rolled back and retried until the other session
// lets go of its lock.
using TransactionalLockQueueTest = LockQueueTest;

TEST_P(TransactionalLockQueueTest, MigrationBlockedByAnotherSessionIsRetriedUntilThatSessionEnds) {
  write("migrations/2_x.up.sql", migration());
  Result r = run_while_locked(timeout_flag() + " --retries 5 --json up", "attempt 2 of 6");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json document = nlohmann::json::parse(r.out);
  ASSERT_EQ(document["migrations"].size(), 1u) << r.out;
  const int attempts = document["migrations"][0].value("attempts", 1);
  EXPECT_GE(attempts, 2) << r.out;
  // One progress line for each attempt that timed out.
  size_t lines = 0;
  for (size_t at = r.err.find("waited more than " + shown_timeout() + " for a lock ("); at != std::string::npos;
       at = r.err.find("waited more than " + shown_timeout() + " for a lock (", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, static_cast<size_t>(attempts - 1)) << r.err;
  // SQLite's write lock is taken by BEGIN IMMEDIATE, PostgreSQL's table lock by the statement.
  const std::string waiter = GetParam() == "sqlite" ? "2_x.up.sql (BEGIN)" : "2_x.up.sql:1";
  EXPECT_NE(r.err.find("      " + waiter + " waited more than " + shown_timeout()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("): rolled back; attempt 2 of 6 in "), std::string::npos) << r.err;
  EXPECT_EQ(version(), "2\n");
  EXPECT_EQ(rows_or_columns(), "2\n");
}

TEST_P(TransactionalLockQueueTest, WithoutRetriesTheTimeoutRollsBackAndNamesTheSetting) {
  write("migrations/2_x.up.sql", migration());
  Result r = run_while_locked(timeout_flag() + " --retries 0 up", "");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string where = GetParam() == "sqlite" ? "could not start: " : "failed at 2_x.up.sql:1: ";
  EXPECT_NE(r.err.find("strata: error: migration 2_x (up) " + where), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": it waited longer than --statement-lock-timeout (" + shown_timeout() +
                       ") for a lock that another session holds (1 attempt, --retries 0); "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("database still at version 1\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("attempt 2"), std::string::npos) << r.err;
  EXPECT_EQ(version(), "1\n");
  EXPECT_EQ(rows_or_columns(), "1\n");
}

INSTANTIATE_TEST_SUITE_P(Engines, TransactionalLockQueueTest, ::testing::Values("sqlite", "postgres"), engine_name);

// Outside a transaction (every migration on MySQL, NO TRANSACTION on PostgreSQL): nothing could
// roll back what ran, so a timeout is not retried but left dirty with the runbook.
using OutsideTransactionLockQueueTest = LockQueueTest;

TEST_P(OutsideTransactionLockQueueTest, TimeoutLeavesTheMigrationDirtyWithTheRunbook) {
  write("migrations/2_x.up.sql", "-- +strata NO TRANSACTION\n" + migration());
  Result r = run_while_locked(timeout_flag() + " --retries 3 up", "");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("strata: error: database is dirty at version 2: migration 2 (up) failed at 2_x.up.sql:2, "
                       "statement 1 of 1 (ALTER TABLE t ADD COLUMN x INTEGER): "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" (it waited longer than --statement-lock-timeout (" + shown_timeout() +
                       ") for a lock that another session holds; a migration outside a transaction is not retried); "
                       "repair the database by hand, then run `strata force 2` if the migration's changes are all in "
                       "place, or `strata force 1` if none of them are"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("attempt 2"), std::string::npos) << r.err;
  EXPECT_EQ(version(), "2 (dirty)\n");
  EXPECT_EQ(rows_or_columns(), "1\n") << "the statement that timed out changed nothing";
}

INSTANTIATE_TEST_SUITE_P(Engines, OutsideTransactionLockQueueTest, ::testing::Values("postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
