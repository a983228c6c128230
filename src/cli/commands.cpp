#include "cli/commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "core/error.hpp"
#include "drivers/driver.hpp"
#include "report/ticker.hpp"
#include "runner/import.hpp"
#include "runner/interrupt.hpp"
#include "runner/pause_point.hpp"
#include "runner/runner.hpp"
#include "runner/status.hpp"
#include "source/create.hpp"
#include "source/loader.hpp"
#include "tracker/tracker.hpp"

namespace strata::cli {

namespace {

using json = nlohmann::json;
using runner::version_text;

int64_t parse_count(const std::string& text, std::string_view what) {
  int64_t value = 0;
  bool ok = !text.empty() && text.size() <= 18;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
  }
  if (ok) value = std::stoll(text);
  if (!ok || value <= 0) throw UsageError(fmt::format("invalid {} '{}': expected a positive integer", what, text));
  return value;
}

// "3", "0003" → 3, "0" → 0 (a version, as in golang-migrate); "-1" / "none" → nullopt when allowed.
std::optional<int64_t> parse_version_argument(const std::string& text, bool allow_none) {
  if (allow_none && (text == "-1" || text == "none")) return std::nullopt;
  if (!text.empty() && text.find_first_not_of('0') == std::string::npos) return 0;
  return parse_count(text, "version");
}

Dialect dialect_of(const Config& config) {
  if (config.database) return config.database->dialect;
  if (config.dialect) return *config.dialect;
  return Dialect::sqlite;
}

// A database connection with its tracker, opened for one command.
struct Session {
  std::unique_ptr<drivers::Driver> driver;
  std::optional<tracker::Tracker> tracker;
};

Session open_session(const Config& config, bool writes) {
  Session session;
  drivers::OpenOptions options;
  options.busy_timeout = config.lock_timeout;
  options.create_if_missing = writes;
  session.driver = drivers::open_driver(*config.database, options);
  session.tracker.emplace(*session.driver, config.table(config.database->dialect));
  return session;
}

// The migrations directory for `dialect`; names that look like migrations but are not read are
// warned about.
source::Source load(const Context& ctx, Dialect dialect) {
  source::Source source = source::load_source(ctx.config.path, dialect);
  for (const std::string& warning : source.warnings()) ctx.out.warning(warning);
  return source;
}

// Under the lock: continues from another tool's table, if strata's own record nothing yet.
void import_foreign(Context& ctx, Session& session, const source::Source& source) {
  if (std::optional<tracker::ForeignState> imported =
          runner::import_foreign(*session.driver, *session.tracker, source)) {
    ctx.out.progress(runner::imported_message(*imported, source, session.tracker->table()));
  }
}

// Takes the migration lock into `lock`. When it is not free at once, says who holds it before
// waiting, and shows the time spent waiting on a terminal; a free lock costs no extra query.
void take_lock(const Context& ctx, Session& session, std::optional<runner::LockGuard>& lock) {
  try {
    lock.emplace(*session.driver, session.tracker->table(), std::chrono::milliseconds::zero());
    return;
  } catch (const LockTimeout&) {
    // Held by another run: name it, then wait up to --lock-timeout.
  }
  std::optional<drivers::Driver::LockHolder> holder;
  try {
    holder = session.driver->lock_holder(session.tracker->table());
  } catch (const DriverError&) {
    // Who holds it is a courtesy; lock() reports what matters.
  }
  if (holder) {
    ctx.out.progress(fmt::format("waiting for the migration lock of {} (up to {} s): held by {}",
                                 session.tracker->table().display(), ctx.config.lock_timeout.count() / 1000.0,
                                 holder->description));
  }
  report::ElapsedTicker ticker(!ctx.config.quiet && isatty(STDERR_FILENO) != 0);
  ticker.start("waiting for the migration lock");
  lock.emplace(*session.driver, session.tracker->table(), ctx.config.lock_timeout);
}

bool confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO)) return false;
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// ------------------------------------------------------------------ up/down/goto/redo

// Before anything runs: the steps that a statement took out of a transaction together with
// statements that could have run in one.
void warn_about_transactions(const report::Output& out, const std::vector<runner::PreparedStep>& steps) {
  for (const runner::PreparedStep& step : steps) {
    if (!step.transaction) {
      if (std::optional<std::string> warning = runner::transaction_warning(step.script)) out.warning(*warning);
    }
  }
}

using PlanFunction = planner::Plan (*)(const planner::Inputs&, const Args&);

// What a command does about applied files edited since they ran.
enum class DriftCheck {
  refuse,      // exit 4 (up, goto)
  ignore,      // down: reverting uses the down files
  redo_latest  // redo: the migration it re-runs may have been edited (the edit loop); others refuse
};

// Called with the plan before anything runs (not for dry runs); throws to stop the command.
using PlanCheck = void (*)(Context& ctx, const planner::Plan& plan);

int migrate(Context& ctx, PlanFunction make_plan, DriftCheck drift_check, PlanCheck check_plan = nullptr) {
  const Config& config = ctx.config;
  const Args& args = ctx.args;
  Dialect dialect = dialect_of(config);
  source::Source source = load(ctx, dialect);
  std::string table_display = config.table(dialect).display();

  auto print_plan = [&](const planner::Plan& plan, const std::vector<runner::PreparedStep>& steps) {
    if (ctx.out.json_mode()) {
      ctx.out.document(report::plan_json(steps));
    } else {
      ctx.out.result(report::plan_text(steps, plan.from, plan.to, dialect_name(dialect), table_display));
    }
    return 0;
  };

  if (!config.database) {  // offline dry run: as if the database were empty
    runner::DatabaseView empty;
    planner::Plan plan = make_plan(runner::plan_inputs(source, empty, args.allow_out_of_order), args);
    std::vector<runner::PreparedStep> steps = runner::prepare(plan, source, has_transactional_ddl(dialect), true);
    warn_about_transactions(ctx.out, steps);
    return print_plan(plan, steps);
  }

  // Ctrl-C/SIGTERM: stop at a safe point. The watcher goes first so that every thread started
  // after it (the ticker) leaves the signals to it. Before the first migration starts there is
  // nothing to protect, so a signal then ends the run at once (connections, the lock and any
  // half-made version table go with the process).
  runner::RunControl control;
  std::atomic<drivers::Driver*> running{nullptr};
  std::optional<runner::InterruptWatcher> watcher;
  if (!args.dry_run) {
    watcher.emplace(control, [&](int signal, int presses) {
      const std::string name = runner::signal_name(signal);
      if (!control.migrating.load()) {
        std::string message = fmt::format("interrupted by {} before any migration ran", name);
        std::cerr << "strata: error: " << message << std::endl;
        if (ctx.out.json_mode()) ctx.out.document(report::error_json(1, message));
        std::fflush(stdout);
        std::_Exit(1);
      }
      if (presses >= 2) {
        ctx.out.progress(fmt::format(
            "{} again: stopping after the current statement; the migration will be left dirty, with the stop "
            "recorded (send it a third time to end strata at once)",
            name));
        return;
      }
      if (control.outside_transaction.load()) {
        ctx.out.progress(fmt::format(
            "{} received: finishing the running migration, which runs outside a transaction, then stopping "
            "before the next one (send it again to stop after the current statement instead, leaving the database "
            "dirty; a third time ends strata at once)",
            name));
        return;
      }
      if (control.cancellable.load()) {
        if (drivers::Driver* driver = running.load()) driver->cancel();
      }
      ctx.out.progress(fmt::format(
          "{} received: stopping: a migration running in a transaction is rolled back and no further one starts "
          "(send it again to end strata at once)",
          name));
    });
  }

  Session session = open_session(config, !args.dry_run);
  running.store(session.driver.get());
  std::optional<runner::LockGuard> lock;
  if (!args.dry_run) {
    take_lock(ctx, session, lock);
    import_foreign(ctx, session, source);
  }
  runner::DatabaseView view = runner::read_view(*session.tracker, source);
  if (view.foreign) ctx.out.progress(runner::reading_message(*view.foreign, source, session.tracker->table()));
  if (view.state.dirty) throw runner::dirty_error(view, source);
  std::optional<runner::Drift> redone_edit;
  if (drift_check != DriftCheck::ignore) {
    std::vector<runner::Drift> drift = runner::find_drift(source, view);
    auto redone = std::find_if(drift.begin(), drift.end(),
                               [&](const runner::Drift& d) { return d.version == view.state.version; });
    if (drift_check == DriftCheck::redo_latest && redone != drift.end()) {
      redone_edit = *redone;
      drift.erase(redone);
    }
    if (!drift.empty()) throw SourceError(runner::drift_message(drift.front()));
  }
  planner::Plan plan = make_plan(runner::plan_inputs(source, view, args.allow_out_of_order), args);
  std::vector<runner::PreparedStep> steps =
      runner::prepare(plan, source, session.driver->transactional_ddl(), args.dry_run);
  if (redone_edit && source::is_new_file_checksum(redone_edit->stored_checksum) && !steps.empty() &&
      steps.front().step.direction == Direction::down && !steps.front().streamed) {
    // Applied as `create` wrote it: nothing of it is in the database, so its new down must not run.
    steps.front().script.section.statements.clear();
    steps.front().statement_count = 0;
    ctx.out.progress(fmt::format(
        "{} was empty when version {} was applied: redo {} nothing and {} the file as it is now, recording its "
        "checksum",
        redone_edit->file, redone_edit->version, args.dry_run ? "would revert" : "reverts",
        args.dry_run ? "apply" : "applies"));
  } else if (redone_edit) {
    ctx.out.progress(fmt::format(
        "{} was edited after it was applied (stored checksum {}, current {}): redo {} version {} with its down "
        "migration and {} the file as it is now, recording its new checksum",
        redone_edit->file, redone_edit->stored_checksum.substr(0, 12), redone_edit->current_checksum.substr(0, 12),
        args.dry_run ? "would revert" : "reverts", redone_edit->version, args.dry_run ? "apply" : "applies"));
  }
  warn_about_transactions(ctx.out, steps);
  if (args.dry_run) return print_plan(plan, steps);
  if (check_plan) check_plan(ctx, plan);

  if (steps.empty()) {
    ctx.out.progress(fmt::format("no change: database at version {}", version_text(plan.from)));
    ctx.out.document(report::run_json(plan.from, plan.to, {}));
    return 0;
  }
  runner::pause_point("plan");
  // Only now, with every file read and the plan known to be sound, does anything get created.
  session.tracker->ensure_tables();
  report::ElapsedTicker ticker(!ctx.config.quiet && isatty(STDERR_FILENO) != 0);

  const size_t total_steps = steps.size();
  size_t number = 0;
  auto verb = [](const runner::PreparedStep& step, bool done) {
    bool up = step.step.direction == Direction::up;
    return done ? (up ? "applied" : "reverted") : (up ? "applying" : "reverting");
  };
  runner::Progress progress;
  progress.started = [&](const runner::PreparedStep& step) {
    ++number;
    ctx.out.progress(fmt::format("[{}/{}] {} {}", number, total_steps, verb(step, false), step.migration->label()));
    if (step.own_transactions == runner::OwnTransactions::managed) {
      ctx.out.detail(fmt::format("      outside strata's transaction: {} manages its own ({} at line {})",
                                 step.script.file, step.own_word, step.own_line));
    }
    if (step.statement_count == 0 && !step.streamed) {
      const bool up = step.step.direction == Direction::up;
      if (!step.script.file.empty()) {
        ctx.out.progress(fmt::format("      {} has no statements: {} it only moves the version to {}", step.script.file,
                                     up ? "applying" : "reverting", version_text(step.step.version_after)));
      } else if (!up) {
        ctx.out.progress(
            fmt::format("      {} has no down migration: nothing is reverted, only the version moves to {}",
                        step.migration->label(), version_text(step.step.version_after)));
      }
    }
    if (std::optional<std::string> reason = runner::transaction_reason(step.script); reason && !step.transaction) {
      ctx.out.detail(fmt::format("  without a transaction: {}", *reason));
    }
  };
  progress.finished = [&](const runner::PreparedStep& step, double ms) {
    ctx.out.progress(
        fmt::format("[{}/{}] {} {} ({:.1f} ms)", number, total_steps, verb(step, true), step.migration->label(), ms));
  };
  progress.batch_started = [&](const runner::PreparedStep& step, const std::vector<const source::Statement*>& batch) {
    for (const source::Statement* statement : batch) {
      ctx.out.detail(fmt::format("  {}:{}: {}", step.script.file_of(*statement), statement->line,
                                 std::string_view(statement->sql).substr(0, statement->sql.find('\n'))));
    }
    const std::string& file = step.script.file_of(*batch.front());
    ticker.start(batch.size() == 1 ? fmt::format("{}:{}", file, batch.front()->line)
                                   : fmt::format("{}:{}–{}", file, batch.front()->line, batch.back()->line));
  };
  progress.batch_finished = [&] { ticker.stop(); };
  progress.retrying = [&](const runner::PreparedStep&, const runner::Retry& retry) {
    ctx.out.progress(report::retry_line(retry, config.statement_lock_timeout));
  };
  runner::ExecuteOptions options;
  options.statement_lock_timeout = config.statement_lock_timeout;
  options.retries = config.retries;
  std::vector<runner::StepResult> completed;
  auto started = std::chrono::steady_clock::now();
  control.migrating.store(true);
  runner::execute(*session.driver, *session.tracker, steps, progress, completed, &control, options);
  double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  ctx.out.progress(fmt::format("database at version {} ({} migration{}, {:.1f} ms)", version_text(plan.to),
                               completed.size(), completed.size() == 1 ? "" : "s", total));
  ctx.out.document(report::run_json(plan.from, plan.to, completed));
  return 0;
}

planner::Plan plan_up(const planner::Inputs& in, const Args& args) {
  std::optional<int64_t> limit;
  if (!args.positionals.empty()) limit = parse_count(args.positionals[0], "count N");
  return planner::plan_up(in, limit);
}

planner::Plan plan_down(const planner::Inputs& in, const Args& args) {
  std::optional<int64_t> count = 1;
  if (args.all) count.reset();
  if (!args.positionals.empty()) count = parse_count(args.positionals[0], "count N");
  return planner::plan_down(in, count);
}

planner::Plan plan_goto(const planner::Inputs& in, const Args& args) {
  return planner::plan_goto(in, *parse_version_argument(args.positionals.at(0), false));
}

planner::Plan plan_redo(const planner::Inputs& in, const Args&) {
  return planner::plan_redo(in);
}

int cmd_up(Context& ctx) {
  return migrate(ctx, plan_up, DriftCheck::refuse);
}

// `down N` with N above the number of applied migrations reverts all of them: it asks, as
// `down --all` does.
void confirm_down_beyond_applied(Context& ctx, const planner::Plan& plan) {
  if (ctx.args.positionals.empty() || ctx.config.yes) return;
  const int64_t asked = parse_count(ctx.args.positionals[0], "count N");
  const auto applied = static_cast<int64_t>(plan.steps.size());
  if (applied == 0 || asked <= applied) return;
  const std::string what = fmt::format("down {} reverts all {} applied migration{} (only {} {} applied)", asked,
                                       applied, applied == 1 ? "" : "s", applied, applied == 1 ? "is" : "are");
  if (confirm(fmt::format("{}. Revert ALL of them? This cannot be undone.", what))) return;
  throw UsageError(isatty(STDIN_FILENO)
                       ? fmt::format("{}: not confirmed; nothing changed", what)
                       : fmt::format("{} and needs confirmation: pass -y/--yes (no terminal to ask on), or run "
                                     "`strata down {}`",
                                     what, applied));
}

int cmd_down(Context& ctx) {
  if (ctx.args.all && !ctx.args.positionals.empty()) throw UsageError("down takes either N or --all, not both");
  if (ctx.args.all && !ctx.args.dry_run && !ctx.config.yes &&
      !confirm("Revert ALL applied migrations? This cannot be undone.")) {
    throw UsageError(isatty(STDIN_FILENO) ? "down --all not confirmed; nothing changed"
                                          : "down --all needs confirmation: pass -y/--yes (no terminal to ask on)");
  }
  return migrate(ctx, plan_down, DriftCheck::ignore, confirm_down_beyond_applied);
}

int cmd_goto(Context& ctx) {
  return migrate(ctx, plan_goto, DriftCheck::refuse);
}
int cmd_redo(Context& ctx) {
  return migrate(ctx, plan_redo, DriftCheck::redo_latest);
}

// ------------------------------------------------------------------ other commands

int cmd_create(Context& ctx) {
  source::CreateOptions options;
  options.timestamp = ctx.args.timestamp;
  options.single = ctx.args.single;
  options.digits = ctx.args.digits;
  if (options.digits && (*options.digits < 1 || *options.digits > 18)) {
    throw UsageError(fmt::format("invalid --digits {}: expected 1 to 18", *options.digits));
  }
  if (options.timestamp && options.digits) throw UsageError("--timestamp and --digits cannot be combined");
  std::string name = fmt::format("{}", fmt::join(ctx.args.positionals, " "));
  auto paths = source::create_migration(ctx.config.path, name, options);
  json created = json::array();
  for (const auto& path : paths) {
    ctx.out.result(path.string());
    created.push_back(path.string());
  }
  ctx.out.document({{"created", created}});
  return 0;
}

int cmd_version(Context& ctx) {
  Session session = open_session(ctx.config, false);
  tracker::VersionState state;
  if (std::optional<tracker::ForeignState> foreign = session.tracker->find_foreign()) {
    state.version = foreign->highest();
    // The source is only needed to say which versions have no file; without a directory, none.
    std::optional<source::Source> source;
    try {
      source.emplace(load(ctx, ctx.config.database->dialect));
    } catch (const Error&) {
      source.emplace(ctx.config.path, ctx.config.database->dialect, std::vector<source::Migration>{});
    }
    ctx.out.progress(runner::reading_message(*foreign, *source, session.tracker->table()));
  } else {
    state = session.tracker->read_state();
  }
  ctx.out.result(report::version_line(state));
  json document = report::version_json(state);
  if (state.dirty) {
    // Dirty while a migration runs is no failure: say so, and who runs it.
    runner::DatabaseView view;
    view.state = state;
    view.history = session.tracker->read_history();
    Runbook runbook = runner::dirty_runbook(view, source::Source({}, session.driver->dialect(), {}));
    runner::mark_running(runbook, *session.driver, session.tracker->table());
    if (runbook.cause == Runbook::Cause::running) {
      ctx.out.progress(runner::runbook_message(runbook));
      document["running"] = report::runbook_json(runbook);
    }
  }
  ctx.out.document(document);
  return 0;
}

int cmd_force(Context& ctx) {
  std::optional<int64_t> target = parse_version_argument(ctx.args.positionals.at(0), true);
  Dialect dialect = ctx.config.database->dialect;
  source::Source source = load(ctx, dialect);
  if (target && !source.find(*target)) {
    throw UsageError(
        fmt::format("cannot force version {}: no migration with that version in {} "
                    "(use -1 or none for \"nothing applied\")",
                    *target, ctx.config.path));
  }
  Session session = open_session(ctx.config, true);
  std::optional<runner::LockGuard> lock;
  take_lock(ctx, session, lock);
  import_foreign(ctx, session, source);
  session.tracker->ensure_tables();
  // force is the repair tool: a version table it cannot read (several rows) is what it fixes.
  tracker::VersionState before;
  std::string unreadable;
  try {
    before = session.tracker->read_state();
  } catch (const DriverError& error) {
    unreadable = error.what();
  }

  session.tracker->force(target, target ? source.find(*target)->name : std::string(),
                         tracker::ForceOrigin{before.version, before.dirty, unreadable});
  ctx.out.progress(fmt::format("forced version {} (was {})", version_text(target),
                               unreadable.empty() ? report::version_line(before) : "unreadable: " + unreadable));
  ctx.out.result(version_text(target));
  ctx.out.document({{"version", target ? json(*target) : json(nullptr)},
                    {"dirty", false},
                    {"previous", report::version_json(before)}});
  return 0;
}

int cmd_accept(Context& ctx) {
  Dialect dialect = ctx.config.database->dialect;
  source::Source source = load(ctx, dialect);
  std::vector<int64_t> versions;
  for (const std::string& text : ctx.args.positionals) versions.push_back(*parse_version_argument(text, false));
  Session session = open_session(ctx.config, true);
  std::optional<runner::LockGuard> lock;
  take_lock(ctx, session, lock);
  runner::DatabaseView view = runner::read_view(*session.tracker, source);
  if (view.state.dirty) throw runner::dirty_error(view, source);
  for (int64_t version : versions) {
    if (!source.find(version)) {
      throw UsageError(
          fmt::format("cannot accept version {}: no migration with that version in {}", version, ctx.config.path));
    }
    if (!view.applied.contains(version)) {
      throw UsageError(fmt::format(
          "cannot accept version {}: it is not applied, so there is nothing to accept (`strata up` applies it)",
          version));
    }
  }
  std::vector<runner::Drift> drift = runner::find_drift(source, view);
  std::vector<tracker::HistoryEntry> entries;
  json accepted = json::array();
  json unchanged = json::array();
  for (int64_t version : versions) {
    const source::Migration& migration = *source.find(version);
    auto edited =
        std::find_if(drift.begin(), drift.end(), [&](const runner::Drift& d) { return d.version == version; });
    if (edited == drift.end()) {
      ctx.out.progress(fmt::format("{} is as it was applied; nothing to accept", migration.up->name));
      unchanged.push_back(version);
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
    ctx.out.progress(fmt::format("accepted {} as it is now (checksum {} → {}); its SQL was not run again", edited->file,
                                 edited->stored_checksum.substr(0, 12), edited->current_checksum.substr(0, 12)));
    accepted.push_back({{"version", version},
                        {"file", edited->file},
                        {"previous_checksum", edited->stored_checksum},
                        {"checksum", edited->current_checksum}});
  }
  if (!entries.empty()) {
    session.tracker->ensure_tables();
    session.tracker->accept(entries);
  }
  ctx.out.document({{"accepted", accepted}, {"unchanged", unchanged}});
  return 0;
}

int cmd_status(Context& ctx) {
  Dialect dialect = ctx.config.database->dialect;
  source::Source source = load(ctx, dialect);
  Session session = open_session(ctx.config, false);
  runner::DatabaseView view = runner::read_view(*session.tracker, source);
  if (view.foreign) ctx.out.progress(runner::reading_message(*view.foreign, source, session.tracker->table()));
  runner::StatusReport status =
      runner::build_status(source, view, runner::find_drift(source, view), runner::versions_without_down(source));
  if (status.runbook) runner::mark_running(*status.runbook, *session.driver, session.tracker->table());
  const bool running = status.runbook && status.runbook->cause == Runbook::Cause::running;
  if (ctx.out.json_mode()) {
    ctx.out.document(report::status_json(status));
  } else {
    ctx.out.result(report::status_text(status, ctx.out.color()));
  }
  if (status.runbook && !ctx.out.json_mode()) ctx.out.progress(runner::runbook_message(*status.runbook));
  if (!ctx.args.exit_code) return 0;
  // As a gate, the worst news wins, each with the exit code that means it everywhere else. A
  // migration running now holds the lock: 5, as for a run that could not take it (try again later).
  if (running) return static_cast<int>(ExitCode::lock_timeout);
  if (status.dirty) return static_cast<int>(ExitCode::dirty);
  bool modified = std::any_of(status.rows.begin(), status.rows.end(),
                              [](const runner::StatusRow& row) { return row.state == "modified"; });
  bool missing = std::any_of(status.rows.begin(), status.rows.end(),
                             [](const runner::StatusRow& row) { return row.state == "missing"; });
  if (modified || missing) return static_cast<int>(ExitCode::source);
  return status.pending > 0 ? static_cast<int>(ExitCode::pending) : 0;
}

int cmd_validate(Context& ctx) {
  const Config& config = ctx.config;
  std::vector<Dialect> dialects;
  if (config.database) {
    dialects.push_back(config.database->dialect);
  } else if (config.dialect) {
    dialects.push_back(*config.dialect);
  } else {
    dialects.assign(std::begin(k_all_dialects), std::end(k_all_dialects));
  }
  size_t count = 0;
  std::vector<int64_t> without_down;
  for (Dialect dialect : dialects) {
    // The same directory for each dialect: its warnings once, and a bad name is bad for all.
    source::Source source =
        dialect == dialects.front() ? load(ctx, dialect) : source::load_source(config.path, dialect);
    try {
      count = source.migrations().size();
      without_down.clear();
      for (const source::Migration& migration : source.migrations()) {
        source::ParsedMigration parsed = source::parse_migration(migration, dialect);
        if (has_transactional_ddl(dialect)) {
          for (const source::Script* script : {&parsed.up, &parsed.down}) {
            if (std::optional<std::string> warning = runner::transaction_warning(*script)) {
              ctx.out.warning(dialects.size() == 1 ? *warning
                                                   : fmt::format("{} (read as {})", *warning, dialect_name(dialect)));
            }
          }
        }
        if (parsed.down.file.empty()) without_down.push_back(migration.version);
      }
      if (config.database) {
        Session session = open_session(config, false);
        runner::DatabaseView view = runner::read_view(*session.tracker, source);
        if (view.foreign) ctx.out.progress(runner::reading_message(*view.foreign, source, session.tracker->table()));
        std::vector<runner::Drift> drift = runner::find_drift(source, view);
        if (!drift.empty()) throw SourceError(runner::drift_message(drift.front()));
      }
    } catch (const SourceError& error) {
      if (dialects.size() == 1) throw;
      throw SourceError(fmt::format("{} (read as {}; pass --dialect or --database to check one dialect only)",
                                    error.what(), dialect_name(dialect)));
    }
  }
  std::string summary = fmt::format("ok: {} migration{}", count, count == 1 ? "" : "s");
  if (!without_down.empty()) {
    summary += fmt::format("; without a down migration: {}", fmt::join(without_down, ", "));
  }
  ctx.out.result(summary);
  ctx.out.document({{"valid", true}, {"migrations", count}, {"without_down", without_down}});
  return 0;
}

int cmd_wait(Context& ctx) {
  std::chrono::milliseconds timeout{60000};
  if (ctx.args.timeout) timeout = parse_seconds(*ctx.args.timeout, "--timeout");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  drivers::OpenOptions options;
  options.create_if_missing = false;
  while (true) {
    try {
      options.busy_timeout = std::max(std::chrono::milliseconds(1000), timeout);
      auto driver = drivers::open_driver(*ctx.config.database, options);
      driver->query("SELECT 1");
      ctx.out.progress(fmt::format("database {} accepts connections", ctx.config.database->redacted));
      ctx.out.document({{"ready", true}});
      return 0;
    } catch (const DriverError& error) {
      if (drivers::is_permanent_connect_error(error)) {
        std::string reason = error.what();
        const std::string prefix = fmt::format("cannot connect to {}: ", ctx.config.database->redacted);
        if (reason.rfind(prefix, 0) == 0) reason.erase(0, prefix.size());
        throw DriverError(fmt::format("database {} answered but refused the connection, which waiting cannot fix: {}",
                                      ctx.config.database->redacted, reason));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        throw DriverError(fmt::format("database {} did not accept connections within {} s: {}",
                                      ctx.config.database->redacted, timeout.count() / 1000.0, error.what()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

// ------------------------------------------------------------------ CLI11 definitions

void define_none(CLI::App&, Args&) {}

void define_dry_run(CLI::App& app, Args& args) {
  app.add_flag("--dry-run", args.dry_run, "Print the plan and every statement; change nothing");
}

void define_create(CLI::App& app, Args& args) {
  app.add_option("name", args.positionals, "Migration name (spaces and dashes become _)")->required();
  app.add_flag("--timestamp", args.timestamp, "Version from the UTC time, YYYYMMDDhhmmss");
  app.add_option("--digits", args.digits, "Zero-pad sequential versions to N digits");
  app.add_flag("--single", args.single, "One file with -- +strata Up / Down sections");
}

void define_up(CLI::App& app, Args& args) {
  app.add_option("N", args.positionals, "Apply only the next N migrations")->expected(0, 1);
  app.add_flag("--allow-out-of-order", args.allow_out_of_order, "Also apply pending versions below the current one");
  define_dry_run(app, args);
}

void define_down(CLI::App& app, Args& args) {
  app.add_option("N", args.positionals, "Revert N migrations (default 1)")->expected(0, 1);
  app.add_flag("--all", args.all, "Revert every applied migration (asks unless -y)");
  define_dry_run(app, args);
}

void define_goto(CLI::App& app, Args& args) {
  app.add_option("V", args.positionals, "Target version")->required()->expected(1);
  app.add_flag("--allow-out-of-order", args.allow_out_of_order, "Also apply pending versions below the current one");
  define_dry_run(app, args);
}

void define_force(CLI::App& app, Args& args) {
  app.add_option("V", args.positionals, "Version to record (-1 or none: nothing applied)")->required()->expected(1);
}

void define_accept(CLI::App& app, Args& args) {
  app.add_option("V", args.positionals, "Applied versions whose files' current content to accept")
      ->required()
      ->expected(1, -1);
}

void define_status(CLI::App& app, Args& args) {
  app.add_flag(
      "--exit-code", args.exit_code,
      "Exit 6 when migrations are pending (3 when the database is dirty, 4 when an applied file was edited or is "
      "missing)");
}

void define_wait(CLI::App& app, Args& args) {
  app.add_option("--timeout", args.timeout, "Seconds to wait (default 60)");
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> k_commands = {
      {"create", "Create a new migration (pair, or one file with --single)", false, define_create, cmd_create},
      {"up", "Apply all pending migrations, or the next N", true, define_up, cmd_up},
      {"down", "Revert N migrations (default 1), or --all", true, define_down, cmd_down},
      {"goto", "Migrate up or down to exactly version V", true, define_goto, cmd_goto},
      {"redo", "Revert and re-apply the current migration", true, define_dry_run, cmd_redo},
      {"version", "Print the current version", true, define_none, cmd_version},
      {"force", "Set the version and clear the dirty flag without running SQL", true, define_force, cmd_force},
      {"accept", "Accept the edited file of an applied migration as it is now (records its checksum)", true,
       define_accept, cmd_accept},
      {"status", "Show every migration and its state", true, define_status, cmd_status},
      {"validate", "Check the migration files (and applied checksums with --database)", false, define_none,
       cmd_validate},
      {"wait", "Wait until the database accepts connections", true, define_wait, cmd_wait},
  };
  return k_commands;
}

}  // namespace strata::cli
