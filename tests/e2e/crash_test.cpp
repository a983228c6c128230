// Crashes and interrupts at every point of a migration, on every engine (docs/reliability.md):
// strata is paused at a fault-injection point (runner/pause_point.hpp) and then killed with
// SIGKILL, sent SIGTERM, or has its connection killed by the server. Afterwards the database
// must be consistent (SQLite and PostgreSQL: previous version, clean, nothing of the migration
// left; MySQL: dirty at the migration's version, with what ran still there), and the next
// `force`/`up` must complete.
#include <algorithm>
#include <chrono>
#include <thread>

#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

// Statement 2 of 2_b: about two seconds on each engine.
const char* const k_slow_statement =
    "-- +strata StatementBegin sqlite\n"
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 6000000) SELECT count(*) FROM c\n"
    "-- +strata StatementEnd\n"
    "-- +strata StatementBegin postgres\nSELECT pg_sleep(2)\n-- +strata StatementEnd\n"
    "-- +strata StatementBegin mysql\nSELECT SLEEP(2)\n-- +strata StatementEnd\n";

enum class Point { start, between, mid, record };

class CrashTest : public ProcessTest {
 protected:
  // 1_a (applied before the crash), 2_b = CREATE TABLE b1; <slow>; CREATE TABLE b2 (line 11),
  // 3_c. The run under test is `up` from version 1.
  void SetUp() override {
    ProcessTest::SetUp();
    write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
    write("migrations/2_b.up.sql",
          std::string("CREATE TABLE b1 (id INTEGER);\n") + k_slow_statement + "CREATE TABLE b2 (id INTEGER);\n");
    write("migrations/3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
    Result first = run("up 1");
    ASSERT_EQ(first.exit_code, 0) << first.err;
  }

  bool mysql() const { return GetParam() == "mysql"; }

  // Starts `up` and stops it at `point` (for `mid`: 0.5 s into the slow statement 2).
  Background& stop_at(Point point, const std::string& args = "up") {
    std::string name = point == Point::start ? "start:2" : point == Point::record ? "record:2" : "statement:2:2";
    Background& b = start_paused(args, name, "run");
    if (point == Point::mid) {
      resume(b);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      EXPECT_FALSE(poll(b)) << "the slow statement ended too soon: " << slurp(dir() / ".err-run");
    }
    return b;
  }

  void expect_previous_version_and_clean() {
    EXPECT_EQ(checked_version(), "1\n");
    EXPECT_EQ(table_count("b1"), "0\n") << "a statement of the killed migration stayed applied";
    EXPECT_EQ(table_count("b2"), "0\n");
    EXPECT_EQ(history(), "1|up|applied\n");
  }

  // After the crash: `up` completes (after the MySQL repair the dirty message asks for).
  void expect_recovery(bool b1_there, bool b2_there) {
    if (mysql() && b1_there) {
      Result refused = run("up");
      EXPECT_EQ(refused.exit_code, 3) << refused.err;
      if (b2_there) {
        // Every statement ran: the migration is complete.
        ASSERT_EQ(run("force 2").exit_code, 0);
      } else {
        sql("DROP TABLE b1");
        ASSERT_EQ(run("force 1").exit_code, 0);
      }
    }
    expect_up_completes("3", {"b1", "b2", "c"});
  }

  // SIGKILL at `point`.
  void kill_at(Point point) {
    Background& b = stop_at(point);
    ASSERT_EQ(::kill(b.pid, SIGKILL), 0);
    Result killed = finish(b);
    EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
    fs::remove(pause_file("run"));
    if (!mysql() || point == Point::start) {
      // The open transaction died with the connection. On MySQL the start point comes before
      // the dirty mark, so there too nothing happened.
      expect_previous_version_and_clean();
      expect_recovery(false, false);
      return;
    }
    // MySQL: statement 1 (and at record, every statement) committed; the version says dirty.
    bool all = point == Point::record;
    EXPECT_EQ(checked_version(), "2 (dirty)\n");
    EXPECT_EQ(table_count("b1"), "1\n");
    EXPECT_EQ(table_count("b2"), all ? "1\n" : "0\n");
    // The `running` row written before each batch says which statement was under way.
    EXPECT_EQ(history(), "1|up|applied\n2|up|running\n");
    const std::string running =
        point == Point::between ? "statement 1 of 3 (2_b.up.sql:1: CREATE TABLE b1 (id INTEGER))"
        : point == Point::mid   ? "statement 2 of 3 (2_b.up.sql:9: SELECT SLEEP(2))"
                                : "statement 3 of 3 (2_b.up.sql:11: CREATE TABLE b2 (id INTEGER))";
    Result refused = run("up");
    EXPECT_EQ(refused.exit_code, 3);
    // MariaDB may still be finishing the killed client's SLEEP: then up first waits for its lock.
    if (refused.err.rfind("waiting for the migration lock", 0) == 0) refused.err.erase(0, refused.err.find('\n') + 1);
    EXPECT_EQ(refused.err,
              "strata: error: database is dirty at version 2: migration 2 (up) did not finish: its process ended or "
              "lost its connection while running " +
                  running +
                  "; those before it had run and none after it had started; repair the database by hand, then run "
                  "`strata force 2` if the migration's changes are all in place, or `strata force 1` if none of them "
                  "are and then `strata up` to retry it\n");
    expect_recovery(true, all);
  }

  // Waits until the run's stderr holds `text` (the watcher acknowledges each signal).
  void wait_for_err(const std::string& text) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (slurp(dir() / ".err-run").find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // SIGTERM at `point` (`presses` of them), then resume: the graceful path.
  void term_at(Point point, int presses = 1) {
    Background& b = stop_at(point);
    const bool outside = mysql() && point != Point::start;  // MySQL runs every migration outside a transaction
    ASSERT_EQ(::kill(b.pid, SIGTERM), 0);
    wait_for_err("SIGTERM received: ");
    if (presses == 2) {
      ASSERT_EQ(::kill(b.pid, SIGTERM), 0);
      if (!outside) {
        // Inside a transaction the first SIGTERM already stops: the second ends the process, and
        // the server rolls the transaction back.
        resume(b);
        Result r = finish(b);
        // Ended by the signal, or by its own rollback when that came first.
        EXPECT_TRUE(r.exit_code == 128 + SIGTERM || r.exit_code == 1) << r.exit_code << ": " << r.err;
        expect_previous_version_and_clean();
        return;
      }
      wait_for_err("SIGTERM again: stopping after the current statement");
    }
    auto resumed = std::chrono::steady_clock::now();
    resume(b);
    Result r = finish(b);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - resumed).count();
    EXPECT_NE(r.err.find(outside ? "SIGTERM received: finishing the running migration, which runs outside a "
                                   "transaction, then stopping before the next one (send it again to stop after the "
                                   "current statement instead, leaving the database dirty; a third time ends strata "
                                   "at once)"
                                 : "SIGTERM received: stopping"),
              std::string::npos)
        << r.err;
    const std::string rolled_back =
        "strata: error: interrupted by SIGTERM: migration 2_b (up) rolled back, database still at version 1\n";
    if (point == Point::record || (outside && presses == 1)) {
      // The migration runs to its end (its statements had all run, or it is outside a
      // transaction and the first SIGTERM lets it finish), and the run stops before 3.
      // The migration's statements all ran: it commits, and the run stops before 3.
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_NE(r.err.find("strata: error: interrupted by SIGTERM after 1 of 2 migrations; database at version 2\n"),
                std::string::npos)
          << r.err;
      EXPECT_EQ(checked_version(), "2\n");
      EXPECT_EQ(table_count("b2"), "1\n");
      EXPECT_EQ(table_count("c"), "0\n");
      EXPECT_EQ(history(), "1|up|applied\n2|up|applied\n");
      expect_recovery(false, false);
      return;
    }
    if (!mysql()) {
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_NE(r.err.find(rolled_back), std::string::npos) << r.err;
      // The slow statement is cancelled (mid) or never started (before it): no waiting it out.
      EXPECT_LT(seconds, 1.5) << "the slow statement ran to its end";
      expect_previous_version_and_clean();
      expect_recovery(false, false);
      return;
    }
    if (point == Point::start) {
      // Nothing of 2 ran: strata puts the version back to clean 1 itself.
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_NE(r.err.find("strata: error: interrupted by SIGTERM after 0 of 2 migrations; database at version 1\n"),
                std::string::npos)
          << r.err;
      expect_previous_version_and_clean();
      expect_recovery(false, false);
      return;
    }
    // MySQL, a second SIGTERM: a statement is never cut short. Between statements the run stops
    // before statement 2 (the signals came first); mid-statement it lets statement 2 end and
    // stops before statement 3. Either way it records where.
    EXPECT_EQ(r.exit_code, 3) << r.err;
    const std::string next = point == Point::between
                                 ? "after statement 1 of 3; the next statement was 2_b.up.sql:9 (SELECT SLEEP(2))"
                                 : "after statement 2 of 3; the next statement was 2_b.up.sql:11 (CREATE TABLE b2 (id "
                                   "INTEGER))";
    const std::string message =
        "database is dirty at version 2: migration 2 (up) was interrupted by SIGTERM " + next +
        "; repair the database by hand, then run `strata force 2` if the migration's changes are all in place, or "
        "`strata force 1` if none of them are and then `strata up` to retry it";
    EXPECT_NE(r.err.find("strata: error: " + message + "\n"), std::string::npos) << r.err;
    EXPECT_EQ(checked_version(), "2 (dirty)\n");
    EXPECT_EQ(table_count("b1"), "1\n");
    EXPECT_EQ(table_count("b2"), "0\n");
    EXPECT_EQ(history(), "1|up|applied\n2|up|failed\n");
    EXPECT_EQ(run("up").err, "strata: error: " + message + "\n");
    expect_recovery(true, false);
  }
};

TEST_P(CrashTest, KillBeforeTheFirstStatement) {
  kill_at(Point::start);
}
TEST_P(CrashTest, KillBetweenStatements) {
  kill_at(Point::between);
}
TEST_P(CrashTest, KillInsideARunningStatement) {
  kill_at(Point::mid);
}
TEST_P(CrashTest, KillBeforeTheVersionWrite) {
  kill_at(Point::record);
}

TEST_P(CrashTest, SigtermBeforeTheFirstStatement) {
  term_at(Point::start);
}
TEST_P(CrashTest, SigtermBetweenStatements) {
  term_at(Point::between);
}
TEST_P(CrashTest, SigtermInsideARunningStatement) {
  term_at(Point::mid);
}
TEST_P(CrashTest, SigtermBeforeTheVersionWrite) {
  term_at(Point::record);
}
TEST_P(CrashTest, SecondSigtermBetweenStatements) {
  term_at(Point::between, 2);
}
TEST_P(CrashTest, SecondSigtermInsideARunningStatement) {
  term_at(Point::mid, 2);
}

// The server ends strata's connection while a migration runs (an operator's
// pg_terminate_backend / KILL): strata must fail at once with a clear error, not hang and not
// go on without its lock.
class CrashServerTest : public CrashTest {
 protected:
  void SetUp() override {
    CrashTest::SetUp();
    // A column named after the test's schema makes statement 1 findable in pg_stat_activity.
    write("migrations/2_b.up.sql", "CREATE TABLE b1 (id INTEGER, " + m_schema + " INTEGER);\n" + k_slow_statement +
                                       "CREATE TABLE b2 (id INTEGER);\n");
  }

  void kill_connection() {
    if (GetParam() == "postgres") {
      // The strata backend holding an advisory lock whose last statement was 2_b's first one,
      // which names this test's schema (SetUp below).
      std::string pids =
          sql("SELECT pid FROM pg_stat_activity WHERE application_name = 'strata' AND datname = current_database() AND "
              "query LIKE '%" +
              m_schema +
              "%' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND "
              "granted)");
      ASSERT_EQ(std::count(pids.begin(), pids.end(), '\n'), 1) << "strata backends: " << pids;
      EXPECT_EQ(sql("SELECT pg_terminate_backend(" + pids.substr(0, pids.size() - 1) + ")"), "t\n");
    } else {
      std::string ids =
          sql("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> "
              "CONNECTION_ID()");
      ASSERT_EQ(std::count(ids.begin(), ids.end(), '\n'), 1) << "strata connections: " << ids;
      sql("KILL " + ids.substr(0, ids.size() - 1));
    }
  }
};

TEST_P(CrashServerTest, ConnectionKilledBetweenStatements) {
  Background& b = start_paused("up", "statement:2:2", "run");
  kill_connection();
  resume(b);
  Result r = finish(b, 20);
  if (GetParam() == "postgres") {
    // The transaction died with the backend: a clean failure, nothing to repair.
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("strata: error: migration 2_b (up) failed at 2_b.up.sql:6: lost the connection to "),
              std::string::npos)
        << r.err;
    // libpq reports the server's FATAL message or the closed socket, depending on timing.
    EXPECT_NE(r.err.find(" (and the migration lock with it): "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("; rolled back, database still at version 1\n"), std::string::npos) << r.err;
    expect_previous_version_and_clean();
    expect_recovery(false, false);
  } else {
    // Statement 1 committed and the version is dirty; the failure could not be recorded on the
    // dead connection, so the next run reads the `running` row written before statement 1.
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("strata: error: database is dirty at version 2: migration 2 (up) failed at 2_b.up.sql:"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(checked_version(), "2 (dirty)\n");
    EXPECT_EQ(table_count("b1"), "1\n");
    EXPECT_EQ(table_count("b2"), "0\n");
    const std::string again = run("up").err;
    EXPECT_NE(again.find("migration 2 (up) did not finish: its process ended or lost its connection while running "
                         "statement 1 of 3 (2_b.up.sql:1: CREATE TABLE b1 (id INTEGER"),
              std::string::npos)
        << again;
    expect_recovery(true, false);
  }
}

TEST_P(CrashServerTest, ConnectionKilledBeforeTheVersionWrite) {
  Background& b = start_paused("up", "record:2", "run");
  kill_connection();
  resume(b);
  Result r = finish(b, 20);
  if (GetParam() == "postgres") {
    // The statements and the version write share the transaction that died: nothing happened.
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("; rolled back, database still at version 1\n"), std::string::npos) << r.err;
    expect_previous_version_and_clean();
  } else {
    // Every statement ran; only the clean version is missing: dirty (exit 3), and it says so.
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_NE(r.err.find("strata: error: database is dirty at version 2: migration 2_b (up) ran all its statements, "
                         "but recording it failed: "),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("; its changes are all in place: run `strata force 2` once the database is reachable\n"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(checked_version(), "2 (dirty)\n");
    EXPECT_EQ(table_count("b2"), "1\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Crash, CrashTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);
INSTANTIATE_TEST_SUITE_P(Crash, CrashServerTest, ::testing::Values("postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
