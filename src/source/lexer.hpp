#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dialect.hpp"
#include "source/parser.hpp"

namespace strata::source {

// Splits SQL text into statements at the delimiter (`;`, or the current MySQL DELIMITER) while
// skipping delimiters inside strings, quoted identifiers, comments, PostgreSQL dollar quotes
// and parentheses, SQLite trigger bodies, PostgreSQL BEGIN ATOMIC bodies and MySQL compound
// statements (the BEGIN … END, IF … END IF, CASE, LOOP, REPEAT and WHILE blocks of stored
// programs, and MariaDB's BEGIN NOT ATOMIC), which MySQL runners send whole without DELIMITER.
// It is fed one line at a time and holds only the statement being built, so memory stays bounded
// by the longest statement.
//
// Emitted statements are trimmed to run from their first token to their last token: comments
// before the first token and after the last one are dropped, comments in between are kept
// verbatim. Lines are joined with '\n'. MySQL conditional comments (`/*! … */`) are code.
class StatementSplitter {
 public:
  using Emit = std::function<void(Statement&& statement)>;

  // `file` is only used in error messages.
  StatementSplitter(Dialect dialect, std::string file, Emit emit);

  // Feeds the next line, without its line terminator. `line` is its 1-based number, used for
  // Statement::line and errors. On MySQL a `DELIMITER xx` line seen between tokens ends the
  // pending statement, changes the delimiter and is not part of any statement.
  void feed_line(std::string_view text, int line);

  // True when no string, quoted identifier, comment, dollar quote or conditional comment is
  // open, i.e. the next line starts between tokens (where annotations are recognised). A
  // pending statement or an open trigger body does not count.
  bool between_tokens() const noexcept;

  // Emits the pending statement, if any. Only valid when between_tokens(). Throws SourceError
  // when a trigger, BEGIN ATOMIC or MySQL compound-statement body is still open.
  void end_statement();

  // End of a section or of the input: throws SourceError at the line where a still-open
  // construct started, otherwise emits the pending statement and resets the delimiter to `;`.
  void finish();

 private:
  enum class State { code, block_comment, quoted, dollar_quote };
  // Where the statement head is in recognising CREATE TRIGGER / CREATE FUNCTION, whose
  // bodies contain semicolons that do not end the statement.
  enum class Head { start, create, trigger, routine, other, mysql_create, mysql_begin, mysql_begin_not, mysql_program };
  // MySQL: what the CREATE makes, and where in its head or body the words are.
  enum class Program { procedure, function, trigger, event, compound };
  enum class Stage {
    name,
    params,
    characteristics,
    return_type,
    trigger_head,
    trigger_order,
    trigger_order_name,
    event_head,
    body
  };
  // An open MySQL compound statement. A CASE at the start of a statement ends with END CASE, one
  // inside an expression with a plain END; both are closed by the END.
  enum class Block : char { begin, if_then, case_statement, case_expression, loop, repeat, while_do, for_do };

  bool handle_delimiter_command(std::string_view text, int line);
  void open_quote(char close, bool backslash_escapes, bool identifier, int line);
  void on_word(std::string_view word, int line, std::string_view rest);
  void on_mysql_word(std::string_view word, int line, std::string_view rest);
  bool on_mysql_head_word(std::string_view word);
  void on_mysql_body_word(std::string_view word, int line, std::string_view rest);
  void on_mysql_punctuation(char c);
  void open_block(Block block, int line);
  static std::string_view block_name(Block block) noexcept;
  void emit_pending();
  void reset_statement() noexcept;

  Dialect m_dialect;
  std::string m_file;
  Emit m_emit;
  std::string m_delimiter = ";";

  State m_state = State::code;
  int m_open_line = 0;             // line where the open quote, comment or dollar quote started
  char m_close_chars[2] = {0, 0};  // closing quote, then '\\' when backslash escapes apply
  bool m_backslash_escapes = false;
  bool m_quote_is_identifier = false;
  int m_comment_depth = 0;        // PostgreSQL block comments nest
  std::string m_dollar_tag;       // "$tag$" of the open dollar quote
  bool m_in_conditional = false;  // inside a MySQL `/*! … */`
  int m_conditional_line = 0;

  // The statement being built: m_text starts at its first token; m_text_end is the length
  // up to the end of its last token (what follows is whitespace and comments).
  std::string m_text;
  std::size_t m_text_end = 0;
  bool m_started = false;
  int m_first_line = 0;

  Head m_head = Head::start;
  int m_body_depth = 0;  // BEGIN … END nesting (CASE … END counts) inside a routine body
  int m_body_line = 0;
  int m_paren_depth = 0;       // PostgreSQL only
  bool m_after_begin = false;  // PostgreSQL: the previous word was BEGIN, ATOMIC may follow
  int m_begin_line = 0;

  // MySQL stored programs: m_blocks holds the open compound statements (m_body_depth is its size).
  Program m_program = Program::compound;
  Stage m_stage = Stage::name;
  std::vector<Block> m_blocks;
  bool m_definer = false;            // CREATE DEFINER = user …: the user's words come next
  int m_name_words = 0;              // words of the program's name seen so far
  int m_head_parens = 0;             // parentheses open in the parameter list or return type
  int m_type_words = 0;              // words of the function's return type seen so far
  bool m_type_argument = false;      // the next word names a CHARSET or COLLATE
  bool m_statement_start = false;    // the next word starts a statement of the body
  bool m_after_end = false;          // the previous word was END: IF, CASE, … complete it
  bool m_after_block_begin = false;  // the previous word was BEGIN (or its NOT): NOT ATOMIC may follow
};

}  // namespace strata::source
