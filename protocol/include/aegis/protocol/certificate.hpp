// Certificates (docs/PROTOCOL.md §7): the national root binds an id and a role to public keys.
//
//   CertificateBody = [ 1, serial, subject_id, role, display_name, contact_route, sign_key,
//                       box_key, curve_key, not_before_ms, not_after_ms ]
//   wire form = Signed{ body, Ed25519_root(domain "AEGIS-CERTIFICATE-V1") }
#pragma once

#include <cstdint>
#include <string>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/signed.hpp"

namespace aegis::protocol {

inline constexpr std::uint64_t kCertificateVersion = 1;

enum class Role : std::uint8_t {
  authority = 1,       // a local authority daemon: signs envelopes, owns records
  index = 2,           // the national index node: signs feeds
  shield_officer = 3,  // a national shield officer: can open sealed details
};

struct Certificate {
  std::uint64_t serial = 0;     // unique per root, >= 1
  std::string subject_id;       // authority id (e.g. "kent"), index id or officer id
  Role role = Role::authority;
  std::string display_name;     // e.g. "Kent County Council", <= 200 bytes
  std::string contact_route;    // how to reach its shield team, <= 200 bytes, may be empty
  SignPublicKey sign_key{};
  BoxPublicKey box_key{};
  CurvePublicKey curve_key{};
  std::uint64_t not_before_ms = 0;
  std::uint64_t not_after_ms = 0;  // > not_before_ms
  bool valid_at(std::uint64_t t_ms) const { return t_ms >= not_before_ms && t_ms <= not_after_ms; }
  bool operator==(const Certificate&) const = default;
};

std::string_view role_name(Role r) noexcept;
// Checks every rule of §7 on a value (serial, subject id, role, text lengths, validity
// period); decoding applies the same rules. Callers check before issue_certificate.
Status check_certificate(const Certificate& c);
Bytes encode_certificate(const Certificate& c);
Result<Certificate> decode_certificate(ByteView bytes);

// Decodes a signed certificate and checks the root's signature (forged_certificate if not).
Result<Certificate> verify_certificate(const Signed& s, const SignPublicKey& root);

Signed issue_certificate(const Certificate& c, const Signer& root);

}  // namespace aegis::protocol
