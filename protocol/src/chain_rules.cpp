// The signer and chain checks shared by envelopes and feed items (see chain_rules.hpp).
#include "chain_rules.hpp"

#include <string>

#include "aegis/protocol/crypto.hpp"

namespace aegis::protocol::detail {

namespace {

std::string serial_text(std::uint64_t serial) { return "certificate " + std::to_string(serial); }

std::string path(const ChainedFields& f, std::string_view field) {
  return std::string(f.object) + "." + std::string(field) + ": ";
}

}  // namespace

Result<const Certificate*> check_certificate(const ChainedFields& f, const SignerRule& rule,
                                             const Trust& trust, std::uint64_t now_ms) {
  const std::string at = path(f, "signer_serial");
  const Certificate* cert = trust.by_serial(f.signer_serial);
  if (cert == nullptr)
    return make_error(Errc::unknown_signer,
                      at + serial_text(f.signer_serial) + " is not in the trust bundle");
  if (cert->role != rule.role)
    return make_error(Errc::wrong_role, at + serial_text(cert->serial) + " has role " +
                                            std::string(role_name(cert->role)) + ", not " +
                                            std::string(role_name(rule.role)));
  if (rule.subject && cert->subject_id != *rule.subject)
    return make_error(Errc::wrong_role, at + serial_text(cert->serial) + " belongs to " +
                                            cert->subject_id + ", not " +
                                            std::string(*rule.subject));
  if (trust.is_revoked(cert->serial))
    return make_error(Errc::revoked_signer, at + serial_text(cert->serial) + " is revoked");
  if (!cert->valid_at(now_ms))
    return make_error(Errc::expired_signer, at + serial_text(cert->serial) +
                                                " is not valid at the verification time");
  if (!cert->valid_at(f.timestamp_ms))
    return make_error(Errc::expired_signer, path(f, "timestamp_ms") + serial_text(cert->serial) +
                                                " was not valid at the " + std::string(f.object) +
                                                "'s time");
  return cert;
}

Status check_signature(const ChainedFields& f, const Signed& wire, const Certificate& cert,
                       const SignerRule& rule) {
  if (!verify_signature(cert.sign_key, rule.domain, wire.body, wire.signature))
    return make_error(Errc::bad_signature,
                      path(f, "signature") + "does not verify with " + serial_text(cert.serial));
  return Ok{};
}

Result<const Certificate*> check_signer(const ChainedFields& f, const Signed& wire,
                                        const SignerRule& rule, const Trust& trust,
                                        std::uint64_t now_ms) {
  Result<const Certificate*> cert = check_certificate(f, rule, trust, now_ms);
  if (!cert) return cert.error();
  if (Status s = check_signature(f, wire, **cert, rule); !s) return s.error();
  return *cert;
}

Status check_chain(const ChainedFields& f, const ChainState& chain) {
  if (f.seq <= chain.last_seq)
    return make_error(Errc::replayed, path(f, "seq") + std::to_string(f.seq) +
                                          " already accepted (last " +
                                          std::to_string(chain.last_seq) + ")");
  if (f.seq != chain.last_seq + 1)
    return make_error(Errc::out_of_order, path(f, "seq") + std::to_string(f.seq) +
                                              ", expected " + std::to_string(chain.last_seq + 1));
  if (f.prev_hash != chain.last_hash)
    return make_error(Errc::broken_chain, path(f, "prev_hash") + "not the hash of " +
                                              std::string(f.object) + " " +
                                              std::to_string(chain.last_seq));
  return Ok{};
}

}  // namespace aegis::protocol::detail
