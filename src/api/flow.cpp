#include "api/flow.hpp"

#include <sys/stat.h>

#include <exception>
#include <utility>

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "core/error.hpp"
#include "drivers/driver.hpp"
#include "runner/import.hpp"
#include "runner/pause_point.hpp"
#include "source/checksum_prefetch.hpp"
#include "source/create.hpp"
#include "strata/embedded.hpp"

namespace strata::api {

ConnectionCache::ConnectionCache() = default;
ConnectionCache::~ConnectionCache() = default;

namespace {

// The device and inode of the file at `path`; nullopt when there is none.
std::optional<std::pair<unsigned long long, unsigned long long>> file_identity(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  return std::make_pair(static_cast<unsigned long long>(info.st_dev), static_cast<unsigned long long>(info.st_ino));
}

}  // namespace

std::unique_ptr<drivers::Driver> ConnectionCache::take(const std::string& path) {
  std::unique_ptr<drivers::Driver> idle = std::move(m_idle);
  const auto identity = file_identity(path);
  if (!idle || !identity || identity->first != m_device || identity->second != m_inode) return nullptr;
  return idle;
}

void ConnectionCache::put(std::unique_ptr<drivers::Driver> driver, const std::string& path) {
  m_idle.reset();
  const auto identity = file_identity(path);
  if (!identity) return;
  m_device = identity->first;
  m_inode = identity->second;
  m_idle = std::move(driver);
}

namespace {

using runner::version_text;

// A database connection with its tracker, opened (or taken from Settings::connections) for one
// command. A command that returns normally leaves the connection to the cache, if it has one;
// one that throws closes it.
struct Session {
  std::unique_ptr<drivers::Driver> driver;
  std::optional<tracker::Tracker> tracker;
  ConnectionCache* cache = nullptr;
  std::string path;  // SQLite: the file, for the cache

  Session() = default;
  Session(Session&&) = default;
  Session& operator=(Session&&) = delete;
  ~Session() {
    if (cache != nullptr && driver && std::uncaught_exceptions() == 0) {
      tracker.reset();
      cache->put(std::move(driver), path);
    }
  }
};

Session open_session(const Settings& settings, bool writes) {
  Session session;
  const bool cached = settings.connections != nullptr && settings.database->dialect == Dialect::sqlite;
  if (cached) session.driver = settings.connections->take(settings.database->path);
  const bool reused = session.driver != nullptr;
  drivers::OpenOptions options;
  options.busy_timeout = settings.lock_timeout;
  options.create_if_missing = writes;
  if (!reused) session.driver = drivers::open_driver(*settings.database, options);
  // A connection opened without creating the file may stand for a file that does not exist yet:
  // only one opened for writing is kept.
  if (cached && (reused || writes)) {
    session.cache = settings.connections;
    session.path = settings.database->path;
  }
  if (writes) {  // a standby, a read-only server or file: refused before anything is written
    if (std::optional<std::string> reason = session.driver->read_only_reason()) throw DriverError(*reason);
  }
  session.tracker.emplace(*session.driver, settings.table);
  return session;
}

// Sets the connection a stop request may cancel for the scope of a command.
class RunningDriver {
 public:
  RunningDriver(StopControl* stop, drivers::Driver& driver) : m_stop(stop) {
    if (m_stop) m_stop->set_driver(&driver);
  }
  ~RunningDriver() {
    if (m_stop) m_stop->set_driver(nullptr);
  }
  RunningDriver(const RunningDriver&) = delete;
  RunningDriver& operator=(const RunningDriver&) = delete;

 private:
  StopControl* m_stop;
};

// Under the lock: continues from another tool's table, if strata's own record nothing yet.
void import_foreign(Session& session, const source::Source& source, Observer& observer) {
  if (std::optional<tracker::ForeignState> imported =
          runner::import_foreign(*session.driver, *session.tracker, source)) {
    observer.imported(runner::imported_message(*imported, source, session.tracker->table()));
  }
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms >= 1000 && ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{} ms", ms);
}

// Waits for the lock in short slices so that a stop request is honoured while waiting; the
// timeout of the last slice is the whole wait's in the message.
void wait_for_lock_stoppable(const Settings& settings, Session& session, std::optional<runner::LockGuard>& lock,
                             StopControl& stop) {
  constexpr std::chrono::milliseconds k_slice{100};
  const auto deadline = std::chrono::steady_clock::now() + settings.lock_timeout;
  for (;;) {
    stop.check_before_migrating("while waiting for the migration lock");
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    try {
      lock.emplace(*session.driver, session.tracker->table(), std::clamp(left, std::chrono::milliseconds(0), k_slice));
      return;
    } catch (const LockTimeout& error) {
      if (left > k_slice) continue;
      std::string message = error.what();
      const std::string within = " within ";
      if (size_t at = message.find(within); at != std::string::npos) {
        const size_t start = at + within.size();
        const size_t end = message.find(':', start);
        message.replace(start, (end == std::string::npos ? message.size() : end) - start,
                        seconds_text(settings.lock_timeout));
      }
      throw LockTimeout(message);
    }
  }
}

// Takes the migration lock into `lock`. When it is not free at once, says who holds it before
// waiting; a free lock costs no extra query. Returns whether it waited.
bool take_lock(const Settings& settings, Session& session, std::optional<runner::LockGuard>& lock,
               Observer& observer, StopControl* stop) {
  // A cluster or a pooler the driver found changes how the lock works: say so once.
  auto announce = [&] {
    if (std::optional<std::string> note = session.driver->topology_note()) observer.notice(*note);
  };
  try {
    lock.emplace(*session.driver, session.tracker->table(), std::chrono::milliseconds::zero());
    announce();
    observer.lock_acquired(false);
    return false;
  } catch (const LockTimeout&) {
    // Held by another run: name it, then wait up to the lock timeout.
  }
  announce();
  std::optional<drivers::Driver::LockHolder> holder;
  try {
    holder = session.driver->lock_holder(session.tracker->table());
  } catch (const DriverError&) {
    // Who holds it is a courtesy; lock() reports what matters.
  }
  std::string line = fmt::format("waiting for the migration lock of {} (up to {} s)",
                                 session.tracker->table().display(), settings.lock_timeout.count() / 1000.0);
  if (holder) line += fmt::format(": held by {}", holder->description);
  observer.lock_waiting(holder ? std::optional<std::string>(holder->description) : std::nullopt, line);
  if (stop != nullptr && stop->honours_before_migrating()) {
    wait_for_lock_stoppable(settings, session, lock, *stop);
  } else {
    lock.emplace(*session.driver, session.tracker->table(), settings.lock_timeout);
  }
  observer.lock_acquired(true);
  return true;
}

// Before anything runs: the steps that a statement took out of a transaction together with
// statements that could have run in one.
void warn_about_transactions(Observer& observer, const std::vector<runner::PreparedStep>& steps) {
  for (const runner::PreparedStep& step : steps) {
    if (!step.transaction) {
      if (std::optional<std::string> warning = runner::transaction_warning(step.script)) observer.warning(*warning);
    }
  }
}

// The drift check of a migrating command; returns the edit that redo re-runs, if any.
std::optional<runner::Drift> check_drift(DriftCheck drift_check, const source::Source& source,
                                         const runner::DatabaseView& view, source::ChecksumPrefetch* prefetched) {
  if (drift_check == DriftCheck::ignore) return std::nullopt;
  std::optional<runner::Drift> redone_edit;
  std::vector<runner::Drift> drift = runner::find_drift(source, view, prefetched);
  auto redone =
      std::find_if(drift.begin(), drift.end(), [&](const runner::Drift& d) { return d.version == view.state.version; });
  if (drift_check == DriftCheck::redo_latest && redone != drift.end()) {
    redone_edit = *redone;
    drift.erase(redone);
  }
  if (!drift.empty()) throw SourceError(runner::drift_message(drift.front()));
  return redone_edit;
}

// redo of a migration edited since it was applied: says what redo does about it.
void explain_redone_edit(const runner::Drift& redone_edit, std::vector<runner::PreparedStep>& steps, bool dry_run,
                         Observer& observer) {
  if (source::is_new_file_checksum(redone_edit.stored_checksum) && !steps.empty() &&
      steps.front().step.direction == Direction::down && !steps.front().streamed) {
    // Applied as `create` wrote it: nothing of it is in the database, so its new down must not run.
    steps.front().script.section.statements.clear();
    steps.front().statement_count = 0;
    observer.notice(fmt::format(
        "{} was empty when version {} was applied: redo {} nothing and {} the file as it is now, recording its "
        "checksum",
        redone_edit.file, redone_edit.version, dry_run ? "would revert" : "reverts", dry_run ? "apply" : "applies"));
  } else {
    observer.notice(fmt::format(
        "{} was edited after it was applied (stored checksum {}, current {}): redo {} version {} with its down "
        "migration and {} the file as it is now, recording its new checksum",
        redone_edit.file, redone_edit.stored_checksum.substr(0, 12), redone_edit.current_checksum.substr(0, 12),
        dry_run ? "would revert" : "reverts", redone_edit.version, dry_run ? "apply" : "applies"));
  }
}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

void Observer::warning(const std::string&) {}
void Observer::notice(const std::string&) {}
void Observer::reading_foreign(const std::string& line) {
  notice(line);
}
void Observer::imported(const std::string& line) {
  notice(line);
}
void Observer::lock_waiting(const std::optional<std::string>&, const std::string&) {}
void Observer::lock_acquired(bool) {}
runner::Progress Observer::progress(const std::vector<runner::PreparedStep>&) {
  return {};
}
void Observer::retrying(const runner::PreparedStep&, const runner::Retry&, const std::string& line) {
  notice(line);
}

std::string retry_line(const runner::Retry& retry, std::optional<std::chrono::milliseconds> statement_lock_timeout) {
  const std::string waited =
      statement_lock_timeout
          ? fmt::format("more than {} s", static_cast<double>(statement_lock_timeout->count()) / 1000.0)
          : std::string("too long");
  return fmt::format("      {} waited {} for a lock ({}): rolled back; attempt {} of {} in {:.1f} s", retry.where,
                     waited, retry.error, retry.attempt + 1, retry.attempts,
                     static_cast<double>(retry.delay.count()) / 1000.0);
}

void StopControl::request(int signal) noexcept {
  const int presses = m_control.presses.fetch_add(1) + 1;
  if (presses == 1) m_control.signal.store(signal);
  requested_now(presses);
}

void StopControl::requested_now(int presses) noexcept {
  if (presses != 1 || !m_control.migrating.load() || m_control.outside_transaction.load()) return;
  const std::lock_guard<std::mutex> guard(m_driver_mutex);
  if (m_control.cancellable.load() && m_driver != nullptr) m_driver->cancel();
}

void StopControl::set_driver(drivers::Driver* driver) noexcept {
  const std::lock_guard<std::mutex> guard(m_driver_mutex);
  m_driver = driver;
}

void StopControl::clear() noexcept {
  m_control.signal.store(0);
  m_control.presses.store(0);
}

void StopControl::check_before_migrating(const std::string& where) const {
  if (!m_before_migrating || !requested()) return;
  throw Interrupted(
      fmt::format("interrupted by {} {}; no migration ran", runner::signal_name(m_control.signal.load()), where));
}

source::Source load_source(const SourceSpec& spec, Dialect dialect, Observer& observer) {
  source::Source source = spec.embedded != nullptr ? source::load_embedded(*spec.embedded, dialect)
                                                   : source::load_source(spec.directory, dialect);
  for (const std::string& warning : source.warnings()) observer.warning(warning);
  return source;
}

MigrateResult migrate(const Settings& settings, const source::Source& source, const MigrateCommand& command,
                      Observer& observer, StopControl* stop) {
  MigrateResult result;
  if (!settings.database) {  // offline dry run: as if the database were empty
    runner::DatabaseView empty;
    result.plan = command.make_plan(runner::plan_inputs(source, empty, settings.allow_out_of_order));
    result.steps = runner::prepare(result.plan, source, has_transactional_ddl(settings.dialect), true);
    warn_about_transactions(observer, result.steps);
    return result;
  }
  if (stop != nullptr) {
    stop->control().migrating.store(false);
    stop->check_before_migrating("before any migration ran");
  }

  std::optional<source::ChecksumPrefetch> prefetch;
  if (settings.prefetch_checksums && command.drift_check != DriftCheck::ignore) prefetch.emplace(source);
  Session session = open_session(settings, !command.dry_run);
  RunningDriver running(stop, *session.driver);
  std::optional<runner::LockGuard> lock;
  if (!command.dry_run) {
    // After a wait for another run, the files are read now, as that run may have been an edit's.
    if (take_lock(settings, session, lock, observer, stop)) prefetch.reset();
    import_foreign(session, source, observer);
  }
  runner::DatabaseView view = runner::read_view(*session.tracker, source);
  if (view.foreign) observer.reading_foreign(runner::reading_message(*view.foreign, source, session.tracker->table()));
  if (view.state.dirty) throw runner::dirty_error(view, source);
  std::optional<runner::Drift> redone_edit =
      check_drift(command.drift_check, source, view, prefetch ? &*prefetch : nullptr);
  prefetch.reset();
  result.plan = command.make_plan(runner::plan_inputs(source, view, settings.allow_out_of_order));
  result.steps = runner::prepare(result.plan, source, has_transactional_ddl(session.driver->dialect()), command.dry_run);
  if (redone_edit) explain_redone_edit(*redone_edit, result.steps, command.dry_run, observer);
  warn_about_transactions(observer, result.steps);
  if (command.dry_run) return result;
  if (command.check_plan) command.check_plan(result.plan);
  if (result.steps.empty()) return result;

  runner::pause_point("plan");
  if (stop != nullptr) stop->check_before_migrating("before any migration ran");
  // Only now, with every file read and the plan known to be sound, does anything get created.
  session.tracker->ensure_tables();
  runner::Progress progress = observer.progress(result.steps);
  if (!progress.retrying) {
    progress.retrying = [&](const runner::PreparedStep& step, const runner::Retry& retry) {
      observer.retrying(step, retry, retry_line(retry, settings.statement_lock_timeout));
    };
  }
  runner::ExecuteOptions options;
  options.statement_lock_timeout = settings.statement_lock_timeout;
  options.retries = settings.retries;
  options.statement_lock_timeout_name = settings.statement_lock_timeout_name;
  options.retries_name = settings.retries_name;
  const auto started = std::chrono::steady_clock::now();
  if (stop != nullptr) stop->control().migrating.store(true);
  runner::execute(*session.driver, *session.tracker, result.steps, progress, result.completed,
                  stop != nullptr ? &stop->control() : nullptr, options);
  result.duration_ms = elapsed_ms(started);
  return result;
}

ForceResult force(const Settings& settings, const source::Source& source, std::optional<int64_t> target,
                  const std::string& directory, Observer& observer) {
  if (target && !source.find(*target)) {
    throw UsageError(
        fmt::format("cannot force version {}: no migration with that version in {} "
                    "(use -1 or none for \"nothing applied\")",
                    *target, directory));
  }
  Session session = open_session(settings, true);
  std::optional<runner::LockGuard> lock;
  take_lock(settings, session, lock, observer, nullptr);
  import_foreign(session, source, observer);
  session.tracker->ensure_tables();
  // force is the repair tool: a version table it cannot read (several rows) is what it fixes.
  ForceResult result;
  try {
    result.before = session.tracker->read_state();
  } catch (const DriverError& error) {
    result.unreadable = error.what();
  }

  session.tracker->force(target, target ? source.find(*target)->name : std::string(),
                         tracker::ForceOrigin{result.before.version, result.before.dirty, result.unreadable});
  return result;
}

VersionResult version(const Settings& settings, const std::function<source::Source()>& load, Observer& observer) {
  Session session = open_session(settings, false);
  VersionResult result;
  if (std::optional<tracker::ForeignState> foreign = session.tracker->find_foreign()) {
    result.state.version = foreign->highest();
    // The source is only needed to say which versions have no file; without a directory, none.
    std::optional<source::Source> source;
    try {
      source.emplace(load());
    } catch (const Error&) {
      source.emplace(source::Source({}, settings.dialect, std::vector<source::Migration>{}));
    }
    observer.reading_foreign(runner::reading_message(*foreign, *source, session.tracker->table()));
  } else {
    result.state = session.tracker->read_state();
  }
  if (result.state.dirty) {
    // Dirty while a migration runs is no failure: say so, and who runs it.
    runner::DatabaseView view;
    view.state = result.state;
    view.history = session.tracker->read_history();
    Runbook runbook = runner::dirty_runbook(view, source::Source({}, session.driver->dialect(), {}));
    runner::mark_running(runbook, *session.driver, session.tracker->table());
    if (runbook.cause == Runbook::Cause::running) result.running = runbook;
  }
  return result;
}

runner::StatusReport status(const Settings& settings, const source::Source& source, Observer& observer) {
  std::optional<source::ChecksumPrefetch> prefetch;
  if (settings.prefetch_checksums) prefetch.emplace(source);
  Session session = open_session(settings, false);
  runner::DatabaseView view = runner::read_view(*session.tracker, source);
  if (view.foreign) observer.reading_foreign(runner::reading_message(*view.foreign, source, session.tracker->table()));
  std::vector<runner::Drift> drift = runner::find_drift(source, view, prefetch ? &*prefetch : nullptr);
  prefetch.reset();
  runner::StatusReport report = runner::build_status(source, view, drift, runner::versions_without_down(source));
  if (report.runbook) runner::mark_running(*report.runbook, *session.driver, session.tracker->table());
  return report;
}

bool has_pending(const Settings& settings, const source::Source& source, Observer& observer) {
  Session session = open_session(settings, false);
  runner::DatabaseView view = runner::read_view(*session.tracker, source);
  if (view.foreign) observer.reading_foreign(runner::reading_message(*view.foreign, source, session.tracker->table()));
  return std::any_of(source.migrations().begin(), source.migrations().end(),
                     [&](const source::Migration& migration) { return !view.applied.contains(migration.version); });
}

SourceCheck check_source(const source::Source& source, Dialect dialect, Observer& observer, bool name_dialect) {
  SourceCheck result;
  result.migrations = source.migrations().size();
  for (const source::Migration& migration : source.migrations()) {
    source::ParsedMigration parsed = source::parse_migration(migration, dialect);
    if (has_transactional_ddl(dialect)) {
      for (const source::Script* script : {&parsed.up, &parsed.down}) {
        if (std::optional<std::string> warning = runner::transaction_warning(*script)) {
          observer.warning(name_dialect ? fmt::format("{} (read as {})", *warning, dialect_name(dialect)) : *warning);
        }
      }
    }
    if (parsed.down.file.empty()) result.without_down.push_back(migration.version);
  }
  return result;
}

void check_applied_checksums(const Settings& settings, const source::Source& source, Observer& observer) {
  Session session = open_session(settings, false);
  runner::DatabaseView view = runner::read_view(*session.tracker, source);
  if (view.foreign) observer.reading_foreign(runner::reading_message(*view.foreign, source, session.tracker->table()));
  std::vector<runner::Drift> drift = runner::find_drift(source, view);
  if (!drift.empty()) throw SourceError(runner::drift_message(drift.front()));
}

AcceptResult accept(const Settings& settings, const source::Source& source, const std::vector<int64_t>& versions,
                    const std::string& directory, Observer& observer) {
  Session session = open_session(settings, true);
  std::optional<runner::LockGuard> lock;
  take_lock(settings, session, lock, observer, nullptr);
  runner::DatabaseView view = runner::read_view(*session.tracker, source);
  if (view.state.dirty) throw runner::dirty_error(view, source);
  for (int64_t version : versions) {
    if (!source.find(version)) {
      throw UsageError(
          fmt::format("cannot accept version {}: no migration with that version in {}", version, directory));
    }
    if (!view.applied.contains(version)) {
      throw UsageError(fmt::format(
          "cannot accept version {}: it is not applied, so there is nothing to accept (`strata up` applies it)",
          version));
    }
  }
  std::vector<runner::Drift> drift = runner::find_drift(source, view);
  std::vector<tracker::HistoryEntry> entries;
  AcceptResult result;
  for (int64_t version : versions) {
    const source::Migration& migration = *source.find(version);
    auto edited =
        std::find_if(drift.begin(), drift.end(), [&](const runner::Drift& d) { return d.version == version; });
    if (edited == drift.end()) {
      observer.notice(fmt::format("{} is as it was applied; nothing to accept", migration.up->name));
      result.unchanged.push_back(version);
      continue;
    }
    tracker::HistoryEntry entry;
    entry.version = version;
    entry.name = migration.name;
    entry.direction = Direction::up;
    entry.checksum = edited->current_checksum;
    entry.outcome = tracker::Outcome::accepted;
    entry.detail = tracker::AcceptedChecksum{edited->file, edited->stored_checksum};
    entries.push_back(std::move(entry));
    observer.notice(fmt::format("accepted {} as it is now (checksum {} → {}); its SQL was not run again", edited->file,
                                edited->stored_checksum.substr(0, 12), edited->current_checksum.substr(0, 12)));
    result.accepted.push_back(*edited);
  }
  if (!entries.empty()) {
    session.tracker->ensure_tables();
    session.tracker->accept(entries);
  }
  return result;
}

void wait_for_database(const DatabaseUrl& database, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  drivers::OpenOptions options;
  options.create_if_missing = false;
  while (true) {
    try {
      options.busy_timeout = std::max(std::chrono::milliseconds(1000), timeout);
      auto driver = drivers::open_driver(database, options);
      driver->query("SELECT 1");
      return;
    } catch (const DriverError& error) {
      if (drivers::is_permanent_connect_error(error)) {
        std::string reason = error.what();
        const std::string prefix = fmt::format("cannot connect to {}: ", database.redacted);
        if (reason.rfind(prefix, 0) == 0) reason.erase(0, prefix.size());
        throw DriverError(fmt::format("database {} answered but refused the connection, which waiting cannot fix: {}",
                                      database.redacted, reason));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        throw DriverError(fmt::format("database {} did not accept connections within {} s: {}", database.redacted,
                                      timeout.count() / 1000.0, error.what()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

}  // namespace strata::api
