#include "source/checksum_prefetch.hpp"

namespace strata::source {

ChecksumPrefetch::ChecksumPrefetch(const Source& source)
    : m_source(source),
      m_checksums(source.migrations().size()),
      m_slots(std::make_unique<std::atomic<int>[]>(source.migrations().size())) {
  for (size_t i = 0; i < m_checksums.size(); ++i) m_slots[i].store(free_slot, std::memory_order_relaxed);
  if (!m_checksums.empty()) m_thread = std::thread([this] { run(); });
}

ChecksumPrefetch::~ChecksumPrefetch() {
  m_stop.store(true, std::memory_order_relaxed);
  if (m_thread.joinable()) m_thread.join();
}

void ChecksumPrefetch::run() {
  const std::vector<Migration>& migrations = m_source.migrations();
  for (size_t i = migrations.size(); i-- > 0 && !m_stop.load(std::memory_order_relaxed);) {
    int expected = free_slot;
    if (!m_slots[i].compare_exchange_strong(expected, worker_reading, std::memory_order_acq_rel)) continue;
    try {
      m_checksums[i] = m_source.checksum(migrations[i]);
      m_slots[i].store(ready, std::memory_order_release);
    } catch (...) {  // left to checksum(), which reports it
      m_slots[i].store(caller_reading, std::memory_order_release);
    }
  }
}

std::string ChecksumPrefetch::checksum(const Migration& migration) {
  const std::vector<Migration>& migrations = m_source.migrations();
  const size_t i = static_cast<size_t>(&migration - migrations.data());
  if (i >= migrations.size()) return m_source.checksum(migration);  // not one of the source's
  int expected = free_slot;
  if (m_slots[i].compare_exchange_strong(expected, caller_reading, std::memory_order_acq_rel)) {
    return m_source.checksum(migration);
  }
  if (expected == ready) return m_checksums[i];
  return m_source.checksum(migration);  // the thread is reading it this moment, or failed to
}

}  // namespace strata::source
