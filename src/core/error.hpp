#pragma once

// The exception hierarchy is public: include/strata/error.hpp.
#include "strata/error.hpp"
