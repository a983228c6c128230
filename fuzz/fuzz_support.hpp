#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/dialect.hpp"

namespace strata::fuzz {

// A broken property: print what broke and abort, so libFuzzer saves the input as a crash.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline Dialect dialect_from(unsigned char byte) noexcept {
  return k_all_dialects[byte % 3];
}

}  // namespace strata::fuzz
