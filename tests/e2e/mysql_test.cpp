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

// The test server's TLS files and socket (scripts/test-dbs.sh env).
std::string tls_file(const std::string& name) {
  return env_or("STRATA_TEST_MYSQL_TLS_DIR", "/tmp/strata-test-dbs/mariadb-tls") + "/" + name;
}
std::string socket_path() {
  return env_or("STRATA_TEST_MYSQL_SOCKET", "/tmp/strata-test-dbs/mariadb-run/mariadb.sock");
}

class MysqlUrlTest : public MysqlTest {
 protected:
  // The test database's URL as user `user` (password of the test user), with `query`.
  std::string url_as(const std::string& user, const std::string& query = "") const {
    std::string url = "mysql://" + user + ":" + m_server.password.value_or("") + "@" + m_server.host + ":" +
                      std::to_string(m_server.port.value_or(3306)) + "/" + m_schema;
    return query.empty() ? url : url + "?" + query;
  }
  std::string url_with(const std::string& query) const { return url_as(m_server.user, query); }
  Result run_on(const std::string& url, const std::string& args) const {
    return strata(args, "DATABASE_URL=" + shell_quote(url));
  }
  // A migration that records the session's TLS cipher ("" without TLS) in table `name`.
  void write_cipher_migration(int version, const std::string& name) const {
    write("migrations/" + std::to_string(version) + "_" + name + ".up.sql",
          "CREATE TABLE " + name +
              " AS SELECT VARIABLE_VALUE AS cipher FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = "
              "'Ssl_cipher';\n");
  }
  std::string cipher_in(const std::string& table) const {
    return sql("SELECT IF(cipher = '', 'plain', 'tls') FROM " + table);
  }
};

TEST_P(MysqlUrlTest, TlsTrueWithTheCaVerifiesAndEncrypts) {
  write_cipher_migration(1, "c1");
  Result r = run_on(url_with("tls=true&ssl-ca=" + tls_file("ca.pem")), "up");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cipher_in("c1"), "tls\n");
  // golang-migrate's spelling: a named config made of x-tls- files.
  write_cipher_migration(2, "c2");
  r = run_on(url_with("tls=custom&x-tls-ca=" + tls_file("ca.pem")), "up");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cipher_in("c2"), "tls\n");
}

TEST_P(MysqlUrlTest, TlsTrueWithoutTheCaRefusesTheSelfSignedServerAndSaysWhatToDo) {
  const std::string url = url_with("tls=true");
  Result r = run_on(url, "version");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const DatabaseUrl parsed = parse_database_url(url);
  EXPECT_NE(r.err.find("strata: error: cannot connect to " + parsed.redacted + ": TLS/SSL error: "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("(MySQL error 2026, SQLSTATE HY000); tls=true verifies the server's certificate against the "
                       "system's trusted CAs: name the server's CA with ssl-ca=FILE (x-tls-ca=FILE), or use "
                       "tls=skip-verify to encrypt without verifying\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find(m_server.password.value_or("?") + "@"), std::string::npos);
}

TEST_P(MysqlUrlTest, SkipVerifyAndPreferredEncryptAndFalseDoesNot) {
  write_cipher_migration(1, "c1");
  write_cipher_migration(2, "c2");
  write_cipher_migration(3, "c3");
  Result r = run_on(url_with("tls=skip-verify"), "up 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_on(url_with("tls=preferred"), "up 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_on(url_with("tls=false"), "up 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cipher_in("c1"), "tls\n");
  EXPECT_EQ(cipher_in("c2"), "tls\n");
  EXPECT_EQ(cipher_in("c3"), "plain\n");
}

TEST_P(MysqlUrlTest, UserThatRequiresSslConnectsOnlyWithTls) {
  Result plain = run_on(url_as("strata_tls"), "version");
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_NE(plain.err.find("Access denied for user 'strata_tls'"), std::string::npos) << plain.err;
  Result tls = run_on(url_as("strata_tls", "tls=true&ssl-ca=" + tls_file("ca.pem")), "version");
  EXPECT_EQ(tls.exit_code, 0) << tls.err;
  EXPECT_EQ(tls.out, "none\n");
}

TEST_P(MysqlUrlTest, ClientCertificateFromTheUrlSatisfiesRequireX509) {
  Result without = run_on(url_as("strata_x509", "tls=true&ssl-ca=" + tls_file("ca.pem")), "version");
  EXPECT_EQ(without.exit_code, 1) << without.err;
  Result with = run_on(url_as("strata_x509", "tls=custom&x-tls-ca=" + tls_file("ca.pem") + "&x-tls-cert=" +
                                                 tls_file("client.pem") + "&x-tls-key=" + tls_file("client-key.pem")),
                       "version");
  EXPECT_EQ(with.exit_code, 0) << with.err;
}

TEST_P(MysqlUrlTest, UnixSocketInBothForms) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INT);\n");
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INT);\n");
  const std::string userinfo = m_server.user + ":" + m_server.password.value_or("");
  Result r = run_on("mysql://" + userinfo + "@unix(" + socket_path() + ")/" + m_schema, "up 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_on("mysql://" + userinfo + "@localhost/" + m_schema + "?socket=" + socket_path(), "up 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(version(), "2\n");
  Result missing = run_on("mysql://" + userinfo + "@unix(/nonexistent/mysqld.sock)/" + m_schema, "version");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot connect to mysql://" + m_server.user + ":***@unix(/nonexistent/mysqld.sock)/"),
            std::string::npos)
      << missing.err;
}

TEST_P(MysqlUrlTest, SessionVariablesFromTheUrlApplyToTheMigrations) {
  // ANSI_QUOTES makes "x" an identifier; foreign_key_checks=0 allows a key to a table made later.
  write("migrations/1_a.up.sql",
        "CREATE TABLE \"child\" (id INT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES parent (id));\n"
        "CREATE TABLE settings AS SELECT @@time_zone AS tz, @@foreign_key_checks AS fk;\n");
  Result r =
      run_on(url_with("sql_mode=%27ANSI_QUOTES%27&foreign_key_checks=0&time_zone=%2B02:00&parseTime=true"), "up");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sql("SELECT tz, fk FROM settings"), "+02:00|0\n");
  EXPECT_EQ(table_count("child"), "1\n");
}

TEST_P(MysqlUrlTest, UnknownOrRefusedParametersAreOneExitTwoLineNamingThem) {
  const std::string unknown = url_with("strata_no_such_variable=1");
  Result r = run_on(unknown, "version");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: unsupported parameter 'strata_no_such_variable' in database URL " +
                       parse_database_url(unknown).redacted +
                       ": neither a parameter of the mysql driver nor a session variable of this server (Unknown "
                       "system variable 'strata_no_such_variable' (MySQL error 1193, SQLSTATE HY000))\n");
  const std::string refused = url_with("sql_mode=NO_SUCH_MODE");
  r = run_on(refused, "version");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: cannot set session variable 'sql_mode' from database URL " +
                       parse_database_url(refused).redacted +
                       ": Variable 'sql_mode' can't be set to the value of 'NO_SUCH_MODE' (MySQL error 1231, SQLSTATE "
                       "42000)\n");
  const std::string typo = url_with("tsl=true");
  r = run_on(typo, "--json version");
  EXPECT_EQ(r.exit_code, 2);
  std::string redacted = typo;
  redacted.replace(redacted.find(":" + m_server.password.value_or("") + "@"), m_server.password.value_or("").size() + 2,
                   ":***@");
  EXPECT_EQ(r.json()["error"]["message"],
            "unsupported parameter 'tsl' in database URL " + redacted + ": did you mean 'tls'?");
}

INSTANTIATE_TEST_SUITE_P(Mariadb, MysqlUrlTest, ::testing::Values("mysql"), engine_name);
INSTANTIATE_TEST_SUITE_P(Mariadb, MysqlTest, ::testing::Values("mysql"), engine_name);

}  // namespace
}  // namespace strata::e2e
