#include "drivers/postgres/postgres_driver.hpp"

#include "core/error.hpp"

namespace strata::drivers::postgres {

std::unique_ptr<Driver> open(const DatabaseUrl& url, const OpenOptions&) {
  throw UsageError("the postgres driver is not implemented yet: " + url.redacted);
}

}  // namespace strata::drivers::postgres
