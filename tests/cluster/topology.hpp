#pragma once

// A fresh database for one test on a multi-server topology that scripts/topologies.sh starts
// (`make test` passes its URLs): the 3-node Galera cluster (STRATA_TEST_GALERA_URLS, one URL per
// node, comma-separated) or PgBouncer in transaction pooling in front of a private PostgreSQL
// (STRATA_TEST_PGBOUNCER_TXN_URL, whose database is created through STRATA_TEST_PG_PRIMARY_URL).
// The database is named strata_lease_<pid>_<n>. A topology that is not running is a failure,
// never a reason to skip.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/database_url.hpp"
#include "core/error.hpp"
#include "drivers/driver.hpp"

namespace strata::testing {

enum class Topology { galera, pgbouncer };

inline const char* topology_name(Topology topology) {
  return topology == Topology::galera ? "Galera" : "PgBouncer";
}

// Names the instantiations of a test over topologies.
inline std::string topology_test_name(const ::testing::TestParamInfo<Topology>& param) {
  return topology_name(param.param);
}

// `url` with its database (the path after host:port/) replaced by `database`.
inline std::string with_database(const std::string& url, const std::string& database) {
  const size_t authority = url.find("://");
  const size_t slash = url.find('/', authority == std::string::npos ? 0 : authority + 3);
  const size_t query = url.find('?', slash);
  return url.substr(0, slash + 1) + database + (query == std::string::npos ? "" : url.substr(query));
}

// `url` with `param` added to its query string.
inline std::string with_param(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

class TopologyDatabase {
 public:
  explicit TopologyDatabase(Topology topology) : m_topology(topology) {}
  TopologyDatabase(const TopologyDatabase&) = delete;
  TopologyDatabase& operator=(const TopologyDatabase&) = delete;

  ~TopologyDatabase() {
    if (m_name.empty()) return;
    try {
      // PgBouncer keeps server connections to the database: drop it on the server, forcibly.
      admin()->execute(m_topology == Topology::galera ? "DROP DATABASE IF EXISTS `" + m_name + "`"
                                                      : "DROP DATABASE IF EXISTS \"" + m_name + "\" WITH (FORCE)");
    } catch (const std::exception&) {
      // Left behind; the next run's name differs.
    }
  }

  // Creates the database; returns why it could not (nullopt when ready).
  std::optional<std::string> create() {
    if (auto missing = read_environment()) return missing;
    static std::atomic<int> counter{0};
    m_name = "strata_lease_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    try {
      auto connection = admin();
      if (m_topology == Topology::galera) {
        connection->execute("CREATE DATABASE `" + m_name + "` CHARACTER SET utf8mb4");
      } else {
        connection->execute("CREATE DATABASE \"" + m_name + "\"");
      }
    } catch (const std::exception& e) {
      const std::string name = m_name;
      m_name.clear();
      return "cannot create the test database " + name + " on " + topology_name(m_topology) + ": " + e.what() +
             " (start it with `scripts/topologies.sh start`)";
    }
    return std::nullopt;
  }

  const std::string& name() const { return m_name; }

  // The URLs a runner connects through: one per Galera node; PgBouncer's, once.
  std::vector<std::string> urls(const std::string& extra_param = {}) const {
    std::vector<std::string> out;
    for (const std::string& base : m_base_urls) {
      std::string url = with_database(base, m_name);
      if (!extra_param.empty()) url = with_param(url, extra_param);
      out.push_back(url);
    }
    return out;
  }

  // PgBouncer: a connection to the PostgreSQL server behind it, bypassing it.
  std::unique_ptr<drivers::Driver> connect_direct(const std::string& extra_param = {}) const {
    std::string url = with_database(m_admin_url, m_name);
    if (!extra_param.empty()) url = with_param(url, extra_param);
    drivers::OpenOptions options;
    options.busy_timeout = std::chrono::milliseconds(5000);
    return drivers::open_driver(parse_database_url(url), options);
  }

  std::unique_ptr<drivers::Driver> connect(size_t node = 0, const std::string& extra_param = {}) const {
    const std::vector<std::string> all = urls(extra_param);
    drivers::OpenOptions options;
    options.busy_timeout = std::chrono::milliseconds(5000);
    return drivers::open_driver(parse_database_url(all.at(node % all.size())), options);
  }

 private:
  std::optional<std::string> read_environment() {
    auto get = [](const char* name) -> std::string {
      const char* value = std::getenv(name);
      return value == nullptr ? "" : value;
    };
    const char* needed = m_topology == Topology::galera ? "STRATA_TEST_GALERA_URLS" : "STRATA_TEST_PGBOUNCER_TXN_URL";
    const std::string value = get(needed);
    if (value.empty())
      return std::string(needed) +
             " is not set: start the topologies with `scripts/topologies.sh start` and run "
             "the tests with `eval \"$(scripts/topologies.sh env)\"` (make test does both)";
    m_base_urls.clear();
    if (m_topology == Topology::galera) {
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) {
        if (!item.empty()) m_base_urls.push_back(item);
      }
      m_admin_url = m_base_urls.front();
    } else {
      m_base_urls.push_back(value);
      m_admin_url = get("STRATA_TEST_PG_PRIMARY_URL");
      if (m_admin_url.empty())
        return std::string("STRATA_TEST_PG_PRIMARY_URL is not set (see scripts/topologies.sh env)");
    }
    return std::nullopt;
  }

  std::unique_ptr<drivers::Driver> admin() const {
    drivers::OpenOptions options;
    options.busy_timeout = std::chrono::milliseconds(10000);
    return drivers::open_driver(parse_database_url(m_admin_url), options);
  }

  Topology m_topology;
  std::string m_name;
  std::vector<std::string> m_base_urls;
  std::string m_admin_url;
};

}  // namespace strata::testing
