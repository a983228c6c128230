#pragma once

// The multi-server topologies scripts/topologies.sh starts (Galera, a PostgreSQL primary and
// standby, PgBouncer, pgpool-II, a read-only MariaDB), found through the STRATA_TEST_*
// variables `scripts/topologies.sh env` prints and `make test` passes to ctest. A test that needs
// one fails when its variable is unset or the server does not answer; it never skips.

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace strata::testing {

// The value of `variable` (e.g. "STRATA_TEST_PG_STANDBY_URL"); throws, failing the test, when it
// is unset or empty.
inline std::string topology_url(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(variable) +
                             " is not set: start the topologies with `scripts/topologies.sh start` and load their "
                             "URLs with `eval \"$(scripts/topologies.sh env)\"` (make test does both)");
  }
  return value;
}

// A comma-separated list of URLs (STRATA_TEST_GALERA_URLS: one per node), in order.
inline std::vector<std::string> topology_urls(const char* variable) {
  const std::string text = topology_url(variable);
  std::vector<std::string> urls;
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) urls.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return urls;
}

}  // namespace strata::testing
