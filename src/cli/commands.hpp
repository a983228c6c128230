#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/config.hpp"
#include "report/report.hpp"

namespace CLI {
class App;
}

namespace strata::cli {

// Options and arguments of the selected command, filled by CLI11.
struct Args {
  std::vector<std::string> positionals;
  bool all = false;
  bool dry_run = false;
  bool allow_out_of_order = false;
  bool exit_code = false;
  bool timestamp = false;
  bool single = false;
  std::optional<size_t> digits;
  std::optional<std::string> timeout;
};

struct Context {
  const Config& config;
  const Args& args;
  const report::Output& out;
};

// One row of the command table: help text, CLI11 definitions and the handler come from here.
struct Command {
  const char* name;
  const char* summary;
  bool needs_database;
  void (*define)(CLI::App& app, Args& args);
  int (*handler)(Context& context);  // returns the exit code; throws strata::Error
};

const std::vector<Command>& commands();

}  // namespace strata::cli
