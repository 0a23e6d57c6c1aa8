// MatchingKey (keys.hpp, docs/keys.md "The matching key"): the national key that turns a
// child's identifiers into match tokens (PROTOCOL.md §14). Its 32 bytes stay in a SecretBuffer;
// callers only ever get tokens and a fingerprint.
#include <sodium.h>

#include <cassert>
#include <cstring>

#include "internal.hpp"

namespace aegis::keys {
namespace {

constexpr std::string_view kLabelMatch = "aegis-match";
constexpr std::string_view kLabelFingerprint = "aegis-match-fingerprint";
static_assert(protocol::kMatchTokenSize >= crypto_generichash_BYTES_MIN &&
              protocol::kMatchingKeySize >= crypto_generichash_KEYBYTES_MIN &&
              protocol::kMatchingKeySize <= crypto_generichash_KEYBYTES_MAX);

protocol::MatchToken keyed_hash(const SecretBuffer& key, ByteView input) {
  protocol::MatchToken out{};
  crypto_generichash(out.data(), out.size(), input.data(), input.size(), key.data(), key.size());
  return out;
}

}  // namespace

MatchingKey::MatchingKey(std::uint64_t key_id, std::unique_ptr<SecretBuffer> secret)
    : key_id_(key_id), secret_(std::move(secret)) {
  assert(secret_ && secret_->size() == kMatchingSeedsSize && key_id_ >= 1);
}

MatchingKey::MatchingKey(MatchingKey&&) noexcept = default;
MatchingKey& MatchingKey::operator=(MatchingKey&&) noexcept = default;
MatchingKey::~MatchingKey() = default;

Result<MatchingKey> IdentityFiles::make_matching(std::uint64_t key_id, ByteView seeds) {
  assert(seeds.size() == kMatchingSeedsSize);
  if (key_id == 0)
    return key_error(KeyErrc::invalid_argument, "a matching key id must be at least 1");
  auto secret = make_secret(kMatchingSeedsSize);
  std::memcpy(secret->data(), seeds.data(), seeds.size());
  return MatchingKey(key_id, std::move(secret));
}

std::unique_ptr<SecretBuffer> IdentityFiles::seeds_of(const MatchingKey& key) {
  auto seeds = make_secret(kMatchingSeedsSize);
  std::memcpy(seeds->data(), key.secret_->data(), kMatchingSeedsSize);
  return seeds;
}

Result<MatchingKey> MatchingKey::generate(std::uint64_t key_id) {
  ensure_sodium();
  SecretBuffer key(kMatchingSeedsSize);
  randombytes_buf(key.data(), key.size());
  return IdentityFiles::make_matching(key_id, key.view());
}

Result<MatchingKey> MatchingKey::from_seed(std::uint64_t key_id, const ByteArray<32>& seed) {
  ensure_sodium();
  SecretBuffer key(kMatchingSeedsSize);
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const std::uint8_t*>(kLabelMatch.data()),
                     kLabelMatch.size(), seed.data(), seed.size());
  return IdentityFiles::make_matching(key_id, key.view());
}

protocol::MatchToken MatchingKey::token(ByteView input) const { return keyed_hash(*secret_, input); }

std::string MatchingKey::fingerprint() const {
  const auto label = reinterpret_cast<const std::uint8_t*>(kLabelFingerprint.data());
  return protocol::to_hex(keyed_hash(*secret_, ByteView(label, kLabelFingerprint.size())));
}

}  // namespace aegis::keys
