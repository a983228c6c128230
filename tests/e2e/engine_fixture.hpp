// The EngineTest fixture shared by the per-engine end-to-end tests: a fresh SQLite file,
// PostgreSQL schema or MariaDB database per test, strata run against it, and the engine's own
// client (sqlite3, psql, mariadb) for checks. The servers come from scripts/test-dbs.sh; their
// URLs from STRATA_TEST_POSTGRES_URL / STRATA_TEST_MYSQL_URL. An unreachable server fails the test.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/database_url.hpp"
#include "e2e/harness.hpp"

namespace strata::e2e {

inline std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

inline std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

// One engine's database for one test: its URL for strata, and its raw client for checks.
class EngineTest : public CliTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    const std::string& engine = GetParam();
    if (engine == "sqlite") {
      m_url = "sqlite:test.db";
    } else if (engine == "postgres") {
      m_server = parse_database_url(server_url());
      m_schema = unique_name("strata_e2e");
      admin("CREATE SCHEMA " + m_schema);
      m_url = m_server.redacted;
      m_url.replace(m_url.find("***"), 3, *m_server.password);
      m_url += std::string(m_url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + m_schema;
    } else {
      m_server = parse_database_url(server_url());
      m_schema = unique_name("strata_e2e");
      admin("CREATE DATABASE " + m_schema);
      m_url = fmt_mysql_url(m_schema);
    }
  }

  // The server the test's schema or database is made on; a fixture with a server of its own
  // (restart_test.cpp) overrides this.
  virtual std::string server_url() const {
    if (GetParam() == "postgres")
      return env_or("STRATA_TEST_POSTGRES_URL", "postgres://strata:strata@127.0.0.1:55432/strata_test?sslmode=disable");
    return env_or("STRATA_TEST_MYSQL_URL", "mysql://strata:strata@127.0.0.1:53306/strata_test");
  }

  void TearDown() override {
    if (GetParam() == "postgres") admin("DROP SCHEMA IF EXISTS " + m_schema + " CASCADE");
    if (GetParam() == "mysql") admin("DROP DATABASE IF EXISTS " + m_schema);
  }

  std::string fmt_mysql_url(const std::string& database) const {
    return "mysql://" + m_server.user + ":" + m_server.password.value_or("") + "@" + m_server.host + ":" +
           std::to_string(m_server.port.value_or(3306)) + "/" + database;
  }

  // Runs SQL with the engine's own client in the test's database; rows as "a|b\n".
  std::string sql(const std::string& statement) const {
    const std::string& engine = GetParam();
    std::string command;
    if (engine == "sqlite") return CliTest::sql(statement);
    if (engine == "postgres") {
      command = "PGPASSWORD=" + shell_quote(m_server.password.value_or("")) + " psql -X -q -At -v ON_ERROR_STOP=1 -h " +
                m_server.host + " -p " + std::to_string(m_server.port.value_or(5432)) + " -U " + m_server.user +
                " -d " + m_server.database + " -c " + shell_quote("SET search_path TO " + m_schema + "; " + statement);
    } else {
      command = "mariadb --no-defaults -N -B -h " + m_server.host + " -P " +
                std::to_string(m_server.port.value_or(3306)) + " -u " + m_server.user + " -p" +
                shell_quote(m_server.password.value_or("")) + " " + m_schema + " -e " + shell_quote(statement) +
                " | tr '\\t' '|'";
    }
    command = "set -o pipefail; " + command + " >" + shell_quote((dir() / ".sql").string()) + " 2>&1";
    int status = std::system(("bash -c " + shell_quote(command)).c_str());
    std::string output = slurp(dir() / ".sql");
    if (status != 0) ADD_FAILURE() << GetParam() << " client failed on: " << statement << "\n" << output;
    return output;
  }

  // Admin statements outside the test's schema (create/drop it).
  void admin(const std::string& statement) const {
    std::string command;
    if (GetParam() == "postgres") {
      command = "PGPASSWORD=" + shell_quote(m_server.password.value_or("")) + " psql -X -q -v ON_ERROR_STOP=1 -h " +
                m_server.host + " -p " + std::to_string(m_server.port.value_or(5432)) + " -U " + m_server.user +
                " -d " + m_server.database + " -c " + shell_quote(statement);
    } else {
      command = "mariadb --no-defaults -h " + m_server.host + " -P " + std::to_string(m_server.port.value_or(3306)) +
                " -u " + m_server.user + " -p" + shell_quote(m_server.password.value_or("")) + " -e " +
                shell_quote(statement);
    }
    if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
      FAIL() << GetParam() << " server not usable (is scripts/test-dbs.sh running?): " << statement;
    }
  }

  Result run(const std::string& args) const { return strata(args, "DATABASE_URL=" + shell_quote(m_url)); }
  Result run_with_url(const std::string& url, const std::string& args) const {
    return strata(args, "DATABASE_URL=" + shell_quote(url));
  }
  std::string version() const { return run("version").out; }

  // The number of tables named `name` in the test's database.
  std::string table_count(const std::string& name) const {
    if (GetParam() == "sqlite")
      return sql("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='" + name + "';");
    if (GetParam() == "postgres") {
      return sql(
          "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name='" +
          name + "'");
    }
    return sql("SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name='" +
               name + "'");
  }

  // sql-migrate's table, as sql-migrate creates it on this engine.
  void make_gorp_table() const {
    sql(GetParam() == "sqlite"     ? "CREATE TABLE IF NOT EXISTS \"gorp_migrations\" (\"id\" varchar(255) not null "
                                     "primary key, \"applied_at\" datetime)"
        : GetParam() == "postgres" ? "create table if not exists \"gorp_migrations\" (\"id\" text not null primary "
                                     "key, \"applied_at\" timestamp with time zone)"
                                   : "create table if not exists `gorp_migrations` (`id` varchar(255) not null primary "
                                     "key, `applied_at` datetime) engine=InnoDB charset=utf8");
  }

  std::string m_url;
  std::string m_schema;
  DatabaseUrl m_server;

  friend fs::path test_dir_of(const EngineTest& test) { return test.dir(); }
};

inline std::string engine_name(const ::testing::TestParamInfo<std::string>& param_info) {
  return param_info.param;
}

}  // namespace strata::e2e

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <deque>
#include <thread>

namespace strata::e2e {

// A strata process started in the background; `tag` names its .out-/.err-/.pause- files.
struct Background {
  pid_t pid = -1;
  std::string tag;
  bool exited = false;
  int exit_code = -1;  // 128 + signal when killed
};

// EngineTest plus processes in the background, paused at the runner's fault-injection points
// (runner/pause_point.hpp). Every wait is bounded; TearDown kills whatever is still running.
class ProcessTest : public EngineTest {
 protected:
  void TearDown() override {
    for (Background& b : m_children) {
      if (b.exited) continue;
      ::kill(b.pid, SIGKILL);
      int status = 0;
      waitpid(b.pid, &status, 0);
      b.exited = true;
    }
    EngineTest::TearDown();
  }

  fs::path pause_file(const std::string& tag) const { return dir() / (".pause-" + tag); }

  // Starts `strata ARGS` (`binary`: build/strata unless said otherwise) with the test's
  // DATABASE_URL and `env`, through `exec` so that the child's pid is strata's own.
  Background& start(const std::string& args, const std::string& tag, const std::string& env = "",
                    const char* binary = STRATA_BINARY) {
    std::string command = "cd " + shell_quote(dir().string()) +
                          " && exec env -u STRATA_PATH -u STRATA_TABLE -u STRATA_LOCK_TIMEOUT -u NO_COLOR "
                          "-u STRATA_TEST_PAUSE_AT -u STRATA_TEST_PAUSE_FILE DATABASE_URL=" +
                          shell_quote(m_url) + " " + env + " " + shell_quote(binary) + " " + args +
                          " </dev/null >.out-" + tag + " 2>.err-" + tag;
    pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    m_children.push_back(Background{pid, tag});
    return m_children.back();
  }

  // Starts `strata ARGS` paused at `point` (the test build with the pause hook,
  // tests/support/strata_hooked_main.cpp); returns once it waits there (fails the test if it
  // does not get there within `seconds`).
  Background& start_paused(const std::string& args, const std::string& point, const std::string& tag,
                           double seconds = 20) {
    Background& b = start(args, tag,
                          "STRATA_TEST_PAUSE_AT=" + shell_quote(point) +
                              " STRATA_TEST_PAUSE_FILE=" + shell_quote(pause_file(tag).string()),
                          STRATA_HOOKED_BINARY);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = slurp(pause_file(tag));
      if (!text.empty() && text.back() == '\n') {
        EXPECT_EQ(std::stoi(text), b.pid) << "the pause file names another process";
        return b;
      }
      if (poll(b)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "strata " << args << " did not reach " << point << " (exit " << b.exit_code
                  << "): " << slurp(dir() / (".err-" + tag));
    return b;
  }

  void resume(const Background& b) const { fs::remove(pause_file(b.tag)); }

  // True once the process has exited (its exit code recorded).
  bool poll(Background& b) const {
    if (b.exited) return true;
    int status = 0;
    if (waitpid(b.pid, &status, WNOHANG) != b.pid) return false;
    b.exited = true;
    b.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }

  // Waits up to `seconds` for the process to end; a process still running then is killed and
  // the test fails (a hang is a failure, never a stuck test).
  Result finish(Background& b, double seconds = 30) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!poll(b) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!b.exited) {
      ADD_FAILURE() << "strata (" << b.tag << ") still running after " << seconds << " s: killed";
      ::kill(b.pid, SIGKILL);
      int status = 0;
      waitpid(b.pid, &status, 0);
      b.exited = true;
      b.exit_code = -1;
    }
    Result result;
    result.exit_code = b.exit_code;
    result.out = slurp(dir() / (".out-" + b.tag));
    result.err = slurp(dir() / (".err-" + b.tag));
    return result;
  }

  // `strata version`, failing the test when the command itself fails.
  std::string checked_version(const std::string& args = "version") const {
    Result r = run(args);
    EXPECT_EQ(r.exit_code, 0) << "strata " << args << ": " << r.err;
    return r.out;
  }

  // `up` succeeds and ends at `version` with every table in `tables` present.
  void expect_up_completes(const std::string& version, const std::vector<std::string>& tables) {
    Result up = run("up");
    EXPECT_EQ(up.exit_code, 0) << up.err;
    EXPECT_EQ(checked_version(), version + "\n");
    for (const std::string& table : tables) EXPECT_EQ(table_count(table), "1\n") << table;
  }

  // The test's history table's rows as "version|direction|outcome\n", in order.
  std::string history(const std::string& table = "schema_migrations_history") const {
    return sql("SELECT version, direction, outcome FROM " + table + " ORDER BY id");
  }

  std::deque<Background> m_children;
};

}  // namespace strata::e2e
