#include "source/create.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "source/checksum.hpp"
#include "source/loader.hpp"

namespace fs = std::filesystem;

namespace strata::source {

namespace {

constexpr std::string_view k_single_template = "-- +strata Up\n\n-- +strata Down\n";

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

// The YYYYMMDDhhmmss version one second after `version` when it is such a timestamp (rolling
// over minutes, hours and days), otherwise version + 1.
int64_t next_timestamp_after(int64_t version) {
  std::tm time{};
  const std::string text = std::to_string(version);
  if (text.size() == 14 && ::strptime(text.c_str(), "%Y%m%d%H%M%S", &time) != nullptr) {
    time.tm_sec += 1;
    const std::time_t next = ::timegm(&time);
    std::tm normalised{};
    char buffer[16];
    if (::gmtime_r(&next, &normalised) != nullptr &&
        std::strftime(buffer, sizeof buffer, "%Y%m%d%H%M%S", &normalised) == 14)
      return std::stoll(buffer);
  }
  return version + 1;
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
  auto [highest, width] = scan_versions(directory);
  if (options.timestamp) {
    // Two creates within one second (or a clock behind the newest file) would share a version,
    // or sort before a file made earlier: take the next free second after the highest version.
    version = utc_now("%Y%m%d%H%M%S");
    if (std::stoll(version) <= highest) version = std::to_string(next_timestamp_after(highest));
  } else {
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
    write_new_file(paths[0], k_single_template);
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

bool is_new_file_checksum(std::string_view checksum) {
  static const std::string k_empty = text_checksum("");
  static const std::string k_single = text_checksum(k_single_template);
  return checksum == k_empty || checksum == k_single;
}

}  // namespace strata::source
