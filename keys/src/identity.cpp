// Identity (Ed25519 signing + X25519 box + X25519 CURVE keys) and RootKey (Ed25519): generation,
// deterministic derivation from a seed, signing and key agreement. Secrets stay in SecretBuffer.
#include <sodium.h>

#include <cassert>
#include <cstring>

#include "aegis/protocol/record.hpp"
#include "internal.hpp"

namespace aegis::keys {
namespace {

// Offsets in an Identity's secret: sign sk (64) | box sk (32) | curve sk (32).
constexpr std::size_t kSignSecretSize = crypto_sign_SECRETKEYBYTES;  // seed || public key
constexpr std::size_t kBoxOffset = kSignSecretSize;
constexpr std::size_t kCurveOffset = kBoxOffset + kSeedSize;
constexpr std::size_t kIdentitySecretSize = kCurveOffset + kSeedSize;
static_assert(kSignSecretSize == 64 && kIdentitySecretSize == 128);

// Labels for from_seed: each key's 32-byte secret is BLAKE2b-256 keyed by the seed over its label.
constexpr std::string_view kLabelSign = "aegis-sign";
constexpr std::string_view kLabelBox = "aegis-box";
constexpr std::string_view kLabelCurve = "aegis-curve";

void derive(std::uint8_t* out, const ByteArray<32>& seed, std::string_view label) {
  crypto_generichash(out, kSeedSize, reinterpret_cast<const std::uint8_t*>(label.data()),
                     label.size(), seed.data(), seed.size());
}

// Expands an Ed25519 seed into the 64-byte secret key at `sk`; returns the public key.
SignPublicKey expand_sign_seed(std::uint8_t* sk, const std::uint8_t* seed) {
  SignPublicKey pk{};
  crypto_sign_seed_keypair(pk.data(), sk, seed);
  return pk;
}

ByteArray<32> x25519_public(const std::uint8_t* secret) {
  ByteArray<32> pk{};
  crypto_scalarmult_base(pk.data(), secret);
  return pk;
}

Signature sign_with(const SecretBuffer& secret, ByteView message) {
  Signature sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret.data());
  return sig;
}

}  // namespace

bool valid_role(Role role) {
  return role == Role::authority || role == Role::index || role == Role::shield_officer;
}

// ---- Identity ------------------------------------------------------------------------------

Identity::Identity(std::string subject_id, Role role, std::unique_ptr<SecretBuffer> secret)
    : subject_id_(std::move(subject_id)), role_(role), secret_(std::move(secret)) {
  assert(secret_ && secret_->size() == kIdentitySecretSize);
  crypto_sign_ed25519_sk_to_pk(sign_pk_.data(), secret_->data());
  box_pk_ = x25519_public(secret_->data() + kBoxOffset);
  curve_pk_ = x25519_public(secret_->data() + kCurveOffset);
}

Identity::Identity(Identity&&) noexcept = default;
Identity& Identity::operator=(Identity&&) noexcept = default;
Identity::~Identity() = default;

Result<Identity> IdentityFiles::make_identity(std::string subject_id, Role role, ByteView seeds) {
  assert(seeds.size() == kIdentitySeedsSize);
  if (!protocol::valid_authority_id(subject_id)) {
    return key_error(KeyErrc::invalid_argument,
                     "subject id \"" + subject_id +
                         "\" is not valid (1..32 of a-z, 0-9, '-', not starting or ending "
                         "with '-')");
  }
  if (!valid_role(role)) return key_error(KeyErrc::invalid_argument, "unknown role");
  auto secret = make_secret(kIdentitySecretSize);
  expand_sign_seed(secret->data(), seeds.data());
  std::memcpy(secret->data() + kBoxOffset, seeds.data() + kSeedSize, kSeedSize);
  std::memcpy(secret->data() + kCurveOffset, seeds.data() + 2 * kSeedSize, kSeedSize);
  return Identity(std::move(subject_id), role, std::move(secret));
}

std::unique_ptr<SecretBuffer> IdentityFiles::seeds_of(const Identity& id) {
  auto seeds = make_secret(kIdentitySeedsSize);
  crypto_sign_ed25519_sk_to_seed(seeds->data(), id.secret_->data());
  std::memcpy(seeds->data() + kSeedSize, id.secret_->data() + kBoxOffset, kSeedSize);
  std::memcpy(seeds->data() + 2 * kSeedSize, id.secret_->data() + kCurveOffset, kSeedSize);
  return seeds;
}

Result<Identity> Identity::generate(std::string subject_id, Role role) {
  ensure_sodium();
  SecretBuffer seeds(kIdentitySeedsSize);
  randombytes_buf(seeds.data(), seeds.size());
  return IdentityFiles::make_identity(std::move(subject_id), role, seeds.view());
}

Result<Identity> Identity::from_seed(std::string subject_id, Role role,
                                     const ByteArray<32>& seed) {
  ensure_sodium();
  SecretBuffer seeds(kIdentitySeedsSize);
  derive(seeds.data(), seed, kLabelSign);
  derive(seeds.data() + kSeedSize, seed, kLabelBox);
  derive(seeds.data() + 2 * kSeedSize, seed, kLabelCurve);
  return IdentityFiles::make_identity(std::move(subject_id), role, seeds.view());
}

PublicIdentity Identity::public_identity() const {
  return PublicIdentity{subject_id_, role_, sign_pk_, box_pk_, curve_pk_};
}

SignPublicKey Identity::sign_public_key() const { return sign_pk_; }

Signature Identity::sign(ByteView message) const { return sign_with(*secret_, message); }

BoxPublicKey Identity::box_public_key() const { return box_pk_; }

std::optional<ByteArray<32>> Identity::agree(const BoxPublicKey& peer) const {
  ByteArray<32> shared{};
  // libsodium refuses (returns -1) when the result is all zeros: a small-order peer key.
  if (crypto_scalarmult(shared.data(), secret_->data() + kBoxOffset, peer.data()) != 0) {
    return std::nullopt;
  }
  return shared;
}

CurvePublicKey Identity::curve_public_key() const { return curve_pk_; }

std::string Identity::curve_secret_z85() const {
  return z85_encode(ByteView(secret_->data() + kCurveOffset, kSeedSize));
}

// ---- RootKey -------------------------------------------------------------------------------

RootKey::RootKey(std::unique_ptr<SecretBuffer> secret) : secret_(std::move(secret)) {
  assert(secret_ && secret_->size() == kSignSecretSize);
  crypto_sign_ed25519_sk_to_pk(pk_.data(), secret_->data());
}

RootKey::RootKey(RootKey&&) noexcept = default;
RootKey& RootKey::operator=(RootKey&&) noexcept = default;
RootKey::~RootKey() = default;

RootKey IdentityFiles::make_root(ByteView seeds) {
  assert(seeds.size() == kRootSeedsSize);
  auto secret = make_secret(kSignSecretSize);
  expand_sign_seed(secret->data(), seeds.data());
  return RootKey(std::move(secret));
}

std::unique_ptr<SecretBuffer> IdentityFiles::seeds_of(const RootKey& key) {
  auto seeds = make_secret(kRootSeedsSize);
  crypto_sign_ed25519_sk_to_seed(seeds->data(), key.secret_->data());
  return seeds;
}

Result<RootKey> RootKey::generate() {
  ensure_sodium();
  SecretBuffer seed(kRootSeedsSize);
  randombytes_buf(seed.data(), seed.size());
  return IdentityFiles::make_root(seed.view());
}

Result<RootKey> RootKey::from_seed(const ByteArray<32>& seed) {
  ensure_sodium();
  SecretBuffer derived(kRootSeedsSize);
  derive(derived.data(), seed, kLabelSign);
  return IdentityFiles::make_root(derived.view());
}

SignPublicKey RootKey::sign_public_key() const { return pk_; }

Signature RootKey::sign(ByteView message) const { return sign_with(*secret_, message); }

}  // namespace aegis::keys
