// Hostile input and security, end to end: the real binary on files and settings a careless or
// malicious user could hand it. Every case must end with an exit code and one
// `strata: error: …` line (or succeed), never a signal, a hang or a half-applied migration.
// SQLite is enough for the source side (the splitter is engine-independent); the password
// checks also use the PostgreSQL and MariaDB test servers (scripts/test-dbs.sh).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <random>
#include <thread>

#include "e2e/harness.hpp"

namespace strata::e2e {
namespace {

using nlohmann::json;

constexpr const char* k_password = "Sup3rS3cret!pw";
constexpr const char* k_password_encoded = "Sup3rS3cret%21pw";

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

class Hostile : public CliTest {
 protected:
  // `strata ARGS` like CliTest::strata, but bounded by a timeout (a hang is exit 124) and with
  // an optional shell prefix (`umask 077;`, `setpriv … `).
  Result run(const std::string& args, const std::string& env = "DATABASE_URL=sqlite:test.db",
             const std::string& prefix = "", int timeout_seconds = 60) const {
    std::string command = "cd " + shell_quote(dir().string()) + " && " + prefix + " timeout -k 5 " +
                          std::to_string(timeout_seconds) +
                          " env -u DATABASE_URL -u STRATA_PATH -u STRATA_TABLE -u STRATA_LOCK_TIMEOUT -u NO_COLOR " +
                          env + " " + shell_quote(STRATA_BINARY) + " " + args + " </dev/null >.out 2>.err";
    int status = std::system(command.c_str());
    Result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = slurp(dir() / ".out");
    result.err = slurp(dir() / ".err");
    EXPECT_LT(result.exit_code, 124) << "killed, timed out or crashed: strata " << args << "\n" << result.err;
    return result;
  }

  std::string tables() const {
    if (!fs::exists(dir() / "test.db")) return "";
    std::string names =
        sql("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = "
            "'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name);");
    return names == "\n" ? "" : names;
  }

  std::string version() const { return run("version").out; }

  // Waits up to `seconds` for `path` to exist and be non-empty (a pause point writes its pid).
  static bool wait_for_file(const fs::path& path, double seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    std::error_code ec;
    while (std::chrono::steady_clock::now() < deadline) {
      if (fs::exists(path, ec) && fs::file_size(path, ec) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

// mt19937's output is fixed by the standard, so the bytes are the same everywhere.
std::string random_bytes(uint32_t seed, size_t size, bool allow_nul) {
  std::mt19937 generator(seed);
  std::string bytes;
  for (size_t i = 0; i < size; ++i) {
    char c = static_cast<char>(generator() & 0xff);
    if (!allow_nul && c == '\0') c = '\x01';
    bytes.push_back(c);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Hostile migration sources

TEST_F(Hostile, RandomBytesFileWithNulIsRefusedWithFileAndLine) {
  write("migrations/1_rand.up.sql", random_bytes(20261122, 4096, true));
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "strata: error: 1_rand.up.sql:1: contains a NUL byte (not a text file)\n");
  EXPECT_EQ(version(), "none\n");
}

TEST_F(Hostile, RandomBytesWithoutNulFailCleanlyAndApplyNothing) {
  write("migrations/1_ok.up.sql", "CREATE TABLE ok (id INTEGER);\n");
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    write("migrations/2_rand.up.sql", random_bytes(seed, 4096, false));
    Result r = run("up");
    // Either the splitter refuses it (4) or SQLite does (1, rolled back); one error line.
    EXPECT_TRUE(r.exit_code == 1 || r.exit_code == 4) << seed << ": " << r.exit_code << " " << r.err;
    size_t error = r.err.find("strata: error: ");
    ASSERT_NE(error, std::string::npos) << seed << ": " << r.err;
    EXPECT_EQ(r.err.find('\n', error), r.err.size() - 1) << seed << ": " << r.err;
    if (r.exit_code == 1) {
      EXPECT_NE(r.err.find("strata: error: migration 2_rand (up) failed at 2_rand.up.sql:"), std::string::npos);
      EXPECT_NE(r.err.find("; rolled back, database still at version 1\n"), std::string::npos) << r.err;
    } else {
      EXPECT_EQ(r.err.rfind("strata: error: 2_rand.up.sql:", 0), 0u) << r.err;
    }
    std::string now = tables();
    EXPECT_TRUE(now == "" || now == "ok,schema_migrations,schema_migrations_history\n") << seed << ": " << now;
    if (r.exit_code == 1) {
      EXPECT_EQ(version(), "1\n");
    }
  }
  if (fs::exists(dir() / "test.db")) {
    EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations_history WHERE version = 2;"), "0\n");
  }
}

// No OS lets a NUL byte into a file name, an argument or an environment value, so SQL is the
// only place one can hide. Drivers take C strings (libpq would silently run only the text
// before it), so the loader refuses the file, naming its line.
TEST_F(Hostile, NulByteInsideSqlIsRefusedBeforeAnythingRuns) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (x TEXT);\n");
  write("migrations/2_nul.up.sql", std::string("CREATE TABLE b (x TEXT);\nDELETE FROM a\0 WHERE x = 'keep';\n", 58));
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "strata: error: 2_nul.up.sql:2: contains a NUL byte (not a text file)\n");
  EXPECT_EQ(version(), "none\n");
  EXPECT_EQ(tables(), "");

  Result validate = run("validate", "");
  EXPECT_EQ(validate.exit_code, 4);
  EXPECT_EQ(validate.err.rfind("strata: error: 2_nul.up.sql:2: contains a NUL byte (not a text file)", 0), 0u)
      << validate.err;

  Result dry = run("up --dry-run --dialect postgres --json", "");
  EXPECT_EQ(dry.exit_code, 4);
  EXPECT_EQ(dry.json()["error"]["message"], "2_nul.up.sql:2: contains a NUL byte (not a text file)");
}

TEST_F(Hostile, NulByteInAnEnvFileIsAUsageError) {
  write(".env", std::string("DATABASE_URL=sqlite:a\0b.db\n", 27));
  Result r = run("version", "");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "strata: error: cannot read --env-file .env: .env:1: contains a NUL byte (not a text file)\n");
}

TEST_F(Hostile, FiveMegabyteSingleLineStatementIsApplied) {
  std::string value(5'000'000, 'x');
  write("migrations/1_big.up.sql", "CREATE TABLE big AS SELECT '" + value + "' AS v;");
  Result r = run("-q up");
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 500);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(sql("SELECT length(v) FROM big;"), "5000000\n");
  Result dry = run("down --dry-run --json");
  EXPECT_EQ(dry.exit_code, 0);
}

TEST_F(Hostile, HundredThousandNestedParenthesesFailCleanlyAndRollBack) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_deep.up.sql", "CREATE TABLE half (id INTEGER);\nSELECT " + std::string(100'000, '(') + "1" +
                                        std::string(100'000, ')') + ";\n");
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("\nstrata: error: migration 2_deep (up) failed at 2_deep.up.sql:2: parser stack overflow; "
                       "rolled back, database still at version 1\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(version(), "1\n");
  EXPECT_EQ(tables(), "a,schema_migrations,schema_migrations_history\n");  // no `half`

  // The splitter itself has no depth limit: offline, the statement is planned whole.
  Result dry = run("up --dry-run --dialect postgres --json", "");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.json()["plan"][1]["statements"][1]["sql"].get<std::string>().size(), 200'008u);
}

TEST_F(Hostile, HundredThousandNestedBlockCommentsOnPostgres) {
  std::string open, close;
  for (int i = 0; i < 100'000; ++i) open += "/* ";
  for (int i = 0; i < 100'000; ++i) close += "*/ ";
  write("migrations/1_c.up.sql", "SELECT 1 " + open + close + ";\nSELECT 2;\n");
  Result r = run("up --dry-run --dialect postgres --json", "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json statements = r.json()["plan"][0]["statements"];
  ASSERT_EQ(statements.size(), 2u);
  EXPECT_EQ(statements[1], json::parse(R"({"file": "1_c.up.sql", "line": 2, "sql": "SELECT 2"})"));
}

TEST_F(Hostile, DeeplyNestedUnterminatedBlockCommentNamesWhereItStarted) {
  std::string text = "SELECT 1;\n";
  for (int i = 0; i < 100'000; ++i) text += "/* ";
  for (int i = 0; i < 99'999; ++i) text += "*/\n";
  write("migrations/1_c.up.sql", text);
  Result r = run("up --dry-run --dialect postgres", "");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "strata: error: 1_c.up.sql:2: unterminated block comment started here\n");
}

TEST_F(Hostile, VersionBeyondSixtyFourBitsIsRefusedAndTheMaximumWorks) {
  write("migrations/99999999999999999999_x.up.sql", "SELECT 1;\n");
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err,
            "strata: error: 99999999999999999999_x.up.sql: version 99999999999999999999 is out of range "
            "(maximum 9223372036854775807)\n");
  fs::remove(dir() / "migrations" / "99999999999999999999_x.up.sql");
  write("migrations/9223372036854775807_max.up.sql", "CREATE TABLE m (id INTEGER);\n");
  Result max = run("-q up");
  EXPECT_EQ(max.exit_code, 0) << max.err;
  EXPECT_EQ(version(), "9223372036854775807\n");
}

TEST_F(Hostile, DirectoryNamedLikeAMigrationIsRefused) {
  write("migrations/0001_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  fs::create_directory(dir() / "migrations" / "0002_x.up.sql");
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err,
            "strata: error: 0002_x.up.sql: is not a regular file (migrations must be files directly in the "
            "directory)\n");
  EXPECT_EQ(version(), "none\n");
}

// Root reads anything, so the run drops to nobody (setpriv, util-linux on Debian 12).
TEST_F(Hostile, UnreadableFileIsASourceErrorNamingIt) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  fs::permissions(dir(), fs::perms::all);
  fs::permissions(dir() / "migrations" / "2_b.up.sql", fs::perms::none);
  // Not root: the file is unreadable for this user already.
  Result r = run("up", "DATABASE_URL=sqlite:test.db",
                 ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "strata: error: 2_b.up.sql: cannot read file: Permission denied\n");
  EXPECT_EQ(version(), "none\n");
  EXPECT_EQ(tables().find("a,"), std::string::npos);
}

// Symbolic links are followed (a shared migration kept elsewhere works); the checksum is the
// target's contents. A link to nothing is named as such.
TEST_F(Hostile, SymlinkedMigrationIsFollowed) {
  write("shared/create_b.sql", "CREATE TABLE b (id INTEGER);\n");
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  fs::create_symlink("../shared/create_b.sql", dir() / "migrations" / "2_b.up.sql");
  Result r = run("-q up");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(version(), "2\n");
  EXPECT_EQ(tables(), "a,b,schema_migrations,schema_migrations_history\n");
  EXPECT_EQ(run("validate").exit_code, 0);
}

TEST_F(Hostile, DanglingSymlinkIsAClearError) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  fs::create_symlink("../nowhere.sql", dir() / "migrations" / "2_b.up.sql");
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "strata: error: 2_b.up.sql: is a symbolic link to ../nowhere.sql, which does not exist\n");
  EXPECT_EQ(version(), "none\n");
  Result validate = run("validate", "");
  EXPECT_EQ(validate.exit_code, 4);
  EXPECT_EQ(
      validate.err.rfind("strata: error: 2_b.up.sql: is a symbolic link to ../nowhere.sql, which does not exist", 0),
      0u);
}

// The run reads and parses every file when it plans; a directory deleted afterwards does not
// matter to it (it completes), and the next run reports the directory as missing.
TEST_F(Hostile, MigrationsDirectoryRemovedMidRunDoesNotAffectTheRun) {
  for (const std::string point : {"plan", "start:2", "record:3"}) {
    SCOPED_TRACE(point);
    fs::remove(dir() / "test.db");
    fs::remove(dir() / ".bg-rc");
    write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
    write("migrations/2_b.up.sql", "CREATE TABLE b (id INTEGER);\n");
    write("migrations/3_c.sql", "-- +strata Up\nCREATE TABLE c (id INTEGER);\n-- +strata Down\nDROP TABLE c;\n");
    fs::path pause = dir() / "pause";
    std::string command =
        "cd " + shell_quote(dir().string()) + " && (env -u STRATA_PATH STRATA_TEST_PAUSE_AT=" + point +
        " STRATA_TEST_PAUSE_FILE=" + shell_quote(pause.string()) + " timeout -k 5 60 " +
        shell_quote(STRATA_HOOKED_BINARY) + " -d sqlite:test.db up </dev/null >.bg-out 2>.bg-err; echo $? >.bg-rc) &";
    ASSERT_EQ(std::system(command.c_str()), 0);
    ASSERT_TRUE(wait_for_file(pause, 30)) << "never paused at " << point;
    fs::remove_all(dir() / "migrations");
    fs::remove(pause);
    ASSERT_TRUE(wait_for_file(dir() / ".bg-rc", 60));
    EXPECT_EQ(read(".bg-rc"), "0\n") << read(".bg-err");
    EXPECT_NE(read(".bg-err").find("database at version 3 (3 migrations, "), std::string::npos) << read(".bg-err");
    EXPECT_EQ(tables(), "a,b,c,schema_migrations,schema_migrations_history\n");

    Result after = run("status");
    EXPECT_EQ(after.exit_code, 2);
    EXPECT_EQ(
        after.err.rfind("strata: error: cannot read migrations directory ./migrations (--path / STRATA_PATH): ", 0), 0u)
        << after.err;
  }
}

TEST_F(Hostile, EmptyAndCommentOnlyFilesOnlyMoveTheVersion) {
  write("migrations/1_empty.up.sql", "");
  write("migrations/2_comments.up.sql", "-- nothing here\n/* still\n nothing */\n   \n-- end");
  write("migrations/3_single.sql", "-- +goose Up\n-- only a comment\n-- +goose Down\n");
  Result r = run("-q up");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(version(), "3\n");
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations_history WHERE outcome = 'applied';"), "3\n");
  EXPECT_EQ(run("-q down --all -y").exit_code, 0);
  EXPECT_EQ(version(), "none\n");
}

TEST_F(Hostile, ByteOrderMarkAndCrlfAreAccepted) {
  write("migrations/1_a.up.sql",
        "\xEF\xBB\xBF"
        "CREATE TABLE a (x TEXT);\r\nINSERT INTO a VALUES ('one');\r\n");
  write("migrations/1_a.down.sql",
        "\xEF\xBB\xBF"
        "DROP TABLE a;\r\n");
  write("migrations/2_b.sql",
        "\xEF\xBB\xBF-- +goose Up\r\n-- +goose StatementBegin\r\nINSERT INTO a VALUES ('two');\r\n"
        "-- +goose StatementEnd\r\n-- +goose Down\r\nDELETE FROM a WHERE x = 'two';\r\n");
  Result r = run("-q up");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sql("SELECT group_concat(hex(x), ',') FROM a;"), "6F6E65,74776F\n");  // no \r, no BOM
  EXPECT_EQ(run("-q down").exit_code, 0);
  EXPECT_EQ(sql("SELECT count(*) FROM a;"), "1\n");
  EXPECT_EQ(run("-q down").exit_code, 0);
  EXPECT_EQ(tables(), "schema_migrations,schema_migrations_history\n");
}

TEST_F(Hostile, InvalidUtf8PassesThroughSqlAndFileNames) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (x BLOB);\nINSERT INTO a VALUES ('\xFF\xFE\xC3');\n");
  write("migrations/2_b\xFF.up.sql", "CREATE TABLE b (id INTEGER);\n");
  Result r = run("up");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[2/2] applied 2_b\xFF ("), std::string::npos) << r.err;
  EXPECT_EQ(sql("SELECT hex(x) FROM a;"), "FFFEC3\n");
  Result status = run("status");
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("2        b\xFF "), std::string::npos) << status.out;
  // JSON must stay valid UTF-8: the bad byte becomes U+FFFD.
  Result doc = run("--json status");
  EXPECT_EQ(doc.exit_code, 0);
  EXPECT_EQ(doc.json()["migrations"][1]["name"], "b\xEF\xBF\xBD");
}

TEST_F(Hostile, ThreeThousandMigrationsApplyInOneRun) {
  for (int i = 1; i <= 3000; ++i) {
    write("migrations/" + std::to_string(i) + "_m.up.sql", i % 2 ? "" : "SELECT " + std::to_string(i) + ";\n");
  }
  Result r = run("-q up", "DATABASE_URL=sqlite:test.db", "", 120);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(version(), "3000\n");
  EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations_history;"), "3000\n");
  Result status = run("--json status");
  EXPECT_EQ(status.json()["migrations"].size(), 3000u);
  EXPECT_EQ(status.json()["pending"], 0);
}

// ---------------------------------------------------------------------------------------------
// Security

// The test servers' URLs with the password swapped for k_password (the server rejects it).
struct Server {
  std::string scheme_and_user;  // "postgres://strata:"
  std::string rest;             // "@127.0.0.1:55432/strata_test?sslmode=disable"
};

Server split(const std::string& url) {
  size_t colon = url.find(':', url.find("://") + 3);
  size_t at = url.find('@');
  return {url.substr(0, colon + 1), url.substr(at)};
}

class HostileSecret : public Hostile {
 protected:
  void expect_hidden(const Result& r, const std::string& what) {
    EXPECT_EQ(r.out.find("Sup3rS3cret"), std::string::npos) << what << "\n" << r.out;
    EXPECT_EQ(r.err.find("Sup3rS3cret"), std::string::npos) << what << "\n" << r.err;
  }

  // Runs the URL through --database and DATABASE_URL, plain, -v and --json, and checks each
  // gives `exit_code` with the error line starting `error_prefix`, password nowhere.
  void check(const std::string& url, int exit_code, const std::string& error_prefix) {
    SCOPED_TRACE(error_prefix);
    for (const char* flags : {"", "-v ", "--json "}) {
      for (bool by_env : {false, true}) {
        Result r = by_env ? run(std::string(flags) + "up", "DATABASE_URL=" + shell_quote(url))
                          : run(std::string(flags) + "-d " + shell_quote(url) + " up", "");
        std::string what = std::string(flags) + (by_env ? "(env) " : "(flag) ") + url;
        expect_hidden(r, what);
        EXPECT_EQ(r.exit_code, exit_code) << what << "\n" << r.err;
        EXPECT_EQ(r.err.rfind("strata: error: " + error_prefix, 0), 0u) << what << "\n" << r.err;
        EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << what << "\n" << r.err;
        if (std::string(flags) == "--json ") {
          EXPECT_EQ(r.json()["error"]["exit_code"], exit_code) << what;
          EXPECT_EQ(r.json()["error"]["message"].get<std::string>().rfind(error_prefix, 0), 0u) << what;
        }
      }
    }
  }

  void SetUp() override {
    Hostile::SetUp();
    write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  }

  Server pg =
      split(env_or("STRATA_TEST_POSTGRES_URL", "postgres://strata:strata@127.0.0.1:55432/strata_test?sslmode=disable"));
  Server my = split(env_or("STRATA_TEST_MYSQL_URL", "mysql://strata:strata@127.0.0.1:53306/strata_test"));
};

TEST_F(HostileSecret, WrongPasswordOnEachServer) {
  check(pg.scheme_and_user + k_password_encoded + pg.rest, 1,
        "cannot connect to " + pg.scheme_and_user + "***" + pg.rest + ": ");
  check(pg.scheme_and_user + k_password + pg.rest, 1,
        "cannot connect to " + pg.scheme_and_user + "***" + pg.rest + ": ");
  check(my.scheme_and_user + k_password_encoded + my.rest, 1,
        "cannot connect to " + my.scheme_and_user + "***" + my.rest + ": Access denied for user ");
}

TEST_F(HostileSecret, UnreachableHostWithPasswordInTheUrl) {
  check(std::string("postgres://strata:") + k_password_encoded + "@127.0.0.1:1/x?sslmode=disable", 1,
        "cannot connect to postgres://strata:***@127.0.0.1:1/x?sslmode=disable: connection to server at \"127.0.0.1\", "
        "port 1 failed: Connection refused");
  check(std::string("mysql://strata:") + k_password_encoded + "@127.0.0.1:1/x", 1,
        "cannot connect to mysql://strata:***@127.0.0.1:1/x: Can't connect to server on '127.0.0.1'");
  check(std::string("mysql://strata:") + k_password + "@tcp(127.0.0.1:1)/x", 1,
        "cannot connect to mysql://strata:***@tcp(127.0.0.1:1)/x: Can't connect to server on '127.0.0.1'");
}

// libpq quotes the token it cannot decode, which is the password itself (fixed in the driver).
TEST_F(HostileSecret, PasswordLibpqCannotDecodeIsStillHidden) {
  check(pg.scheme_and_user + "Sup3rS3cret%zzpw" + pg.rest, 1,
        "cannot connect to " + pg.scheme_and_user + "***" + pg.rest + ": invalid percent-encoded token: \"***\"");
  check(pg.scheme_and_user + "Sup3rS3cret%00pw" + pg.rest, 1,
        "cannot connect to " + pg.scheme_and_user + "***" + pg.rest +
            ": forbidden value %00 in percent-encoded value: \"***\"");
}

TEST_F(HostileSecret, PasswordAsAQueryParameterIsHidden) {
  check(std::string("postgres://strata@127.0.0.1:1/x?sslmode=disable&password=") + k_password_encoded, 1,
        "cannot connect to postgres://strata@127.0.0.1:1/x?sslmode=disable&password=***: ");
}

TEST_F(HostileSecret, BadParameterAndUnknownSchemeErrors) {
  check(pg.scheme_and_user + k_password_encoded + pg.rest + "&x-bogus=1", 2,
        "unsupported parameter 'x-bogus' in database URL " + pg.scheme_and_user + "***" + pg.rest +
            "&x-bogus=1: golang-migrate's x- options are not libpq parameters (strata takes x-migrations-table only)");
  check(my.scheme_and_user + k_password_encoded + my.rest + "?x-bogus=1", 2,
        "unsupported parameter 'x-bogus' in database URL " + my.scheme_and_user + "***" + my.rest + "?x-bogus=1");
  check(std::string("oracle://scott:") + k_password + "@db/x", 2,
        "unknown database URL scheme 'oracle:' in oracle://scott:***@db/x (expected sqlite:, postgres:, postgresql:, "
        "mysql: or mariadb:)");
  check(std::string("postgres://strata:") + k_password + "@127.0.0.1:abc/x", 2,
        "malformed database URL postgres://strata:***@127.0.0.1:abc/x: bad port 'abc'");
}

// With the right password: -v and --json output of real runs never show it (the test servers'
// password is the user name, so look for it in its URL position).
TEST_F(HostileSecret, VerboseAndJsonRunsOnRealServersDoNotShowThePassword) {
  for (const char* variable : {"STRATA_TEST_POSTGRES_URL", "STRATA_TEST_MYSQL_URL"}) {
    std::string url = env_or(variable, std::string(variable).find("POSTGRES") != std::string::npos
                                           ? "postgres://strata:strata@127.0.0.1:55432/strata_test?sslmode=disable"
                                           : "mysql://strata:strata@127.0.0.1:53306/strata_test");
    Server server = split(url);
    std::string password =
        url.substr(server.scheme_and_user.size(), url.size() - server.scheme_and_user.size() - server.rest.size());
    for (const char* args : {"-v up --dry-run", "-v --json up --dry-run", "-v status", "--json status", "-v version"}) {
      Result r = run(std::string(args) + " -d " + shell_quote(url), "");
      EXPECT_EQ(r.exit_code, 0) << args << " " << r.err;
      EXPECT_EQ(r.out.find(":" + password + "@"), std::string::npos) << r.out;
      EXPECT_EQ(r.err.find(":" + password + "@"), std::string::npos) << r.err;
    }
  }
}

TEST_F(Hostile, HostileTableNamesAreUsageErrors) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  for (const std::string name : {"v\"x", "v'x", "v x", "v;DROP TABLE a", "t\xC3\xA9", "v-x", "1v", ""}) {
    Result r = run("--table " + shell_quote(name) + " up");
    EXPECT_EQ(r.exit_code, 2) << name;
    EXPECT_EQ(r.err,
              "strata: error: invalid --table '" + name + "': expected a name matching [A-Za-z_][A-Za-z0-9_]*\n");
  }
  Result env = run("up", "DATABASE_URL=sqlite:test.db STRATA_TABLE='a\"b'");
  EXPECT_EQ(env.exit_code, 2);
  EXPECT_EQ(env.err.rfind("strata: error: invalid STRATA_TABLE 'a\"b': ", 0), 0u) << env.err;
  Result param = run("up", "DATABASE_URL='sqlite:test.db?x-migrations-table=a%22b'");
  EXPECT_EQ(param.exit_code, 2);
  EXPECT_EQ(param.err.rfind("strata: error: invalid x-migrations-table 'a\"b': ", 0), 0u) << param.err;
  EXPECT_EQ(tables(), "");
}

TEST_F(Hostile, KeywordTableNameIsQuoted) {
  write("migrations/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  Result r = run("-q --table select up");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sql("SELECT version, dirty FROM \"select\";"), "1|0\n");
  EXPECT_EQ(sql("SELECT count(*) FROM select_history;"), "1\n");
  EXPECT_EQ(run("--table select version").out, "1\n");
  EXPECT_EQ(run("-q --table select down").exit_code, 0);
  EXPECT_EQ(run("--table select version").out, "none\n");
}

TEST_F(Hostile, CreateNeverOverwritesAnExistingFile) {
  // --timestamp names the file after the current second: put a file at every second around now.
  // The new one takes the second after the newest, and nothing else is touched.
  std::time_t now = std::time(nullptr);
  char stamp[32];
  for (std::time_t t = now - 1; t <= now + 10; ++t) {
    std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", std::gmtime(&t));
    write(std::string("migrations/") + stamp + "_x.up.sql", "keep me\n");
  }
  Result r = run("create x --timestamp", "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::time_t next = now + 11;
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", std::gmtime(&next));
  EXPECT_EQ(r.out, std::string("./migrations/") + stamp + "_x.up.sql\n./migrations/" + stamp + "_x.down.sql\n");
  for (const auto& entry : fs::directory_iterator(dir() / "migrations")) {
    const bool created = entry.path().filename().string().rfind(stamp, 0) == 0;
    EXPECT_EQ(slurp(entry.path()), created ? "" : "keep me\n") << entry.path();
  }
}

TEST_F(Hostile, CreatedFilesRespectTheUmask) {
  Result strict = run("create a", "", "umask 077;");
  ASSERT_EQ(strict.exit_code, 0) << strict.err;
  for (const char* file : {"migrations/000001_a.up.sql", "migrations/000001_a.down.sql"}) {
    EXPECT_EQ(fs::status(dir() / file).permissions() & fs::perms::mask, fs::perms::owner_read | fs::perms::owner_write)
        << file;
  }
  Result usual = run("create b --single", "", "umask 022;");
  ASSERT_EQ(usual.exit_code, 0) << usual.err;
  EXPECT_EQ(fs::status(dir() / "migrations/000002_b.sql").permissions() & fs::perms::mask,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
}

}  // namespace
}  // namespace strata::e2e
