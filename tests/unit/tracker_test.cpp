// The tracker and the runner's dirty protocol on a real SQLite file.
#include "tracker/tracker.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "drivers/driver.hpp"
#include "runner/runner.hpp"
#include "runner/status.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace strata {
namespace {

class TrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = m_temp.path();
    fs::create_directory(m_dir / "migrations");
    DatabaseUrl url = parse_database_url("sqlite:" + (m_dir / "t.db").string());
    m_driver = drivers::open_driver(url, {});
    m_tracker.emplace(*m_driver, TableName{"", "schema_migrations"});
  }
  void TearDown() override {
    m_tracker.reset();
    m_driver.reset();
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(m_dir / "migrations" / name) << text; }
  source::Source source() { return source::load_source(m_dir / "migrations", Dialect::sqlite); }
  std::string scalar(const std::string& sql) { return m_driver->query(sql).at(0).at(0).value_or("NULL"); }

  // Plans `up` (or down) over the current state and executes it.
  void run(bool up, std::vector<runner::StepResult>& done) {
    source::Source src = source();
    runner::DatabaseView view = runner::read_view(*m_tracker, src);
    planner::Inputs in = runner::plan_inputs(src, view, false);
    planner::Plan plan = up ? planner::plan_up(in, std::nullopt) : planner::plan_down(in, 1);
    runner::execute(*m_driver, *m_tracker, runner::prepare(plan, src, true), {}, done);
  }

  testing::TempDir m_temp{"strata-tracker"};
  fs::path m_dir;
  std::unique_ptr<drivers::Driver> m_driver;
  std::optional<tracker::Tracker> m_tracker;
};

TEST_F(TrackerTest, MissingTablesReadAsNothingAppliedAndAreNotCreated) {
  EXPECT_EQ(m_tracker->read_state().version, std::nullopt);
  EXPECT_FALSE(m_tracker->read_state().dirty);
  EXPECT_TRUE(m_tracker->read_history().empty());
  EXPECT_FALSE(m_driver->table_exists(TableName{"", "schema_migrations"}));
}

TEST_F(TrackerTest, VersionRowRoundTripsIncludingDirtyNone) {
  m_tracker->ensure_tables();
  tracker::HistoryEntry running;
  running.outcome = tracker::Outcome::running;
  m_tracker->start_running(7, running);
  EXPECT_EQ(m_tracker->read_state().version, 7);
  EXPECT_TRUE(m_tracker->read_state().dirty);
  m_tracker->start_running(std::nullopt, running);
  EXPECT_EQ(scalar("SELECT version FROM schema_migrations"), "-1");  // golang-migrate's NilVersion
  EXPECT_EQ(m_tracker->read_state().version, std::nullopt);
  EXPECT_TRUE(m_tracker->read_state().dirty);
  m_tracker->force(std::nullopt, "", tracker::ForceOrigin{});
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), "0");
}

TEST_F(TrackerTest, MoreThanOneVersionRowIsAnError) {
  m_tracker->ensure_tables();
  m_driver->execute("INSERT INTO schema_migrations VALUES (1, 0), (2, 0)");
  try {
    m_tracker->read_state();
    FAIL();
  } catch (const DriverError& error) {
    EXPECT_STREQ(error.what(),
                 "version table schema_migrations holds 2 rows; it must hold at most one (see `strata force`)");
  }
}

TEST_F(TrackerTest, HistoryRecordsRoundTrip) {
  m_tracker->ensure_tables();
  tracker::HistoryEntry entry;
  entry.version = 3;
  entry.name = "add_x";
  entry.direction = Direction::up;
  entry.checksum = std::string(64, 'a');
  entry.duration_ms = 1.25;
  entry.outcome = tracker::Outcome::accepted;
  entry.detail = tracker::AcceptedChecksum{"3_add_x.up.sql", std::string(64, 'b')};
  m_tracker->accept({entry});
  m_tracker->force(3, "add_x", tracker::ForceOrigin{std::nullopt, true, ""});
  auto history = m_tracker->read_history();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].version, 3);
  EXPECT_EQ(history[0].name, "add_x");
  EXPECT_EQ(history[0].direction, Direction::up);
  EXPECT_EQ(history[0].checksum, std::string(64, 'a'));
  EXPECT_DOUBLE_EQ(history[0].duration_ms, 1.25);
  EXPECT_EQ(history[0].applied_at.size(), 20u);
  EXPECT_NE(history[0].applied_by.find('@'), std::string::npos);
  ASSERT_NE(history[0].detail_as<tracker::AcceptedChecksum>(), nullptr);
  EXPECT_EQ(history[0].detail_as<tracker::AcceptedChecksum>()->previous, std::string(64, 'b'));
  EXPECT_EQ(history[1].outcome, tracker::Outcome::forced);
  EXPECT_EQ(history[1].direction, std::nullopt);
  EXPECT_EQ(scalar("SELECT detail FROM schema_migrations_history WHERE id = " + std::to_string(history[1].id)),
            R"({"dirty":true,"from":null})");
  EXPECT_EQ(m_tracker->read_state().version, 3);
  EXPECT_LT(history[0].id, history[1].id);
}

// Every detail is written as the JSON the history table documents and read back as it was.
TEST_F(TrackerTest, DetailsRoundTripThroughTheirJson) {
  tracker::StepDetail failed;
  failed.direction = Direction::down;
  failed.file = "2_b.down.sql";
  failed.statements = 3;
  failed.before = 2;
  failed.statement = 2;
  failed.line = 4;
  failed.sql = "DROP TABLE b";
  failed.error = "no such table: b";
  const std::string text = tracker::detail_json(failed);
  EXPECT_EQ(text,
            R"({"after":null,"before":2,"direction":"down","error":"no such table: b","file":"2_b.down.sql","line":4,)"
            R"("sql":"DROP TABLE b","statement":2,"statements":3})");
  const tracker::Detail back = tracker::parse_detail(tracker::Outcome::failed, text);
  ASSERT_TRUE(std::holds_alternative<tracker::StepDetail>(back));
  EXPECT_EQ(std::get<tracker::StepDetail>(back).error, "no such table: b");
  EXPECT_EQ(std::get<tracker::StepDetail>(back).after, std::nullopt);
  EXPECT_EQ(tracker::detail_json(back), text);
  EXPECT_EQ(tracker::detail_json(tracker::BaselineDetail{false}), "");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(tracker::parse_detail(tracker::Outcome::failed, "not json")));
}

// The dirty mark with its `running` row, then the finish over that row: values travel as
// literals, so awkward text must come back exactly, and the version row keeps golang-migrate's
// types (an integer dirty flag).
TEST_F(TrackerTest, RunningRowIsStartedThenCompletedInPlaceWithLiteralValues) {
  m_tracker->ensure_tables();
  tracker::HistoryEntry entry;
  entry.version = 5;
  entry.name = "it's \"x\" \\ ?";
  entry.direction = Direction::up;
  entry.outcome = tracker::Outcome::running;
  tracker::StepDetail running;
  running.file = "5_x.up.sql";
  running.statement = 1;
  running.through = 1;
  running.sql = "INSERT INTO t VALUES ('a\\b')";
  entry.detail = running;
  const int64_t id = m_tracker->start_running(5, entry);
  EXPECT_EQ(m_tracker->read_state().version, 5);
  EXPECT_TRUE(m_tracker->read_state().dirty);
  EXPECT_EQ(scalar("SELECT typeof(dirty) FROM schema_migrations"), "integer");
  ASSERT_NE(m_tracker->read_history().back().detail_as<tracker::StepDetail>(), nullptr);
  EXPECT_EQ(m_tracker->read_history().back().detail_as<tracker::StepDetail>()->sql, running.sql);
  entry.outcome = tracker::Outcome::applied;
  entry.duration_ms = 12.5;
  entry.detail = std::monostate{};
  m_tracker->finish(id, 5, entry);
  EXPECT_EQ(m_tracker->read_state().version, 5);
  EXPECT_FALSE(m_tracker->read_state().dirty);
  EXPECT_EQ(scalar("SELECT dirty FROM schema_migrations"), "0");
  const auto history = m_tracker->read_history();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].id, id);
  EXPECT_EQ(history[0].name, "it's \"x\" \\ ?");
  EXPECT_EQ(history[0].outcome, tracker::Outcome::applied);
  EXPECT_DOUBLE_EQ(history[0].duration_ms, 12.5);
  EXPECT_EQ(scalar("SELECT detail FROM schema_migrations_history"), "NULL");
}

TEST_F(TrackerTest, HistoryStartsWithABaselineOnAGolangMigrateDatabase) {
  m_driver->execute("CREATE TABLE schema_migrations (version uint64, dirty bool)");
  m_driver->execute("INSERT INTO schema_migrations VALUES (4, 0)");
  m_tracker->ensure_tables();
  auto history = m_tracker->read_history();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].outcome, tracker::Outcome::baseline);
  EXPECT_EQ(history[0].version, 4);
}

TEST_F(TrackerTest, GooseTableIsReadByTheLatestRowOfEachVersion) {
  m_driver->execute(
      "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, "
      "is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))");
  m_driver->execute(
      "INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1), (1, 1), (2, 1), (5, 1), (2, 0), (3, 0), "
      "(3, 1)");
  std::optional<tracker::ForeignState> goose = m_tracker->find_foreign();
  ASSERT_TRUE(goose);
  EXPECT_EQ(goose->tool, tracker::ForeignTool::goose);
  EXPECT_EQ(goose->table.name, "goose_db_version");
  EXPECT_EQ(goose->versions, (std::vector<int64_t>{1, 3, 5}));
  EXPECT_FALSE(goose->occupies_version_table);
  EXPECT_FALSE(m_driver->table_exists(TableName{"", "schema_migrations"}));
}

TEST_F(TrackerTest, ImportRecordsTheVersionRowAndExactlyTheAppliedVersions) {
  m_driver->execute("CREATE TABLE gorp_migrations (id varchar(255) not null primary key, applied_at datetime)");
  m_driver->execute("INSERT INTO gorp_migrations VALUES ('1-a.sql', NULL), ('1_b.sql', NULL), ('3-c.sql', NULL)");
  std::optional<tracker::ForeignState> gorp = m_tracker->find_foreign();
  ASSERT_TRUE(gorp);
  EXPECT_EQ(gorp->versions, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(gorp->files.at(1), (std::vector<std::string>{"1-a.sql", "1_b.sql"}));
  m_tracker->import(*gorp);
  EXPECT_EQ(m_tracker->read_state().version, 3);
  auto history = m_tracker->read_history();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].outcome, tracker::Outcome::imported);
  EXPECT_EQ(scalar("SELECT detail FROM schema_migrations_history"),
            R"({"table":"gorp_migrations","tool":"sql-migrate","versions":[1,3]})");
  EXPECT_EQ(tracker::imported_versions(history[0]), (std::vector<int64_t>{1, 3}));
  EXPECT_FALSE(m_tracker->find_foreign());  // strata's tables win from now on
  EXPECT_EQ(scalar("SELECT count(*) FROM gorp_migrations"), "3");
}

TEST_F(TrackerTest, DbmateTableUnderTheVersionTableNameIsMovedAside) {
  m_driver->execute("CREATE TABLE schema_migrations (version varchar(128) primary key)");
  m_driver->execute("INSERT INTO schema_migrations VALUES ('20260102000000'), ('20260101000000')");
  std::optional<tracker::ForeignState> dbmate = m_tracker->find_foreign();
  ASSERT_TRUE(dbmate);
  EXPECT_EQ(dbmate->tool, tracker::ForeignTool::dbmate);
  EXPECT_TRUE(dbmate->occupies_version_table);
  EXPECT_EQ(dbmate->versions, (std::vector<int64_t>{20260101000000, 20260102000000}));
  m_driver->begin();
  m_tracker->import(*dbmate);
  m_driver->commit();
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations_dbmate"), "2");
  EXPECT_EQ(m_tracker->read_state().version, 20260102000000);
}

TEST_F(TrackerTest, EmptyVersionTableWithoutHistoryDoesNotHideAForeignTable) {
  // An import cut short on MySQL after it created the version table: the record is still dbmate's.
  m_driver->execute("CREATE TABLE schema_migrations_dbmate (version varchar(128) primary key)");
  m_driver->execute("INSERT INTO schema_migrations_dbmate VALUES ('7')");
  m_driver->execute("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)");
  std::optional<tracker::ForeignState> dbmate = m_tracker->find_foreign();
  ASSERT_TRUE(dbmate);
  EXPECT_EQ(dbmate->table.name, "schema_migrations_dbmate");
  EXPECT_FALSE(dbmate->occupies_version_table);
  m_tracker->import(*dbmate);
  EXPECT_EQ(m_tracker->read_state().version, 7);
  // A golang-migrate row makes the table strata's.
  m_driver->execute("DROP TABLE schema_migrations_history");
  EXPECT_FALSE(m_tracker->find_foreign());
}

TEST_F(TrackerTest, AppliedMigrationsRecordTheChecksumOfTheirFile) {
  write("1_a.up.sql", "CREATE TABLE a (id INTEGER);");
  m_tracker->ensure_tables();
  std::vector<runner::StepResult> done;
  run(true, done);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].version, 1);
  auto history = m_tracker->read_history();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].checksum, sha256_hex("CREATE TABLE a (id INTEGER);"));
  EXPECT_EQ(history[0].outcome, tracker::Outcome::applied);
  EXPECT_EQ(m_tracker->read_state().version, 1);
}

TEST_F(TrackerTest, FailedTransactionalMigrationLeavesNoTraceAtAll) {
  write("1_a.up.sql", "CREATE TABLE a (id INTEGER);");
  write("2_b.up.sql", "CREATE TABLE b (id INTEGER);\nINSERT INTO b VALUES (1);\nSELECT * FROM nope;");
  m_tracker->ensure_tables();
  std::vector<runner::StepResult> done;
  EXPECT_THROW(run(true, done), DriverError);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_FALSE(m_driver->table_exists(TableName{"", "b"}));
  EXPECT_EQ(m_tracker->read_state().version, 1);
  EXPECT_FALSE(m_tracker->read_state().dirty);
  EXPECT_EQ(m_tracker->read_history().size(), 1u);
}

TEST_F(TrackerTest, FailedNonTransactionalMigrationIsDirtyWithTheStatementRecorded) {
  write("1_a.up.sql", "CREATE TABLE a (id INTEGER);");
  write("2_b.up.sql", "-- +strata NO TRANSACTION\nCREATE TABLE b (id INTEGER);\nSELECT * FROM nope;");
  m_tracker->ensure_tables();
  std::vector<runner::StepResult> done;
  try {
    run(true, done);
    FAIL();
  } catch (const DirtyError& error) {
    EXPECT_STREQ(error.what(),
                 "database is dirty at version 2: migration 2 (up) failed at 2_b.up.sql:3, statement 2 of 2 (SELECT * "
                 "FROM nope): no such table: nope; repair the database by hand, then run `strata force 2` if the "
                 "migration's changes are all in place, or `strata force 1` if none of them are and then `strata up` "
                 "to retry it");
  }
  EXPECT_TRUE(m_driver->table_exists(TableName{"", "b"}));  // not rolled back: that is the point
  EXPECT_EQ(m_tracker->read_state().version, 2);
  EXPECT_TRUE(m_tracker->read_state().dirty);
  auto history = m_tracker->read_history();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].outcome, tracker::Outcome::failed);
  // A later command rebuilds the same runbook from the database alone.
  source::Source src = source();
  EXPECT_EQ(runner::dirty_message(runner::read_view(*m_tracker, src), src)
                .rfind("database is dirty at version 2: migration 2 (up) failed at 2_b.up.sql:3, statement 2 of 2", 0),
            0u);
}

TEST_F(TrackerTest, DirtyWithoutARecordedFailureSaysTheRunWasInterrupted) {
  write("1_a.up.sql", "");
  write("2_b.up.sql", "");
  m_tracker->ensure_tables();
  m_driver->execute("INSERT INTO schema_migrations (version, dirty) VALUES (2, 1)");  // another tool's dirty mark
  source::Source src = source();
  EXPECT_EQ(runner::dirty_message(runner::read_view(*m_tracker, src), src),
            "database is dirty at version 2: migration 2 was interrupted (no failing statement was recorded); repair "
            "the database by hand, then run `strata force 2` if the migration's changes are all in place, or `strata "
            "force 1` if none of them are and then `strata up` to retry it");
}

TEST_F(TrackerTest, DriftIsFoundOnlyForAppliedUpFiles) {
  write("1_a.up.sql", "CREATE TABLE a (id INTEGER);");
  write("1_a.down.sql", "DROP TABLE a;");
  write("2_b.up.sql", "CREATE TABLE b (id INTEGER);");
  m_tracker->ensure_tables();
  std::vector<runner::StepResult> done;
  run(true, done);
  run(false, done);  // 2 reverted: editing it is fine now
  write("2_b.up.sql", "CREATE TABLE b (id INTEGER, x TEXT);");
  write("1_a.down.sql", "DROP TABLE IF EXISTS a;");
  source::Source src = source();
  runner::DatabaseView view = runner::read_view(*m_tracker, src);
  EXPECT_TRUE(runner::find_drift(src, view).empty());

  write("1_a.up.sql", "CREATE TABLE a (id BIGINT);");
  std::vector<runner::Drift> drift = runner::find_drift(src, view);
  ASSERT_EQ(drift.size(), 1u);
  EXPECT_EQ(drift[0].file, "1_a.up.sql");
  EXPECT_EQ(drift[0].stored_checksum, sha256_hex("CREATE TABLE a (id INTEGER);"));
  EXPECT_EQ(drift[0].current_checksum, sha256_hex("CREATE TABLE a (id BIGINT);"));
  runner::StatusReport status = runner::build_status(src, view, drift, {});
  ASSERT_EQ(status.rows.size(), 2u);
  EXPECT_EQ(status.rows[0].state, "modified");
  EXPECT_EQ(status.rows[1].state, "pending");
  EXPECT_EQ(status.pending, 1u);
}

TEST_F(TrackerTest, AppliedMigrationWhoseFileIsGoneIsMissing) {
  write("1_a.up.sql", "");
  write("2_b.up.sql", "");
  m_tracker->ensure_tables();
  std::vector<runner::StepResult> done;
  run(true, done);
  fs::remove(m_dir / "migrations" / "2_b.up.sql");
  source::Source src = source();
  runner::DatabaseView view = runner::read_view(*m_tracker, src);
  runner::StatusReport status = runner::build_status(src, view, {}, {});
  ASSERT_EQ(status.rows.size(), 2u);
  EXPECT_EQ(status.rows[1].state, "missing");
  EXPECT_EQ(status.rows[1].name, "b");
}

}  // namespace
}  // namespace strata
