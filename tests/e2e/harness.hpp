#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace strata::e2e {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Each test gets a scratch working directory with a migrations/ folder, and runs the real
// binary there the way a user would: through a shell, with no terminal, stdin from /dev/null.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directory(m_dir / "migrations"); }

  const fs::path& dir() const { return m_dir; }

  void write(const std::string& relative, const std::string& text) const { m_temp.write(relative, text); }
  std::string read(const std::string& relative) const { return slurp(m_dir / relative); }

  void copy_testdata(const std::string& set) const {
    fs::copy(fs::path(STRATA_TESTDATA) / set, m_dir / "migrations",
             fs::copy_options::overwrite_existing | fs::copy_options::recursive);
  }

  // Runs `strata ARGS` in the scratch directory with `env` (e.g. "DATABASE_URL=sqlite:t.db")
  // prefixed; the process environment's STRATA_*/DATABASE_URL are cleared first.
  Result strata(const std::string& args, const std::string& env = "") const {
    std::string command = "cd " + shell_quote(m_dir.string()) +
                          " && env -u DATABASE_URL -u STRATA_PATH -u STRATA_TABLE -u STRATA_LOCK_TIMEOUT -u "
                          "STRATA_STATEMENT_LOCK_TIMEOUT -u STRATA_RETRIES -u NO_COLOR " +
                          env + " " + shell_quote(STRATA_BINARY) + " " + args + " </dev/null >.out 2>.err";
    int status = std::system(command.c_str());
    Result result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = slurp(m_dir / ".out");
    result.err = slurp(m_dir / ".err");
    return result;
  }

  // strata with DATABASE_URL=sqlite:test.db.
  Result db(const std::string& args) const { return strata(args, "DATABASE_URL=sqlite:test.db"); }

  // Runs SQL through the sqlite3 client against test.db and returns its output.
  std::string sql(const std::string& statement) const {
    std::string command =
        "cd " + shell_quote(m_dir.string()) + " && sqlite3 test.db " + shell_quote(statement) + " >.sql 2>&1";
    if (std::system(command.c_str()) != 0) ADD_FAILURE() << "sqlite3 failed: " << slurp(m_dir / ".sql");
    return slurp(m_dir / ".sql");
  }

 private:
  strata::testing::TempDir m_temp{"strata-e2e"};
  fs::path m_dir = m_temp.path();
};

}  // namespace strata::e2e
