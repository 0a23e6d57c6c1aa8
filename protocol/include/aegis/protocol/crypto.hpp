// The fixed cipher suite (no negotiation; a version byte changes it deliberately):
// BLAKE2b-256 hashing, Ed25519 signatures with a domain prefix per object kind, X25519 key
// agreement. Signing and long-term key agreement are interfaces: their secret keys live in
// keys/ (the only module that touches secret keys); protocol/ sees only public keys.
#pragma once

#include <optional>
#include <string_view>

#include "aegis/protocol/bytes.hpp"

namespace aegis::protocol {

// Domain separation: every signature covers DOMAIN || 0x00 || body, so a signature made for
// one kind of object can never be replayed as another kind.
inline constexpr std::string_view kDomainEnvelope = "AEGIS-ENVELOPE-V1";
inline constexpr std::string_view kDomainCertificate = "AEGIS-CERTIFICATE-V1";
inline constexpr std::string_view kDomainTrustBundle = "AEGIS-TRUST-BUNDLE-V1";

// The exact bytes an Ed25519 signature covers: domain || 0x00 || body.
Bytes signing_input(std::string_view domain, ByteView body);

// BLAKE2b with a 32-byte output, unkeyed.
Hash blake2b_256(ByteView data);

// Ed25519 verification of `signature` over signing_input(domain, body).
bool verify_signature(const SignPublicKey& key, std::string_view domain, ByteView body,
                      const Signature& signature) noexcept;

// Produces Ed25519 signatures with a secret key it keeps to itself (implemented in keys/).
class Signer {
 public:
  virtual ~Signer() = default;
  virtual SignPublicKey sign_public_key() const = 0;
  // Signs exactly `message` (callers pass signing_input(...)).
  virtual Signature sign(ByteView message) const = 0;
};

// Performs X25519 with a long-term box secret key it keeps to itself (implemented in keys/).
class KeyAgreement {
 public:
  virtual ~KeyAgreement() = default;
  virtual BoxPublicKey box_public_key() const = 0;
  // X25519(secret, peer); nullopt when the result is all zeros (small-order peer key).
  virtual std::optional<ByteArray<32>> agree(const BoxPublicKey& peer) const = 0;
};

}  // namespace aegis::protocol
