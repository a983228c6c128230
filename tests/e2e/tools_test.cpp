// Migration sets and databases left by other tools, run unchanged on every engine: version 0
// (golang-migrate's first version), sql-migrate's file names and versions made of several
// files, and databases that goose, sql-migrate or dbmate migrated (docs/migrating.md).
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

using nlohmann::json;

class ToolsTest : public ProcessTest {};

TEST_P(ToolsTest, VersionZeroIsTheFirstVersionAndNoneIsBeforeIt) {
  write("migrations/0_initial.up.sql", "CREATE TABLE zero (id INTEGER);\n");
  write("migrations/0_initial.down.sql", "DROP TABLE zero;\n");
  write("migrations/1_next.up.sql", "CREATE TABLE one (id INTEGER);\n");
  write("migrations/1_next.down.sql", "DROP TABLE one;\n");

  json before = run("--json status").json();
  EXPECT_EQ(before["version"], nullptr);
  EXPECT_EQ(before["pending"], 2);
  EXPECT_EQ(before["migrations"][0]["version"], 0);
  EXPECT_EQ(before["migrations"][0]["state"], "pending");

  Result up = run("up 1");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(checked_version(), "0\n");
  EXPECT_EQ(run("--json version").json(), json::parse(R"({"version":0,"dirty":false})"));
  EXPECT_EQ(sql("SELECT version, dirty FROM schema_migrations"), GetParam() == "postgres" ? "0|f\n" : "0|0\n");
  EXPECT_EQ(table_count("zero"), "1\n");
  EXPECT_EQ(run("--json status").json()["pending"], 1);

  expect_up_completes("1", {"zero", "one"});
  EXPECT_EQ(run("goto 0").exit_code, 0);
  EXPECT_EQ(checked_version(), "0\n");
  EXPECT_EQ(table_count("one"), "0\n");

  Result down = run("down");
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.err.find("database at version none"), std::string::npos) << down.err;
  EXPECT_EQ(checked_version(), "none\n");
  EXPECT_EQ(table_count("zero"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations"), "0\n");

  // force 0 records version 0 applied; force none and force -1 record nothing applied.
  Result force_zero = run("force 0");
  EXPECT_EQ(force_zero.exit_code, 0) << force_zero.err;
  EXPECT_EQ(force_zero.out, "0\n");
  json status = run("--json status").json();
  EXPECT_EQ(status["version"], 0);
  EXPECT_EQ(status["migrations"][0]["state"], "applied");
  EXPECT_EQ(status["migrations"][1]["state"], "pending");
  EXPECT_EQ(run("force -1").out, "none\n");
  EXPECT_EQ(checked_version(), "none\n");
  EXPECT_EQ(run("--json status").json()["pending"], 2);
  EXPECT_EQ(sql("SELECT version, outcome FROM schema_migrations_history WHERE outcome = 'forced' ORDER BY id"),
            "0|forced\n-1|forced\n");

  Result create = run("create later");
  EXPECT_EQ(create.exit_code, 0) << create.err;
  EXPECT_EQ(create.out, "./migrations/2_later.up.sql\n./migrations/2_later.down.sql\n");
}

TEST_P(ToolsTest, GolangMigrateDatabaseAtVersionZeroIsPickedUp) {
  write("migrations/0_initial.up.sql", "CREATE TABLE zero (id INTEGER);\n");
  write("migrations/1_next.up.sql", "CREATE TABLE one (id INTEGER);\n");
  sql("CREATE TABLE zero (id INTEGER)");
  sql("CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)");
  sql("INSERT INTO schema_migrations (version, dirty) VALUES (0, false)");
  EXPECT_EQ(checked_version(), "0\n");
  expect_up_completes("1", {"zero", "one"});
  EXPECT_EQ(history(), "0||baseline\n1|up|applied\n");
}

// sql-migrate's naming: dash names, and two files sharing a version.
class PartsTest : public ToolsTest {
 protected:
  void write_parts() {
    write("migrations/1-a.sql",
          "-- +migrate Up\nCREATE TABLE pa (id INTEGER);\nINSERT INTO pa VALUES (1);\n-- +migrate Down\nDROP TABLE "
          "pa;\n");
    write("migrations/1_b.sql",
          "-- +migrate Up\nCREATE TABLE pb (id INTEGER);\n-- +migrate Down\nDELETE FROM pa;\nDROP TABLE pb;\n");
    write("migrations/20180805174141-tournaments.sql",
          "-- +migrate Up\nCREATE TABLE tournaments (id INTEGER);\n-- +migrate Down\nDROP TABLE tournaments;\n");
  }
};

TEST_P(PartsTest, FilesSharingAVersionRunAsOneStepInNameOrder) {
  write_parts();
  json status = run("--json status").json();
  ASSERT_EQ(status["migrations"].size(), 2u);
  EXPECT_EQ(status["migrations"][0]["name"], "a");
  EXPECT_EQ(status["migrations"][0]["parts"], json::parse(R"(["1-a.sql","1_b.sql"])"));
  EXPECT_FALSE(status["migrations"][1].contains("parts"));

  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.err.find("[1/2] applying 1-a\n[1/2] applied 1-a ("), 0u) << up.err;
  EXPECT_NE(up.err.find("[2/2] applying 20180805174141-tournaments\n"), std::string::npos) << up.err;
  EXPECT_EQ(checked_version(), "20180805174141\n");
  EXPECT_EQ(history(), "1|up|applied\n20180805174141|up|applied\n");
  EXPECT_EQ(sql("SELECT name FROM schema_migrations_history ORDER BY id"), "a\ntournaments\n");

  // Down runs each part's Down in reverse name order: 1_b.sql empties pa before 1-a drops it.
  ASSERT_EQ(run("down 2").exit_code, 0);
  EXPECT_EQ(checked_version(), "none\n");
  EXPECT_EQ(table_count("pa"), "0\n");
  EXPECT_EQ(table_count("pb"), "0\n");
  expect_up_completes("20180805174141", {"pa", "pb", "tournaments"});
}

TEST_P(PartsTest, AFailingPartNamesItsOwnFileAndTheStepRunsAsOne) {
  write_parts();
  write("migrations/1_c.sql", "-- +migrate Up\nCREATE TABLE pc (id INTEGER);\n\nINSERT INTO nope VALUES (1);\n");
  Result up = run("up");
  if (GetParam() == "mysql") {
    // No transactional DDL: the whole version runs under the dirty protocol.
    EXPECT_EQ(up.exit_code, 3) << up.err;
    EXPECT_NE(up.err.find("migration 1 (up) failed at 1_c.sql:4, statement 5 of 5 (INSERT INTO nope VALUES (1))"),
              std::string::npos)
        << up.err;
    EXPECT_EQ(checked_version(), "1 (dirty)\n");
    return;
  }
  EXPECT_EQ(up.exit_code, 1) << up.err;
  EXPECT_NE(up.err.find("strata: error: migration 1-a (up) failed at 1_c.sql:4: "), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("rolled back, database still at version none"), std::string::npos) << up.err;
  EXPECT_EQ(checked_version(), "none\n");
  EXPECT_EQ(table_count("pa"), "0\n");  // the parts that ran are rolled back with the one that failed
  EXPECT_EQ(table_count("pc"), "0\n");
}

TEST_P(PartsTest, EditingOrAddingAPartIsDrift) {
  write_parts();
  ASSERT_EQ(run("up").exit_code, 0);
  write("migrations/1_c.sql", "-- +migrate Up\nCREATE TABLE pc (id INTEGER);\n");
  Result validate = run("validate");
  EXPECT_EQ(validate.exit_code, 4) << validate.err;
  EXPECT_EQ(validate.err.rfind(
                "strata: error: version 1 (1-a.sql, 1_b.sql, 1_c.sql) changed after it was applied: a part was "
                "edited, added or removed (stored checksum ",
                0),
            0u)
      << validate.err;
  EXPECT_EQ(run("--json status").json()["migrations"][0]["state"], "modified");
}

TEST_P(PartsTest, DryRunListsEveryPartsStatementsWithTheirFiles) {
  write_parts();
  json plan = run("--json up --dry-run").json()["plan"];
  ASSERT_EQ(plan.size(), 2u);
  json files = json::array();
  for (const json& statement : plan[0]["statements"]) files.push_back(statement["file"]);
  EXPECT_EQ(files, json::parse(R"(["1-a.sql","1-a.sql","1_b.sql"])"));
}

// Databases another tool migrated: its table written exactly as that tool creates it on each
// engine, with the schema its applied migrations made.
class ForeignTest : public ToolsTest {
 protected:
  bool sqlite() const { return GetParam() == "sqlite"; }
  bool postgres() const { return GetParam() == "postgres"; }

  void write_goose_set() {
    for (int i = 1; i <= 4; ++i) {
      const std::string n = std::to_string(i);
      write("migrations/0000" + n + "_g" + n + ".sql",
            "-- +goose Up\nCREATE TABLE g" + n + " (id INTEGER);\n-- +goose Down\nDROP TABLE g" + n + ";\n");
    }
  }
  // goose (v3) applied 1 and 3 (with -allow-missing); 2 was applied and reverted by an older
  // goose, which recorded the revert as a row with is_applied false.
  void make_goose_database() {
    make_goose_table();
    sql("CREATE TABLE g1 (id INTEGER)");
    sql("CREATE TABLE g3 (id INTEGER)");
  }
  void make_goose_table() {
    sql(sqlite() ? "CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, "
                   "is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')))"
                 : "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean "
                   "NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id))");
    sql("INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (1, true), (2, true), (3, true), "
        "(2, false)");
  }

  void write_sql_migrate_set() {
    write("migrations/1-a.sql", "-- +migrate Up\nCREATE TABLE sa (id INTEGER);\n-- +migrate Down\nDROP TABLE sa;\n");
    write("migrations/1_b.sql", "-- +migrate Up\nCREATE TABLE sb (id INTEGER);\n-- +migrate Down\nDROP TABLE sb;\n");
    write("migrations/20180805174141-tournaments.sql",
          "-- +migrate Up\nCREATE TABLE tournaments (id INTEGER);\n-- +migrate Down\nDROP TABLE tournaments;\n");
  }
  // sql-migrate applied the files named.
  void make_gorp_database(const std::vector<std::string>& applied) {
    make_gorp_table();
    for (const std::string& id : applied) {
      sql("INSERT INTO gorp_migrations (id, applied_at) VALUES ('" + id + "', CURRENT_TIMESTAMP)");
    }
  }

  void write_dbmate_set() {
    for (const char* version : {"20260101000000", "20260102000000", "20260103000000"}) {
      const std::string table = std::string("d") + version;
      write(std::string("migrations/") + version + "_" + table + ".sql",
            "-- migrate:up\nCREATE TABLE " + table + " (id INTEGER);\n\n-- migrate:down\nDROP TABLE " + table + ";\n");
    }
  }
  // dbmate applied the first two, in its own schema_migrations.
  void make_dbmate_database() {
    sql(sqlite()     ? "CREATE TABLE IF NOT EXISTS \"schema_migrations\" (version varchar(128) primary key)"
        : postgres() ? "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar NOT NULL PRIMARY KEY)"
                     : "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) NOT NULL PRIMARY KEY)");
    sql("INSERT INTO schema_migrations (version) VALUES ('20260101000000'), ('20260102000000')");
    sql("CREATE TABLE d20260101000000 (id INTEGER)");
    sql("CREATE TABLE d20260102000000 (id INTEGER)");
  }

  // Every row of `status --json` as "version:state ".
  std::string states() const {
    std::string out;
    const json status = run("--json status").json();
    for (const json& row : status["migrations"]) {
      out += std::to_string(row["version"].get<int64_t>()) + ":" + row["state"].get<std::string>() + " ";
    }
    return out;
  }
};

TEST_P(ForeignTest, GooseDatabaseContinuesWhereGooseStood) {
  write_goose_set();
  make_goose_database();

  Result status = run("status");
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.err,
            "reading goose's table goose_db_version: 2 applied migrations (1, 3), up to version 3; not applied below "
            "it (out of order): 2; strata has no tables here yet: the next up, down, goto, redo or force imports this "
            "into schema_migrations\n");
  EXPECT_EQ(states(), "1:applied 2:out-of-order 3:applied 4:pending ");
  EXPECT_EQ(checked_version(), "3\n");
  EXPECT_EQ(table_count("schema_migrations"), "0\n");  // read-only commands create nothing

  // up refuses the gap, as for any out-of-order version, but has imported the state first.
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 4) << up.err;
  EXPECT_EQ(up.err,
            "imported goose's table goose_db_version: 2 applied migrations (1, 3), up to version 3; not applied below "
            "it (out of order): 2; strata records in schema_migrations from now on (goose_db_version is left as it "
            "was)\nstrata: error: pending migration 2 is lower than the current version 3 (out of order); apply with "
            "--allow-out-of-order or renumber\n");
  EXPECT_EQ(history(), "3||imported\n");
  Result rest = run("up --allow-out-of-order");
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  EXPECT_EQ(rest.err.find("imported"), std::string::npos) << rest.err;
  EXPECT_EQ(checked_version(), "4\n");
  EXPECT_EQ(history(), "3||imported\n2|up|applied\n4|up|applied\n");
  EXPECT_EQ(sql("SELECT count(*) FROM goose_db_version"), "5\n");  // left as it was

  ASSERT_EQ(run("down 2").exit_code, 0);
  EXPECT_EQ(checked_version(), "2\n");
  EXPECT_EQ(table_count("g3"), "0\n");
  expect_up_completes("4", {"g1", "g2", "g3", "g4"});
}

TEST_P(ForeignTest, SqlMigrateDatabaseContinuesWhereSqlMigrateStood) {
  write_sql_migrate_set();
  make_gorp_database({"1-a.sql", "1_b.sql"});
  sql("CREATE TABLE sa (id INTEGER)");
  sql("CREATE TABLE sb (id INTEGER)");

  EXPECT_EQ(states(), "1:applied 20180805174141:pending ");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.err.find("imported sql-migrate's table gorp_migrations: 1 applied migration (1), up to version 1; "
                        "strata records in schema_migrations from now on (gorp_migrations is left as it was)\n"
                        "[1/1] applying 20180805174141-tournaments\n"),
            0u)
      << up.err;
  EXPECT_EQ(checked_version(), "20180805174141\n");
  EXPECT_EQ(table_count("tournaments"), "1\n");

  ASSERT_EQ(run("down 2").exit_code, 0);
  EXPECT_EQ(checked_version(), "none\n");
  EXPECT_EQ(table_count("sa"), "0\n");
  expect_up_completes("20180805174141", {"sa", "sb", "tournaments"});
}

TEST_P(ForeignTest, SqlMigrateFileThatIsGoneIsMissingNotABlock) {
  write_sql_migrate_set();
  make_gorp_database({"1-a.sql", "1_b.sql", "7-gone.sql", "init.sql"});
  Result status = run("status");
  EXPECT_EQ(status.err,
            "reading sql-migrate's table gorp_migrations: 2 applied migrations (1, 7), up to version 7; without a "
            "file here (missing): 7; ignored 1 row naming no version: init.sql; strata has no tables here yet: the "
            "next up, down, goto, redo or force imports this into schema_migrations\n");
  EXPECT_EQ(states(), "1:applied 7:missing 20180805174141:pending ");
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(states(), "1:applied 7:missing 20180805174141:applied ");
}

TEST_P(ForeignTest, SqlMigrateVersionAppliedInPartIsRefusedLoudly) {
  write_sql_migrate_set();
  make_gorp_database({"1-a.sql"});
  const std::string message =
      "strata: error: version 1 is applied only in part by sql-migrate (gorp_migrations has 1-a.sql, not 1_b.sql); "
      "strata runs the files of one version as one step: apply the rest with sql-migrate first, or give the files "
      "that did not run a version of their own\n";
  Result status = run("status");
  EXPECT_EQ(status.exit_code, 4);
  EXPECT_EQ(status.err, message);
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 4);
  EXPECT_EQ(up.err, message);
  EXPECT_EQ(table_count("schema_migrations"), "0\n");
}

TEST_P(ForeignTest, DbmateDatabaseIsImportedAndItsTableMovedAside) {
  write_dbmate_set();
  make_dbmate_database();

  EXPECT_EQ(states(), "20260101000000:applied 20260102000000:applied 20260103000000:pending ");
  Result version = run("version");
  EXPECT_EQ(version.out, "20260102000000\n");
  EXPECT_EQ(version.err,
            "reading dbmate's table schema_migrations: 2 applied migrations (20260101000000, 20260102000000), up to "
            "version 20260102000000; strata has no tables here yet: the next up, down, goto, redo or force imports "
            "this into schema_migrations\n");

  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.err.find("imported dbmate's table schema_migrations: 2 applied migrations (20260101000000, "
                        "20260102000000), up to version 20260102000000; strata records in schema_migrations from now "
                        "on (dbmate's table was renamed to schema_migrations_dbmate)\n[1/1] applying "
                        "20260103000000_d20260103000000\n"),
            0u)
      << up.err;
  EXPECT_EQ(checked_version(), "20260103000000\n");
  EXPECT_EQ(sql("SELECT version FROM schema_migrations_dbmate ORDER BY version"), "20260101000000\n20260102000000\n");
  EXPECT_EQ(table_count("d20260103000000"), "1\n");

  ASSERT_EQ(run("down --all -y").exit_code, 0);
  EXPECT_EQ(checked_version(), "none\n");
  EXPECT_EQ(table_count("d20260101000000"), "0\n");
  EXPECT_EQ(run("status").err, "");  // strata's own tables win from now on, even empty
  expect_up_completes("20260103000000", {"d20260101000000", "d20260102000000", "d20260103000000"});
}

TEST_P(ForeignTest, ForceImportsFirst) {
  write_dbmate_set();
  make_dbmate_database();
  Result force = run("force 20260101000000");
  ASSERT_EQ(force.exit_code, 0) << force.err;
  EXPECT_EQ(force.err.rfind("imported dbmate's table schema_migrations: 2 applied migrations", 0), 0u) << force.err;
  EXPECT_EQ(history(), "20260102000000||imported\n20260101000000||forced\n");
  EXPECT_EQ(states(), "20260101000000:applied 20260102000000:pending 20260103000000:pending ");
}

TEST_P(ForeignTest, ConcurrentUpsImportOnce) {
  write_goose_set();
  make_goose_database();
  sql("CREATE TABLE g2 (id INTEGER)");
  sql("INSERT INTO goose_db_version (version_id, is_applied) VALUES (2, true)");
  // The first holds the lock with the import done and its plan made; the second waits for it.
  Background& first = start_paused("up", "plan", "first");
  Background& second = start("up", "second");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  resume(first);
  Result a = finish(first);
  Result b = finish(second);
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(a.err.find("imported goose's table"), std::string::npos) << a.err;
  // It waited for the lock (saying for whom), then found nothing to do.
  EXPECT_EQ(b.err.rfind("waiting for the migration lock of schema_migrations (up to 15 s): held by ", 0), 0u) << b.err;
  EXPECT_EQ(b.err.substr(b.err.find('\n') + 1), "no change: database at version 4\n");
  EXPECT_EQ(history(), "3||imported\n4|up|applied\n");
  EXPECT_EQ(checked_version(), "4\n");
}

TEST_P(ForeignTest, StrataTablesWinOverAnotherToolsTable) {
  write_goose_set();
  ASSERT_EQ(run("up 1").exit_code, 0);
  make_goose_table();
  Result status = run("status");
  EXPECT_EQ(status.err, "");
  EXPECT_EQ(states(), "1:applied 2:pending 3:pending 4:pending ");
}

TEST_P(ForeignTest, TablesOfTwoToolsAreAnErrorNotAGuess) {
  write_goose_set();
  make_goose_database();
  make_gorp_database({"1-a.sql"});
  Result up = run("up");
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_EQ(up.err,
            "strata: error: strata has no tables in this database yet and found the tables of more than one "
            "migration tool: goose_db_version (goose), gorp_migrations (sql-migrate); strata cannot tell which of "
            "them to continue from: rename or drop the ones no longer in use\n");
}

INSTANTIATE_TEST_SUITE_P(Tools, ForeignTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);
INSTANTIATE_TEST_SUITE_P(Tools, ToolsTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);
INSTANTIATE_TEST_SUITE_P(Tools, PartsTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
