#pragma once

#include <string>
#include <string_view>

#include "core/sha256.hpp"

namespace strata::source {

// SHA-256 of a migration file's text as strata records it: a leading UTF-8 byte-order mark is
// left out and every CRLF line ending counts as LF, so a checkout with CRLF endings (Windows,
// git's autocrlf) or a BOM added by an editor is not an edit. Every other byte counts, a lone
// CR included. Fed in chunks of any size (a CRLF or the BOM may be split across two).
class TextChecksum {
 public:
  void update(std::string_view chunk);
  // Lower-case hex digest; call once, after the last update().
  std::string hex_digest();

 private:
  void hash_body(std::string_view bytes);

  Sha256 m_hash;
  std::string m_head;  // the first bytes, held until it is known whether they are a BOM
  bool m_head_done = false;
  bool m_pending_cr = false;  // the previous chunk ended with CR
};

// TextChecksum of a whole text.
std::string text_checksum(std::string_view text);

}  // namespace strata::source
