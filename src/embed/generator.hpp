#pragma once

// strata-embed: the build-time half of strata_add_migrations (cmake/StrataMigrations.cmake).
// It reads a migrations directory with the loader and the parser, refuses a set that
// `strata validate` would refuse, and writes C++ that compiles the files into the program
// (strata/embedded.hpp).

#include <filesystem>
#include <string>
#include <vector>

#include "core/dialect.hpp"

namespace strata::embed {

struct Request {
  std::filesystem::path directory;  // read from here
  std::string label;                // EmbeddedMigrations::directory: how messages name it
  std::string function;             // qualified C++ name of the generated function ("app::migrations")
  std::vector<Dialect> dialects;    // the dialects the set is checked for (all when empty)
};

// The set as compiled in: what generate_source() writes.
struct Embedded {
  std::vector<std::string> names;  // the files, in name order
  std::vector<std::string> bytes;  // each file's bytes
  std::vector<std::string> warnings;
};

// Loads and parses every migration of the directory for each dialect of the request, as
// `strata validate` does, and reads the bytes of every file the loader reads on any dialect
// (per-dialect files included, so the set runs on any dialect as the directory would). Throws
// SourceError with the loader's "file:line: message" (naming the dialect when several are
// checked), UsageError for a missing directory or a bad function name.
Embedded read_set(const Request& request);

// The .cpp defining `request.function`, returning the set.
std::string generate_source(const Request& request, const Embedded& set);
// A header declaring it.
std::string generate_header(const Request& request);

// The command line: strata-embed DIR --output FILE.cpp --function NAME [--header FILE.hpp]
// [--label TEXT] [--dialect D]... Prints warnings and errors as "strata-embed: …" on stderr;
// returns the exit code (0, 2 usage, 4 a bad migration set).
int run(int argc, char** argv);

}  // namespace strata::embed
