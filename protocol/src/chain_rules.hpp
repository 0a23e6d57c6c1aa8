// Internal (not installed): the signer and chain checks shared by every signed, hash-chained
// object — change envelopes (docs/PROTOCOL.md §6.4) and feed items (§13.3). Each kind differs
// only in who may sign it (a SignerRule) and in the name its errors carry.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/signed.hpp"
#include "aegis/protocol/trust_bundle.hpp"
#include "aegis/protocol/verify.hpp"

namespace aegis::protocol::detail {

// The fields of a decoded chained object that the checks read.
struct ChainedFields {
  std::string_view object;  // "envelope", "feed_item": the prefix of every error path
  std::uint64_t seq = 0;
  Hash prev_hash{};
  std::uint64_t timestamp_ms = 0;
  std::uint64_t signer_serial = 0;
};

// Who may sign one kind of object, and under which signature domain.
struct SignerRule {
  Role role;                 // the certificate's role
  std::optional<std::string_view> subject;  // if set, the certificate's subject_id must equal it
  std::string_view domain;   // kDomainEnvelope, kDomainFeed
};

// Steps 2-4 of §6.4, no cryptography: the certificate named by signer_serial exists
// (unknown_signer), has the rule's role and subject (wrong_role), is not revoked (revoked_signer)
// and is valid at now_ms and at the object's timestamp (expired_signer). Returns it.
Result<const Certificate*> check_certificate(const ChainedFields& f, const SignerRule& rule,
                                             const Trust& trust, std::uint64_t now_ms);

// Step 5 of §6.4: cert's key verifies the signature over the body exactly as received
// (bad_signature).
Status check_signature(const ChainedFields& f, const Signed& wire, const Certificate& cert,
                       const SignerRule& rule);

// Steps 2-5 of §6.4: check_certificate, then check_signature. Returns the certificate.
Result<const Certificate*> check_signer(const ChainedFields& f, const Signed& wire,
                                        const SignerRule& rule, const Trust& trust,
                                        std::uint64_t now_ms);

// Step 6 of §6.4: seq and prev_hash continue `chain` (replayed, out_of_order, broken_chain).
Status check_chain(const ChainedFields& f, const ChainState& chain);

}  // namespace aegis::protocol::detail
