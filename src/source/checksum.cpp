#include "source/checksum.hpp"

namespace strata::source {

namespace {
constexpr std::string_view k_bom = "\xEF\xBB\xBF";
}

void TextChecksum::update(std::string_view chunk) {
  if (!m_head_done) {
    const size_t take = std::min(chunk.size(), k_bom.size() - m_head.size());
    m_head.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    if (m_head.size() < k_bom.size() && k_bom.substr(0, m_head.size()) == m_head) return;  // undecided yet
    m_head_done = true;
    if (m_head != k_bom) hash_body(m_head);
    m_head.clear();
  }
  hash_body(chunk);
}

void TextChecksum::hash_body(std::string_view bytes) {
  if (bytes.empty()) return;
  if (m_pending_cr) {
    m_pending_cr = false;
    if (bytes.front() != '\n') m_hash.update("\r");  // a lone CR counts
  }
  size_t start = 0;
  for (size_t cr = bytes.find('\r'); cr != std::string_view::npos; cr = bytes.find('\r', start)) {
    m_hash.update(bytes.substr(start, cr - start));
    if (cr + 1 == bytes.size()) {
      m_pending_cr = true;  // decided by the next chunk
      return;
    }
    if (bytes[cr + 1] != '\n') m_hash.update("\r");
    start = cr + 1;
  }
  m_hash.update(bytes.substr(start));
}

std::string TextChecksum::hex_digest() {
  if (!m_head_done && !m_head.empty()) hash_body(m_head);  // a file shorter than a BOM
  if (m_pending_cr) m_hash.update("\r");
  return m_hash.hex_digest();
}

std::string text_checksum(std::string_view text) {
  TextChecksum checksum;
  checksum.update(text);
  return checksum.hex_digest();
}

}  // namespace strata::source
