#include "core/sha256.hpp"

#include <nettle/sha2.h>

namespace strata {

// Nettle's SHA-256 (with the CPU's SHA extensions where it has them, like OpenSSL's): a small
// library whose loading costs a short command nothing worth measuring, where OpenSSL's libcrypto
// took about 1.3 ms to load and initialise, 7 % of a no-op `up` on SQLite (docs/performance.md).
struct Sha256::Impl {
  sha256_ctx ctx;
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) { sha256_init(&m_impl->ctx); }

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
  sha256_update(&m_impl->ctx, bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data()));
}

std::string Sha256::hex_digest() {
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&m_impl->ctx, SHA256_DIGEST_SIZE, digest);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(SHA256_DIGEST_SIZE * 2);
  for (uint8_t byte : digest) {
    out.push_back(k_hex[byte >> 4]);
    out.push_back(k_hex[byte & 0x0f]);
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes);
  return hash.hex_digest();
}

}  // namespace strata
