// Database URLs, version-table names, redaction and .env files on arbitrary text. Malformed
// input may only throw UsageError. Property: when a URL parses and has a password, neither its
// `redacted` form nor redact_passwords() of it contains that password (checked when the
// password is at least 4 characters, has no '*', and occurs at most once in the input, raw or
// percent-decoded, so it cannot be there for some other reason). redact_passwords() takes
// whitespace or a quote as the end of a URL, so it is checked only on input without those.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/config.hpp"
#include "core/database_url.hpp"
#include "core/error.hpp"
#include "fuzz_support.hpp"

namespace {

std::size_t occurrences(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + 1)) ++count;
  return count;
}

// %XX → byte, everything else as is; only for the precondition above.
std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

void check_url(const std::string& text) {
  strata::DatabaseUrl url;
  try {
    url = strata::parse_database_url(text);
  } catch (const strata::UsageError&) {
    return;
  }
  if (!url.password || url.password->size() < 4 || url.password->find('*') != std::string::npos ||
      occurrences(text, *url.password) > 1 || occurrences(percent_decoded(text), *url.password) > 1)
    return;
  if (url.redacted.find(*url.password) != std::string::npos) {
    strata::fuzz::fail("password '" + *url.password + "' left in redacted URL '" + url.redacted + "'");
  }
  if (text.find_first_of(" \t\n\v\f\r\"'") != std::string::npos) return;
  const std::string redacted = strata::redact_passwords(text);
  if (redacted.find(*url.password) != std::string::npos) {
    strata::fuzz::fail("password '" + *url.password + "' left by redact_passwords: '" + redacted + "'");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check_url(text);
  strata::redact_passwords(text);
  for (strata::Dialect dialect : strata::k_all_dialects) {
    try {
      strata::parse_table_name(text, dialect);
    } catch (const strata::UsageError&) {
    }
  }
  try {
    strata::cli::parse_env_file(text, ".env");
  } catch (const strata::UsageError&) {
  }
  return 0;
}
