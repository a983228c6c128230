// parse_file_name on arbitrary names: nullopt, a parsed name, or SourceError — nothing else.
// A parsed name must be consistent with the text it came from.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "source/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string name(reinterpret_cast<const char*>(data), size);
  std::optional<strata::source::ParsedFileName> parsed;
  try {
    parsed = strata::source::parse_file_name(name);
  } catch (const strata::SourceError&) {
    return 0;
  }
  if (!parsed) return 0;
  if (parsed->version < 0) strata::fuzz::fail("negative version from '" + name + "'");
  if (parsed->version_text.empty() || name.compare(0, parsed->version_text.size(), parsed->version_text) != 0) {
    strata::fuzz::fail("version text '" + parsed->version_text + "' is not the start of '" + name + "'");
  }
  if (name.find(parsed->name) == std::string::npos) {
    strata::fuzz::fail("name '" + parsed->name + "' does not occur in '" + name + "'");
  }
  return 0;
}
