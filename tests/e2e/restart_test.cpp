// The database server restarted while a migration runs (docs/reliability.md, "Server restarts").
// strata is paused at a fault-injection point (runner/pause_point.hpp) with its connection
// open, the server is restarted, and strata resumed: it must fail at once with one clear error
// (no hang, no signal, no password), never continue on a new session without its lock, and
// leave the database as documented (PostgreSQL: previous version, clean; MariaDB: dirty once a
// statement ran); the documented repair and `up` must then complete.
//
// Restarting a server would break every other test using it, so each engine gets a private
// instance of scripts/test-dbs.sh (its own data directory, cluster, ports and password), and
// each engine's scenario is one test: ctest runs tests in parallel, and two tests restarting one
// server would disturb each other. A lock file serialises runs of the same engine's test across
// processes (two builds' test runs at once). Needs root, like scripts/test-dbs.sh.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

// The private instance. The password is distinctive so that its absence from messages means
// something (the shared servers' password is "strata", like every error line's prefix).
const char* const k_root = "/tmp/strata-restart-dbs";
const char* const k_password = "RestartPw4711";
const char* const k_pg_port = "55433";
const char* const k_my_port = "53307";

class RestartTest : public ProcessTest {
 protected:
  void SetUp() override {
    // The server must run before EngineTest makes the test's schema on it.
    ASSERT_EQ(geteuid(), 0u) << "the server-restart tests must run as root: scripts/test-dbs.sh starts a private "
                                "PostgreSQL and MariaDB as the postgres and mysql users (CI runs the tests as root)";
    ASSERT_NO_FATAL_FAILURE(lock_instance());
    std::string output;
    ASSERT_EQ(server_script("start-" + server_name(), output), 0) << output;
    ProcessTest::SetUp();
    if (HasFatalFailure()) return;
    // As in crash_test.cpp: 1_a applied first, the run under test is `up` from version 1.
    write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
    write("migrations/2_b.up.sql",
          "CREATE TABLE b1 (id INTEGER);\nINSERT INTO b1 VALUES (1);\nCREATE TABLE b2 (id INTEGER);\n");
    write("migrations/2_b.down.sql", "DROP TABLE b2;\nDROP TABLE b1;\n");
    write("migrations/3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
    write("migrations/3_c.down.sql", "DROP TABLE c;\n");
    Result first = run("up 1");
    ASSERT_EQ(first.exit_code, 0) << first.err;
  }

  void TearDown() override {
    if (!m_schema.empty()) ProcessTest::TearDown();
    if (m_lock_fd >= 0) ::close(m_lock_fd);  // releases the flock
  }

  std::string server_url() const override {
    if (postgres())
      return std::string("postgres://strata:") + k_password + "@127.0.0.1:" + k_pg_port +
             "/strata_test?sslmode=disable";
    return std::string("mysql://strata:") + k_password + "@127.0.0.1:" + k_my_port + "/strata_test";
  }

  bool postgres() const { return GetParam() == "postgres"; }
  std::string server_name() const { return postgres() ? "postgres" : "mysql"; }

  // Holds /tmp/strata-restart-dbs.<engine>.lock until TearDown (O_CLOEXEC: a server started
  // meanwhile must not inherit it).
  void lock_instance() {
    std::string path = std::string(k_root) + "." + GetParam() + ".lock";
    m_lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(m_lock_fd, 0) << "cannot open " << path;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
    while (::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "another run holds " << path << " for 240 s";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // scripts/test-dbs.sh COMMAND on the private instance; its exit status, its output in `output`.
  int server_script(const std::string& command, std::string& output) const {
    fs::path script = fs::path(STRATA_TESTDATA).parent_path() / "scripts" / "test-dbs.sh";
    fs::path log = dir() / ".test-dbs";
    std::string line =
        std::string("env STRATA_TEST_DB_ROOT=") + k_root + " PG_CLUSTER=strata_restart PG_PORT=" + k_pg_port +
        " MY_PORT=" + k_my_port + " DB_USER=strata DB_PASS=" + k_password + " DB_NAME=strata_test bash " +
        shell_quote(script.string()) + " " + command + " </dev/null >" + shell_quote(log.string()) + " 2>&1";
    int status = std::system(line.c_str());
    output = slurp(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Starts `up` paused at `point`, restarts the server while strata waits there with its
  // connection open, resumes it, and returns how the run ended (bounded: a hang fails).
  Result up_across_a_restart(const std::string& point, const std::string& tag) {
    Background& b = start_paused("up", point, tag);
    if (!b.exited) {
      auto before = std::chrono::steady_clock::now();
      std::string output;
      EXPECT_EQ(server_script("restart-" + server_name(), output), 0) << output;
      // "stopped": the server was running, with strata's connection, and went down.
      EXPECT_NE(output.find(postgres() ? "PostgreSQL stopped" : "MariaDB stopped"), std::string::npos) << output;
      m_restart_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
    }
    auto resumed = std::chrono::steady_clock::now();
    resume(b);
    Result r = finish(b, 20);
    m_run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - resumed).count();
    std::cout << "[restart] " << GetParam() << " paused at " << point << ": server restarted in " << m_restart_seconds
              << " s; strata exited " << r.exit_code << " " << m_run_seconds << " s after resuming:\n"
              << r.err;
    return r;
  }

  // One error line, nothing else alarming, no password anywhere.
  void expect_one_clean_error(const Result& r) const {
    size_t errors = 0;
    for (size_t at = r.err.find("strata: error:"); at != std::string::npos; at = r.err.find("strata: error:", at + 1)) {
      EXPECT_TRUE(at == 0 || r.err[at - 1] == '\n') << r.err;
      ++errors;
    }
    EXPECT_EQ(errors, 1u) << r.err;
    EXPECT_EQ(r.err.find(k_password), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find(k_password), std::string::npos) << r.out;
  }

  void expect_version_1_clean(const std::string& history_before) {
    EXPECT_EQ(checked_version(), "1\n");
    EXPECT_EQ(table_count("b1"), "0\n") << "a statement of the interrupted migration stayed applied";
    EXPECT_EQ(table_count("b2"), "0\n");
    EXPECT_EQ(history(), history_before);
  }

  int m_lock_fd = -1;
  double m_restart_seconds = 0;
  double m_run_seconds = 0;
};

// The error line for a migration whose session the restart ended: where it stopped, strata's
// "lost the connection to <redacted URL> (and the migration lock with it)" with libpq's or the
// server's reason (which of the two libpq sees first depends on timing), and the outcome.
void expect_postgres_lost(const Result& r, const std::string& where, const std::string& outcome) {
  EXPECT_EQ(r.err.find("strata: error: migration 2_b (up) " + where +
                       ": lost the connection to postgres://strata:***@"
                       "127.0.0.1:" +
                       k_pg_port + "/"),
            r.err.find("strata: error: "))
      << r.err;
  EXPECT_NE(r.err.find(" (and the migration lock with it): "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(outcome + "database still at version 1\n"), std::string::npos) << r.err;
}

// The MySQL client's error for a connection the server closed: 2013 when the query was sent
// and no answer came, 2006 when it could not be sent.
bool mysql_lost_connection(const std::string& text) {
  return text.find("Lost connection to server during query (MySQL error 2013, SQLSTATE HY000)") != std::string::npos ||
         text.find("server has gone away (MySQL error 2006") != std::string::npos;
}

TEST_P(RestartTest, ServerRestartedDuringAMigration) {
  const std::string runbook =
      "; repair the database by hand, then run `strata force 2` if the migration's changes are all in place, or "
      "`strata force 1` if none of them are and then `strata up` to retry it\n";
  const std::string dirty = "database is dirty at version 2: migration 2 ";

  // 1. Restart while strata waits before statement 2 of 2_b (statement 1 ran).
  {
    SCOPED_TRACE("restart before statement 2 of 2_b");
    std::string history_before = history();
    Result r = up_across_a_restart("statement:2:2", "between");
    expect_one_clean_error(r);
    if (postgres()) {
      // The server rolled the transaction back when it ended the session.
      EXPECT_EQ(r.exit_code, 1) << r.err;
      expect_postgres_lost(r, "failed at 2_b.up.sql:2", "; rolled back, ");
      expect_version_1_clean(history_before);
    } else {
      // Statement 1 committed and the version is dirty: the dirty state with the lost
      // connection, at the statement that could not be sent.
      EXPECT_EQ(r.exit_code, 3) << r.err;
      EXPECT_TRUE(mysql_lost_connection(r.err)) << r.err;
      EXPECT_NE(r.err.find("strata: error: " + dirty +
                           "(up) failed at 2_b.up.sql:2, statement 2 of 3 (INSERT "
                           "INTO b1 VALUES (1)): "),
                std::string::npos)
          << r.err;
      EXPECT_NE(r.err.find(runbook), std::string::npos) << r.err;
      EXPECT_EQ(checked_version(), "2 (dirty)\n");
      EXPECT_EQ(table_count("b1"), "1\n");
      EXPECT_EQ(table_count("b2"), "0\n");
      std::string history_after = history();
      EXPECT_EQ(history_after.rfind(history_before, 0), 0u) << history_after;
      EXPECT_EQ(history_after.find("2|up|applied"), std::string::npos) << history_after;
      // The failure could not be recorded on the dead connection; the next runs read the
      // `running` row written before statement 1.
      Result status = run("status");
      EXPECT_NE(status.out.find("version 2 (dirty), 1 pending"), std::string::npos) << status.out;
      EXPECT_NE((status.out + status.err).find(dirty), std::string::npos) << status.out << status.err;
      Result refused = run("up");
      EXPECT_EQ(refused.exit_code, 3) << refused.err;
      EXPECT_EQ(refused.err.rfind("strata: error: " + dirty +
                                      "(up) did not finish: its process ended or lost its connection while running "
                                      "statement 1 of 3 (2_b.up.sql:1: CREATE TABLE b1",
                                  0),
                0u)
          << refused.err;
      EXPECT_EQ(refused.err.size() - std::min(refused.err.size(), runbook.size()), refused.err.rfind(runbook))
          << refused.err;
      // The runbook: statement 1 is the only change; undo it and retry.
      sql("DROP TABLE b1");
      Result force = run("force 1");
      ASSERT_EQ(force.exit_code, 0) << force.err;
    }
    expect_up_completes("3", {"b1", "b2", "c"});
  }

  // Back to version 1 for the second case.
  Result down = run("down 2");
  ASSERT_EQ(down.exit_code, 0) << down.err;
  ASSERT_EQ(checked_version(), "1\n");

  // 2. Restart while strata waits before 2_b starts: nothing of it done yet (on MariaDB not
  // even the dirty mark), so every engine is left clean at version 1.
  {
    SCOPED_TRACE("restart before 2_b starts");
    std::string history_before = history();
    Result r = up_across_a_restart("start:2", "start");
    expect_one_clean_error(r);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    if (postgres()) {
      expect_postgres_lost(r, "could not start", "; ");
    } else {
      EXPECT_EQ(r.err.find("strata: error: migration 2_b (up) could not start: "), r.err.find("strata: error: "))
          << r.err;
      EXPECT_TRUE(mysql_lost_connection(r.err)) << r.err;
      EXPECT_NE(r.err.find("; database still at version 1\n"), std::string::npos) << r.err;
    }
    expect_version_1_clean(history_before);
    expect_up_completes("3", {"b1", "b2", "c"});
  }
}

INSTANTIATE_TEST_SUITE_P(Restart, RestartTest, ::testing::Values("postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
