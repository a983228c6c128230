// Prints the compiled-in set: one line per file, "name size first-line".
#include <cstdio>
#include <string>

#include "migrations.hpp"

int main() {
  const strata::EmbeddedMigrations& set = project::migrations();
  std::printf("%s: %zu files\n", set.directory, set.count);
  for (std::size_t i = 0; i < set.count; ++i) {
    const strata::EmbeddedFile& file = set.files[i];
    std::string text(reinterpret_cast<const char*>(file.data), file.size);
    std::printf("%s %zu %s\n", file.name, file.size, text.substr(0, text.find('\n')).c_str());
  }
  return 0;
}
