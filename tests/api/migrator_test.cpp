#include <atomic>
#include <thread>

#include "api/api_fixture.hpp"
#include "core/database_url.hpp"
#include "drivers/driver.hpp"

namespace strata::api_test {
namespace {

using e2e::engine_name;
using e2e::Result;

std::vector<int64_t> versions_of(const RunResult& result) {
  std::vector<int64_t> versions;
  for (const StepResult& step : result.steps) versions.push_back(step.version);
  return versions;
}

TEST_P(ApiTest, UpDownGotoRedoMoveTheVersionAsTheCliDoes) {
  copy_testdata("example");
  Migrator m = migrator();
  EXPECT_EQ(m.version().version, std::nullopt);
  EXPECT_TRUE(m.has_pending());

  RunResult up = m.up();
  EXPECT_EQ(up.from, std::nullopt);
  EXPECT_EQ(up.to, 5);
  EXPECT_EQ(versions_of(up), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(up.steps[2].name, "seed_roles");
  EXPECT_EQ(up.steps[2].direction, Direction::up);
  EXPECT_EQ(up.steps[2].statements, 4u);
  EXPECT_FALSE(m.has_pending());
  EXPECT_EQ(version(), "5\n");  // the CLI reads what the library wrote
  EXPECT_EQ(table_count("roles"), "1\n");

  RunResult again = m.up();
  EXPECT_TRUE(again.steps.empty());
  EXPECT_EQ(again.from, 5);
  EXPECT_EQ(again.to, 5);

  RunResult down = m.down(2);
  EXPECT_EQ(versions_of(down), (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(down.steps[0].direction, Direction::down);
  EXPECT_EQ(m.version().version, 3);

  EXPECT_EQ(versions_of(m.goto_version(1)), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(table_count("roles"), "0\n");
  RunResult redo = m.redo();
  ASSERT_EQ(redo.steps.size(), 2u);
  EXPECT_EQ(redo.steps[0].direction, Direction::down);
  EXPECT_EQ(redo.steps[1].direction, Direction::up);
  EXPECT_EQ(redo.to, 1);

  EXPECT_EQ(versions_of(m.up(2)), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(versions_of(m.down_all()), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_EQ(m.version().version, std::nullopt);
  EXPECT_EQ(table_count("users"), "0\n");
}

TEST_P(ApiTest, StatusListsEveryMigrationWithItsState) {
  copy_testdata("example");
  Migrator m = migrator();
  m.up(3);
  Status status = m.status();
  EXPECT_EQ(status.version, 3);
  EXPECT_FALSE(status.dirty);
  EXPECT_EQ(status.pending, 2u);
  ASSERT_EQ(status.migrations.size(), 5u);
  EXPECT_EQ(status.migrations[0].name, "create_users");
  EXPECT_EQ(status.migrations[0].state, MigrationState::applied);
  EXPECT_TRUE(status.migrations[0].applied_at.has_value());
  EXPECT_EQ(status.migrations[3].state, MigrationState::pending);
  EXPECT_STREQ(state_name(status.migrations[3].state), "pending");
  EXPECT_FALSE(status.runbook.has_value());

  // An applied file edited since: modified in status, refused by up and validate.
  write("migrations/000002_create_posts.up.sql", read("migrations/000002_create_posts.up.sql") + "\n-- edited\n");
  EXPECT_EQ(m.status().migrations[1].state, MigrationState::modified);
  EXPECT_THROW(m.up(), SourceError);
  EXPECT_THROW(m.validate(), SourceError);
  EXPECT_EQ(m.version().version, 3);
}

TEST_P(ApiTest, ReadOnlyCommandsWriteNothingAndTakeNoLock) {
  copy_testdata("example");
  Options options;
  options.lock_timeout = std::chrono::milliseconds(0);
  Migrator m = migrator(options);
  EXPECT_TRUE(m.has_pending());
  EXPECT_EQ(m.status().pending, 5u);
  EXPECT_EQ(m.plan(Request::up()).steps.size(), 5u);
  EXPECT_EQ(m.validate().migrations, 5u);
  EXPECT_EQ(table_count("schema_migrations"), "0\n");
  EXPECT_EQ(table_count("schema_migrations_history"), "0\n");

  // While another run holds the lock, the probes answer at once (a lock timeout of 0 would
  // throw if they waited for it) and up says who holds it.
  run("up 1");
  e2e::Background& holder = start_paused("up", "plan", "holder");
  EXPECT_EQ(m.version().version, 1);
  EXPECT_TRUE(m.has_pending());
  EXPECT_EQ(m.status().version, 1);
  EventLog log;
  options.on_event = log.callback();
  Migrator impatient = migrator(options);
  EXPECT_THROW(impatient.up(), LockTimeout);
  std::vector<Event> waiting = log.of(Event::Kind::lock_waiting);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_FALSE(waiting[0].holder.empty());
  EXPECT_NE(waiting[0].message.find(": held by " + waiting[0].holder), std::string::npos) << waiting[0].message;
  resume(holder);
  EXPECT_EQ(finish(holder).exit_code, 0);
  EXPECT_FALSE(m.has_pending());
}

TEST_P(ApiTest, PlanListsEveryStatementWithFileAndLine) {
  copy_testdata("example");
  Migrator m = migrator();
  m.up(2);
  Plan plan = m.plan(Request::up(1));
  EXPECT_EQ(plan.from, 2);
  EXPECT_EQ(plan.to, 3);
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].version, 3);
  EXPECT_TRUE(plan.steps[0].transaction || GetParam() == "mysql");
  ASSERT_EQ(plan.steps[0].statements.size(), 4u);
  EXPECT_EQ(plan.steps[0].statements[0].file, "000003_seed_roles.sql");
  EXPECT_EQ(plan.steps[0].statements[0].line, 3);
  EXPECT_EQ(plan.steps[0].statements[0].sql.rfind("CREATE TABLE roles", 0), 0u);
  Plan down = m.plan(Request::down_all());
  ASSERT_EQ(down.steps.size(), 2u);
  EXPECT_EQ(down.steps[0].direction, Direction::down);
  EXPECT_EQ(down.to, std::nullopt);
  EXPECT_EQ(m.version().version, 2);  // nothing ran
}

TEST_P(ApiTest, ForceSetsTheVersionAndReturnsWhatItReplaced) {
  copy_testdata("example");
  Migrator m = migrator();
  m.up(1);
  VersionInfo before = m.force(3);
  EXPECT_EQ(before.version, 1);
  EXPECT_FALSE(before.dirty);
  EXPECT_EQ(m.version().version, 3);
  EXPECT_THROW(m.force(42), UsageError);
  EXPECT_EQ(m.force(std::nullopt).version, 3);
  EXPECT_EQ(version(), "none\n");
  EXPECT_EQ(sql("SELECT outcome FROM schema_migrations_history ORDER BY id"), "applied\nforced\nforced\n");
}

TEST_P(ApiTest, ErrorsComeAsTheirKinds) {
  EXPECT_THROW(Migrator("nosuch://x", source()), UsageError);
  EXPECT_THROW(
      {
        Options options;
        options.table = "bad-name";
        Migrator(url(), source(), options);
      },
      UsageError);

  write("migrations/0001_ok.up.sql", "CREATE TABLE ok_table (id INT);\n");
  write("migrations/0002_bad.up.sql", "CREATE TABLE ok_two (id INT);\nINSERT INTO no_such_table VALUES (1);\n");
  EventLog log;
  Options options;
  options.on_event = log.callback();
  Migrator m = migrator(options);
  if (GetParam() == "mysql") {
    // No transactional DDL: the failed migration leaves the database dirty, with its runbook.
    try {
      m.up();
      ADD_FAILURE() << "up succeeded";
    } catch (const DirtyError& error) {
      ASSERT_TRUE(error.runbook().has_value());
      EXPECT_EQ(error.runbook()->file, "0002_bad.up.sql");
      EXPECT_EQ(error.runbook()->line, 2);
    }
    EXPECT_TRUE(m.status().dirty);
    EXPECT_THROW(m.up(), DirtyError);
    EXPECT_EQ(m.force(1).version, 2);
  } else {
    try {
      m.up();
      ADD_FAILURE() << "up succeeded";
    } catch (const DriverError& error) {
      EXPECT_NE(std::string(error.what()).find("0002_bad.up.sql:2"), std::string::npos) << error.what();
    }
    EXPECT_EQ(table_count("ok_two"), "0\n");  // rolled back
  }
  EXPECT_EQ(m.version().version, 1);
  std::vector<Event> failed = log.of(Event::Kind::migration_failed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].version, 2);

  write("migrations/0003_broken.up.sql", "SELECT 'unterminated;\n");
  EXPECT_THROW(m.validate(), SourceError);
}

TEST_P(ApiTest, EventsReportEachMigrationAndBatch) {
  copy_testdata("example");
  EventLog log;
  Options options;
  options.on_event = log.callback();
  Migrator m = migrator(options);
  m.up();
  EXPECT_EQ(log.of(Event::Kind::lock_acquired).size(), 1u);
  EXPECT_TRUE(log.of(Event::Kind::lock_waiting).empty());
  std::vector<Event> started = log.of(Event::Kind::migration_started);
  std::vector<Event> finished = log.of(Event::Kind::migration_finished);
  ASSERT_EQ(started.size(), 5u);
  ASSERT_EQ(finished.size(), 5u);
  EXPECT_EQ(started[0].version, 1);
  EXPECT_EQ(started[0].index, 1u);
  EXPECT_EQ(started[0].total, 5u);
  EXPECT_EQ(started[0].message, "[1/5] applying 000001_create_users");
  EXPECT_EQ(finished[4].version, 5);
  EXPECT_EQ(finished[4].index, 5u);
  EXPECT_EQ(finished[2].statements, 4u);
  std::vector<Event> batches = log.of(Event::Kind::batch_started);
  ASSERT_FALSE(batches.empty());
  EXPECT_EQ(batches[0].file, "000001_create_users.up.sql");
  EXPECT_GT(batches[0].line, 0);
  EXPECT_TRUE(log.of(Event::Kind::migration_failed).empty());
}

TEST_P(ApiTest, AStopRequestBeforeTheRunStopsItBeforeAnyMigration) {
  copy_testdata("example");
  Migrator m = migrator();
  m.request_stop();
  try {
    m.up();
    ADD_FAILURE() << "up ran";
  } catch (const Interrupted& error) {
    EXPECT_STREQ(error.what(), "interrupted by a stop request before any migration ran; no migration ran");
  }
  EXPECT_EQ(table_count("schema_migrations"), "0\n");
  m.clear_stop();
  EXPECT_EQ(m.up().steps.size(), 5u);
}

TEST_P(ApiTest, AStopRequestDuringARunStopsBeforeTheNextMigration) {
  copy_testdata("example");
  Migrator* self = nullptr;
  Options options;
  options.on_event = [&](const Event& event) {
    // From the callback, i.e. while the run is under way (any thread may call request_stop).
    if (event.kind == Event::Kind::migration_finished && event.version == 2) self->request_stop();
  };
  Migrator m = migrator(options);
  self = &m;
  try {
    m.up();
    ADD_FAILURE() << "up ran to its end";
  } catch (const Interrupted& error) {
    EXPECT_STREQ(error.what(), "interrupted by a stop request after 2 of 5 migrations; database at version 2");
  }
  EXPECT_EQ(m.version().version, 2);
  EXPECT_FALSE(m.status().dirty);
}

// Engines with transactional DDL.
class TransactionalApiTest : public ApiTest {};

TEST_P(TransactionalApiTest, AStopRequestFromAnotherThreadRollsBackATransactionalMigration) {
  write("migrations/0001_a.up.sql", "CREATE TABLE a (id INT);\n");
  write("migrations/0002_b.up.sql", "CREATE TABLE b (id INT);\nINSERT INTO b VALUES (1);\n");
  std::atomic<bool> in_b{false};
  std::atomic<bool> stopped{false};
  Options options;
  options.on_event = [&](const Event& event) {
    // Held at the first batch of 0002 until the other thread asked for the stop.
    if (event.kind == Event::Kind::batch_started && event.version == 2) {
      in_b = true;
      while (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  Migrator m = migrator(options);
  std::thread stopper([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!in_b && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    m.request_stop();
    stopped = true;
  });
  try {
    m.up();
    ADD_FAILURE() << "up ran to its end";
  } catch (const Interrupted& error) {
    EXPECT_STREQ(error.what(),
                 "interrupted by a stop request: migration 0002_b (up) rolled back, database still at version 1");
  }
  stopper.join();
  EXPECT_TRUE(in_b);
  EXPECT_EQ(m.version().version, 1);
  EXPECT_EQ(table_count("b"), "0\n");
}

TEST_P(ApiTest, ASecondStopRequestLeavesAMigrationOutsideATransactionDirtyAndRecorded) {
  // 1500 statements outside a transaction: two batches (a batch is the unit of stop requests).
  write("migrations/0001_table.up.sql", "CREATE TABLE many (id INT);\n");
  std::string body = "-- +strata NO TRANSACTION\n";
  for (int i = 0; i < 1500; ++i) body += "INSERT INTO many VALUES (" + std::to_string(i) + ");\n";
  write("migrations/0002_many.up.sql", body);
  Migrator* self = nullptr;
  Options options;
  options.on_event = [&](const Event& event) {
    if (event.kind == Event::Kind::batch_started && event.version == 2 && event.line == 2) {
      self->request_stop();  // the first: the migration runs to its end …
      self->request_stop();  // … unless a second comes: then it stops after the current batch
    }
  };
  Migrator m = migrator(options);
  self = &m;
  try {
    m.up();
    ADD_FAILURE() << "up ran to its end";
  } catch (const DirtyError& error) {
    ASSERT_TRUE(error.runbook().has_value());
    EXPECT_EQ(error.runbook()->cause, Runbook::Cause::interrupted);
    EXPECT_EQ(error.runbook()->signal, "a stop request");
    EXPECT_EQ(error.runbook()->statement, 1001);
  }
  VersionInfo state = m.version();
  EXPECT_EQ(state.version, 2);
  EXPECT_TRUE(state.dirty);
  EXPECT_EQ(sql("SELECT count(*) FROM many"), "1000\n");
}

// Readiness: N replicas start at once, each with its own Migrator. One migrates; the others wait
// on the lock (and say so through the callback), then find nothing left to do.
TEST_P(ApiTest, ReplicasStartingAtOnceApplyEachMigrationExactlyOnce) {
  copy_testdata("example");
  constexpr int k_replicas = 4;
  std::vector<EventLog> logs(k_replicas);
  std::vector<RunResult> results(k_replicas);
  std::vector<std::string> errors(k_replicas);
  std::atomic<int> ready{0};
  std::vector<std::thread> replicas;
  for (int i = 0; i < k_replicas; ++i) {
    replicas.emplace_back([&, i] {
      Options options;
      options.lock_timeout = std::chrono::seconds(60);
      EventCallback record = logs[i].callback();
      options.on_event = [record](const Event& event) {
        record(event);
        // The one that migrates holds the lock a while, so that the others find it held.
        if (event.kind == Event::Kind::migration_started) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      };
      try {
        Migrator m(url(), source(), options);
        ++ready;
        while (ready < k_replicas) std::this_thread::yield();
        results[i] = m.up();
      } catch (const std::exception& error) {
        errors[i] = error.what();
      }
    });
  }
  for (std::thread& replica : replicas) replica.join();
  int migrating = 0;
  int waited = 0;
  for (int i = 0; i < k_replicas; ++i) {
    EXPECT_EQ(errors[i], "") << "replica " << i;
    EXPECT_EQ(results[i].to, 5) << "replica " << i;
    if (!results[i].steps.empty()) {
      ++migrating;
      EXPECT_EQ(results[i].steps.size(), 5u);
    }
    if (!logs[i].of(Event::Kind::lock_waiting).empty()) ++waited;
  }
  EXPECT_EQ(migrating, 1);
  EXPECT_EQ(waited, k_replicas - 1);
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations_history WHERE outcome = 'applied'"), "5\n");
}

TEST_P(ApiTest, ASqlMigrateRecordIsImportedUnderTheLockAndReported) {
  write("migrations/1_a.sql", "-- +migrate Up\nCREATE TABLE sa (id INTEGER);\n-- +migrate Down\nDROP TABLE sa;\n");
  write("migrations/2_b.sql", "-- +migrate Up\nCREATE TABLE sb (id INTEGER);\n-- +migrate Down\nDROP TABLE sb;\n");
  make_gorp_table();
  sql("INSERT INTO gorp_migrations (id, applied_at) VALUES ('1_a.sql', CURRENT_TIMESTAMP)");
  sql("CREATE TABLE sa (id INTEGER)");
  EventLog log;
  Options options;
  options.on_event = log.callback();
  Migrator m = migrator(options);
  EXPECT_EQ(m.status().version, 1);  // read, not imported
  ASSERT_EQ(log.of(Event::Kind::reading_foreign).size(), 1u);
  EXPECT_EQ(table_count("schema_migrations"), "0\n");
  RunResult up = m.up();
  EXPECT_EQ(versions_of(up), (std::vector<int64_t>{2}));
  std::vector<Event> imported = log.of(Event::Kind::imported);
  ASSERT_EQ(imported.size(), 1u);
  EXPECT_NE(imported[0].message.find("gorp_migrations"), std::string::npos) << imported[0].message;
  EXPECT_EQ(sql("SELECT outcome FROM schema_migrations_history ORDER BY id"), "imported\napplied\n");
}

// A set compiled into the program (what strata_add_migrations generates), as the same files
// would be on disk: the CLI sees the same checksums.
const char k_users_up[] = "CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50));\n";
const char k_users_down[] = "DROP TABLE users;\n";
const char k_posts[] = "-- +strata Up\nCREATE TABLE posts (id INT PRIMARY KEY);\n-- +strata Down\nDROP TABLE posts;\n";
const EmbeddedFile k_files[] = {
    {"0001_users.down.sql", reinterpret_cast<const unsigned char*>(k_users_down), sizeof k_users_down - 1},
    {"0001_users.up.sql", reinterpret_cast<const unsigned char*>(k_users_up), sizeof k_users_up - 1},
    {"0002_posts.sql", reinterpret_cast<const unsigned char*>(k_posts), sizeof k_posts - 1},
};
const EmbeddedMigrations k_embedded = {"migrations", k_files, 3};

TEST_P(ApiTest, EmbeddedMigrationsRunAndMatchTheCliChecksums) {
  Migrator m(url(), MigrationSource::embedded(k_embedded));
  RunResult up = m.up();
  EXPECT_EQ(versions_of(up), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(table_count("posts"), "1\n");
  write("migrations/0001_users.up.sql", k_users_up);
  write("migrations/0001_users.down.sql", k_users_down);
  write("migrations/0002_posts.sql", k_posts);
  Result validate = run("validate");
  EXPECT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_EQ(versions_of(m.down()), (std::vector<int64_t>{2}));
  Result status = run("status --exit-code");
  EXPECT_EQ(status.exit_code, 6) << status.err;
}

TEST_P(TransactionalApiTest, AMigrationBlockedByAnotherSessionsLockIsRolledBackAndRetried) {
  write("migrations/0001_a.up.sql", "CREATE TABLE a (id INT);\n");
  write("migrations/0002_b.up.sql", "INSERT INTO a VALUES (1);\n");
  std::unique_ptr<drivers::Driver> holder = drivers::open_driver(parse_database_url(url()), drivers::OpenOptions{});
  EventLog log;
  Options options;
  options.statement_lock_timeout = std::chrono::milliseconds(100);
  options.retries = 2;
  options.on_event = [&](const Event& event) {
    log.callback()(event);
    if (event.kind == Event::Kind::migration_started && event.version == 2) {
      // Another session holds a lock the migration's INSERT waits for, as a long transaction would.
      holder->begin();
      holder->execute(GetParam() == "postgres" ? "LOCK TABLE a IN ACCESS EXCLUSIVE MODE" : "INSERT INTO a VALUES (0)");
    }
    if (event.kind == Event::Kind::retrying) holder->rollback();  // that session ends
  };
  Migrator m = migrator(options);
  RunResult up = m.up();
  EXPECT_EQ(versions_of(up), (std::vector<int64_t>{1, 2}));
  const std::vector<Event> retries = log.of(Event::Kind::retrying);
  ASSERT_EQ(retries.size(), 1u);
  EXPECT_EQ(retries[0].version, 2);
  EXPECT_EQ(retries[0].name, "b");
  // Where it waited: at the INSERT (PostgreSQL), or at BEGIN, which takes SQLite's write lock.
  const std::string where = GetParam() == "sqlite" ? "0002_b.up.sql (BEGIN)" : "0002_b.up.sql:1";
  EXPECT_EQ(retries[0].message.rfind("      " + where + " waited more than 0.1 s for a lock (", 0), 0u)
      << retries[0].message;
  EXPECT_NE(retries[0].message.find("rolled back; attempt 2 of 3 in "), std::string::npos) << retries[0].message;
  EXPECT_EQ(table_count("a"), "1\n");  // the migration's row, once; the other session's was rolled back
  EXPECT_EQ(m.version().version, 2);
}

// When the lock is never released, the error names the library's settings, not the CLI's flags.
TEST_P(TransactionalApiTest, ALockThatOutlastsTheRetriesIsAnErrorNamingTheOptions) {
  write("migrations/0001_a.up.sql", "CREATE TABLE a (id INT);\n");
  write("migrations/0002_b.up.sql", "INSERT INTO a VALUES (1);\n");
  std::unique_ptr<drivers::Driver> holder = drivers::open_driver(parse_database_url(url()), drivers::OpenOptions{});
  Options options;
  options.statement_lock_timeout = std::chrono::milliseconds(100);
  options.retries = 1;
  bool held = false;
  options.on_event = [&](const Event& event) {
    if (event.kind == Event::Kind::migration_started && event.version == 2 && !held) {
      held = true;
      holder->begin();
      holder->execute(GetParam() == "postgres" ? "LOCK TABLE a IN ACCESS EXCLUSIVE MODE" : "INSERT INTO a VALUES (0)");
    }
  };
  Migrator m = migrator(options);
  try {
    m.up();
    ADD_FAILURE() << "up() succeeded while another session held the lock";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("it waited longer than Options::statement_lock_timeout (0.1 s) for a lock that another "
                           "session holds (2 attempts, Options::retries 1)"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("--"), std::string::npos) << "no CLI flag in a library error: " << message;
  }
  holder->rollback();
  EXPECT_EQ(m.version().version, 1);
}

TEST_P(TransactionalApiTest, NegativeRetriesAreRefused) {
  Options options;
  options.retries = -1;
  EXPECT_THROW(migrator(options), UsageError);
}

// On SQLite a Migrator keeps the connection of its last command (a new one parses the schema
// again); what another process changes meanwhile is seen, and a connection to a file that was
// removed or replaced is not used again.
class SqliteApiTest : public ApiTest {};

TEST_P(SqliteApiTest, AKeptConnectionSeesOtherProcessesAndFollowsAReplacedFile) {
  copy_testdata("example");
  Migrator m = migrator();
  EXPECT_EQ(m.up().to, 5);
  ASSERT_EQ(run("down 2 -y").exit_code, 0);  // another process, between two commands
  EXPECT_EQ(m.version().version, 3);
  EXPECT_EQ(versions_of(m.up()), (std::vector<int64_t>{4, 5}));

  std::filesystem::remove(dir() / "test.db");  // replaced by an empty database (an empty file)
  std::ofstream(dir() / "test.db").close();
  EXPECT_TRUE(m.has_pending());
  EXPECT_EQ(versions_of(m.up()), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(version(), "5\n");  // written to the new file, not to the removed one
  EXPECT_EQ(table_count("roles"), "1\n");
}

INSTANTIATE_TEST_SUITE_P(Engines, SqliteApiTest, ::testing::Values("sqlite"), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, ApiTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);
INSTANTIATE_TEST_SUITE_P(Engines, TransactionalApiTest, ::testing::Values("sqlite", "postgres"), engine_name);

}  // namespace
}  // namespace strata::api_test
