// BLAKE2b-256, domain-separated Ed25519 verification (public keys only: no secrets here).
#include "aegis/protocol/crypto.hpp"

#include <sodium.h>

namespace aegis::protocol {

Bytes signing_input(std::string_view domain, ByteView body) {
  Bytes m;
  m.reserve(domain.size() + 1 + body.size());
  m.insert(m.end(), domain.begin(), domain.end());
  m.push_back(0x00);
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

Hash blake2b_256(ByteView data) {
  Hash h{};
  crypto_generichash(h.data(), h.size(), data.data(), data.size(), nullptr, 0);
  return h;
}

bool verify_signature(const SignPublicKey& key, std::string_view domain, ByteView body,
                      const Signature& signature) noexcept {
  try {
    Bytes m = signing_input(domain, body);
    return crypto_sign_verify_detached(signature.data(), m.data(), m.size(), key.data()) == 0;
  } catch (...) {
    return false;
  }
}

}  // namespace aegis::protocol
