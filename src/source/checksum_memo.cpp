#include "source/checksum_memo.hpp"

#include <sys/stat.h>
#include <time.h>

namespace strata::source {

namespace {

constexpr long long k_racy_ns = 2'000'000'000;

long long now_ns() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<long long>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

std::string ChecksumMemo::migration_checksum(const Migration& migration) {
  if (!migration.parts.empty() || !migration.up) return source::migration_checksum(migration);
  // A compiled-in file never changes, and its path is only a label (a file of that name on disk,
  // if any, is another one): remembered by where its bytes are.
  if (migration.up->bytes) {
    const char* const bytes = migration.up->bytes->data();
    {
      const std::lock_guard<std::mutex> guard(m_mutex);
      auto found = m_compiled_in.find(bytes);
      if (found != m_compiled_in.end()) return found->second;
    }
    std::string checksum = source::migration_checksum(migration);
    const std::lock_guard<std::mutex> guard(m_mutex);
    return m_compiled_in.insert_or_assign(bytes, std::move(checksum)).first->second;
  }
  const std::string& path = migration.up->path;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return source::migration_checksum(migration);  // it says why
  const long long mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  {
    const std::lock_guard<std::mutex> guard(m_mutex);
    auto found = m_entries.find(path);
    if (found != m_entries.end() && found->second.size == static_cast<uintmax_t>(info.st_size) &&
        found->second.mtime_ns == mtime_ns && found->second.inode == info.st_ino &&
        mtime_ns < found->second.computed_ns - k_racy_ns) {
      return found->second.checksum;
    }
  }
  Entry entry;
  entry.size = static_cast<uintmax_t>(info.st_size);
  entry.mtime_ns = mtime_ns;
  entry.inode = info.st_ino;
  entry.computed_ns = now_ns();
  entry.checksum = source::migration_checksum(migration);
  const std::lock_guard<std::mutex> guard(m_mutex);
  return m_entries.insert_or_assign(path, std::move(entry)).first->second.checksum;
}

}  // namespace strata::source
