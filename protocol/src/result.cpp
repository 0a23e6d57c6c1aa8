// Names of error codes, as they appear in logs, status output and test vectors.
#include "aegis/protocol/result.hpp"

namespace aegis::protocol {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::truncated: return "truncated";
    case Errc::trailing_bytes: return "trailing_bytes";
    case Errc::malformed: return "malformed";
    case Errc::non_canonical: return "non_canonical";
    case Errc::unknown_version: return "unknown_version";
    case Errc::too_large: return "too_large";
    case Errc::invalid_field: return "invalid_field";
    case Errc::unknown_signer: return "unknown_signer";
    case Errc::revoked_signer: return "revoked_signer";
    case Errc::expired_signer: return "expired_signer";
    case Errc::wrong_role: return "wrong_role";
    case Errc::bad_signature: return "bad_signature";
    case Errc::broken_chain: return "broken_chain";
    case Errc::replayed: return "replayed";
    case Errc::out_of_order: return "out_of_order";
    case Errc::bundle_expired: return "bundle_expired";
    case Errc::bundle_rolled_back: return "bundle_rolled_back";
    case Errc::forged_certificate: return "forged_certificate";
    case Errc::not_a_recipient: return "not_a_recipient";
    case Errc::seal_corrupt: return "seal_corrupt";
  }
  return "unknown";
}

}  // namespace aegis::protocol
