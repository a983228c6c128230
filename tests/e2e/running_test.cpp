// A migration that is running now is reported as running, never as interrupted (issue 12): the
// run is held at a pause point in the middle of a non-transactional migration while the
// operator's commands look at the database.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

using json = nlohmann::json;

class RunningTest : public ProcessTest {
 protected:
  void SetUp() override {
    ProcessTest::SetUp();
    write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
    write("migrations/2_b.up.sql",
          "-- +strata NO TRANSACTION\nCREATE TABLE b1 (id INTEGER);\nCREATE TABLE b2 (id INTEGER);\n"
          "CREATE TABLE b3 (id INTEGER);\n");
    ASSERT_EQ(run("up 1").exit_code, 0);
  }
};

TEST_P(RunningTest, ARunningMigrationIsRunningNotInterrupted) {
  Background& b = start_paused("up", "statement:2:2", "run");

  Result status = run("status");
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.err.find("database is marked dirty at version 2 because migration 2 (up) is running now, not "
                            "because it failed: the migration lock is held by "),
            std::string::npos)
      << status.err;
  EXPECT_NE(status.err.find("; wait for it to finish (`strata up` waits up to --lock-timeout for the lock) and do not "
                            "run `strata force` while it runs\n"),
            std::string::npos)
      << status.err;
  EXPECT_EQ(status.err.find("did not finish"), std::string::npos) << "no false runbook";
  EXPECT_EQ(status.err.find("repair the database"), std::string::npos) << status.err;
  if (GetParam() == "sqlite") {
    EXPECT_NE(status.err.find("held by pid " + std::to_string(b.pid)), std::string::npos) << status.err;
  }
  EXPECT_EQ(run("status --exit-code").exit_code, 5) << "running: try again later, not dirty (3)";

  const json running = run("--json status").json()["runbook"];
  EXPECT_EQ(running["cause"], "running");
  EXPECT_EQ(running["migration"], 2);
  EXPECT_EQ(running["file"], "2_b.up.sql");
  EXPECT_FALSE(running["holder"].get<std::string>().empty());
  EXPECT_EQ(running["repair"], nullptr);

  Result version = run("version");
  EXPECT_EQ(version.out, "2 (dirty)\n");
  EXPECT_NE(version.err.find("is running now"), std::string::npos) << version.err;

  // force keeps refusing while the lock is held, and a second up waits, saying for whom.
  Result force = run("--lock-timeout 1 force 1");
  EXPECT_EQ(force.exit_code, 5);
  EXPECT_NE(force.err.find("waiting for the migration lock of schema_migrations (up to 1 s): held by "),
            std::string::npos)
      << force.err;
  EXPECT_NE(force.err.find(", end it with `"), std::string::npos) << "says how to end a dead holder: " << force.err;

  resume(b);
  Result done = finish(b);
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
}

// The same while the server is in the middle of a slow statement (no pause point: the shipped path).
TEST_P(RunningTest, AMigrationInTheMiddleOfAStatementIsRunning) {
  write("migrations/3_slow.up.sql",
        "-- +strata NO TRANSACTION\nCREATE TABLE s1 (id INTEGER);\n"
        "-- +strata StatementBegin sqlite\n"
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 30000000) SELECT count(*) FROM c\n"
        "-- +strata StatementEnd\n"
        "-- +strata StatementBegin postgres\nSELECT pg_sleep(4)\n-- +strata StatementEnd\n"
        "-- +strata StatementBegin mysql\nSELECT SLEEP(4)\n-- +strata StatementEnd\n"
        "CREATE TABLE s2 (id INTEGER);\n");
  ASSERT_EQ(run("up 1").exit_code, 0) << "version 2";
  Background& b = start("up", "slow");
  // Wait until the slow statement is under way (its `running` row names statement 2).
  Result status;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = run("status");
  } while (status.err.find("statement 2 of 3") == std::string::npos && std::chrono::steady_clock::now() < deadline);
  EXPECT_NE(status.err.find("because migration 3 (up) is running now, not because it failed"), std::string::npos)
      << status.err;
  EXPECT_NE(status.err.find("and is at statement 2 of 3 (3_slow.up.sql:"), std::string::npos) << status.err;
  EXPECT_EQ(run("status --exit-code").exit_code, 5);
  Result done = finish(b);
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
}

TEST_P(RunningTest, AKilledRunIsInterruptedOnceItsLockIsGone) {
  Background& b = start_paused("up", "statement:2:2", "run");
  ::kill(b.pid, SIGKILL);
  finish(b);
  // MySQL frees a dead connection's GET_LOCK a moment later.
  Result status;
  for (int attempt = 0; attempt < 50; ++attempt) {
    status = run("status --exit-code");
    if (status.exit_code != 5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_NE(status.err.find("migration 2 (up) did not finish: its process ended or lost its connection while "
                            "running statement 1 of 3"),
            std::string::npos)
      << status.err;
}

INSTANTIATE_TEST_SUITE_P(Engines, RunningTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
