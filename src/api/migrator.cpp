#include "strata/migrator.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <time.h>

#include "api/flow.hpp"
#include "core/database_url.hpp"
#include "runner/interrupt.hpp"
#include "source/checksum_memo.hpp"

namespace strata {

namespace {

MigrationState state_of(const std::string& state) {
  if (state == "applied") return MigrationState::applied;
  if (state == "modified") return MigrationState::modified;
  if (state == "missing") return MigrationState::missing;
  if (state == "out-of-order") return MigrationState::out_of_order;
  if (state == "dirty") return MigrationState::dirty;
  return MigrationState::pending;
}

// Turns the flow's reports into Events for the caller's callback.
class EventObserver : public api::Observer {
 public:
  explicit EventObserver(const EventCallback& callback) : m_callback(callback) {}

  void warning(const std::string& line) override { emit(Event::Kind::warning, line); }
  void notice(const std::string& line) override { emit(Event::Kind::notice, line); }
  void reading_foreign(const std::string& line) override { emit(Event::Kind::reading_foreign, line); }
  void imported(const std::string& line) override { emit(Event::Kind::imported, line); }
  void lock_waiting(const std::optional<std::string>& holder, const std::string& line) override {
    if (!m_callback) return;
    Event event;
    event.kind = Event::Kind::lock_waiting;
    event.message = line;
    event.holder = holder.value_or("");
    m_callback(event);
  }
  void lock_acquired(bool) override { emit(Event::Kind::lock_acquired, "took the migration lock"); }
  void retrying(const runner::PreparedStep& step, const runner::Retry&, const std::string& line) override {
    if (!m_callback) return;
    Event event = step_event(Event::Kind::retrying, step);
    event.message = line;
    m_statements = 0;  // the attempt was rolled back: the next one counts again
    m_callback(event);
  }

  runner::Progress progress(const std::vector<runner::PreparedStep>& steps) override {
    runner::Progress progress;
    if (!m_callback) return progress;
    m_total = steps.size();
    progress.started = [this](const runner::PreparedStep& step) {
      ++m_index;
      Event event = step_event(Event::Kind::migration_started, step);
      event.message = fmt::format("[{}/{}] {} {}", m_index, m_total,
                                  event.direction == Direction::up ? "applying" : "reverting", step.migration->label());
      m_current = event;  // a copy: the step is gone when a failure is reported
      m_callback(event);
    };
    progress.finished = [this](const runner::PreparedStep& step, double ms) {
      Event event = step_event(Event::Kind::migration_finished, step);
      event.duration_ms = ms;
      event.statements = m_statements;
      event.message =
          fmt::format("[{}/{}] {} {} ({:.1f} ms)", m_index, m_total,
                      event.direction == Direction::up ? "applied" : "reverted", step.migration->label(), ms);
      m_current.reset();
      m_statements = 0;
      m_callback(event);
    };
    progress.batch_started = [this](const runner::PreparedStep& step,
                                    const std::vector<const source::Statement*>& batch) {
      Event event = step_event(Event::Kind::batch_started, step);
      event.statements = batch.size();
      event.file = step.script.file_of(*batch.front());
      event.line = batch.front()->line;
      event.message = batch.size() == 1 ? fmt::format("{}:{}", event.file, event.line)
                                        : fmt::format("{}:{}–{}", event.file, event.line, batch.back()->line);
      m_statements += batch.size();
      m_callback(event);
    };
    return progress;
  }

  // The run ended with `error` while a migration was under way.
  void failed(const std::exception& error) {
    if (!m_callback || !m_current) return;
    Event event = *m_current;
    event.kind = Event::Kind::migration_failed;
    event.message = error.what();
    m_current.reset();
    m_callback(event);
  }

 private:
  void emit(Event::Kind kind, const std::string& line) {
    if (!m_callback) return;
    Event event;
    event.kind = kind;
    event.message = line;
    m_callback(event);
  }
  Event step_event(Event::Kind kind, const runner::PreparedStep& step) const {
    Event event;
    event.kind = kind;
    event.version = step.step.version;
    event.name = step.migration->name;
    event.direction = step.step.direction;
    event.index = m_index;
    event.total = m_total;
    return event;
  }

  const EventCallback& m_callback;
  size_t m_index = 0;
  size_t m_total = 0;
  size_t m_statements = 0;
  // The migration under way, as its migration_started event described it (the run's steps no
  // longer exist when the error that ended it is reported).
  std::optional<Event> m_current;
};

planner::Plan make_plan(const Request& request, const planner::Inputs& in) {
  switch (request.kind) {
    case Request::Kind::up: return planner::plan_up(in, request.count);
    case Request::Kind::down: return planner::plan_down(in, request.count);
    case Request::Kind::goto_version: return planner::plan_goto(in, request.target);
    case Request::Kind::redo: break;
  }
  return planner::plan_redo(in);
}

api::DriftCheck drift_check_of(const Request& request) {
  switch (request.kind) {
    case Request::Kind::down: return api::DriftCheck::ignore;
    case Request::Kind::redo: return api::DriftCheck::redo_latest;
    default: return api::DriftCheck::refuse;
  }
}

void check_count(const std::optional<int64_t>& count, const char* what) {
  if (count && *count <= 0) throw UsageError(fmt::format("invalid {} {}: expected a positive integer", what, *count));
}

}  // namespace

const char* state_name(MigrationState state) {
  switch (state) {
    case MigrationState::applied: return "applied";
    case MigrationState::pending: return "pending";
    case MigrationState::modified: return "modified";
    case MigrationState::missing: return "missing";
    case MigrationState::out_of_order: return "out-of-order";
    case MigrationState::dirty: return "dirty";
  }
  return "pending";
}

MigrationSource MigrationSource::directory(std::string path) {
  MigrationSource source;
  source.m_name = std::move(path);
  return source;
}

MigrationSource MigrationSource::embedded(const EmbeddedMigrations& migrations) {
  MigrationSource source;
  source.m_name = migrations.directory != nullptr ? migrations.directory : "embedded migrations";
  source.m_embedded = &migrations;
  return source;
}

static long long now_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// A Migrator lists its source once and lists a directory again only when the directory changed
// (its modification time; listed more than 2 s after it, so that a change within the same clock
// tick is never missed), and remembers the checksums of files it read (source::ChecksumMemo):
// a no-op `up` in a running process reads no migration file (docs/performance.md).
struct Migrator::Impl {
  api::Settings settings;
  MigrationSource source;
  Options options;
  api::StopControl stop{true};
  std::optional<source::Source> listed;
  long long listed_mtime_ns = -1;
  long long listed_at_ns = 0;
  std::shared_ptr<source::ChecksumMemo> checksums = std::make_shared<source::ChecksumMemo>();
  api::ConnectionCache connections;  // SQLite: the last command's connection (Settings::connections)

  const source::Source& load(EventObserver& observer) {
    long long mtime_ns = -1;
    if (!source.embedded_set()) {
      struct stat info {};
      if (::stat(source.name().c_str(), &info) == 0) {
        mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
      }
    }
    const bool unchanged = source.embedded_set() != nullptr ||
                           (mtime_ns >= 0 && mtime_ns == listed_mtime_ns && mtime_ns < listed_at_ns - 2'000'000'000);
    if (listed && unchanged) {
      for (const std::string& warning : listed->warnings()) observer.warning(warning);
      return *listed;
    }
    listed.reset();
    listed_at_ns = now_ns();
    api::SourceSpec spec;
    spec.directory = source.name();
    spec.embedded = source.embedded_set();
    listed.emplace(api::load_source(spec, settings.dialect, observer));
    listed->set_checksum_memo(checksums);
    listed_mtime_ns = mtime_ns;
    return *listed;
  }
};

Migrator::Migrator(const std::string& database_url, MigrationSource source, Options options)
    : m_impl(std::make_unique<Impl>()) {
  Impl& impl = *m_impl;
  impl.settings.database = parse_database_url(database_url);
  impl.settings.dialect = impl.settings.database->dialect;
  if (!options.table.empty()) {
    impl.settings.table = parse_table_name(options.table, impl.settings.dialect, "table");
  } else if (impl.settings.database->migrations_table) {
    impl.settings.table =
        parse_table_name(*impl.settings.database->migrations_table, impl.settings.dialect, "x-migrations-table");
  } else {
    impl.settings.table = TableName{"", "schema_migrations"};
  }
  if (options.lock_timeout.count() < 0) throw UsageError("invalid lock timeout: expected 0 or more");
  impl.settings.lock_timeout = options.lock_timeout;
  impl.settings.allow_out_of_order = options.allow_out_of_order;
  if (options.statement_lock_timeout && options.statement_lock_timeout->count() < 0)
    throw UsageError("invalid statement lock timeout: expected 0 or more");
  if (options.retries < 0) throw UsageError("invalid retries: expected 0 or more");
  impl.settings.statement_lock_timeout = options.statement_lock_timeout;
  impl.settings.retries = options.retries;
  impl.settings.statement_lock_timeout_name = "Options::statement_lock_timeout";
  impl.settings.retries_name = "Options::retries";
  if (impl.settings.dialect == Dialect::sqlite) impl.settings.connections = &impl.connections;
  impl.source = std::move(source);
  impl.options = std::move(options);
}

Migrator::~Migrator() = default;
Migrator::Migrator(Migrator&&) noexcept = default;
Migrator& Migrator::operator=(Migrator&&) noexcept = default;

RunResult Migrator::up() {
  return run(Request::up());
}
RunResult Migrator::up(int64_t count) {
  return run(Request::up(count));
}
RunResult Migrator::down(int64_t count) {
  return run(Request::down(count));
}
RunResult Migrator::down_all() {
  return run(Request::down_all());
}
RunResult Migrator::goto_version(int64_t version) {
  return run(Request::goto_version(version));
}
RunResult Migrator::redo() {
  return run(Request::redo());
}

namespace {

// The flow's command for `request` (run() and plan() differ only in dry_run).
api::MigrateCommand command_for(const Request& request) {
  api::MigrateCommand command;
  command.make_plan = [request](const planner::Inputs& in) { return make_plan(request, in); };
  command.drift_check = drift_check_of(request);
  return command;
}

}  // namespace

RunResult Migrator::run(const Request& request) {
  check_count(request.count, "count");
  EventObserver observer(m_impl->options.on_event);
  const source::Source& source = m_impl->load(observer);
  const api::MigrateCommand command = command_for(request);
  api::MigrateResult migrated;
  try {
    migrated = api::migrate(m_impl->settings, source, command, observer, &m_impl->stop);
  } catch (const std::exception& error) {
    observer.failed(error);
    throw;
  }
  RunResult result;
  result.from = migrated.plan.from;
  result.to = migrated.plan.to;
  result.duration_ms = migrated.duration_ms;
  for (const runner::StepResult& step : migrated.completed) {
    result.steps.push_back(StepResult{step.version, step.name, step.direction, step.duration_ms,
                                      step.statements, step.no_file});
  }
  return result;
}

Plan Migrator::plan(const Request& request) {
  check_count(request.count, "count");
  EventObserver observer(m_impl->options.on_event);
  const source::Source& source = m_impl->load(observer);
  api::MigrateCommand command = command_for(request);
  command.dry_run = true;
  api::MigrateResult planned = api::migrate(m_impl->settings, source, command, observer, nullptr);
  Plan plan;
  plan.from = planned.plan.from;
  plan.to = planned.plan.to;
  for (const runner::PreparedStep& prepared : planned.steps) {
    PlannedStep step;
    step.version = prepared.step.version;
    step.name = prepared.migration->name;
    step.direction = prepared.step.direction;
    step.transaction = prepared.transaction;
    for (const source::Statement& statement : prepared.script.section.statements) {
      step.statements.push_back(PlannedStatement{prepared.script.file_of(statement), statement.line, statement.sql});
    }
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

VersionInfo Migrator::force(std::optional<int64_t> version) {
  EventObserver observer(m_impl->options.on_event);
  const source::Source& source = m_impl->load(observer);
  api::ForceResult forced = api::force(m_impl->settings, source, version, m_impl->source.name(), observer);
  return VersionInfo{forced.before.version, forced.before.dirty};
}

VersionInfo Migrator::version() {
  EventObserver observer(m_impl->options.on_event);
  api::VersionResult result = api::version(
      m_impl->settings, [&] { return m_impl->load(observer); }, observer);
  return VersionInfo{result.state.version, result.state.dirty};
}

Status Migrator::status() {
  EventObserver observer(m_impl->options.on_event);
  const source::Source& source = m_impl->load(observer);
  runner::StatusReport report = api::status(m_impl->settings, source, observer);
  Status status;
  status.version = report.version;
  status.dirty = report.dirty;
  status.runbook = report.runbook;
  status.pending = report.pending;
  for (const runner::StatusRow& row : report.rows) {
    status.migrations.push_back(MigrationStatus{row.version, row.name, state_of(row.state), row.applied_at,
                                                row.duration_ms, row.applied_by, row.has_down});
  }
  return status;
}

bool Migrator::has_pending() {
  EventObserver observer(m_impl->options.on_event);
  const source::Source& source = m_impl->load(observer);
  return api::has_pending(m_impl->settings, source, observer);
}

Validation Migrator::validate() {
  EventObserver observer(m_impl->options.on_event);
  const source::Source& source = m_impl->load(observer);
  api::SourceCheck checked = api::check_source(source, m_impl->settings.dialect, observer, false);
  api::check_applied_checksums(m_impl->settings, source, observer);
  return Validation{checked.migrations, checked.without_down};
}

void Migrator::request_stop() noexcept {
  m_impl->stop.request(runner::k_stop_request);
}

void Migrator::clear_stop() noexcept {
  m_impl->stop.clear();
}

}  // namespace strata
