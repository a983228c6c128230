// Read-only targets (issue 14): a PostgreSQL streaming standby, a MariaDB with read_only=1 (as a
// user whose privileges would let it write), a SQLite file or directory this user may not
// write, and pgpool-II load-balancing to the standby are refused before anything is written,
// with exit 1 and one line naming the server's state; read-only commands keep working. libpq
// multi-host URLs with target_session_attrs=read-write reach the primary. The servers are
// those of scripts/topologies.sh.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "topology/topology_fixture.hpp"

namespace strata::topology {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string primary_url() { return testing::topology_url("STRATA_TEST_PG_PRIMARY_URL"); }
std::string standby_url() { return testing::topology_url("STRATA_TEST_PG_STANDBY_URL"); }

// libpq's multi-host form of the standby and then the primary, with `query` appended.
std::string standby_then_primary(const std::string& query) {
  const DatabaseUrl standby = parse_database_url(standby_url());
  const DatabaseUrl primary = parse_database_url(primary_url());
  return "postgres://" + primary.user + ":" + primary.password.value_or("") + "@" + standby.host + ":" +
         std::to_string(*standby.port) + "," + primary.host + ":" + std::to_string(*primary.port) + "/" +
         primary.database + "?sslmode=disable" + query;
}

std::string standby_refusal(const std::string& url) {
  return "strata: error: cannot migrate " + server_named(url) +
         ": it is a PostgreSQL standby (pg_is_in_recovery() is true) and accepts no writes; point --database at the "
         "primary (with several hosts in the URL, add target_session_attrs=read-write)\n";
}

// PostgreSQL tests: whatever a test made on the primary is dropped (and replays away on the
// standby).
class PostgresTopologyTest : public TopologyTest {
 protected:
  void TearDown() override {
    psql(primary_url(), "DROP TABLE IF EXISTS " + m_created + ", " + m_table + ", " + m_table + "_history");
  }

  // Whether `table` exists on the server of `url`.
  static bool exists(const std::string& url, const std::string& table) {
    return psql(url, "SELECT to_regclass('" + table + "') IS NOT NULL") == "t";
  }
};

TEST_F(PostgresTopologyTest, StandbyRefusesUpNamingItsStateAndWritesNothing) {
  const Result r = at(standby_url(), "up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, standby_refusal(standby_url()));
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(exists(primary_url(), m_table));
  EXPECT_FALSE(exists(primary_url(), m_created));
}

TEST_F(PostgresTopologyTest, StandbyRefusesEveryCommandThatWrites) {
  for (const char* command : {"down -y", "goto 1", "redo", "force 1", "accept 1", "--json up"}) {
    SCOPED_TRACE(command);
    const Result r = at(standby_url(), command);
    EXPECT_EQ(r.exit_code, 1);
    if (std::string(command) == "--json up") {
      EXPECT_EQ(r.json()["error"]["message"].get<std::string>() + "\n",
                standby_refusal(standby_url()).substr(std::string("strata: error: ").size()));
    } else {
      EXPECT_EQ(r.err, standby_refusal(standby_url()));
    }
  }
  EXPECT_FALSE(exists(primary_url(), m_table));
}

TEST_F(PostgresTopologyTest, StandbyKeepsTheReadOnlyCommandsWorking) {
  Result r = at(standby_url(), "status");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("version none, 1 pending"));
  r = at(standby_url(), "version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "none\n");
  r = at(standby_url(), "up --dry-run");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("CREATE TABLE " + m_created));
  r = at(standby_url(), "validate");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(PostgresTopologyTest, MultiHostUrlWithTargetSessionAttrsReadWriteMigratesThePrimary) {
  const std::string url = standby_then_primary("&target_session_attrs=read-write");
  const Result r = at(url, "up");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(exists(primary_url(), m_created));
  EXPECT_EQ(psql(primary_url(), "SELECT version, dirty FROM " + m_table), "1|f");
  // The standby replays it: status there (read-only) shows the migration applied.
  EXPECT_TRUE(eventually([&] { return at(standby_url(), "version").out == "1\n"; }));
}

TEST_F(PostgresTopologyTest, MultiHostUrlWithoutTargetSessionAttrsIsRefusedAtTheStandbyItReached) {
  const std::string url = standby_then_primary("");
  const Result r = at(url, "up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, standby_refusal(standby_url()));
  EXPECT_FALSE(exists(primary_url(), m_table));
}

TEST_F(PostgresTopologyTest, PgpoolLoadBalancingToTheStandbyIsRefusedNamingThePrimaryUrl) {
  const std::string pgpool = testing::topology_url("STRATA_TEST_PGPOOL_URL");
  const std::string version = psql(pgpool, "SHOW pool_version");
  const DatabaseUrl primary = parse_database_url(primary_url());
  const std::string primary_host = primary.host + ":" + std::to_string(*primary.port);
  const std::string instead = "postgres://" + primary.user + ":***@" + primary_host + "/" + primary.database +
                              "?sslmode=disable";
  const Result r = at(pgpool, "up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "strata: error: cannot migrate through pgpool-II " + version + " at " + server_named(pgpool) +
                       ": with load_balance_mode on it sends strata's reads to another server session than its "
                       "writes, so the version table may be read from a standby that has not replayed the last "
                       "migration yet, and the migration lock is not held where strata checks it; point --database "
                       "at the primary " +
                       primary_host + " directly: " + instead + "\n");
  EXPECT_FALSE(exists(primary_url(), m_table));
  EXPECT_FALSE(exists(primary_url(), m_created));

  // What the message says to do works, and pgpool still serves the read-only commands.
  std::string suggested = instead;
  suggested.replace(suggested.find("***"), 3, primary.password.value_or(""));
  const Result up = at(suggested, "up");
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_TRUE(exists(primary_url(), m_created));
  EXPECT_TRUE(eventually([&] { return at(pgpool, "version").out == "1\n"; }));
  EXPECT_EQ(at(pgpool, "status").exit_code, 0);
}

// The read_only=1 MariaDB, as strata with ALL ON *.*.
class ReadOnlyMariadbTest : public TopologyTest {
 protected:
  std::string url() const { return testing::topology_url("STRATA_TEST_MARIADB_RO_URL"); }
  int tables_of_this_test() const {
    return std::stoi(mariadb(url(), "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                                    "AND table_name IN ('" +
                                        m_table + "', '" + m_created + "', '" + m_table + "_history')"));
  }
};

TEST_F(ReadOnlyMariadbTest, ReadOnlyServerIsRefusedEvenForAUserWhoseRightsWouldLetItWrite) {
  // The server itself lets this user write: strata has to refuse on its own.
  const std::string probe = fresh_name("strata_topo_probe");
  EXPECT_EQ(mariadb(url(), "CREATE TABLE " + probe + " (id INT); DROP TABLE " + probe + "; SELECT 'wrote'"), "wrote");
  EXPECT_EQ(mariadb(url(), "SELECT @@read_only"), "1");

  const Result r = at(url(), "up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "strata: error: cannot migrate " + server_named(url()) +
                       ": the server runs with read_only = ON (a replica, or a server set aside for reads); strata "
                       "refuses to write there even for a user whose privileges would allow it; point --database at "
                       "the primary\n");
  EXPECT_EQ(tables_of_this_test(), 0);
  EXPECT_EQ(at(url(), "force 1").exit_code, 1);
  EXPECT_EQ(tables_of_this_test(), 0);
}

TEST_F(ReadOnlyMariadbTest, ReadOnlyServerKeepsTheReadOnlyCommandsWorking) {
  Result r = at(url(), "status");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("version none, 1 pending"));
  r = at(url(), "version");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "none\n");
  EXPECT_EQ(at(url(), "up --dry-run").exit_code, 0);
  EXPECT_EQ(tables_of_this_test(), 0);
}

// SQLite: root may write any file, so strata runs as nobody there (setpriv), in a scratch
// directory nobody may enter.
class ReadOnlySqliteTest : public TopologyTest {
 protected:
  void SetUp() override {
    TopologyTest::SetUp();
    sql("CREATE TABLE seed (id INTEGER)");
    fs::permissions(dir(), fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                               fs::perms::others_exec,
                    fs::perm_options::add);
    fs::permissions(dir() / "migrations", fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
  }

  static std::string as_nobody() {
    return ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups" : "";
  }
  Result run(const std::string& args) const { return at("sqlite:test.db", args, as_nobody()); }
};

TEST_F(ReadOnlySqliteTest, FileThisUserMayNotWriteIsRefusedAndStatusStillWorks) {
  fs::permissions(dir() / "test.db", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const Result r = run("up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "strata: error: cannot migrate SQLite database test.db: the file is read-only for this user; point "
            "--database at a writable database file\n");
  const Result status = run("status");
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("version none, 1 pending"));
  EXPECT_EQ(run("version").out, "none\n");
  EXPECT_EQ(sql(".tables"), "seed\n");
}

TEST_F(ReadOnlySqliteTest, FileInADirectoryThisUserMayNotWriteIsRefusedNamingTheDirectory) {
  fs::permissions(dir() / "test.db", fs::perms::all);
  fs::permissions(dir(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  const Result r = run("up");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "strata: error: cannot migrate SQLite database test.db: this user may not create files in its "
                   "directory " +
                       fs::canonical(dir()).string() +
                       ", where SQLite writes its journal (journal_mode delete); point --database at a database file in "
                       "a writable directory\n");
  EXPECT_EQ(sql(".tables"), "seed\n");
}

}  // namespace
}  // namespace strata::topology
