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

INSTANTIATE_TEST_SUITE_P(Tools, ToolsTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);
INSTANTIATE_TEST_SUITE_P(Tools, PartsTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
