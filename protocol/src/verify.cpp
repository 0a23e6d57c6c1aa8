// Envelope verification (docs/PROTOCOL.md §6.4): structure, signer, signature, chain — in the
// order documented in verify.hpp, each failure with its own error code.
#include "aegis/protocol/verify.hpp"

namespace aegis::protocol {

namespace {

std::string serial_text(std::uint64_t serial) { return "certificate " + std::to_string(serial); }

// Steps 2-4: the certificate named by signer_serial may sign this envelope now.
Result<const Certificate*> find_signer(const Envelope& e, const Trust& trust,
                                       std::uint64_t now_ms) {
  const Certificate* cert = trust.by_serial(e.signer_serial);
  if (cert == nullptr)
    return make_error(Errc::unknown_signer,
                      "envelope.signer_serial: " + serial_text(e.signer_serial) +
                          " is not in the trust bundle");
  if (cert->role != Role::authority)
    return make_error(Errc::wrong_role, "envelope.signer_serial: " + serial_text(cert->serial) +
                                            " has role " + std::string(role_name(cert->role)) +
                                            ", not authority");
  if (cert->subject_id != e.authority_id)
    return make_error(Errc::wrong_role, "envelope.signer_serial: " + serial_text(cert->serial) +
                                            " belongs to another authority");
  if (trust.is_revoked(cert->serial))
    return make_error(Errc::revoked_signer,
                      "envelope.signer_serial: " + serial_text(cert->serial) + " is revoked");
  if (!cert->valid_at(now_ms))
    return make_error(Errc::expired_signer, "envelope.signer_serial: " +
                                                serial_text(cert->serial) +
                                                " is not valid at the verification time");
  if (!cert->valid_at(e.timestamp_ms))
    return make_error(Errc::expired_signer, "envelope.timestamp_ms: " +
                                                serial_text(cert->serial) +
                                                " was not valid at the envelope's time");
  return cert;
}

// Step 6: seq and prev_hash continue what the receiver already accepted.
Status check_chain(const Envelope& e, const ChainState& chain) {
  if (e.seq <= chain.last_seq)
    return make_error(Errc::replayed, "envelope.seq: " + std::to_string(e.seq) +
                                          " already accepted (last " +
                                          std::to_string(chain.last_seq) + ")");
  if (e.seq != chain.last_seq + 1)
    return make_error(Errc::out_of_order, "envelope.seq: " + std::to_string(e.seq) +
                                              ", expected " + std::to_string(chain.last_seq + 1));
  if (e.prev_hash != chain.last_hash)
    return make_error(Errc::broken_chain,
                      "envelope.prev_hash: not the hash of envelope " +
                          std::to_string(chain.last_seq));
  return Ok{};
}

}  // namespace

Result<VerifiedEnvelope> verify_envelope(ByteView wire, const Trust& trust,
                                         const ChainState& chain, std::uint64_t now_ms) {
  // 1. Structure and canonical form, wrapper first, then body.
  DecodeLimits limits;
  limits.max_input = kMaxEnvelopeSize;
  auto wrapper = decode_signed(wire, "envelope", limits);
  if (!wrapper) return wrapper.error();
  auto envelope = decode_envelope_body(wrapper->body);
  if (!envelope) return envelope.error();

  // 2-4. Signer certificate: exists, right role and authority, not revoked, valid in time.
  auto signer = find_signer(*envelope, trust, now_ms);
  if (!signer) return signer.error();

  // 5. Signature over the body bytes exactly as received.
  if (!verify_signature((*signer)->sign_key, kDomainEnvelope, wrapper->body, wrapper->signature))
    return make_error(Errc::bad_signature,
                      "envelope.signature: does not verify with " +
                          serial_text((*signer)->serial));

  // 6. Chain.
  if (auto chained = check_chain(*envelope, chain); !chained) return chained.error();

  return VerifiedEnvelope{std::move(*envelope), envelope_hash(wire)};
}

}  // namespace aegis::protocol
