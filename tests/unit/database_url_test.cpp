#include "core/database_url.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace strata {
namespace {

TEST(DatabaseUrl, SqliteForms) {
  EXPECT_EQ(parse_database_url("sqlite:strata-dev.db").path, "strata-dev.db");
  EXPECT_EQ(parse_database_url("sqlite://rel/path.db").path, "rel/path.db");
  EXPECT_EQ(parse_database_url("sqlite:///abs/path.db").path, "/abs/path.db");
  EXPECT_EQ(parse_database_url("sqlite3://rel/x.db").path, "rel/x.db");
  EXPECT_EQ(parse_database_url("sqlite::memory:").path, ":memory:");
  EXPECT_EQ(parse_database_url("sqlite:x.db").dialect, Dialect::sqlite);
}

TEST(DatabaseUrl, MigrationsTableParameterIsTakenOutOfTheUrl) {
  DatabaseUrl url = parse_database_url("sqlite:x.db?x-migrations-table=my_versions");
  EXPECT_EQ(url.path, "x.db");
  EXPECT_EQ(url.migrations_table, "my_versions");
  DatabaseUrl pg = parse_database_url("postgres://u:p@h:5433/db?sslmode=disable&x-migrations-table=v");
  EXPECT_EQ(pg.migrations_table, "v");
  EXPECT_EQ(pg.conninfo, "postgresql://u:p@h:5433/db?sslmode=disable");
}

TEST(DatabaseUrl, UnknownSqliteParameterIsAUsageError) {
  EXPECT_THROW(parse_database_url("sqlite:x.db?cache=shared"), UsageError);
}

TEST(DatabaseUrl, PostgresUrlIsSplitAndRedacted) {
  DatabaseUrl url = parse_database_url("postgresql://migrate:s3cr%40t@127.0.0.1:5432/migrate_test?sslmode=disable");
  EXPECT_EQ(url.dialect, Dialect::postgres);
  EXPECT_EQ(url.user, "migrate");
  EXPECT_EQ(url.password, "s3cr@t");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 5432);
  EXPECT_EQ(url.database, "migrate_test");
  EXPECT_EQ(url.redacted, "postgresql://migrate:***@127.0.0.1:5432/migrate_test?sslmode=disable");
  EXPECT_EQ(url.conninfo, "postgresql://migrate:s3cr%40t@127.0.0.1:5432/migrate_test?sslmode=disable");
}

TEST(DatabaseUrl, GolangMigrateOptionsOnPostgresAreNamedNotPassedToLibpq) {
  try {
    parse_database_url("postgres://u:secret@h/db?x-multi-statement=true");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_STREQ(
        error.what(),
        "unsupported parameter 'x-multi-statement' in database URL postgres://u:***@h/db?x-multi-statement=true: "
        "golang-migrate's x- options are not libpq parameters (strata takes x-migrations-table only)");
  }
}

TEST(DatabaseUrl, WhitespaceIsRefusedWithoutEchoingTheUrl) {
  try {
    parse_database_url("postgres://u:my secret@h/db");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(),
                 "invalid database URL: it contains a space or control character; percent-encode it (a "
                 "space is %20)");
  }
  EXPECT_EQ(parse_database_url("postgres://u:my%20secret@h/db").password, "my secret");
}

TEST(DatabaseUrl, PasswordParameterIsRedacted) {
  DatabaseUrl url = parse_database_url("postgres://h/db?user=u&password=hunter2");
  EXPECT_EQ(url.redacted, "postgres://h/db?user=u&password=***");
}

TEST(DatabaseUrl, MysqlFormsIncludingGolangMigrateTcp) {
  DatabaseUrl plain = parse_database_url("mysql://root:pw@localhost:3307/app");
  EXPECT_EQ(plain.dialect, Dialect::mysql);
  EXPECT_EQ(plain.host, "localhost");
  EXPECT_EQ(plain.port, 3307);
  EXPECT_EQ(plain.database, "app");
  DatabaseUrl tcp = parse_database_url("mysql://root:pw@tcp(127.0.0.1:3306)/app?multiStatements=true");
  EXPECT_EQ(tcp.host, "127.0.0.1");
  EXPECT_EQ(tcp.port, 3306);
  EXPECT_EQ(tcp.database, "app");
  EXPECT_EQ(tcp.redacted, "mysql://root:***@tcp(127.0.0.1:3306)/app?multiStatements=true");
  EXPECT_EQ(parse_database_url("mariadb://u@h/db").dialect, Dialect::mysql);
}

TEST(DatabaseUrl, PasswordWithAtSignAndSlashIsSplitAtTheLastAt) {
  DatabaseUrl url = parse_database_url("mysql://u:p@ss@h/db");
  EXPECT_EQ(url.password, "p@ss");
  EXPECT_EQ(url.host, "h");
}

TEST(DatabaseUrl, ErrorsNameTheRedactedUrl) {
  try {
    parse_database_url("oracle://scott:tiger@h/db");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(),
                 "unknown database URL scheme 'oracle:' in oracle://scott:***@h/db (expected sqlite:, postgres:, "
                 "postgresql:, mysql: or mariadb:)");
  }
  try {
    parse_database_url("postgres://u:secret@h:99999/db");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "malformed database URL postgres://u:***@h:99999/db: bad port '99999'");
  }
  EXPECT_THROW(parse_database_url("strata.db"), UsageError);
  EXPECT_THROW(parse_database_url("mysql://u:p@h:3306"), UsageError);
}

TEST(RedactPasswords, RedactsUrlsInsideFreeText) {
  EXPECT_EQ(redact_passwords("could not connect to postgres://u:secret@h/db: refused"),
            "could not connect to postgres://u:***@h/db: refused");
  EXPECT_EQ(redact_passwords("host=h password=secret dbname=x"), "host=h password=*** dbname=x");
  EXPECT_EQ(redact_passwords("no secrets here"), "no secrets here");
}

TEST(TableName, ValidNamesAndSchemas) {
  EXPECT_EQ(parse_table_name("schema_migrations", Dialect::sqlite).display(), "schema_migrations");
  TableName qualified = parse_table_name("ops.versions", Dialect::postgres);
  EXPECT_EQ(qualified.schema, "ops");
  EXPECT_EQ(qualified.name, "versions");
  EXPECT_EQ(qualified.history().display(), "ops.versions_history");
}

TEST(TableName, InvalidNamesAreUsageErrorsNamingTheSetting) {
  try {
    parse_table_name("x; DROP TABLE users", Dialect::sqlite, "STRATA_TABLE");
    FAIL();
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(),
                 "invalid STRATA_TABLE 'x; DROP TABLE users': expected a name matching "
                 "[A-Za-z_][A-Za-z0-9_]*");
  }
  EXPECT_THROW(parse_table_name("1abc", Dialect::sqlite), UsageError);
  EXPECT_THROW(parse_table_name("", Dialect::sqlite), UsageError);
  EXPECT_THROW(parse_table_name("a.b", Dialect::mysql), UsageError);
  EXPECT_THROW(parse_table_name("a.b.c", Dialect::postgres), UsageError);
}

}  // namespace
}  // namespace strata
