#include "source/lexer.hpp"

#include <algorithm>
#include <utility>

#include "core/error.hpp"

namespace strata::source {

namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Bytes >= 0x80 are treated as identifier characters, as PostgreSQL and MySQL do; this is
// also what lets non-UTF-8 bytes pass through without being misread as punctuation.
bool is_high(char c) noexcept {
  return static_cast<unsigned char>(c) >= 0x80;
}

bool is_word_start(char c) noexcept {
  return is_alpha(c) || c == '_' || is_high(c);
}

bool is_word_char(char c) noexcept {
  return is_word_start(c) || is_digit(c) || c == '$';
}

bool is_tag_char(char c) noexcept {
  return is_word_start(c) || is_digit(c);
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

bool matches_at(std::string_view text, std::size_t at, std::string_view what) noexcept {
  return text.size() - at >= what.size() && text.compare(at, what.size(), what) == 0;
}

std::size_t skip_blanks(std::string_view text, std::size_t i) noexcept {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  return i;
}

}  // namespace

StatementSplitter::StatementSplitter(Dialect dialect, std::string file, Emit emit)
    : m_dialect(dialect), m_file(std::move(file)), m_emit(std::move(emit)) {}

bool StatementSplitter::between_tokens() const noexcept {
  return m_state == State::code && !m_in_conditional;
}

// The mysql client reads `DELIMITER xx` at the start of a line as its own command. Only the
// first word after it is the delimiter; anything else on the line is refused rather than
// guessed at.
bool StatementSplitter::handle_delimiter_command(std::string_view text, int line) {
  constexpr std::string_view k_keyword = "DELIMITER";
  std::size_t i = skip_blanks(text, 0);
  if (text.size() - i < k_keyword.size() || !iequals(text.substr(i, k_keyword.size()), k_keyword)) return false;
  i += k_keyword.size();
  if (i < text.size() && text[i] != ' ' && text[i] != '\t') return false;
  i = skip_blanks(text, i);
  std::size_t begin = i;
  while (i < text.size() && !is_space(text[i])) ++i;
  std::string_view delimiter = text.substr(begin, i - begin);
  if (delimiter.empty()) throw SourceError(m_file, line, "DELIMITER without a delimiter");
  if (skip_blanks(text, i) != text.size())
    throw SourceError(m_file, line, "unexpected text after DELIMITER " + std::string(delimiter));
  end_statement();
  m_delimiter = std::string(delimiter);
  return true;
}

void StatementSplitter::open_quote(char close, bool backslash_escapes, bool identifier, int line) {
  m_state = State::quoted;
  m_close_chars[0] = close;
  m_close_chars[1] = '\\';
  m_backslash_escapes = backslash_escapes;
  m_quote_is_identifier = identifier;
  m_open_line = line;
}

// Tracks the words that decide whether `;` ends the statement: after the BEGIN of a SQLite
// CREATE TRIGGER, or the BEGIN ATOMIC of a PostgreSQL CREATE FUNCTION/PROCEDURE, semicolons
// belong to the body until its END. CASE … END inside the body nests.
void StatementSplitter::on_word(std::string_view word, int line) {
  switch (m_head) {
    case Head::other: return;
    case Head::start:
      m_head = iequals(word, "CREATE") && m_dialect != Dialect::mysql ? Head::create : Head::other;
      return;
    case Head::create:
      if (m_dialect == Dialect::sqlite) {
        if (iequals(word, "TEMP") || iequals(word, "TEMPORARY")) return;
        m_head = iequals(word, "TRIGGER") ? Head::trigger : Head::other;
      } else {
        if (iequals(word, "OR") || iequals(word, "REPLACE")) return;
        m_head = iequals(word, "FUNCTION") || iequals(word, "PROCEDURE") ? Head::routine : Head::other;
      }
      return;
    case Head::trigger:
    case Head::routine: break;
  }
  if (m_body_depth > 0) {
    if (iequals(word, "CASE")) {
      ++m_body_depth;
    } else if (iequals(word, "END")) {
      --m_body_depth;
    }
    return;
  }
  if (m_head == Head::trigger) {
    if (iequals(word, "BEGIN")) {
      m_body_depth = 1;
      m_body_line = line;
    }
    return;
  }
  if (m_after_begin && iequals(word, "ATOMIC")) {
    m_body_depth = 1;
    m_body_line = m_begin_line;
  }
  m_after_begin = iequals(word, "BEGIN");
  if (m_after_begin) m_begin_line = line;
}

void StatementSplitter::feed_line(std::string_view text, int line) {
  if (m_dialect == Dialect::mysql && between_tokens() && handle_delimiter_command(text, line)) return;
  if (m_started) m_text.push_back('\n');

  const std::size_t n = text.size();
  const bool mysql = m_dialect == Dialect::mysql;
  const bool postgres = m_dialect == Dialect::postgres;
  const bool sqlite = m_dialect == Dialect::sqlite;
  const char delimiter_start = m_delimiter[0];
  // text[seg, …) is the part of this line that belongs to the pending statement; it is
  // appended to m_text in one piece when the statement ends or the line ends.
  std::size_t seg = 0;
  std::size_t i = 0;
  auto start_token = [&](std::size_t at) {
    if (!m_started) {
      m_started = true;
      m_first_line = line;
      seg = at;
    }
  };
  auto mark_end = [&](std::size_t after) { m_text_end = m_text.size() + (after - seg); };

  while (i < n) {
    switch (m_state) {
      case State::code: {
        const char c = text[i];
        if (c == delimiter_start && m_body_depth == 0 && m_paren_depth == 0 && matches_at(text, i, m_delimiter)) {
          if (m_started) {
            m_text.append(text.substr(seg, i - seg));
            emit_pending();
          }
          reset_statement();
          i += m_delimiter.size();
          continue;
        }
        if (is_space(c)) {
          ++i;
          continue;
        }
        const char next = i + 1 < n ? text[i + 1] : '\0';
        if (c == '-' && next == '-' &&
            (!mysql || i + 2 >= n || is_space(text[i + 2]) || static_cast<unsigned char>(text[i + 2]) < 0x20)) {
          i = n;
          continue;
        }
        if (c == '#' && mysql) {
          i = n;
          continue;
        }
        if (c == '/' && next == '*') {
          if (mysql && i + 2 < n && text[i + 2] == '!') {
            start_token(i);
            m_in_conditional = true;
            m_conditional_line = line;
            i += 3;
            mark_end(i);
            continue;
          }
          m_state = State::block_comment;
          m_comment_depth = 1;
          m_open_line = line;
          i += 2;
          continue;
        }
        start_token(i);
        if (c == '*' && next == '/' && m_in_conditional) {
          m_in_conditional = false;
          i += 2;
          mark_end(i);
          continue;
        }
        if (c == '\'') {
          open_quote('\'', mysql, false, line);
        } else if (c == '"') {
          open_quote('"', mysql, !mysql, line);
        } else if (c == '`' && !postgres) {
          open_quote('`', false, true, line);
        } else if (c == '[' && sqlite) {
          open_quote(']', false, true, line);
        } else if (c == '$' && postgres) {
          // `$tag$` or `$$` opens a dollar quote; `$1` is a parameter. A `$` inside an
          // identifier never gets here: words are consumed whole below.
          std::size_t j = i + 1;
          if (j < n && is_word_start(text[j])) {
            while (j < n && is_tag_char(text[j])) ++j;
          }
          if (j < n && text[j] == '$') {
            m_dollar_tag.assign(text.substr(i, j + 1 - i));
            m_state = State::dollar_quote;
            m_open_line = line;
            i = j + 1;
            continue;
          }
          ++i;
          mark_end(i);
          continue;
        } else if ((c == '(' || c == ')') && postgres) {
          // As psql does: `;` inside parentheses, e.g. CREATE RULE … DO (a; b), does not end
          // the statement.
          if (c == '(') {
            ++m_paren_depth;
          } else if (m_paren_depth > 0) {
            --m_paren_depth;
          }
          ++i;
          mark_end(i);
          continue;
        } else if (is_word_start(c)) {
          std::size_t j = i + 1;
          if (delimiter_start == ';') {
            while (j < n && is_word_char(text[j])) ++j;
          } else {
            while (j < n && is_word_char(text[j]) && !(text[j] == delimiter_start && matches_at(text, j, m_delimiter)))
              ++j;
          }
          std::string_view word = text.substr(i, j - i);
          i = j;
          mark_end(i);
          if (postgres && j < n && text[j] == '\'' && (word == "E" || word == "e")) {
            open_quote('\'', true, false, line);
            ++i;
            continue;
          }
          on_word(word, line);
          continue;
        } else {
          ++i;
          mark_end(i);
          continue;
        }
        ++i;  // past the opening quote
        continue;
      }

      case State::quoted: {
        const std::string_view stops(m_close_chars, m_backslash_escapes ? 2 : 1);
        const std::size_t j = text.find_first_of(stops, i);
        if (j == std::string_view::npos) {
          i = n;
          continue;
        }
        if (text[j] == '\\') {
          i = std::min(j + 2, n);
          continue;
        }
        if (m_close_chars[0] != ']' && j + 1 < n && text[j + 1] == m_close_chars[0]) {
          i = j + 2;  // a doubled quote stands for itself
          continue;
        }
        m_state = State::code;
        i = j + 1;
        mark_end(i);
        continue;
      }

      case State::block_comment: {
        const std::size_t j = text.find_first_of(postgres ? "/*" : "*", i);
        if (j == std::string_view::npos || j + 1 >= n) {
          i = n;
          continue;
        }
        if (text[j] == '*' && text[j + 1] == '/') {
          i = j + 2;
          if (--m_comment_depth == 0) m_state = State::code;
        } else if (text[j] == '/' && text[j + 1] == '*') {
          ++m_comment_depth;
          i = j + 2;
        } else {
          i = j + 1;
        }
        continue;
      }

      case State::dollar_quote: {
        const std::size_t j = text.find(m_dollar_tag, i);
        if (j == std::string_view::npos) {
          i = n;
          continue;
        }
        m_state = State::code;
        i = j + m_dollar_tag.size();
        mark_end(i);
        continue;
      }
    }
  }
  if (m_started) m_text.append(text.substr(seg));
}

void StatementSplitter::emit_pending() {
  m_text.resize(m_text_end);
  Statement statement{std::move(m_text), m_first_line};
  m_text.clear();
  m_emit(std::move(statement));
}

void StatementSplitter::reset_statement() noexcept {
  m_text.clear();
  m_text_end = 0;
  m_started = false;
  m_first_line = 0;
  m_head = Head::start;
  m_body_depth = 0;
  m_body_line = 0;
  m_paren_depth = 0;
  m_after_begin = false;
  m_begin_line = 0;
  m_in_conditional = false;
}

void StatementSplitter::end_statement() {
  if (m_body_depth > 0) {
    throw SourceError(m_file, m_body_line,
                      m_head == Head::trigger ? "unterminated trigger body started here"
                                              : "unterminated BEGIN ATOMIC body started here");
  }
  if (m_started) emit_pending();
  reset_statement();
}

void StatementSplitter::finish() {
  switch (m_state) {
    case State::code: break;
    case State::block_comment: throw SourceError(m_file, m_open_line, "unterminated block comment started here");
    case State::quoted:
      throw SourceError(
          m_file, m_open_line,
          m_quote_is_identifier ? "unterminated quoted identifier started here" : "unterminated string started here");
    case State::dollar_quote:
      throw SourceError(m_file, m_open_line, "unterminated dollar-quoted string " + m_dollar_tag + " started here");
  }
  if (m_in_conditional) {
    throw SourceError(m_file, m_conditional_line, "unterminated conditional comment started here");
  }
  end_statement();
  m_delimiter = ";";
}

}  // namespace strata::source
