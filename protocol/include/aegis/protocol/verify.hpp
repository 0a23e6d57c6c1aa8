// Envelope verification (docs/PROTOCOL.md §6.4): the one function every receiver calls before
// it stores anything. Checks, in this order, each with its own error code:
//   1. structure and canonical form of the wrapper and body    -> malformed, non_canonical, ...
//   2. signer certificate exists, names this authority          -> unknown_signer, wrong_role
//   3. certificate not revoked                                  -> revoked_signer
//   4. certificate valid at now_ms and at the envelope time     -> expired_signer
//   5. Ed25519 signature over the exact body bytes              -> bad_signature
//   6. seq and prev_hash continue the chain                     -> replayed, out_of_order,
//                                                                  broken_chain
//
// verify_run verifies a contiguous run of one authority's envelopes with one signature check
// (§6.4, "Runs"): envelope k+1's signed body holds prev_hash = envelope_hash of envelope k's
// whole wire bytes, body and signature, so a valid signature on the run's last envelope, whose
// links have all been checked, covers every earlier envelope's exact bytes back to the chain
// head the receiver already accepted. The rule:
//   - every envelope gets steps 1-4 (structure, certificate: no cryptography) and step 6
//     (its seq and prev_hash against the previous envelope's computed hash);
//   - only the last envelope gets step 5 (its Ed25519 signature);
//   - if any of these checks fails, anywhere, the whole run is verified again with
//     verify_envelope one by one, so the accepted prefix and the first error (code and detail)
//     are exactly those of per-envelope verification.
// The one run it accepts that per-envelope verification would not: an earlier envelope whose
// own signature is invalid while a later one, signed by a valid key of the same authority,
// chains to it. Only that authority's key holder can make such a run; `aegis index verify`,
// which checks every signature, reports it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/envelope.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/trust_bundle.hpp"

namespace aegis::protocol {

// What the receiver has already accepted from one authority.
struct ChainState {
  std::uint64_t last_seq = 0;  // 0 = nothing yet
  Hash last_hash{};            // zeros when last_seq == 0
};

struct VerifiedEnvelope {
  Envelope envelope;
  Hash hash{};  // envelope_hash of the wire bytes: the next chain state's last_hash
};

Result<VerifiedEnvelope> verify_envelope(ByteView wire, const Trust& trust,
                                         const ChainState& chain, std::uint64_t now_ms);

// What verify_run accepted: the envelopes verify_envelope would accept one by one, in order,
// and, if it stopped early, the error of wires[accepted.size()].
struct VerifiedRun {
  std::vector<VerifiedEnvelope> accepted;
  std::optional<Error> error;
};

// Verifies wires[0], wires[1]... as consecutive envelopes after `chain`, all at now_ms, with the
// result of calling verify_envelope on each in order (advancing the chain, stopping at the first
// error) but, when all are valid, only the last one's signature computed (see above).
VerifiedRun verify_run(std::span<const ByteView> wires, const Trust& trust,
                       const ChainState& chain, std::uint64_t now_ms);

// Advances the chain over an accepted envelope.
inline ChainState advance(const ChainState&, const VerifiedEnvelope& v) {
  return ChainState{v.envelope.seq, v.hash};
}

}  // namespace aegis::protocol
