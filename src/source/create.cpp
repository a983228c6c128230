#include "source/create.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "source/loader.hpp"

namespace fs = std::filesystem;

namespace strata::source {

namespace {

std::string normalise_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == ' ' || c == '-') {
      out.push_back('_');
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      out.push_back(c);
    } else {
      throw UsageError(fmt::format("invalid migration name '{}': use letters, digits, '_', '-' and spaces", name));
    }
  }
  if (out.empty()) throw UsageError("migration name must not be empty");
  return out;
}

// The highest version and widest version spelling among the directory's *.sql files; names
// that do not parse are ignored here (validate reports them).
std::pair<int64_t, size_t> scan_versions(const fs::path& directory) {
  int64_t highest = -1;  // none yet: the first is 1 (a directory may start at 0, as golang-migrate's do)
  size_t width = 0;
  std::error_code ec;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    try {
      if (auto parsed = parse_file_name(it->path().filename().string())) {
        highest = std::max(highest, parsed->version);
        width = std::max(width, parsed->version_text.size());
      }
    } catch (const SourceError&) {
    }
  }
  return {highest, width};
}

void write_new_file(const fs::path& path, std::string_view contents) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    if (errno == EEXIST) throw UsageError(fmt::format("{} already exists; not overwriting it", path.string()));
    throw UsageError(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
  ssize_t written = ::write(fd, contents.data(), contents.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(contents.size())) {
    throw UsageError(fmt::format("cannot write {}", path.string()));
  }
}

}  // namespace

std::vector<fs::path> create_migration(const fs::path& directory, const std::string& name,
                                       const CreateOptions& options) {
  std::string clean = normalise_name(name);
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw UsageError(fmt::format("cannot create migrations directory {}: {}", directory.string(), ec.message()));

  std::string version;
  if (options.timestamp) {
    version = utc_now("%Y%m%d%H%M%S");
  } else {
    auto [highest, width] = scan_versions(directory);
    size_t pad = options.digits.value_or(width == 0 ? 6 : width);
    version = fmt::format("{:0{}}", std::max<int64_t>(highest + 1, 1), pad);
  }

  std::vector<fs::path> paths;
  if (options.single) {
    paths.push_back(directory / fmt::format("{}_{}.sql", version, clean));
  } else {
    paths.push_back(directory / fmt::format("{}_{}.up.sql", version, clean));
    paths.push_back(directory / fmt::format("{}_{}.down.sql", version, clean));
  }
  for (const fs::path& path : paths) {
    if (fs::exists(path, ec)) throw UsageError(fmt::format("{} already exists; not overwriting it", path.string()));
  }
  if (options.single) {
    write_new_file(paths[0], "-- +strata Up\n\n-- +strata Down\n");
  } else {
    write_new_file(paths[0], "");
    try {
      write_new_file(paths[1], "");
    } catch (...) {
      fs::remove(paths[0], ec);
      throw;
    }
  }
  return paths;
}

}  // namespace strata::source
