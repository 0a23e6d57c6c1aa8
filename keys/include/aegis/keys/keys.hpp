// keys/ — the only module that holds secret keys (docs/architecture.md, docs/keys.md).
//
// An Identity is one node's secret key material: an Ed25519 signing key, an X25519 box key
// (sealing) and an X25519 CURVE key (ZeroMQ transport). It implements protocol::Signer and
// protocol::KeyAgreement so the rest of the system can sign and open seals without ever seeing
// a secret byte. The national root is a RootKey (Ed25519 only). The national matching key is a
// MatchingKey: it implements protocol::MatchTokenizer, so payloads carry keyed tokens of a
// child's identifiers without the store seeing the key. Secret bytes live in sodium_malloc'd
// memory (guarded, locked, wiped on destruction).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aegis/protocol/bytes.hpp"
#include "aegis/protocol/certificate.hpp"
#include "aegis/protocol/crypto.hpp"
#include "aegis/protocol/match.hpp"
#include "aegis/protocol/result.hpp"
#include "aegis/protocol/seal.hpp"

namespace aegis::keys {

using protocol::BoxPublicKey;
using protocol::ByteArray;
using protocol::ByteView;
using protocol::Bytes;
using protocol::CurvePublicKey;
using protocol::Role;
using protocol::Signature;
using protocol::SignPublicKey;

enum class KeyErrc {
  io,                 // the file could not be read or written
  exists,             // refusing to overwrite an existing key file
  bad_permissions,    // a secret key file is readable or writable by group or others
  corrupt,            // not a key file of a version this build knows
  wrong_kind,         // e.g. a root key where an identity was expected
  needs_passphrase,   // the file is passphrase-wrapped and none was given
  wrong_passphrase,   // decryption failed (or the file was tampered with)
  invalid_argument,   // e.g. an invalid subject id
};
std::string_view key_errc_name(KeyErrc c) noexcept;

struct KeyError {
  KeyErrc code;
  std::string detail;  // names the file and the problem; never key material
  std::string message() const { return std::string(key_errc_name(code)) + ": " + detail; }
};

template <typename T>
using Result = protocol::Result<T, KeyError>;
using Status = protocol::Result<protocol::Ok, KeyError>;

// Argon2id cost for passphrase wrapping (crypto_pwhash). `moderate` is the default for real
// keys; `interactive` exists for tests and demos.
enum class PwhashCost { interactive, moderate, sensitive };

class SecretBuffer;  // sodium_malloc'd bytes; defined in the implementation

// The public half of an identity: what a certificate request carries (JSON file on disk).
struct PublicIdentity {
  std::string subject_id;
  Role role = Role::authority;
  SignPublicKey sign_key{};
  BoxPublicKey box_key{};
  CurvePublicKey curve_key{};
};

class Identity final : public protocol::Signer, public protocol::KeyAgreement {
 public:
  // Fresh keys from the OS random generator. subject_id must be a valid authority id.
  static Result<Identity> generate(std::string subject_id, Role role);
  // Deterministic keys from a 32-byte seed (tests, test vectors, demos only): each key's seed is
  // BLAKE2b-256 keyed by `seed` over a per-key label (docs/keys.md).
  static Result<Identity> from_seed(std::string subject_id, Role role, const ByteArray<32>& seed);

  Identity(Identity&&) noexcept;
  Identity& operator=(Identity&&) noexcept;
  ~Identity() override;

  const std::string& subject_id() const { return subject_id_; }
  Role role() const { return role_; }
  PublicIdentity public_identity() const;

  SignPublicKey sign_public_key() const override;
  Signature sign(ByteView message) const override;
  BoxPublicKey box_public_key() const override;
  std::optional<ByteArray<32>> agree(const BoxPublicKey& peer) const override;
  CurvePublicKey curve_public_key() const;
  // The CURVE secret key in Z85 (40 chars), for ZMQ_CURVE_SECRETKEY only.
  std::string curve_secret_z85() const;

 private:
  Identity(std::string subject_id, Role role, std::unique_ptr<SecretBuffer> secret);
  friend struct IdentityFiles;
  std::string subject_id_;
  Role role_;
  std::unique_ptr<SecretBuffer> secret_;  // sign sk (64) | box sk (32) | curve sk (32)
  SignPublicKey sign_pk_{};
  BoxPublicKey box_pk_{};
  CurvePublicKey curve_pk_{};
};

class RootKey final : public protocol::Signer {
 public:
  static Result<RootKey> generate();
  static Result<RootKey> from_seed(const ByteArray<32>& seed);
  RootKey(RootKey&&) noexcept;
  RootKey& operator=(RootKey&&) noexcept;
  ~RootKey() override;
  SignPublicKey sign_public_key() const override;
  Signature sign(ByteView message) const override;

 private:
  explicit RootKey(std::unique_ptr<SecretBuffer> secret);
  friend struct IdentityFiles;
  std::unique_ptr<SecretBuffer> secret_;  // Ed25519 sk (64)
  SignPublicKey pk_{};
};

// The national matching key (docs/keys.md "The matching key", PROTOCOL.md §14): 32 random
// bytes held by every authority and never by the index, with its version `key_id` (>= 1).
class MatchingKey final : public protocol::MatchTokenizer {
 public:
  // Fresh key from the OS random generator. key_id 0 is invalid_argument.
  static Result<MatchingKey> generate(std::uint64_t key_id);
  // Deterministic key (tests and demos only): BLAKE2b-256 keyed by `seed` over "aegis-match".
  static Result<MatchingKey> from_seed(std::uint64_t key_id, const ByteArray<32>& seed);
  MatchingKey(MatchingKey&&) noexcept;
  MatchingKey& operator=(MatchingKey&&) noexcept;
  ~MatchingKey() override;

  std::uint64_t key_id() const override { return key_id_; }
  protocol::MatchToken token(ByteView input) const override;
  // A check value that names the key without revealing it, for comparing copies out of band:
  // BLAKE2b (16-byte output) keyed by the key over "aegis-match-fingerprint", in hex.
  std::string fingerprint() const;

 private:
  MatchingKey(std::uint64_t key_id, std::unique_ptr<SecretBuffer> secret);
  friend struct IdentityFiles;
  std::uint64_t key_id_;
  std::unique_ptr<SecretBuffer> secret_;  // the 32-byte key
};

// ---- Files (formats in docs/keys.md) -------------------------------------------------------
// Secret key files are created with O_CREAT|O_EXCL and mode 0600, written to a temporary name
// in the same directory, fsync'd and renamed; they are refused on load when group or others
// have any permission bit. A passphrase, when given, wraps the secret with Argon2id +
// XChaCha20-Poly1305.
Status save_identity(const Identity& id, const std::filesystem::path& path,
                     std::optional<std::string_view> passphrase = std::nullopt,
                     PwhashCost cost = PwhashCost::moderate);
Result<Identity> load_identity(const std::filesystem::path& path,
                               std::optional<std::string_view> passphrase = std::nullopt);
Status save_root_key(const RootKey& key, const std::filesystem::path& path,
                     std::optional<std::string_view> passphrase = std::nullopt,
                     PwhashCost cost = PwhashCost::moderate);
Result<RootKey> load_root_key(const std::filesystem::path& path,
                              std::optional<std::string_view> passphrase = std::nullopt);
Status save_matching_key(const MatchingKey& key, const std::filesystem::path& path,
                         std::optional<std::string_view> passphrase = std::nullopt,
                         PwhashCost cost = PwhashCost::moderate);
Result<MatchingKey> load_matching_key(const std::filesystem::path& path,
                                      std::optional<std::string_view> passphrase = std::nullopt);

// Public files: plain, mode 0644, written atomically (temp + rename).
Status save_public_identity(const PublicIdentity& p, const std::filesystem::path& path);  // JSON
Result<PublicIdentity> load_public_identity(const std::filesystem::path& path);
Status save_root_public_key(const SignPublicKey& pk, const std::filesystem::path& path);  // hex line
Result<SignPublicKey> load_root_public_key(const std::filesystem::path& path);
Status write_public_file(const std::filesystem::path& path, ByteView bytes);  // certs, bundles
Result<Bytes> read_file(const std::filesystem::path& path, std::size_t max_size);

// Fresh randomness for one seal (protocol::seal takes it as an argument).
protocol::SealRandomness fresh_seal_randomness();

// ---- Helpers for the CLI and the daemon ----------------------------------------------------
// A passphrase held in sodium_malloc'd memory and wiped on destruction.
class Passphrase {
 public:
  explicit Passphrase(std::string_view text);
  Passphrase(Passphrase&&) noexcept;
  Passphrase& operator=(Passphrase&&) noexcept;
  ~Passphrase();
  std::string_view view() const;

 private:
  std::unique_ptr<SecretBuffer> secret_;
};
// Reads a passphrase file: its whole content minus one trailing "\n" (or "\r\n"); at most 1024
// bytes; refused when empty (invalid_argument).
Result<Passphrase> read_passphrase_file(const std::filesystem::path& path);

// Role by name: protocol::role_name(r), with '-' accepted for '_' ("shield-officer").
std::optional<Role> parse_role(std::string_view name);

// Z85 (ZeroMQ RFC 32/Z85): `bytes.size()` must be a multiple of 4 (asserted); decoding returns
// nullopt for a length not a multiple of 5 or a character outside the alphabet.
std::string z85_encode(ByteView bytes);
std::optional<Bytes> z85_decode(std::string_view text);

}  // namespace aegis::keys
