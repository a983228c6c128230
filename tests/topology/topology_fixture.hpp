// The fixture of the topology tests: the real binary (CliTest) run against the servers
// scripts/topologies.sh starts, with the raw clients (psql, mariadb) to look at them from outside.
// Tests share each topology's database and isolate themselves by names of their own (version
// table, migrated tables), dropped afterwards. A topology that is not running fails the test.
#pragma once

#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/database_url.hpp"
#include "e2e/harness.hpp"
#include "support/topology.hpp"

namespace strata::topology {

using e2e::Result;
using e2e::shell_quote;

// A name no other test, here or in a parallel process, uses: <prefix>_<pid>_<n>.
inline std::string fresh_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

// Runs a shell command and returns its stdout and stderr, trimmed of the last newline.
inline std::string capture(const std::string& command, int* exit_code = nullptr) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return "<popen failed>";
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = ::pclose(pipe);
  if (exit_code != nullptr) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// `url` as psql takes it (libpq URI) and as mariadb takes it (options).
inline std::string psql(const std::string& url, const std::string& statement) {
  return capture("psql -XAtq " + shell_quote(url) + " -c " + shell_quote(statement));
}
inline std::string mariadb(const std::string& url_text, const std::string& statement) {
  const DatabaseUrl url = parse_database_url(url_text);
  return capture("mariadb --no-defaults --protocol=tcp -h " + url.host + " -P " + std::to_string(url.port.value_or(3306)) +
                 " -u" + shell_quote(url.user) + " -p" + shell_quote(url.password.value_or("")) + " -N -s " +
                 shell_quote(url.database) + " -e " + shell_quote(statement));
}

// "host:port (database db)" for the first host of `url`, as strata's messages name a server.
inline std::string server_named(const std::string& url_text) {
  const DatabaseUrl url = parse_database_url(url_text);
  return url.host + ":" + std::to_string(*url.port) + " (database " + url.database + ")";
}

// `url` with its password as *** (how strata prints it).
inline std::string redacted(const std::string& url_text) { return parse_database_url(url_text).redacted; }

// Polls `done` every 50 ms for up to `limit`; true when it became true. Only for waiting on
// replication (a standby replays asynchronously), never as a measure of speed.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class TopologyTest : public e2e::CliTest {
 protected:
  // One migration that creates a table of this test's own (m_created), and a version table of
  // its own (m_table): tests on a shared database never meet.
  void SetUp() override {
    CliTest::SetUp();
    write("migrations/1_create.up.sql", "CREATE TABLE " + m_created + " (id INTEGER PRIMARY KEY);\n");
    write("migrations/1_create.down.sql", "DROP TABLE " + m_created + ";\n");
  }

  // strata ARGS against `url`, with this test's version table; `runner` (e.g. setpriv …) runs
  // strata when given.
  Result at(const std::string& url, const std::string& args, const std::string& runner = "") const {
    return strata(args, "DATABASE_URL=" + shell_quote(url) + " STRATA_TABLE=" + m_table + " " + runner);
  }

  const std::string m_table = fresh_name("strata_topo_v");
  const std::string m_created = fresh_name("strata_topo_t");
};

}  // namespace strata::topology
