// notes-service: a program that brings its database up to date when it starts, from the
// migrations compiled into it (migrations/, strata_add_migrations in CMakeLists.txt), and then
// would go on to serve requests.
//
//   notes-service [DATABASE_URL]
//
// The database is the argument, else $DATABASE_URL, else sqlite:notes.db (created when missing):
// sqlite:PATH, postgres://user:pass@host:port/db, mysql://user:pass@host:port/db.
// Exit status: 0 when the database is up to date, otherwise the exit code the strata CLI would
// end with for the same error (1 database, 2 usage, 3 dirty, 4 migration files, 5 lock timeout).
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <strata/strata.hpp>

#include "migrations.hpp"  // notes::migrations(), generated at build time

namespace {

std::string database_url(int argc, char** argv) {
  if (argc > 1) return argv[1];
  if (const char* url = std::getenv("DATABASE_URL"); url != nullptr && *url != '\0') return url;
  return "sqlite:notes.db";
}

std::string version_text(const std::optional<int64_t>& version) {
  return version ? std::to_string(*version) : "none";
}

// Progress on stderr, as a service logs it.
void log_event(const strata::Event& event) {
  switch (event.kind) {
    case strata::Event::Kind::lock_waiting:
      // Another replica started at the same time and is migrating: this one waits its turn and
      // then finds nothing left to do.
      std::cerr << "notes-service: another instance is migrating (" << event.holder << "); waiting\n";
      break;
    case strata::Event::Kind::migration_finished:
      std::cerr << "notes-service: applied " << event.version << ' ' << event.name << " (" << event.statements
                << " statements, " << static_cast<long>(event.duration_ms) << " ms)\n";
      break;
    case strata::Event::Kind::migration_failed:
    case strata::Event::Kind::warning: std::cerr << "notes-service: " << event.message << '\n'; break;
    default: break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2) {
    std::cerr << "usage: notes-service [DATABASE_URL]\n";
    return 2;
  }
  // SIGINT and SIGTERM (an orchestrator stopping the service mid-migration) become stop
  // requests, received by a thread of their own: a migration in a transaction is rolled back.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  strata::Options options;
  options.lock_timeout = std::chrono::seconds(60);
  options.on_event = log_event;
  try {
    strata::Migrator migrator(database_url(argc, argv), strata::MigrationSource::embedded(notes::migrations()),
                              options);
    std::thread([&migrator, signals] {
      int received = 0;
      while (sigwait(&signals, &received) == 0) migrator.request_stop();
    }).detach();

    const strata::RunResult result = migrator.up();
    std::cout << "notes-service: database at version " << version_text(result.to) << " (" << result.steps.size()
              << (result.steps.size() == 1 ? " migration" : " migrations") << " applied)\n";
    // ... the service would start here; has_pending() is what its readiness probe would ask.
    return migrator.has_pending() ? 1 : 0;
  } catch (const strata::Error& error) {
    std::cerr << "notes-service: cannot migrate the database: " << error.what() << '\n';
    return static_cast<int>(error.exit_code());
  }
}
