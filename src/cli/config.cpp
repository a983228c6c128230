#include "cli/config.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "source/loader.hpp"

namespace strata::cli {

namespace {

std::string_view trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

bool valid_key(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::map<std::string, std::string> parse_env_file(const std::string& text, const std::string& file) {
  std::map<std::string, std::string> values;
  int line_number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t newline = text.find('\n', pos);
    std::string_view line =
        std::string_view(text).substr(pos, newline == std::string::npos ? std::string::npos : newline - pos);
    pos = newline == std::string::npos ? text.size() + 1 : newline + 1;
    ++line_number;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.substr(0, 7) == "export ") line = trim(line.substr(7));
    size_t eq = line.find('=');
    std::string_view key = eq == std::string_view::npos ? line : trim(line.substr(0, eq));
    if (eq == std::string_view::npos || !valid_key(key)) {
      throw UsageError(fmt::format("{}:{}: expected KEY=VALUE", file, line_number));
    }
    std::string_view value = trim(line.substr(eq + 1));
    if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
      char quote = value[0];
      size_t close = value.find(quote, 1);
      if (close == std::string_view::npos) {
        throw UsageError(fmt::format("{}:{}: unterminated {} quote", file, line_number, quote));
      }
      value = value.substr(1, close - 1);
    } else if (size_t comment = value.find(" #"); comment != std::string_view::npos) {
      value = trim(value.substr(0, comment));
    }
    values[std::string(key)] = std::string(value);
  }
  return values;
}

Environment Environment::load(const std::optional<std::string>& env_file) {
  Environment env;
  std::string file = env_file.value_or(".env");
  std::error_code ec;
  if (!env_file && !std::filesystem::exists(file, ec)) return env;
  std::string text;
  try {
    text = source::read_file(file, file);
  } catch (const SourceError& error) {
    throw UsageError(fmt::format("cannot read --env-file {}: {}", file,
                                 !std::filesystem::exists(file, ec) ? std::string("no such file")
                                 : error.line() > 0                 ? std::string(error.what())
                                                                    : std::string("unreadable")));
  }
  env.m_file = parse_env_file(text, file);
  return env;
}

std::optional<std::string> Environment::get(const std::string& name) const {
  if (const char* value = std::getenv(name.c_str())) return std::string(value);
  auto it = m_file.find(name);
  if (it != m_file.end()) return it->second;
  return std::nullopt;
}

std::chrono::milliseconds parse_seconds(const std::string& text, const std::string& setting) {
  char* end = nullptr;
  errno = 0;
  double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(seconds) || seconds < 0 ||
      seconds > 31536000.0) {
    throw UsageError(fmt::format("invalid {} '{}': expected a number of seconds", setting, text));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

int parse_retries(const std::string& text, const std::string& setting) {
  const bool digits = !text.empty() && text.size() <= 3 && text.find_first_not_of("0123456789") == std::string::npos;
  const int value = digits ? std::stoi(text) : -1;
  if (value < 0 || value > k_max_retries) {
    throw UsageError(
        fmt::format("invalid {} '{}': expected a whole number of retries from 0 to {}", setting, text, k_max_retries));
  }
  return value;
}

Config resolve(const Flags& flags, const Environment& env, bool stdout_is_tty) {
  Config config;
  std::optional<std::string> url = flags.database ? flags.database : env.get("DATABASE_URL");
  if (url && !url->empty()) config.database = parse_database_url(*url);

  if (flags.path) {
    config.path = *flags.path;
  } else if (auto value = env.get("STRATA_PATH")) {
    config.path = *value;
  }
  if (config.path.empty()) throw UsageError("invalid --path '': expected a directory");

  config.table_text = flags.table;
  config.env_table = env.get("STRATA_TABLE");

  if (flags.lock_timeout) {
    config.lock_timeout = parse_seconds(*flags.lock_timeout, "--lock-timeout");
  } else if (auto value = env.get("STRATA_LOCK_TIMEOUT")) {
    config.lock_timeout = parse_seconds(*value, "STRATA_LOCK_TIMEOUT");
  }

  std::optional<std::chrono::milliseconds> statement_lock_timeout;
  if (flags.statement_lock_timeout) {
    statement_lock_timeout = parse_seconds(*flags.statement_lock_timeout, "--statement-lock-timeout");
  } else if (auto value = env.get("STRATA_STATEMENT_LOCK_TIMEOUT")) {
    statement_lock_timeout = parse_seconds(*value, "STRATA_STATEMENT_LOCK_TIMEOUT");
  }
  if (statement_lock_timeout) {
    config.statement_lock_timeout = statement_lock_timeout->count() == 0
                                        ? std::nullopt
                                        : std::optional<std::chrono::milliseconds>(statement_lock_timeout);
  }
  if (flags.retries) {
    config.retries = parse_retries(*flags.retries, "--retries");
  } else if (auto value = env.get("STRATA_RETRIES")) {
    config.retries = parse_retries(*value, "STRATA_RETRIES");
  }

  if (flags.dialect) {
    config.dialect = parse_dialect(*flags.dialect);
    if (!config.dialect) {
      throw UsageError(fmt::format("invalid --dialect '{}': expected sqlite, postgres or mysql", *flags.dialect));
    }
  }
  if (config.database && config.dialect && config.dialect != config.database->dialect) {
    throw UsageError(fmt::format("--dialect {} does not match the database URL ({})", dialect_name(*config.dialect),
                                 dialect_name(config.database->dialect)));
  }
  config.json = flags.json;
  config.verbose = flags.verbose;
  config.quiet = flags.quiet;
  if (config.verbose && config.quiet) throw UsageError("--verbose and --quiet cannot be combined");
  config.yes = flags.yes;
  // no-color.org: only a non-empty NO_COLOR turns colours off; NO_COLOR= leaves them on.
  std::optional<std::string> no_color = env.get("NO_COLOR");
  config.color = stdout_is_tty && !flags.no_color && !(no_color && !no_color->empty());
  return config;
}

TableName Config::table(Dialect for_dialect) const {
  if (table_text) return parse_table_name(*table_text, for_dialect, "--table");
  if (database && database->migrations_table) {
    return parse_table_name(*database->migrations_table, for_dialect, "x-migrations-table");
  }
  if (env_table) return parse_table_name(*env_table, for_dialect, "STRATA_TABLE");
  return TableName{"", "schema_migrations"};
}

}  // namespace strata::cli
