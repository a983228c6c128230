#include "core/database_url.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

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

TEST(DatabaseUrl, LockLeaseParameterIsTakenOutOfTheUrl) {
  DatabaseUrl pg = parse_database_url("postgres://u:p@h:5433/db?x-lock-lease=5&sslmode=disable");
  EXPECT_EQ(pg.lock_lease, std::chrono::seconds(5));
  EXPECT_EQ(pg.conninfo, "postgresql://u:p@h:5433/db?sslmode=disable");
  DatabaseUrl my = parse_database_url("mysql://u:p@h:3306/db?x-lock-lease=3600");
  EXPECT_EQ(my.lock_lease, std::chrono::seconds(3600));
  EXPECT_TRUE(my.params.empty());
  EXPECT_FALSE(parse_database_url("mysql://u:p@h:3306/db").lock_lease.has_value());
  EXPECT_THROW(parse_database_url("sqlite:x.db?x-lock-lease=5"), UsageError);  // a file lock needs no lease
}

TEST(DatabaseUrl, LockLeaseOutsideOneSecondToAnHourIsAUsageError) {
  for (const std::string value : {"0", "3601", "1.5", "", "10s", "-1"}) {
    try {
      parse_database_url("mysql://u:secret@h:3306/db?x-lock-lease=" + value);
      FAIL() << value;
    } catch (const UsageError& error) {
      EXPECT_EQ(std::string(error.what()),
                "bad value '" + value +
                    "' for x-lock-lease in database URL mysql://u:***@h:3306/db?x-lock-lease=" + value +
                    ": expected whole seconds from 1 to 3600 (how long a cluster-wide migration lock lasts without "
                    "renewal)");
    }
  }
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

TEST(DatabaseUrl, PostgresMultiHostUrlKeepsEveryHostForLibpqAndRedactsThePassword) {
  DatabaseUrl url = parse_database_url(
      "postgres://app:pw@10.0.0.2:5433,[::1]:5434,db3/app?target_session_attrs=read-write&password=pw2");
  EXPECT_EQ(url.host, "10.0.0.2");
  EXPECT_EQ(url.port, 5433);
  EXPECT_EQ(url.database, "app");
  EXPECT_EQ(url.conninfo,
            "postgresql://app:pw@10.0.0.2:5433,[::1]:5434,db3/app?target_session_attrs=read-write&password=pw2");
  EXPECT_EQ(url.redacted,
            "postgres://app:***@10.0.0.2:5433,[::1]:5434,db3/app?target_session_attrs=read-write&password=***");
  EXPECT_EQ(redact_passwords("connecting to postgres://app:pw@h1:1,h2:2/app failed"),
            "connecting to postgres://app:***@h1:1,h2:2/app failed");
  EXPECT_EQ(parse_database_url("postgres://h1,h2:6000/app").host, "h1");
  EXPECT_FALSE(parse_database_url("postgres://h1,h2:6000/app").port);
}

TEST(DatabaseUrl, PostgresMultiHostUrlWithABadPortNamesIt) {
  try {
    parse_database_url("postgres://app:pw@h1:5432,h2:54x2/app");
    FAIL() << "no UsageError";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "malformed database URL postgres://app:***@h1:5432,h2:54x2/app: bad port '54x2'");
  }
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

// The whole UsageError message of parsing `url`, or "" when it parses.
std::string usage_error(const std::string& url) {
  try {
    parse_database_url(url);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

TEST(MysqlUrl, UnixSocketInGolangMigrateAndDbmateForms) {
  DatabaseUrl unix_form = parse_database_url("mysql://u:secret@unix(/run/mysqld/mysqld.sock)/app?charset=utf8mb4");
  EXPECT_EQ(unix_form.mysql.socket, "/run/mysqld/mysqld.sock");
  EXPECT_EQ(unix_form.database, "app");
  EXPECT_EQ(unix_form.host, "");
  EXPECT_EQ(unix_form.redacted, "mysql://u:***@unix(/run/mysqld/mysqld.sock)/app?charset=utf8mb4");
  DatabaseUrl param_form = parse_database_url("mysql://u:secret@localhost/app?socket=/tmp/my%20sql.sock");
  EXPECT_EQ(param_form.mysql.socket, "/tmp/my sql.sock");
  EXPECT_EQ(parse_database_url("mysql://u@h/app").mysql.socket, "");
  EXPECT_EQ(usage_error("mysql://u:secret@unix(/a.sock)/app?socket=/b.sock"),
            "unsupported parameter 'socket' in database URL mysql://u:***@unix(/a.sock)/app?socket=/b.sock: the URL "
            "already names a socket with unix(…)");
  EXPECT_EQ(usage_error("mysql://u@h/app?socket=relative.sock"),
            "invalid value 'relative.sock' for 'socket' in database URL mysql://u@h/app?socket=relative.sock: expected "
            "an absolute path to the server's Unix socket");
  EXPECT_NE(usage_error("mysql://u@unix(/a.sock/app"), "");
  EXPECT_NE(usage_error("postgres://u@unix(/a.sock)/app"), "");
}

TEST(MysqlUrl, TlsModesInGoSqlDriverSpelling) {
  EXPECT_EQ(parse_database_url("mysql://u@h/db").mysql.tls, MysqlTls::off);
  EXPECT_EQ(parse_database_url("mysql://u@h/db?tls=false").mysql.tls, MysqlTls::off);
  EXPECT_EQ(parse_database_url("mysql://u@h/db?tls=true").mysql.tls, MysqlTls::verify);
  EXPECT_EQ(parse_database_url("mysql://u@h/db?tls=1").mysql.tls, MysqlTls::verify);
  EXPECT_EQ(parse_database_url("mysql://u@h/db?tls=skip-verify").mysql.tls, MysqlTls::skip_verify);
  EXPECT_EQ(parse_database_url("mysql://u@h/db?tls=preferred").mysql.tls, MysqlTls::preferred);
  EXPECT_EQ(usage_error("mysql://u:pw@h/db?tls=custom"),
            "invalid value 'custom' for 'tls' in database URL mysql://u:***@h/db?tls=custom: expected true, false, "
            "skip-verify or preferred (a custom TLS config name needs its files: ssl-ca / x-tls-ca, ssl-cert / "
            "x-tls-cert, ssl-key / x-tls-key)");
}

TEST(MysqlUrl, CertificateFilesInBothSpellingsAndWhatTheyImply) {
  const std::string file = STRATA_TESTDATA "/example/000001_create_users.up.sql";  // any readable file
  const DatabaseUrl golang_migrate =
      parse_database_url("mysql://u@h/db?tls=custom&x-tls-ca=" + file + "&x-tls-cert=" + file + "&x-tls-key=" + file);
  EXPECT_EQ(golang_migrate.mysql.tls, MysqlTls::verify);
  EXPECT_EQ(golang_migrate.mysql.tls_ca, file);
  EXPECT_EQ(golang_migrate.mysql.tls_cert, file);
  EXPECT_EQ(golang_migrate.mysql.tls_key, file);
  // Files alone ask for TLS; x-tls-insecure-skip-verify turns verification off.
  EXPECT_EQ(parse_database_url("mysql://u@h/db?ssl-ca=" + file).mysql.tls, MysqlTls::verify);
  EXPECT_EQ(parse_database_url("mysql://u@h/db?ssl-ca=" + file + "&x-tls-insecure-skip-verify=true").mysql.tls,
            MysqlTls::skip_verify);
  EXPECT_EQ(parse_database_url("mysql://u@h/db?tls=preferred&ssl-ca=" + file).mysql.tls, MysqlTls::preferred);
  EXPECT_EQ(usage_error("mysql://u@h/db?tls=false&ssl-ca=" + file),
            "unsupported parameter 'tls' in database URL mysql://u@h/db?tls=false&ssl-ca=" + file +
                ": tls=false cannot be combined with certificate files (ssl-ca, ssl-cert, ssl-key)");
  EXPECT_EQ(usage_error("mysql://u@h/db?ssl-cert=" + file),
            "unsupported parameter 'ssl-cert' in database URL mysql://u@h/db?ssl-cert=" + file +
                ": a client certificate needs both ssl-cert (x-tls-cert) and ssl-key (x-tls-key)");
  EXPECT_EQ(usage_error("mysql://u:pw@h/db?tls=true&ssl-ca=/no/such/ca.pem"),
            "cannot read the ssl-ca file '/no/such/ca.pem' named in database URL "
            "mysql://u:***@h/db?tls=true&ssl-ca=/no/such/ca.pem: No such file or directory");
  EXPECT_NE(usage_error("mysql://u@h/db?ssl-ca=" + file + "&x-tls-ca=/other.pem"), "");
  EXPECT_NE(usage_error("mysql://u@h/db?x-tls-insecure-skip-verify=maybe"), "");
}

TEST(MysqlUrl, ConnectionParametersAreReadAndHarmlessOnesAccepted) {
  const MysqlSettings settings =
      parse_database_url(
          "mysql://u@tcp(h:3306)/db?timeout=1m30s&readTimeout=500ms&writeTimeout=2&charset=utf8mb4,utf8&"
          "collation=utf8mb4_unicode_ci&compress=true&allowCleartextPasswords=1&parseTime=true&loc=Local&"
          "multiStatements=true&interpolateParams=true&allowNativePasswords=true&x-migrations-table=v")
          .mysql;
  EXPECT_EQ(settings.connect_timeout, std::chrono::milliseconds(90000));
  EXPECT_EQ(settings.read_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(settings.write_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(settings.charset, "utf8mb4");
  EXPECT_EQ(settings.collation, "utf8mb4_unicode_ci");
  EXPECT_TRUE(settings.compress);
  EXPECT_TRUE(settings.cleartext_passwords);
  EXPECT_TRUE(settings.session_variables.empty());
  EXPECT_EQ(parse_database_url("mysql://u@h/db").mysql.charset, "utf8mb4");
  EXPECT_EQ(usage_error("mysql://u@h/db?timeout=soon"),
            "invalid value 'soon' for 'timeout' in database URL mysql://u@h/db?timeout=soon: expected a duration such "
            "as 30s, 500ms or 1m30s");
  for (const char* bad : {".s", "1.2.3s", "10parsecs", "1e3s", "99999999999999s"})
    EXPECT_NE(usage_error(std::string("mysql://u@h/db?readTimeout=") + bad), "") << bad;
  EXPECT_NE(usage_error("mysql://u@h/db?charset=utf8mb4;DROP"), "");
  EXPECT_NE(usage_error("mysql://u@h/db?charset=latin1&charset=utf8mb4"), "");
}

TEST(MysqlUrl, OtherParametersAreSessionVariablesSentAsLiterals) {
  const auto variables =
      parse_database_url(
          "mysql://u@h/db?foreign_key_checks=0&sql_mode=%27ANSI_QUOTES,STRICT_ALL_TABLES%27&time_zone=%2B00:00&"
          "unique_checks=off&max_statement_time=2.5&lock_wait_timeout=-1&innodb_strict_mode=x'%3B")
          .mysql.session_variables;
  ASSERT_EQ(variables.size(), 7u);
  auto expect = [&](size_t i, const std::string& name, const std::string& value, bool literal) {
    EXPECT_EQ(variables[i].name, name);
    EXPECT_EQ(variables[i].value, value) << name;
    EXPECT_EQ(variables[i].literal, literal) << name;
  };
  expect(0, "foreign_key_checks", "0", false);
  expect(1, "sql_mode", "ANSI_QUOTES,STRICT_ALL_TABLES", true);
  expect(2, "time_zone", "+00:00", true);
  expect(3, "unique_checks", "OFF", false);
  expect(4, "max_statement_time", "2.5", false);
  expect(5, "lock_wait_timeout", "-1", false);
  expect(6, "innodb_strict_mode", "x';", true);  // a string literal, quoted by the driver
}

TEST(MysqlUrl, MisspelledDriverParametersAndUnusableNamesAreRefusedBeforeConnecting) {
  EXPECT_EQ(usage_error("mysql://u:pw@h/db?tsl=true"),
            "unsupported parameter 'tsl' in database URL mysql://u:***@h/db?tsl=true: did you mean 'tls'?");
  EXPECT_EQ(usage_error("mysql://u@h/db?ssl_ca=/x.pem"),
            "unsupported parameter 'ssl_ca' in database URL mysql://u@h/db?ssl_ca=/x.pem: did you mean 'ssl-ca'?");
  EXPECT_EQ(usage_error("mysql://u@h/db?parsetime=true"),
            "unsupported parameter 'parsetime' in database URL mysql://u@h/db?parsetime=true: did you mean "
            "'parseTime'?");
  EXPECT_EQ(usage_error("mysql://u@h/db?x-tls-cart=/x.pem"),
            "unsupported parameter 'x-tls-cart' in database URL mysql://u@h/db?x-tls-cart=/x.pem: did you mean "
            "'x-tls-cert'?");
  EXPECT_EQ(usage_error("mysql://u@h/db?x-bogus=1"),
            "unsupported parameter 'x-bogus' in database URL mysql://u@h/db?x-bogus=1: golang-migrate's x- options "
            "other than x-migrations-table and x-tls-… are not supported");
  EXPECT_EQ(usage_error("mysql://u@h/db?x-no-lock=true"),
            "unsupported parameter 'x-no-lock' in database URL mysql://u@h/db?x-no-lock=true: strata always takes the "
            "migration lock");
  EXPECT_EQ(usage_error("mysql://u@h/db?autocommit=0"),
            "unsupported parameter 'autocommit' in database URL mysql://u@h/db?autocommit=0: strata manages "
            "transactions itself and relies on autocommit being on");
  EXPECT_EQ(usage_error("mysql://u@h/db?character_set_client=latin1"),
            "unsupported parameter 'character_set_client' in database URL mysql://u@h/db?character_set_client=latin1: "
            "use charset=: the client library must know the connection's character set to escape values");
  EXPECT_EQ(usage_error("mysql://u@h/db?bad%20name=1"),
            "unsupported parameter 'bad name' in database URL mysql://u@h/db?bad%20name=1: neither a parameter of the "
            "mysql driver nor the name of a session variable (see docs/drivers.md)");
  EXPECT_EQ(usage_error("mysql://u@h/db?sql_mode="),
            "invalid value '' for 'sql_mode' in database URL mysql://u@h/db?sql_mode=: expected a value for the "
            "session variable");
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
