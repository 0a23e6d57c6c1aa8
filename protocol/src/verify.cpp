// Envelope verification (docs/PROTOCOL.md §6.4): structure, signer, signature, chain — in the
// order documented in verify.hpp, each failure with its own error code. The signer and chain
// checks are shared with feed items (chain_rules.hpp).
#include "aegis/protocol/verify.hpp"

#include "chain_rules.hpp"

namespace aegis::protocol {

Result<VerifiedEnvelope> verify_envelope(ByteView wire, const Trust& trust,
                                         const ChainState& chain, std::uint64_t now_ms) {
  // 1. Structure and canonical form, wrapper first, then body.
  DecodeLimits limits;
  limits.max_input = kMaxEnvelopeSize;
  auto wrapper = decode_signed(wire, "envelope", limits);
  if (!wrapper) return wrapper.error();
  auto envelope = decode_envelope_body(wrapper->body);
  if (!envelope) return envelope.error();

  const detail::ChainedFields fields{"envelope", envelope->seq, envelope->prev_hash,
                                     envelope->timestamp_ms, envelope->signer_serial};
  // 2-5. Signer certificate: exists, an authority certificate of this very authority, not
  // revoked, valid now and at the envelope's time; then the signature over the body bytes.
  const detail::SignerRule rule{Role::authority, envelope->authority_id, kDomainEnvelope};
  if (auto signer = detail::check_signer(fields, *wrapper, rule, trust, now_ms); !signer)
    return signer.error();

  // 6. Chain.
  if (auto chained = detail::check_chain(fields, chain); !chained) return chained.error();

  return VerifiedEnvelope{std::move(*envelope), envelope_hash(wire)};
}

}  // namespace aegis::protocol
