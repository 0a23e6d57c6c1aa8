// Deterministic fixtures for the seal, certificate and trust bundle tests and for
// tests/tools/gen_vectors_trust.cpp: fixed seeds, fixed times, sample certificates and bundles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sodium.h>

#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/seal.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "test_support.hpp"

namespace aegis::test::fixtures {

using namespace aegis::protocol;

inline constexpr std::uint64_t kDayMs = 24ull * 60 * 60 * 1000;
inline constexpr std::uint64_t kNowMs = 1'750'000'000'000;  // 2025-06-15T15:06:40Z

// Seed bytes: the root is seed(0x01); a root nobody trusts is seed(0x02).
inline constexpr std::uint8_t kRootSeed = 0x01;
inline constexpr std::uint8_t kOtherRootSeed = 0x02;

// The box (sealing) key of a subject whose keys come from seed byte `b`.
inline SeedKeyAgreement box_keys(std::uint8_t b) { return SeedKeyAgreement(seed(b)); }

// A certificate for a subject whose keys all derive from seed byte `b`: the Ed25519 key from
// seed(b), the box key from seed(b), the CURVE key from seed(b ^ 0x80). Valid from 30 days
// before kNowMs to 365 days after.
inline Certificate make_certificate(std::uint64_t serial, const std::string& subject_id, Role role,
                                    std::uint8_t b) {
  Certificate c;
  c.serial = serial;
  c.subject_id = subject_id;
  c.role = role;
  c.display_name = subject_id + " (test)";
  c.contact_route = role == Role::authority ? "shield team: 01622 000000" : "";
  c.sign_key = SeedSigner(seed(b)).sign_public_key();
  c.box_key = SeedKeyAgreement(seed(b)).box_public_key();
  c.curve_key = SeedKeyAgreement(seed(static_cast<std::uint8_t>(b ^ 0x80))).box_public_key();
  c.not_before_ms = kNowMs - 30 * kDayMs;
  c.not_after_ms = kNowMs + 365 * kDayMs;
  return c;
}

// The certificates of a small federation: two authorities, the index, a shield officer.
inline std::vector<Certificate> sample_certificates() {
  return {make_certificate(1, "kent", Role::authority, 0x11),
          make_certificate(2, "leeds", Role::authority, 0x12),
          make_certificate(3, "index", Role::index, 0x13),
          make_certificate(4, "so-0042", Role::shield_officer, 0x14)};
}

inline TrustBundle make_bundle(const std::vector<Certificate>& certs, const Signer& root,
                               std::uint64_t bundle_version = 7,
                               std::vector<std::uint64_t> revoked = {}) {
  TrustBundle b;
  b.bundle_version = bundle_version;
  b.issued_ms = kNowMs - kDayMs;
  b.expires_ms = kNowMs + 30 * kDayMs;
  for (const Certificate& c : certs) b.certificates.push_back(issue_certificate(c, root));
  b.revoked_serials = std::move(revoked);
  return b;
}

// Fixed seal randomness (tests and vectors only: real seals take keys::fresh_seal_randomness).
inline SealRandomness fixed_randomness(std::uint8_t b) {
  SealRandomness r;
  r.ephemeral_secret = seed(b);
  r.content_key = seed(static_cast<std::uint8_t>(b + 1));
  r.nonce.fill(static_cast<std::uint8_t>(b + 2));
  return r;
}

// X25519 public keys of small order (all-zero shared secret), from the libsodium and
// RFC 7748 lists: 0, 1, and a point of order 8.
inline std::vector<BoxPublicKey> small_order_keys() {
  std::vector<BoxPublicKey> out;
  for (const char* hex : {"0000000000000000000000000000000000000000000000000000000000000000",
                          "0100000000000000000000000000000000000000000000000000000000000000",
                          "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
                          "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"})
    out.push_back(*array_from_hex<32>(hex));
  return out;
}

// The key-encryption key of docs/PROTOCOL.md §5.3, computed straight from the document with
// libsodium, independently of seal.cpp: BLAKE2b-256("AEGIS-SEAL-KEK-V1" || 0x00 || shared ||
// eph_pk || recipient). The vectors publish it and the vectors test recomputes it.
inline ByteArray<32> spec_kek(const ByteArray<32>& shared, const BoxPublicKey& eph_pk,
                              const BoxPublicKey& recipient) {
  Bytes input{'A', 'E', 'G', 'I', 'S', '-', 'S', 'E', 'A', 'L', '-', 'K', 'E', 'K', '-', 'V', '1', 0};
  input.insert(input.end(), shared.begin(), shared.end());
  input.insert(input.end(), eph_pk.begin(), eph_pk.end());
  input.insert(input.end(), recipient.begin(), recipient.end());
  ByteArray<32> kek{};
  crypto_generichash(kek.data(), kek.size(), input.data(), input.size(), nullptr, 0);
  return kek;
}

}  // namespace aegis::test::fixtures
