#include "source/transaction_rules.hpp"

#include <cstddef>

namespace strata::source {

namespace {

// One token of a statement: a word (upper-cased), a quoted string or identifier (its text), or
// one punctuation character.
struct Token {
  enum class Kind { word, quoted, punctuation, end };
  Kind kind = Kind::end;
  std::string text;
};

bool is_word_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

char upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// Reads a statement token by token, skipping whitespace and comments (nested block comments on
// PostgreSQL). Only as much of the statement is read as the rules ask for.
class Tokens {
 public:
  Tokens(std::string_view sql, Dialect dialect) : m_sql(sql), m_nested_comments(dialect == Dialect::postgres) {}

  Token next() {
    skip_blanks_and_comments();
    Token token;
    if (m_at >= m_sql.size()) return token;
    const char c = m_sql[m_at];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      token.kind = Token::Kind::quoted;
      ++m_at;
      while (m_at < m_sql.size()) {
        if (m_sql[m_at] == close) {
          if (close != ']' && m_at + 1 < m_sql.size() && m_sql[m_at + 1] == close) {
            token.text.push_back(close);  // a doubled quote stands for itself
            m_at += 2;
            continue;
          }
          ++m_at;
          break;
        }
        token.text.push_back(upper(m_sql[m_at++]));
      }
      return token;
    }
    if (is_word_char(c)) {
      token.kind = Token::Kind::word;
      while (m_at < m_sql.size() && is_word_char(m_sql[m_at])) token.text.push_back(upper(m_sql[m_at++]));
      return token;
    }
    token.kind = Token::Kind::punctuation;
    token.text.push_back(c);
    ++m_at;
    return token;
  }

  // The next token when it is the word `word`, consumed; false (and nothing consumed) otherwise.
  bool accept(std::string_view word) {
    const std::size_t at = m_at;
    const Token token = next();
    if (token.kind == Token::Kind::word && token.text == word) return true;
    m_at = at;
    return false;
  }

 private:
  void skip_blanks_and_comments() {
    while (m_at < m_sql.size()) {
      const char c = m_sql[m_at];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        ++m_at;
      } else if (c == '-' && m_at + 1 < m_sql.size() && m_sql[m_at + 1] == '-') {
        const std::size_t newline = m_sql.find('\n', m_at);
        m_at = newline == std::string_view::npos ? m_sql.size() : newline + 1;
      } else if (c == '/' && m_at + 1 < m_sql.size() && m_sql[m_at + 1] == '*') {
        skip_block_comment();
      } else {
        return;
      }
    }
  }

  void skip_block_comment() {
    int depth = 0;
    while (m_at + 1 < m_sql.size()) {
      if (m_sql[m_at] == '/' && m_sql[m_at + 1] == '*' && (depth == 0 || m_nested_comments)) {
        ++depth;
        m_at += 2;
      } else if (m_sql[m_at] == '*' && m_sql[m_at + 1] == '/') {
        m_at += 2;
        if (--depth == 0) return;
      } else {
        ++m_at;
      }
    }
    m_at = m_sql.size();
  }

  std::string_view m_sql;
  bool m_nested_comments;
  std::size_t m_at = 0;
};

bool is_word(const Token& token, std::string_view word) {
  return token.kind == Token::Kind::word && token.text == word;
}

bool is_false(const Token& token) {
  return token.text == "FALSE" || token.text == "OFF" || token.text == "0" || token.text == "NO";
}

// Whether the option list of a WITH (…) sets one of `options` to false: reads up to the end.
bool sets_false(Tokens& tokens, std::initializer_list<std::string_view> options) {
  bool found = false;
  bool in_with = false;
  for (Token token = tokens.next(); token.kind != Token::Kind::end; token = tokens.next()) {
    if (is_word(token, "WITH")) in_with = true;
    if (!in_with || token.kind != Token::Kind::word) continue;
    for (std::string_view option : options) {
      if (token.text != option) continue;
      Token value = tokens.next();
      if (value.kind == Token::Kind::punctuation && value.text == "=") value = tokens.next();
      if (is_false(value)) found = true;
    }
  }
  return found;
}

// A schema-qualified name: `a`, `"a"."b"`; leaves the tokens after it.
void skip_name(Tokens& tokens) {
  tokens.next();
  for (;;) {
    Tokens ahead = tokens;
    const Token dot = ahead.next();
    if (dot.kind != Token::Kind::punctuation || dot.text != ".") return;
    ahead.next();
    tokens = ahead;
  }
}

std::optional<std::string> reindex(Tokens& tokens) {
  Token token = tokens.next();
  bool concurrently = false;
  if (token.kind == Token::Kind::punctuation && token.text == "(") {  // REINDEX (VERBOSE, CONCURRENTLY) …
    for (token = tokens.next(); token.kind != Token::Kind::end && token.text != ")"; token = tokens.next()) {
      if (!is_word(token, "CONCURRENTLY")) continue;
      Tokens ahead = tokens;
      const Token value = ahead.next();
      concurrently = value.kind != Token::Kind::word || !is_false(value);
    }
    token = tokens.next();
  }
  if (token.kind != Token::Kind::word) return std::nullopt;
  const std::string kind = token.text;
  if (kind != "INDEX" && kind != "TABLE" && kind != "SCHEMA" && kind != "DATABASE" && kind != "SYSTEM")
    return std::nullopt;
  if (concurrently || tokens.accept("CONCURRENTLY")) return "REINDEX CONCURRENTLY";
  if (kind == "SCHEMA" || kind == "DATABASE" || kind == "SYSTEM") return "REINDEX " + kind;
  return std::nullopt;
}

std::optional<std::string> alter(Tokens& tokens) {
  const Token what = tokens.next();
  if (is_word(what, "SYSTEM")) return "ALTER SYSTEM";
  if (is_word(what, "DATABASE")) {
    skip_name(tokens);
    if (tokens.accept("SET") && tokens.accept("TABLESPACE")) return "ALTER DATABASE ... SET TABLESPACE";
    return std::nullopt;
  }
  if (is_word(what, "SUBSCRIPTION")) {
    skip_name(tokens);
    const Token action = tokens.next();
    if (is_word(action, "REFRESH") && tokens.accept("PUBLICATION")) return "ALTER SUBSCRIPTION ... REFRESH PUBLICATION";
    if ((is_word(action, "SET") || is_word(action, "ADD") || is_word(action, "DROP")) && tokens.accept("PUBLICATION") &&
        !sets_false(tokens, {"REFRESH"})) {
      return "ALTER SUBSCRIPTION ... " + action.text + " PUBLICATION";
    }
    return std::nullopt;
  }
  if (is_word(what, "TABLE")) {  // ALTER TABLE [IF EXISTS] [ONLY] name [*] DETACH PARTITION name CONCURRENTLY
    bool detach = false;
    for (Token token = tokens.next(); token.kind != Token::Kind::end; token = tokens.next()) {
      if (is_word(token, "DETACH") && tokens.accept("PARTITION")) detach = true;
      if (detach && is_word(token, "CONCURRENTLY")) return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY";
    }
  }
  return std::nullopt;
}

std::optional<std::string> postgres_blocker(std::string_view sql) {
  Tokens tokens(sql, Dialect::postgres);
  const Token first = tokens.next();
  if (first.kind != Token::Kind::word) return std::nullopt;
  const std::string& verb = first.text;
  if (verb == "VACUUM") return "VACUUM";
  if (verb == "REINDEX") return reindex(tokens);
  if (verb == "ALTER") return alter(tokens);
  if (verb == "CLUSTER") {  // CLUSTER [VERBOSE] or CLUSTER (options), without a table: every table
    Token token = tokens.next();
    if (is_word(token, "VERBOSE")) token = tokens.next();
    if (token.kind == Token::Kind::punctuation && token.text == "(") {
      while (token.kind != Token::Kind::end && token.text != ")") token = tokens.next();
      token = tokens.next();
    }
    if (token.kind == Token::Kind::end) return "CLUSTER without a table";
    return std::nullopt;
  }
  if (verb == "COMMIT" || verb == "ROLLBACK") {
    if (tokens.accept("PREPARED")) return verb + " PREPARED";
    return std::nullopt;
  }
  if (verb == "DISCARD") {
    if (tokens.accept("ALL")) return "DISCARD ALL";
    return std::nullopt;
  }
  if (verb != "CREATE" && verb != "DROP") return std::nullopt;
  const bool create = verb == "CREATE";
  Token what = tokens.next();
  if (create && is_word(what, "UNIQUE")) what = tokens.next();
  if (is_word(what, "INDEX")) {
    if (tokens.accept("CONCURRENTLY")) return verb + " INDEX CONCURRENTLY";
    return std::nullopt;
  }
  if (is_word(what, "DATABASE") || is_word(what, "TABLESPACE")) return verb + " " + what.text;
  if (is_word(what, "SUBSCRIPTION")) {
    if (create && sets_false(tokens, {"CREATE_SLOT", "CONNECT"})) return std::nullopt;
    return verb + " SUBSCRIPTION";
  }
  return std::nullopt;
}

std::optional<std::string> sqlite_blocker(std::string_view sql) {
  Tokens tokens(sql, Dialect::sqlite);
  const Token first = tokens.next();
  if (is_word(first, "VACUUM")) return "VACUUM";
  if (!is_word(first, "PRAGMA")) return std::nullopt;
  Token name = tokens.next();
  Tokens ahead = tokens;
  if (const Token dot = ahead.next(); dot.kind == Token::Kind::punctuation && dot.text == ".") {  // schema.pragma
    name = ahead.next();
    tokens = ahead;
  }
  if (!is_word(name, "JOURNAL_MODE") && !is_word(name, "SYNCHRONOUS")) return std::nullopt;
  const Token assign = tokens.next();
  if (assign.kind != Token::Kind::punctuation || (assign.text != "=" && assign.text != "(")) return std::nullopt;
  return "PRAGMA " + std::string(is_word(name, "SYNCHRONOUS") ? "synchronous" : "journal_mode");
}

}  // namespace

std::optional<std::string> transaction_blocker(std::string_view sql, Dialect dialect) {
  switch (dialect) {
    case Dialect::postgres: return postgres_blocker(sql);
    case Dialect::sqlite: return sqlite_blocker(sql);
    case Dialect::mysql: break;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& transaction_blocker_words(Dialect dialect) {
  static const std::vector<std::string_view> k_postgres = {"vacuum",     "reindex", "concurrently", "database",
                                                           "tablespace", "system",  "subscription", "cluster",
                                                           "prepared",   "discard"};
  static const std::vector<std::string_view> k_sqlite = {"vacuum", "pragma"};
  static const std::vector<std::string_view> k_none;
  switch (dialect) {
    case Dialect::postgres: return k_postgres;
    case Dialect::sqlite: return k_sqlite;
    case Dialect::mysql: break;
  }
  return k_none;
}

}  // namespace strata::source
