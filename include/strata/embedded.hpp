#pragma once

// Migrations compiled into an application (CMake: strata_add_migrations). The generated source
// defines the arrays below and a function returning the set; nothing here owns memory: the bytes
// live in the program's read-only data for its whole run.

#include <cstddef>

namespace strata {

// One file of a migration directory, byte for byte as it was on disk at build time.
struct EmbeddedFile {
  const char* name;           // file name relative to the directory ("0001_init.up.sql")
  const unsigned char* data;  // its bytes (not NUL-terminated)
  std::size_t size;           // how many bytes
};

// A migration directory as it was at build time: its files in name order.
struct EmbeddedMigrations {
  const char* directory;  // the directory it was read from, for messages ("migrations")
  const EmbeddedFile* files;
  std::size_t count;
};

}  // namespace strata
