#pragma once

// Reading the applied files' checksums while the database is opened (the strata binary's
// migrating commands and status): a no-op `up` over 1000 applied migrations spends about 5 ms
// reading and hashing them for the drift check, and about as long again connecting, taking the
// lock and reading the version table, which the files do not depend on (docs/performance.md).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "source/loader.hpp"

namespace strata::source {

// Starts a thread that computes Source::checksum() of the source's migrations, newest first.
// checksum() hands out what the thread has computed and computes the rest itself, oldest first,
// so the two meet in the middle and no file is read twice (but the one both reach at once).
// A checksum the thread could not compute (an unreadable file) is computed again by checksum(),
// whose error says why. The destructor stops the thread at the next file and joins it; `source`
// must outlive the prefetch.
class ChecksumPrefetch {
 public:
  explicit ChecksumPrefetch(const Source& source);
  ~ChecksumPrefetch();
  ChecksumPrefetch(const ChecksumPrefetch&) = delete;
  ChecksumPrefetch& operator=(const ChecksumPrefetch&) = delete;

  // Source::checksum(migration), for a migration of the source. Not thread-safe: one caller.
  std::string checksum(const Migration& migration);

 private:
  enum Slot : int { free_slot, worker_reading, caller_reading, ready };
  void run();

  const Source& m_source;
  std::vector<std::string> m_checksums;
  std::unique_ptr<std::atomic<int>[]> m_slots;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace strata::source
