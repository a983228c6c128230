// sql-migrate sets named by date (testdata/sql_migrate_dated): every file is a migration of its
// own, in sql-migrate's order, and a database sql-migrate migrated continues where it stood.
#include "e2e/engine_fixture.hpp"

namespace strata::e2e {
namespace {

using json = nlohmann::json;

class SqlMigrateDatedTest : public EngineTest {
 protected:
  std::string versions_and_states() const {
    std::string out;
    const Result status = run("--json status");
    EXPECT_EQ(status.exit_code, 0) << status.err;
    const json document = status.json();
    for (const json& row : document["migrations"]) {
      out += std::to_string(row["version"].get<int64_t>()) + ":" + row["state"].get<std::string>() + " ";
    }
    return out;
  }
};

TEST_P(SqlMigrateDatedTest, EachDatedFileIsAMigrationOfItsOwn) {
  copy_testdata("sql_migrate_dated");
  EXPECT_EQ(versions_and_states(), "20230120000:pending 20230120001:pending 20230127000:pending 20230201000:pending ");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.err.find("[1/4] applying 2023-01-20.0-accounts\n"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("[2/4] applying 2023-01-20.1-accounts_email\n"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("[4/4] applying 2023-02-01.0.audit_seed\n"), std::string::npos) << up.err;
  EXPECT_EQ(version(), "20230201000\n");
  EXPECT_EQ(sql("SELECT id, email FROM accounts ORDER BY id"), "1|owner@example.org\n2|second@example.org\n");
  EXPECT_EQ(sql("SELECT note FROM audit"), "seeded\n");
  ASSERT_EQ(run("down").exit_code, 0) << "one file at a time";
  EXPECT_EQ(version(), "20230127000\n");
  ASSERT_EQ(run("down --all -y").exit_code, 0);
  EXPECT_EQ(table_count("accounts"), "0\n");
  Result again = run("up");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(sql("SELECT count(*) FROM accounts"), "2\n");
}

TEST_P(SqlMigrateDatedTest, DatabaseMigratedBySqlMigrateContinues) {
  copy_testdata("sql_migrate_dated");
  // sql-migrate applied the first two files (its table as sql-migrate creates it).
  make_gorp_table();
  sql("INSERT INTO gorp_migrations (id, applied_at) VALUES ('2023-01-20.0-accounts.sql', CURRENT_TIMESTAMP), "
      "('2023-01-20.1-accounts_email.sql', CURRENT_TIMESTAMP)");
  sql("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL)");
  EXPECT_EQ(versions_and_states(), "20230120000:applied 20230120001:applied 20230127000:pending 20230201000:pending ");
  Result up = run("up");
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_EQ(up.err.find("applying 2023-01-20"), std::string::npos) << "applied ones are not run again\n" << up.err;
  EXPECT_EQ(version(), "20230201000\n");
  EXPECT_EQ(sql("SELECT count(*) FROM accounts"), "0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM audit"), "1\n");
}

INSTANTIATE_TEST_SUITE_P(Engines, SqlMigrateDatedTest, ::testing::Values("sqlite", "postgres", "mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
