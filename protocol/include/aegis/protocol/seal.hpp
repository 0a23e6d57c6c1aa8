// Shield sealing (docs/PROTOCOL.md §5): the ChildDetails of a shielded child are encrypted so
// that only the owning authority and the national shield officers can read them — never the
// index. Pure: the caller passes the recipients' public keys and fresh randomness.
//
// Construction (one fixed suite):
//   eph_pk = X25519_base(eph_sk)
//   for each recipient R: shared = X25519(eph_sk, R); kek = BLAKE2b-256("AEGIS-SEAL-KEK-V1" ||
//     0x00 || shared || eph_pk || R); wrapped = XChaCha20-Poly1305(kek, nonce=0^24, aad="", K)
//   ciphertext = XChaCha20-Poly1305(K, nonce, aad=seal_context(authority, record), plaintext)
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/record.hpp"
#include "aegis/protocol/result.hpp"

namespace aegis::protocol {

inline constexpr std::size_t kMaxSealRecipients = 16;
inline constexpr std::size_t kWrappedKeySize = 32 + 16;  // key + Poly1305 tag
inline constexpr std::size_t kSealNonceSize = 24;

struct SealRecipient {
  BoxPublicKey recipient{};
  ByteArray<kWrappedKeySize> wrapped_key{};
  bool operator==(const SealRecipient&) const = default;
};

struct SealedBlob {
  BoxPublicKey ephemeral{};
  ByteArray<kSealNonceSize> nonce{};
  std::vector<SealRecipient> recipients;  // 1..16, distinct
  Bytes ciphertext;                       // plaintext + 16-byte tag
  bool operator==(const SealedBlob&) const = default;
};

// Fresh randomness for one seal. Every field MUST be new random bytes for every seal.
struct SealRandomness {
  ByteArray<32> ephemeral_secret{};
  ByteArray<32> content_key{};
  ByteArray<kSealNonceSize> nonce{};
};

// The associated data binding a sealed blob to one record of one authority:
// "AEGIS-SEAL-V1" || 0x00 || authority_id || 0x00 || record_id.
Bytes seal_context(std::string_view authority_id, std::string_view record_id);

Result<SealedBlob> seal(ByteView plaintext, ByteView context,
                        std::span<const BoxPublicKey> recipients, const SealRandomness& rnd);
// not_a_recipient when `me` has no entry; seal_corrupt when authentication fails.
Result<Bytes> open(const SealedBlob& blob, ByteView context, const KeyAgreement& me);

// Details-level helpers: seal the canonical encoding of ChildDetails / open and decode it.
Result<SealedBlob> seal_details(const ChildDetails& details, std::string_view authority_id,
                                std::string_view record_id,
                                std::span<const BoxPublicKey> recipients,
                                const SealRandomness& rnd);
Result<ChildDetails> open_details(const SealedBlob& blob, std::string_view authority_id,
                                  std::string_view record_id, const KeyAgreement& me);

class Writer;
class Node;
void write_sealed_blob(Writer& w, const SealedBlob& b);
SealedBlob read_sealed_blob(const Node& n);
// The blob as a whole value (test vectors, tools); envelopes nest it with write/read above.
Bytes encode_sealed_blob(const SealedBlob& b);
Result<SealedBlob> decode_sealed_blob(ByteView bytes);

}  // namespace aegis::protocol
