#pragma once

#include <memory>

#include "drivers/driver.hpp"

namespace strata::drivers::postgres {

// Opens a connection for a postgres URL (see docs/drivers.md). Throws DriverError when the server
// cannot be reached or refuses the login.
std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions& options);

}  // namespace strata::drivers::postgres
