// Shield sealing (docs/PROTOCOL.md §5): multi-recipient X25519 key wrapping and
// XChaCha20-Poly1305 content encryption, and the canonical encoding of a SealedBlob.
#include "aegis/protocol/seal.hpp"

#include <algorithm>
#include <string>

#include <sodium.h>

#include "aegis/protocol/codec.hpp"
#include "decode_rules.hpp"

namespace aegis::protocol {

namespace {

constexpr std::uint64_t kSealVersion = 1;
constexpr std::string_view kSealContextLabel = "AEGIS-SEAL-V1";
constexpr std::string_view kKekLabel = "AEGIS-SEAL-KEK-V1";
constexpr std::size_t kKeySize = 32;
constexpr std::size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;
// KEK input: label || 0x00 || shared (32) || eph_pk (32) || recipient (32) = 114 bytes.
constexpr std::size_t kKekInputSize = kKekLabel.size() + 1 + 3 * kKeySize;

static_assert(kTagSize == 16 && kWrappedKeySize == kKeySize + kTagSize);
static_assert(kSealNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kKeySize == crypto_scalarmult_BYTES && kKeySize == crypto_scalarmult_SCALARBYTES);

// Wipes a secret when it goes out of scope, on every path.
template <std::size_t N>
struct Wiped {
  ByteArray<N> bytes{};
  Wiped() = default;
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  ~Wiped() { sodium_memzero(bytes.data(), bytes.size()); }
  std::uint8_t* data() { return bytes.data(); }
  const std::uint8_t* data() const { return bytes.data(); }
};

// kek = BLAKE2b-256(kKekLabel || 0x00 || shared || eph_pk || recipient).
void derive_kek(const ByteArray<32>& shared, const BoxPublicKey& eph_pk,
                const BoxPublicKey& recipient, Wiped<kKeySize>& kek) {
  Wiped<kKekInputSize> input;
  std::uint8_t* p = input.data();
  p = std::copy(kKekLabel.begin(), kKekLabel.end(), p);
  *p++ = 0x00;
  p = std::copy(shared.begin(), shared.end(), p);
  p = std::copy(eph_pk.begin(), eph_pk.end(), p);
  std::copy(recipient.begin(), recipient.end(), p);
  crypto_generichash(kek.data(), kKeySize, input.data(), kKekInputSize, nullptr, 0);
}

// The key wrap uses an all-zero nonce: each kek is derived from a fresh ephemeral key and
// encrypts exactly one message (see docs/PROTOCOL.md §5.3).
const ByteArray<kSealNonceSize> kZeroNonce{};

std::string recipient_path(std::size_t i) { return "seal.recipients[" + std::to_string(i) + "]"; }

}  // namespace

Bytes seal_context(std::string_view authority_id, std::string_view record_id) {
  Bytes c(kSealContextLabel.size() + 1 + authority_id.size() + 1 + record_id.size());
  auto p = std::copy(kSealContextLabel.begin(), kSealContextLabel.end(), c.begin());
  *p++ = 0x00;
  p = std::copy(authority_id.begin(), authority_id.end(), p);
  *p++ = 0x00;
  std::copy(record_id.begin(), record_id.end(), p);
  return c;
}

Result<SealedBlob> seal(ByteView plaintext, ByteView context,
                        std::span<const BoxPublicKey> recipients, const SealRandomness& rnd) {
  if (recipients.empty() || recipients.size() > kMaxSealRecipients)
    return make_error(Errc::invalid_field, "seal.recipients: " +
                                               std::to_string(recipients.size()) +
                                               " recipients, expected 1.." +
                                               std::to_string(kMaxSealRecipients));
  for (std::size_t i = 0; i < recipients.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (recipients[i] == recipients[j])
        return make_error(Errc::invalid_field, recipient_path(i) + ": same key as recipients[" +
                                                   std::to_string(j) + "]");

  SealedBlob blob;
  blob.nonce = rnd.nonce;
  if (crypto_scalarmult_base(blob.ephemeral.data(), rnd.ephemeral_secret.data()) != 0)
    return make_error(Errc::invalid_field, "seal.ephemeral_secret: unusable scalar");

  blob.recipients.reserve(recipients.size());
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const BoxPublicKey& r = recipients[i];
    Wiped<kKeySize> shared;
    // libsodium returns -1 when the result is all zeros, i.e. `r` has small order.
    if (crypto_scalarmult(shared.data(), rnd.ephemeral_secret.data(), r.data()) != 0)
      return make_error(Errc::invalid_field, recipient_path(i) + ": small-order public key");
    Wiped<kKeySize> kek;
    derive_kek(shared.bytes, blob.ephemeral, r, kek);
    SealRecipient entry;
    entry.recipient = r;
    unsigned long long wrapped_len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(entry.wrapped_key.data(), &wrapped_len,
                                               rnd.content_key.data(), kKeySize, nullptr, 0,
                                               nullptr, kZeroNonce.data(), kek.data());
    blob.recipients.push_back(entry);
  }

  blob.ciphertext.resize(plaintext.size() + kTagSize);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(blob.ciphertext.data(), &ct_len, plaintext.data(),
                                             plaintext.size(), context.data(), context.size(),
                                             nullptr, blob.nonce.data(), rnd.content_key.data());
  blob.ciphertext.resize(static_cast<std::size_t>(ct_len));
  return blob;
}

Result<Bytes> open(const SealedBlob& blob, ByteView context, const KeyAgreement& me) {
  const BoxPublicKey my_key = me.box_public_key();
  auto entry = std::find_if(blob.recipients.begin(), blob.recipients.end(),
                            [&](const SealRecipient& r) { return r.recipient == my_key; });
  if (entry == blob.recipients.end())
    return make_error(Errc::not_a_recipient, "seal.recipients: no entry for this key");
  if (blob.ciphertext.size() < kTagSize)
    return make_error(Errc::seal_corrupt, "seal.ciphertext: shorter than the tag");

  Wiped<kKeySize> content_key;
  {
    std::optional<ByteArray<32>> shared = me.agree(blob.ephemeral);
    if (!shared) return make_error(Errc::seal_corrupt, "seal.ephemeral: small-order public key");
    Wiped<kKeySize> kek;
    derive_kek(*shared, blob.ephemeral, my_key, kek);
    sodium_memzero(shared->data(), shared->size());
    unsigned long long key_len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(content_key.data(), &key_len, nullptr,
                                                   entry->wrapped_key.data(), kWrappedKeySize,
                                                   nullptr, 0, kZeroNonce.data(),
                                                   kek.data()) != 0 ||
        key_len != kKeySize)
      return make_error(Errc::seal_corrupt,
                        "seal.recipients[" +
                            std::to_string(entry - blob.recipients.begin()) +
                            "].wrapped_key: authentication failed");
  }

  Bytes plaintext(blob.ciphertext.size() - kTagSize);
  unsigned long long pt_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plaintext.data(), &pt_len, nullptr,
                                                 blob.ciphertext.data(), blob.ciphertext.size(),
                                                 context.data(), context.size(), blob.nonce.data(),
                                                 content_key.data()) != 0)
    return make_error(Errc::seal_corrupt,
                      "seal.ciphertext: authentication failed (tampered, or another record)");
  plaintext.resize(static_cast<std::size_t>(pt_len));
  return plaintext;
}

Result<SealedBlob> seal_details(const ChildDetails& details, std::string_view authority_id,
                                std::string_view record_id,
                                std::span<const BoxPublicKey> recipients,
                                const SealRandomness& rnd) {
  Bytes plaintext = encode_child_details(details);
  Result<SealedBlob> blob = seal(plaintext, seal_context(authority_id, record_id), recipients, rnd);
  sodium_memzero(plaintext.data(), plaintext.size());
  return blob;
}

Result<ChildDetails> open_details(const SealedBlob& blob, std::string_view authority_id,
                                  std::string_view record_id, const KeyAgreement& me) {
  Result<Bytes> plaintext = open(blob, seal_context(authority_id, record_id), me);
  if (!plaintext) return plaintext.error();
  Result<ChildDetails> details = decode_child_details(*plaintext);
  sodium_memzero(plaintext->data(), plaintext->size());
  return details;
}

void write_sealed_blob(Writer& w, const SealedBlob& b) {
  w.array(5);
  w.uint(kSealVersion);
  w.bin(b.ephemeral);
  w.bin(b.nonce);
  w.array(static_cast<std::uint32_t>(b.recipients.size()));
  for (const SealRecipient& r : b.recipients) {
    w.array(2);
    w.bin(r.recipient);
    w.bin(r.wrapped_key);
  }
  w.bin(b.ciphertext);
}

SealedBlob read_sealed_blob(const Node& n) {
  SealedBlob b;
  ArrayNode a = detail::read_versioned_struct(n, kSealVersion, 5);
  b.ephemeral = a.field(1, "ephemeral").as_fixed_bin<kBoxPublicKeySize>();
  b.nonce = a.field(2, "nonce").as_fixed_bin<kSealNonceSize>();
  Node list = a.field(3, "recipients");
  auto entries = list.as_array(0, kMaxSealRecipients);
  if (!n.context().failed() && entries.size() == 0)
    list.fail(Errc::invalid_field, "no recipients, expected 1.." +
                                       std::to_string(kMaxSealRecipients));
  for (std::size_t i = 0; i < entries.size() && !n.context().failed(); ++i) {
    Node item = entries.item(i);
    ArrayNode pair = detail::read_struct(item, 2);
    SealRecipient r;
    r.recipient = pair.field(0, "recipient").as_fixed_bin<kBoxPublicKeySize>();
    r.wrapped_key = pair.field(1, "wrapped_key").as_fixed_bin<kWrappedKeySize>();
    for (std::size_t j = 0; j < b.recipients.size() && !n.context().failed(); ++j)
      if (b.recipients[j].recipient == r.recipient)
        item.fail(Errc::invalid_field, "same recipient key as entry " + std::to_string(j));
    b.recipients.push_back(r);
  }
  Node ct = a.field(4, "ciphertext");
  b.ciphertext = ct.as_bin(DecodeLimits{}.max_bin);
  if (!n.context().failed() && b.ciphertext.size() < kTagSize)
    ct.fail(Errc::invalid_field, std::to_string(b.ciphertext.size()) +
                                     " bytes, shorter than the 16-byte tag");
  return b;
}

Bytes encode_sealed_blob(const SealedBlob& b) {
  Writer w;
  write_sealed_blob(w, b);
  return w.take();
}

Result<SealedBlob> decode_sealed_blob(ByteView bytes) {
  return decode_canonical<SealedBlob>(bytes, DecodeLimits{}, "seal", read_sealed_blob,
                                      encode_sealed_blob);
}

}  // namespace aegis::protocol
