#include "cli/commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "api/flow.hpp"
#include "core/error.hpp"
#include "report/ticker.hpp"
#include "runner/interrupt.hpp"
#include "source/create.hpp"
#include "source/loader.hpp"

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

// What the library's flow needs of the configuration, for `dialect`.
api::Settings settings_of(const Context& ctx, Dialect dialect) {
  api::Settings settings;
  settings.database = ctx.config.database;
  settings.dialect = dialect;
  settings.table = ctx.config.table(dialect);
  settings.lock_timeout = ctx.config.lock_timeout;
  settings.allow_out_of_order = ctx.args.allow_out_of_order;
  settings.statement_lock_timeout = ctx.config.statement_lock_timeout;
  settings.retries = ctx.config.retries;
  settings.prefetch_checksums = true;
  return settings;
}

bool ticker_enabled(const Context& ctx) {
  return !ctx.config.quiet && isatty(STDERR_FILENO) != 0;
}

// Prints what the flow reports: warnings, progress lines, and the time spent waiting for the
// lock on a terminal.
class CliObserver : public api::Observer {
 public:
  explicit CliObserver(const Context& ctx) : m_ctx(ctx) {}

  void warning(const std::string& line) override { m_ctx.out.warning(line); }
  void notice(const std::string& line) override { m_ctx.out.progress(line); }
  void lock_waiting(const std::optional<std::string>& holder, const std::string& line) override {
    if (holder) m_ctx.out.progress(line);
    m_lock_ticker.emplace(ticker_enabled(m_ctx));
    m_lock_ticker->start("waiting for the migration lock");
  }
  void lock_acquired(bool) override { m_lock_ticker.reset(); }

 protected:
  const Context& m_ctx;

 private:
  std::optional<report::ElapsedTicker> m_lock_ticker;
};

// The migrations directory for `dialect`; names that look like migrations but are not read are
// warned about.
source::Source load(const Context& ctx, Dialect dialect) {
  CliObserver observer(ctx);
  api::SourceSpec spec;
  spec.directory = ctx.config.path;
  return api::load_source(spec, dialect, observer);
}

bool confirm(const std::string& question) {
  if (!isatty(STDIN_FILENO)) return false;
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// ------------------------------------------------------------------ up/down/goto/redo

// The lines of a run: each step as it starts and ends, the statements with -v, and the live
// elapsed-time line for long statements and batches.
class RunObserver : public CliObserver {
 public:
  using CliObserver::CliObserver;

  runner::Progress progress(const std::vector<runner::PreparedStep>& steps) override {
    m_ticker.emplace(ticker_enabled(m_ctx));
    m_total = steps.size();
    runner::Progress progress;
    progress.started = [this](const runner::PreparedStep& step) { started(step); };
    progress.finished = [this](const runner::PreparedStep& step, double ms) {
      m_ctx.out.progress(
          fmt::format("[{}/{}] {} {} ({:.1f} ms)", m_number, m_total, verb(step, true), step.migration->label(), ms));
    };
    progress.batch_started = [this](const runner::PreparedStep& step,
                                    const std::vector<const source::Statement*>& batch) {
      for (const source::Statement* statement : batch) {
        m_ctx.out.detail(fmt::format("  {}:{}: {}", step.script.file_of(*statement), statement->line,
                                     std::string_view(statement->sql).substr(0, statement->sql.find('\n'))));
      }
      const std::string& file = step.script.file_of(*batch.front());
      m_ticker->start(batch.size() == 1 ? fmt::format("{}:{}", file, batch.front()->line)
                                        : fmt::format("{}:{}–{}", file, batch.front()->line, batch.back()->line));
    };
    progress.batch_finished = [this] { m_ticker->stop(); };
    return progress;
  }

 private:
  static const char* verb(const runner::PreparedStep& step, bool done) {
    bool up = step.step.direction == Direction::up;
    return done ? (up ? "applied" : "reverted") : (up ? "applying" : "reverting");
  }

  void started(const runner::PreparedStep& step) {
    ++m_number;
    m_ctx.out.progress(fmt::format("[{}/{}] {} {}", m_number, m_total, verb(step, false), step.migration->label()));
    if (step.own_transactions == runner::OwnTransactions::managed) {
      m_ctx.out.detail(fmt::format("      outside strata's transaction: {} manages its own ({} at line {})",
                                   step.script.file, step.own_word, step.own_line));
    }
    if (step.statement_count == 0 && !step.streamed) {
      const bool up = step.step.direction == Direction::up;
      if (!step.script.file.empty()) {
        m_ctx.out.progress(fmt::format("      {} has no statements: {} it only moves the version to {}",
                                       step.script.file, up ? "applying" : "reverting",
                                       version_text(step.step.version_after)));
      } else if (!up) {
        m_ctx.out.progress(
            fmt::format("      {} has no down migration: nothing is reverted, only the version moves to {}",
                        step.migration->label(), version_text(step.step.version_after)));
      }
    }
    if (std::optional<std::string> reason = runner::transaction_reason(step.script); reason && !step.transaction) {
      m_ctx.out.detail(fmt::format("  without a transaction: {}", *reason));
    }
  }

  std::optional<report::ElapsedTicker> m_ticker;
  size_t m_total = 0;
  size_t m_number = 0;
};

using PlanFunction = planner::Plan (*)(const planner::Inputs&, const Args&);

// Called with the plan before anything runs (not for dry runs); throws to stop the command.
using PlanCheck = void (*)(Context& ctx, const planner::Plan& plan);

// Ctrl-C/SIGTERM: stop at a safe point (docs/architecture.md, "Signals"). Before the first
// migration starts there is nothing to protect, so a signal then ends the run at once
// (connections, the lock and any half-made version table go with the process); later ones are
// forwarded to the run's stop control.
void on_signal(const Context& ctx, api::StopControl& stop, int signal, int presses) {
  const runner::RunControl& control = stop.control();
  const std::string name = runner::signal_name(signal);
  if (!control.migrating.load()) {
    std::string message = fmt::format("interrupted by {} before any migration ran", name);
    std::cerr << "strata: error: " << message << std::endl;
    if (ctx.out.json_mode()) ctx.out.document(report::error_json(1, message));
    std::fflush(stdout);
    std::_Exit(1);
  }
  stop.requested_now(presses);
  if (presses >= 2) {
    ctx.out.progress(
        fmt::format("{} again: stopping after the current statement; the migration will be left dirty, with the stop "
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
  ctx.out.progress(fmt::format(
      "{} received: stopping: a migration running in a transaction is rolled back and no further one starts "
      "(send it again to end strata at once)",
      name));
}

int migrate(Context& ctx, PlanFunction make_plan, api::DriftCheck drift_check, PlanCheck check_plan = nullptr) {
  const Config& config = ctx.config;
  const Args& args = ctx.args;
  Dialect dialect = dialect_of(config);
  source::Source source = load(ctx, dialect);
  api::Settings settings = settings_of(ctx, dialect);

  api::MigrateCommand command;
  command.make_plan = [&](const planner::Inputs& in) { return make_plan(in, args); };
  command.drift_check = drift_check;
  if (check_plan) command.check_plan = [&](const planner::Plan& plan) { check_plan(ctx, plan); };
  command.dry_run = args.dry_run;

  // The watcher goes first so that every thread started after it (the tickers) leaves the
  // signals to it.
  api::StopControl stop(false);
  std::optional<runner::InterruptWatcher> watcher;
  if (config.database && !args.dry_run) {
    watcher.emplace(stop.control(), [&](int signal, int presses) { on_signal(ctx, stop, signal, presses); });
  }
  RunObserver observer(ctx);
  api::MigrateResult result = api::migrate(settings, source, command, observer, &stop);

  if (args.dry_run || !config.database) {
    if (ctx.out.json_mode()) {
      ctx.out.document(report::plan_json(result.steps));
    } else {
      ctx.out.result(report::plan_text(result.steps, result.plan.from, result.plan.to, dialect_name(dialect),
                                       settings.table.display()));
    }
    return 0;
  }
  if (result.steps.empty()) {
    ctx.out.progress(fmt::format("no change: database at version {}", version_text(result.plan.from)));
    ctx.out.document(report::run_json(result.plan.from, result.plan.to, {}));
    return 0;
  }
  const size_t count = result.completed.size();
  ctx.out.progress(fmt::format("database at version {} ({} migration{}, {:.1f} ms)", version_text(result.plan.to),
                               count, count == 1 ? "" : "s", result.duration_ms));
  ctx.out.document(report::run_json(result.plan.from, result.plan.to, result.completed));
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
  return migrate(ctx, plan_up, api::DriftCheck::refuse);
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
  return migrate(ctx, plan_down, api::DriftCheck::ignore, confirm_down_beyond_applied);
}

int cmd_goto(Context& ctx) {
  return migrate(ctx, plan_goto, api::DriftCheck::refuse);
}
int cmd_redo(Context& ctx) {
  return migrate(ctx, plan_redo, api::DriftCheck::redo_latest);
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
  CliObserver observer(ctx);
  const Dialect dialect = ctx.config.database->dialect;
  api::VersionResult version = api::version(
      settings_of(ctx, dialect), [&] { return load(ctx, dialect); }, observer);
  ctx.out.result(report::version_line(version.state));
  json document = report::version_json(version.state);
  if (version.running) {
    // Dirty while a migration runs is no failure: say so, and who runs it.
    ctx.out.progress(runner::runbook_message(*version.running));
    document["running"] = report::runbook_json(*version.running);
  }
  ctx.out.document(document);
  return 0;
}

int cmd_force(Context& ctx) {
  std::optional<int64_t> target = parse_version_argument(ctx.args.positionals.at(0), true);
  Dialect dialect = ctx.config.database->dialect;
  source::Source source = load(ctx, dialect);
  CliObserver observer(ctx);
  api::ForceResult forced = api::force(settings_of(ctx, dialect), source, target, ctx.config.path, observer);
  ctx.out.progress(fmt::format(
      "forced version {} (was {})", version_text(target),
      forced.unreadable.empty() ? report::version_line(forced.before) : "unreadable: " + forced.unreadable));
  ctx.out.result(version_text(target));
  ctx.out.document({{"version", target ? json(*target) : json(nullptr)},
                    {"dirty", false},
                    {"previous", report::version_json(forced.before)}});
  return 0;
}

int cmd_accept(Context& ctx) {
  Dialect dialect = ctx.config.database->dialect;
  source::Source source = load(ctx, dialect);
  std::vector<int64_t> versions;
  for (const std::string& text : ctx.args.positionals) versions.push_back(*parse_version_argument(text, false));
  CliObserver observer(ctx);
  api::AcceptResult result = api::accept(settings_of(ctx, dialect), source, versions, ctx.config.path, observer);
  json accepted = json::array();
  for (const runner::Drift& edited : result.accepted) {
    accepted.push_back({{"version", edited.version},
                        {"file", edited.file},
                        {"previous_checksum", edited.stored_checksum},
                        {"checksum", edited.current_checksum}});
  }
  ctx.out.document({{"accepted", accepted}, {"unchanged", result.unchanged}});
  return 0;
}

int cmd_status(Context& ctx) {
  Dialect dialect = ctx.config.database->dialect;
  source::Source source = load(ctx, dialect);
  CliObserver observer(ctx);
  runner::StatusReport status = api::status(settings_of(ctx, dialect), source, observer);
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
  CliObserver observer(ctx);
  api::SourceCheck checked;
  for (Dialect dialect : dialects) {
    // The same directory for each dialect: its warnings once, and a bad name is bad for all.
    source::Source source =
        dialect == dialects.front() ? load(ctx, dialect) : source::load_source(config.path, dialect);
    try {
      checked = api::check_source(source, dialect, observer, dialects.size() != 1);
      if (config.database) api::check_applied_checksums(settings_of(ctx, dialect), source, observer);
    } catch (const SourceError& error) {
      if (dialects.size() == 1) throw;
      throw SourceError(fmt::format("{} (read as {}; pass --dialect or --database to check one dialect only)",
                                    error.what(), dialect_name(dialect)));
    }
  }
  const size_t count = checked.migrations;
  const std::vector<int64_t>& without_down = checked.without_down;
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
  api::wait_for_database(*ctx.config.database, timeout);
  ctx.out.progress(fmt::format("database {} accepts connections", ctx.config.database->redacted));
  ctx.out.document({{"ready", true}});
  return 0;
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
