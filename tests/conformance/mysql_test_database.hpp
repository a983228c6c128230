#pragma once

// A fresh MySQL/MariaDB database for one test, on the server named by STRATA_TEST_MYSQL_URL
// (scripts/test-dbs.sh starts one; its URL is the fallback). The database is named
// strata_t_<pid>_<n>, so parallel test processes never share one, and is created and dropped
// through a setup connection to the URL's own database. A server that cannot be reached is a
// failure, never a reason to skip.

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "core/database_url.hpp"
#include "core/error.hpp"
#include "drivers/driver.hpp"

namespace strata::testing {

class MysqlTestDatabase {
 public:
  static constexpr const char* k_default_url = "mysql://strata:strata@127.0.0.1:53306/strata_test";

  static std::string server_url() {
    const char* url = std::getenv("STRATA_TEST_MYSQL_URL");
    return url != nullptr && *url != '\0' ? url : k_default_url;
  }

  MysqlTestDatabase() = default;
  MysqlTestDatabase(const MysqlTestDatabase&) = delete;
  MysqlTestDatabase& operator=(const MysqlTestDatabase&) = delete;

  ~MysqlTestDatabase() {
    if (m_name.empty()) return;
    try {
      admin()->execute("DROP DATABASE IF EXISTS `" + m_name + "`");
    } catch (const std::exception&) {
      // A test that broke the server leaves the database behind; the next run's name differs.
    }
  }

  // Creates the database; returns why it could not (nullopt when ready).
  std::optional<std::string> create(const std::string& suffix = {}) {
    static std::atomic<int> counter{0};
    const std::string name = "strata_t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + suffix;
    try {
      auto admin_connection = admin();
      admin_connection->execute("DROP DATABASE IF EXISTS `" + name + "`");
      admin_connection->execute("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4");
    } catch (const std::exception& e) {
      return "cannot create a test database: " + std::string(e.what());
    }
    m_name = name;
    return std::nullopt;
  }

  const std::string& name() const { return m_name; }

  // The server URL with this database in place of the URL's own, as text: query string kept.
  std::string url_text() const { return with_database(server_url(), m_name); }

  DatabaseUrl url() const { return parse_database_url(url_text()); }

  std::unique_ptr<drivers::Driver> connect(const drivers::OpenOptions& options = {}) const {
    return drivers::open_driver(url(), options);
  }

  // A connection to the URL's own database, for setting up and inspecting from outside.
  static std::unique_ptr<drivers::Driver> admin() {
    return drivers::open_driver(parse_database_url(server_url()), drivers::OpenOptions{});
  }

  // `url` with its database path replaced by `database`.
  static std::string with_database(const std::string& url, const std::string& database) {
    const auto scheme_end = url.find("://");
    const auto query = url.find('?');
    const auto authority_end = url.substr(0, query).rfind('@');
    auto slash = url.find('/', authority_end == std::string::npos ? scheme_end + 3 : authority_end);
    if (slash > query) slash = std::string::npos;
    const std::string rest = query == std::string::npos ? "" : url.substr(query);
    return url.substr(0, slash == std::string::npos ? query : slash) + "/" + database + rest;
  }

 private:
  std::string m_name;
};

}  // namespace strata::testing
