#include "cli/cli.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "core/build_info.hpp"
#include "core/database_url.hpp"
#include "core/error.hpp"
#include "drivers/driver.hpp"
#include "report/report.hpp"

namespace strata::cli {

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The candidate nearest to `word`, if any is within two edits.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

std::string unknown_command_message(const std::string& word) {
  std::vector<std::string> names;
  for (const Command& command : commands()) names.push_back(command.name);
  std::string message = fmt::format("unknown command '{}'", word);
  if (auto best = nearest(word, names)) message += fmt::format(" (did you mean '{}'?)", *best);
  return message + "; see 'strata --help'";
}

// `--name` options of `app`, as typed on the command line.
void add_long_options(const CLI::App& app, std::vector<std::string>& names) {
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
  }
}

// An unknown option, with the nearest long option of the command (when one was given) or
// of the globals, and the help that lists it. `argument` is as typed: `--name[=value]`, `-x`.
std::string unknown_option_message(const CLI::App& app, const CLI::App* command, const std::string& argument) {
  std::string option = argument.substr(0, argument.find('='));
  std::vector<std::string> command_options;
  std::vector<std::string> global_options;
  if (command) add_long_options(*command, command_options);
  add_long_options(app, global_options);
  std::string command_help = command ? fmt::format("strata {} --help", command->get_name()) : "strata --help";
  if (option.rfind("--", 0) == 0) {
    if (auto best = nearest(option, command_options)) {
      return fmt::format("unknown option {}; did you mean {}? See '{}'", option, *best, command_help);
    }
    if (auto best = nearest(option, global_options)) {
      return fmt::format("unknown option {}; did you mean {}? See 'strata --help'", option, *best);
    }
  }
  return fmt::format("unknown option {}; see '{}'", option, command_help);
}

// The message for arguments no command took: an unknown command or option (with a
// suggestion), else CLI11's own text. `argv` is the command line without the program name.
std::string extras_message(const CLI::App& app, const std::vector<std::string>& argv, const CLI::ExtrasError& error) {
  std::vector<CLI::App*> parsed = app.get_subcommands();
  std::vector<std::string> extras = app.remaining();
  if (parsed.empty() && !extras.empty() && !extras.front().empty() && extras.front()[0] != '-') {
    return unknown_command_message(extras.front());
  }
  // An extra that looks like an option is one unless it came after "--"; CLI11 does not say
  // which, so look at argv.
  auto separator = std::find(argv.begin(), argv.end(), "--");
  for (const std::string& extra : extras) {
    if (extra.size() > 1 && extra[0] == '-' && std::find(argv.begin(), separator, extra) != separator) {
      return unknown_option_message(app, parsed.empty() ? nullptr : parsed.front(), extra);
    }
  }
  return fmt::format("{}; see 'strata --help'", error.what());
}

// Where the full documentation is, for the --help footer; every path it names must exist.
// Beside an installed binary, <prefix>/bin/strata, are the man page and
// <prefix>/share/doc/strata/ (the layout of the .deb, the .tar.gz and `make install`); a binary
// in a build directory of the source tree has ../docs/.
std::string documentation_line() {
  std::error_code ec;
  std::filesystem::path bin = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  if (!ec) {
    std::filesystem::path installed = (bin / "../share/doc/strata/docs/cli.md").lexically_normal();
    if (std::filesystem::is_regular_file(installed, ec)) return "Documentation: man strata, " + installed.string();
    std::filesystem::path source = (bin / "../docs/cli.md").lexically_normal();
    if (std::filesystem::is_regular_file(source, ec)) return "Documentation: " + source.string();
  }
  return "Documentation: man strata, docs/cli.md in the strata source";
}

void define_globals(CLI::App& app, Flags& flags, bool& show_version) {
  app.add_option("-d,--database", flags.database, "Database URL (env DATABASE_URL)");
  app.add_option("-p,--path", flags.path, "Migrations directory (env STRATA_PATH, default ./migrations)");
  app.add_option("--table", flags.table,
                 "Version table, schema.name on PostgreSQL (env STRATA_TABLE, default schema_migrations)");
  app.add_option("--lock-timeout", flags.lock_timeout,
                 "Seconds to wait for the migration lock (env STRATA_LOCK_TIMEOUT, default 15)");
  app.add_option("--statement-lock-timeout", flags.statement_lock_timeout,
                 "Seconds a migration statement may wait for a table or row lock; 0: no limit (env "
                 "STRATA_STATEMENT_LOCK_TIMEOUT, default 5)");
  app.add_option("--retries", flags.retries,
                 "Times to retry a transactional migration that ran out of --statement-lock-timeout (env "
                 "STRATA_RETRIES, default 3)");
  app.add_option("--env-file", flags.env_file, "Read variables from FILE (default .env when present)");
  app.add_option("--dialect", flags.dialect,
                 "sqlite, postgres or mysql: for --dry-run and validate without a database");
  app.add_flag("--json", flags.json, "Print one JSON document on stdout");
  app.add_flag("-v,--verbose", flags.verbose, "Print each statement as it runs");
  app.add_flag("-q,--quiet", flags.quiet, "Print nothing but results and errors");
  app.add_flag("--no-color", flags.no_color, "No colours (also NO_COLOR)");
  app.add_flag("-y,--yes", flags.yes, "Answer yes to confirmations");
  app.add_flag("--version", show_version, "Print the version and the drivers built in");
}

std::string version_banner() {
  return fmt::format("strata {} (drivers: {})", k_version, fmt::join(drivers::built_in_drivers(), ", "));
}

}  // namespace

int run(int argc, char** argv) {
  Flags flags;
  Args args;
  bool show_version = false;
  std::optional<report::Output> out;
  try {
    CLI::App app{"strata: database schema migrations for SQLite, PostgreSQL and MySQL/MariaDB", "strata"};
    app.footer(
        "Exit codes: 0 ok, 1 runtime failure, 2 usage, 3 dirty, 4 invalid source, 5 lock timeout, "
        "6 pending (status --exit-code).\n" +
        documentation_line());
    define_globals(app, flags, show_version);
    std::vector<std::pair<CLI::App*, const Command*>> subcommands;
    for (const Command& command : commands()) {
      CLI::App* sub = app.add_subcommand(command.name, command.summary);
      sub->fallthrough();
      command.define(*sub, args);
      subcommands.emplace_back(sub, &command);
    }
    app.require_subcommand(0, 1);

    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      std::cout << app.help();
      return 0;
    } catch (const CLI::ExtrasError& error) {
      throw UsageError(extras_message(app, std::vector<std::string>(argv + 1, argv + argc), error));
    } catch (const CLI::ParseError& error) {
      throw UsageError(fmt::format("{}; see 'strata --help'", error.what()));
    }

    if (show_version) {
      if (flags.json) {
        report::Output(true, false, false, false)
            .document({{"version", k_version}, {"drivers", drivers::built_in_drivers()}});
      } else {
        std::cout << version_banner() << '\n';
      }
      return 0;
    }
    const Command* selected = nullptr;
    for (const auto& [sub, command] : subcommands) {
      if (sub->parsed()) selected = command;
    }
    if (!selected) {
      std::cerr << app.help();
      throw UsageError("no command given; see 'strata --help'");
    }

    Environment env = Environment::load(flags.env_file);
    Config config = resolve(flags, env, isatty(STDOUT_FILENO) != 0);
    out.emplace(config.json, config.quiet, config.verbose, config.color);
    if (selected->needs_database && !config.database && !(args.dry_run && config.dialect)) {
      throw UsageError(fmt::format("{} needs a database: pass --database URL or set DATABASE_URL", selected->name));
    }
    Context context{config, args, *out};
    return selected->handler(context);
  } catch (const Error& error) {
    std::string message = redact_passwords(error.what());
    std::cerr << "strata: error: " << message << '\n';
    if (flags.json) {
      nlohmann::json document = report::error_json(static_cast<int>(error.exit_code()), message);
      if (const auto* dirty = dynamic_cast<const DirtyError*>(&error); dirty != nullptr && dirty->runbook())
        document["error"]["dirty"] = report::runbook_json(*dirty->runbook());
      report::Output(true, false, false, false).document(document);
    }
    return static_cast<int>(error.exit_code());
  } catch (const std::exception& error) {
    // A library exception that escaped its driver is still a runtime failure, never a crash.
    std::string message = redact_passwords(error.what());
    std::cerr << "strata: error: " << message << '\n';
    if (flags.json) report::Output(true, false, false, false).document(report::error_json(1, message));
    return 1;
  }
}

}  // namespace strata::cli
