#pragma once

#include <memory>

#include "drivers/driver.hpp"

namespace strata::drivers::mysql {

// Opens a connection for a mysql URL (see docs/drivers.md). Throws DriverError when the server
// cannot be reached or refuses the login.
std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions& options);

}  // namespace strata::drivers::mysql
