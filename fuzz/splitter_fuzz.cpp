// The whole-file parsers on arbitrary bytes, every dialect, both layouts: malformed input may
// only ever throw SourceError. Any other exception escapes to libFuzzer as a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "source/parser.hpp"
#include "support/parse_text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (strata::Dialect dialect : strata::k_all_dialects) {
    try {
      strata::testing::parse_pair_file(text, "fuzz.up.sql", dialect);
    } catch (const strata::SourceError&) {
    }
    try {
      strata::testing::parse_single_file(text, "fuzz.sql", dialect);
    } catch (const strata::SourceError&) {
    }
  }
  return 0;
}
