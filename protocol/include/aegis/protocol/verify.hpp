// Envelope verification (docs/PROTOCOL.md §6.4): the one function every receiver calls before
// it stores anything. Checks, in this order, each with its own error code:
//   1. structure and canonical form of the wrapper and body    -> malformed, non_canonical, ...
//   2. signer certificate exists, names this authority          -> unknown_signer, wrong_role
//   3. certificate not revoked                                  -> revoked_signer
//   4. certificate valid at now_ms and at the envelope time     -> expired_signer
//   5. Ed25519 signature over the exact body bytes              -> bad_signature
//   6. seq and prev_hash continue the chain                     -> replayed, out_of_order,
//                                                                  broken_chain
#pragma once

#include <cstdint>

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

// Advances the chain over an accepted envelope.
inline ChainState advance(const ChainState&, const VerifiedEnvelope& v) {
  return ChainState{v.envelope.seq, v.hash};
}

}  // namespace aegis::protocol
