// Envelope verification (docs/PROTOCOL.md §6.4): structure, signer, signature, chain — in the
// order documented in verify.hpp, each failure with its own error code — and verify_run, the
// same checks over a hash-linked run with one signature. The signer and chain checks are shared
// with feed items (chain_rules.hpp).
#include "aegis/protocol/verify.hpp"

#include "chain_rules.hpp"

namespace aegis::protocol {

namespace {

struct Decoded {
  Signed wrapper;
  Envelope envelope;

  detail::ChainedFields fields() const {
    return {"envelope", envelope.seq, envelope.prev_hash, envelope.timestamp_ms,
            envelope.signer_serial};
  }
  // An authority certificate of this very authority, under the envelope domain.
  detail::SignerRule rule() const {
    return {Role::authority, envelope.authority_id, kDomainEnvelope};
  }
};

// Step 1: structure and canonical form, wrapper first, then body.
Result<Decoded> decode(ByteView wire) {
  DecodeLimits limits;
  limits.max_input = kMaxEnvelopeSize;
  auto wrapper = decode_signed(wire, "envelope", limits);
  if (!wrapper) return wrapper.error();
  auto envelope = decode_envelope_body(wrapper->body);
  if (!envelope) return envelope.error();
  return Decoded{std::move(*wrapper), std::move(*envelope)};
}

// verify_run's fast path: steps 1-4 and 6 for every envelope, step 5 for the last one only.
// nullopt as soon as any check fails (the caller then verifies one by one).
std::optional<std::vector<VerifiedEnvelope>> verify_linked(std::span<const ByteView> wires,
                                                           const Trust& trust, ChainState chain,
                                                           std::uint64_t now_ms) {
  std::vector<VerifiedEnvelope> accepted;
  accepted.reserve(wires.size());
  for (std::size_t k = 0; k < wires.size(); ++k) {
    auto d = decode(wires[k]);
    if (!d) return std::nullopt;
    const detail::ChainedFields fields = d->fields();
    const detail::SignerRule rule = d->rule();
    auto cert = detail::check_certificate(fields, rule, trust, now_ms);
    if (!cert || !detail::check_chain(fields, chain)) return std::nullopt;
    if (k + 1 == wires.size() && !detail::check_signature(fields, d->wrapper, **cert, rule))
      return std::nullopt;
    accepted.push_back(VerifiedEnvelope{std::move(d->envelope), envelope_hash(wires[k])});
    chain = advance(chain, accepted.back());
  }
  return accepted;
}

}  // namespace

Result<VerifiedEnvelope> verify_envelope(ByteView wire, const Trust& trust,
                                         const ChainState& chain, std::uint64_t now_ms) {
  // 1. Structure and canonical form.
  auto d = decode(wire);
  if (!d) return d.error();
  const detail::ChainedFields fields = d->fields();
  // 2-5. Signer certificate: exists, an authority certificate of this very authority, not
  // revoked, valid now and at the envelope's time; then the signature over the body bytes.
  if (auto signer = detail::check_signer(fields, d->wrapper, d->rule(), trust, now_ms); !signer)
    return signer.error();

  // 6. Chain.
  if (auto chained = detail::check_chain(fields, chain); !chained) return chained.error();

  return VerifiedEnvelope{std::move(d->envelope), envelope_hash(wire)};
}

VerifiedRun verify_run(std::span<const ByteView> wires, const Trust& trust,
                       const ChainState& chain, std::uint64_t now_ms) {
  VerifiedRun run;
  if (auto linked = verify_linked(wires, trust, chain, now_ms)) {
    run.accepted = std::move(*linked);
    return run;
  }
  // Something failed: verify one by one, for exactly the per-envelope result.
  ChainState at = chain;
  for (ByteView wire : wires) {
    auto v = verify_envelope(wire, trust, at, now_ms);
    if (!v) {
      run.error = v.error();
      return run;
    }
    at = advance(at, *v);
    run.accepted.push_back(std::move(*v));
  }
  return run;
}

}  // namespace aegis::protocol
