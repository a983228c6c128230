#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::drivers::mysql {

// Where the statements of one piece of a migration start. A piece is normally one statement, but
// a StatementBegin … StatementEnd block is sent as one piece and may hold several (goose files
// with two CREATE TABLEs in one block); the server runs them as a multi-statement string and
// answers each with its own result. The layout lets the driver send such a piece alone and name
// the statement inside it that failed.
struct PieceLayout {
  // Byte offsets of each statement's first significant character (after whitespace and
  // comments), in order. Empty for a piece that is only whitespace, comments and semicolons.
  std::vector<size_t> starts;
  // One past each statement's last significant character (its semicolon excluded).
  std::vector<size_t> ends;
  // False when the offsets may not match the server's statements: the piece holds a compound
  // statement or a stored program (BEGIN … END, IF … END IF, CREATE PROCEDURE/FUNCTION/TRIGGER/
  // EVENT/PACKAGE), whose inner semicolons do not end statements, or a CALL, which answers with
  // a result per result set, or a DELIMITER line.
  bool exact = true;

  bool several() const noexcept { return starts.size() > 1; }
};

// Splits `sql` at the semicolons outside '…', "…" (backslash escapes), `…`, `-- `, `#` and
// `/* */` comments. Never throws; text it cannot read (an unterminated quote) ends the scan.
PieceLayout piece_layout(std::string_view sql);

// The text of statement `index` of `sql` on one line, cut to `limit` bytes with "…". Requires
// index < starts.size().
std::string piece_statement(std::string_view sql, const PieceLayout& layout, size_t index, size_t limit = 60);

}  // namespace strata::drivers::mysql
