#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace strata {

// Incremental SHA-256 (Nettle) so files can be hashed while they are streamed.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  // Lower-case hex digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

std::string sha256_hex(std::string_view bytes);

}  // namespace strata
