// The same end-to-end scenarios on every engine: the real binary against a real SQLite file,
// PostgreSQL server and MariaDB server, checked through each engine's own client (sqlite3,
// psql, mariadb). The servers come from scripts/test-dbs.sh; their URLs from
// STRATA_TEST_POSTGRES_URL / STRATA_TEST_MYSQL_URL. An unreachable server fails the test.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

using nlohmann::json;

TEST_P(EngineTest, ExampleSetGoesUpDownGotoAndRedo) {
  copy_testdata("example");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(version(), "5\n");
  EXPECT_EQ(sql("SELECT count(*) FROM roles"), "3\n");
  EXPECT_EQ(table_count("posts"), "1\n");
  EXPECT_EQ(run("up").err, "no change: database at version 5\n");

  json status = run("--json status").json();
  EXPECT_EQ(status["version"], 5);
  EXPECT_EQ(status["pending"], 0);
  for (const json& row : status["migrations"]) EXPECT_EQ(row["state"], "applied") << row.dump();

  EXPECT_EQ(run("down").exit_code, 0);
  EXPECT_EQ(version(), "4\n");
  Result down_to_2 = run("goto 2");
  EXPECT_EQ(down_to_2.exit_code, 0) << down_to_2.err;
  EXPECT_EQ(version(), "2\n");
  EXPECT_EQ(table_count("roles"), "0\n");
  Result redo = run("--json redo");
  EXPECT_EQ(redo.exit_code, 0) << redo.err;
  EXPECT_EQ(redo.json()["migrations"].size(), 2u);
  EXPECT_EQ(run("goto 5").exit_code, 0);
  EXPECT_EQ(version(), "5\n");

  Result all = run("down --all -y");
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(version(), "none\n");
  EXPECT_EQ(table_count("users"), "0\n");
  EXPECT_EQ(table_count("posts"), "0\n");
}

TEST_P(EngineTest, DryRunPrintsTheStatementsOfThisDialectAndChangesNothing) {
  copy_testdata("example");
  Result r = run("--json up --dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json plan = r.json()["plan"];
  ASSERT_EQ(plan.size(), 5u);
  std::string first = plan[0]["statements"][0]["sql"];
  const std::string expected_id = GetParam() == "postgres" ? "GENERATED ALWAYS AS IDENTITY"
                                  : GetParam() == "mysql"  ? "AUTO_INCREMENT"
                                                           : "AUTOINCREMENT";
  EXPECT_NE(first.find(expected_id), std::string::npos) << first;
  EXPECT_EQ(plan[4]["transaction"], false);
  EXPECT_EQ(plan[0]["transaction"], GetParam() != "mysql");
  EXPECT_EQ(table_count("schema_migrations"), "0\n");
}

TEST_P(EngineTest, FailureMidMigrationRollsBackOrLeavesAPreciseDirtyRecord) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_b.up.sql",
        "CREATE TABLE b (id INTEGER);\nINSERT INTO b VALUES (1);\n\nINSERT INTO nope VALUES (1);\n");
  Result r = run("up");
  if (GetParam() == "mysql") {
    // DDL commits implicitly: the dirty protocol, with the failing statement recorded.
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("strata: error: database is dirty at version 2: migration 2 (up) failed at 2_b.up.sql:4, "
                         "statement 3 of 3 (INSERT INTO nope VALUES (1)): "),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("run `strata force 2` if the migration's changes are all in place, or `strata force 1` if "
                         "none of them are"),
              std::string::npos);
    EXPECT_EQ(version(), "2 (dirty)\n");
    EXPECT_EQ(table_count("b"), "1\n");
    EXPECT_EQ(run("up").exit_code, 3);
    sql("DROP TABLE b");
    Result forced = run("force 1");
    EXPECT_EQ(forced.exit_code, 0) << forced.err;
  } else {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("strata: error: migration 2_b (up) failed at 2_b.up.sql:4: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("; rolled back, database still at version 1\n"), std::string::npos) << r.err;
    EXPECT_EQ(version(), "1\n");
    EXPECT_EQ(table_count("b"), "0\n");
  }
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER);\nINSERT INTO b VALUES (1);\n");
  Result fixed = run("up");
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  EXPECT_EQ(version(), "2\n");
  EXPECT_EQ(sql("SELECT count(*) FROM b"), "1\n");
}

TEST_P(EngineTest, NoTransactionFailureIsDirtyOnEveryEngine) {
  write("migrations/1_a.up.sql",
        "-- +strata NO TRANSACTION\nCREATE TABLE a (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
  Result r = run("--json up");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.json()["error"]["exit_code"], 3);
  EXPECT_EQ(run("--json version").json(), json::parse(R"({"version": 1, "dirty": true})"));
  EXPECT_EQ(run("--json status").json()["migrations"][0]["state"], "dirty");
}

TEST_P(EngineTest, GolangMigrateDatabaseContinuesFromItsVersion) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  write("migrations/3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
  // What golang-migrate leaves behind: its table with one row, and the schema it built.
  sql("CREATE TABLE a (id INTEGER)");
  sql("CREATE TABLE b (id INTEGER)");
  sql("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)");
  sql("INSERT INTO schema_migrations (version, dirty) VALUES (2, false)");
  EXPECT_EQ(version(), "2\n");
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(version(), "3\n");
  EXPECT_EQ(table_count("c"), "1\n");
  // golang-migrate reads one clean row with the new version.
  EXPECT_EQ(sql("SELECT count(*), max(version) FROM schema_migrations"), "1|3\n");
}

TEST_P(EngineTest, ConcurrentUpsApplyEachMigrationExactlyOnce) {
  for (int i = 1; i <= 12; ++i) {
    write(
        "migrations/" + std::to_string(i) + "_m.up.sql",
        "CREATE TABLE t" + std::to_string(i) + " (id INTEGER);\nINSERT INTO t" + std::to_string(i) + " VALUES (1);\n");
  }
  std::string command = "cd " + shell_quote(dir().string()) +
                        " && for i in 1 2 3 4; do (DATABASE_URL=" + shell_quote(m_url) + " " +
                        shell_quote(STRATA_BINARY) + " -q up >/dev/null 2>.err$i; echo $? >.rc$i) & done; wait";
  ASSERT_EQ(std::system(command.c_str()), 0);
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(read(".rc" + std::to_string(i)), "0\n") << read(".err" + std::to_string(i));
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations_history WHERE outcome = 'applied'"), "12\n");
  for (int i = 1; i <= 12; ++i) EXPECT_EQ(sql("SELECT count(*) FROM t" + std::to_string(i)), "1\n") << i;
  EXPECT_EQ(version(), "12\n");
}

TEST_P(EngineTest, EditedAppliedMigrationIsRefused) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  run("up");
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER, b INTEGER);\n");
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err.rfind("strata: error: 1_a.up.sql was edited after it was applied", 0), 0u) << r.err;
  EXPECT_EQ(run("--json status").json()["migrations"][0]["state"], "modified");
  Result validate = run("validate");
  EXPECT_EQ(validate.exit_code, 4);
  EXPECT_EQ(validate.err, r.err);
}

TEST_P(EngineTest, ErrorInsideAMultiLineStatementPointsAtItsLine) {
  write("migrations/1_a.up.sql",
        "-- a table\nCREATE TABLE a (\n  id INTEGER,\n  name VARCHAR(10) NOT NULL\n);\n"
        "INSERT INTO a (id, name)\nSELECT 1, 'x'\nFROM a WHERE id = = 1;\n");
  Result r = run("up");
  EXPECT_NE(r.exit_code, 0);
  // SQLite reports no position: the statement's first line. PostgreSQL and MySQL point at
  // the syntax error inside it.
  std::string where = GetParam() == "sqlite" ? "1_a.up.sql:6" : "1_a.up.sql:8";
  EXPECT_NE(r.err.find("failed at " + where), std::string::npos) << r.err;
}

TEST_P(EngineTest, ForceRecordsWhoForcedWhatFromWhichState) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  run("up");
  Result r = run("--json force 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json(), json::parse(R"({"version": 1, "dirty": false, "previous": {"version": 2, "dirty": false}})"));
  EXPECT_EQ(sql("SELECT outcome, version FROM schema_migrations_history ORDER BY id DESC LIMIT 1"), "forced|1\n");
  EXPECT_EQ(run("force none").exit_code, 0);
  EXPECT_EQ(version(), "none\n");
}

// Statements that take about three seconds, per dialect, and one that runs until cancelled.
const char* const k_slow_blocks =
    "-- +strata StatementBegin sqlite\n"
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 9000000) SELECT count(*) FROM c\n"
    "-- +strata StatementEnd\n"
    "-- +strata StatementBegin postgres\nSELECT pg_sleep(3)\n-- +strata StatementEnd\n"
    "-- +strata StatementBegin mysql\nSELECT SLEEP(3)\n-- +strata StatementEnd\n";
// k_slow_blocks with a SQLite statement of about 3 s, like the servers' (a second signal must
// still find it running).
const char* const k_three_second_blocks =
    "-- +strata StatementBegin sqlite\n"
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 30000000) SELECT count(*) FROM c\n"
    "-- +strata StatementEnd\n"
    "-- +strata StatementBegin postgres\nSELECT pg_sleep(3)\n-- +strata StatementEnd\n"
    "-- +strata StatementBegin mysql\nSELECT SLEEP(3)\n-- +strata StatementEnd\n";
const char* const k_endless_blocks =
    "-- +strata StatementBegin sqlite\n"
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000000000) SELECT count(*) FROM c\n"
    "-- +strata StatementEnd\n"
    "-- +strata StatementBegin postgres\nSELECT pg_sleep(120)\n-- +strata StatementEnd\n"
    "-- +strata StatementBegin mysql\nSELECT SLEEP(3)\n-- +strata StatementEnd\n";

// Runs `strata ARGS` in the background and, once it reports that `step` is being applied (so
// its signal handling is in place), waits `delay_ms` more, sends `signal` and waits for it.
Result run_and_signal(const EngineTest& test, const std::string& url, const std::string& args, const char* signal,
                      const std::string& step, int delay_ms, int times = 1) {
  std::string kills;
  for (int i = 0; i < times; ++i) kills += std::string(i > 0 ? "sleep 0.3; " : "") + "kill -" + signal + " $pid; ";
  std::string command = "cd " + shell_quote(test_dir_of(test).string()) + " && { DATABASE_URL=" + shell_quote(url) +
                        " " + shell_quote(STRATA_BINARY) + " " + args + " </dev/null >.out 2>.err & pid=$!; i=0; " +
                        "until grep -q " + shell_quote("applying " + step) +
                        " .err 2>/dev/null || [ $i -ge 600 ]; do sleep 0.05; i=$((i+1)); done; sleep " +
                        std::to_string(delay_ms / 1000.0) + "; " + kills + "wait $pid; echo $? >.rc; }";
  std::system(command.c_str());
  Result result;
  result.exit_code = std::stoi(slurp(test_dir_of(test) / ".rc"));
  result.out = slurp(test_dir_of(test) / ".out");
  result.err = slurp(test_dir_of(test) / ".err");
  return result;
}

TEST_P(EngineTest, CtrlCRollsBackATransactionalMigrationAtOnce) {
  write("migrations/1_slow.up.sql",
        std::string("CREATE TABLE a (id INTEGER);\n") + k_endless_blocks + "CREATE TABLE b (id INTEGER);\n");
  auto started = std::chrono::steady_clock::now();
  Result r = run_and_signal(*this, m_url, "up", "INT", "1_slow", 700);
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
  EXPECT_NE(r.err.find("SIGINT received: "), std::string::npos) << r.err;
  if (GetParam() == "mysql") {
    // No transactional DDL: the first Ctrl-C lets the migration finish; nothing is left pending.
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("SIGINT received: finishing the running migration, which runs outside a transaction"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(version(), "1\n");
    EXPECT_EQ(table_count("b"), "1\n");
  } else {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("strata: error: interrupted by SIGINT: migration 1_slow (up) rolled back, database still at "
                         "version none\n"),
              std::string::npos)
        << r.err;
    EXPECT_LT(seconds, 20) << "the running statement was not cancelled";
    EXPECT_EQ(version(), "none\n");
    EXPECT_EQ(table_count("a"), "0\n");
    EXPECT_EQ(table_count("b"), "0\n");
  }
}

TEST_P(EngineTest, FirstSigtermFinishesANonTransactionalMigrationAndStopsBeforeTheNext) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_slow.up.sql", std::string("-- +strata NO TRANSACTION\nCREATE TABLE b (id INTEGER);\n") +
                                        k_slow_blocks + "CREATE TABLE c (id INTEGER);\n");
  write("migrations/3_after.up.sql", "CREATE TABLE d (id INTEGER);\n");
  ASSERT_EQ(run("up 1").exit_code, 0);
  Result r = run_and_signal(*this, m_url, "up", "TERM", "2_slow", 700);
  EXPECT_EQ(r.exit_code, 1) << r.err << "\npending migrations were left: not 0";
  EXPECT_NE(r.err.find("SIGTERM received: finishing the running migration, which runs outside a transaction, then "
                       "stopping before the next one"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("strata: error: interrupted by SIGTERM after 1 of 2 migrations; database at version 2\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(version(), "2\n") << "clean: the migration finished";
  EXPECT_EQ(table_count("c"), "1\n");
  EXPECT_EQ(table_count("d"), "0\n");
  EXPECT_EQ(run("up").exit_code, 0);
}

TEST_P(EngineTest, SecondSigtermStopsANonTransactionalMigrationAfterTheCurrentStatement) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_slow.up.sql", std::string("-- +strata NO TRANSACTION\nCREATE TABLE b (id INTEGER);\n") +
                                        k_three_second_blocks + "CREATE TABLE c (id INTEGER);\n");
  ASSERT_EQ(run("up 1").exit_code, 0);
  Result r = run_and_signal(*this, m_url, "--json up", "TERM", "2_slow", 700, 2);
  EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
  EXPECT_NE(r.err.find("SIGTERM again: stopping after the current statement; the migration will be left dirty, with "
                       "the stop recorded (send it a third time to end strata at once)"),
            std::string::npos)
      << r.err;
  const std::string message =
      "database is dirty at version 2: migration 2 (up) was interrupted by SIGTERM after statement 2 of 3; the next "
      "statement was 2_slow.up.sql:12 (CREATE TABLE c (id INTEGER)); repair the database by hand, then run `strata "
      "force 2` if the migration's changes are all in place, or `strata force 1` if none of them are and then `strata "
      "up` to retry it";
  EXPECT_EQ(r.json()["error"]["message"], message) << r.out;
  EXPECT_EQ(version(), "2 (dirty)\n");
  EXPECT_EQ(table_count("b"), "1\n");
  EXPECT_EQ(table_count("c"), "0\n");
  // Every later command repeats the same runbook.
  Result again = run("up");
  EXPECT_EQ(again.exit_code, 3);
  EXPECT_EQ(again.err, "strata: error: " + message + "\n");
}

TEST_P(EngineTest, InterruptBetweenMigrationsStopsCleanly) {
  write("migrations/1_slow.up.sql", std::string("-- +strata NO TRANSACTION\n") + k_slow_blocks);
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  Result r = run_and_signal(*this, m_url, "up", "INT", "1_slow", 700);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("strata: error: interrupted by SIGINT after 1 of 2 migrations; database at version 1\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(version(), "1\n");
  EXPECT_EQ(table_count("b"), "0\n");
  EXPECT_EQ(run("up").exit_code, 0);
}

// The servers' locks, held by a slow migration of another strata process (SQLite's file lock
// is covered by Cli.LockHeldByAnotherProcessTimesOutWithExitFive).
class ServerEngineTest : public EngineTest {};

TEST_P(ServerEngineTest, SecondRunnerWaitsForTheLockAndTimesOutWithExitFive) {
  write("migrations/1_slow.sql",
        "-- +strata Up\n-- +strata StatementBegin postgres\nSELECT pg_sleep(4)\n-- +strata StatementEnd\n"
        "-- +strata StatementBegin mysql\nSELECT SLEEP(4)\n-- +strata StatementEnd\n");
  std::string command = "cd " + shell_quote(dir().string()) + " && (DATABASE_URL=" + shell_quote(m_url) + " " +
                        shell_quote(STRATA_BINARY) + " -q up >/dev/null 2>.slow-err; echo $? >.slow-rc) &";
  ASSERT_EQ(std::system(command.c_str()), 0);
  sleep(1);
  Result r = run("--lock-timeout 1 up");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.err.rfind("waiting for the migration lock of schema_migrations (up to 1 s): held by ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\nstrata: error: could not take the migration lock"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(GetParam() == "postgres" ? "; if that session is dead or stuck, end it with `SELECT "
                                                  "pg_terminate_backend("
                                                : "; if that connection is dead or stuck, end it with `KILL "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find(":" + m_server.password.value_or("") + "@"), std::string::npos) << "password printed: " << r.err;
  for (int i = 0; i < 100 && !fs::exists(dir() / ".slow-rc"); ++i) usleep(100 * 1000);
  EXPECT_EQ(read(".slow-rc"), "0\n") << read(".slow-err");
  EXPECT_EQ(version(), "1\n");
}

TEST_P(EngineTest, WaitSucceedsAndStatusExitCodeReportsPending) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  EXPECT_EQ(run("wait --timeout 5").exit_code, 0);
  EXPECT_EQ(run("status --exit-code").exit_code, 6);
  run("up");
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
}

TEST_P(ServerEngineTest, VersionTableNameIsHonouredAndSchemaQualifiedOnPostgres) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  if (GetParam() == "postgres") {
    std::string table = m_schema + "_ops.versions";
    Result r = run("--table " + table + " up");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sql("SELECT version, dirty FROM " + table), "1|f\n");
    EXPECT_EQ(sql("SELECT outcome FROM " + table + "_history"), "applied\n");
    EXPECT_EQ(run("--table " + table + " version").out, "1\n");
    EXPECT_EQ(version(), "none\n") << "the default table is a different one";
    sql("DROP SCHEMA " + m_schema + "_ops CASCADE");
  } else {
    EXPECT_EQ(run("--table app.versions up").exit_code, 2);
    Result r = run("--table app_versions up");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sql("SELECT version, dirty FROM app_versions"), "1|0\n");
  }
}

// A DATABASE_URL written for dbmate or golang-migrate sets the schema with search_path=: strata's
// tables go there on PostgreSQL, as dbmate's would; MySQL has no such variable and says so
// (docs/drivers.md).
TEST_P(ServerEngineTest, SearchPathInTheUrlIsTheSchemaOfTheVersionTableOnPostgres) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  if (GetParam() == "mysql") {
    Result r = run_with_url(m_url + "?search_path=app", "up");
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("unsupported parameter 'search_path'"), std::string::npos) << r.err;
    return;
  }
  std::string url = m_server.redacted;
  url.replace(url.find("***"), 3, *m_server.password);
  url += std::string(url.find('?') == std::string::npos ? "?" : "&") + "search_path=" + m_schema;
  Result r = run_with_url(url, "up");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sql("SELECT version, dirty FROM " + m_schema + ".schema_migrations"), "1|f\n");
  EXPECT_EQ(sql("SELECT count(*) FROM " + m_schema + ".a"), "0\n");
  EXPECT_EQ(run_with_url(url, "version").out, "1\n");
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);
INSTANTIATE_TEST_SUITE_P(Servers, ServerEngineTest, ::testing::Values("postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
