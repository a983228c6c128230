// The library's tests: strata::Migrator in this process against a fresh SQLite file, PostgreSQL
// schema or MariaDB database per test (the e2e fixture's), checked with the engine's own client.
#pragma once

#include <mutex>
#include <vector>

#include "e2e/engine_fixture.hpp"
#include "strata/strata.hpp"

namespace strata::api_test {

// Collects the events of a Migrator (thread-safe: concurrency tests share one per thread).
struct EventLog {
  std::mutex mutex;
  std::vector<Event> events;

  EventCallback callback() {
    return [this](const Event& event) {
      const std::lock_guard<std::mutex> guard(mutex);
      events.push_back(event);
    };
  }
  std::vector<Event> of(Event::Kind kind) {
    const std::lock_guard<std::mutex> guard(mutex);
    std::vector<Event> found;
    for (const Event& event : events) {
      if (event.kind == kind) found.push_back(event);
    }
    return found;
  }
};

class ApiTest : public e2e::ProcessTest {
 protected:
  // The test's database for this process (SQLite: an absolute path, the tests do not chdir).
  std::string url() const {
    if (GetParam() == "sqlite") return "sqlite:" + (dir() / "test.db").string();
    return m_url;
  }
  MigrationSource source() const { return MigrationSource::directory((dir() / "migrations").string()); }
  Migrator migrator(Options options = {}) const { return Migrator(url(), source(), std::move(options)); }
};

}  // namespace strata::api_test
