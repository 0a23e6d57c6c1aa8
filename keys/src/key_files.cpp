// Secret key files (docs/keys.md "Secret key files"): a small versioned binary format holding the
// key's 32-byte secrets either in clear (file mode 0600) or wrapped with a passphrase
// (Argon2id -> XChaCha20-Poly1305, the whole header as associated data). Three kinds: the root
// key, an identity, and the national matching key (whose key id is part of the header).
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "aegis/protocol/record.hpp"
#include "internal.hpp"

namespace aegis::keys {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "AEGISKEY";
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kMaxKeyFileSize = 4096;

enum class Kind : std::uint8_t { root = 1, identity = 2, matching = 3 };
enum class Protection : std::uint8_t { none = 0, passphrase = 1 };

constexpr std::size_t kSaltSize = crypto_pwhash_SALTBYTES;                       // 16
constexpr std::size_t kNonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr std::size_t kTagSize = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr std::size_t kWrapKeySize = crypto_aead_xchacha20poly1305_ietf_KEYBYTES; // 32
constexpr std::size_t kChecksumSize = 32;  // BLAKE2b-256 over header || seeds (plain files)
constexpr std::size_t kFixedHeaderSize = 13;  // magic 8, version, kind, role, protection, id len
constexpr std::size_t kKeyIdSize = 8;          // matching keys only: key id, after the subject id
constexpr std::size_t kWrapHeaderSize = kSaltSize + 8 + 8 + kNonceSize;
static_assert(kSaltSize == 16 && kNonceSize == 24 && kTagSize == 16 && kWrapKeySize == 32);

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::root: return "a root key";
    case Kind::identity: return "an identity key";
    case Kind::matching: return "a matching key";
  }
  return "an unknown key";
}

bool known_kind(std::uint8_t k) {
  return k == static_cast<std::uint8_t>(Kind::root) ||
         k == static_cast<std::uint8_t>(Kind::identity) ||
         k == static_cast<std::uint8_t>(Kind::matching);
}

std::size_t seeds_size(Kind k) {
  switch (k) {
    case Kind::root: return kRootSeedsSize;
    case Kind::identity: return kIdentitySeedsSize;
    case Kind::matching: return kMatchingSeedsSize;
  }
  return 0;
}

// The header fields after the subject id that only some kinds have.
std::size_t key_id_size(Kind k) { return k == Kind::matching ? kKeyIdSize : 0; }

struct Cost {
  std::uint64_t opslimit;
  std::uint64_t memlimit;
};

Cost cost_of(PwhashCost c) {
  switch (c) {
    case PwhashCost::interactive:
      return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
    case PwhashCost::moderate:
      return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
    case PwhashCost::sensitive:
      return {crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE};
  }
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}

// Costs a file may ask for: libsodium's minimum up to `sensitive` (bounds the work a file can
// demand of the loader).
bool acceptable_cost(const Cost& c) {
  return c.opslimit >= crypto_pwhash_OPSLIMIT_MIN && c.opslimit <= crypto_pwhash_OPSLIMIT_SENSITIVE &&
         c.memlimit >= crypto_pwhash_MEMLIMIT_MIN && c.memlimit <= crypto_pwhash_MEMLIMIT_SENSITIVE;
}

void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void checksum(std::uint8_t* out, const std::uint8_t* data, std::size_t size) {
  crypto_generichash(out, kChecksumSize, data, size, nullptr, 0);
}

// Argon2id(passphrase, salt) -> the 32-byte wrapping key.
Result<std::unique_ptr<SecretBuffer>> derive_wrap_key(std::string_view passphrase,
                                                      const std::uint8_t* salt, const Cost& cost,
                                                      const fs::path& path) {
  auto key = make_secret(kWrapKeySize);
  if (crypto_pwhash(key->data(), key->size(), passphrase.data(), passphrase.size(), salt,
                    cost.opslimit, static_cast<std::size_t>(cost.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return key_error(KeyErrc::io, "Argon2id for " + quoted(path) +
                                      " failed (not enough memory for its cost?)");
  }
  return key;
}

// What a file's header says about its key besides the kind: the identity's role and subject id,
// or the matching key's id.
struct Label {
  std::uint8_t role = 0;
  std::string subject_id;
  std::uint64_t key_id = 0;
};

Status save_key_file(const fs::path& path, Kind kind, const Label& label,
                     const SecretBuffer& seeds, std::optional<std::string_view> passphrase,
                     PwhashCost cost_level) {
  ensure_sodium();
  if (passphrase && passphrase->empty()) {
    return key_error(KeyErrc::invalid_argument, "the passphrase for " + quoted(path) +
                                                    " is empty");
  }
  const bool wrapped = passphrase.has_value();
  const std::string& subject_id = label.subject_id;
  const std::size_t label_size = subject_id.size() + key_id_size(kind);
  const std::size_t header_size = kFixedHeaderSize + label_size + (wrapped ? kWrapHeaderSize : 0);
  const std::size_t payload_size = seeds.size() + (wrapped ? kTagSize : kChecksumSize);
  SecretBuffer image(header_size + payload_size);
  std::uint8_t* p = image.data();
  std::memcpy(p, kMagic.data(), kMagic.size());
  p[8] = kFormatVersion;
  p[9] = static_cast<std::uint8_t>(kind);
  p[10] = label.role;
  p[11] = static_cast<std::uint8_t>(wrapped ? Protection::passphrase : Protection::none);
  p[12] = static_cast<std::uint8_t>(subject_id.size());
  std::copy(subject_id.begin(), subject_id.end(), p + kFixedHeaderSize);
  if (kind == Kind::matching) put_u64(p + kFixedHeaderSize + subject_id.size(), label.key_id);
  std::uint8_t* payload = p + header_size;

  if (!wrapped) {
    std::memcpy(payload, seeds.data(), seeds.size());
    checksum(payload + seeds.size(), p, header_size + seeds.size());
  } else {
    std::uint8_t* salt = p + kFixedHeaderSize + label_size;
    std::uint8_t* nonce = salt + kSaltSize + 16;
    const Cost cost = cost_of(cost_level);
    randombytes_buf(salt, kSaltSize);
    put_u64(salt + kSaltSize, cost.opslimit);
    put_u64(salt + kSaltSize + 8, cost.memlimit);
    randombytes_buf(nonce, kNonceSize);
    auto key = derive_wrap_key(*passphrase, salt, cost, path);
    if (!key) return key.error();
    crypto_aead_xchacha20poly1305_ietf_encrypt(payload, nullptr, seeds.data(), seeds.size(), p,
                                               header_size, nullptr, nonce, (*key)->data());
  }
  return write_file_atomically(path, image.view(), 0600, Overwrite::refuse);
}

struct LoadedKey {
  Label label;
  std::unique_ptr<SecretBuffer> seeds;
};

KeyError corrupt(const fs::path& path, const std::string& what) {
  return key_error(KeyErrc::corrupt, quoted(path) + ": " + what);
}

Result<LoadedKey> load_key_file(const fs::path& path, Kind expected,
                                std::optional<std::string_view> passphrase) {
  ensure_sodium();
  auto file = ReadFile::open(path, /*secret=*/true);
  if (!file) return file.error();
  SecretBuffer image(kMaxKeyFileSize);
  auto read = file->read_all(image.data(), image.size(), KeyErrc::corrupt);
  if (!read) return read.error();
  const std::size_t size = *read;
  const std::uint8_t* p = image.data();

  // Structure first (corrupt), then kind (wrong_kind), then the passphrase.
  if (size < kFixedHeaderSize || std::memcmp(p, kMagic.data(), kMagic.size()) != 0) {
    return corrupt(path, "not an aegis key file");
  }
  if (p[8] != kFormatVersion) {
    return corrupt(path, "key file format version " + std::to_string(p[8]) +
                             " is not supported (this build reads version 1)");
  }
  if (!known_kind(p[9])) return corrupt(path, "unknown key kind " + std::to_string(p[9]));
  const Kind kind = static_cast<Kind>(p[9]);
  LoadedKey out;
  Label& label = out.label;
  label.role = p[10];
  if (p[11] != static_cast<std::uint8_t>(Protection::none) &&
      p[11] != static_cast<std::uint8_t>(Protection::passphrase)) {
    return corrupt(path, "unknown protection " + std::to_string(p[11]));
  }
  const bool wrapped = p[11] == static_cast<std::uint8_t>(Protection::passphrase);
  const std::size_t id_len = p[12];
  const std::size_t label_size = id_len + key_id_size(kind);
  if (size < kFixedHeaderSize + label_size) return corrupt(path, "truncated header");
  label.subject_id.assign(reinterpret_cast<const char*>(p + kFixedHeaderSize), id_len);
  if (kind != Kind::identity && (label.role != 0 || id_len != 0)) {
    return corrupt(path, std::string(kind_name(kind)) + " has no role or subject id");
  }
  if (kind == Kind::identity && (!valid_role(static_cast<Role>(label.role)) ||
                                 !protocol::valid_authority_id(label.subject_id))) {
    return corrupt(path, "invalid role or subject id");
  }
  if (kind == Kind::matching) {
    label.key_id = get_u64(p + kFixedHeaderSize + id_len);
    if (label.key_id == 0) return corrupt(path, "matching key id 0 (ids start at 1)");
  }
  const std::size_t header_size = kFixedHeaderSize + label_size + (wrapped ? kWrapHeaderSize : 0);
  const std::size_t payload_size = seeds_size(kind) + (wrapped ? kTagSize : kChecksumSize);
  if (size != header_size + payload_size) {
    return corrupt(path, "size " + std::to_string(size) + " bytes, expected " +
                             std::to_string(header_size + payload_size));
  }
  if (kind != expected) {
    return key_error(KeyErrc::wrong_kind, quoted(path) + " holds " +
                                              std::string(kind_name(kind)) + ", expected " +
                                              std::string(kind_name(expected)));
  }

  out.seeds = make_secret(seeds_size(kind));
  const std::uint8_t* payload = p + header_size;
  if (!wrapped) {
    std::uint8_t sum[kChecksumSize];
    checksum(sum, p, header_size + out.seeds->size());
    if (sodium_memcmp(sum, payload + out.seeds->size(), kChecksumSize) != 0) {
      return corrupt(path, "checksum mismatch (the file was damaged or altered)");
    }
    std::memcpy(out.seeds->data(), payload, out.seeds->size());
    return out;
  }
  const std::uint8_t* salt = p + kFixedHeaderSize + label_size;
  const Cost cost{get_u64(salt + kSaltSize), get_u64(salt + kSaltSize + 8)};
  const std::uint8_t* nonce = salt + kSaltSize + 16;
  if (!acceptable_cost(cost)) return corrupt(path, "unsupported Argon2id cost");
  if (!passphrase) {
    return key_error(KeyErrc::needs_passphrase,
                     quoted(path) + " is protected by a passphrase and none was given");
  }
  auto key = derive_wrap_key(*passphrase, salt, cost, path);
  if (!key) return key.error();
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.seeds->data(), nullptr, nullptr, payload,
                                                 payload_size, p, header_size, nonce,
                                                 (*key)->data()) != 0) {
    return key_error(KeyErrc::wrong_passphrase,
                     "wrong passphrase for " + quoted(path) + " (or the file was altered)");
  }
  return out;
}

}  // namespace

Status save_identity(const Identity& id, const fs::path& path,
                     std::optional<std::string_view> passphrase, PwhashCost cost) {
  auto seeds = IdentityFiles::seeds_of(id);
  return save_key_file(path, Kind::identity,
                       Label{static_cast<std::uint8_t>(id.role()), id.subject_id(), 0}, *seeds,
                       passphrase, cost);
}

Result<Identity> load_identity(const fs::path& path, std::optional<std::string_view> passphrase) {
  auto loaded = load_key_file(path, Kind::identity, passphrase);
  if (!loaded) return loaded.error();
  return IdentityFiles::make_identity(std::move(loaded->label.subject_id),
                                      static_cast<Role>(loaded->label.role),
                                      loaded->seeds->view());
}

Status save_root_key(const RootKey& key, const fs::path& path,
                     std::optional<std::string_view> passphrase, PwhashCost cost) {
  auto seeds = IdentityFiles::seeds_of(key);
  return save_key_file(path, Kind::root, Label{}, *seeds, passphrase, cost);
}

Result<RootKey> load_root_key(const fs::path& path, std::optional<std::string_view> passphrase) {
  auto loaded = load_key_file(path, Kind::root, passphrase);
  if (!loaded) return loaded.error();
  return IdentityFiles::make_root(loaded->seeds->view());
}

Status save_matching_key(const MatchingKey& key, const fs::path& path,
                         std::optional<std::string_view> passphrase, PwhashCost cost) {
  auto seeds = IdentityFiles::seeds_of(key);
  return save_key_file(path, Kind::matching, Label{0, {}, key.key_id()}, *seeds, passphrase,
                       cost);
}

Result<MatchingKey> load_matching_key(const fs::path& path,
                                      std::optional<std::string_view> passphrase) {
  auto loaded = load_key_file(path, Kind::matching, passphrase);
  if (!loaded) return loaded.error();
  return IdentityFiles::make_matching(loaded->label.key_id, loaded->seeds->view());
}

}  // namespace aegis::keys
