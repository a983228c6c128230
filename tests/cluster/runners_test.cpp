// The real binary on the real topologies: 8 runners at once through the 3 Galera nodes (or
// PgBouncer in transaction pooling) apply 40 migrations exactly once, and a killed lock holder
// blocks the next run no longer than its lease, after which the dirty state it reports is true.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "support/temp_dir.hpp"
#include "topology.hpp"

namespace strata::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr int k_runners = 8;
constexpr int k_migrations = 40;
const std::string k_lease_param = "x-lock-lease=3";

std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int run_shell(const std::string& script) {
  const int status = std::system(script.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class RunnersFixture : public ::testing::Test {
 protected:
  explicit RunnersFixture(Topology topology) : m_topology(topology), m_database(topology) {}

  void SetUp() override {
    if (auto problem = m_database.create()) FAIL() << *problem;
    fs::create_directory(m_dir / "migrations");
  }

  void write(const std::string& relative, const std::string& text) const { m_temp.write(relative, text); }

  // `strata ARGS` against node `node`'s URL; stdout and stderr into <name>.out / <name>.err.
  std::string command(size_t node, const std::string& args, const std::string& name) const {
    const std::vector<std::string> urls = m_database.urls(k_lease_param);
    return "env -u DATABASE_URL -u STRATA_PATH -u STRATA_TABLE -u STRATA_LOCK_TIMEOUT " + shell_quoted(STRATA_BINARY) +
           " --database " + shell_quoted(urls.at(node % urls.size())) + " --path " +
           shell_quoted((m_dir / "migrations").string()) + " " + args + " </dev/null >" +
           shell_quoted((m_dir / (name + ".out")).string()) + " 2>" + shell_quoted((m_dir / (name + ".err")).string());
  }

  int strata(size_t node, const std::string& args, const std::string& name = "run") const {
    return run_shell(command(node, args, name));
  }
  std::string err(const std::string& name = "run") const { return slurp(m_dir / (name + ".err")); }

  // How many `applied` history rows each version has, as "version:count" in version order.
  std::vector<std::string> applied_counts() {
    auto reader = m_database.connect(1);
    std::vector<std::string> out;
    for (const auto& row : reader->query(
             "SELECT version, COUNT(*) FROM schema_migrations_history WHERE outcome = 'applied' GROUP BY version "
             "ORDER BY version"))
      out.push_back(row.at(0).value_or("?") + ":" + row.at(1).value_or("?"));
    return out;
  }

  std::string version_row() {
    auto reader = m_database.connect(2);
    const auto rows = reader->query("SELECT version, dirty FROM schema_migrations");
    if (rows.empty()) return "none";
    const std::string dirty = rows[0].at(1).value_or("?");
    return rows[0].at(0).value_or("?") + (dirty == "1" || dirty == "t" ? " dirty" : " clean");
  }

  // Starts `strata up` in the background on node 0 and returns its pid once it holds the lease
  // and runs migration 2: once status (through another node) says it is running its second
  // statement, or for a
  // migration in a transaction, which status cannot see, once it said it applies it.
  pid_t start_holder(bool in_transaction) {
    const fs::path pid_file = m_dir / "holder.pid";
    run_shell("(exec " + command(0, "up", "holder") + ") & echo $! > " + shell_quoted(pid_file.string()));
    const pid_t pid = static_cast<pid_t>(std::stol(slurp(pid_file)));
    for (int i = 0; i < 200; ++i) {
      if (in_transaction) {
        if (err("holder").find("applying 0002_slow") != std::string::npos) {
          std::this_thread::sleep_for(500ms);
          return pid;
        }
      } else {
        strata(1, "status", "status");
        // At its second statement (the sleep): the first may still be replicating when the
        // running row appears, and a kill then would land before the statement the test names.
        const std::string status = err("status");
        if (status.find("migration 2 (up) is running now") != std::string::npos &&
            status.find("statement 2 of 3") != std::string::npos) {
          return pid;
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "the holder never ran migration 2; its stderr: " << err("holder");
    return pid;
  }

  Topology m_topology;
  TopologyDatabase m_database;
  TempDir m_temp;
  const fs::path& m_dir = m_temp.path();
};

class RunnersTest : public RunnersFixture, public ::testing::WithParamInterface<Topology> {
 protected:
  RunnersTest() : RunnersFixture(GetParam()) {}
};

class PgBouncerRunnersTest : public RunnersFixture {
 protected:
  PgBouncerRunnersTest() : RunnersFixture(Topology::pgbouncer) {}
};

TEST_P(RunnersTest, EightRunnersApplyFortyMigrationsExactlyOnce) {
  std::vector<std::string> expected;
  for (int i = 1; i <= k_migrations; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "migrations/%04d_t%d", i, i);
    write(std::string(name) + ".up.sql", "CREATE TABLE t" + std::to_string(i) + " (id INT PRIMARY KEY);\n");
    write(std::string(name) + ".down.sql", "DROP TABLE t" + std::to_string(i) + ";\n");
    expected.push_back(std::to_string(i) + ":1");
  }
  // Spread over the nodes (Galera); all through the one pooler (PgBouncer).
  std::string script;
  for (int i = 0; i < k_runners; ++i) {
    const std::string name = "runner" + std::to_string(i);
    script += "(" + command(static_cast<size_t>(i), "up", name) + "; echo $? > " +
              shell_quoted((m_dir / (name + ".code")).string()) + ") &\n";
  }
  script += "wait\n";
  ASSERT_EQ(run_shell("bash -c " + shell_quoted(script)), 0);

  int applied_by_runs = 0;
  for (int i = 0; i < k_runners; ++i) {
    const std::string name = "runner" + std::to_string(i);
    EXPECT_EQ(slurp(m_dir / (name + ".code")), "0\n") << name << ": " << err(name);
    EXPECT_THAT(err(name), ::testing::Not(HasSubstr("dirty"))) << name;
    EXPECT_THAT(err(name), HasSubstr(m_topology == Topology::galera ? "Galera cluster of 3 nodes"
                                                                    : "connected through a connection pooler"));
    // The result line: what this run applied, or that nothing was left to do.
    if (err(name).find("\ndatabase at version 40 (") != std::string::npos) {
      ++applied_by_runs;
    } else {
      EXPECT_THAT(err(name), HasSubstr("\nno change: database at version 40")) << name;
    }
  }
  EXPECT_GE(applied_by_runs, 1);
  EXPECT_EQ(applied_counts(), expected);
  EXPECT_EQ(version_row(), "40 clean");
  std::printf("[ figures  ] %s: %d runners, %d migrations, %zu versions applied once each, %d run(s) applied some\n",
              topology_name(m_topology), k_runners, k_migrations, applied_counts().size(), applied_by_runs);
}

// A migration outside a transaction (all of them on MySQL, NO TRANSACTION on PostgreSQL) that is
// running when its process is killed: the next run waits for the lease to run out, then reports
// the truth: dirty, the migration did not finish, at the statement that was running.
TEST_P(RunnersTest, AKilledHolderInANonTransactionalMigrationBlocksTheNextRunOnlyForTheLease) {
  const bool galera = m_topology == Topology::galera;
  write("migrations/0001_a.up.sql", "CREATE TABLE a (id INT);\n");
  write("migrations/0002_slow.up.sql",
        std::string(galera ? "" : "-- +strata NO TRANSACTION\n") + "CREATE TABLE b (id INT);\n" +
            (galera ? "SELECT SLEEP(20);\n" : "SELECT pg_sleep(20);\n") + "CREATE TABLE c (id INT);\n");
  write("migrations/0003_d.up.sql", "CREATE TABLE d (id INT);\n");
  const pid_t holder = start_holder(false);
  ASSERT_EQ(::kill(holder, SIGKILL), 0);

  const auto started = std::chrono::steady_clock::now();
  // --lock-timeout above the lease: a lease that never ran out would be exit 5 here.
  EXPECT_EQ(strata(1, "up --lock-timeout 8", "next"), 3) << err("next");
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_THAT(err("next"), HasSubstr("waiting for the migration lock of schema_migrations (up to 8 s): held by pid " +
                                     std::to_string(holder) + " on host "));
  EXPECT_THAT(err("next"), HasSubstr("database is dirty at version 2: migration 2 (up) did not finish: its process "
                                     "ended or lost its connection while running statement 2 of 3"));
  EXPECT_EQ(version_row(), "2 dirty");
  std::printf(
      "[ figures  ] %s: the run after a kill -9 of the holder took the 3 s lease over and reported the "
      "dirty state after %.2f s\n",
      topology_name(m_topology), waited);
}

// On PostgreSQL a migration in a transaction is rolled back when its process dies: the next run
// takes the lease over and applies it, once.
TEST_F(PgBouncerRunnersTest, AKilledHolderInATransactionalMigrationLeavesNothingBehindButItsLease) {
  write("migrations/0001_a.up.sql", "CREATE TABLE a (id INT);\n");
  write("migrations/0002_slow.up.sql", "CREATE TABLE b (id INT);\nSELECT pg_sleep(4);\n");
  write("migrations/0003_d.up.sql", "CREATE TABLE d (id INT);\n");
  const pid_t holder = start_holder(true);
  ASSERT_EQ(::kill(holder, SIGKILL), 0);
  // The server finishes the sleep of the dead client's transaction, then rolls it back.
  EXPECT_EQ(strata(0, "up --lock-timeout 8", "next"), 0) << err("next");
  EXPECT_THAT(err("next"), HasSubstr("held by pid " + std::to_string(holder)));
  EXPECT_EQ(applied_counts(), (std::vector<std::string>{"1:1", "2:1", "3:1"}));
  EXPECT_EQ(version_row(), "3 clean");
}

// Session pooling: each run holds two server connections (migrations, renewals) for its whole
// life. Two runs fit PgBouncer's pool of 4 and apply each migration once. The pool is shared with
// other tests (database strata_test): tables of this test carry its pid.
TEST(PgBouncerSessionTest, TwoRunnersThroughSessionPoolingApplyEachMigrationOnce) {
  const char* session_url = std::getenv("STRATA_TEST_PGBOUNCER_SESSION_URL");
  const char* primary_url = std::getenv("STRATA_TEST_PG_PRIMARY_URL");
  ASSERT_TRUE(session_url != nullptr && primary_url != nullptr)
      << "STRATA_TEST_PGBOUNCER_SESSION_URL / STRATA_TEST_PG_PRIMARY_URL are not set: run the tests with `eval "
         "\"$(scripts/topologies.sh env)\"` (make test does)";
  TempDir temp;
  const std::string tag = "lease_s" + std::to_string(::getpid());
  for (int i = 1; i <= 5; ++i) {
    temp.write("migrations/000" + std::to_string(i) + "_t.up.sql",
               "CREATE TABLE " + tag + "_t" + std::to_string(i) + " (id INT);\n");
  }
  const std::string url = with_param(with_param(session_url, k_lease_param), "x-migrations-table=" + tag);
  std::string script;
  for (int i = 0; i < 2; ++i) {
    const std::string name = (temp.path() / ("runner" + std::to_string(i))).string();
    script += "(" + shell_quoted(STRATA_BINARY) + " --database " + shell_quoted(url) + " --path " +
              shell_quoted((temp.path() / "migrations").string()) + " up </dev/null >" + shell_quoted(name + ".out") +
              " 2>" + shell_quoted(name + ".err") + "; echo $? > " + shell_quoted(name + ".code") + ") &\n";
  }
  script += "wait\n";
  ASSERT_EQ(run_shell("bash -c " + shell_quoted(script)), 0);

  drivers::OpenOptions options;
  auto primary = drivers::open_driver(parse_database_url(primary_url), options);
  const auto rows = primary->query("SELECT version, COUNT(*) FROM " + tag +
                                   "_history WHERE outcome = 'applied' GROUP BY version ORDER BY version");
  std::vector<std::string> counts;
  for (const auto& row : rows) counts.push_back(row.at(0).value_or("?") + ":" + row.at(1).value_or("?"));
  for (int i = 1; i <= 5; ++i) primary->execute("DROP TABLE IF EXISTS " + tag + "_t" + std::to_string(i));
  for (const char* suffix : {"", "_history", "_lock"}) primary->execute("DROP TABLE IF EXISTS " + tag + suffix);

  EXPECT_EQ(counts, (std::vector<std::string>{"1:1", "2:1", "3:1", "4:1", "5:1"}));
  for (int i = 0; i < 2; ++i) {
    const std::string name = (temp.path() / ("runner" + std::to_string(i))).string();
    EXPECT_EQ(slurp(name + ".code"), "0\n") << slurp(name + ".err");
    EXPECT_THAT(slurp(name + ".err"), HasSubstr("connected through a connection pooler ("));
  }
}

INSTANTIATE_TEST_SUITE_P(Topologies, RunnersTest, ::testing::Values(Topology::galera, Topology::pgbouncer),
                         topology_test_name);

}  // namespace
}  // namespace strata::testing
