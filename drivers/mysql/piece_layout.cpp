#include "drivers/mysql/piece_layout.hpp"

#include <algorithm>
#include <cctype>

namespace strata::drivers::mysql {
namespace {

constexpr size_t k_words_checked = 8;  // CREATE OR REPLACE DEFINER = … PROCEDURE fits

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// The end of the quoted text that starts at sql[i] (one past the closing quote, or sql.size()).
size_t skip_quoted(std::string_view sql, size_t i) {
  const char quote = sql[i];
  for (++i; i < sql.size(); ++i) {
    if (sql[i] == '\\' && quote != '`') {
      ++i;
    } else if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        ++i;  // a doubled quote stands for itself
      } else {
        return i + 1;
      }
    }
  }
  return sql.size();
}

// One past the comment that starts at sql[i], or i when none starts there. MySQL needs a space
// or control character after `--`.
size_t skip_comment(std::string_view sql, size_t i) {
  const bool dashes =
      sql.compare(i, 2, "--") == 0 && (i + 2 == sql.size() || static_cast<unsigned char>(sql[i + 2]) <= ' ');
  if (dashes || sql[i] == '#') {
    const size_t eol = sql.find('\n', i);
    return eol == std::string_view::npos ? sql.size() : eol + 1;
  }
  if (sql.compare(i, 2, "/*") == 0) {
    const size_t end = sql.find("*/", i + 2);
    return end == std::string_view::npos ? sql.size() : end + 2;
  }
  return i;
}

// Whether the statement whose first words these are may hold semicolons that do not end it, or
// answers with more than one result.
bool breaks_the_count(const std::vector<std::string>& words, bool labelled) {
  if (words.empty()) return false;
  if (labelled) return true;  // label: BEGIN … END
  const std::string& first = words.front();
  if (first == "CALL" || first == "DELIMITER" || first == "IF" || first == "WHILE" || first == "LOOP" ||
      first == "REPEAT" || first == "CASE" || first == "FOR" || first == "DECLARE")
    return true;
  if (first == "BEGIN") return words.size() > 1 && words[1] != "WORK";  // BEGIN NOT ATOMIC …
  if (first != "CREATE") return false;
  return std::any_of(words.begin(), words.end(), [](const std::string& word) {
    return word == "PROCEDURE" || word == "FUNCTION" || word == "TRIGGER" || word == "EVENT" || word == "PACKAGE";
  });
}

}  // namespace

PieceLayout piece_layout(std::string_view sql) {
  PieceLayout layout;
  bool between = true;  // before the first significant character of a statement
  std::vector<std::string> words;
  bool labelled = false;
  size_t last = 0;  // one past the last significant character seen
  auto end_statement = [&] {
    layout.ends.push_back(last);
    if (breaks_the_count(words, labelled)) layout.exact = false;
    words.clear();
    labelled = false;
    between = true;
  };
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (const size_t after = skip_comment(sql, i); after != i) {
      i = after;
      continue;
    }
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == ';') {
      if (!between) end_statement();
      ++i;
      continue;
    }
    if (between) {
      layout.starts.push_back(i);
      between = false;
    }
    if (c == '\'' || c == '"' || c == '`') {
      i = skip_quoted(sql, i);
    } else if (is_word_char(c)) {
      size_t end = i;
      while (end < sql.size() && is_word_char(sql[end])) ++end;
      if (words.size() < k_words_checked) {
        std::string word(sql.substr(i, end - i));
        for (char& w : word) w = static_cast<char>(std::toupper(static_cast<unsigned char>(w)));
        words.push_back(std::move(word));
        if (words.size() == 1 && end < sql.size() && sql[end] == ':') labelled = true;
      }
      i = end;
    } else {
      ++i;
    }
    last = i;
  }
  if (!between) end_statement();
  return layout;
}

std::string piece_statement(std::string_view sql, const PieceLayout& layout, size_t index, size_t limit) {
  const size_t start = layout.starts.at(index);
  const std::string_view text = sql.substr(start, layout.ends.at(index) - start);
  std::string line;
  for (char c : text) {
    if (!is_space(c))
      line += c;
    else if (line.empty() || line.back() != ' ')
      line += ' ';
  }
  if (line.size() > limit) {
    line.resize(limit);
    line += "…";
  }
  return line;
}

}  // namespace strata::drivers::mysql
