// MariaDB-only end-to-end behaviour: migration sets written for goose and golang-migrate that
// hold several statements in one StatementBegin block, and the connection settings users put in
// MySQL URLs (session variables, TLS, Unix sockets). The server comes from scripts/test-dbs.sh.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

using nlohmann::json;

class MysqlTest : public EngineTest {};

constexpr const char* k_goose_two_tables =
    "-- +goose Up\n"
    "-- +goose StatementBegin\n"
    "CREATE TABLE a (id INT);\n"
    "CREATE TABLE b (id INT);\n"
    "INSERT INTO a VALUES (1);\n"
    "INSERT INTO b VALUES (2);\n"
    "-- +goose StatementEnd\n"
    "\n"
    "-- +goose Down\n"
    "-- +goose StatementBegin\n"
    "DROP TABLE b;\n"
    "DROP TABLE a;\n"
    "-- +goose StatementEnd\n";

TEST_P(MysqlTest, GooseBlockOfSeveralStatementsAppliesCleanlyAndReverts) {
  write("migrations/00001_two_tables.sql", k_goose_two_tables);
  write("migrations/00002_more.sql",
        "-- +goose Up\n-- +goose StatementBegin\nINSERT INTO a VALUES (3);\nINSERT INTO a VALUES (4);\n"
        "-- +goose StatementEnd\n-- +goose Down\nDELETE FROM a WHERE id > 2;\n");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(sql("SELECT id FROM a ORDER BY id"), "1\n3\n4\n");
  EXPECT_EQ(sql("SELECT id FROM b"), "2\n");
  const json status = run("--json status").json();
  EXPECT_EQ(status["version"], 2);
  EXPECT_EQ(status["dirty"], false);
  for (const json& row : status["migrations"]) EXPECT_EQ(row["state"], "applied") << row.dump();

  Result down = run("down --all -y");
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(version(), "none\n");
  EXPECT_EQ(table_count("a"), "0\n");
  EXPECT_EQ(table_count("b"), "0\n");
}

TEST_P(MysqlTest, GooseBlockWhoseSecondStatementFailsIsDirtyAndNamesThatStatement) {
  write("migrations/00001_two_tables.sql",
        "-- +goose Up\n"
        "-- +goose StatementBegin\n"
        "CREATE TABLE a (id INT);\n"
        "CREATE TABLE a (id INT);\n"
        "CREATE TABLE c (id INT);\n"
        "-- +goose StatementEnd\n");
  const std::string failure =
      "migration 1 (up) failed at 00001_two_tables.sql:4, statement 1 of 1 (CREATE TABLE a (id INT);): Table 'a' "
      "already exists (MySQL error 1050, SQLSTATE 42S01) in statement 2 of 3 of this block (CREATE TABLE a (id INT)); "
      "statement 1 before it had run; repair the database by hand, then run `strata force 1` if the migration's "
      "changes are all in place, or `strata force none` if none of them are and then `strata up` to retry it\n";
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("strata: error: database is dirty at version 1: " + failure), std::string::npos) << r.err;
  EXPECT_EQ(version(), "1 (dirty)\n");
  EXPECT_EQ(table_count("a"), "1\n");
  EXPECT_EQ(table_count("c"), "0\n");
  Result again = run("up");
  EXPECT_EQ(again.exit_code, 3);
  EXPECT_NE(again.err.find(failure), std::string::npos) << again.err;
}

INSTANTIATE_TEST_SUITE_P(Mariadb, MysqlTest, ::testing::Values("mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
