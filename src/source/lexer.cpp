#include "source/lexer.hpp"

#include <algorithm>
#include <initializer_list>
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
// belong to the body until its END. CASE … END inside the body nests. MySQL: on_mysql_word.
void StatementSplitter::on_word(std::string_view word, int line, std::string_view rest) {
  if (m_dialect == Dialect::mysql) {
    on_mysql_word(word, line, rest);
    return;
  }
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
    case Head::mysql_create:
    case Head::mysql_begin:
    case Head::mysql_begin_not:
    case Head::mysql_program: return;  // MySQL only
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

namespace {

bool is_any_of(std::string_view word, std::initializer_list<std::string_view> candidates) noexcept {
  for (std::string_view candidate : candidates) {
    if (iequals(word, candidate)) return true;
  }
  return false;
}

// `lbl:` (but not `x := 1`): what follows the word on its line starts with a colon.
bool is_label(std::string_view rest) noexcept {
  const std::size_t i = skip_blanks(rest, 0);
  return i < rest.size() && rest[i] == ':' && (i + 1 >= rest.size() || rest[i + 1] != '=');
}

// The words that open a MySQL compound statement where a statement starts. All are reserved, so
// none of them can be an unquoted name.
bool is_compound_opener(std::string_view word) noexcept {
  return is_any_of(word, {"BEGIN", "IF", "CASE", "LOOP", "REPEAT", "WHILE", "FOR"});
}

}  // namespace

// MySQL stored programs (CREATE PROCEDURE / FUNCTION / TRIGGER / EVENT) and MariaDB's compound
// statements outside them (BEGIN NOT ATOMIC, IF, CASE, LOOP, REPEAT, WHILE). The server parses
// their bodies itself, so golang-migrate and the mysql client without DELIMITER send them whole:
// the splitter has to find the END that closes the body. The head is read far enough to know
// where the body starts, since IF and REPEAT open a block only where a statement starts (elsewhere
// they are the IF() and REPEAT() functions, or IF [NOT] EXISTS). After `DELIMITER xx` the
// author marks the end of each statement, and nothing is tracked.
void StatementSplitter::on_mysql_word(std::string_view word, int line, std::string_view rest) {
  switch (m_head) {
    case Head::other: return;
    case Head::start:
      if (m_delimiter != ";") {
        m_head = Head::other;
      } else if (iequals(word, "CREATE")) {
        m_head = Head::mysql_create;
      } else if (iequals(word, "BEGIN")) {
        m_head = Head::mysql_begin;  // BEGIN [WORK] is transaction control, BEGIN NOT ATOMIC a block
        m_begin_line = line;
      } else if (is_compound_opener(word) || is_label(rest)) {
        m_head = Head::mysql_program;
        m_program = Program::compound;
        m_stage = Stage::body;
        m_statement_start = true;
        on_mysql_body_word(word, line, rest);
      } else {
        m_head = Head::other;
      }
      return;
    case Head::mysql_begin: m_head = iequals(word, "NOT") ? Head::mysql_begin_not : Head::other; return;
    case Head::mysql_begin_not:
      m_head = Head::other;
      if (iequals(word, "ATOMIC")) {
        m_head = Head::mysql_program;
        m_program = Program::compound;
        m_stage = Stage::body;
        open_block(Block::begin, m_begin_line);
        m_statement_start = true;
      }
      return;
    case Head::mysql_create:
      if (iequals(word, "PROCEDURE") || iequals(word, "FUNCTION") || iequals(word, "TRIGGER") ||
          iequals(word, "EVENT")) {
        m_head = Head::mysql_program;
        m_program = iequals(word, "PROCEDURE")  ? Program::procedure
                    : iequals(word, "FUNCTION") ? Program::function
                    : iequals(word, "TRIGGER")  ? Program::trigger
                                                : Program::event;
        m_stage = Stage::name;
      } else if (iequals(word, "DEFINER")) {
        m_definer = true;
      } else if (!is_any_of(word, {"OR", "REPLACE", "AGGREGATE"}) && (!m_definer || iequals(word, "VIEW"))) {
        m_head = Head::other;  // words after DEFINER are the user's (root@localhost, CURRENT_USER)
      }
      return;
    case Head::mysql_program: break;
    case Head::create:
    case Head::trigger:
    case Head::routine: return;  // SQLite and PostgreSQL only
  }
  if (m_stage == Stage::body || on_mysql_head_word(word)) {
    on_mysql_body_word(word, line, rest);
  }
}

// The head of a stored program, up to its body: the name (after IF NOT EXISTS), the parameter
// list, a function's RETURNS type, the characteristics (COMMENT, DETERMINISTIC, SQL SECURITY, …),
// a trigger's FOR EACH ROW [FOLLOWS|PRECEDES other], an event's schedule up to DO. Returns true
// when `word` is the first word of the body; after the head's last word, the next one is.
bool StatementSplitter::on_mysql_head_word(std::string_view word) {
  auto body_starts = [this](bool with_this_word) {
    m_stage = Stage::body;
    m_statement_start = true;
    return with_this_word;
  };
  switch (m_stage) {
    case Stage::name:
      if (m_name_words == 0 && is_any_of(word, {"IF", "NOT", "EXISTS"})) return false;  // IF NOT EXISTS
      ++m_name_words;
      // A procedure's or function's name runs up to its parameter list (on_mysql_punctuation).
      if (m_program == Program::trigger) m_stage = Stage::trigger_head;
      if (m_program == Program::event) m_stage = Stage::event_head;
      return false;
    case Stage::params: return false;
    case Stage::return_type:
      if (m_head_parens > 0) return false;
      if (m_type_words++ == 0) return false;  // the type's name
      if (m_type_argument) {
        m_type_argument = false;
        return false;
      }
      if (is_any_of(word, {"UNSIGNED", "SIGNED", "ZEROFILL", "BINARY", "ASCII", "UNICODE", "BYTE", "PRECISION",
                           "VARYING", "CHARACTER"})) {
        return false;
      }
      if (is_any_of(word, {"CHARSET", "COLLATE", "SET"})) {  // SET: of CHARACTER SET
        m_type_argument = true;
        return false;
      }
      m_stage = Stage::characteristics;
      [[fallthrough]];
    case Stage::characteristics:
      if (m_program == Program::function && iequals(word, "RETURNS")) {
        m_stage = Stage::return_type;
        m_type_words = 0;
        return false;
      }
      if (is_any_of(word, {"COMMENT", "LANGUAGE", "SQL", "NOT", "DETERMINISTIC", "CONTAINS", "NO", "READS", "MODIFIES",
                           "DATA", "SECURITY", "DEFINER", "INVOKER"})) {
        return false;
      }
      return body_starts(true);
    case Stage::trigger_head:
      if (iequals(word, "ROW")) m_stage = Stage::trigger_order;
      return false;
    case Stage::trigger_order:
      if (iequals(word, "FOLLOWS") || iequals(word, "PRECEDES")) {
        m_stage = Stage::trigger_order_name;
        return false;
      }
      return body_starts(true);
    case Stage::trigger_order_name:
      // A reserved opener here means the other trigger's name was quoted: this is the body.
      return body_starts(is_compound_opener(word));
    case Stage::event_head:
      if (iequals(word, "DO") && m_head_parens == 0) return body_starts(false);
      return false;
    case Stage::body: break;
  }
  return true;
}

void StatementSplitter::open_block(Block block, int line) {
  if (m_blocks.empty()) m_body_line = line;
  m_blocks.push_back(block);
  m_body_depth = static_cast<int>(m_blocks.size());
}

// A word of a stored program's body (or of a compound statement outside one).
void StatementSplitter::on_mysql_body_word(std::string_view word, int line, std::string_view rest) {
  const bool at_start = m_statement_start;
  const bool after_block_begin = m_after_block_begin;
  m_statement_start = false;
  m_after_block_begin = false;
  if (m_after_end) {
    m_after_end = false;
    if (is_any_of(word, {"IF", "CASE", "LOOP", "REPEAT", "WHILE", "FOR"})) return;  // END IF, END CASE, …
  }
  const Block* top = m_blocks.empty() ? nullptr : &m_blocks.back();
  if (after_block_begin && (iequals(word, "NOT") || iequals(word, "ATOMIC"))) {  // MariaDB: BEGIN NOT ATOMIC
    m_statement_start = true;
    m_after_block_begin = iequals(word, "NOT");
  } else if (iequals(word, "BEGIN")) {
    open_block(Block::begin, line);
    m_statement_start = true;
    m_after_block_begin = true;
  } else if (iequals(word, "CASE")) {
    open_block(at_start ? Block::case_statement : Block::case_expression, line);
  } else if (iequals(word, "LOOP")) {
    open_block(Block::loop, line);
    m_statement_start = true;
  } else if (iequals(word, "WHILE")) {
    open_block(Block::while_do, line);
  } else if (at_start && iequals(word, "REPEAT")) {
    open_block(Block::repeat, line);
    m_statement_start = true;
  } else if (at_start && iequals(word, "IF")) {
    open_block(Block::if_then, line);
  } else if (at_start && iequals(word, "FOR")) {  // MariaDB: FOR i IN 1 .. 3 DO … END FOR
    open_block(Block::for_do, line);
  } else if (iequals(word, "END")) {
    if (!m_blocks.empty()) m_blocks.pop_back();
    m_body_depth = static_cast<int>(m_blocks.size());
    m_after_end = true;
  } else if (iequals(word, "THEN") || iequals(word, "ELSE")) {
    m_statement_start = top != nullptr && (*top == Block::if_then || *top == Block::case_statement);
  } else if (iequals(word, "DO")) {
    m_statement_start = top != nullptr && (*top == Block::while_do || *top == Block::for_do);
  } else if (at_start && is_label(rest)) {
    m_statement_start = true;
  }
}

// Punctuation inside a MySQL stored program: the parentheses of its head, and the `;` that ends a
// statement of its body.
void StatementSplitter::on_mysql_punctuation(char c) {
  const bool open = c == '(';
  const bool close = c == ')';
  switch (m_stage) {
    case Stage::name:
      if (open && (m_program == Program::procedure || m_program == Program::function)) {
        m_stage = Stage::params;
        m_head_parens = 1;
      }
      return;
    case Stage::params:
      if (open) ++m_head_parens;
      if (close && --m_head_parens == 0) m_stage = Stage::characteristics;
      return;
    case Stage::return_type:
    case Stage::event_head:
      if (open) ++m_head_parens;
      if (close && m_head_parens > 0) --m_head_parens;
      return;
    case Stage::body:
      if (c == ';') {
        m_statement_start = true;
        m_after_end = false;
      } else if (c != ':') {
        m_statement_start = false;
        m_after_end = false;
      }
      m_after_block_begin = false;
      return;
    case Stage::characteristics:
    case Stage::trigger_head:
    case Stage::trigger_order:
    case Stage::trigger_order_name: return;
  }
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
          on_word(word, line, text.substr(j));
          continue;
        } else {
          if (mysql && m_head == Head::mysql_program) on_mysql_punctuation(c);
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
  m_program = Program::compound;
  m_stage = Stage::name;
  m_blocks.clear();
  m_definer = false;
  m_name_words = 0;
  m_head_parens = 0;
  m_type_words = 0;
  m_type_argument = false;
  m_statement_start = false;
  m_after_end = false;
  m_after_block_begin = false;
}

std::string_view StatementSplitter::block_name(Block block) noexcept {
  switch (block) {
    case Block::begin: break;
    case Block::if_then: return "IF … END IF";
    case Block::case_statement: return "CASE … END CASE";
    case Block::case_expression: return "CASE … END";
    case Block::loop: return "LOOP … END LOOP";
    case Block::repeat: return "REPEAT … END REPEAT";
    case Block::while_do: return "WHILE … END WHILE";
    case Block::for_do: return "FOR … END FOR";
  }
  return "BEGIN … END";
}

void StatementSplitter::end_statement() {
  if (m_body_depth > 0) {
    if (m_head == Head::mysql_program) {
      throw SourceError(m_file, m_body_line,
                        "unterminated " + std::string(block_name(m_blocks.front())) + " block started here");
    }
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
