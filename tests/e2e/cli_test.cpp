// End-to-end tests: the real build/strata binary on SQLite files, checking exit codes,
// stdout, stderr and JSON exactly as SPEC §4 and §8 describe them.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <regex>

#include "e2e/harness.hpp"

namespace strata::e2e {
namespace {

using nlohmann::json;

class Cli : public CliTest {};

TEST_F(Cli, VersionFlagNamesTheDriversBuiltIn) {
  Result r = strata("--version");
  EXPECT_EQ(r.exit_code, 0);
  // The version is CMake's project version, whatever it is today.
  EXPECT_EQ(r.out.rfind(std::string("strata ") + STRATA_PROJECT_VERSION + " (drivers: sqlite", 0), 0u) << r.out;
}

TEST_F(Cli, NoCommandIsAUsageError) {
  Result r = strata("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("strata: error: no command given; see 'strata --help'\n"), std::string::npos);
}

TEST_F(Cli, UnknownCommandSuggestsTheNearestOne) {
  Result r = strata("updo");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: unknown command 'updo' (did you mean 'up'?); see 'strata --help'\n");
}

TEST_F(Cli, UnknownOptionWithNothingCloseNamesTheCommandsHelp) {
  Result r = db("up --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: unknown option --bogus; see 'strata up --help'\n");
  EXPECT_EQ(strata("--frobnicate=3 status").err,
            "strata: error: unknown option --frobnicate; see 'strata status --help'\n");
  EXPECT_EQ(strata("-x").err, "strata: error: unknown option -x; see 'strata --help'\n");
}

TEST_F(Cli, CommandOptionTypoSuggestsTheNearestOptionOfThatCommand) {
  Result r = db("up --dry-rn");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: unknown option --dry-rn; did you mean --dry-run? See 'strata up --help'\n");
  EXPECT_EQ(strata("status --exit-cod=1").err,
            "strata: error: unknown option --exit-cod; did you mean --exit-code? See 'strata status --help'\n");
  // --dry-run is not an option of create: nothing close there or among the globals.
  EXPECT_EQ(strata("create x --dry-rn").err, "strata: error: unknown option --dry-rn; see 'strata create --help'\n");
  Result as_json = db("--json up --dry-rn");
  EXPECT_EQ(as_json.exit_code, 2);
  EXPECT_EQ(as_json.json()["error"]["message"],
            "unknown option --dry-rn; did you mean --dry-run? See 'strata up --help'");
}

TEST_F(Cli, GlobalOptionTypoSuggestsTheNearestGlobalOption) {
  Result r = db("--jsn status");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: unknown option --jsn; did you mean --json? See 'strata --help'\n");
  EXPECT_EQ(db("status --verbos").err,
            "strata: error: unknown option --verbos; did you mean --verbose? See 'strata --help'\n");
  EXPECT_EQ(strata("--lock-timout 3").err,
            "strata: error: unknown option --lock-timout; did you mean --lock-timeout? See 'strata --help'\n");
}

TEST_F(Cli, ArgumentsAfterADoubleDashAreNotCalledOptions) {
  Result r = db("up 1 -- --dry-rn");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: The following argument was not expected: --dry-rn; see 'strata --help'\n");
}

TEST_F(Cli, HelpListsEveryCommand) {
  Result r = strata("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command :
       {"create", "up", "down", "goto", "redo", "version", "force", "status", "validate", "wait"}) {
    EXPECT_NE(r.out.find(std::string("  ") + command), std::string::npos) << command;
  }
}

TEST_F(Cli, CommandsThatNeedADatabaseSayHowToGiveOne) {
  Result r = strata("version");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: version needs a database: pass --database URL or set DATABASE_URL\n");
}

TEST_F(Cli, UpAppliesTheExampleAndASecondRunIsANoOp) {
  copy_testdata("example");
  Result first = db("up");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "");
  EXPECT_EQ(first.err.rfind("[1/5] applying 000001_create_users\n[1/5] applied 000001_create_users (", 0), 0u)
      << first.err;
  EXPECT_NE(first.err.find("\n[5/5] applied 000005_users_name_index ("), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("database at version 5 (5 migrations, "), std::string::npos) << first.err;
  EXPECT_EQ(sql("SELECT count(*) FROM roles;"), "3\n");

  Result second = db("up");
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_EQ(second.out, "");
  EXPECT_EQ(second.err, "no change: database at version 5\n");
  EXPECT_EQ(db("-q up").err, "");
}

// The pause hook of the crash tests is built into tests' strata_hooked only: build/strata reads
// none of its variables, and its statements are batched as if they were not set.
TEST_F(Cli, ShippedBinaryHasNoPauseHook) {
  copy_testdata("example");
  const fs::path pause = dir() / "pause";
  for (const char* point : {"plan", "start:1", "statement:1:1", "record:1"}) {
    SCOPED_TRACE(point);
    Result r = strata("-d sqlite:test.db up", std::string("STRATA_TEST_PAUSE_AT=") + point +
                                                  " STRATA_TEST_PAUSE_FILE=" + shell_quote(pause.string()) +
                                                  " timeout -k 5 60");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(fs::exists(pause));
    EXPECT_EQ(strata("-d sqlite:test.db -q down --all -y").exit_code, 0);
  }
}

TEST_F(Cli, UpJsonListsEachMigration) {
  copy_testdata("valid");
  Result r = db("--json up 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json doc = r.json();
  EXPECT_EQ(doc["from"], nullptr);
  EXPECT_EQ(doc["to"], 2);
  ASSERT_EQ(doc["migrations"].size(), 2u);
  EXPECT_EQ(doc["migrations"][0]["version"], 1);
  EXPECT_EQ(doc["migrations"][0]["name"], "create_a");
  EXPECT_EQ(doc["migrations"][0]["direction"], "up");
  EXPECT_TRUE(doc["migrations"][0]["duration_ms"].is_number());
  EXPECT_EQ(db("--json up").json()["from"], 2);
}

TEST_F(Cli, VersionPrintsNoneNumberAndDirty) {
  copy_testdata("valid");
  EXPECT_EQ(db("version").out, "none\n");
  EXPECT_EQ(db("version --json").out, "{\"dirty\":false,\"version\":null}\n");
  db("up 1");
  Result r = db("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "1\n");
  EXPECT_EQ(db("--json version").json(), json::parse(R"({"version": 1, "dirty": false})"));
}

TEST_F(Cli, ReadOnlyCommandsDoNotCreateTheDatabaseFile) {
  copy_testdata("valid");
  EXPECT_EQ(db("version").exit_code, 0);
  EXPECT_EQ(db("status").exit_code, 0);
  EXPECT_EQ(db("up --dry-run").exit_code, 0);
  EXPECT_FALSE(fs::exists(dir() / "test.db"));
}

TEST_F(Cli, StatusShowsEveryMigrationAndExitCodeSixWhenPending) {
  copy_testdata("valid");
  db("up 2");
  Result r = db("status");
  EXPECT_EQ(r.exit_code, 0);
  std::string applied_at = sql("SELECT applied_at FROM schema_migrations_history WHERE version = 1;");
  applied_at.pop_back();
  std::string who = sql("SELECT applied_by FROM schema_migrations_history WHERE version = 1;");
  who.pop_back();
  std::string out = r.out;
  // Durations vary: replace "0.3 ms" style cells before comparing.
  out = std::regex_replace(out, std::regex("[0-9]+\\.[0-9] ms"), "N.N ms");
  EXPECT_EQ(out,
            "version  name          state    applied_at            duration  applied_by\n"
            "1        create_a      applied  " +
                applied_at + "    N.N ms  " + who +
                "\n"
                "2        create_b      applied  " +
                applied_at + "    N.N ms  " + who +
                "\n"
                "3        no_down       pending  -                            -  -\n"
                "10       dbmate_style  pending  -                            -  -\n"
                "11       dialects      pending  -                            -  -\n"
                "version 2, 3 pending, 1 without a down migration\n");
  EXPECT_EQ(db("status --exit-code").exit_code, 6);
  db("up");
  EXPECT_EQ(db("status --exit-code").exit_code, 0);
}

TEST_F(Cli, StatusSummaryNamesEveryKindOfTrouble) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  write("migrations/4_d.up.sql", "CREATE TABLE d (id INTEGER);\n");
  db("up");
  write("migrations/1_a.up.sql", "CREATE TABLE a (id BIGINT);\n");   // edited after it ran
  fs::remove(dir() / "migrations" / "2_b.up.sql");                   // applied, file gone
  write("migrations/3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");  // merged late
  write("migrations/5_e.up.sql", "CREATE TABLE e (id INTEGER);\n");  // new
  Result r = db("status");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("\nversion 4, 2 pending (1 out of order), 1 modified since applied, 1 applied but missing, 4 "
                       "without a down migration\n"),
            std::string::npos)
      << r.out;
  json doc = db("--json status").json();
  std::vector<std::string> states;
  for (const json& row : doc["migrations"]) states.push_back(row["state"]);
  EXPECT_EQ(states, (std::vector<std::string>{"modified", "missing", "out-of-order", "applied", "pending"}));
}

TEST_F(Cli, StatusJsonHasTheSpecShape) {
  copy_testdata("valid");
  db("up 1");
  json doc = db("--json status").json();
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["dirty"], false);
  EXPECT_EQ(doc["pending"], 4);
  ASSERT_EQ(doc["migrations"].size(), 5u);
  EXPECT_EQ(doc["migrations"][0]["version"], 1);
  EXPECT_EQ(doc["migrations"][0]["name"], "create_a");
  EXPECT_EQ(doc["migrations"][0]["state"], "applied");
  EXPECT_TRUE(doc["migrations"][0]["applied_at"].get<std::string>().size() == 20);
  EXPECT_EQ(doc["migrations"][1]["state"], "pending");
  EXPECT_EQ(doc["migrations"][1]["applied_at"], nullptr);
}

TEST_F(Cli, DownRevertsOneThenNThenAllWithConfirmation) {
  copy_testdata("valid");
  db("up");
  Result one = db("down");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(db("version").out, "10\n");
  EXPECT_EQ(db("down 2").exit_code, 0);
  EXPECT_EQ(db("version").out, "2\n");

  Result refused = db("down --all");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.err, "strata: error: down --all needs confirmation: pass -y/--yes (no terminal to ask on)\n");
  EXPECT_EQ(db("version").out, "2\n");

  Result all = db("down --all -y --json");
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_EQ(all.json()["to"], nullptr);
  EXPECT_EQ(db("version").out, "none\n");
  EXPECT_EQ(sql("SELECT name FROM sqlite_master WHERE name IN ('a','b','c','d');"), "");
}

TEST_F(Cli, DownWithNothingAppliedIsANoOp) {
  copy_testdata("valid");
  Result r = db("down");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "no change: database at version none\n");
}

TEST_F(Cli, GotoMovesUpAndDown) {
  copy_testdata("valid");
  EXPECT_EQ(db("goto 3").exit_code, 0);
  EXPECT_EQ(db("version").out, "3\n");
  EXPECT_EQ(db("goto 1").exit_code, 0);
  EXPECT_EQ(db("version").out, "1\n");
  Result missing = db("goto 7");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "strata: error: cannot go to version 7: no migration with that version\n");
}

TEST_F(Cli, RedoRevertsAndReappliesTheCurrentMigration) {
  copy_testdata("valid");
  db("up 2");
  sql("INSERT INTO b VALUES (42);");
  json doc = db("--json redo").json();
  EXPECT_EQ(doc, json::parse(R"({"from": 2, "to": 2, "migrations": [
      {"version": 2, "name": "create_b", "direction": "down", "statements": 1, "duration_ms": )" +
                             doc["migrations"][0]["duration_ms"].dump() + R"(},
      {"version": 2, "name": "create_b", "direction": "up", "statements": 1, "duration_ms": )" +
                             doc["migrations"][1]["duration_ms"].dump() + "}]}"));
  EXPECT_EQ(sql("SELECT count(*) FROM b;"), "0\n");
}

TEST_F(Cli, FailedTransactionalMigrationIsRolledBackCompletely) {
  copy_testdata("broken_sql");
  fs::remove(dir() / "migrations" / "0002_unterminated.up.sql");
  Result r = db("up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("strata: error: migration 0003_fails_at_runtime (up) failed at 0003_fails_at_runtime.up.sql:2: "
                       "no such table: missing_table; rolled back, database still at version 1\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(db("version").out, "1\n");
  // The CREATE TABLE before the failing statement is gone too.
  EXPECT_EQ(sql("SELECT count(*) FROM sqlite_master WHERE name = 't';"), "0\n");
}

TEST_F(Cli, FailedNoTransactionMigrationLeavesARunbookAndForceRecovers) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_b.up.sql",
        "-- +strata NO TRANSACTION\nCREATE TABLE b (id INTEGER);\n\nINSERT INTO nope VALUES (1);\n");
  Result r = db("up");
  EXPECT_EQ(r.exit_code, 3);
  const std::string runbook =
      "database is dirty at version 2: migration 2 (up) failed at 2_b.up.sql:4, statement 2 of 2 (INSERT INTO nope "
      "VALUES (1)): no such table: nope; repair the database by hand, then run `strata force 2` if the migration's "
      "changes are all in place, or `strata force 1` if none of them are and then `strata up` to retry it";
  EXPECT_NE(r.err.find("strata: error: " + runbook + "\n"), std::string::npos) << r.err;
  EXPECT_EQ(db("version").out, "2 (dirty)\n");
  EXPECT_EQ(db("--json version").json(), json::parse(R"({"version": 2, "dirty": true})"));

  for (const char* command : {"up", "down", "goto 1", "redo"}) {
    Result refused = db(command);
    EXPECT_EQ(refused.exit_code, 3) << command;
    EXPECT_EQ(refused.err, "strata: error: " + runbook + "\n") << command;
  }
  Result json_refused = db("--json up");
  json refused_document = json_refused.json();
  EXPECT_EQ(refused_document["error"]["dirty"]["cause"], "failed") << "the runbook as fields too";
  refused_document["error"].erase("dirty");
  EXPECT_EQ(refused_document, (json{{"error", {{"exit_code", 3}, {"message", runbook}}}}));

  Result status = db("status");
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("2        b     dirty"), std::string::npos) << status.out;
  EXPECT_EQ(db("status --exit-code").exit_code, 3) << "a dirty database must not pass a status gate";

  sql("DROP TABLE b;");
  Result forced = db("force 1");
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(forced.out, "1\n");
  EXPECT_EQ(forced.err, "forced version 1 (was 2 (dirty))\n");
  EXPECT_EQ(sql("SELECT outcome, detail FROM schema_migrations_history ORDER BY id DESC LIMIT 1;"),
            "forced|{\"dirty\":true,\"from\":2}\n");
  write("migrations/2_b.up.sql", "-- +strata NO TRANSACTION\nCREATE TABLE b (id INTEGER);\n");
  EXPECT_EQ(db("up").exit_code, 0);
  EXPECT_EQ(db("version").out, "2\n");
}

TEST_F(Cli, ForceAcceptsNoneAndRejectsUnknownVersions) {
  copy_testdata("valid");
  db("up");
  EXPECT_EQ(db("force -1").exit_code, 0);
  EXPECT_EQ(db("version").out, "none\n");
  EXPECT_EQ(db("force 2").exit_code, 0);
  EXPECT_EQ(db("version").out, "2\n");
  EXPECT_EQ(db("force none").exit_code, 0);
  Result bad = db("force 99");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "strata: error: cannot force version 99: no migration with that version in ./migrations (use -1 or "
            "none for \"nothing applied\")\n");
  EXPECT_EQ(db("force abc").exit_code, 2);
}

TEST_F(Cli, EditedAppliedMigrationIsRefusedByUpAndValidateAndShownByStatus) {
  copy_testdata("valid");
  db("up");
  std::string stored = sql("SELECT substr(checksum, 1, 12) FROM schema_migrations_history WHERE version = 1;");
  stored.pop_back();
  write("migrations/0001_create_a.up.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY, extra TEXT);\n");
  // sha256 of the edited file, as sha256sum prints it
  std::system(("cd " + shell_quote(dir().string()) + " && sha256sum migrations/0001_create_a.up.sql | cut -c1-12 >.sum")
                  .c_str());
  std::string current = read(".sum");
  current.pop_back();
  Result up = db("up");
  EXPECT_EQ(up.exit_code, 4);
  EXPECT_EQ(up.err, "strata: error: 0001_create_a.up.sql was edited after it was applied (stored checksum " + stored +
                        ", current " + current +
                        "); restore the file, add a new migration for the change, or run `strata accept 1` to record "
                        "the file as it is now\n");
  EXPECT_EQ(db("validate").exit_code, 4);
  json status = db("--json status").json();
  EXPECT_EQ(status["migrations"][0]["state"], "modified");
  EXPECT_EQ(db("status --exit-code").exit_code, 4);
}

TEST_F(Cli, OutOfOrderVersionIsRefusedUnlessAllowed) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/3_c.up.sql", "CREATE TABLE c (id INTEGER);\n");
  db("up");
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  EXPECT_EQ(db("--json status").json()["migrations"][1]["state"], "out-of-order");
  Result refused = db("up");
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_EQ(refused.err,
            "strata: error: pending migration 2 is lower than the current version 3 (out of order); apply with "
            "--allow-out-of-order or renumber\n");
  Result allowed = db("up --allow-out-of-order");
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(db("version").out, "3\n");
  EXPECT_EQ(db("--json status").json()["migrations"][1]["state"], "applied");
}

TEST_F(Cli, GolangMigrateDatabaseContinuesFromItsVersion) {
  copy_testdata("valid");
  sql("CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER);"
      "CREATE TABLE schema_migrations (version uint64, dirty bool); INSERT INTO schema_migrations VALUES (2, 0);");
  EXPECT_EQ(db("version").out, "2\n");
  Result up = db("up");
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(db("version").out, "11\n");
  EXPECT_EQ(sql("SELECT version, outcome FROM schema_migrations_history ORDER BY id LIMIT 2;"),
            "2|baseline\n3|applied\n");
  // golang-migrate can still read the row strata wrote.
  EXPECT_EQ(sql("SELECT version, dirty FROM schema_migrations;"), "11|0\n");
}

TEST_F(Cli, ValidateChecksTheSourceWithoutADatabase) {
  copy_testdata("valid");
  Result ok = strata("validate");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "ok: 5 migrations; without a down migration: 3\n");
  EXPECT_EQ(strata("--json validate").json(), json::parse(R"({"valid": true, "migrations": 5, "without_down": [3]})"));
}

TEST_F(Cli, ValidateReportsBrokenFilesWithFileAndLine) {
  copy_testdata("broken_sql");
  Result r = strata("validate --dialect sqlite");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "strata: error: 0002_unterminated.up.sql:4: unterminated string started here\n");
  Result all = strata("validate");
  EXPECT_EQ(all.exit_code, 4);
  EXPECT_EQ(all.err,
            "strata: error: 0002_unterminated.up.sql:4: unterminated string started here (read as sqlite; pass "
            "--dialect or --database to check one dialect only)\n");
}

TEST_F(Cli, ValidateReportsDuplicatesAndBadNames) {
  copy_testdata("duplicate");
  Result dup = strata("validate");
  EXPECT_EQ(dup.exit_code, 4);
  EXPECT_NE(dup.err.find("duplicate migration version 3: 0003_a.up.sql, 03_b.up.sql"), std::string::npos);
}

TEST_F(Cli, BrokenFileStopsUpBeforeAnythingRuns) {
  copy_testdata("broken_sql");
  Result r = db("up");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "strata: error: 0002_unterminated.up.sql:4: unterminated string started here\n");
  EXPECT_EQ(db("version").out, "none\n");
}

TEST_F(Cli, DryRunOfflinePrintsEveryStatementWithFileAndLine) {
  copy_testdata("example");
  Result r = strata("up --dry-run --dialect postgres --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json plan = r.json()["plan"];
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[4]["transaction"], false);
  EXPECT_EQ(plan[4]["statements"][0], json::parse(R"j({"file": "000005_users_name_index.up.postgres.sql", "line": 2,
                              "sql": "CREATE INDEX CONCURRENTLY users_name_idx ON users (name)"})j"));
  EXPECT_EQ(plan[0]["statements"][0]["line"], 11);

  Result text = strata("up 1 --dry-run --dialect sqlite");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out.rfind("-- strata dry run (sqlite): 1 migration from version none to 1\n"
                           "--   up   000001_create_users\n\n"
                           "-- up 000001_create_users (000001_create_users.up.sql, in a transaction)\nBEGIN;\n",
                           0),
            0u)
      << text.out;
  EXPECT_NE(text.out.find("-- schema_migrations: version 1, clean; history: applied 1\nCOMMIT;"), std::string::npos);
  EXPECT_NE(text.out.find("-- 000001_create_users.up.sql:3\nCREATE TABLE users ("), std::string::npos);

  Result no_dialect = strata("up --dry-run");
  EXPECT_EQ(no_dialect.exit_code, 2);
}

TEST_F(Cli, DryRunOnlineChangesNothing) {
  copy_testdata("valid");
  db("up 1");
  std::string before = sql("SELECT * FROM schema_migrations; SELECT count(*) FROM schema_migrations_history;");
  Result r = db("up --dry-run --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["plan"].size(), 4u);
  EXPECT_EQ(r.json()["plan"][0]["version"], 2);
  EXPECT_EQ(sql("SELECT * FROM schema_migrations; SELECT count(*) FROM schema_migrations_history;"), before);
  EXPECT_EQ(db("down --dry-run --json").json()["plan"][0]["direction"], "down");
}

TEST_F(Cli, CreateWritesPairsAndSingleFiles) {
  Result r = strata("create add users");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "./migrations/000001_add_users.up.sql\n./migrations/000001_add_users.down.sql\n");
  Result single = strata("-p migrations create seed-data --single --json");
  EXPECT_EQ(single.json(), json::parse(R"({"created": ["migrations/000002_seed_data.sql"]})"));
  EXPECT_EQ(read("migrations/000002_seed_data.sql"), "-- +strata Up\n\n-- +strata Down\n");
  EXPECT_EQ(strata("create 'bad/name'").exit_code, 2);
}

TEST_F(Cli, EnvFileProvidesSettingsButNeverOverridesTheEnvironment) {
  copy_testdata("valid");
  write(".env", "DATABASE_URL=sqlite:from-env-file.db\nSTRATA_TABLE=custom_versions\n");
  EXPECT_EQ(strata("up 1").exit_code, 0);
  EXPECT_TRUE(fs::exists(dir() / "from-env-file.db"));
  Result overridden = strata("up 1", "DATABASE_URL=sqlite:test.db");
  EXPECT_EQ(overridden.exit_code, 0);
  EXPECT_EQ(sql("SELECT version FROM custom_versions;"), "1\n");

  Result missing = strata("--env-file nope.env version");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "strata: error: cannot read --env-file nope.env: no such file\n");
  write("bad.env", "DATABASE_URL sqlite:x.db\n");
  Result bad = strata("--env-file bad.env version");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "strata: error: bad.env:1: expected KEY=VALUE\n");
}

TEST_F(Cli, TableSettingAndUrlParameterAreHonouredAndValidated) {
  copy_testdata("valid");
  EXPECT_EQ(db("--table app_versions up 1").exit_code, 0);
  EXPECT_EQ(sql("SELECT version FROM app_versions;"), "1\n");
  EXPECT_EQ(strata("up 2", "DATABASE_URL='sqlite:other.db?x-migrations-table=other'").exit_code, 0);
  EXPECT_EQ(strata("version", "DATABASE_URL='sqlite:other.db?x-migrations-table=other'").out, "2\n");
  Result bad = db("--table 'v; DROP TABLE a' version");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "strata: error: invalid --table 'v; DROP TABLE a': expected a name matching [A-Za-z_][A-Za-z0-9_]*\n");
  EXPECT_EQ(strata("version", "STRATA_TABLE=1bad DATABASE_URL=sqlite:test.db").exit_code, 2);
}

TEST_F(Cli, OptionsMayFollowTheCommand) {
  copy_testdata("valid");
  Result r = strata("up 1 --database sqlite:test.db --path migrations --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json()["to"], 1);
}

TEST_F(Cli, InvalidSettingsAreUsageErrorsNamingTheSetting) {
  Result timeout = db("--lock-timeout soon up");
  EXPECT_EQ(timeout.exit_code, 2);
  EXPECT_EQ(timeout.err, "strata: error: invalid --lock-timeout 'soon': expected a number of seconds\n");
  Result scheme = strata("version", "DATABASE_URL=oracle://scott:tiger@db/x");
  EXPECT_EQ(scheme.exit_code, 2);
  EXPECT_EQ(scheme.err.find("tiger"), std::string::npos);
  Result path = strata("-d sqlite:test.db -p no-such-dir up");
  EXPECT_EQ(path.exit_code, 2);
  EXPECT_EQ(path.err.rfind("strata: error: cannot read migrations directory no-such-dir (--path / STRATA_PATH): ", 0),
            0u);
  EXPECT_EQ(db("up 0").exit_code, 2);
  Result dialect = db("--dialect postgres version");
  EXPECT_EQ(dialect.exit_code, 2);
  EXPECT_EQ(dialect.err, "strata: error: --dialect postgres does not match the database URL (sqlite)\n");
  EXPECT_EQ(db("down 2 --all").exit_code, 2);
}

TEST_F(Cli, PasswordsAreNeverPrinted) {
  Result r = strata("--json wait --timeout 0", "DATABASE_URL='postgres://u:hunter2@127.0.0.1:1/db'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
}

TEST_F(Cli, JsonFailureIsExactlyOneDocument) {
  Result r = strata("--json up --dry-run");
  EXPECT_EQ(r.exit_code, 2);
  json doc = r.json();  // throws if stdout is not exactly one document
  EXPECT_EQ(doc["error"]["exit_code"], 2);
  EXPECT_TRUE(doc["error"]["message"].is_string());
}

TEST_F(Cli, LockHeldByAnotherProcessTimesOutWithExitFive) {
  copy_testdata("valid");
  db("up 1");
  int fd = ::open((dir() / "test.db").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  pid_t child = fork();
  if (child == 0) {
    // The child holds the lock the way a concurrent strata would, then exits.
    flock(fd, LOCK_EX);
    sleep(5);
    _exit(0);
  }
  usleep(300 * 1000);
  Result r = db("--lock-timeout 0.5 up");
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("strata: error: could not take the migration lock"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("held by pid " + std::to_string(child)), std::string::npos) << r.err;
  EXPECT_EQ(db("version").out, "1\n");
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ::close(fd);
  EXPECT_EQ(db("up").exit_code, 0);
}

TEST_F(Cli, ConcurrentUpsApplyEachMigrationExactlyOnce) {
  for (int i = 1; i <= 20; ++i) {
    write("migrations/" + std::to_string(i) + "_m.up.sql", "CREATE TABLE t" + std::to_string(i) + " (id INTEGER);\n");
  }
  std::string binary = shell_quote(STRATA_BINARY);
  std::string command = "cd " + shell_quote(dir().string()) + " && for i in 1 2 3 4; do (" + binary +
                        " -q -d sqlite:test.db up >/dev/null 2>.err$i; echo $? >.rc$i) & done; wait";
  ASSERT_EQ(std::system(command.c_str()), 0);
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(read(".rc" + std::to_string(i)), "0\n") << read(".err" + std::to_string(i));
  }
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations_history WHERE outcome = 'applied';"), "20\n");
  EXPECT_EQ(db("version").out, "20\n");
}

TEST_F(Cli, WaitSucceedsForAReachableDatabase) {
  Result r = db("wait --timeout 1");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(Cli, EmptyMigrationOnlyMovesTheVersion) {
  write("migrations/1_empty.up.sql", "-- nothing to do yet\n");
  EXPECT_EQ(db("up").exit_code, 0);
  EXPECT_EQ(db("version").out, "1\n");
  EXPECT_EQ(db("down").exit_code, 0);
  EXPECT_EQ(db("version").out, "none\n");
}

TEST_F(Cli, ExplicitTransactionControlIsRunAsTheFileMeansIt) {
  // A BEGIN … COMMIT wrapper gives way to strata's transaction: a failure rolls back everything.
  write("migrations/1_a.up.sql", "BEGIN;\nCREATE TABLE a (id INTEGER);\nINSERT INTO nope VALUES (1);\nCOMMIT;\n");
  Result up = db("up");
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_EQ(up.err,
            "[1/1] applying 1_a\nstrata: error: migration 1_a (up) failed at 1_a.up.sql:3: no such table: nope; "
            "rolled back, database still at version none\n");
  EXPECT_EQ(sql("SELECT count(*) FROM sqlite_master WHERE name = 'a';"), "0\n");
  EXPECT_EQ(strata("validate --dialect postgres").exit_code, 0);
  // Any other use of transaction statements: the file manages its own, outside strata's.
  write("migrations/1_a.up.sql", "BEGIN;\nCREATE TABLE a (id INTEGER);\nCOMMIT;\n");
  write("migrations/2_b.up.sql", "SAVEPOINT s;\nCREATE TABLE b (id INTEGER);\nROLLBACK TO SAVEPOINT s;\n");
  write("migrations/3_c.up.sql", "CREATE TABLE c (id INTEGER);\nCOMMIT;\nBEGIN;\nINSERT INTO c VALUES (1);\n");
  std::string plan = db("up --dry-run").out;
  EXPECT_NE(plan.find("--   up   1_a\n--   up   2_b\n--   up   3_c (no transaction: the file manages its own, COMMIT "
                      "at line 2)\n"),
            std::string::npos)
      << plan;
  Result fine = db("up");
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_EQ(sql("SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b');"), "1\n");
  EXPECT_EQ(sql("SELECT * FROM c;"), "1\n");
  EXPECT_EQ(db("version").out, "3\n");
}

TEST_F(Cli, UnknownTableUnderTheVersionTableNameIsNamedAndLeftAlone) {
  copy_testdata("valid");
  // Neither golang-migrate's table nor dbmate's (which strata imports: tools_test.cpp).
  sql("CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO schema_migrations VALUES "
      "(1, 'x');");
  Result r = db("up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "strata: error: cannot read the version table schema_migrations: no such column: version; if another "
            "tool (dbmate, goose, …) owns a table of that name, give strata its own with --table\n");
  EXPECT_EQ(sql("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations_history';"), "0\n");
  EXPECT_EQ(db("--table strata_versions up").exit_code, 0);
}

TEST_F(Cli, SignalWhileWaitingForTheLockEndsTheRunAtOnceWithAMessage) {
  copy_testdata("valid");
  db("up 1");
  int fd = ::open((dir() / "test.db").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);  // held by this test process for the whole test
  std::string command = "cd " + shell_quote(dir().string()) + " && { " + shell_quote(STRATA_BINARY) +
                        " -d sqlite:test.db --lock-timeout 30 up </dev/null >.out 2>.err & pid=$!; sleep 1; kill " +
                        "-TERM $pid; wait $pid; echo $? >.rc; }";
  auto started = std::chrono::steady_clock::now();
  std::system(command.c_str());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(read(".rc"), "1\n");
  EXPECT_EQ(read(".err"), "waiting for the migration lock of schema_migrations (up to 30 s): held by pid " +
                              std::to_string(::getpid()) +
                              "\nstrata: error: interrupted by SIGTERM before any migration ran\n");
  ::close(fd);
  EXPECT_EQ(db("version").out, "1\n");
}

// Runs strata under a pseudo-terminal (script(1)), as a person at a terminal would see it.
Result on_terminal(const CliTest& test, const fs::path& dir, const std::string& args, const std::string& env = "") {
  (void)test;
  std::string inner = env + " " + shell_quote(STRATA_BINARY) + " " + args;
  std::string command = "cd " + shell_quote(dir.string()) + " && env -u NO_COLOR script -qec " + shell_quote(inner) +
                        " /dev/null </dev/null >.out 2>.err";
  Result result;
  int status = std::system(command.c_str());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = slurp(dir / ".out");
  return result;
}

TEST_F(Cli, StatusIsColouredOnlyOnATerminalAndNoColorTurnsItOff) {
  copy_testdata("valid");
  db("up 1");
  const std::string green = "\033[32mapplied";
  const std::string yellow = "\033[33mpending";
  Result tty = on_terminal(*this, dir(), "-d sqlite:test.db status");
  EXPECT_EQ(tty.exit_code, 0);
  EXPECT_NE(tty.out.find(green), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find(yellow), std::string::npos) << tty.out;
  EXPECT_EQ(on_terminal(*this, dir(), "-d sqlite:test.db status", "NO_COLOR=1").out.find("\033["), std::string::npos);
  // no-color.org: an empty NO_COLOR is the same as an unset one, in the environment and in .env.
  Result empty = on_terminal(*this, dir(), "-d sqlite:test.db status", "NO_COLOR=");
  EXPECT_NE(empty.out.find(green), std::string::npos) << empty.out;
  EXPECT_EQ(on_terminal(*this, dir(), "-d sqlite:test.db --no-color status", "NO_COLOR=").out.find("\033["),
            std::string::npos);
  write(".env", "NO_COLOR=\n");
  EXPECT_NE(on_terminal(*this, dir(), "-d sqlite:test.db status").out.find(green), std::string::npos);
  write(".env", "NO_COLOR=1\n");
  EXPECT_EQ(on_terminal(*this, dir(), "-d sqlite:test.db status").out.find("\033["), std::string::npos);
  EXPECT_EQ(on_terminal(*this, dir(), "-d sqlite:test.db --no-color status").out.find("\033["), std::string::npos);
  EXPECT_EQ(db("status").out.find("\033["), std::string::npos) << "not a terminal: no colour";
}

TEST_F(Cli, LongStatementShowsALiveElapsedTimeOnATerminal) {
  write("migrations/1_slow.up.sql",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 30000000) SELECT count(*) FROM c;\n");
  Result tty = on_terminal(*this, dir(), "-d sqlite:test.db up");
  EXPECT_EQ(tty.exit_code, 0);
  // Shown after two seconds, refreshed, then erased before the "applied" line.
  EXPECT_NE(tty.out.find("\r\033[K  1_slow.up.sql:1 \u2026 2 s"), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("\r\033[K[1/1] applied 1_slow ("), std::string::npos) << tty.out;
  Result piped = db("up");
  EXPECT_EQ(piped.err.find("\u2026"), std::string::npos) << "no live line without a terminal";
}

TEST_F(Cli, WaitGivesUpAfterItsTimeout) {
  auto started = std::chrono::steady_clock::now();
  Result r = strata("wait --timeout 1", "DATABASE_URL='postgres://u:pw@127.0.0.1:1/db?sslmode=disable'");
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("strata: error: database postgres://u:***@127.0.0.1:1/db?sslmode=disable did not accept "
                        "connections within 1 s: ",
                        0),
            0u)
      << r.err;
  EXPECT_GE(elapsed, std::chrono::seconds(1));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(Cli, VersionFlagWithJsonIsADocument) {
  Result r = strata("--json --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.json()["version"], STRATA_PROJECT_VERSION);
  EXPECT_EQ(r.json()["drivers"][0], "sqlite");
}

TEST_F(Cli, SingleFileWithoutADownSectionIsPointedOut) {
  write("migrations/1_a.sql", "-- +goose Up\nCREATE TABLE a (id INTEGER);\n");
  write("migrations/2_b.sql", "-- +goose Up\nCREATE TABLE b (id INTEGER);\n-- +goose Down\nDROP TABLE b;\n");
  EXPECT_EQ(strata("validate").out, "ok: 2 migrations; without a down migration: 1\n");
  json status = db("--json status").json();
  EXPECT_EQ(status["migrations"][0]["has_down"], false);
  EXPECT_EQ(status["migrations"][1]["has_down"], true);
}

TEST_F(Cli, ForceRepairsAVersionTableWithSeveralRows) {
  copy_testdata("valid");
  db("up 2");
  sql("INSERT INTO schema_migrations VALUES (3, 0);");
  Result broken = db("version");
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_EQ(broken.err,
            "strata: error: version table schema_migrations holds 2 rows; it must hold at most one (see `strata "
            "force`)\n");
  Result forced = db("force 2");
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(db("version").out, "2\n");
}

TEST_F(Cli, FailedRevertToNothingMarksThatMigrationDirty) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/1_a.down.sql", "-- +strata NO TRANSACTION\nDROP TABLE nope;\n");
  db("up");
  Result r = db("down");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(
                "migration 1 (down) failed at 1_a.down.sql:2, statement 1 of 1 (DROP TABLE nope): no such "
                "table: nope; repair the database by hand, then run `strata force none` if the migration's "
                "changes are all in place, or `strata force 1` if none of them are and then `strata down` to retry it"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(db("version").out, "none (dirty)\n");
  json status = db("--json status").json();
  EXPECT_EQ(status["dirty"], true);
  EXPECT_EQ(status["migrations"][0]["state"], "dirty");
}

TEST_F(Cli, VerboseShowsStatementsWithFileAndLine) {
  write("migrations/1_a.up.sql", "\nCREATE TABLE a (id INTEGER);\n");
  Result r = db("-v up");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("[1/1] applying 1_a\n  1_a.up.sql:2: CREATE TABLE a (id INTEGER)\n[1/1] applied 1_a ("),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace strata::e2e
