#include "core/sql_words.hpp"

#include <cctype>

namespace strata {

std::string leading_words(std::string_view sql, int count) {
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '@'; };
  std::string words;
  size_t i = 0;
  for (int n = 0; n < count; ++n) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])) != 0) ++i;
    const size_t start = i;
    while (i < sql.size() && word_char(sql[i])) ++i;
    if (start == i) break;
    if (!words.empty()) words += ' ';
    for (size_t j = start; j < i; ++j) words += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[j])));
  }
  return words;
}

}  // namespace strata
