#pragma once

#include <string>

namespace strata {

// The current UTC time formatted with strftime(3) `format`, e.g. "%Y-%m-%dT%H:%M:%SZ".
std::string utc_now(const char* format);

}  // namespace strata
