// The trust bundle (docs/PROTOCOL.md §8): the root-signed list of certificates and revoked
// serials that every node trusts, with a monotonic version and an expiry.
//
//   TrustBundleBody = [ 1, bundle_version, issued_ms, expires_ms, [Signed certificate...],
//                       [revoked serial...] ]
//   wire form = Signed{ body, Ed25519_root(domain "AEGIS-TRUST-BUNDLE-V1") }
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/signed.hpp"

namespace aegis::protocol {

inline constexpr std::uint64_t kTrustBundleVersion = 1;
inline constexpr std::size_t kMaxBundleCertificates = 1024;
inline constexpr std::size_t kMaxRevoked = 4096;

struct TrustBundle {
  std::uint64_t bundle_version = 0;  // strictly increasing per root
  std::uint64_t issued_ms = 0;
  std::uint64_t expires_ms = 0;
  std::vector<Signed> certificates;  // each a signed certificate; serials distinct
  std::vector<std::uint64_t> revoked_serials;  // ascending, distinct
  bool operator==(const TrustBundle&) const = default;
};

Bytes encode_trust_bundle_body(const TrustBundle& b);
Result<TrustBundle> decode_trust_bundle_body(ByteView bytes);
// Signs the bundle with the root and returns the wire bytes (encoded Signed).
Bytes issue_trust_bundle(const TrustBundle& b, const Signer& root);

// A verified bundle: what every other check consults.
class Trust {
 public:
  Trust() = default;
  Trust(TrustBundle bundle, std::vector<Certificate> certs);

  std::uint64_t version() const { return bundle_.bundle_version; }
  std::uint64_t expires_ms() const { return bundle_.expires_ms; }
  const std::vector<Certificate>& certificates() const { return certs_; }
  const Certificate* by_serial(std::uint64_t serial) const;
  bool is_revoked(std::uint64_t serial) const;
  // Certificates of `role` that are unrevoked and valid at `now_ms`.
  std::vector<const Certificate*> active(Role role, std::uint64_t now_ms) const;
  // The active certificate of `subject_id` in `role` at `now_ms` (the newest serial if several).
  const Certificate* active_subject(std::string_view subject_id, Role role,
                                    std::uint64_t now_ms) const;

 private:
  TrustBundle bundle_;
  std::vector<Certificate> certs_;
};

// Verifies a bundle's wire bytes against the pinned root key: root signature (bad_signature),
// every certificate's signature (forged_certificate), expiry at now_ms (bundle_expired), and
// version >= min_version (bundle_rolled_back).
Result<Trust> verify_trust_bundle(ByteView bytes, const SignPublicKey& root, std::uint64_t now_ms,
                                  std::uint64_t min_version);

}  // namespace aegis::protocol
