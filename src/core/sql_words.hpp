#pragma once

#include <string>
#include <string_view>

namespace strata {

// The statement's first `count` words, upper-cased and joined by one space ("START
// TRANSACTION"). A word is a run of letters, digits, `_` and `@`; leading whitespace is skipped,
// and the words stop at the first other character. Statements reach strata's code trimmed of
// comments, so this is how the runner and the drivers tell what kind of statement one is.
std::string leading_words(std::string_view sql, int count);

}  // namespace strata
