#pragma once

#include <optional>
#include <string_view>

namespace strata {

// The SQL dialect decides how migration files are split into statements, which per-dialect
// files and blocks apply, and which SQL the tracker writes.
enum class Dialect { sqlite, postgres, mysql };

constexpr Dialect k_all_dialects[] = {Dialect::sqlite, Dialect::postgres, Dialect::mysql};

// "sqlite", "postgres", "mysql".
std::string_view dialect_name(Dialect dialect) noexcept;

// Accepts the canonical names plus "postgresql", "sqlite3" and "mariadb"; nullopt otherwise.
std::optional<Dialect> parse_dialect(std::string_view name) noexcept;

// Whether a rolled-back transaction also undoes DDL on this engine (not on MySQL/MariaDB,
// where DDL commits implicitly).
constexpr bool has_transactional_ddl(Dialect dialect) noexcept {
  return dialect != Dialect::mysql;
}

}  // namespace strata
