#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "source/loader.hpp"

namespace strata::source {

// Checksums of migration files already read, for a process that checks the same files again and
// again (the library: every `up` compares each applied file with its recorded checksum). An entry
// is reused only while the file's size, modification time and inode are what they were, and only
// when that modification time lies more than 2 s before the moment the checksum was computed, so
// an edit made within the same clock tick as the read (coarse file-system clocks) is never missed
// (git's "racy" rule). A compiled-in file (MigrationFile::bytes) is never looked for on disk.
// Thread-safe.
class ChecksumMemo {
 public:
  // migration_checksum(migration), from the memo when the file is unchanged. Throws like it.
  std::string migration_checksum(const Migration& migration);

 private:
  struct Entry {
    uintmax_t size = 0;
    long long mtime_ns = 0;
    unsigned long long inode = 0;
    long long computed_ns = 0;  // when it was read (CLOCK_REALTIME, as mtime)
    std::string checksum;
  };
  std::mutex m_mutex;
  std::map<std::string, Entry> m_entries;
  std::map<const char*, std::string> m_compiled_in;  // by the address of the file's bytes
};

}  // namespace strata::source
