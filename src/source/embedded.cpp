#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

#include "core/error.hpp"
#include "source/loader.hpp"
#include "strata/embedded.hpp"

namespace strata::source {

namespace {

// The scratch directories of this process, one per embedded set, removed at exit.
class ScratchDirectories {
 public:
  ~ScratchDirectories() {
    for (const auto& [set, path] : m_paths) {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  }

  std::filesystem::path materialise(const EmbeddedMigrations& set) {
    const std::lock_guard<std::mutex> guard(m_mutex);
    auto found = m_paths.find(&set);
    if (found != m_paths.end()) return found->second;
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::filesystem::path path =
        base / fmt::format("strata-embedded-{}-{}", static_cast<long>(::getpid()), m_paths.size() + 1);
    std::filesystem::remove_all(path, ec);
    std::filesystem::create_directories(path, ec);
    if (ec) throw UsageError(fmt::format("cannot create {}: {}", path.string(), ec.message()));
    for (std::size_t i = 0; i < set.count; ++i) {
      const EmbeddedFile& file = set.files[i];
      std::ofstream out(path / file.name, std::ios::binary);
      out.write(reinterpret_cast<const char*>(file.data), static_cast<std::streamsize>(file.size));
      if (!out) throw UsageError(fmt::format("cannot write {}", (path / file.name).string()));
    }
    m_paths.emplace(&set, path);
    return path;
  }

 private:
  std::mutex m_mutex;
  std::map<const EmbeddedMigrations*, std::filesystem::path> m_paths;
};

}  // namespace

Source load_embedded(const EmbeddedMigrations& migrations, Dialect dialect) {
  static ScratchDirectories scratch;
  return load_source(scratch.materialise(migrations), dialect);
}

}  // namespace strata::source
