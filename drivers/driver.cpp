#include "drivers/driver.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/sql_words.hpp"

namespace strata::drivers {

bool is_permanent_connect_error(const DriverError& error) {
  const std::string_view message = error.what();
  static constexpr std::string_view k_permanent[] = {
      // PostgreSQL (server and libpq)
      "password authentication failed", "no pg_hba.conf entry", "Peer authentication failed",
      "Ident authentication failed", "does not exist",  // database "x" / role "x" does not exist
      "invalid percent-encoded token", "invalid URI query parameter", "invalid connection option",
      "server does not support SSL", "server does not support SSL, but SSL was required",
      "unrecognized configuration parameter", "invalid value for parameter",  // a server setting in the URL
      // MySQL/MariaDB: access denied (1044, 1045, 1698), unknown database (1049), a plugin
      // that cannot be loaded (2059)
      "(MySQL error 1044", "(MySQL error 1045", "(MySQL error 1049", "(MySQL error 1698", "(MySQL error 2059"};
  for (std::string_view text : k_permanent) {
    if (message.find(text) != std::string_view::npos) return true;
  }
  return false;
}

Transaction::Transaction(Driver& driver) : m_driver(driver) {
  m_driver.begin();
  m_open = true;
}

Transaction::~Transaction() {
  rollback();
}

void Transaction::commit() {
  m_driver.commit();
  m_open = false;
}

std::vector<Row> Transaction::commit_with(const std::vector<std::string>& statements) {
  // commit_with leaves no transaction open, whether it commits or fails.
  m_open = false;
  return m_driver.commit_with(statements);
}

void Transaction::rollback() noexcept {
  if (!m_open) return;
  m_open = false;
  m_driver.rollback();
}

std::vector<size_t> placeholder_offsets(std::string_view sql, size_t expected) {
  std::vector<size_t> offsets;
  offsets.reserve(expected);
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      offsets.push_back(i);
    }
  }
  if (offsets.size() != expected)
    throw DriverError(fmt::format("query takes {} parameters, {} given", offsets.size(), expected));
  return offsets;
}

std::string Driver::bind_literals(std::string_view sql, const Params& params) const {
  const std::vector<size_t> offsets = placeholder_offsets(sql, params.size());
  std::string text;
  text.reserve(sql.size() + 16 * params.size());
  size_t from = 0;
  for (size_t i = 0; i < offsets.size(); ++i) {
    text += sql.substr(from, offsets[i] - from);
    text += params[i] ? quote_literal(*params[i]) : std::string("NULL");
    from = offsets[i] + 1;
  }
  text += sql.substr(from);
  return text;
}

bool Driver::is_data_change(std::string_view sql) noexcept {
  const std::string word = leading_words(sql, 1);
  return word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "REPLACE";
}

std::string quote_with(std::string_view identifier, char quote) {
  std::string quoted(1, quote);
  for (char c : identifier) {
    if (c == quote) quoted += quote;
    quoted += c;
  }
  quoted += quote;
  return quoted;
}

}  // namespace strata::drivers
