// A no-op `up` through the library within a running process: N migrations are applied once,
// then Migrator::up() is timed while there is nothing to do (docs/performance.md, issue 13's
// target: at most 5 ms for 1000 migrations on SQLite).
//
//   library_noop [N (1000)] [RUNS (50)] [DATABASE_URL (a scratch SQLite file)]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <time.h>
#include <unistd.h>

#include <strata/strata.hpp>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 50;
  if (count < 1 || runs < 1) {
    std::cerr << "usage: library_noop [N (1000)] [RUNS (50)] [DATABASE_URL]\n";
    return 2;
  }
  const fs::path scratch = fs::temp_directory_path() / ("strata-library-noop-" + std::to_string(::getpid()));
  const std::string url = argc > 3 ? argv[3] : "sqlite:" + (scratch / "bench.db").string();
  fs::create_directories(scratch / "migrations");
  for (int i = 1; i <= count; ++i) {
    char version[16];
    std::snprintf(version, sizeof version, "%06d", i);
    std::ofstream(scratch / "migrations" / (std::string(version) + "_t.up.sql"))
        << "CREATE TABLE t" << i << " (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
        << "CREATE INDEX t" << i << "_name ON t" << i << " (name);\n";
    std::ofstream(scratch / "migrations" / (std::string(version) + "_t.down.sql")) << "DROP TABLE t" << i << ";\n";
  }
  try {
    strata::Migrator migrator(url, strata::MigrationSource::directory((scratch / "migrations").string()));
    const strata::RunResult applied = migrator.up();
    if (applied.steps.size() != static_cast<size_t>(count)) {
      std::cerr << "applied " << applied.steps.size() << " migrations, expected " << count << '\n';
      return 1;
    }
    // Wall time, and this process's CPU time (less sensitive to a busy machine; the server's work,
    // for PostgreSQL and MariaDB, is not in it).
    std::vector<double> ms;
    std::vector<double> cpu_ms;
    for (int run = 0; run < runs; ++run) {
      timespec cpu_start{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_start);
      const auto started = std::chrono::steady_clock::now();
      const strata::RunResult noop = migrator.up();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
      timespec cpu_end{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_end);
      cpu_ms.push_back((cpu_end.tv_sec - cpu_start.tv_sec) * 1e3 + (cpu_end.tv_nsec - cpu_start.tv_nsec) / 1e6);
      if (!noop.steps.empty()) {
        std::cerr << "the no-op up applied something\n";
        return 1;
      }
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpu_ms.begin(), cpu_ms.end());
    std::cout << "no-op up over " << count << " applied migrations, " << runs << " runs: median " << ms[ms.size() / 2]
              << " ms, min " << ms.front() << " ms, max " << ms.back() << " ms; CPU median "
              << cpu_ms[cpu_ms.size() / 2] << " ms, min " << cpu_ms.front() << " ms\n";
  } catch (const strata::Error& error) {
    std::cerr << "error: " << error.what() << '\n';
    fs::remove_all(scratch);
    return static_cast<int>(error.exit_code());
  }
  fs::remove_all(scratch);
  return 0;
}
