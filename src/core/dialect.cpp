#include "core/dialect.hpp"

namespace strata {

std::string_view dialect_name(Dialect dialect) noexcept {
  switch (dialect) {
    case Dialect::sqlite: return "sqlite";
    case Dialect::postgres: return "postgres";
    case Dialect::mysql: return "mysql";
  }
  return "sqlite";
}

std::optional<Dialect> parse_dialect(std::string_view name) noexcept {
  if (name == "sqlite" || name == "sqlite3") return Dialect::sqlite;
  if (name == "postgres" || name == "postgresql") return Dialect::postgres;
  if (name == "mysql" || name == "mariadb") return Dialect::mysql;
  return std::nullopt;
}

}  // namespace strata
