// The runner against a real SQLite file behind a fault-injecting driver: a failure at each point
// of a transactional step and of a step outside a transaction leaves exactly the documented
// state (docs/architecture.md#the-dirty-protocol), and the error says the truth about it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "runner/runner.hpp"
#include "support/fault_driver.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace strata {
namespace {

using testing::FaultDriver;
using Call = FaultDriver::Call;
using Effect = FaultDriver::Effect;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = m_temp.path();
    fs::create_directory(m_dir / "migrations");
    DatabaseUrl url = parse_database_url("sqlite:" + (m_dir / "t.db").string());
    m_driver = std::make_unique<FaultDriver>(drivers::open_driver(url, {}));
    m_tracker.emplace(*m_driver, TableName{"", "schema_migrations"});
    write("1_a.up.sql", "CREATE TABLE a (id INTEGER);");
    m_tracker->ensure_tables();
    up();  // version 1, clean, one history row
  }
  void TearDown() override {
    m_tracker.reset();
    m_driver.reset();
  }

  void write(const std::string& name, const std::string& text) { std::ofstream(m_dir / "migrations" / name) << text; }
  // Plans `up` over the current state and executes it.
  void up(runner::ExecuteOptions options = {}) {
    source::Source source = source::load_source(m_dir / "migrations", Dialect::sqlite);
    runner::DatabaseView view = runner::read_view(*m_tracker, source);
    planner::Plan plan = planner::plan_up(runner::plan_inputs(source, view, false), std::nullopt);
    m_done.clear();
    runner::execute(*m_driver, *m_tracker, runner::prepare(plan, source, true), m_progress, m_done, m_control, options);
  }
  // What the database says, read past the faults.
  tracker::VersionState state() { return tracker::Tracker(m_driver->real(), m_tracker->table()).read_state(); }
  std::vector<tracker::HistoryEntry> history() {
    return tracker::Tracker(m_driver->real(), m_tracker->table()).read_history();
  }
  bool has_table(const std::string& name) { return m_driver->real().table_exists(TableName{"", name}); }

  // Expects `up()` to throw E and returns its message.
  template <typename E>
  std::string up_fails(runner::ExecuteOptions options = {}) {
    try {
      up(std::move(options));
    } catch (const E& error) {
      return error.what();
    }
    ADD_FAILURE() << "up() did not throw the expected error";
    return {};
  }

  void expect_still_at_version_1() {
    EXPECT_EQ(state().version, 1);
    EXPECT_FALSE(state().dirty);
    ASSERT_EQ(history().size(), 1u);
    EXPECT_EQ(history().back().outcome, tracker::Outcome::applied);
  }

  strata::testing::TempDir m_temp{"strata-runner"};
  fs::path m_dir;
  std::unique_ptr<FaultDriver> m_driver;
  std::optional<tracker::Tracker> m_tracker;
  runner::Progress m_progress;
  runner::RunControl* m_control = nullptr;
  std::vector<runner::StepResult> m_done;
};

constexpr const char* k_two_statements = "CREATE TABLE b (id INTEGER);\nINSERT INTO b VALUES (1);\n";
constexpr const char* k_outside =
    "-- +strata NO TRANSACTION\nCREATE TABLE b (id INTEGER);\nCREATE TABLE c (id INTEGER);\n";

// ------------------------------------------------------------------ in a transaction

TEST_F(RunnerTest, TransactionThatCannotBeginLeavesTheDatabaseAsItWas) {
  write("2_b.up.sql", k_two_statements);
  m_driver->fail(Call::begin, 1);
  EXPECT_EQ(up_fails<DriverError>(),
            "migration 2_b (up) could not start: fault: injected error; database still at version 1");
  expect_still_at_version_1();
  EXPECT_FALSE(has_table("b"));
}

TEST_F(RunnerTest, FailingStatementRollsTheWholeStepBack) {
  write("2_b.up.sql", k_two_statements);
  m_driver->fail_on("INSERT INTO b");
  EXPECT_EQ(up_fails<DriverError>(),
            "migration 2_b (up) failed at 2_b.up.sql:2: fault: injected error; rolled back, database still at "
            "version 1");
  expect_still_at_version_1();
  EXPECT_FALSE(has_table("b"));
}

TEST_F(RunnerTest, FailingVersionRowWriteRollsTheStepBack) {
  write("2_b.up.sql", k_two_statements);
  m_driver->fail_on("INSERT INTO \"schema_migrations\" (version, dirty)");
  EXPECT_EQ(up_fails<DriverError>(),
            "migration 2_b (up) failed at the version-table update: fault: injected error; rolled back, database "
            "still at version 1");
  expect_still_at_version_1();
  EXPECT_FALSE(has_table("b"));
}

TEST_F(RunnerTest, FailingCommitRollsTheStepBack) {
  write("2_b.up.sql", k_two_statements);
  m_driver->fail(Call::commit, 1, Effect::disconnect);
  EXPECT_EQ(up_fails<DriverError>(),
            "migration 2_b (up) failed at the version-table update: fault: the connection is gone; rolled back, "
            "database still at version 1");
  expect_still_at_version_1();
  EXPECT_FALSE(has_table("b"));
}

TEST_F(RunnerTest, StepThatRanOutOfTheStatementLockTimeoutIsRolledBackAndRetried) {
  write("2_b.up.sql", k_two_statements);
  m_driver->fail_on("INSERT INTO b", Effect::lock_timeout, 2);
  std::vector<runner::Retry> retries;
  m_progress.retrying = [&](const runner::PreparedStep&, const runner::Retry& retry) { retries.push_back(retry); };
  std::vector<std::chrono::milliseconds> slept;
  runner::ExecuteOptions options;
  options.statement_lock_timeout = std::chrono::milliseconds(250);
  options.retries = 3;
  options.sleep = [&](std::chrono::milliseconds delay) { slept.push_back(delay); };
  up(options);
  EXPECT_EQ(m_driver->lock_timeout(), std::chrono::milliseconds(250)) << "the setting reaches the driver";
  ASSERT_EQ(m_done.size(), 1u);
  EXPECT_EQ(m_done[0].attempts, 3);
  ASSERT_EQ(retries.size(), 2u);
  EXPECT_EQ(retries[0].attempt, 1);
  EXPECT_EQ(retries[1].attempt, 2);
  EXPECT_EQ(retries[0].attempts, 4);
  EXPECT_EQ(retries[0].where, "2_b.up.sql:2");
  EXPECT_EQ(retries[0].error, "fault: canceling statement due to lock timeout");
  ASSERT_EQ(slept.size(), 2u);
  EXPECT_EQ(slept[0], retries[0].delay);
  // 1 s, then 2 s, each with up to ±50 % jitter.
  EXPECT_GE(slept[0].count(), 500);
  EXPECT_LE(slept[0].count(), 1500);
  EXPECT_GE(slept[1].count(), 1000);
  EXPECT_LE(slept[1].count(), 3000);
  EXPECT_EQ(state().version, 2);
  EXPECT_FALSE(state().dirty);
  ASSERT_EQ(history().size(), 2u) << "one applied row, no trace of the attempts that were rolled back";
  EXPECT_EQ(history().back().outcome, tracker::Outcome::applied);
}

TEST_F(RunnerTest, LockTimeoutWithNoRetriesLeftNamesTheSettingAndRollsBack) {
  write("2_b.up.sql", k_two_statements);
  m_driver->fail_on("CREATE TABLE b", Effect::lock_timeout, 5);
  runner::ExecuteOptions options;
  options.statement_lock_timeout = std::chrono::milliseconds(1500);
  options.retries = 1;
  options.sleep = [](std::chrono::milliseconds) {};
  EXPECT_EQ(up_fails<DriverError>(options),
            "migration 2_b (up) failed at 2_b.up.sql:1: fault: canceling statement due to lock timeout: it waited "
            "longer than --statement-lock-timeout (1.5 s) for a lock that another session holds (2 attempts, "
            "--retries 1); rolled back, database still at version 1");
  expect_still_at_version_1();
}

TEST_F(RunnerTest, OtherFailuresAreNotRetried) {
  write("2_b.up.sql", k_two_statements);
  m_driver->fail_on("INSERT INTO b");
  int retries = 0;
  m_progress.retrying = [&](const runner::PreparedStep&, const runner::Retry&) { ++retries; };
  runner::ExecuteOptions options;
  options.retries = 3;
  options.sleep = [](std::chrono::milliseconds) {};
  up_fails<DriverError>(options);
  EXPECT_EQ(retries, 0);
  expect_still_at_version_1();
}

TEST_F(RunnerTest, RetryDelaysDoubleUpToTheCap) {
  runner::ExecuteOptions options;
  options.retry_delay = std::chrono::milliseconds(1000);
  EXPECT_EQ(runner::retry_delay(options, 1, 1.0), std::chrono::milliseconds(1000));
  EXPECT_EQ(runner::retry_delay(options, 3, 1.0), std::chrono::milliseconds(4000));
  EXPECT_EQ(runner::retry_delay(options, 3, 0.5), std::chrono::milliseconds(2000));
  EXPECT_EQ(runner::retry_delay(options, 20, 1.5), std::chrono::milliseconds(45000));
}

// ------------------------------------------------------------------ outside a transaction

TEST_F(RunnerTest, StepOutsideATransactionThatCannotMarkDirtyChangesNothing) {
  write("2_b.up.sql", k_outside);
  m_driver->fail(Call::commit_with, 1);
  EXPECT_EQ(up_fails<DriverError>().rfind("migration 2_b (up) could not start: ", 0), 0u);
  expect_still_at_version_1();
  EXPECT_FALSE(has_table("b"));
}

TEST_F(RunnerTest, FailingStatementOutsideATransactionLeavesItDirtyWithTheFailureRecorded) {
  write("2_b.up.sql", k_outside);
  m_driver->fail_on("CREATE TABLE c");
  EXPECT_EQ(up_fails<DirtyError>(),
            "database is dirty at version 2: migration 2 (up) failed at 2_b.up.sql:3, statement 2 of 2 (CREATE TABLE "
            "c (id INTEGER)): fault: injected error; repair the database by hand, then run `strata force 2` if the "
            "migration's changes are all in place, or `strata force 1` if none of them are and then `strata up` to "
            "retry it");
  EXPECT_TRUE(has_table("b"));  // statement 1 stays: nothing could roll it back
  EXPECT_FALSE(has_table("c"));
  EXPECT_EQ(state().version, 2);
  EXPECT_TRUE(state().dirty);
  const std::vector<tracker::HistoryEntry> rows = history();
  ASSERT_EQ(rows.size(), 2u) << "the running row became the failed row";
  EXPECT_EQ(rows.back().outcome, tracker::Outcome::failed);
  const tracker::StepDetail* at = rows.back().detail_as<tracker::StepDetail>();
  ASSERT_NE(at, nullptr);
  EXPECT_EQ(at->statement, 2);
  EXPECT_EQ(at->line, 3);
  EXPECT_EQ(at->error, "fault: injected error");
}

TEST_F(RunnerTest, LockTimeoutOutsideATransactionIsNotRetriedAndTheRunbookNamesTheSetting) {
  write("2_b.up.sql", k_outside);
  m_driver->fail_on("CREATE TABLE b", Effect::lock_timeout);
  runner::ExecuteOptions options;
  options.statement_lock_timeout = std::chrono::milliseconds(2000);
  options.retries = 3;
  options.sleep = [](std::chrono::milliseconds) { ADD_FAILURE() << "a step outside a transaction is never retried"; };
  const std::string message = up_fails<DirtyError>(options);
  EXPECT_NE(message.find("failed at 2_b.up.sql:2, statement 1 of 2 (CREATE TABLE b (id INTEGER)): fault: canceling "
                         "statement due to lock timeout (it waited longer than --statement-lock-timeout (2 s) for a "
                         "lock that another session holds; a migration outside a transaction is not retried)"),
            std::string::npos)
      << message;
  EXPECT_EQ(state().version, 2);
  EXPECT_TRUE(state().dirty);
  EXPECT_EQ(history().back().outcome, tracker::Outcome::failed);
}

TEST_F(RunnerTest, LostConnectionMidStepLeavesTheRunningRowThatSaysWhatWasUnderWay) {
  write("2_b.up.sql", k_outside);
  m_driver->fail_on("CREATE TABLE c", Effect::disconnect);
  up_fails<DirtyError>();
  EXPECT_EQ(state().version, 2);
  EXPECT_TRUE(state().dirty);
  const std::vector<tracker::HistoryEntry> rows = history();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.back().outcome, tracker::Outcome::running) << "the failure could not be recorded";
  const tracker::StepDetail* under_way = rows.back().detail_as<tracker::StepDetail>();
  ASSERT_NE(under_way, nullptr);
  EXPECT_EQ(under_way->statement, 2);
  source::Source source = source::load_source(m_dir / "migrations", Dialect::sqlite);
  tracker::Tracker direct(m_driver->real(), m_tracker->table());
  EXPECT_EQ(runner::dirty_message(runner::read_view(direct, source), source)
                .rfind("database is dirty at version 2: migration 2 (up) did not finish: its process ended or lost its "
                       "connection while running statement 2 of 2 (2_b.up.sql:3: CREATE TABLE c (id INTEGER))",
                       0),
            0u);
}

TEST_F(RunnerTest, FailedRecordAfterEveryStatementRanSaysItsChangesAreInPlace) {
  write("2_b.up.sql", k_outside);
  m_driver->fail(Call::commit_with, 2);  // the first marks dirty, the second records the end
  EXPECT_EQ(up_fails<DirtyError>(),
            "database is dirty at version 2: migration 2_b (up) ran all its statements, but recording it failed: "
            "fault: injected error; its changes are all in place: run `strata force 2` once the database is "
            "reachable");
  EXPECT_TRUE(has_table("c"));
  EXPECT_EQ(state().version, 2);
  EXPECT_TRUE(state().dirty);
  EXPECT_EQ(history().back().outcome, tracker::Outcome::running);
}

// ------------------------------------------------------------------ stop requests

TEST_F(RunnerTest, StopRequestBeforeAStepIsInterruptedAndChangesNothing) {
  write("2_b.up.sql", k_two_statements);
  runner::RunControl control;
  control.signal.store(15);
  m_control = &control;
  EXPECT_EQ(up_fails<Interrupted>(), "interrupted by SIGTERM after 0 of 1 migration; database at version 1");
  expect_still_at_version_1();
}

}  // namespace
}  // namespace strata
