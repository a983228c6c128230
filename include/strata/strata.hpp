#pragma once

// strata's public C++ API: include this one header. docs/library.md describes it.

#include "strata/embedded.hpp"
#include "strata/error.hpp"
#include "strata/migrator.hpp"
