// What strata tells an operator (issue 12): confirmations that protect a whole database, and
// gates that see every problem.
#include <chrono>

#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

class OperatorTest : public EngineTest {};

TEST_P(OperatorTest, DownBeyondWhatIsAppliedAsksLikeDownAll) {
  copy_testdata("valid");
  ASSERT_EQ(run("up").exit_code, 0);
  const std::string applied = run("version").out;
  Result refused = run("down 99");  // no terminal: nobody to ask
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("strata: error: down 99 reverts all "), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find(" and needs confirmation: pass -y/--yes (no terminal to ask on), or run `strata down "),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(run("version").out, applied) << "nothing reverted";
  EXPECT_EQ(run("down 1").exit_code, 0) << "within what is applied: no question";
  Result confirmed = run("down 99 -y");
  EXPECT_EQ(confirmed.exit_code, 0) << confirmed.err;
  EXPECT_EQ(run("version").out, "none\n");
  EXPECT_EQ(run("down 5").exit_code, 0) << "nothing applied: nothing to confirm";
}

TEST_P(OperatorTest, JsonCarriesTheRunbookAsFields) {
  write("migrations/1_a.up.sql",
        "-- +strata NO TRANSACTION\nCREATE TABLE a (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
  Result up = run("--json up");
  EXPECT_EQ(up.exit_code, 3);
  const nlohmann::json error = up.json()["error"];
  EXPECT_EQ(error["exit_code"], 3);
  const nlohmann::json& dirty = error["dirty"];
  EXPECT_EQ(dirty["cause"], "failed");
  EXPECT_EQ(dirty["version"], 1);
  EXPECT_EQ(dirty["migration"], 1);
  EXPECT_EQ(dirty["direction"], "up");
  EXPECT_EQ(dirty["file"], "1_a.up.sql");
  EXPECT_EQ(dirty["line"], 3);
  EXPECT_EQ(dirty["statement"], 2);
  EXPECT_EQ(dirty["statements"], 2);
  EXPECT_EQ(dirty["sql"], "INSERT INTO nope VALUES (1)");
  EXPECT_FALSE(dirty["error"].get<std::string>().empty());
  EXPECT_EQ(dirty["repair"], nlohmann::json::parse(
                                 R"({"if_applied": "strata force 1", "if_not_applied": "strata force none",
                                     "then": "strata up"})"));
  // The same facts in status, and again on the refusal of the next up.
  nlohmann::json status = run("--json status").json();
  EXPECT_EQ(status["runbook"], dirty);
  EXPECT_EQ(run("--json up").json()["error"]["dirty"], dirty);
  ASSERT_EQ(run("force none").exit_code, 0);
  EXPECT_EQ(run("--json status").json()["runbook"], nullptr) << "clean: no runbook";
}

TEST_P(OperatorTest, StatusGateFailsWhenAnAppliedFileIsMissing) {
  copy_testdata("valid");
  ASSERT_EQ(run("up").exit_code, 0);
  EXPECT_EQ(run("status --exit-code").exit_code, 0);
  fs::remove(dir() / "migrations" / "0001_create_a.up.sql");
  fs::remove(dir() / "migrations" / "0001_create_a.down.sql");
  Result gate = run("status --exit-code");
  EXPECT_EQ(gate.exit_code, 4);
  EXPECT_NE(gate.out.find("missing"), std::string::npos) << gate.out;
}

class PostgresOperatorTest : public EngineTest {};

TEST_P(PostgresOperatorTest, FailedConcurrentIndexNamesTheInvalidIndexAndTheDropToRun) {
  write("migrations/1_t.up.sql", "CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1), (1);\n");
  write("migrations/2_idx.up.sql", "-- +strata NO TRANSACTION\nCREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a);\n");
  Result first = run("up");
  EXPECT_EQ(first.exit_code, 3);
  EXPECT_NE(first.err.find("could not create unique index \"t_a\" (detail: Key (a)=(1) is duplicated.); PostgreSQL "
                           "left the index t_a behind, INVALID: run `DROP INDEX CONCURRENTLY IF EXISTS t_a;` before "
                           "retrying; repair the database by hand"),
            std::string::npos)
      << first.err;
  ASSERT_EQ(run("force 1").exit_code, 0);
  Result retry = run("up");
  EXPECT_EQ(retry.exit_code, 3);
  EXPECT_NE(retry.err.find("relation \"t_a\" already exists; the index t_a is INVALID, left behind by an earlier "
                           "CREATE INDEX CONCURRENTLY that failed: run `DROP INDEX CONCURRENTLY IF EXISTS t_a;` and "
                           "retry; "),
            std::string::npos)
      << retry.err;
  // Following the advice works.
  sql("DROP INDEX IF EXISTS t_a");  // the advice, without CONCURRENTLY: the client runs one transaction
  sql("DELETE FROM t WHERE ctid <> (SELECT min(ctid) FROM t)");
  ASSERT_EQ(run("force 1").exit_code, 0);
  Result fixed = run("up");
  EXPECT_EQ(fixed.exit_code, 0) << fixed.err;
  // A real duplicate (a valid index of that name) gets no such advice.
  write("migrations/3_again.up.sql", "-- +strata NO TRANSACTION\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n");
  Result duplicate = run("up");
  EXPECT_EQ(duplicate.exit_code, 3);
  EXPECT_EQ(duplicate.err.find("INVALID"), std::string::npos) << duplicate.err;
}

class ServerOperatorTest : public EngineTest {};

// `wait` is for a server that is not up yet; one that answers and refuses the login, or lacks
// the database, will not change its mind: fail at once.
TEST_P(ServerOperatorTest, WaitFailsAtOnceWhenTheServerRefusesTheLogin) {
  std::string wrong_password = m_url;
  wrong_password.replace(wrong_password.find(":" + *m_server.password + "@"), m_server.password->size() + 2,
                         ":not-the-password@");
  const auto started = std::chrono::steady_clock::now();
  Result refused = strata("wait --timeout 30", "DATABASE_URL=" + shell_quote(wrong_password));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10)) << "it did not wait for 30 s";
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find(" answered but refused the connection, which waiting cannot fix: "), std::string::npos)
      << refused.err;
  EXPECT_EQ(refused.err.find("not-the-password"), std::string::npos);
  Result fine = run("wait --timeout 5");
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
}

INSTANTIATE_TEST_SUITE_P(Servers, ServerOperatorTest, ::testing::Values("postgres", "mysql"), engine_name);

INSTANTIATE_TEST_SUITE_P(Engines, PostgresOperatorTest, ::testing::Values("postgres"), engine_name);

class NamesTest : public CliTest {};

// Nearly-right names: each gets a precise warning or error saying what strata expected.
TEST_F(NamesTest, NearlyRightFileNamesAreNamedWithWhatWasExpected) {
  write("migrations/0001_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/0001_a.up.sql.bak", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/archive/0000_old.up.sql", "CREATE TABLE old (id INTEGER);\n");
  write("migrations/README.md", "not a migration\n");
  Result ok = strata("validate");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.err,
            "strata: warning: 0001_a.up.sql.bak is not read: it looks like a copy of a migration file (only names "
            "ending in .sql are read)\n"
            "strata: warning: archive/ holds 1 .sql file that strata does not read: migrations must be directly in "
            "./migrations (sub-folders are not searched)\n");
  EXPECT_EQ(strata("-q validate").err, "") << "warnings follow -q";
  const std::pair<const char*, const char*> refused[] = {
      {"0002_b.SQL", "strata: error: 0002_b.SQL: migration files end in .sql in lower case: rename it to 0002_b.sql\n"},
      {"0002_b.UP.sql",
       "strata: error: 0002_b.UP.sql: the direction and dialect in a migration file name are lower case: rename it "
       "to 0002_b.up.sql\n"},
      {"0002_b.down.Postgres.sql",
       "strata: error: 0002_b.down.Postgres.sql: the direction and dialect in a migration file name are lower case: "
       "rename it to 0002_b.down.postgres.sql\n"},
      {"0002-b.up.sql",
       "strata: error: 0002-b.up.sql: a dash after the version is for single files (VERSION-name.sql, as sql-migrate "
       "names them); name up/down files with an underscore: 0002_b.up.sql\n"},
  };
  for (const auto& [name, message] : refused) {
    write(std::string("migrations/") + name, "SELECT 1;\n");
    Result r = strata("-q validate");
    EXPECT_EQ(r.exit_code, 4) << name;
    EXPECT_EQ(r.err, message) << name;
    EXPECT_EQ(strata("-q -d sqlite:test.db up").exit_code, 4) << name;
    fs::remove(dir() / "migrations" / name);
  }
}

class PasswordTest : public CliTest {};

// libpq's messages are redacted where the password is, and nowhere else: a short password must
// not scramble "port 55432" or a user name.
TEST_F(PasswordTest, WrongPasswordsAreHiddenWithoutScramblingTheMessage) {
  const DatabaseUrl server = parse_database_url(
      env_or("STRATA_TEST_POSTGRES_URL", "postgres://strata:strata@127.0.0.1:55432/strata_test?sslmode=disable"));
  const std::string port = std::to_string(server.port.value_or(5432));
  auto url = [&](const std::string& password) {
    return "postgres://" + server.user + ":" + password + "@" + server.host + ":" + port + "/" + server.database +
           "?sslmode=disable";
  };
  const std::string redacted =
      "postgres://" + server.user + ":***@" + server.host + ":" + port + "/" + server.database + "?sslmode=disable";
  for (const std::string password : {"e", port.c_str(), "postgres", "wrong%2Fone", "s", "t"}) {
    Result r = strata("-d " + shell_quote(url(password)) + " version");
    EXPECT_EQ(r.exit_code, 1) << password;
    EXPECT_EQ(r.err, "strata: error: cannot connect to " + redacted + ": connection to server at \"" + server.host +
                         "\", port " + port + " failed: FATAL: password authentication failed for user \"" +
                         server.user + "\"\n")
        << "password " << password;
  }
  // A token libpq cannot decode is quoted in its message: that part is the password.
  Result bad = strata("-d " + shell_quote(url("se%zzcret")) + " version");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "strata: error: cannot connect to " + redacted + ": invalid percent-encoded token: \"***\"\n");
  // An unescaped '@' in the password: libpq takes part of it as the host name.
  Result at = strata("-d " + shell_quote(url("pa@ss")) + " version");
  EXPECT_EQ(at.exit_code, 1);
  EXPECT_EQ(at.err.find("ss@"), std::string::npos) << at.err;
  EXPECT_NE(at.err.find("could not translate host name \"***@" + server.host + "\""), std::string::npos) << at.err;
}

INSTANTIATE_TEST_SUITE_P(Engines, OperatorTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
